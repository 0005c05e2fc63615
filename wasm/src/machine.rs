//! `SyncMachine`: gensync-core's sync machine for JavaScript, in dry run, so a page can answer
//! its needs from a real repository with `fetch` and show what a sync would do.

use std::collections::VecDeque;

use gensync_core::preview::{self, Seen};
use gensync_core::sync::{Answer, CommitPlan, Event, Failure, Need, Sync, SyncOutcome};
use gensync_core::Snapshot;
use wasm_bindgen::prelude::*;

use crate::input;

#[wasm_bindgen(typescript_custom_section)]
const TYPES: &'static str = r#"
/** What a `SyncMachine` syncs (in dry run: it never asks to write). */
export interface SyncMachineJob {
  /** The new build's files (modes not given are `100644`). */
  files: FileInput[];
  /** A local `.amplicationignore` text (patterns relative to the target dir), added to the repository's own. */
  ignore?: string | Uint8Array;
  /** The sync's options, as for `preview()`. */
  options?: PreviewOptions;
}

/**
 * A need of the machine, in the JSON form of gensync's sync machine: `{ kind, ... }` with
 * kind `prepare`, `repository`, `branch_head`, `commit_info`, `read_file`, `branch_files`,
 * `read_blob`, `find_pull_request`, `branch_differs`, `landed` (a dry run asks no write).
 * Ids are 40-hex strings, contents base64, modes git's octal strings.
 */
export type SyncNeed = { kind: string; [field: string]: unknown };

/** The answer to a need: `{ kind, ... }` (`prepared`, `repository`, `branch_head`, …). */
export type SyncAnswer = { kind: string; [field: string]: unknown };

/** A need that failed, in neutral terms. */
export interface SyncFailure {
  kind: "stale_head" | "not_found" | "forbidden" | "protected" | "transient" | "lost_answer" | "other";
  message: string;
}

/** An event: `log` {line}, `planned` {plan}, `finished` {outcome} or `failed` {error}. */
export type SyncEvent =
  | { kind: "log"; line: string }
  | { kind: "planned"; plan: Record<string, unknown> }
  | { kind: "finished"; outcome: Record<string, unknown> }
  | { kind: "failed"; error: { kind: string; message: string; committed: string | null } };
"#;

fn js_error(e: impl std::fmt::Display) -> JsError {
    JsError::new(&e.to_string())
}

fn to_js<T: serde::Serialize>(value: &T) -> Result<JsValue, JsError> {
    let json = serde_json::to_string(value).map_err(js_error)?;
    js_sys::JSON::parse(&json).map_err(|_| JsError::new("cannot hand the value to JavaScript"))
}

fn from_js<T: serde::de::DeserializeOwned>(value: &JsValue, what: &str) -> Result<T, JsError> {
    let json: String = js_sys::JSON::stringify(value)
        .map_err(|_| JsError::new(&format!("{what} cannot be read as JSON")))?
        .into();
    serde_json::from_str(&json).map_err(|e| JsError::new(&format!("{what}: {e}")))
}

/// The sync machine in dry run. Drive it: `pollNeed()` gives the next need (or `undefined`
/// when it waits for an answer or has finished); answer it with `handle(answer)` or
/// `handleFailure({ kind, message })`; `pollEvent()` gives log lines, the plan and finally a
/// `finished` or `failed` event. The machine reads the new build's files itself (it was given
/// them). Once finished, `blobsForDiffs()` names the branch contents the diffs lack; give each
/// with `addBlob(data)`, then `preview()` answers what `preview()` answers, from this run.
#[wasm_bindgen]
pub struct SyncMachine {
    sync: Sync,
    next: Snapshot,
    options: preview::Options,
    seen: Seen,
    plan: Option<CommitPlan>,
    outcome: Option<SyncOutcome>,
    error: Option<String>,
    events: VecDeque<String>,
}

#[wasm_bindgen]
impl SyncMachine {
    /// A dry-run sync of `job`. Throws on a bad job (path, option, branch name, message).
    #[wasm_bindgen(constructor)]
    pub fn new(
        #[wasm_bindgen(unchecked_param_type = "SyncMachineJob")] job: JsValue,
    ) -> Result<SyncMachine, JsError> {
        let job = input::machine_job(&job).map_err(|e| JsError::new(&e.0))?;
        let sync_job =
            preview::job(&job.next, job.ignore.as_deref(), &job.options).map_err(js_error)?;
        let sync = Sync::new(sync_job)
            .map_err(preview::Error::from)
            .map_err(js_error)?;
        Ok(SyncMachine {
            sync,
            next: job.next,
            options: job.options,
            seen: Seen::default(),
            plan: None,
            outcome: None,
            error: None,
            events: VecDeque::new(),
        })
    }

    /// The next need, or `undefined`.
    #[wasm_bindgen(js_name = pollNeed, unchecked_return_type = "SyncNeed | undefined")]
    pub fn poll_need(&mut self) -> Result<JsValue, JsError> {
        loop {
            let Some(need) = self.sync.poll_need() else {
                return Ok(JsValue::UNDEFINED);
            };
            // The build's own files are answered here.
            if let Need::ReadGenerated { path, .. } = &need {
                match self.next.get(path).and_then(|e| e.data.clone()) {
                    Some(content) => self.answer(Answer::Generated { content }),
                    None => self.sync.handle_failure(Failure::new(
                        gensync_core::sync::FailureKind::Other,
                        format!("the contents of {path} were not given"),
                    )),
                }
                continue;
            }
            return to_js(&need);
        }
    }

    /// The answer to the last need.
    pub fn handle(
        &mut self,
        #[wasm_bindgen(unchecked_param_type = "SyncAnswer")] answer: JsValue,
    ) -> Result<(), JsError> {
        let answer: Answer = from_js(&answer, "the answer")?;
        self.answer(answer);
        Ok(())
    }

    /// The last need failed.
    #[wasm_bindgen(js_name = handleFailure)]
    pub fn handle_failure(
        &mut self,
        #[wasm_bindgen(unchecked_param_type = "SyncFailure")] failure: JsValue,
    ) -> Result<(), JsError> {
        let failure: Failure = from_js(&failure, "the failure")?;
        self.sync.handle_failure(failure);
        Ok(())
    }

    /// The next event, or `undefined`.
    #[wasm_bindgen(js_name = pollEvent, unchecked_return_type = "SyncEvent | undefined")]
    pub fn poll_event(&mut self) -> Result<JsValue, JsError> {
        self.collect()?;
        match self.events.pop_front() {
            Some(json) => js_sys::JSON::parse(&json)
                .map_err(|_| JsError::new("cannot hand the event to JavaScript")),
            None => Ok(JsValue::UNDEFINED),
        }
    }

    /// Once finished: the ids (40-hex) of the branch's contents the diffs want and lack.
    #[wasm_bindgen(js_name = blobsForDiffs)]
    pub fn blobs_for_diffs(&mut self) -> Result<Vec<String>, JsError> {
        self.collect()?;
        let (Some(plan), Some(outcome)) = (&self.plan, &self.outcome) else {
            return Ok(Vec::new());
        };
        Ok(
            preview::blobs_for_diffs(plan, &outcome.changes[0], &self.seen)
                .iter()
                .map(ToString::to_string)
                .collect(),
        )
    }

    /// A content of the repository (found by its blob id), for the diffs.
    #[wasm_bindgen(js_name = addBlob)]
    pub fn add_blob(
        &mut self,
        #[wasm_bindgen(unchecked_param_type = "Uint8Array | string")] data: JsValue,
    ) -> Result<(), JsError> {
        let data = input::bytes(&data, "data").map_err(|e| JsError::new(&e.0))?;
        self.seen.add(data);
        Ok(())
    }

    /// Once finished: the `Preview` of this run (as `preview()` returns, from the machine's
    /// outcome and plan). Throws the machine's error if it failed, or if it has not finished.
    #[wasm_bindgen(unchecked_return_type = "Preview")]
    pub fn preview(&mut self) -> Result<JsValue, JsError> {
        self.collect()?;
        if let Some(error) = &self.error {
            return Err(JsError::new(error));
        }
        let Some(outcome) = &self.outcome else {
            return Err(JsError::new("the sync machine has not finished"));
        };
        let p = preview::assemble(
            outcome,
            self.plan.clone(),
            &self.seen,
            &self.next,
            &self.options,
        );
        to_js(&p)
    }
}

impl SyncMachine {
    fn answer(&mut self, answer: Answer) {
        self.seen.record(&answer);
        self.sync.handle(answer);
    }

    /// Move the machine's events into the queue, keeping the plan and the outcome.
    fn collect(&mut self) -> Result<(), JsError> {
        while let Some(event) = self.sync.poll_event() {
            self.events
                .push_back(serde_json::to_string(&event).map_err(js_error)?);
            match event {
                Event::Planned { plan } => self.plan = Some(plan),
                Event::Finished { outcome } => self.outcome = Some(*outcome),
                Event::Failed { error } => {
                    self.error = Some(preview::Error::from(error).to_string())
                }
                Event::Log { .. } => {}
            }
        }
        Ok(())
    }
}
