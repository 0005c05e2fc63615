//! Authentication as GitHub does it: tokens in `Authorization` (`Bearer`, `token`, or Basic
//! with the token as password), GitHub App JWTs (RS256, verified against the App's key) for the
//! App endpoints, and installation tokens the emulator issues. Token values are never logged.

use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use base64::Engine as _;
use rsa::pkcs1::{DecodeRsaPrivateKey, DecodeRsaPublicKey, EncodeRsaPrivateKey};
use rsa::pkcs1v15::{Signature, SigningKey, VerifyingKey};
use rsa::pkcs8::{DecodePrivateKey, DecodePublicKey, EncodePublicKey, LineEnding};
use rsa::sha2::Sha256;
use rsa::signature::{SignatureEncoding, Signer, Verifier};
use rsa::{RsaPrivateKey, RsaPublicKey};
use serde_json::{json, Value};

use super::config::AppConfig;

/// The credential in a request's `Authorization` header.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Credential {
    /// No `Authorization` header.
    Missing,
    /// A token (or JWT) from `Bearer`, `token` or Basic.
    Token(String),
    /// A header that is not a credential GitHub understands.
    Malformed,
}

/// Reads the credential of an `Authorization` header value.
pub fn credential(header: Option<&str>) -> Credential {
    let Some(value) = header else {
        return Credential::Missing;
    };
    let (scheme, rest) = value.trim().split_once(' ').unwrap_or((value, ""));
    let rest = rest.trim();
    match scheme.to_ascii_lowercase().as_str() {
        "bearer" | "token" if !rest.is_empty() => Credential::Token(rest.to_owned()),
        "basic" => {
            let decoded = STANDARD
                .decode(rest)
                .ok()
                .and_then(|b| String::from_utf8(b).ok());
            match decoded.as_deref().and_then(|d| d.split_once(':')) {
                Some((_, password)) if !password.is_empty() => {
                    Credential::Token(password.to_owned())
                }
                _ => Credential::Malformed,
            }
        }
        _ => Credential::Malformed,
    }
}

/// Whether `token` has the shape of a JWT (three base64url parts, a JSON header).
pub fn looks_like_jwt(token: &str) -> bool {
    token.starts_with("eyJ") && token.split('.').count() == 3
}

/// Checks a GitHub App JWT as GitHub does and returns the App it authenticates, or GitHub's
/// message for the 401 answer.
pub fn verify_jwt<'a>(apps: &'a [AppConfig], jwt: &str, now: i64) -> Result<&'a AppConfig, String> {
    const UNDECODABLE: &str = "A JSON web token could not be decoded";
    let parts: Vec<&str> = jwt.split('.').collect();
    let [header, payload, signature] = parts[..] else {
        return Err(UNDECODABLE.into());
    };
    let decode = |part: &str| -> Option<Value> {
        let bytes = URL_SAFE_NO_PAD.decode(part.trim_end_matches('=')).ok()?;
        serde_json::from_slice(&bytes).ok()
    };
    let (Some(header_json), Some(claims)) = (decode(header), decode(payload)) else {
        return Err(UNDECODABLE.into());
    };
    if header_json["alg"] != json!("RS256") {
        return Err(UNDECODABLE.into());
    }
    let iss = match &claims["iss"] {
        Value::Number(n) => n.as_u64(),
        Value::String(s) => s.parse().ok(),
        _ => None,
    };
    let Some(app) = iss.and_then(|iss| apps.iter().find(|a| a.id == iss)) else {
        return Err(UNDECODABLE.into());
    };
    let key = public_key(&app.key_pem)
        .ok_or_else(|| format!("{UNDECODABLE} (the emulator's App key is not a PEM RSA key)"))?;
    let signature_bytes = URL_SAFE_NO_PAD
        .decode(signature)
        .map_err(|_| UNDECODABLE.to_owned())?;
    let signature =
        Signature::try_from(signature_bytes.as_slice()).map_err(|_| UNDECODABLE.to_owned())?;
    let signed = format!("{header}.{payload}");
    VerifyingKey::<Sha256>::new(key)
        .verify(signed.as_bytes(), &signature)
        .map_err(|_| UNDECODABLE.to_owned())?;
    let Some(iat) = claims["iat"].as_i64() else {
        return Err("'Issued at' claim ('iat') must be an Integer representing the time that the assertion was issued.".into());
    };
    let Some(exp) = claims["exp"].as_i64() else {
        return Err("'Expiration time' claim ('exp') must be a numeric value representing the future time at which the assertion expires.".into());
    };
    if iat > now + 60 {
        return Err("'Issued at' claim ('iat') must be an Integer representing the time that the assertion was issued.".into());
    }
    if exp <= now {
        return Err("'Expiration time' claim ('exp') must be a numeric value representing the future time at which the assertion expires.".into());
    }
    if exp - iat > 600 {
        return Err("'Expiration time' claim ('exp') is too far in the future".into());
    }
    Ok(app)
}

/// The RSA public key in `pem` (a public key, or the public half of a private key).
fn public_key(pem: &str) -> Option<RsaPublicKey> {
    RsaPublicKey::from_public_key_pem(pem)
        .or_else(|_| RsaPublicKey::from_pkcs1_pem(pem))
        .ok()
        .or_else(|| {
            RsaPrivateKey::from_pkcs1_pem(pem)
                .or_else(|_| RsaPrivateKey::from_pkcs8_pem(pem))
                .ok()
                .map(|k| k.to_public_key())
        })
}

/// A GitHub App key pair for tests: the private key goes to the client under test, the public
/// key (or the private one) to [`AppConfig::key_pem`].
pub struct AppKey {
    private: RsaPrivateKey,
}

impl AppKey {
    /// Generates a 2048-bit RSA key, as GitHub issues them.
    pub fn generate() -> AppKey {
        let private = RsaPrivateKey::new(&mut rsa::rand_core::OsRng, 2048)
            .expect("RSA key generation succeeds with the OS generator");
        AppKey { private }
    }

    /// The private key in PKCS#1 PEM (`BEGIN RSA PRIVATE KEY`), the format GitHub downloads.
    pub fn private_key_pem(&self) -> String {
        self.private
            .to_pkcs1_pem(LineEnding::LF)
            .expect("a generated key encodes")
            .to_string()
    }

    /// The public key in SPKI PEM (`BEGIN PUBLIC KEY`).
    pub fn public_key_pem(&self) -> String {
        self.private
            .to_public_key()
            .to_public_key_pem(LineEnding::LF)
            .expect("a generated key encodes")
    }

    /// A JWT for App `app_id`, issued at `iat`, expiring at `exp` (Unix seconds), signed RS256.
    pub fn jwt(&self, app_id: u64, iat: i64, exp: i64) -> String {
        let header = URL_SAFE_NO_PAD.encode(json!({"alg": "RS256", "typ": "JWT"}).to_string());
        let claims = URL_SAFE_NO_PAD
            .encode(json!({"iat": iat, "exp": exp, "iss": app_id.to_string()}).to_string());
        let signed = format!("{header}.{claims}");
        let signature = SigningKey::<Sha256>::new(self.private.clone()).sign(signed.as_bytes());
        format!("{signed}.{}", URL_SAFE_NO_PAD.encode(signature.to_bytes()))
    }
}

/// A fresh installation token (`ghs_` and 36 alphanumerics), unpredictable enough for tests.
pub fn new_installation_token() -> String {
    use std::sync::atomic::{AtomicU64, Ordering};
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos() as u64);
    let mut state = nanos
        ^ COUNTER.fetch_add(1, Ordering::SeqCst).rotate_left(32)
        ^ u64::from(std::process::id());
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    let mut token = String::from("ghs_");
    for _ in 0..36 {
        state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = state;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^= z >> 31;
        token.push(ALPHABET[(z % ALPHABET.len() as u64) as usize] as char);
    }
    token
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::github::config::AppConfig;

    #[test]
    fn reads_credentials() {
        assert_eq!(credential(None), Credential::Missing);
        assert_eq!(
            credential(Some("Bearer abc")),
            Credential::Token("abc".into())
        );
        assert_eq!(
            credential(Some("token abc")),
            Credential::Token("abc".into())
        );
        let basic = format!("Basic {}", STANDARD.encode("x-access-token:abc"));
        assert_eq!(credential(Some(&basic)), Credential::Token("abc".into()));
        assert_eq!(credential(Some("Digest x")), Credential::Malformed);
    }

    #[test]
    fn verifies_jwts() {
        let key = AppKey::generate();
        let apps = [AppConfig::new(42, "gensync", &key.public_key_pem(), "acme")];
        let now = 1_700_000_000;
        assert_eq!(
            verify_jwt(&apps, &key.jwt(42, now - 30, now + 540), now).map(|a| a.id),
            Ok(42)
        );
        assert!(
            verify_jwt(&apps, &key.jwt(42, now - 30, now + 3600), now).is_err(),
            "too long"
        );
        assert!(
            verify_jwt(&apps, &key.jwt(42, now - 700, now - 100), now).is_err(),
            "expired"
        );
        assert!(
            verify_jwt(&apps, &key.jwt(7, now, now + 60), now).is_err(),
            "unknown app"
        );
        let other = AppKey::generate();
        assert!(
            verify_jwt(&apps, &other.jwt(42, now, now + 60), now).is_err(),
            "wrong key"
        );
        let private_apps = [AppConfig::new(
            42,
            "gensync",
            &key.private_key_pem(),
            "acme",
        )];
        assert!(verify_jwt(&private_apps, &key.jwt(42, now, now + 60), now).is_ok());
    }
}
