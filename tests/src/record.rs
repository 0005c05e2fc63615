//! The request record: every request an emulator answered, kept in memory and optionally
//! appended to a JSON-lines file, for tests that count requests, look for leaked secrets or
//! fail on requests the official API descriptions reject.
//!
//! The `Authorization` header is never recorded (its scheme is, as `auth_scheme`); every other
//! header and the body are recorded as sent, so a secret leaked anywhere else shows up.

use std::fs::File;
use std::io::Write;
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;

use serde::{Deserialize, Serialize};

use crate::http::Request;

/// One answered (or deliberately unanswered) request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RecordedRequest {
    /// Position in the record, from 1.
    pub seq: u64,
    /// When the request arrived (RFC 3339, UTC).
    pub timestamp: String,
    /// The method.
    pub method: String,
    /// The path, as sent (percent-encoded).
    pub path: String,
    /// The raw query string.
    pub query: String,
    /// Headers, lower-case names, without `Authorization`.
    pub headers: Vec<(String, String)>,
    /// The scheme of the `Authorization` header (`Bearer`, `token`, `Basic`), never its value.
    pub auth_scheme: Option<String>,
    /// The body as text (lossy for non-UTF-8 bodies).
    pub body: String,
    /// The status answered; `None` when the connection was dropped without an answer.
    pub status: Option<u16>,
    /// Why the request is invalid according to the official API description, if it is.
    pub invalid: Option<String>,
    /// The injected fault that shaped the answer, if any.
    pub fault: Option<String>,
}

impl RecordedRequest {
    /// Captures `request`'s method, target, headers and body; the outcome is filled in later.
    pub fn capture(seq: u64, request: &Request) -> RecordedRequest {
        let auth_scheme = request
            .header("authorization")
            .and_then(|v| v.split_whitespace().next())
            .map(str::to_owned);
        RecordedRequest {
            seq,
            timestamp: crate::time::now_rfc3339(),
            method: request.method.clone(),
            path: request.path.clone(),
            query: request.query.clone(),
            headers: request
                .headers
                .iter()
                .filter(|(n, _)| n != "authorization")
                .cloned()
                .collect(),
            auth_scheme,
            body: String::from_utf8_lossy(&request.body).into_owned(),
            status: None,
            invalid: None,
            fault: None,
        }
    }

    /// The body parsed as JSON, if it is JSON.
    pub fn json_body(&self) -> Option<serde_json::Value> {
        serde_json::from_str(&self.body).ok()
    }

    /// Whether `method` and `path` (without query) match exactly.
    pub fn is(&self, method: &str, path: &str) -> bool {
        self.method.eq_ignore_ascii_case(method) && self.path == path
    }

    /// The whole entry as one JSON line (what the record file holds).
    pub fn to_json_line(&self) -> String {
        serde_json::to_string(self).expect("a recorded request always serialises")
    }
}

/// The record of one emulator.
pub struct Recorder {
    seq: AtomicU64,
    entries: Mutex<Vec<RecordedRequest>>,
    file: Option<Mutex<File>>,
    /// CORS preflights: not API requests, so neither in `entries` nor in the file.
    preflights: Mutex<Vec<RecordedRequest>>,
}

impl Recorder {
    /// A recorder that also appends to `file` (created or truncated) when given.
    pub fn new(file: Option<&Path>) -> std::io::Result<Recorder> {
        let file = match file {
            Some(path) => Some(Mutex::new(File::create(path)?)),
            None => None,
        };
        Ok(Recorder {
            seq: AtomicU64::new(0),
            entries: Mutex::new(Vec::new()),
            file,
            preflights: Mutex::new(Vec::new()),
        })
    }

    /// Hands out the next sequence number (arrival order).
    pub fn next_seq(&self) -> u64 {
        self.seq.fetch_add(1, Ordering::SeqCst) + 1
    }

    /// Adds a finished entry (and writes it to the file).
    pub fn push(&self, entry: RecordedRequest) {
        if let Some(file) = &self.file {
            let mut file = file.lock().unwrap_or_else(|p| p.into_inner());
            // The in-memory record stays authoritative if the file cannot be written.
            let _ = writeln!(file, "{}", entry.to_json_line());
            let _ = file.flush();
        }
        self.lock().push(entry);
    }

    /// All entries so far, in arrival order.
    pub fn entries(&self) -> Vec<RecordedRequest> {
        let mut entries = self.lock().clone();
        entries.sort_by_key(|e| e.seq);
        entries
    }

    /// Forgets the in-memory entries and preflights (the file keeps the entries).
    pub fn clear(&self) {
        self.lock().clear();
        self.preflights
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clear();
    }

    /// Entries that failed validation against the official description.
    pub fn invalid(&self) -> Vec<RecordedRequest> {
        self.lock()
            .iter()
            .filter(|e| e.invalid.is_some())
            .cloned()
            .collect()
    }

    /// Removes the invalid flag from every entry and returns the entries that had it (for tests
    /// that send invalid requests on purpose).
    pub fn take_invalid(&self) -> Vec<RecordedRequest> {
        let mut entries = self.lock();
        let taken: Vec<RecordedRequest> = entries
            .iter()
            .filter(|e| e.invalid.is_some())
            .cloned()
            .collect();
        for entry in entries.iter_mut() {
            entry.invalid = None;
        }
        taken
    }

    /// Keeps a CORS preflight (answered `status`) apart from the API requests: numbered from 1
    /// in a sequence of its own, never in [`Recorder::entries`] nor in the record file.
    pub fn push_preflight(&self, request: &Request, status: u16) {
        let mut preflights = self.preflights.lock().unwrap_or_else(|p| p.into_inner());
        let mut entry = RecordedRequest::capture(preflights.len() as u64 + 1, request);
        entry.status = Some(status);
        preflights.push(entry);
    }

    /// The CORS preflights answered so far, in arrival order.
    pub fn preflights(&self) -> Vec<RecordedRequest> {
        self.preflights
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Vec<RecordedRequest>> {
        self.entries.lock().unwrap_or_else(|p| p.into_inner())
    }
}

/// Describes invalid entries for a test failure message.
pub fn describe_invalid(entries: &[RecordedRequest]) -> String {
    entries
        .iter()
        .map(|e| {
            format!(
                "#{} {} {}{}{}: {}",
                e.seq,
                e.method,
                e.path,
                if e.query.is_empty() { "" } else { "?" },
                e.query,
                e.invalid.as_deref().unwrap_or_default()
            )
        })
        .collect::<Vec<_>>()
        .join("\n")
}
