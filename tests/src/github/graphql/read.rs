//! GraphQL reads: `repository(owner:, name:)` with its default branch, `ref(qualifiedName:)`,
//! `object(expression:|oid:)`, commits with `tree` and `file(path:)`, blobs (text, binary
//! detection and GitHub's 512,000-byte text truncation) and `pullRequests(…)` connections.
//!
//! Objects whose fields take arguments (repositories, refs, commits) are resolved field by
//! field; everything below them is built as data with `__typename`s and shaped by
//! [`super::project`]. Missing refs, objects and files are `null`, as on GitHub.

use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use graphql_parser::query::{Field, SelectionSet};
use serde_json::{json, Map, Value};

use super::{collect_fields, project, to_json, FieldError, Fragments};
use crate::emulator::RepoRecord as _;
use crate::git::{BareRepo, ObjectKind, Oid};
use crate::github::api::Caller;
use crate::github::config::stable_id;
use crate::github::server::Emulator;
use crate::github::state::{PullRequest, PullState, RepoState, State};

/// GitHub answers at most this many bytes of a blob's `text` (and sets `isTruncated`).
pub const BLOB_TEXT_LIMIT: usize = 512_000;

/// A value being resolved.
enum Node<'s> {
    /// A repository (fields with arguments: `ref`, `object`, `pullRequests`).
    Repository(&'s RepoState),
    /// A ref, by full name, and what it points to.
    Ref {
        repo: &'s RepoState,
        name: String,
        target: Oid,
    },
    /// A commit (fields with arguments: `file`).
    Commit { repo: &'s RepoState, oid: Oid },
    /// Plain data with `__typename`s.
    Data(Value),
}

/// Answers the root fields of a query.
pub(super) struct Reader<'a, 's> {
    /// The emulator (root directory, URLs).
    pub emu: &'s Emulator,
    /// Its state (read only).
    pub state: &'s State,
    /// Who asks.
    pub caller: &'s Caller,
    /// The document's fragments.
    pub fragments: &'a Fragments<'a>,
    /// The operation's variables, defaults applied.
    pub variables: &'a Map<String, Value>,
}

fn unsupported(message: String) -> FieldError {
    FieldError::new("EMULATOR_UNSUPPORTED", message)
}

fn internal(e: crate::git::Error) -> FieldError {
    FieldError::new("INTERNAL", format!("emulator failure: {e}"))
}

impl<'a, 's> Reader<'a, 's> {
    /// One root field of the query.
    pub fn root_field(&self, field: &'a Field<'a, &'a str>) -> Result<Value, FieldError> {
        match field.name {
            "repository" => {
                let args = self.args(field);
                let owner = args["owner"].as_str().unwrap_or_default();
                let name = args["name"].as_str().unwrap_or_default();
                let full_name = format!("{owner}/{name}");
                let visible = match self.caller {
                    Caller::Token(token) => token.can_see(&full_name),
                    Caller::App(_) => false,
                };
                let repo =
                    self.state
                        .repo(&full_name)
                        .filter(|_| visible)
                        .ok_or_else(|| {
                            FieldError::new(
                        "NOT_FOUND",
                        format!("Could not resolve to a Repository with the name '{full_name}'."),
                    )
                        })?;
                self.shape(Node::Repository(repo), &field.selection_set)
            }
            other => Err(unsupported(format!(
                "The emulator does not implement the query field {other}."
            ))),
        }
    }

    fn args(&self, field: &'a Field<'a, &'a str>) -> Value {
        Value::Object(
            field
                .arguments
                .iter()
                .map(|(name, v)| ((*name).to_owned(), to_json(v, self.variables)))
                .collect(),
        )
    }

    fn shape(
        &self,
        node: Node<'s>,
        set: &'a SelectionSet<'a, &'a str>,
    ) -> Result<Value, FieldError> {
        let type_name = match &node {
            Node::Data(value) => return project(value, set, self.fragments, self.variables),
            Node::Repository(_) => "Repository",
            Node::Ref { .. } => "Ref",
            Node::Commit { .. } => "Commit",
        };
        let mut out = Map::new();
        for field in collect_fields(set, self.fragments, type_name, self.variables) {
            let key = field.alias.unwrap_or(field.name).to_owned();
            let value = if field.name == "__typename" {
                json!(type_name)
            } else {
                match self.field(&node, field)? {
                    Node::Data(value) if field.selection_set.items.is_empty() => value,
                    child => self.shape(child, &field.selection_set)?,
                }
            };
            out.insert(key, value);
        }
        Ok(Value::Object(out))
    }

    fn field(
        &self,
        node: &Node<'s>,
        field: &'a Field<'a, &'a str>,
    ) -> Result<Node<'s>, FieldError> {
        let args = self.args(field);
        match node {
            Node::Repository(repo) => self.repository_field(repo, field.name, &args),
            Node::Ref { repo, name, target } => {
                let git = self.git(repo);
                match field.name {
                    "target" => object(repo, &git, target),
                    other => data_field(&ref_data(repo, name), "Ref", other),
                }
            }
            Node::Commit { repo, oid } => {
                let git = self.git(repo);
                match field.name {
                    "file" => {
                        let path = args["path"].as_str().unwrap_or_default();
                        tree_entry(&git, oid, path).map(Node::Data)
                    }
                    other => {
                        let commit = git.read_commit(oid).map_err(internal)?;
                        let data = commit_data(self.emu, repo, &commit);
                        data_field(&data, "Commit", other)
                    }
                }
            }
            Node::Data(_) => unreachable!("data is shaped by project"),
        }
    }

    fn git(&self, repo: &RepoState) -> BareRepo {
        BareRepo::open(&repo.git_dir(&self.emu.core.root))
    }

    fn repository_field(
        &self,
        repo: &'s RepoState,
        name: &str,
        args: &Value,
    ) -> Result<Node<'s>, FieldError> {
        let git = self.git(repo);
        Ok(match name {
            "isEmpty" => Node::Data(json!(git.is_empty().map_err(internal)?)),
            "defaultBranchRef" => {
                let branch = git.head_branch().map_err(internal)?;
                let name = format!("refs/heads/{branch}");
                match git.resolve_ref(&name).map_err(internal)? {
                    Some(target) => Node::Ref { repo, name, target },
                    None => Node::Data(Value::Null),
                }
            }
            "ref" => {
                let qualified = args["qualifiedName"].as_str().unwrap_or_default();
                // Full names first, then short names as branches, then as tags.
                let candidates = if qualified.starts_with("refs/") {
                    vec![qualified.to_owned()]
                } else {
                    vec![
                        format!("refs/heads/{qualified}"),
                        format!("refs/tags/{qualified}"),
                    ]
                };
                let mut found = Node::Data(Value::Null);
                for name in candidates {
                    if let Some(target) = git.resolve_ref(&name).map_err(internal)? {
                        found = Node::Ref { repo, name, target };
                        break;
                    }
                }
                found
            }
            "object" => {
                let expression = args["expression"]
                    .as_str()
                    .or_else(|| args["oid"].as_str())
                    .unwrap_or_default();
                match git.rev_parse(expression).map_err(internal)? {
                    Some(oid) => object(repo, &git, &oid)?,
                    None => Node::Data(Value::Null),
                }
            }
            "pullRequests" => Node::Data(pull_requests(self.emu, repo, args)?),
            other => data_field(&repository_data(self.emu, repo), "Repository", other)?,
        })
    }
}

/// Field `name` of `data`, or an error naming what the emulator does not model.
fn data_field<'s>(data: &Value, type_name: &str, name: &str) -> Result<Node<'s>, FieldError> {
    data.get(name).cloned().map(Node::Data).ok_or_else(|| {
        unsupported(format!(
            "The emulator does not implement {type_name}.{name}."
        ))
    })
}

fn repository_data(emu: &Emulator, repo: &RepoState) -> Value {
    let full_name = repo.full_name();
    json!({
        "__typename": "Repository",
        "id": format!("R_{}", repo.id),
        "databaseId": repo.id,
        "name": repo.name,
        "nameWithOwner": full_name,
        "url": format!("{}/{full_name}", emu.urls.web),
        "isPrivate": repo.private,
        "visibility": if repo.private { "PRIVATE" } else { "PUBLIC" },
        "description": repo.description,
        "createdAt": repo.created_at,
    })
}

fn ref_data(repo: &RepoState, name: &str) -> Value {
    let (prefix, short) = ["refs/heads/", "refs/tags/"]
        .iter()
        .find_map(|p| name.strip_prefix(p).map(|s| (*p, s)))
        .unwrap_or(("refs/", name.trim_start_matches("refs/")));
    json!({
        "__typename": "Ref",
        "id": format!("REF_{}", stable_id(&format!("{}:{name}", repo.full_name()))),
        "name": short,
        "prefix": prefix,
    })
}

/// The object `oid`: a commit node, or blob, tree or tag data; `null` when there is none.
fn object<'s>(repo: &'s RepoState, git: &BareRepo, oid: &Oid) -> Result<Node<'s>, FieldError> {
    Ok(match git.object_kind(oid).map_err(internal)? {
        Some(ObjectKind::Commit) => Node::Commit {
            repo,
            oid: oid.clone(),
        },
        Some(ObjectKind::Blob) => Node::Data(blob_data(git, oid)?),
        Some(ObjectKind::Tree) => Node::Data(tree_data(oid)),
        Some(ObjectKind::Tag) => Node::Data(json!({
            "__typename": "Tag",
            "id": format!("TAG_{}", short_id(oid)),
            "oid": oid.as_str(),
            "abbreviatedOid": &oid.as_str()[..7],
        })),
        None => Node::Data(Value::Null),
    })
}

fn short_id(oid: &Oid) -> &str {
    &oid.as_str()[..12]
}

fn commit_data(emu: &Emulator, repo: &RepoState, commit: &crate::git::Commit) -> Value {
    let full = repo.full_name();
    let oid = commit.oid.as_str();
    let url = format!("{}/{full}/commit/{oid}", emu.urls.web);
    let (headline, body) = match commit.message.split_once('\n') {
        Some((h, b)) => (h, b.trim_start_matches('\n')),
        None => (commit.message.as_str(), ""),
    };
    let person = |sig: &crate::git::Signature| json!({"__typename": "GitActor", "name": sig.name, "email": sig.email, "date": sig.date_rfc3339()});
    let verified = repo.verified_commits.contains(oid);
    json!({
        "__typename": "Commit",
        "id": format!("C_{}", short_id(&commit.oid)),
        "oid": oid,
        "abbreviatedOid": &oid[..7],
        "url": url,
        "commitUrl": url,
        "resourcePath": format!("/{full}/commit/{oid}"),
        "message": commit.message,
        "messageHeadline": headline,
        "messageBody": body.trim_end(),
        "committedDate": commit.committer.date_rfc3339(),
        "authoredDate": commit.author.date_rfc3339(),
        "author": person(&commit.author),
        "committer": person(&commit.committer),
        "tree": tree_data(&commit.tree),
        "signature": if verified {
            json!({"__typename": "GpgSignature", "isValid": true, "state": "VALID", "wasSignedByGitHub": true})
        } else {
            Value::Null
        },
    })
}

fn tree_data(oid: &Oid) -> Value {
    json!({
        "__typename": "Tree",
        "id": format!("T_{}", short_id(oid)),
        "oid": oid.as_str(),
        "abbreviatedOid": &oid.as_str()[..7],
    })
}

/// A blob as GitHub shows it: `text` is `null` for a binary blob (git's test: a NUL byte in
/// the first 8,000 bytes) and cut at [`BLOB_TEXT_LIMIT`] bytes with `isTruncated`.
fn blob_data(git: &BareRepo, oid: &Oid) -> Result<Value, FieldError> {
    let data = git.read_blob(oid).map_err(internal)?;
    let binary = data[..data.len().min(8000)].contains(&0);
    let truncated = !binary && data.len() > BLOB_TEXT_LIMIT;
    let text = if binary {
        Value::Null
    } else {
        let mut end = data.len().min(BLOB_TEXT_LIMIT);
        // Cut on a character boundary (as a Ruby string slice would).
        while end < data.len() && end > 0 && (data[end] & 0xc0) == 0x80 {
            end -= 1;
        }
        json!(String::from_utf8_lossy(&data[..end]))
    };
    Ok(json!({
        "__typename": "Blob",
        "id": format!("B_{}", short_id(oid)),
        "oid": oid.as_str(),
        "abbreviatedOid": &oid.as_str()[..7],
        "byteSize": data.len(),
        "isBinary": binary,
        "isTruncated": truncated,
        "text": text,
    }))
}

/// `Commit.file(path:)`: the entry at `path` in `commit`'s tree, or `null`.
fn tree_entry(git: &BareRepo, commit: &Oid, path: &str) -> Result<Value, FieldError> {
    if path.is_empty() || path.starts_with('/') || path.ends_with('/') {
        return Ok(Value::Null);
    }
    let (dir, name) = path.rsplit_once('/').unwrap_or(("", path));
    let Some(tree) = git
        .rev_parse(&format!("{commit}:{dir}"))
        .map_err(internal)?
    else {
        return Ok(Value::Null);
    };
    if git.object_kind(&tree).map_err(internal)? != Some(ObjectKind::Tree) {
        return Ok(Value::Null);
    }
    let entries = git.read_tree(&tree, false).map_err(internal)?;
    let Some(entry) = entries.into_iter().find(|e| e.path == name) else {
        return Ok(Value::Null);
    };
    let object = match entry.kind {
        ObjectKind::Blob => blob_data(git, &entry.oid)?,
        ObjectKind::Tree => tree_data(&entry.oid),
        // A submodule's commit lives in another repository.
        _ => Value::Null,
    };
    let extension = name
        .rfind('.')
        .filter(|&i| i > 0)
        .map(|i| name[i..].to_owned());
    Ok(json!({
        "__typename": "TreeEntry",
        "name": name,
        "path": path,
        "mode": i64::from_str_radix(&entry.mode, 8).unwrap_or_default(),
        "type": entry.kind.as_str(),
        "oid": entry.oid.as_str(),
        "size": entry.size.unwrap_or(0),
        "extension": extension,
        "isGenerated": false,
        "object": object,
    }))
}

/// A pull request as GraphQL shows it; `id` is the REST `node_id`.
pub(super) fn pull_data(emu: &Emulator, repo: &RepoState, pr: &PullRequest) -> Value {
    let full = repo.full_name();
    let n = pr.number;
    let git = BareRepo::open(&repo.git_dir(&emu.core.root));
    let head = |branch: &str, fallback: &str| {
        git.branch(branch)
            .ok()
            .flatten()
            .map_or_else(|| fallback.to_owned(), |o| o.to_string())
    };
    let state = match (pr.state, pr.merged) {
        (_, true) => "MERGED",
        (PullState::Open, false) => "OPEN",
        (PullState::Closed, false) => "CLOSED",
    };
    json!({
        "__typename": "PullRequest",
        "id": format!("PR_{}", pr.id),
        "databaseId": pr.id,
        "number": n,
        "title": pr.title,
        "body": pr.body.clone().unwrap_or_default(),
        "url": format!("{}/{full}/pull/{n}", emu.urls.web),
        "permalink": format!("{}/{full}/pull/{n}", emu.urls.web),
        "resourcePath": format!("/{full}/pull/{n}"),
        "state": state,
        "closed": pr.state == PullState::Closed,
        "merged": pr.merged,
        "isDraft": pr.draft,
        "headRefName": pr.head,
        "baseRefName": pr.base,
        "headRefOid": head(&pr.head, &pr.head_sha),
        "baseRefOid": head(&pr.base, &pr.base_sha),
        "isCrossRepository": !pr.head_owner.eq_ignore_ascii_case(&repo.owner),
        "maintainerCanModify": pr.maintainer_can_modify,
        "createdAt": pr.created_at,
        "updatedAt": pr.updated_at,
        "closedAt": pr.closed_at,
        "mergedAt": pr.merged_at,
        "author": actor(&pr.user),
    })
}

/// The `Actor` of `login` (`Bot` for `…[bot]` logins, whose GraphQL login drops the suffix).
pub(super) fn actor(login: &str) -> Value {
    match login.strip_suffix("[bot]") {
        Some(bot) => json!({"__typename": "Bot", "login": bot}),
        None => json!({"__typename": "User", "login": login}),
    }
}

/// `Repository.pullRequests(states:, headRefName:, baseRefName:, labels:, orderBy:, first:,
/// last:, after:, before:)`: a connection, oldest first unless ordered otherwise.
fn pull_requests(emu: &Emulator, repo: &RepoState, args: &Value) -> Result<Value, FieldError> {
    let list = |v: &Value| -> Option<Vec<String>> {
        match v {
            Value::Null => None,
            Value::Array(items) => Some(
                items
                    .iter()
                    .filter_map(Value::as_str)
                    .map(str::to_owned)
                    .collect(),
            ),
            other => other.as_str().map(|s| vec![s.to_owned()]),
        }
    };
    let states = list(&args["states"]);
    let labels = list(&args["labels"]);
    let mut pulls: Vec<&PullRequest> = repo
        .pulls
        .iter()
        .filter(|p| {
            let state = match (p.state, p.merged) {
                (_, true) => "MERGED",
                (PullState::Open, false) => "OPEN",
                (PullState::Closed, false) => "CLOSED",
            };
            states.as_ref().is_none_or(|s| s.iter().any(|x| x == state))
        })
        .filter(|p| args["headRefName"].as_str().is_none_or(|h| h == p.head))
        .filter(|p| args["baseRefName"].as_str().is_none_or(|b| b == p.base))
        .filter(|p| {
            labels
                .as_ref()
                .is_none_or(|l| l.iter().any(|x| p.labels.contains(x)))
        })
        .collect();
    let order = &args["orderBy"];
    if order["field"] == "UPDATED_AT" {
        pulls.sort_by(|a, b| a.updated_at.cmp(&b.updated_at));
    }
    if order["direction"] == "DESC" {
        pulls.reverse();
    }
    let total = pulls.len();
    let first = args["first"].as_i64();
    let last = args["last"].as_i64();
    if first.is_none() && last.is_none() {
        return Err(FieldError::new(
            "MISSING_PAGINATION_BOUNDARIES",
            "You must provide a `first` or `last` value to properly paginate the `pullRequests` connection.",
        ));
    }
    for (name, value) in [("first", first), ("last", last)] {
        if let Some(n) = value.filter(|n| !(0..=100).contains(n)) {
            return Err(FieldError::new(
                "EXCESSIVE_PAGINATION",
                format!("Requesting {n} records on the `pullRequests` connection exceeds the `{name}` limit of 100 records."),
            ));
        }
    }
    // Cursors are positions in the ordered list.
    let position = |cursor: &Value| -> Option<usize> {
        let bytes = STANDARD.decode(cursor.as_str()?).ok()?;
        String::from_utf8(bytes)
            .ok()?
            .strip_prefix("cursor:v2:")?
            .parse()
            .ok()
    };
    let mut start = position(&args["after"]).map_or(0, |p| p + 1);
    let mut end = position(&args["before"]).unwrap_or(total).min(total);
    start = start.min(end);
    if let Some(n) = first {
        end = end.min(start + n as usize);
    }
    if let Some(n) = last {
        start = start.max(end.saturating_sub(n as usize));
    }
    let cursor = |i: usize| STANDARD.encode(format!("cursor:v2:{i}"));
    let nodes: Vec<Value> = pulls[start..end]
        .iter()
        .map(|p| pull_data(emu, repo, p))
        .collect();
    let edges: Vec<Value> = nodes
        .iter()
        .enumerate()
        .map(|(i, node)| json!({"__typename": "PullRequestEdge", "cursor": cursor(start + i), "node": node}))
        .collect();
    Ok(json!({
        "__typename": "PullRequestConnection",
        "totalCount": total,
        "nodes": nodes,
        "edges": edges,
        "pageInfo": {
            "__typename": "PageInfo",
            "hasNextPage": end < total,
            "hasPreviousPage": start > 0,
            "startCursor": if end > start { json!(cursor(start)) } else { Value::Null },
            "endCursor": if end > start { json!(cursor(end - 1)) } else { Value::Null },
        },
    }))
}
