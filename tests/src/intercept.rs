//! The request path every emulator shares: record the request, apply the fault rules that
//! match it (delay, "another writer" moves a branch, a canned answer, a dropped connection
//! before or after handling), let the provider answer, record the outcome.
//!
//! A provider supplies its own parts through [`Intercepted`]; [`emulator_surface!`] gives its
//! public emulator type the shared record and fault-injection methods.

use std::time::Duration;

use crate::cors::CorsPolicy;
use crate::fault::{FaultAction, Faults};
use crate::git::{BareRepo, FileChange, Signature, MODE_FILE};
use crate::http::{Reply, Request, Response};
use crate::record::{RecordedRequest, Recorder};

/// What an emulator provides to [`serve`].
pub trait Intercepted {
    /// Its request record.
    fn recorder(&self) -> &Recorder;
    /// Its fault rules.
    fn faults(&self) -> &Faults;
    /// Answers a request no fault answered (request number `seq`), and says why the request
    /// is invalid if it is.
    fn answer(&self, request: &Request, seq: u64) -> (Response, Option<String>);
    /// Why a request that a fault answered is invalid: the client sent it all the same.
    fn problems(&self, request: &Request) -> Option<String>;
    /// Runs `op` as "another writer" on the bare repository of the request's repository.
    fn another_writer(
        &self,
        request: &Request,
        op: &dyn Fn(&BareRepo) -> Result<(), String>,
    ) -> Result<(), String>;
    /// Headers the provider puts on every answer (a request id), set on canned answers too.
    fn stamp(&self, _response: &mut Response, _seq: u64) {}
    /// How the provider answers browsers ([`crate::cors`]).
    fn cors(&self) -> &'static CorsPolicy;
}

/// Handles one request: a CORS preflight is answered at once (recorded apart, no fault, no
/// validation); otherwise faults first, then the provider's answer, both recorded, and the
/// answer carries the provider's CORS headers.
pub fn serve(emu: &impl Intercepted, request: Request) -> Reply {
    if crate::cors::is_preflight(&request) {
        let response = emu.cors().preflight();
        emu.recorder().push_preflight(&request, response.status);
        return Reply::Respond(response);
    }
    let mut reply = answer(emu, request);
    if let Reply::Respond(response) = &mut reply {
        emu.cors().decorate(response);
    }
    reply
}

/// Faults first, then the provider's answer; both recorded.
fn answer(emu: &impl Intercepted, request: Request) -> Reply {
    let mut entry = RecordedRequest::capture(emu.recorder().next_seq(), &request);
    let mut notes = Vec::new();
    let mut early = None;
    let mut drop_after = false;
    let mut fail_after = None;
    for action in emu.faults().check(&request.method, &request.path) {
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
                if let Err(e) = emu.another_writer(&request, &op) {
                    notes.push(format!("(the move failed: {e})"));
                }
            }
            FaultAction::RewindBranch { branch } => {
                let op = |git: &BareRepo| rewind(git, &branch);
                if let Err(e) = emu.another_writer(&request, &op) {
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
    emu.recorder().push(entry);
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

/// The request record and fault-injection methods of an emulator type whose `inner` field
/// holds `recorder` and `faults` and whose `server` field is the [`crate::http::Server`];
/// `$provider` names it and `$judge` what rejects an invalid request, in messages. Dropping
/// the emulator with invalid requests left fails the test even when it forgot to assert.
macro_rules! emulator_surface {
    ($emulator:ty, $provider:literal, $judge:literal) => {
        /// The request record.
        impl $emulator {
            /// Every request answered so far (control requests excluded), in arrival order.
            pub fn requests(&self) -> Vec<$crate::record::RecordedRequest> {
                self.inner.recorder.entries()
            }

            /// The CORS preflights (`OPTIONS`) answered so far: kept apart from
            /// [`Self::requests`], numbered in their own sequence.
            pub fn preflights(&self) -> Vec<$crate::record::RecordedRequest> {
                self.inner.recorder.preflights()
            }

            /// Forgets the recorded requests and preflights (the record file keeps them).
            pub fn clear_requests(&self) {
                self.inner.recorder.clear();
            }

            #[doc = concat!("The requests ", $judge, " rejects.")]
            pub fn invalid_requests(&self) -> Vec<$crate::record::RecordedRequest> {
                self.inner.recorder.invalid()
            }

            /// Returns the invalid requests and clears their flag, for tests that send
            /// invalid requests on purpose.
            pub fn take_invalid_requests(&self) -> Vec<$crate::record::RecordedRequest> {
                self.inner.recorder.take_invalid()
            }

            /// Panics, listing them, if any request was invalid.
            #[track_caller]
            pub fn assert_no_invalid_requests(&self) {
                let invalid = self.invalid_requests();
                assert!(
                    invalid.is_empty(),
                    concat!("requests rejected by ", $judge, ":\n{}"),
                    $crate::record::describe_invalid(&invalid)
                );
            }
        }

        /// Fault injection.
        impl $emulator {
            /// Adds a fault rule (after the existing ones); paths are matched as sent.
            pub fn add_fault(&self, rule: $crate::fault::FaultRule) -> $crate::fault::FaultId {
                self.inner.faults.add(rule)
            }

            /// Removes a fault rule.
            pub fn remove_fault(&self, id: $crate::fault::FaultId) {
                self.inner.faults.remove(id);
            }

            /// Removes every fault rule.
            pub fn clear_faults(&self) {
                self.inner.faults.clear();
            }

            /// How often rule `id` has triggered.
            pub fn fault_fired(&self, id: $crate::fault::FaultId) -> u32 {
                self.inner.faults.fired(id)
            }

            /// Waits (at most `timeout`) until no request is being handled, delayed ones
            /// included; whether the emulator went idle. A test calls it before it looks at
            /// the repository after a client gave up on a request.
            pub fn wait_idle(&self, timeout: std::time::Duration) -> bool {
                self.server.wait_idle(timeout)
            }
        }

        impl Drop for $emulator {
            /// An invalid request fails the test even when it forgot to assert: unless the
            /// thread is already panicking, remaining invalid requests panic here.
            fn drop(&mut self) {
                if std::thread::panicking() {
                    return;
                }
                let invalid = self.invalid_requests();
                if !invalid.is_empty() {
                    panic!(
                        concat!(
                            "the ",
                            $provider,
                            " emulator saw requests rejected by ",
                            $judge,
                            ":\n{}"
                        ),
                        $crate::record::describe_invalid(&invalid)
                    );
                }
            }
        }
    };
}
pub(crate) use emulator_surface;
