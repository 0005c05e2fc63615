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
use serde_json::Value;

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

/// Learns from the answer to
/// [`prefetch_query`](gensync_core::payload::github::prefetch_query) for `wanted`. An answer
/// with errors is refused whole (a field may be null because of an error rather than because
/// nothing is there); an empty repository teaches nothing (REST knows its default branch's
/// name).
pub(super) fn absorb(
    answer: &Value,
    wanted: &Prefetch<'_>,
    view: &mut View,
    objects: &mut Objects,
) -> anyhow::Result<()> {
    if let Some(errors) = answer
        .get("errors")
        .and_then(Value::as_array)
        .filter(|e| !e.is_empty())
    {
        let messages: Vec<&str> = errors
            .iter()
            .filter_map(|e| e.get("message").and_then(Value::as_str))
            .collect();
        bail!("{}", messages.join("; "));
    }
    let repo = answer
        .pointer("/data/repository")
        .filter(|r| r.is_object())
        .context("the answer has no repository")?;
    if let Some(id) = repo["id"].as_str() {
        objects.repository_id = Some(id.to_owned());
    }
    if repo["isEmpty"].as_bool() != Some(false) {
        return Ok(());
    }
    let default = &repo["defaultBranchRef"];
    let Some(default_name) = default["name"].as_str() else {
        // No default branch although there are commits: let REST say what is wrong.
        return Ok(());
    };
    let mut learnt = View {
        repo: Some(RepoInfo {
            default_branch: default_name.to_owned(),
            empty: false,
        }),
        ..View::default()
    };
    head(default, default_name, wanted.paths, &mut learnt, objects)?;
    if let Some(base) = wanted.base {
        head(&repo["base"], base, wanted.paths, &mut learnt, objects)?;
    }
    head(
        &repo["branch"],
        wanted.branch,
        wanted.paths,
        &mut learnt,
        objects,
    )?;
    if wanted.pull_request {
        let base = wanted.base.unwrap_or(default_name);
        let pulls = &repo["pullRequests"];
        let nodes = pulls["nodes"]
            .as_array()
            .context("the answer lists no pull requests")?;
        let found = nodes.iter().find(|n| {
            n["isCrossRepository"] == Value::Bool(false) && n["baseRefName"].as_str() == Some(base)
        });
        match found {
            Some(n) => {
                let number = n["number"]
                    .as_u64()
                    .context("a pull request without number")?;
                let url = n["url"].as_str().context("a pull request without url")?;
                let id = n["id"].as_str().context("a pull request without id")?;
                objects.pull_ids.insert(number, id.to_owned());
                learnt.pulls.insert(
                    (wanted.branch.to_owned(), base.to_owned()),
                    Some(PullRequest {
                        number,
                        url: url.to_owned(),
                    }),
                );
            }
            // More pages might hold it: leave the question to REST.
            None if pulls["pageInfo"]["hasNextPage"] == Value::Bool(true) => {}
            None => {
                learnt
                    .pulls
                    .insert((wanted.branch.to_owned(), base.to_owned()), None);
            }
        }
    }
    *view = learnt;
    Ok(())
}

/// Learns a branch head (a `Ref` or null) with its tree and the files asked for.
fn head(
    reference: &Value,
    branch: &str,
    paths: &[String],
    view: &mut View,
    objects: &mut Objects,
) -> anyhow::Result<()> {
    if reference.is_null() {
        view.heads.insert(branch.to_owned(), None);
        return Ok(());
    }
    let target = &reference["target"];
    let commit = oid(&target["oid"]).with_context(|| format!("the head of {branch}"))?;
    view.heads.insert(branch.to_owned(), Some(commit));
    let Ok(tree) = oid(&target["tree"]["oid"]) else {
        // Not a commit: nothing more to learn.
        return Ok(());
    };
    objects.trees.insert(commit, tree);
    for (i, path) in paths.iter().enumerate() {
        let entry = &target[format!("f{i}").as_str()];
        // A path that is a folder or a submodule is no file, as in a tree listing.
        let blob = match entry.get("object").and_then(|o| o.get("oid")) {
            Some(id) => Some(oid(id).with_context(|| format!("{path} in {branch}"))?),
            None => None,
        };
        if let Some(id) = blob {
            if let Some(data) = checked_text(&entry["object"], &id) {
                objects.blobs.insert(id, data);
            }
        }
        objects.files.insert((commit, path.clone()), blob);
    }
    Ok(())
}

/// The blob's bytes when its `text` is the whole blob: not binary, not truncated, and hashing
/// to its id (GraphQL answers text, which may not round-trip bytes that are not UTF-8).
fn checked_text(blob: &Value, id: &ObjectId) -> Option<Vec<u8>> {
    if blob["isBinary"] == Value::Bool(true) || blob["isTruncated"] != Value::Bool(false) {
        return None;
    }
    let data = blob["text"].as_str()?.as_bytes().to_vec();
    (gensync_core::hash_blob(id.kind(), &data) == *id).then_some(data)
}

fn oid(value: &Value) -> anyhow::Result<ObjectId> {
    let hex = value.as_str().context("no object id")?;
    Ok(ObjectId::from_hex(hex.as_bytes())?)
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

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
        absorb(&answer, &wanted, &mut view, &mut objects).expect("absorbed");
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
        absorb(&answer, &wanted, &mut view, &mut objects).expect("absorbed");
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
        let err = absorb(&failed, &wanted, &mut view, &mut objects).expect_err("refused");
        assert!(err.to_string().contains("Could not resolve"));
        let empty = json!({"data": {"repository": {"isEmpty": true, "defaultBranchRef": null, "branch": null}}});
        absorb(&empty, &wanted, &mut view, &mut objects).expect("absorbed");
        assert!(view.repo.is_none() && view.heads.is_empty());
    }

    #[test]
    fn text_that_does_not_hash_to_the_blob_id_is_not_kept() {
        let (_, mut value) = blob("abc");
        value["text"] = json!("abd");
        let oid = oid(&value["oid"]).expect("oid");
        assert_eq!(checked_text(&value, &oid), None);
        value["text"] = json!("abc");
        assert_eq!(checked_text(&value, &oid), Some(b"abc".to_vec()));
    }
}
