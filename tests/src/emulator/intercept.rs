//! The request path every emulator shares: record the request, apply the fault rules that
//! match it (delay, "another writer" moves a branch, a canned answer, a dropped connection
//! before or after handling), let the provider answer, record the outcome.
//!
//! A provider supplies its own parts (its answer, what it finds invalid, the repository a
//! request is about) through [`Provider`].

use std::time::Duration;

use super::Provider;
use crate::fault::FaultAction;
use crate::git::{BareRepo, FileChange, Signature, MODE_FILE};
use crate::http::{Reply, Request, Response};
use crate::record::RecordedRequest;

/// Handles one request: a CORS preflight is answered at once (recorded apart, no fault, no
/// validation); otherwise faults first, then the provider's answer, both recorded, and the
/// answer carries the provider's CORS headers.
pub fn serve<P: Provider>(emu: &P, request: Request) -> Reply {
    if super::cors::is_preflight(&request) {
        let response = P::CORS.preflight();
        emu.core()
            .recorder
            .push_preflight(&request, response.status);
        return Reply::Respond(response);
    }
    let mut reply = answer(emu, request);
    if let Reply::Respond(response) = &mut reply {
        P::CORS.decorate(response);
    }
    reply
}

/// Faults first, then the provider's answer; both recorded.
fn answer<P: Provider>(emu: &P, request: Request) -> Reply {
    let mut entry = RecordedRequest::capture(emu.core().recorder.next_seq(), &request);
    let mut notes = Vec::new();
    let mut early = None;
    let mut drop_after = false;
    let mut fail_after = None;
    for action in emu.core().faults.check(&request.method, &request.path) {
        notes.push(action.describe());
        match action {
            FaultAction::Delay { ms } => std::thread::sleep(Duration::from_millis(ms)),
            FaultAction::MoveBranch {
                branch,
                path,
                content,
            } => {
                let seq = entry.seq;
                let op = |git: &BareRepo| {
                    another_writers_commit(git, &branch, seq, path.clone(), content.clone())
                };
                if let Err(e) = emu.core().another_writer(emu.repo_of(&request), &op) {
                    notes.push(format!("(the move failed: {e})"));
                }
            }
            FaultAction::RewindBranch { branch } => {
                let op = |git: &BareRepo| rewind(git, &branch);
                if let Err(e) = emu.core().another_writer(emu.repo_of(&request), &op) {
                    notes.push(format!("(the rewind failed: {e})"));
                }
            }
            FaultAction::Respond {
                status,
                headers,
                body,
            } => {
                let body = crate::fault::echo_credentials(&body, request.header("authorization"));
                let mut response = Response {
                    status,
                    headers: Vec::new(),
                    body: body.into_bytes(),
                };
                for (name, value) in headers {
                    response.set_header(&name, value);
                }
                emu.stamp(&mut response, entry.seq);
                early = Some(Reply::Respond(response));
                break;
            }
            FaultAction::Drop => {
                early = Some(Reply::Drop);
                break;
            }
            FaultAction::DropAfterHandling => drop_after = true,
            FaultAction::FailAfterHandling { status } => fail_after = Some(status),
        }
    }
    let reply = match early {
        Some(reply) => {
            entry.invalid = emu.problems(&request);
            reply
        }
        None => {
            let (response, invalid) = emu.answer(&request, entry.seq);
            entry.invalid = invalid;
            if drop_after {
                notes.push(format!("(handled: {})", response.status));
                Reply::Drop
            } else if let Some(status) = fail_after {
                notes.push(format!("(handled: {})", response.status));
                let body = serde_json::json!({ "message": crate::http::reason_phrase(status) });
                let mut failed = Response {
                    status,
                    headers: Vec::new(),
                    body: body.to_string().into_bytes(),
                };
                failed.set_header("content-type", "application/json; charset=utf-8".to_owned());
                emu.stamp(&mut failed, entry.seq);
                Reply::Respond(failed)
            } else {
                Reply::Respond(response)
            }
        }
    };
    entry.fault = (!notes.is_empty()).then(|| notes.join(", "));
    entry.status = match &reply {
        Reply::Respond(response) => Some(response.status),
        Reply::Drop => None,
    };
    emu.core().recorder.push(entry);
    reply
}

/// The commit "another writer" makes on `branch` before request `seq` (a
/// [`FaultAction::MoveBranch`]): the file `path` (default `another-writer/change-{seq}.txt`)
/// with `content`, authored by "Another Writer", on top of the branch's head.
pub fn another_writers_commit(
    git: &BareRepo,
    branch: &str,
    seq: u64,
    path: Option<String>,
    content: Option<String>,
) -> Result<(), String> {
    let change = FileChange {
        path: path.unwrap_or_else(|| format!("another-writer/change-{seq}.txt")),
        content: Some((
            MODE_FILE.to_owned(),
            content
                .unwrap_or_else(|| format!("written by another writer before request {seq}\n"))
                .into_bytes(),
        )),
    };
    let author = Signature::now("Another Writer", "another.writer@example.com");
    git.commit_files(
        branch,
        &[change],
        &format!("Another writer's change (before request {seq})\n"),
        &author,
    )
    .map(drop)
    .map_err(|e| e.to_string())
}

/// "Another writer" force-pushes `branch` back to its head's first parent (a
/// [`FaultAction::RewindBranch`]): the newest commit is dropped from the branch.
pub fn rewind(git: &BareRepo, branch: &str) -> Result<(), String> {
    let name = format!("refs/heads/{branch}");
    let head = git
        .resolve_ref(&name)
        .map_err(|e| e.to_string())?
        .ok_or_else(|| format!("no branch {branch}"))?;
    let commit = git.read_commit(&head).map_err(|e| e.to_string())?;
    let parent = commit
        .parents
        .first()
        .ok_or_else(|| format!("{branch} has a single commit"))?;
    git.update_ref(&name, parent, &crate::git::RefExpectation::At(head))
        .map_err(|e| e.to_string())
}
