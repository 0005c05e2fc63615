//! Fault injection: rules that match requests by method and path pattern and, on the n-th
//! match (or at random with a seeded generator), answer with a canned response, delay, drop
//! the connection, or let "another writer" move a branch first.
//!
//! Rules are plain data (serde) so the emulator binary can take them over its HTTP control
//! endpoint too. Provider-specific canned answers live with the provider (for GitHub in
//! `github::faults`).

use std::sync::Mutex;

use serde::{Deserialize, Serialize};

/// When a matching request triggers a rule.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Trigger {
    /// Matching requests number `nth` to `nth + times - 1` (counting from 1).
    Nth {
        /// The first matching request that triggers.
        nth: u32,
        /// How many consecutive matching requests trigger.
        #[serde(default = "one")]
        times: u32,
    },
    /// Every matching request.
    Always,
    /// Each matching request with `probability`, drawn from a generator seeded with `seed`
    /// (the same seed gives the same sequence of decisions).
    Random {
        /// Between 0 and 1.
        probability: f64,
        /// The generator's seed.
        seed: u64,
    },
}

fn one() -> u32 {
    1
}

impl Default for Trigger {
    fn default() -> Self {
        Trigger::Nth { nth: 1, times: 1 }
    }
}

/// What a triggered rule does.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum FaultAction {
    /// Answer with this response instead of handling the request.
    Respond {
        /// Status code.
        status: u16,
        /// Extra headers.
        #[serde(default)]
        headers: Vec<(String, String)>,
        /// Body (usually JSON).
        #[serde(default)]
        body: String,
    },
    /// Wait this long, then handle the request normally.
    Delay {
        /// Milliseconds.
        ms: u64,
    },
    /// Close the connection without handling or answering the request.
    Drop,
    /// Handle the request (its effects happen), then close the connection without answering.
    DropAfterHandling,
    /// Handle the request (its effects happen), then answer `status` instead of the real answer
    /// (a server that acted and then failed, e.g. a proxy's 502 after the backend wrote).
    FailAfterHandling {
        /// Status code of the answer sent.
        status: u16,
    },
    /// Another writer commits a change on `branch` of the request's repository before the
    /// request is handled (so the client's view of the branch head becomes stale).
    MoveBranch {
        /// The branch to move.
        branch: String,
        /// The file the other writer writes (default: a unique file under `another-writer/`).
        #[serde(default)]
        path: Option<String>,
        /// What it writes there (default: a unique line).
        #[serde(default)]
        content: Option<String>,
    },
    /// Another writer rewinds `branch` of the request's repository to its head's first parent
    /// (a force-push that drops the newest commit) before the request is handled.
    RewindBranch {
        /// The branch to rewind.
        branch: String,
    },
}

/// In the body of a [`FaultAction::Respond`], replaced by the request's `Authorization` header
/// value as sent (`Bearer ghs_…`): a server that echoes the credential in its error answers.
pub const ECHO_AUTHORIZATION: &str = "{{authorization}}";
/// In the body of a [`FaultAction::Respond`], replaced by the credential alone: the part of
/// `Authorization` after the scheme, decoded for Basic (`user:password`).
pub const ECHO_CREDENTIAL: &str = "{{credential}}";

/// `body` with [`ECHO_AUTHORIZATION`] and [`ECHO_CREDENTIAL`] replaced from `authorization`.
pub fn echo_credentials(body: &str, authorization: Option<&str>) -> String {
    use base64::Engine as _;
    if !body.contains("{{") {
        return body.to_owned();
    }
    let header = authorization.unwrap_or("");
    let (scheme, rest) = header.split_once(' ').unwrap_or(("", header));
    let credential = if scheme.eq_ignore_ascii_case("basic") {
        base64::engine::general_purpose::STANDARD
            .decode(rest.trim())
            .ok()
            .and_then(|b| String::from_utf8(b).ok())
            .unwrap_or_else(|| rest.to_owned())
    } else {
        rest.trim().to_owned()
    };
    body.replace(ECHO_AUTHORIZATION, header)
        .replace(ECHO_CREDENTIAL, &credential)
}

impl FaultAction {
    /// Answers `status` with `body` of `content_type`, in which [`ECHO_AUTHORIZATION`] and
    /// [`ECHO_CREDENTIAL`] are replaced by the request's credential (a server that echoes it).
    pub fn echo(status: u16, content_type: &str, body: &str) -> FaultAction {
        FaultAction::Respond {
            status,
            headers: vec![("content-type".into(), content_type.to_owned())],
            body: body.to_owned(),
        }
    }

    /// Answers `status` with a JSON body `{"message": <reason phrase>}`.
    pub fn status(status: u16) -> FaultAction {
        let body = serde_json::json!({ "message": crate::http::reason_phrase(status) });
        FaultAction::Respond {
            status,
            headers: vec![(
                "content-type".into(),
                "application/json; charset=utf-8".into(),
            )],
            body: body.to_string(),
        }
    }

    /// Answers `status` with `body` as JSON and extra `headers`.
    pub fn json(status: u16, body: &serde_json::Value, headers: &[(&str, &str)]) -> FaultAction {
        let mut all = vec![(
            "content-type".to_owned(),
            "application/json; charset=utf-8".to_owned(),
        )];
        all.extend(
            headers
                .iter()
                .map(|(n, v)| (n.to_ascii_lowercase(), (*v).to_owned())),
        );
        FaultAction::Respond {
            status,
            headers: all,
            body: body.to_string(),
        }
    }

    /// Waits `ms` milliseconds before handling the request.
    pub fn delay(ms: u64) -> FaultAction {
        FaultAction::Delay { ms }
    }

    /// Another writer adds a commit to `branch` before the request is handled.
    pub fn move_branch(branch: &str) -> FaultAction {
        FaultAction::MoveBranch {
            branch: branch.to_owned(),
            path: None,
            content: None,
        }
    }

    /// Another writer drops the newest commit of `branch` before the request is handled.
    pub fn rewind_branch(branch: &str) -> FaultAction {
        FaultAction::RewindBranch {
            branch: branch.to_owned(),
        }
    }

    /// A short description for the request record.
    pub fn describe(&self) -> String {
        match self {
            FaultAction::Respond { status, .. } => format!("respond {status}"),
            FaultAction::Delay { ms } => format!("delay {ms} ms"),
            FaultAction::Drop => "drop".into(),
            FaultAction::DropAfterHandling => "drop after handling".into(),
            FaultAction::FailAfterHandling { status } => format!("handle, then answer {status}"),
            FaultAction::MoveBranch { branch, .. } => format!("move branch {branch}"),
            FaultAction::RewindBranch { branch } => format!("rewind branch {branch}"),
        }
    }
}

/// A fault rule: which requests, when, and what happens.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FaultRule {
    /// The method to match (case-insensitive); `None` matches any.
    #[serde(default)]
    pub method: Option<String>,
    /// The path pattern, matched against the raw path without query: `*` matches within one
    /// segment, `**` across segments (`/repos/*/*/git/refs/**`).
    pub path: String,
    /// When it triggers (default: the first matching request only).
    #[serde(default)]
    pub trigger: Trigger,
    /// What it does.
    pub action: FaultAction,
}

/// Building rules.
impl FaultRule {
    /// A rule for `method` (or any method with `"*"`) requests on `path` that performs
    /// `action` on the first matching request.
    pub fn new(method: &str, path: &str, action: FaultAction) -> FaultRule {
        FaultRule {
            method: (method != "*").then(|| method.to_ascii_uppercase()),
            path: path.to_owned(),
            trigger: Trigger::default(),
            action,
        }
    }

    /// Triggers on the `nth` matching request (from 1) instead of the first.
    pub fn nth(mut self, nth: u32) -> FaultRule {
        let times = match self.trigger {
            Trigger::Nth { times, .. } => times,
            _ => 1,
        };
        self.trigger = Trigger::Nth { nth, times };
        self
    }

    /// Triggers on `times` consecutive matching requests.
    pub fn times(mut self, times: u32) -> FaultRule {
        let nth = match self.trigger {
            Trigger::Nth { nth, .. } => nth,
            _ => 1,
        };
        self.trigger = Trigger::Nth { nth, times };
        self
    }

    /// Triggers on every matching request.
    pub fn always(mut self) -> FaultRule {
        self.trigger = Trigger::Always;
        self
    }

    /// Triggers at random with `probability`, reproducibly for a given `seed`.
    pub fn random(mut self, probability: f64, seed: u64) -> FaultRule {
        self.trigger = Trigger::Random { probability, seed };
        self
    }

    fn matches(&self, method: &str, path: &str) -> bool {
        self.method
            .as_deref()
            .is_none_or(|m| m.eq_ignore_ascii_case(method))
            && glob_match(&self.path, path)
    }
}

/// Identifies an added rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct FaultId(pub u64);

struct ActiveRule {
    id: FaultId,
    rule: FaultRule,
    seen: u32,
    fired: u32,
    rng: u64,
}

/// The rules of one emulator, checked for every request.
#[derive(Default)]
pub struct Faults {
    state: Mutex<(u64, Vec<ActiveRule>)>,
}

impl Faults {
    /// Adds `rule` after the existing ones.
    pub fn add(&self, rule: FaultRule) -> FaultId {
        let mut state = self.lock();
        state.0 += 1;
        let id = FaultId(state.0);
        let rng = match rule.trigger {
            Trigger::Random { seed, .. } => seed,
            _ => 0,
        };
        state.1.push(ActiveRule {
            id,
            rule,
            seen: 0,
            fired: 0,
            rng,
        });
        id
    }

    /// Removes one rule.
    pub fn remove(&self, id: FaultId) {
        self.lock().1.retain(|r| r.id != id);
    }

    /// Removes every rule.
    pub fn clear(&self) {
        self.lock().1.clear();
    }

    /// How often rule `id` has triggered (0 for unknown ids).
    pub fn fired(&self, id: FaultId) -> u32 {
        self.lock()
            .1
            .iter()
            .find(|r| r.id == id)
            .map_or(0, |r| r.fired)
    }

    /// Counts this request against every matching rule and returns the actions of the rules it
    /// triggers, in rule order.
    pub fn check(&self, method: &str, path: &str) -> Vec<FaultAction> {
        let mut state = self.lock();
        let mut actions = Vec::new();
        for active in state.1.iter_mut().filter(|r| r.rule.matches(method, path)) {
            active.seen += 1;
            let fire = match active.rule.trigger {
                Trigger::Nth { nth, times } => active.seen >= nth && active.seen - nth < times,
                Trigger::Always => true,
                Trigger::Random { probability, .. } => {
                    let draw = splitmix64(&mut active.rng) >> 11;
                    (draw as f64 / (1u64 << 53) as f64) < probability
                }
            };
            if fire {
                active.fired += 1;
                actions.push(active.rule.action.clone());
            }
        }
        actions
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, (u64, Vec<ActiveRule>)> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }
}

/// SplitMix64: a tiny, well-distributed generator; plenty for reproducible fault decisions.
fn splitmix64(state: &mut u64) -> u64 {
    *state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
    let mut z = *state;
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// Matches `text` against `pattern`: `**` matches any run of characters, `*` any run without
/// `/`; everything else matches itself.
pub fn glob_match(pattern: &str, text: &str) -> bool {
    fn go(p: &[u8], t: &[u8]) -> bool {
        match p {
            [] => t.is_empty(),
            [b'*', b'*', rest @ ..] => (0..=t.len()).any(|i| go(rest, &t[i..])),
            [b'*', rest @ ..] => {
                let limit = t.iter().position(|&c| c == b'/').unwrap_or(t.len());
                (0..=limit).any(|i| go(rest, &t[i..]))
            }
            [c, rest @ ..] => t.first() == Some(c) && go(rest, &t[1..]),
        }
    }
    go(pattern.as_bytes(), text.as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn globs() {
        assert!(glob_match(
            "/repos/*/*/git/refs/**",
            "/repos/o/r/git/refs/heads/a/b"
        ));
        assert!(!glob_match("/repos/*/git", "/repos/o/r/git"));
        assert!(glob_match("/graphql", "/graphql"));
        assert!(glob_match("**", "/anything/at/all"));
    }

    #[test]
    fn nth_and_times() {
        let faults = Faults::default();
        let id = faults.add(
            FaultRule::new("get", "/x", FaultAction::Drop)
                .nth(2)
                .times(2),
        );
        let fired: Vec<bool> = (0..5)
            .map(|_| !faults.check("GET", "/x").is_empty())
            .collect();
        assert_eq!(fired, [false, true, true, false, false]);
        assert!(faults.check("POST", "/x").is_empty());
        assert_eq!(faults.fired(id), 2);
    }

    #[test]
    fn random_is_reproducible() {
        let decide = || {
            let faults = Faults::default();
            faults.add(FaultRule::new("*", "**", FaultAction::Drop).random(0.5, 7));
            (0..64)
                .map(|_| !faults.check("GET", "/").is_empty())
                .collect::<Vec<_>>()
        };
        let first = decide();
        assert_eq!(first, decide());
        let hits = first.iter().filter(|&&f| f).count();
        assert!((16..48).contains(&hits), "{hits} of 64");
    }
}
