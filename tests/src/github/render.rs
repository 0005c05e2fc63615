//! GitHub's JSON shapes for users, repositories, refs, commits, pull requests, issues, labels
//! and comments, built from the emulator's state and git.

use serde_json::{json, Value};

use super::api::Ctx;
use super::config::stable_id;
use super::state::{Comment, PullRequest, RepoState};
use crate::emulator::RepoRecord as _;
use crate::git::{Commit, Signature};

/// The simple user object of `login` (a bot, an organisation or a person).
pub fn user(ctx: &Ctx<'_>, login: &str) -> Value {
    let id = stable_id(login);
    let kind = if login.ends_with("[bot]") {
        "Bot"
    } else if is_organisation(ctx, login) {
        "Organization"
    } else {
        "User"
    };
    let path = if kind == "Organization" {
        "orgs"
    } else {
        "users"
    };
    json!({
        "login": login,
        "id": id,
        "node_id": format!("U_{id}"),
        "avatar_url": ctx.html_url(&format!("/avatars/{login}")),
        "url": ctx.api_url(&format!("/{path}/{login}")),
        "html_url": ctx.html_url(&format!("/{login}")),
        "type": kind,
        "site_admin": false,
    })
}

/// An owner is an organisation unless a personal token acts as it.
fn is_organisation(ctx: &Ctx<'_>, login: &str) -> bool {
    !ctx.emu.is_person(login)
}

/// The full repository object, with the caller's `permissions`.
pub fn repo(ctx: &Ctx<'_>, repo: &RepoState) -> Value {
    let full_name = repo.full_name();
    let git = crate::git::BareRepo::open(&repo.git_dir(&ctx.emu.core.root));
    let default_branch = git.head_branch().unwrap_or_else(|_| "main".into());
    let empty = git.is_empty().unwrap_or(true);
    let (push, admin) = match ctx.token() {
        Some(token) => (
            token.permissions.contents == super::config::Access::Write,
            token.permissions.administration == super::config::Access::Write,
        ),
        None => (false, false),
    };
    json!({
        "id": repo.id,
        "node_id": format!("R_{}", repo.id),
        "name": repo.name,
        "full_name": full_name,
        "private": repo.private,
        "visibility": if repo.private { "private" } else { "public" },
        "owner": user(ctx, &repo.owner),
        "html_url": ctx.html_url(&format!("/{full_name}")),
        "description": repo.description,
        "fork": false,
        "url": ctx.api_url(&format!("/repos/{full_name}")),
        "git_url": format!("git://{}/{full_name}.git", ctx.emu.urls.host),
        "clone_url": ctx.html_url(&format!("/{full_name}.git")),
        "default_branch": default_branch,
        "size": if empty { 0 } else { 1 },
        "archived": false,
        "disabled": false,
        "is_template": false,
        "created_at": repo.created_at,
        "updated_at": repo.created_at,
        "pushed_at": if empty { Value::Null } else { json!(repo.created_at) },
        "permissions": {"admin": admin, "maintain": admin, "push": push, "triage": push, "pull": true},
    })
}

/// A git reference object.
pub fn git_ref(ctx: &Ctx<'_>, full_name: &str, name: &str, oid: &str, kind: &str) -> Value {
    let short = name.trim_start_matches("refs/");
    json!({
        "ref": name,
        "node_id": format!("REF_{}", stable_id(&format!("{full_name}:{name}"))),
        "url": ctx.api_url(&format!("/repos/{full_name}/git/refs/{short}")),
        "object": {
            "type": kind,
            "sha": oid,
            "url": ctx.api_url(&format!("/repos/{full_name}/git/{kind}s/{oid}")),
        },
    })
}

/// `{name, email, date}` of a signature.
pub fn signature(sig: &Signature) -> Value {
    json!({"name": sig.name, "email": sig.email, "date": sig.date_rfc3339()})
}

/// The `verification` object: GitHub-signed (verified) or unsigned.
pub fn verification(verified: bool) -> Value {
    if verified {
        json!({"verified": true, "reason": "valid", "signature": "-----BEGIN PGP SIGNATURE-----\n\n(signed by the emulator's web-flow stand-in)\n-----END PGP SIGNATURE-----\n", "payload": "", "verified_at": crate::time::now_rfc3339()})
    } else {
        json!({"verified": false, "reason": "unsigned", "signature": null, "payload": null, "verified_at": null})
    }
}

/// A commit in the Git Data API's shape (`POST/GET /repos/{o}/{r}/git/commits`).
pub fn git_commit(ctx: &Ctx<'_>, repo: &RepoState, commit: &Commit) -> Value {
    let full_name = repo.full_name();
    let oid = commit.oid.as_str();
    json!({
        "sha": oid,
        "node_id": format!("C_{}", &oid[..12]),
        "url": ctx.api_url(&format!("/repos/{full_name}/git/commits/{oid}")),
        "html_url": ctx.html_url(&format!("/{full_name}/commit/{oid}")),
        "author": signature(&commit.author),
        "committer": signature(&commit.committer),
        "tree": {"sha": commit.tree.as_str(), "url": ctx.api_url(&format!("/repos/{full_name}/git/trees/{}", commit.tree))},
        "message": commit.message,
        "parents": commit.parents.iter().map(|p| json!({
            "sha": p.as_str(),
            "url": ctx.api_url(&format!("/repos/{full_name}/git/commits/{p}")),
            "html_url": ctx.html_url(&format!("/{full_name}/commit/{p}")),
        })).collect::<Vec<_>>(),
        "verification": verification(repo.verified_commits.contains(oid)),
    })
}

/// A commit in the repository API's shape (compare, branches).
pub fn commit_resource(ctx: &Ctx<'_>, repo: &RepoState, commit: &Commit) -> Value {
    let full_name = repo.full_name();
    let oid = commit.oid.as_str();
    json!({
        "sha": oid,
        "node_id": format!("C_{}", &oid[..12]),
        "url": ctx.api_url(&format!("/repos/{full_name}/commits/{oid}")),
        "html_url": ctx.html_url(&format!("/{full_name}/commit/{oid}")),
        "comments_url": ctx.api_url(&format!("/repos/{full_name}/commits/{oid}/comments")),
        "commit": {
            "url": ctx.api_url(&format!("/repos/{full_name}/git/commits/{oid}")),
            "author": signature(&commit.author),
            "committer": signature(&commit.committer),
            "message": commit.message,
            "tree": {"sha": commit.tree.as_str(), "url": ctx.api_url(&format!("/repos/{full_name}/git/trees/{}", commit.tree))},
            "comment_count": 0,
            "verification": verification(repo.verified_commits.contains(oid)),
        },
        "author": null,
        "committer": null,
        "parents": commit.parents.iter().map(|p| json!({
            "sha": p.as_str(),
            "url": ctx.api_url(&format!("/repos/{full_name}/commits/{p}")),
            "html_url": ctx.html_url(&format!("/{full_name}/commit/{p}")),
        })).collect::<Vec<_>>(),
    })
}

/// A label object.
pub fn label(ctx: &Ctx<'_>, full_name: &str, name: &str) -> Value {
    let id = stable_id(&format!("{full_name}#{name}"));
    json!({
        "id": id,
        "node_id": format!("LA_{id}"),
        "url": ctx.api_url(&format!("/repos/{full_name}/labels/{}", crate::http::percent_encode(name))),
        "name": name,
        "color": "ededed",
        "default": false,
        "description": null,
    })
}

/// A branch side (`head` or `base`) of a pull request.
fn pull_side(ctx: &Ctx<'_>, repo: &RepoState, owner: &str, branch: &str, sha: &str) -> Value {
    json!({
        "label": format!("{owner}:{branch}"),
        "ref": branch,
        "sha": sha,
        "user": user(ctx, owner),
        "repo": self::repo(ctx, repo),
    })
}

/// The pull request object; `head.sha` is the branch's current head while the branch exists.
pub fn pull(ctx: &Ctx<'_>, repo: &RepoState, pr: &PullRequest) -> Value {
    let full_name = repo.full_name();
    let n = pr.number;
    let git = crate::git::BareRepo::open(&repo.git_dir(&ctx.emu.core.root));
    let head_sha = git
        .branch(&pr.head)
        .ok()
        .flatten()
        .map_or_else(|| pr.head_sha.clone(), |o| o.to_string());
    let base_sha = git
        .branch(&pr.base)
        .ok()
        .flatten()
        .map_or_else(|| pr.base_sha.clone(), |o| o.to_string());
    let mut value = json!({
        "url": ctx.api_url(&format!("/repos/{full_name}/pulls/{n}")),
        "id": pr.id,
        "node_id": format!("PR_{}", pr.id),
        "html_url": ctx.html_url(&format!("/{full_name}/pull/{n}")),
        "diff_url": ctx.html_url(&format!("/{full_name}/pull/{n}.diff")),
        "patch_url": ctx.html_url(&format!("/{full_name}/pull/{n}.patch")),
        "issue_url": ctx.api_url(&format!("/repos/{full_name}/issues/{n}")),
        "commits_url": ctx.api_url(&format!("/repos/{full_name}/pulls/{n}/commits")),
        "review_comments_url": ctx.api_url(&format!("/repos/{full_name}/pulls/{n}/comments")),
        "review_comment_url": ctx.api_url(&format!("/repos/{full_name}/pulls/comments{{/number}}")),
        "comments_url": ctx.api_url(&format!("/repos/{full_name}/issues/{n}/comments")),
        "statuses_url": ctx.api_url(&format!("/repos/{full_name}/statuses/{head_sha}")),
        "number": n,
        "state": pr.state.as_str(),
        "locked": false,
        "title": pr.title,
        "user": user(ctx, &pr.user),
        "body": pr.body,
        "labels": pr.labels.iter().map(|l| label(ctx, &full_name, l)).collect::<Vec<_>>(),
        "milestone": null,
        "active_lock_reason": null,
        "created_at": pr.created_at,
        "updated_at": pr.updated_at,
        "closed_at": pr.closed_at,
        "merged_at": pr.merged_at,
        "merge_commit_sha": pr.merge_commit_sha,
    });
    let rest = json!({
        "assignee": pr.assignees.first().map(|a| user(ctx, a)),
        "assignees": pr.assignees.iter().map(|a| user(ctx, a)).collect::<Vec<_>>(),
        "requested_reviewers": pr.requested_reviewers.iter().map(|a| user(ctx, a)).collect::<Vec<_>>(),
        "requested_teams": pr.requested_teams.iter().map(|t| team(ctx, &repo.owner, t)).collect::<Vec<_>>(),
        "head": pull_side(ctx, repo, &pr.head_owner, &pr.head, &head_sha),
        "base": pull_side(ctx, repo, &repo.owner, &pr.base, &base_sha),
        "_links": {
            "self": {"href": ctx.api_url(&format!("/repos/{full_name}/pulls/{n}"))},
            "html": {"href": ctx.html_url(&format!("/{full_name}/pull/{n}"))},
        },
        "author_association": "CONTRIBUTOR",
        "auto_merge": null,
        "draft": pr.draft,
        "merged": pr.merged,
        "mergeable": null,
        "rebaseable": null,
        "mergeable_state": "unknown",
        "merged_by": null,
        "comments": pr.comments.len(),
        "review_comments": 0,
        "maintainer_can_modify": pr.maintainer_can_modify,
        "commits": 1,
        "additions": 0,
        "deletions": 0,
        "changed_files": 0,
    });
    if let (Value::Object(value), Value::Object(rest)) = (&mut value, rest) {
        value.extend(rest);
    }
    value
}

/// A team object (for requested teams).
fn team(ctx: &Ctx<'_>, org: &str, slug: &str) -> Value {
    let id = stable_id(&format!("{org}/{slug}"));
    json!({
        "id": id,
        "node_id": format!("T_{id}"),
        "url": ctx.api_url(&format!("/orgs/{org}/teams/{slug}")),
        "html_url": ctx.html_url(&format!("/orgs/{org}/teams/{slug}")),
        "name": slug,
        "slug": slug,
        "description": null,
        "privacy": "closed",
        "permission": "pull",
        "members_url": ctx.api_url(&format!("/orgs/{org}/teams/{slug}/members{{/member}}")),
        "repositories_url": ctx.api_url(&format!("/orgs/{org}/teams/{slug}/repos")),
        "parent": null,
    })
}

/// The issue object of a pull request (the issues API's view of it).
pub fn issue(ctx: &Ctx<'_>, repo: &RepoState, pr: &PullRequest) -> Value {
    let full_name = repo.full_name();
    let n = pr.number;
    json!({
        "id": pr.id,
        "node_id": format!("I_{}", pr.id),
        "url": ctx.api_url(&format!("/repos/{full_name}/issues/{n}")),
        "repository_url": ctx.api_url(&format!("/repos/{full_name}")),
        "labels_url": ctx.api_url(&format!("/repos/{full_name}/issues/{n}/labels{{/name}}")),
        "comments_url": ctx.api_url(&format!("/repos/{full_name}/issues/{n}/comments")),
        "events_url": ctx.api_url(&format!("/repos/{full_name}/issues/{n}/events")),
        "html_url": ctx.html_url(&format!("/{full_name}/pull/{n}")),
        "number": n,
        "state": pr.state.as_str(),
        "title": pr.title,
        "body": pr.body,
        "user": user(ctx, &pr.user),
        "labels": pr.labels.iter().map(|l| label(ctx, &full_name, l)).collect::<Vec<_>>(),
        "assignee": pr.assignees.first().map(|a| user(ctx, a)),
        "assignees": pr.assignees.iter().map(|a| user(ctx, a)).collect::<Vec<_>>(),
        "milestone": null,
        "locked": false,
        "comments": pr.comments.len(),
        "pull_request": {
            "url": ctx.api_url(&format!("/repos/{full_name}/pulls/{n}")),
            "html_url": ctx.html_url(&format!("/{full_name}/pull/{n}")),
            "diff_url": ctx.html_url(&format!("/{full_name}/pull/{n}.diff")),
            "patch_url": ctx.html_url(&format!("/{full_name}/pull/{n}.patch")),
        },
        "closed_at": pr.closed_at,
        "created_at": pr.created_at,
        "updated_at": pr.updated_at,
        "author_association": "CONTRIBUTOR",
    })
}

/// An issue comment object.
pub fn comment(ctx: &Ctx<'_>, full_name: &str, number: u64, comment: &Comment) -> Value {
    json!({
        "id": comment.id,
        "node_id": format!("IC_{}", comment.id),
        "url": ctx.api_url(&format!("/repos/{full_name}/issues/comments/{}", comment.id)),
        "html_url": ctx.html_url(&format!("/{full_name}/pull/{number}#issuecomment-{}", comment.id)),
        "issue_url": ctx.api_url(&format!("/repos/{full_name}/issues/{number}")),
        "body": comment.body,
        "user": user(ctx, &comment.user),
        "created_at": comment.created_at,
        "updated_at": comment.created_at,
        "author_association": "CONTRIBUTOR",
    })
}
