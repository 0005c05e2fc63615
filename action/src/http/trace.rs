//! Per-exchange records for `--verbose` output and for counting requests and bytes.
//!
//! One [`TraceEvent`] per HTTP exchange on the wire: every attempt and every redirect hop. It
//! holds no header at all, so no credential can end up in it; its URL is display-safe.

use std::fmt;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use super::Method;

/// One HTTP exchange.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TraceEvent {
    /// The method sent.
    pub method: Method,
    /// The URL, display-safe.
    pub url: String,
    /// The status received, `None` when the exchange failed.
    pub status: Option<u16>,
    /// The failure (redacted), when there was no response.
    pub error: Option<String>,
    /// Time from sending to having the whole body.
    pub duration: Duration,
    /// Attempt number of the request (1 for the first).
    pub attempt: u32,
    /// Redirect hop within the attempt (0 for the URL asked).
    pub redirect: u32,
    /// Body bytes sent.
    pub bytes_sent: u64,
    /// Body bytes received (after gzip decoding).
    pub bytes_received: u64,
    /// Whether credentials were sent.
    pub authenticated: bool,
    /// When the layer decided to retry after this exchange: the wait before the next attempt
    /// (unscaled).
    pub retry_in: Option<Duration>,
}

impl fmt::Display for TraceEvent {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {} -> ", self.method, self.url)?;
        match (self.status, &self.error) {
            (Some(status), _) => write!(f, "{status}")?,
            (None, Some(error)) => write!(f, "error: {error}")?,
            (None, None) => write!(f, "no response")?,
        }
        write!(
            f,
            " in {} ms (attempt {}, {} B sent, {} B received)",
            self.duration.as_millis(),
            self.attempt,
            self.bytes_sent,
            self.bytes_received
        )?;
        if let Some(wait) = self.retry_in {
            write!(f, "; retrying in {:.1} s", wait.as_secs_f64())?;
        }
        Ok(())
    }
}

/// The callback the client calls with each event.
pub type TraceFn = Arc<dyn Fn(&TraceEvent) + Send + Sync>;

/// Collects events in memory, for benchmarks and tests. Clones share the same record.
#[derive(Clone, Debug, Default)]
pub struct TraceRecorder {
    events: Arc<Mutex<Vec<TraceEvent>>>,
}

impl TraceRecorder {
    /// An empty recorder.
    pub fn new() -> Self {
        TraceRecorder::default()
    }

    /// A callback that appends to this recorder, for [`super::HttpConfig::trace`].
    pub fn sink(&self) -> TraceFn {
        let events = Arc::clone(&self.events);
        Arc::new(move |event: &TraceEvent| {
            events
                .lock()
                .unwrap_or_else(|poisoned| poisoned.into_inner())
                .push(event.clone());
        })
    }

    /// The events so far.
    pub fn events(&self) -> Vec<TraceEvent> {
        self.events
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .clone()
    }

    /// Totals over the events so far.
    pub fn totals(&self) -> TraceTotals {
        let events = self.events();
        TraceTotals {
            exchanges: events.len(),
            bytes_sent: events.iter().map(|e| e.bytes_sent).sum(),
            bytes_received: events.iter().map(|e| e.bytes_received).sum(),
        }
    }
}

/// Sums of a [`TraceRecorder`].
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct TraceTotals {
    /// Exchanges on the wire (attempts and redirect hops each count).
    pub exchanges: usize,
    /// Body bytes sent.
    pub bytes_sent: u64,
    /// Body bytes received.
    pub bytes_received: u64,
}
