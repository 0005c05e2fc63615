//! `GET /repos/{owner}/{repo}/compare/{base}...{head}`, computed with git: ahead/behind counts
//! from `rev-list`, the file list from `diff-tree` between the merge base and the head (the
//! three-dot comparison GitHub makes).

use serde_json::{json, Value};

use super::api::{ok, ApiError, ApiResult, Ctx};
use super::render;
use crate::emulator::RepoRecord as _;
use crate::git::{BareRepo, ObjectKind, Oid};

/// GitHub lists at most this many files in a comparison.
const MAX_FILES: usize = 300;
/// GitHub lists at most this many commits in a comparison.
const MAX_COMMITS: usize = 250;

/// `GET /repos/{owner}/{repo}/compare/{basehead}`.
pub fn compare(ctx: &mut Ctx<'_>) -> ApiResult {
    let git = ctx.git()?;
    let spec = ctx.param("basehead").to_owned();
    let (base_spec, head_spec) = spec.split_once("...").ok_or_else(ApiError::not_found)?;
    let base = resolve(&git, base_spec)?.ok_or_else(ApiError::not_found)?;
    let head = resolve(&git, head_spec)?.ok_or_else(ApiError::not_found)?;
    let repo = ctx.repo()?;
    let full_name = repo.full_name();
    let merge_base = git.merge_base(&base, &head)?;
    let (ahead_by, behind_by, commits, files) = match &merge_base {
        Some(mb) => {
            let ahead = git.count_commits(&head, &base)?;
            let behind = git.count_commits(&base, &head)?;
            let commits = git.rev_list(&head, Some(&base))?;
            let files = git.diff(mb, &head)?;
            (ahead, behind, commits, files)
        }
        // Unrelated histories: GitHub answers 404 "No common ancestor between …".
        None => {
            return Err(ApiError::new(
                404,
                &format!("No common ancestor between {base_spec} and {head_spec}."),
            ));
        }
    };
    let status = match (ahead_by, behind_by) {
        (0, 0) => "identical",
        (_, 0) => "ahead",
        (0, _) => "behind",
        _ => "diverged",
    };
    let mut commit_items = Vec::new();
    for oid in commits.iter().take(MAX_COMMITS) {
        commit_items.push(render::commit_resource(ctx, repo, &git.read_commit(oid)?));
    }
    let file_items: Vec<Value> = files
        .iter()
        .take(MAX_FILES)
        .map(|f| {
            let status = match f.status {
                'A' => "added",
                'D' => "removed",
                'R' => "renamed",
                'C' => "copied",
                'M' => "modified",
                _ => "changed",
            };
            let (additions, deletions) = (f.additions.unwrap_or(0), f.deletions.unwrap_or(0));
            let mut item = json!({
                "sha": f.new_oid.as_str(),
                "filename": f.path,
                "status": status,
                "additions": additions,
                "deletions": deletions,
                "changes": additions + deletions,
                "blob_url": ctx.html_url(&format!("/{full_name}/blob/{head}/{}", f.path)),
                "raw_url": ctx.html_url(&format!("/{full_name}/raw/{head}/{}", f.path)),
                "contents_url": ctx.api_url(&format!("/repos/{full_name}/contents/{}?ref={head}", f.path)),
            });
            if let Some(old) = &f.old_path {
                item["previous_filename"] = json!(old);
            }
            item
        })
        .collect();
    let base_commit = git.read_commit(&base)?;
    let merge_base_commit = git.read_commit(merge_base.as_ref().expect("handled above"))?;
    ok(json!({
        "url": ctx.api_url(&format!("/repos/{full_name}/compare/{spec}")),
        "html_url": ctx.html_url(&format!("/{full_name}/compare/{spec}")),
        "permalink_url": ctx.html_url(&format!("/{full_name}/compare/{base}...{head}")),
        "diff_url": ctx.html_url(&format!("/{full_name}/compare/{spec}.diff")),
        "patch_url": ctx.html_url(&format!("/{full_name}/compare/{spec}.patch")),
        "base_commit": render::commit_resource(ctx, repo, &base_commit),
        "merge_base_commit": render::commit_resource(ctx, repo, &merge_base_commit),
        "status": status,
        "ahead_by": ahead_by,
        "behind_by": behind_by,
        "total_commits": commits.len(),
        "commits": commit_items,
        "files": file_items,
    }))
}

/// A commit from a branch name, `owner:branch`, or a full commit id.
fn resolve(git: &BareRepo, spec: &str) -> Result<Option<Oid>, ApiError> {
    let spec = spec.split_once(':').map_or(spec, |(_, branch)| branch);
    if let Some(oid) = Oid::parse(spec) {
        return Ok((git.object_kind(&oid)? == Some(ObjectKind::Commit)).then_some(oid));
    }
    Ok(git.branch(spec)?)
}
