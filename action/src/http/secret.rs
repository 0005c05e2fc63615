//! Secrets, credentials and the redactor that keeps them out of every message.
//!
//! A token must never reach a log, an error, the step summary or an outputs file. Holding it in
//! [`Secret`] makes the accidental `{:?}` / `{}` harmless (it prints `***`), and the
//! [`Redactor`] is the last line of defence: every error string the HTTP layer builds goes
//! through it, so a server that echoes our `Authorization` header back in an error body, or an
//! I/O error that quotes a URL, cannot leak the value, nor its base64 form (Basic
//! authentication, git's `http.extraheader`, a JWT segment) nor its percent-encoded form.

use std::fmt;

use base64::engine::general_purpose::{STANDARD, STANDARD_NO_PAD, URL_SAFE_NO_PAD};
use base64::Engine as _;

/// What replaces a secret in any redacted text.
pub const REDACTED: &str = "***";

/// Secrets shorter than this are not scrubbed on their own: replacing every occurrence of a
/// one- or two-letter string would garble every message, and such a value is no secret anyway.
/// Their encoded forms (e.g. Basic `user:pw`) are still scrubbed.
pub const MIN_SECRET_LEN: usize = 4;

/// A secret string (token, password). Its `Debug` and `Display` print `***`, never the value;
/// the value is only reachable through [`Secret::expose`], which makes every use greppable.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    /// Wraps a secret value.
    pub fn new(value: impl Into<String>) -> Self {
        Secret(value.into())
    }

    /// The secret value. Only for building the request header or a [`Redactor`].
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl From<String> for Secret {
    fn from(value: String) -> Self {
        Secret(value)
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(REDACTED)
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(REDACTED)
    }
}

/// How the HTTP layer authenticates. Credentials are only ever sent in the `Authorization`
/// header, and only to the API origin (see the module docs of [`crate::http`]).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Credential {
    /// `Authorization: Bearer <token>` — GitHub tokens and App JWTs, Bitbucket access tokens
    /// and OAuth access tokens.
    Bearer(Secret),
    /// `Authorization: token <token>` — GitHub's older scheme, still accepted everywhere.
    Token(Secret),
    /// `Authorization: Basic base64(username:password)` — Bitbucket app passwords / API tokens.
    Basic {
        /// The user name (not secret, but it is part of the encoded header value).
        username: String,
        /// The password or app password.
        password: Secret,
    },
}

impl Credential {
    /// The value of the `Authorization` header.
    pub fn authorization(&self) -> Secret {
        match self {
            Credential::Bearer(token) => Secret(format!("Bearer {}", token.expose())),
            Credential::Token(token) => Secret(format!("token {}", token.expose())),
            Credential::Basic { username, password } => Secret(format!(
                "Basic {}",
                STANDARD.encode(format!("{username}:{}", password.expose()))
            )),
        }
    }
}

/// Scrubs known secrets, and the encoded forms they travel in, from any string.
///
/// Forms scrubbed for every secret of at least [`MIN_SECRET_LEN`] bytes: the raw value, its
/// percent-encoding, and its base64 forms (standard and URL-safe alphabets) *at any alignment*,
/// so the secret is also found inside the base64 of a longer string (`user:token`,
/// `x-access-token:token`). For Basic credentials the whole `username:password` encoding is
/// scrubbed too, whatever the password's length.
#[derive(Clone, Default)]
pub struct Redactor {
    /// Patterns to replace, longest first so that a longer form is scrubbed before a shorter
    /// one that it contains.
    patterns: Vec<String>,
}

impl fmt::Debug for Redactor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Redactor")
            .field("patterns", &self.patterns.len())
            .finish()
    }
}

impl Redactor {
    /// A redactor that knows no secret yet.
    pub fn new() -> Self {
        Redactor::default()
    }

    /// Learns a secret and its encoded forms.
    pub fn add(&mut self, secret: &Secret) {
        self.add_str(secret.expose());
    }

    /// Learns a secret given as a plain string (e.g. read from a private key file).
    pub fn add_str(&mut self, secret: &str) {
        if secret.len() < MIN_SECRET_LEN {
            return;
        }
        let mut new = vec![secret.to_owned(), percent_encode(secret)];
        new.extend(base64_cores(secret.as_bytes()));
        self.extend(new);
    }

    /// Learns every secret of a credential, including the exact header value.
    pub fn add_credential(&mut self, credential: &Credential) {
        match credential {
            Credential::Bearer(token) | Credential::Token(token) => self.add(token),
            Credential::Basic { username, password } => {
                self.add(password);
                let pair = format!("{username}:{}", password.expose());
                let mut new = vec![STANDARD.encode(&pair), URL_SAFE_NO_PAD.encode(&pair)];
                new.push(STANDARD_NO_PAD.encode(&pair));
                self.extend(new);
            }
        }
    }

    fn extend(&mut self, new: Vec<String>) {
        for pattern in new {
            if pattern.len() >= MIN_SECRET_LEN && !self.patterns.contains(&pattern) {
                self.patterns.push(pattern);
            }
        }
        self.patterns
            .sort_by(|a, b| b.len().cmp(&a.len()).then_with(|| a.cmp(b)));
    }

    /// Learns every secret `other` knows.
    pub fn merge(&mut self, other: &Redactor) {
        self.extend(other.patterns.clone());
    }

    /// Whether the redactor knows any secret.
    pub fn is_empty(&self) -> bool {
        self.patterns.is_empty()
    }

    /// `text` with every known secret form replaced by `***`.
    pub fn redact(&self, text: &str) -> String {
        let mut out = text.to_owned();
        for pattern in &self.patterns {
            if out.contains(pattern.as_str()) {
                out = out.replace(pattern.as_str(), REDACTED);
            }
        }
        out
    }
}

/// Every secret any [`super::HttpClient`] of this process was made with: the last line of
/// defence for text that reaches an output without passing a client's redactor.
static KNOWN: std::sync::Mutex<Redactor> = std::sync::Mutex::new(Redactor {
    patterns: Vec::new(),
});

/// Adds `redactor`'s secrets to the process-wide set [`redact_known`] scrubs.
pub(crate) fn remember(redactor: &Redactor) {
    if redactor.is_empty() {
        return;
    }
    KNOWN
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .merge(redactor);
}

/// `text` with every secret of every HTTP client made so far in this process scrubbed.
pub fn redact_known(text: &str) -> String {
    KNOWN.lock().unwrap_or_else(|p| p.into_inner()).redact(text)
}

/// The part of base64 text that depends only on `secret`, for each of the three alignments the
/// secret can have inside a longer encoded string, in the standard and URL-safe alphabets.
///
/// Base64 maps 3 input bytes to 4 characters. When `secret` starts `k` bytes into the encoded
/// input, the characters covering bits `[8k, 8(k+len))` completely are fixed by the secret
/// alone; characters straddling the edges depend on the neighbours and are left out.
fn base64_cores(secret: &[u8]) -> Vec<String> {
    let mut cores = Vec::new();
    for k in 0..3usize {
        let mut input = vec![0u8; k];
        input.extend_from_slice(secret);
        for engine in [&STANDARD_NO_PAD, &URL_SAFE_NO_PAD] {
            let encoded = engine.encode(&input);
            let first = (8 * k).div_ceil(6);
            let end = (8 * (k + secret.len())) / 6;
            if end > first {
                let core = &encoded[first..end.min(encoded.len())];
                // Too short a core would match unrelated base64 text by chance.
                if core.len() >= 6 {
                    cores.push(core.to_owned());
                }
            }
        }
    }
    cores
}

/// Percent-encodes everything but unreserved characters (RFC 3986), as a token would appear
/// in a query string.
fn percent_encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const TOKEN: &str = "ghp_abcDEF0123456789secretTOKEN";

    #[test]
    fn secret_never_prints() {
        let s = Secret::new(TOKEN);
        assert_eq!(format!("{s}"), "***");
        assert_eq!(format!("{s:?}"), "***");
        let c = Credential::Basic {
            username: "bot".into(),
            password: Secret::new("hunter2hunter2"),
        };
        assert!(!format!("{c:?}").contains("hunter2"));
        assert!(!format!("{:?}", c.authorization()).contains("Basic"));
    }

    #[test]
    fn authorization_values() {
        assert_eq!(
            Credential::Bearer(Secret::new("t0k3n"))
                .authorization()
                .expose(),
            "Bearer t0k3n"
        );
        assert_eq!(
            Credential::Token(Secret::new("t0k3n"))
                .authorization()
                .expose(),
            "token t0k3n"
        );
        let basic = Credential::Basic {
            username: "Aladdin".into(),
            password: Secret::new("open sesame"),
        };
        // RFC 7617's example.
        assert_eq!(
            basic.authorization().expose(),
            "Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ=="
        );
    }

    #[test]
    fn redacts_raw_and_percent_encoded() {
        let mut r = Redactor::new();
        r.add(&Secret::new("a+b/c=d secret"));
        assert_eq!(r.redact("x a+b/c=d secret y"), "x *** y");
        assert_eq!(
            r.redact("?token=a%2Bb%2Fc%3Dd%20secret&x=1"),
            "?token=***&x=1"
        );
    }

    #[test]
    fn redacts_base64_at_every_alignment() {
        let mut r = Redactor::new();
        r.add(&Secret::new(TOKEN));
        for prefix in ["", "x", "xy", "xyz", "x-access-token:", "user:"] {
            for engine in [&STANDARD, &URL_SAFE_NO_PAD] {
                let encoded = engine.encode(format!("{prefix}{TOKEN}!?"));
                let redacted = r.redact(&format!("header: {encoded}"));
                assert!(redacted.contains(REDACTED), "{prefix:?}: {redacted}");
                // What is left can no longer be decoded back to the token.
                assert!(!redacted.contains(&encoded));
            }
        }
        assert_eq!(r.redact(TOKEN), REDACTED);
    }

    #[test]
    fn redacts_basic_header_with_short_password() {
        let basic = Credential::Basic {
            username: "bot".into(),
            password: Secret::new("pw"),
        };
        let mut r = Redactor::new();
        r.add_credential(&basic);
        let header = basic.authorization();
        assert_eq!(
            r.redact(&format!("Authorization: {}", header.expose())),
            "Authorization: Basic ***"
        );
        // A two-letter password alone is not scrubbed (it would garble every message).
        assert_eq!(r.redact("pw"), "pw");
    }

    #[test]
    fn redacts_basic_password() {
        let basic = Credential::Basic {
            username: "bot".into(),
            password: Secret::new("app-password-123"),
        };
        let mut r = Redactor::new();
        r.add_credential(&basic);
        assert_eq!(r.redact("pass app-password-123."), "pass ***.");
        assert!(!r
            .redact(basic.authorization().expose())
            .contains(&STANDARD.encode("bot:app-password-123")));
    }

    #[test]
    fn leaves_unrelated_text_alone() {
        let mut r = Redactor::new();
        r.add(&Secret::new(TOKEN));
        let text = "GET https://api.github.com/repos/o/r failed: 404 Not Found";
        assert_eq!(r.redact(text), text);
        assert!(Redactor::new().is_empty());
        assert_eq!(Redactor::new().redact(TOKEN), TOKEN);
    }
}
