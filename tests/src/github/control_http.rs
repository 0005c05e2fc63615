//! The HTTP control endpoint `/_emulator/...`, for driving the emulator binary from outside the
//! process (the in-process API of [`super::GithubEmulator`] does the same). These requests are
//! neither authenticated nor recorded.
//!
//! | request | effect |
//! | --- | --- |
//! | (the record, preflights and fault rules) | see [`crate::emulator::control`] |
//! | `POST /_emulator/repos` `{"full_name", "empty", "private", "default_branch", "files": {path: text}}` | creates a repository |
//! | `POST /_emulator/repos/{o}/{r}/commits` `{"branch", "message", "files": {path: text or null}}` | another person commits; `{"sha"}` |
//! | `POST /_emulator/repos/{o}/{r}/branches` `{"branch", "sha"}` | creates a branch |
//! | `DELETE /_emulator/repos/{o}/{r}/branches/{branch}` | deletes a branch |
//! | `PUT /_emulator/repos/{o}/{r}/default_branch` `{"branch"}` | sets the default branch |
//! | `PUT`/`DELETE /_emulator/repos/{o}/{r}/protected/{branch}` | protects / unprotects |
//! | `PUT /_emulator/repos/{o}/{r}/settings` `{"actions_can_create_pull_requests"}` | repository setting |
//! | `GET /_emulator/repos/{o}/{r}/pulls` | the stored pull requests |
//! | `POST /_emulator/repos/{o}/{r}/pulls/{n}/merge` `{"method": "merge" or "squash"}` | merges; `{"sha"}` |
//! | `POST /_emulator/tokens` (a [`TokenConfig`](super::config::TokenConfig)) | accepts one more token |

use serde_json::{json, Value};

use super::config::TokenConfig;
use super::control::{self, MergeMethod, RepoSpec};
use super::server::Emulator;
use crate::emulator::control::{bad, changes, failed, json, unknown, Outcome};
use crate::emulator::Error;
use crate::emulator::RepoRecord as _;
use crate::git::Oid;
use crate::http::{Request, Response};

/// Answers the GitHub emulator's own control requests (`parts`: the path below `/_emulator`).
pub fn route(emu: &Emulator, request: &Request, parts: &[&str], body: &Value) -> Outcome {
    let body = body.clone();
    match (request.method.as_str(), parts) {
        ("POST", ["tokens"]) => {
            let token: TokenConfig = serde_json::from_value(body).map_err(bad)?;
            emu.tokens
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .push(token);
            Ok(Response::empty(201))
        }
        ("POST", ["repos"]) => create_repo(emu, &body),
        ("POST", ["repos", owner, name, "commits"]) => {
            let full_name = format!("{owner}/{name}");
            let branch = body["branch"]
                .as_str()
                .ok_or_else(|| bad("`branch` is required"))?;
            let message = body["message"].as_str().unwrap_or("A person's change\n");
            let changes = changes(&body["files"])?;
            let state = emu.core.lock_state();
            let sha =
                control::commit_files(emu, &state, &full_name, branch, &changes, message, None)
                    .map_err(failed)?;
            json(201, json!({ "sha": sha }))
        }
        ("POST", ["repos", owner, name, "branches"]) => {
            let full_name = format!("{owner}/{name}");
            let branch = body["branch"]
                .as_str()
                .ok_or_else(|| bad("`branch` is required"))?;
            let sha = body["sha"]
                .as_str()
                .and_then(Oid::parse)
                .ok_or_else(|| bad("`sha` must be a commit id"))?;
            let state = emu.core.lock_state();
            control::create_branch(emu, &state, &full_name, branch, &sha).map_err(failed)?;
            Ok(Response::empty(201))
        }
        ("DELETE", ["repos", owner, name, "branches", branch @ ..]) if !branch.is_empty() => {
            let state = emu.core.lock_state();
            control::delete_branch(emu, &state, &format!("{owner}/{name}"), &branch.join("/"))
                .map_err(failed)?;
            Ok(Response::empty(204))
        }
        ("PUT", ["repos", owner, name, "default_branch"]) => {
            let branch = body["branch"]
                .as_str()
                .ok_or_else(|| bad("`branch` is required"))?;
            let state = emu.core.lock_state();
            control::set_default_branch(emu, &state, &format!("{owner}/{name}"), branch)
                .map_err(failed)?;
            Ok(Response::empty(204))
        }
        (method @ ("PUT" | "DELETE"), ["repos", owner, name, "protected", branch @ ..])
            if !branch.is_empty() =>
        {
            let mut state = emu.core.lock_state();
            control::protect_branch(
                emu,
                &mut state,
                &format!("{owner}/{name}"),
                &branch.join("/"),
                method == "PUT",
            )
            .map_err(failed)?;
            Ok(Response::empty(204))
        }
        ("PUT", ["repos", owner, name, "settings"]) => {
            let allowed = body["actions_can_create_pull_requests"]
                .as_bool()
                .ok_or_else(|| bad("`actions_can_create_pull_requests` must be a boolean"))?;
            let mut state = emu.core.lock_state();
            control::set_actions_can_create_pull_requests(
                emu,
                &mut state,
                &format!("{owner}/{name}"),
                allowed,
            )
            .map_err(failed)?;
            Ok(Response::empty(204))
        }
        ("GET", ["repos", owner, name, "pulls"]) => {
            let state = emu.core.lock_state();
            let full_name = format!("{owner}/{name}");
            let repo = state.repo(&full_name).ok_or_else(|| {
                failed(Error::UnknownRepo {
                    name: full_name.clone(),
                })
            })?;
            json(200, serde_json::to_value(&repo.pulls).map_err(bad)?)
        }
        ("POST", ["repos", owner, name, "pulls", number, "merge"]) => {
            let number: u64 = number.parse().map_err(bad)?;
            let method: MergeMethod =
                serde_json::from_value(body["method"].clone()).unwrap_or(MergeMethod::Merge);
            let mut state = emu.core.lock_state();
            let sha =
                control::merge_pull(emu, &mut state, &format!("{owner}/{name}"), number, method)
                    .map_err(failed)?;
            json(200, json!({ "sha": sha }))
        }
        _ => Err(unknown(request)),
    }
}

fn create_repo(emu: &Emulator, body: &Value) -> Outcome {
    let full_name = body["full_name"]
        .as_str()
        .ok_or_else(|| bad("`full_name` is required"))?;
    let mut spec = RepoSpec::new(full_name).private(body["private"].as_bool().unwrap_or(false));
    if let Some(branch) = body["default_branch"].as_str() {
        spec = spec.default_branch(branch);
    }
    if body["empty"].as_bool().unwrap_or(false) {
        spec = spec.empty();
    } else {
        for change in changes(&body["files"])? {
            if let Some((_, content)) = change.content {
                spec = spec.file(&change.path, content);
            }
        }
    }
    let mut state = emu.core.lock_state();
    let repo = control::create_repo(emu, &mut state, &spec).map_err(failed)?;
    Ok(Response::json(
        201,
        &json!({"full_name": repo.full_name(), "git_dir": repo.git_dir(&emu.core.root)}),
    ))
}
