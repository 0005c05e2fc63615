//! GitHub App authentication: app id + private key → a signed JWT (RS256) → the installation
//! of the target repository → a short-lived installation token scoped to that repository.
//!
//! Installation tokens are what make pushed commits trigger other workflows (unlike the
//! workflow's own `GITHUB_TOKEN`), and commits without an author made with them are verified.

use anyhow::{bail, Context};
use base64::Engine;
use rsa::pkcs1::DecodeRsaPrivateKey;
use rsa::pkcs1v15::SigningKey;
use rsa::pkcs8::DecodePrivateKey;
use rsa::signature::{SignatureEncoding, Signer};
use serde::Deserialize;

use crate::http::{Body, Credential, HttpClient, HttpConfig, Method, Request, Secret};

/// The JWT of app `app_id` signed with `private_key_pem` (PKCS#1 as GitHub issues it, or
/// PKCS#8), valid from a minute ago (clock drift) for nine minutes (GitHub allows ten).
pub fn app_jwt(app_id: &str, private_key_pem: &str, now_unix: u64) -> anyhow::Result<String> {
    let key = rsa::RsaPrivateKey::from_pkcs1_pem(private_key_pem)
        .or_else(|_| rsa::RsaPrivateKey::from_pkcs8_pem(private_key_pem))
        .context("the GitHub App private key is not a PEM RSA key (download it from the App's settings page)")?;
    let b64 = base64::engine::general_purpose::URL_SAFE_NO_PAD;
    let header = b64.encode(br#"{"alg":"RS256","typ":"JWT"}"#);
    let claims = serde_json::json!({ "iat": now_unix.saturating_sub(60), "exp": now_unix + 540, "iss": app_id });
    let payload = b64.encode(serde_json::to_vec(&claims)?);
    let signing_input = format!("{header}.{payload}");
    let signature = SigningKey::<rsa::sha2::Sha256>::new(key).sign(signing_input.as_bytes());
    Ok(format!(
        "{signing_input}.{}",
        b64.encode(signature.to_bytes())
    ))
}

/// An installation token for `owner/repo`, obtained with the App's JWT.
pub fn installation_token(
    api_url: &str,
    app_id: &str,
    private_key_pem: &str,
    owner: &str,
    repo: &str,
) -> anyhow::Result<String> {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .context("the system clock is before 1970")?
        .as_secs();
    let jwt = app_jwt(app_id, private_key_pem, now)?;
    let mut config = HttpConfig::new(api_url)?
        .credential(Credential::Bearer(Secret::new(jwt)))
        .default_header("Accept", "application/vnd.github+json");
    config.extra_secrets.push(Secret::new(private_key_pem));
    let http = HttpClient::new(config)?;
    #[derive(Deserialize)]
    struct Installation {
        id: u64,
    }
    #[derive(Deserialize)]
    struct Token {
        token: String,
    }
    let resp = http.send(Request::new(
        Method::Get,
        format!("/repos/{owner}/{repo}/installation"),
    ))?;
    if resp.status != 200 {
        bail!(
            "GitHub App {app_id} is not installed on {owner}/{repo} ({}): install it on the repository, or check --app-id and the private key",
            resp.status
        );
    }
    let installation: Installation = resp.json()?;
    let body = serde_json::json!({ "repositories": [repo] });
    let resp = http.send(
        Request::new(
            Method::Post,
            format!("/app/installations/{}/access_tokens", installation.id),
        )
        .body(Body::Json(body))
        .idempotent(true),
    )?;
    if resp.status != 201 {
        bail!(
            "GitHub refused an installation token for App {app_id} on {owner}/{repo}: {} {}",
            resp.status,
            http.redact(&resp.text())
        );
    }
    Ok(resp.json::<Token>()?.token)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn jwt_has_rs256_header_and_iss_claim() {
        let key = rsa::RsaPrivateKey::new(&mut rsa::rand_core::OsRng, 2048).expect("key");
        let pem = rsa::pkcs1::EncodeRsaPrivateKey::to_pkcs1_pem(&key, rsa::pkcs1::LineEnding::LF)
            .expect("pem");
        let jwt = app_jwt("123", &pem, 1_700_000_000).unwrap();
        let parts: Vec<&str> = jwt.split('.').collect();
        assert_eq!(parts.len(), 3);
        let b64 = base64::engine::general_purpose::URL_SAFE_NO_PAD;
        let claims: serde_json::Value =
            serde_json::from_slice(&b64.decode(parts[1]).unwrap()).unwrap();
        assert_eq!(claims["iss"], "123");
        assert_eq!(
            claims["exp"].as_u64().unwrap() - claims["iat"].as_u64().unwrap(),
            600
        );
        assert!(app_jwt("1", "not a key", 0).is_err());
    }
}
