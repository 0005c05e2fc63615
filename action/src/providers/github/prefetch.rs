//! What the GitHub backend already knows, so that it asks again only when it must.
//!
//! Two kinds of knowledge, kept apart because they age differently:
//! - a [`View`] of branches and pull requests, as of the start of an attempt (one GraphQL query
//!   in `--commit-mode graphql`, see
//!   [`prefetch_query`](gensync_core::payload::github::prefetch_query)); it goes stale when
//!   anyone writes, so the backend drops it on its own writes and the flow renews it each
//!   attempt;
//! - [`Objects`]: commits, trees and blobs never change once they exist, so what is learnt
//!   about them stays true for the whole run.

use std::collections::HashMap;

use anyhow::{bail, Context};
use gensync_core::ObjectId;
use serde::Deserialize;

use crate::providers::{Prefetch, PullRequest, RepoInfo};

/// Branches and pull requests as of the last [`crate::providers::Provider::prepare`].
#[derive(Debug, Default)]
pub(super) struct View {
    /// The repository, when known and not empty.
    pub repo: Option<RepoInfo>,
    /// Branch name → head (`None`: no such branch).
    pub heads: HashMap<String, Option<ObjectId>>,
    /// (head branch, base branch) → the open pull request (`None`: there is none).
    pub pulls: HashMap<(String, String), Option<PullRequest>>,
}

/// Facts about immutable objects.
#[derive(Debug, Default)]
pub(super) struct Objects {
    /// Commit → its root tree.
    pub trees: HashMap<ObjectId, ObjectId>,
    /// (commit, path) → the blob at that path (`None`: no file there).
    pub files: HashMap<(ObjectId, String), Option<ObjectId>>,
    /// Blob contents whose id was checked.
    pub blobs: HashMap<ObjectId, Vec<u8>>,
    /// Pull request number → GraphQL node id.
    pub pull_ids: HashMap<u64, String>,
    /// The repository's GraphQL node id (for `updateRefs`).
    pub repository_id: Option<String>,
}

/// The answer to [`prefetch_query`](gensync_core::payload::github::prefetch_query), typed:
/// parsed straight into these structs (never a `serde_json::Value` tree, whose overhead made a
/// large answer cost gigabytes).
#[derive(Debug, Deserialize)]
pub(super) struct Answer {
    data: Option<Data>,
    #[serde(default)]
    errors: Vec<Error>,
}

#[derive(Debug, Deserialize)]
struct Error {
    #[serde(default)]
    message: String,
}

#[derive(Debug, Deserialize)]
struct Data {
    repository: Option<Repository>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Repository {
    id: Option<String>,
    is_empty: Option<bool>,
    default_branch_ref: Option<Ref>,
    #[serde(default)]
    base: Option<Ref>,
    #[serde(default)]
    branch: Option<Ref>,
    #[serde(default)]
    pull_requests: Option<PullRequests>,
}

#[derive(Debug, Deserialize)]
struct Ref {
    name: Option<String>,
    target: Option<Target>,
}

/// A ref's target: a commit with its tree and the files asked for (aliases `f0`, `f1`, …), or
/// another object (only `oid`).
#[derive(Debug, Deserialize)]
struct Target {
    oid: Option<String>,
    tree: Option<Oid>,
    #[serde(flatten)]
    files: HashMap<String, Option<FileEntry>>,
}

#[derive(Debug, Deserialize)]
struct Oid {
    oid: Option<String>,
}

#[derive(Debug, Deserialize)]
struct FileEntry {
    object: Option<Blob>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Blob {
    oid: Option<String>,
    is_binary: Option<bool>,
    is_truncated: Option<bool>,
    text: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct PullRequests {
    nodes: Option<Vec<PullNode>>,
    page_info: Option<PageInfo>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct PullNode {
    id: Option<String>,
    number: Option<u64>,
    url: Option<String>,
    base_ref_name: Option<String>,
    is_cross_repository: Option<bool>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct PageInfo {
    has_next_page: Option<bool>,
}

/// Learns from the answer to
/// [`prefetch_query`](gensync_core::payload::github::prefetch_query) for `wanted`. An answer
/// with errors is refused whole (a field may be null because of an error rather than because
/// nothing is there); an empty repository teaches nothing (REST knows its default branch's
/// name).
pub(super) fn absorb(
    answer: Answer,
    wanted: &Prefetch<'_>,
    view: &mut View,
    objects: &mut Objects,
) -> anyhow::Result<()> {
    if !answer.errors.is_empty() {
        let messages: Vec<&str> = answer.errors.iter().map(|e| e.message.as_str()).collect();
        bail!("{}", messages.join("; "));
    }
    let repo = answer
        .data
        .and_then(|d| d.repository)
        .context("the answer has no repository")?;
    if let Some(id) = &repo.id {
        objects.repository_id = Some(id.clone());
    }
    if repo.is_empty != Some(false) {
        return Ok(());
    }
    let Some(default) = repo.default_branch_ref else {
        return Ok(());
    };
    let Some(default_name) = default.name.clone() else {
        // No default branch although there are commits: let REST say what is wrong.
        return Ok(());
    };
    let mut learnt = View {
        repo: Some(RepoInfo {
            default_branch: default_name.clone(),
            empty: false,
        }),
        ..View::default()
    };
    head(
        Some(default),
        &default_name,
        wanted.paths,
        &mut learnt,
        objects,
    )?;
    if let Some(base) = wanted.base {
        head(repo.base, base, wanted.paths, &mut learnt, objects)?;
    }
    head(
        repo.branch,
        wanted.branch,
        wanted.paths,
        &mut learnt,
        objects,
    )?;
    if wanted.pull_request {
        let base = wanted.base.unwrap_or(&default_name);
        pull_request(
            repo.pull_requests,
            wanted.branch,
            base,
            &mut learnt,
            objects,
        )?;
    }
    *view = learnt;
    Ok(())
}

/// Learns the open pull request from `branch` into `base` from the answer's first page.
fn pull_request(
    pulls: Option<PullRequests>,
    branch: &str,
    base: &str,
    learnt: &mut View,
    objects: &mut Objects,
) -> anyhow::Result<()> {
    let pulls = pulls.context("the answer lists no pull requests")?;
    let nodes = pulls.nodes.context("the answer lists no pull requests")?;
    let found = nodes
        .into_iter()
        .find(|n| n.is_cross_repository == Some(false) && n.base_ref_name.as_deref() == Some(base));
    match found {
        Some(n) => {
            let number = n.number.context("a pull request without number")?;
            let url = n.url.context("a pull request without url")?;
            let id = n.id.context("a pull request without id")?;
            objects.pull_ids.insert(number, id);
            learnt.pulls.insert(
                (branch.to_owned(), base.to_owned()),
                Some(PullRequest { number, url }),
            );
        }
        // More pages might hold it: leave the question to REST.
        None if pulls.page_info.and_then(|p| p.has_next_page) == Some(true) => {}
        None => {
            learnt
                .pulls
                .insert((branch.to_owned(), base.to_owned()), None);
        }
    }
    Ok(())
}

/// Learns a branch head (a `Ref` or null) with its tree and the files asked for.
fn head(
    reference: Option<Ref>,
    branch: &str,
    paths: &[String],
    view: &mut View,
    objects: &mut Objects,
) -> anyhow::Result<()> {
    let Some(reference) = reference else {
        view.heads.insert(branch.to_owned(), None);
        return Ok(());
    };
    let mut target = reference
        .target
        .with_context(|| format!("the head of {branch}"))?;
    let commit = oid(target.oid.as_deref()).with_context(|| format!("the head of {branch}"))?;
    view.heads.insert(branch.to_owned(), Some(commit));
    let Ok(tree) = oid(target.tree.as_ref().and_then(|t| t.oid.as_deref())) else {
        // Not a commit: nothing more to learn.
        return Ok(());
    };
    objects.trees.insert(commit, tree);
    for (i, path) in paths.iter().enumerate() {
        let entry = target.files.remove(&format!("f{i}")).flatten();
        // A path that is a folder or a submodule is no file, as in a tree listing.
        let object = entry.and_then(|e| e.object).filter(|o| o.oid.is_some());
        let blob = match &object {
            Some(o) => Some(oid(o.oid.as_deref()).with_context(|| format!("{path} in {branch}"))?),
            None => None,
        };
        if let (Some(id), Some(o)) = (blob, object) {
            if let Some(data) = checked_text(o, &id) {
                objects.blobs.insert(id, data);
            }
        }
        objects.files.insert((commit, path.clone()), blob);
    }
    Ok(())
}

/// The blob's bytes when its `text` is the whole blob: not binary, not truncated, and hashing
/// to its id (GraphQL answers text, which may not round-trip bytes that are not UTF-8).
fn checked_text(blob: Blob, id: &ObjectId) -> Option<Vec<u8>> {
    if blob.is_binary == Some(true) || blob.is_truncated != Some(false) {
        return None;
    }
    let data = blob.text?.into_bytes();
    (gensync_core::hash_blob(id.kind(), &data) == *id).then_some(data)
}

fn oid(value: Option<&str>) -> anyhow::Result<ObjectId> {
    let hex = value.context("no object id")?;
    Ok(ObjectId::from_hex(hex.as_bytes())?)
}

#[cfg(test)]
mod tests {
    use serde_json::{json, Value};

    use super::*;

    fn typed(answer: &Value) -> Answer {
        serde_json::from_value(answer.clone()).expect("a prefetch answer")
    }

    const C: &str = "1111111111111111111111111111111111111111";
    const T: &str = "2222222222222222222222222222222222222222";

    fn id(hex: &str) -> ObjectId {
        ObjectId::from_hex(hex.as_bytes()).expect("valid hex")
    }

    fn blob(text: &str) -> (String, Value) {
        let oid = gensync_core::hash_blob(gensync_core::HashKind::Sha1, text.as_bytes());
        let value = json!({"oid": oid.to_string(), "byteSize": text.len(), "isBinary": false, "isTruncated": false, "text": text});
        (oid.to_string(), value)
    }

    #[test]
    fn learns_heads_files_and_the_pull_request() {
        let (manifest_id, manifest) = blob("# gensync manifest v1 sha1\n");
        let answer = json!({"data": {"repository": {
            "isEmpty": false,
            "defaultBranchRef": {"name": "main", "target": {"oid": C, "tree": {"oid": T}, "f0": null, "f1": null}},
            "branch": null,
            "pullRequests": {"nodes": [
                {"id": "PR_fork", "number": 3, "url": "u3", "baseRefName": "main", "isCrossRepository": true},
                {"id": "PR_7", "number": 7, "url": "u7", "baseRefName": "main", "isCrossRepository": false},
            ], "pageInfo": {"hasNextPage": false}},
        }}});
        let paths = vec![
            ".amplication/manifest".to_owned(),
            ".amplicationignore".to_owned(),
        ];
        let wanted = Prefetch {
            base: None,
            branch: "amplication",
            paths: &paths,
            pull_request: true,
        };
        let (mut view, mut objects) = (View::default(), Objects::default());
        absorb(typed(&answer), &wanted, &mut view, &mut objects).expect("absorbed");
        assert_eq!(
            view.repo.as_ref().map(|r| r.default_branch.as_str()),
            Some("main")
        );
        assert_eq!(view.heads["main"], Some(id(C)));
        assert_eq!(view.heads["amplication"], None);
        assert_eq!(objects.trees[&id(C)], id(T));
        assert_eq!(objects.files[&(id(C), paths[0].clone())], None);
        let pr = view.pulls[&("amplication".to_owned(), "main".to_owned())]
            .clone()
            .expect("the same-repository pull request");
        assert_eq!(pr.number, 7);
        assert_eq!(objects.pull_ids[&7], "PR_7");

        // The branch with a manifest whose text checks out, and a truncated ignore file.
        let (_, ignore) = blob("dist/\n");
        let mut truncated = ignore.clone();
        truncated["isTruncated"] = json!(true);
        let answer = json!({"data": {"repository": {
            "isEmpty": false,
            "defaultBranchRef": {"name": "main", "target": {"oid": C, "tree": {"oid": T}, "f0": null, "f1": null}},
            "branch": {"name": "amplication", "target": {"oid": T, "tree": {"oid": C},
                "f0": {"object": manifest}, "f1": {"object": truncated}}},
            "pullRequests": {"nodes": [], "pageInfo": {"hasNextPage": true}},
        }}});
        absorb(typed(&answer), &wanted, &mut view, &mut objects).expect("absorbed");
        assert_eq!(view.heads["amplication"], Some(id(T)));
        assert_eq!(
            objects.files[&(id(T), paths[0].clone())],
            Some(id(&manifest_id))
        );
        assert!(objects.blobs.contains_key(&id(&manifest_id)));
        assert_eq!(objects.blobs.len(), 1, "a truncated text is not kept");
        assert!(view.pulls.is_empty(), "more pages: not known");
    }

    #[test]
    fn refuses_answers_with_errors_and_learns_nothing_from_an_empty_repository() {
        let wanted = Prefetch {
            base: None,
            branch: "amplication",
            paths: &[],
            pull_request: false,
        };
        let (mut view, mut objects) = (View::default(), Objects::default());
        let failed = json!({"data": {"repository": null}, "errors": [{"type": "NOT_FOUND", "message": "Could not resolve to a Repository with the name 'acme/app'."}]});
        let err = absorb(typed(&failed), &wanted, &mut view, &mut objects).expect_err("refused");
        assert!(err.to_string().contains("Could not resolve"));
        let empty = json!({"data": {"repository": {"isEmpty": true, "defaultBranchRef": null, "branch": null}}});
        absorb(typed(&empty), &wanted, &mut view, &mut objects).expect("absorbed");
        assert!(view.repo.is_none() && view.heads.is_empty());
    }

    #[test]
    fn text_that_does_not_hash_to_the_blob_id_is_not_kept() {
        let (hex, mut value) = blob("abc");
        value["text"] = json!("abd");
        let oid = id(&hex);
        let parse = |v: &Value| serde_json::from_value::<Blob>(v.clone()).expect("blob");
        assert_eq!(checked_text(parse(&value), &oid), None);
        value["text"] = json!("abc");
        assert_eq!(checked_text(parse(&value), &oid), Some(b"abc".to_vec()));
    }
}
