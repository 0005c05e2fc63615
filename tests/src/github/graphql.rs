//! GraphQL: queries under `repository` (refs, commits and their files, blobs, pull requests:
//! [`read`]) answered from the bare repository and the stored pull requests, and the mutations
//! `createCommitOnBranch` and `updateRefs` (executed on the bare repository, the latter as one
//! atomic `git update-ref --stdin` transaction), `updatePullRequest` and `addComment`
//! ([`pulls`]); answered in GitHub's shape (selection sets, aliases, fragments on types and
//! interfaces, `@skip`/`@include` honoured, nulls for missing refs and objects, node ids that
//! match the REST `node_id`s), with GitHub's error types (`STALE_DATA`, `NOT_FOUND`,
//! `FORBIDDEN`, `UNPROCESSABLE`).
//!
//! Documents are parsed with `graphql-parser`; whether they are valid for GitHub's schema is
//! the validator's job (it runs before this). Fields the emulator does not model are answered
//! with an error naming them, never silently.

mod pulls;
mod read;

use std::collections::BTreeMap;

use graphql_parser::query::{
    parse_query, Definition, Directive, Document, Field, OperationDefinition, Selection,
    SelectionSet, TypeCondition, Value as GqlValue,
};
use serde_json::{json, Map, Value};

use super::api::Caller;
use super::config::{Access, TokenConfig, TokenKind};
use super::git_data::{decode_base64, web_flow};
use super::server::Emulator;
use super::state::State;
use crate::emulator::RepoRecord as _;
use crate::git::{BareRepo, EditError, Oid, RefExpectation, Signature, TreeEdit, MODE_FILE};

/// One GraphQL request.
pub struct Operation<'a> {
    /// The document.
    pub query: &'a str,
    /// Its variables.
    pub variables: Option<&'a Value>,
    /// Which operation of the document to run.
    pub operation_name: Option<&'a str>,
}

/// A field-level error: GitHub's `type` and message.
struct FieldError {
    kind: &'static str,
    message: String,
}

impl FieldError {
    fn new(kind: &'static str, message: impl Into<String>) -> FieldError {
        FieldError {
            kind,
            message: message.into(),
        }
    }
}

type Fragments<'a> = BTreeMap<
    &'a str,
    (
        &'a TypeCondition<'a, &'a str>,
        &'a SelectionSet<'a, &'a str>,
    ),
>;

/// Runs `operation` and returns the whole answer (`data` and/or `errors`).
pub fn execute(
    emu: &Emulator,
    state: &mut State,
    caller: &Caller,
    operation: &Operation<'_>,
) -> Value {
    let document: Document<'_, &str> = match parse_query(operation.query) {
        Ok(document) => document,
        Err(e) => return json!({"errors": [{"message": format!("Parse error: {e}")}]}),
    };
    let mut fragments: Fragments<'_> = BTreeMap::new();
    let mut operations = Vec::new();
    for definition in &document.definitions {
        match definition {
            Definition::Fragment(f) => {
                fragments.insert(f.name, (&f.type_condition, &f.selection_set));
            }
            Definition::Operation(op) => operations.push(op),
        }
    }
    let chosen = operations
        .into_iter()
        .find(|op| match operation.operation_name {
            Some(wanted) => operation_name(op) == Some(wanted),
            None => true,
        });
    let (definitions, selection_set, root) = match chosen {
        Some(OperationDefinition::Mutation(m)) => {
            (&m.variable_definitions[..], &m.selection_set, "Mutation")
        }
        Some(OperationDefinition::Query(q)) => {
            (&q.variable_definitions[..], &q.selection_set, "Query")
        }
        Some(OperationDefinition::SelectionSet(set)) => (&[][..], set, "Query"),
        Some(OperationDefinition::Subscription(_)) | None => {
            return json!({"errors": [{"message": "The emulator answers queries and mutations; the document has no such operation to run."}]});
        }
    };
    let mut variables = operation
        .variables
        .and_then(Value::as_object)
        .cloned()
        .unwrap_or_default();
    for definition in definitions {
        if !variables.contains_key(definition.name) {
            if let Some(default) = &definition.default_value {
                variables.insert(definition.name.to_owned(), to_json(default, &Map::new()));
            }
        }
    }
    let mut data = Map::new();
    let mut errors = Vec::new();
    for field in collect_fields(selection_set, &fragments, root, &variables) {
        let key = field.alias.unwrap_or(field.name).to_owned();
        let location = json!([{"line": field.position.line, "column": field.position.column}]);
        if field.name == "__typename" {
            data.insert(key, json!(root));
            continue;
        }
        let result = if root == "Query" {
            let reader = read::Reader {
                emu,
                state,
                caller,
                fragments: &fragments,
                variables: &variables,
            };
            reader.root_field(field)
        } else {
            let input = field
                .arguments
                .iter()
                .find(|(name, _)| *name == "input")
                .map_or(Value::Null, |(_, v)| to_json(v, &variables));
            let payload = match field.name {
                "createCommitOnBranch" => create_commit_on_branch(emu, state, caller, &input),
                "updateRefs" => update_refs(emu, state, caller, &input),
                "updatePullRequest" => pulls::update_pull_request(emu, state, caller, &input),
                "addComment" => pulls::add_comment(emu, state, caller, &input),
                other => Err(FieldError::new(
                    "EMULATOR_UNSUPPORTED",
                    format!("The emulator does not implement the mutation field {other}."),
                )),
            };
            payload
                .and_then(|payload| project(&payload, &field.selection_set, &fragments, &variables))
        };
        match result {
            Ok(value) => {
                data.insert(key, value);
            }
            Err(error) => {
                errors.push(json!({"type": error.kind, "path": [key.clone()], "locations": location, "message": error.message}));
                data.insert(key, Value::Null);
            }
        }
    }
    let mut answer = json!({ "data": data });
    if !errors.is_empty() {
        answer["errors"] = Value::Array(errors);
    }
    answer
}

fn operation_name<'a>(op: &OperationDefinition<'a, &'a str>) -> Option<&'a str> {
    match op {
        OperationDefinition::Query(q) => q.name,
        OperationDefinition::Mutation(m) => m.name,
        OperationDefinition::Subscription(s) => s.name,
        OperationDefinition::SelectionSet(_) => None,
    }
}

/// A GraphQL literal (variables resolved) as JSON.
fn to_json<'a>(value: &'a GqlValue<'a, &'a str>, variables: &Map<String, Value>) -> Value {
    match value {
        GqlValue::Variable(name) => variables.get(*name).cloned().unwrap_or(Value::Null),
        GqlValue::Int(n) => json!(n.as_i64()),
        GqlValue::Float(f) => json!(f),
        GqlValue::String(s) => json!(s),
        GqlValue::Boolean(b) => json!(b),
        GqlValue::Null => Value::Null,
        GqlValue::Enum(e) => json!(e),
        GqlValue::List(items) => {
            Value::Array(items.iter().map(|v| to_json(v, variables)).collect())
        }
        GqlValue::Object(fields) => Value::Object(
            fields
                .iter()
                .map(|(k, v)| ((*k).to_owned(), to_json(v, variables)))
                .collect(),
        ),
    }
}

/// Whether `@skip`/`@include` keep a selection.
fn included<'a>(directives: &'a [Directive<'a, &'a str>], variables: &Map<String, Value>) -> bool {
    directives.iter().all(|d| {
        let condition = d
            .arguments
            .iter()
            .find(|(name, _)| *name == "if")
            .map(|(_, v)| to_json(v, variables) == json!(true));
        match d.name {
            "skip" => condition != Some(true),
            "include" => condition != Some(false),
            _ => true,
        }
    })
}

/// The fields of `set` for an object of `type_name`, fragments expanded.
fn collect_fields<'a>(
    set: &'a SelectionSet<'a, &'a str>,
    fragments: &Fragments<'a>,
    type_name: &str,
    variables: &Map<String, Value>,
) -> Vec<&'a Field<'a, &'a str>> {
    let applies = |condition: Option<&'a TypeCondition<'a, &'a str>>| match condition {
        Some(TypeCondition::On(on)) => {
            is_a(type_name, on) || !type_name.chars().next().is_some_and(char::is_uppercase)
        }
        None => true,
    };
    let mut fields = Vec::new();
    for selection in &set.items {
        match selection {
            Selection::Field(field) if included(&field.directives, variables) => fields.push(field),
            Selection::Field(_) => {}
            Selection::FragmentSpread(spread) if included(&spread.directives, variables) => {
                if let Some((condition, inner)) = fragments.get(spread.fragment_name) {
                    if applies(Some(condition)) {
                        fields.extend(collect_fields(inner, fragments, type_name, variables));
                    }
                }
            }
            Selection::FragmentSpread(_) => {}
            Selection::InlineFragment(inline) if included(&inline.directives, variables) => {
                if applies(inline.type_condition.as_ref()) {
                    fields.extend(collect_fields(
                        &inline.selection_set,
                        fragments,
                        type_name,
                        variables,
                    ));
                }
            }
            Selection::InlineFragment(_) => {}
        }
    }
    fields
}

/// The interfaces of the object types the emulator answers with (from GitHub's schema), so
/// that fragments on an interface (`... on GitObject`) apply.
const INTERFACES: &[(&str, &[&str])] = &[
    ("Blob", &["GitObject", "Node"]),
    ("Bot", &["Actor", "Node", "UniformResourceLocatable"]),
    (
        "Commit",
        &[
            "GitObject",
            "Node",
            "Subscribable",
            "UniformResourceLocatable",
        ],
    ),
    (
        "IssueComment",
        &[
            "Comment",
            "Deletable",
            "Minimizable",
            "Node",
            "Reactable",
            "RepositoryNode",
            "Updatable",
            "UpdatableComment",
        ],
    ),
    (
        "PullRequest",
        &[
            "Assignable",
            "Closable",
            "Comment",
            "Labelable",
            "Lockable",
            "Node",
            "ProjectV2Owner",
            "Reactable",
            "RepositoryNode",
            "Subscribable",
            "UniformResourceLocatable",
            "Updatable",
            "UpdatableComment",
        ],
    ),
    ("Ref", &["Node"]),
    (
        "Repository",
        &[
            "Node",
            "PackageOwner",
            "ProjectOwner",
            "ProjectV2Recent",
            "RepositoryInfo",
            "Starrable",
            "Subscribable",
            "UniformResourceLocatable",
        ],
    ),
    ("Tag", &["GitObject", "Node"]),
    ("Tree", &["GitObject", "Node"]),
    (
        "User",
        &[
            "Actor",
            "Node",
            "PackageOwner",
            "ProfileOwner",
            "ProjectOwner",
            "ProjectV2Owner",
            "ProjectV2Recent",
            "RepositoryDiscussionAuthor",
            "RepositoryDiscussionCommentAuthor",
            "RepositoryOwner",
            "Sponsorable",
            "UniformResourceLocatable",
        ],
    ),
];

/// Whether an object of `type_name` matches the type condition `condition`.
fn is_a(type_name: &str, condition: &str) -> bool {
    type_name == condition
        || INTERFACES
            .iter()
            .any(|(t, interfaces)| *t == type_name && interfaces.contains(&condition))
}

/// Shapes `value` (an object graph with `__typename`s) by `set`.
fn project<'a>(
    value: &Value,
    set: &'a SelectionSet<'a, &'a str>,
    fragments: &Fragments<'a>,
    variables: &Map<String, Value>,
) -> Result<Value, FieldError> {
    match value {
        Value::Null => Ok(Value::Null),
        Value::Array(items) => items
            .iter()
            .map(|v| project(v, set, fragments, variables))
            .collect::<Result<_, _>>()
            .map(Value::Array),
        Value::Object(object) => {
            let type_name = object
                .get("__typename")
                .and_then(Value::as_str)
                .unwrap_or_default();
            let mut out = Map::new();
            for field in collect_fields(set, fragments, type_name, variables) {
                let key = field.alias.unwrap_or(field.name).to_owned();
                let Some(inner) = object.get(field.name) else {
                    return Err(FieldError::new(
                        "EMULATOR_UNSUPPORTED",
                        format!(
                            "The emulator does not implement {type_name}.{}.",
                            field.name
                        ),
                    ));
                };
                let shaped = if field.selection_set.items.is_empty() {
                    inner.clone()
                } else {
                    project(inner, &field.selection_set, fragments, variables)?
                };
                out.insert(key, shaped);
            }
            Ok(Value::Object(out))
        }
        scalar => Ok(scalar.clone()),
    }
}

/// The token a mutation acts with: an App's JWT may not write (GitHub's FORBIDDEN answer).
fn token_of(caller: &Caller) -> Result<&TokenConfig, FieldError> {
    match caller {
        Caller::Token(token) => Ok(token),
        Caller::App(_) => Err(FieldError::new(
            "FORBIDDEN",
            "Resource not accessible by integration",
        )),
    }
}

/// `createCommitOnBranch`: one commit of additions (mode 100644) and deletions on top of
/// `expectedHeadOid`, signed by GitHub, authored by the token's identity.
fn create_commit_on_branch(
    emu: &Emulator,
    state: &mut State,
    caller: &Caller,
    input: &Value,
) -> Result<Value, FieldError> {
    let token = token_of(caller)?;
    let branch = &input["branch"];
    let Some(full_name) = branch["repositoryNameWithOwner"].as_str() else {
        return Err(FieldError::new(
            "EMULATOR_UNSUPPORTED",
            "The emulator resolves branches by repositoryNameWithOwner and branchName only.",
        ));
    };
    let not_found = || {
        FieldError::new(
            "NOT_FOUND",
            format!("Could not resolve to a Repository with the name '{full_name}'."),
        )
    };
    let repo = state
        .repo(full_name)
        .filter(|_| token.can_see(full_name))
        .ok_or_else(not_found)?;
    if token.permissions.contents != Access::Write {
        let message = match token.kind {
            TokenKind::Personal => "Resource not accessible by personal access token",
            _ => "Resource not accessible by integration",
        };
        return Err(FieldError::new("FORBIDDEN", message));
    }
    let branch_name = branch["branchName"]
        .as_str()
        .unwrap_or_default()
        .trim_start_matches("refs/heads/")
        .to_owned();
    let ref_name = format!("refs/heads/{branch_name}");
    let git = BareRepo::open(&repo.git_dir(&emu.core.root));
    let internal =
        |e: crate::git::Error| FieldError::new("INTERNAL", format!("emulator failure: {e}"));
    let head = git.branch(&branch_name).map_err(internal)?.ok_or_else(|| {
        FieldError::new(
            "NOT_FOUND",
            format!("Could not resolve to a Ref with the name '{ref_name}'."),
        )
    })?;
    let expected = input["expectedHeadOid"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    let stale = || {
        FieldError::new(
            "STALE_DATA",
            format!(
                "Expected branch to point to \"{expected}\" but it did not. Pull and try again."
            ),
        )
    };
    if Oid::parse(&expected).as_ref() != Some(&head) {
        return Err(stale());
    }
    if repo.protected_branches.contains(&branch_name) {
        return Err(FieldError::new(
            "UNPROCESSABLE",
            format!("Protected branch update failed for {ref_name}."),
        ));
    }
    let mut edits = Vec::new();
    for deletion in input["fileChanges"]["deletions"]
        .as_array()
        .into_iter()
        .flatten()
    {
        edits.push(TreeEdit {
            path: deletion["path"].as_str().unwrap_or_default().to_owned(),
            entry: None,
        });
    }
    for addition in input["fileChanges"]["additions"]
        .as_array()
        .into_iter()
        .flatten()
    {
        let path = addition["path"].as_str().unwrap_or_default().to_owned();
        let data =
            decode_base64(addition["contents"].as_str().unwrap_or_default()).ok_or_else(|| {
                FieldError::new(
                    "UNPROCESSABLE",
                    format!("The contents of {path} are not valid Base64."),
                )
            })?;
        let blob = git.write_blob(&data).map_err(internal)?;
        edits.push(TreeEdit {
            path,
            entry: Some((MODE_FILE.to_owned(), blob)),
        });
    }
    let base_tree = git.read_commit(&head).map_err(internal)?.tree;
    let tree = git.edit_tree(Some(&base_tree), &edits).map_err(|e| match e {
        EditError::MissingPath { .. } => FieldError::new(
            "UNPROCESSABLE",
            format!("A path was requested for deletion which does not exist as of commit oid `{head}`"),
        ),
        EditError::MalformedPath { path } => FieldError::new("UNPROCESSABLE", format!("The path {path:?} is not valid.")),
        other => FieldError::new("INTERNAL", format!("emulator failure: {other}")),
    })?;
    let headline = input["message"]["headline"].as_str().unwrap_or_default();
    let body = input["message"]["body"].as_str().unwrap_or_default();
    let message = if body.is_empty() {
        headline.to_owned()
    } else {
        format!("{headline}\n\n{body}")
    };
    let author = Signature::now(&token.identity.name, &token.identity.email);
    let committer = web_flow();
    let commit = git
        .write_commit(
            &tree,
            std::slice::from_ref(&head),
            &message,
            &author,
            &committer,
        )
        .map_err(internal)?;
    match git.update_ref(&ref_name, &commit, &RefExpectation::At(head)) {
        Ok(()) => {}
        Err(crate::git::Error::StaleRef { .. }) => return Err(stale()),
        Err(e) => return Err(internal(e)),
    }
    let full = repo.full_name();
    state
        .repo_mut(full_name)
        .expect("found above")
        .verified_commits
        .insert(commit.to_string());
    let url = format!("{}/{full}/commit/{commit}", emu.urls.web);
    let person = |sig: &Signature| json!({"__typename": "GitActor", "name": sig.name, "email": sig.email, "date": sig.date_rfc3339()});
    let (message_headline, message_body) = (headline.to_owned(), body.to_owned());
    Ok(json!({
        "__typename": "CreateCommitOnBranchPayload",
        "clientMutationId": input.get("clientMutationId").cloned().unwrap_or(Value::Null),
        "commit": {
            "__typename": "Commit",
            "id": format!("C_{}", &commit.as_str()[..12]),
            "oid": commit.as_str(),
            "abbreviatedOid": &commit.as_str()[..7],
            "url": url,
            "commitUrl": url,
            "resourcePath": format!("/{full}/commit/{commit}"),
            "message": message,
            "messageHeadline": message_headline,
            "messageBody": message_body,
            "committedDate": committer.date_rfc3339(),
            "authoredDate": author.date_rfc3339(),
            "author": person(&author),
            "committer": person(&committer),
            "tree": {"__typename": "Tree", "oid": tree.as_str(), "id": format!("T_{}", &tree.as_str()[..12])},
            "signature": {"__typename": "GpgSignature", "isValid": true, "state": "VALID", "wasSignedByGitHub": true},
        },
        "ref": {
            "__typename": "Ref",
            "id": format!("REF_{}", crate::github::config::stable_id(&format!("{full}:{ref_name}"))),
            "name": branch_name,
            "prefix": "refs/heads/",
            "target": {"__typename": "Commit", "oid": commit.as_str(), "id": format!("C_{}", &commit.as_str()[..12])},
        },
    }))
}

/// `updateRefs`: creates, moves and deletes refs of the repository `repositoryId` atomically (all
/// or none). Each update applies only if the ref points at `beforeOid` (zeros: it must not
/// exist; absent: wherever it is); an `afterOid` of zeros deletes it; without `force` a move
/// must be a fast-forward. A protected branch is never changed.
fn update_refs(
    emu: &Emulator,
    state: &mut State,
    caller: &Caller,
    input: &Value,
) -> Result<Value, FieldError> {
    let token = token_of(caller)?;
    let id = input["repositoryId"].as_str().unwrap_or_default();
    let not_found = || {
        FieldError::new(
            "NOT_FOUND",
            format!("Could not resolve to a node with the global id of '{id}'."),
        )
    };
    let database_id = id
        .strip_prefix("R_")
        .and_then(|n| n.parse::<u64>().ok())
        .ok_or_else(not_found)?;
    let repo = state
        .repos
        .values()
        .find(|r| r.id == database_id && token.can_see(&r.full_name()))
        .ok_or_else(not_found)?;
    if token.permissions.contents != Access::Write {
        let message = match token.kind {
            TokenKind::Personal => "Resource not accessible by personal access token",
            _ => "Resource not accessible by integration",
        };
        return Err(FieldError::new("FORBIDDEN", message));
    }
    let git = BareRepo::open(&repo.git_dir(&emu.core.root));
    let internal =
        |e: crate::git::Error| FieldError::new("INTERNAL", format!("emulator failure: {e}"));
    let unprocessable = |m: String| FieldError::new("UNPROCESSABLE", m);
    let null = Oid::null();
    let mut changes = Vec::new();
    for update in input["refUpdates"].as_array().into_iter().flatten() {
        let name = update["name"].as_str().unwrap_or_default().to_owned();
        if !name.starts_with("refs/")
            || name.matches('/').count() < 2
            || git.git(&["check-ref-format", &name]).is_err()
        {
            return Err(unprocessable(format!("{name:?} is not a valid ref name.")));
        }
        if let Some(branch) = name.strip_prefix("refs/heads/") {
            if repo.protected_branches.contains(branch) {
                return Err(unprocessable(format!(
                    "Protected branch update failed for {name}."
                )));
            }
        }
        let parse = |field: &str| -> Result<Option<Oid>, FieldError> {
            match update[field].as_str() {
                None => Ok(None),
                Some(hex) => Oid::parse(hex)
                    .map(Some)
                    .ok_or_else(|| unprocessable(format!("{hex:?} is not a git object id."))),
            }
        };
        let after =
            parse("afterOid")?.ok_or_else(|| unprocessable("afterOid is required.".into()))?;
        let expected = match parse("beforeOid")? {
            None => RefExpectation::Any,
            Some(before) if before == null => RefExpectation::Absent,
            Some(before) => RefExpectation::At(before),
        };
        let current = git.resolve_ref(&name).map_err(internal)?;
        let new = if after == null {
            None
        } else {
            if git.object_kind(&after).map_err(internal)? != Some(crate::git::ObjectKind::Commit)
                && name.starts_with("refs/heads/")
            {
                return Err(unprocessable(format!("Object {after} does not exist.")));
            }
            let force = update["force"].as_bool().unwrap_or(false);
            if let Some(current) = &current {
                let stale = matches!(&expected, RefExpectation::At(b) if b != current)
                    || expected == RefExpectation::Absent;
                if !force && !stale && !git.is_ancestor(current, &after).map_err(internal)? {
                    return Err(unprocessable(format!(
                        "Update to {name} is not a fast forward."
                    )));
                }
            }
            Some(after)
        };
        changes.push((name, new, expected));
    }
    match git.update_refs(&changes) {
        Ok(()) => {}
        Err(crate::git::Error::StaleRef {
            name,
            expected,
            actual,
        }) => {
            let wanted = match expected {
                RefExpectation::At(o) => o.to_string(),
                _ => null.to_string(),
            };
            let actual = actual.map_or(null.to_string(), |o| o.to_string());
            return Err(FieldError::new(
                "STALE_DATA",
                format!("Ref {name} points to {actual}, expected {wanted}; no ref was updated."),
            ));
        }
        Err(e) => return Err(internal(e)),
    }
    Ok(json!({
        "__typename": "UpdateRefsPayload",
        "clientMutationId": input.get("clientMutationId").cloned().unwrap_or(Value::Null),
    }))
}
