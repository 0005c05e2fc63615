//! GitHub: Git Data API tree entries and the GraphQL `createCommitOnBranch` mutation.
//!
//! The shell decides nothing here: it asks [`tree_item`] how each written file travels (a
//! reference to a blob the repository already has, inline text, or a blob upload), groups the
//! items with [`chunks`], and sends them.

use base64::Engine;
use gix_hash::ObjectId;
use serde::Serialize;

use crate::changeset::BranchTree;
use crate::snapshot::Mode;

/// Inline `content` in a tree request is limited to text; keep each inline file small so one
/// tree request stays well below GitHub's request size limits.
pub const INLINE_MAX_BYTES: usize = 256 * 1024;
/// Entries per tree request (each request builds on the previous one's tree).
pub const TREE_CHUNK_ENTRIES: usize = 1000;
/// Bytes of inline content per tree request.
pub const TREE_CHUNK_BYTES: usize = 4 << 20;
/// Largest GraphQL request body we send; beyond it the REST path is used.
pub const GRAPHQL_MAX_BYTES: usize = 40 << 20;
/// GitHub refuses files over 100 MiB.
pub const MAX_FILE_BYTES: u64 = 100 << 20;

/// One entry of `POST /repos/{owner}/{repo}/git/trees`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(untagged)]
pub enum TreeItem {
    /// A blob the repository has.
    Blob {
        /// Repository path.
        path: String,
        /// Octal mode.
        mode: &'static str,
        /// Always `blob`.
        #[serde(rename = "type")]
        kind: &'static str,
        /// The blob id.
        sha: String,
    },
    /// Text content GitHub turns into a blob.
    Inline {
        /// Repository path.
        path: String,
        /// Octal mode.
        mode: &'static str,
        /// Always `blob`.
        #[serde(rename = "type")]
        kind: &'static str,
        /// UTF-8 content.
        content: String,
    },
    /// A deletion: `sha: null`.
    Delete {
        /// Repository path.
        path: String,
        /// Octal mode (GitHub requires one).
        mode: &'static str,
        /// Always `blob`.
        #[serde(rename = "type")]
        kind: &'static str,
        /// Always null.
        sha: Option<String>,
    },
}

impl TreeItem {
    fn weight(&self) -> usize {
        match self {
            TreeItem::Inline { content, .. } => content.len(),
            _ => 0,
        }
    }

    /// A deletion of `path`.
    pub fn delete(path: &str) -> Self {
        TreeItem::Delete {
            path: path.to_owned(),
            mode: Mode::Regular.as_str(),
            kind: "blob",
            sha: None,
        }
    }

    /// A reference to a blob the repository has (or that was just uploaded).
    pub fn blob(path: &str, mode: Mode, oid: &ObjectId) -> Self {
        TreeItem::Blob {
            path: path.to_owned(),
            mode: mode.as_str(),
            kind: "blob",
            sha: oid.to_string(),
        }
    }
}

/// How one written file travels.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TreeItemPlan {
    /// Ready to send.
    Item(TreeItem),
    /// Upload the blob first (`POST .../git/blobs`, base64), then reference it with
    /// [`TreeItem::blob`].
    UploadBlob,
}

/// Decide how a written file travels: by reference when the repository already has the blob
/// (`exists`, e.g. a rename or a revert), inline when it is small UTF-8 text, else as an
/// uploaded blob. `content` may be `None` only when `exists` is true.
pub fn tree_item(
    path: &str,
    mode: Mode,
    oid: &ObjectId,
    content: Option<&[u8]>,
    exists: bool,
) -> TreeItemPlan {
    if exists {
        return TreeItemPlan::Item(TreeItem::blob(path, mode, oid));
    }
    match content.map(std::str::from_utf8) {
        Some(Ok(text)) if text.len() <= INLINE_MAX_BYTES => TreeItemPlan::Item(TreeItem::Inline {
            path: path.to_owned(),
            mode: mode.as_str(),
            kind: "blob",
            content: text.to_owned(),
        }),
        _ => TreeItemPlan::UploadBlob,
    }
}

/// The body of `POST .../git/blobs` for `content`.
pub fn blob_request(content: &[u8]) -> serde_json::Value {
    serde_json::json!({
        "content": base64::engine::general_purpose::STANDARD.encode(content),
        "encoding": "base64",
    })
}

/// Split tree items into requests bounded by [`TREE_CHUNK_ENTRIES`] and [`TREE_CHUNK_BYTES`].
pub fn chunks(items: Vec<TreeItem>) -> Vec<Vec<TreeItem>> {
    let mut out: Vec<Vec<TreeItem>> = Vec::new();
    let mut bytes = 0;
    for item in items {
        let w = item.weight();
        match out.last_mut() {
            Some(last) if last.len() < TREE_CHUNK_ENTRIES && bytes + w <= TREE_CHUNK_BYTES => {
                bytes += w;
                last.push(item);
            }
            _ => {
                bytes = w;
                out.push(vec![item]);
            }
        }
    }
    out
}

/// The body of `POST .../git/trees`.
pub fn tree_request(base_tree: &ObjectId, items: &[TreeItem]) -> serde_json::Value {
    serde_json::json!({ "base_tree": base_tree.to_string(), "tree": items })
}

/// A commit's author or committer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Signature {
    /// Name.
    pub name: String,
    /// Email.
    pub email: String,
}

impl Signature {
    /// Parse `Name <email>`.
    pub fn parse(text: &str) -> Option<Signature> {
        let (name, rest) = text.split_once('<')?;
        let email = rest.strip_suffix('>')?.trim();
        let name = name.trim();
        (!name.is_empty() && email.contains('@')).then(|| Signature {
            name: name.to_owned(),
            email: email.to_owned(),
        })
    }
}

/// The body of `POST .../git/commits`. With no author, GitHub uses the token's identity and
/// signs the commit (verified), which is why gensync sends none unless asked.
pub fn commit_request(
    message: &str,
    tree: &ObjectId,
    parent: &ObjectId,
    author: Option<&Signature>,
) -> serde_json::Value {
    let mut v = serde_json::json!({
        "message": message,
        "tree": tree.to_string(),
        "parents": [parent.to_string()],
    });
    if let Some(a) = author {
        v["author"] = serde_json::to_value(a).expect("plain struct");
        v["committer"] = serde_json::to_value(a).expect("plain struct");
    }
    v
}

/// Why the GraphQL mutation cannot carry this commit, or `None` if it can.
/// `createCommitOnBranch` creates regular files only and cannot set the author.
pub fn graphql_unsupported(
    writes: &[(&str, Mode)],
    branch: &BranchTree,
    author: bool,
    payload_bytes: usize,
) -> Option<String> {
    if author {
        return Some("--author is set and createCommitOnBranch cannot set the author".into());
    }
    if let Some((p, m)) = writes.iter().find(|(_, m)| *m != Mode::Regular) {
        return Some(format!(
            "{p} has mode {m} and createCommitOnBranch writes regular files only"
        ));
    }
    if let Some((p, _)) = writes
        .iter()
        .find(|(p, _)| branch.get(*p).is_some_and(|e| e.mode != Mode::Regular))
    {
        return Some(format!(
            "{p} is not a regular file on the branch and createCommitOnBranch cannot change modes"
        ));
    }
    if payload_bytes > GRAPHQL_MAX_BYTES {
        return Some(format!("the commit carries {payload_bytes} bytes, over the {GRAPHQL_MAX_BYTES}-byte GraphQL budget"));
    }
    None
}

/// The GraphQL document of the mutation (GraphQL documents here carry no layout whitespace:
/// every request body byte counts against the upload budget of a sync).
pub const CREATE_COMMIT_ON_BRANCH: &str = "mutation CreateCommitOnBranch($input:CreateCommitOnBranchInput!){createCommitOnBranch(input:$input){commit{oid}}}";

/// The request body of a `createCommitOnBranch` mutation.
pub fn create_commit_on_branch(
    repository: &str,
    branch: &str,
    expected_head: &ObjectId,
    message: &str,
    additions: &[(&str, &[u8])],
    deletions: &[&str],
) -> serde_json::Value {
    let (headline, body) = match message.split_once("\n\n") {
        Some((h, b)) => (h.trim(), b.trim_end()),
        None => (message.trim(), ""),
    };
    let b64 = base64::engine::general_purpose::STANDARD;
    serde_json::json!({
        "query": CREATE_COMMIT_ON_BRANCH,
        "variables": {
            "input": {
                "branch": { "repositoryNameWithOwner": repository, "branchName": branch },
                "message": { "headline": headline, "body": body },
                "expectedHeadOid": expected_head.to_string(),
                "fileChanges": {
                    "additions": additions.iter().map(|(p, c)| serde_json::json!({ "path": p, "contents": b64.encode(c) })).collect::<Vec<_>>(),
                    "deletions": deletions.iter().map(|p| serde_json::json!({ "path": p })).collect::<Vec<_>>(),
                }
            }
        }
    })
}

/// How many open pull requests from the sync branch [`prefetch_query`] lists (GitHub keeps one
/// open pull request per head and base; others come from forks or target other bases).
pub const PREFETCH_PULL_REQUESTS: usize = 20;

/// What [`prefetch_query`] asks for: the reads of one sync attempt.
#[derive(Debug, Clone, Copy)]
pub struct Prefetch<'a> {
    /// Repository owner.
    pub owner: &'a str,
    /// Repository name.
    pub name: &'a str,
    /// The base branch when it is given; `None` reads it from `defaultBranchRef`.
    pub base: Option<&'a str>,
    /// The sync branch.
    pub branch: &'a str,
    /// Files read at the head of the sync branch and of the base (and default) branch; answered
    /// as aliases `f0`, `f1`, … in this order.
    pub paths: &'a [String],
    /// Whether to list the open pull requests from `branch` (into `base` when it is given).
    pub pull_requests: bool,
}

/// The request body of the one GraphQL query that gathers the reads of a sync attempt: whether
/// the repository is empty, its default branch, the heads of the base and sync branches with
/// their root trees and the files at `paths` (blob id and text) in those very commits
/// (`Commit.file`, so files and heads cannot come from different moments), and the open pull
/// requests from the sync branch.
///
/// The answer's `repository` has `isEmpty`, `defaultBranchRef`, `base` (only when a base is
/// given), `branch` (each a `Ref` or null: `name`, `target { oid tree { oid } f0 … }`, each `fN`
/// a `TreeEntry` or null whose `object` is a `Blob` with `oid isBinary isTruncated text`) and, when asked, `pullRequests { nodes { id number url baseRefName isCrossRepository }
/// pageInfo { hasNextPage } }`.
pub fn prefetch_query(q: &Prefetch<'_>) -> serde_json::Value {
    use std::fmt::Write as _;
    let mut params = String::from("$owner:String!,$name:String!,$branch:String!");
    let mut variables = serde_json::json!({
        "owner": q.owner,
        "name": q.name,
        "branch": format!("refs/heads/{}", q.branch),
    });
    let mut body =
        String::from("repository(owner:$owner,name:$name){id isEmpty defaultBranchRef{...Head}");
    if let Some(base) = q.base {
        params.push_str(",$base:String!");
        variables["base"] = format!("refs/heads/{base}").into();
        body.push_str(" base:ref(qualifiedName:$base){...Head}");
    }
    body.push_str(" branch:ref(qualifiedName:$branch){...Head}");
    if q.pull_requests {
        params.push_str(",$head:String!");
        variables["head"] = q.branch.into();
        let base_filter = match q.base {
            Some(base) => {
                params.push_str(",$baseName:String!");
                variables["baseName"] = base.into();
                ",baseRefName:$baseName"
            }
            None => "",
        };
        let _ = write!(
            body,
            " pullRequests(headRefName:$head{base_filter},states:[OPEN],first:{PREFETCH_PULL_REQUESTS}){{nodes{{id number url baseRefName isCrossRepository}}pageInfo{{hasNextPage}}}}"
        );
    }
    body.push('}');
    let mut files = String::new();
    for (i, path) in q.paths.iter().enumerate() {
        let _ = write!(params, ",$p{i}:String!");
        variables[format!("p{i}")] = path.as_str().into();
        let _ = write!(files, " f{i}:file(path:$p{i}){{...File}}");
    }
    let query = format!(
        "query GensyncPrefetch({params}){{{body}}}fragment Head on Ref{{name target{{oid ...on Commit{{tree{{oid}}{files}}}}}}}fragment File on TreeEntry{{object{{...on Blob{{oid isBinary isTruncated text}}}}}}"
    );
    serde_json::json!({ "query": query, "variables": variables })
}

/// The GraphQL document that moves, creates or deletes refs atomically, each only if it points
/// at its `beforeOid` (a compare-and-swap; zeros: it must not exist).
pub const UPDATE_REFS: &str = "mutation GensyncUpdateRefs($input:UpdateRefsInput!){updateRefs(input:$input){clientMutationId}}";

/// The all-zero object id: as `beforeOid`, "must not exist"; as `afterOid`, "delete".
pub const ZERO_OID: &str = "0000000000000000000000000000000000000000";

/// The request body of [`UPDATE_REFS`] for the repository with node id `repository_id`: one
/// update of `refs/heads/{branch}` from `before` (`None`: the branch must not exist) to `after`
/// (`None`: delete it), without force.
pub fn update_ref(
    repository_id: &str,
    branch: &str,
    before: Option<&ObjectId>,
    after: Option<&ObjectId>,
) -> serde_json::Value {
    let oid = |o: Option<&ObjectId>| o.map_or(ZERO_OID.to_owned(), ObjectId::to_string);
    serde_json::json!({
        "query": UPDATE_REFS,
        "variables": {
            "input": {
                "repositoryId": repository_id,
                "refUpdates": [{
                    "name": format!("refs/heads/{branch}"),
                    "beforeOid": oid(before),
                    "afterOid": oid(after),
                    "force": false,
                }],
            }
        }
    })
}

/// The GraphQL document that refreshes an open pull request and comments on it, in one request.
pub const UPDATE_PULL_REQUEST: &str = "mutation GensyncUpdatePullRequest($id:ID!,$title:String!,$body:String!,$comment:String!){updatePullRequest(input:{pullRequestId:$id,title:$title,body:$body}){pullRequest{number}}addComment(input:{subjectId:$id,body:$comment}){commentEdge{node{id}}}}";

/// The request body of [`UPDATE_PULL_REQUEST`] for the pull request with node id `id`.
pub fn update_pull_request(id: &str, title: &str, body: &str, comment: &str) -> serde_json::Value {
    serde_json::json!({
        "query": UPDATE_PULL_REQUEST,
        "variables": { "id": id, "title": title, "body": body, "comment": comment },
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn oid() -> ObjectId {
        crate::hash_blob(gix_hash::Kind::Sha1, b"x")
    }

    #[test]
    fn deletions_serialise_sha_null_and_inline_has_no_sha() {
        let v = serde_json::to_value(TreeItem::delete("a/b")).unwrap();
        assert_eq!(
            v,
            serde_json::json!({"path": "a/b", "mode": "100644", "type": "blob", "sha": null})
        );
        let TreeItemPlan::Item(item) = tree_item("t", Mode::Executable, &oid(), Some(b"hi"), false)
        else {
            panic!()
        };
        assert_eq!(
            serde_json::to_value(item).unwrap(),
            serde_json::json!({"path": "t", "mode": "100755", "type": "blob", "content": "hi"})
        );
        assert_eq!(
            tree_item("b", Mode::Regular, &oid(), Some(&[0xff, 0]), false),
            TreeItemPlan::UploadBlob
        );
        assert!(matches!(
            tree_item("r", Mode::Regular, &oid(), None, true),
            TreeItemPlan::Item(TreeItem::Blob { .. })
        ));
    }

    #[test]
    fn chunks_are_bounded() {
        let items: Vec<_> = (0..2500)
            .map(|i| TreeItem::delete(&format!("f{i}")))
            .collect();
        let c = chunks(items);
        assert_eq!(
            c.iter().map(Vec::len).collect::<Vec<_>>(),
            vec![1000, 1000, 500]
        );
    }

    #[test]
    fn signature_parses() {
        assert_eq!(
            Signature::parse("Bot Name <bot@example.com>").unwrap().name,
            "Bot Name"
        );
        assert!(Signature::parse("no email").is_none());
    }

    #[test]
    fn graphql_body_splits_headline() {
        let v = create_commit_on_branch(
            "o/r",
            "amplication",
            &oid(),
            "Title\n\nBody\n",
            &[("a", b"x")],
            &["d"],
        );
        assert_eq!(v["variables"]["input"]["message"]["headline"], "Title");
        assert_eq!(v["variables"]["input"]["message"]["body"], "Body");
        assert_eq!(
            v["variables"]["input"]["fileChanges"]["additions"][0]["contents"],
            "eA=="
        );
    }

    #[test]
    fn prefetch_query_declares_what_it_uses() {
        let paths = vec![
            ".amplication/manifest".to_owned(),
            ".amplicationignore".to_owned(),
        ];
        let v = prefetch_query(&Prefetch {
            owner: "acme",
            name: "app",
            base: Some("develop"),
            branch: "amplication",
            paths: &paths,
            pull_requests: true,
        });
        let q = v["query"].as_str().unwrap();
        for used in [
            "$owner",
            "$name",
            "$branch",
            "$base",
            "$head",
            "$baseName",
            "$p0",
            "$p1",
        ] {
            assert!(
                q.contains(&format!("{used}:String!")),
                "{used} declared in {q}"
            );
        }
        assert!(q.contains("f1:file(path:$p1)"));
        assert_eq!(v["variables"]["branch"], "refs/heads/amplication");
        assert_eq!(v["variables"]["base"], "refs/heads/develop");
        assert_eq!(v["variables"]["p1"], ".amplicationignore");

        let v = prefetch_query(&Prefetch {
            owner: "acme",
            name: "app",
            base: None,
            branch: "amplication",
            paths: &paths,
            pull_requests: false,
        });
        let q = v["query"].as_str().unwrap();
        assert!(!q.contains("$base") && !q.contains("pullRequests") && !q.contains("$head"));
    }
}
