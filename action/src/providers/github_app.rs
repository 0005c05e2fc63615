//! GitHub App authentication: app id + private key → a signed JWT (RS256) → the installation
//! of the target repository → a short-lived installation token scoped to that repository.
//!
//! Installation tokens are what make pushed commits trigger other workflows (unlike the
//! workflow's own `GITHUB_TOKEN`), and commits without an author made with them are verified.

use anyhow::{bail, Context};
use base64::Engine;
use ring::signature::{RsaKeyPair, RSA_PKCS1_SHA256};
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::PrivateKeyDer;
use serde::Deserialize;

use crate::http::{urls, Body, Credential, HttpClient, HttpConfig, Method, Request, Secret};

/// The permissions an installation token is requested with: what a sync needs and nothing
/// more (commits and branches, pull requests with their comments, labels and reviewers; the
/// repository's metadata). GitHub refuses the request when the App lacks one of them.
pub const TOKEN_PERMISSIONS: [(&str, &str); 3] = [
    ("contents", "write"),
    ("pull_requests", "write"),
    ("metadata", "read"),
];

/// The JWT of app `app_id` signed with `private_key_pem` (PKCS#1 as GitHub issues it, or
/// PKCS#8), valid from a minute ago (clock drift) for nine minutes (GitHub allows ten).
///
/// RS256 (RSASSA-PKCS1-v1_5 with SHA-256, RFC 7518 section 3.3) is signed by ring; the JWT's
/// three parts are the fixed header, the claims and the signature, base64url without padding
/// (RFC 7519).
pub fn app_jwt(app_id: &str, private_key_pem: &str, now_unix: u64) -> anyhow::Result<String> {
    const NOT_A_KEY: &str = "the GitHub App private key is not a PEM RSA private key (download it \
                             from the App's settings page: a `.pem` file starting with \
                             `-----BEGIN RSA PRIVATE KEY-----`)";
    // The parser's own error is left out: it may quote a line of the key.
    let der = PrivateKeyDer::from_pem_slice(private_key_pem.as_bytes())
        .map_err(|_| anyhow::anyhow!(NOT_A_KEY))?;
    let key = match &der {
        PrivateKeyDer::Pkcs1(der) => RsaKeyPair::from_der(der.secret_pkcs1_der()),
        PrivateKeyDer::Pkcs8(der) => RsaKeyPair::from_pkcs8(der.secret_pkcs8_der()),
        _ => bail!("{NOT_A_KEY}: it is not an RSA key"),
    }
    .map_err(|e| anyhow::anyhow!("{NOT_A_KEY}: {e}"))?;
    let b64 = base64::engine::general_purpose::URL_SAFE_NO_PAD;
    let header = b64.encode(br#"{"alg":"RS256","typ":"JWT"}"#);
    let claims = serde_json::json!({ "iat": now_unix.saturating_sub(60), "exp": now_unix + 540, "iss": app_id });
    let payload = b64.encode(serde_json::to_vec(&claims)?);
    let signing_input = format!("{header}.{payload}");
    let mut signature = vec![0; key.public().modulus_len()];
    key.sign(
        &RSA_PKCS1_SHA256,
        &ring::rand::SystemRandom::new(),
        signing_input.as_bytes(),
        &mut signature,
    )
    .map_err(|_| anyhow::anyhow!("signing the GitHub App JWT failed"))?;
    Ok(format!("{signing_input}.{}", b64.encode(signature)))
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
        format!(
            "/repos/{}/{}/installation",
            urls::segment(owner),
            urls::segment(repo)
        ),
    ))?;
    if resp.status != 200 {
        bail!(
            "GitHub App {app_id} is not installed on {owner}/{repo} ({}): install it on the repository, or check --app-id and the private key",
            resp.status
        );
    }
    let installation: Installation = resp.json()?;
    let permissions: serde_json::Map<String, serde_json::Value> = TOKEN_PERMISSIONS
        .iter()
        .map(|(name, level)| ((*name).to_owned(), (*level).into()))
        .collect();
    let body = serde_json::json!({ "repositories": [repo], "permissions": permissions });
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

    /// A 2048-bit RSA key made with `openssl genrsa -traditional 2048` for this test only (it
    /// signs nothing anywhere else). ring cannot generate RSA keys; the emulator's own tests
    /// generate fresh ones.
    const TEST_KEY: &str = include_str!("github_app_test_key.pem");
    /// The same key in PKCS#8 (`openssl pkcs8 -topk8 -nocrypt`).
    const TEST_KEY_PKCS8: &str = include_str!("github_app_test_key_pkcs8.pem");

    #[test]
    fn jwt_is_rs256_signed_with_the_key() {
        let jwt = app_jwt("123", TEST_KEY, 1_700_000_000).unwrap();
        let parts: Vec<&str> = jwt.split('.').collect();
        assert_eq!(parts.len(), 3);
        let b64 = base64::engine::general_purpose::URL_SAFE_NO_PAD;
        let header: serde_json::Value =
            serde_json::from_slice(&b64.decode(parts[0]).unwrap()).unwrap();
        assert_eq!(header["alg"], "RS256");
        let claims: serde_json::Value =
            serde_json::from_slice(&b64.decode(parts[1]).unwrap()).unwrap();
        assert_eq!(claims["iss"], "123");
        assert_eq!(
            claims["exp"].as_u64().unwrap() - claims["iat"].as_u64().unwrap(),
            600
        );
        // The signature verifies with the key's public half.
        let der = PrivateKeyDer::from_pem_slice(TEST_KEY.as_bytes()).unwrap();
        let PrivateKeyDer::Pkcs1(der) = der else {
            panic!("a PKCS#1 key")
        };
        let pair = RsaKeyPair::from_der(der.secret_pkcs1_der()).unwrap();
        let public = ring::signature::UnparsedPublicKey::new(
            &ring::signature::RSA_PKCS1_2048_8192_SHA256,
            ring::signature::KeyPair::public_key(&pair).as_ref(),
        );
        let signature = b64.decode(parts[2]).unwrap();
        public
            .verify(format!("{}.{}", parts[0], parts[1]).as_bytes(), &signature)
            .expect("the signature verifies");
        let mut tampered = signature.clone();
        tampered[0] ^= 1;
        assert!(public
            .verify(format!("{}.{}", parts[0], parts[1]).as_bytes(), &tampered)
            .is_err());
        // PKCS#1 v1.5 signatures are deterministic: the PKCS#8 form of the key signs alike.
        assert_eq!(app_jwt("123", TEST_KEY_PKCS8, 1_700_000_000).unwrap(), jwt);
    }

    #[test]
    fn bad_keys_are_refused_clearly() {
        for bad in [
            "not a key",
            "-----BEGIN RSA PRIVATE KEY-----\nAAAA\n-----END RSA PRIVATE KEY-----\n",
        ] {
            let err = app_jwt("1", bad, 0).expect_err("refused").to_string();
            assert!(err.contains("App private key"), "{err}");
        }
    }
}
