//! The internals every emulator shares ([`Core`]), starting one ([`Setup`], [`Running::serve`])
//! and the running emulator's provider-neutral surface ([`Running`]).

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard};

use super::error::Error;
use super::state::{RepoRecord, State};
use super::Provider;
use crate::fault::{FaultId, FaultRule, Faults};
use crate::git::BareRepo;
use crate::http::{Response, Server};
use crate::record::{RecordedRequest, Recorder};
use crate::validator::Validator;

/// The internals of an emulator that do not depend on the provider, used from every
/// connection thread.
pub struct Core<R> {
    /// Root directory of the bare repositories and the state file.
    pub root: PathBuf,
    /// The request record.
    pub recorder: Recorder,
    /// Fault rules.
    pub faults: Faults,
    /// The validator, unless validation is off.
    pub validator: Option<Arc<Validator>>,
    /// Repositories and what the provider keeps of them (held for the whole of a request).
    state: Mutex<State<R>>,
    /// The state file's name in the root.
    state_file: &'static str,
}

impl<R: RepoRecord> Core<R> {
    /// Locks the state.
    pub fn lock_state(&self) -> MutexGuard<'_, State<R>> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Persists `state` to the root directory.
    pub fn save(&self, state: &State<R>) -> std::io::Result<()> {
        state.save(&self.root, self.state_file)
    }

    /// The bare repository of `full_name`.
    pub fn git(&self, state: &State<R>, full_name: &str) -> Result<BareRepo, Error> {
        let repo = state.repo(full_name).ok_or_else(|| Error::UnknownRepo {
            name: full_name.to_owned(),
        })?;
        Ok(BareRepo::open(&repo.git_dir(&self.root)))
    }

    /// Runs `op` as "another writer" on the bare repository of `full_name`, or of the only
    /// repository when the request named none.
    pub fn another_writer(
        &self,
        full_name: Option<String>,
        op: &dyn Fn(&BareRepo) -> Result<(), String>,
    ) -> Result<(), String> {
        let state = self.lock_state();
        let full_name = match full_name {
            Some(name) => name,
            None if state.repos.len() == 1 => state
                .repos
                .values()
                .next()
                .map(|r| r.full_name())
                .unwrap_or_default(),
            None => return Err("no repository in the request".into()),
        };
        let repo = state
            .repo(&full_name)
            .ok_or_else(|| format!("no repository {full_name}"))?;
        op(&BareRepo::open(&repo.git_dir(&self.root)))
    }

    /// The versions of the descriptions requests are validated against (`None` when
    /// validation is off).
    pub fn validator_versions(&self) -> Option<String> {
        self.validator.as_ref().map(|v| v.versions().to_owned())
    }
}

/// Runs `route` (which may flag the request invalid) and turns a panic in it (an emulator bug)
/// into `internal`'s 500 answer and an invalid request, so the test that met it fails with the
/// reason instead of a closed connection.
pub fn catching(
    route: impl FnOnce(&mut Option<String>) -> Response,
    internal: impl FnOnce(&str) -> Response,
) -> (Response, Option<String>) {
    let mut invalid = None;
    let routed = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| route(&mut invalid)));
    match routed {
        Ok(response) => (response, invalid),
        Err(panic) => {
            let what = panic
                .downcast_ref::<String>()
                .map(String::as_str)
                .or_else(|| panic.downcast_ref::<&str>().copied())
                .unwrap_or("a panic");
            let why = format!("the emulator panicked: {what}");
            (internal(&why), Some(why))
        }
    }
}

/// Where and how an emulator starts: the settings every provider's configuration has.
#[derive(Debug, Clone, Copy)]
pub struct Setup<'a> {
    /// Root directory; `None` for a temporary one, removed when the emulator is dropped.
    pub root: Option<&'a Path>,
    /// Port on `127.0.0.1` (0 picks a free one).
    pub port: u16,
    /// A file the request record is appended to as JSON lines.
    pub record: Option<&'a Path>,
    /// Whether requests are validated (then starting fails without the validator).
    pub validate: bool,
    /// The validator's directory.
    pub validator_dir: &'a Path,
}

/// A running emulator of provider `P`. Stops serving when dropped; a temporary root is removed
/// then. Dropping it with invalid requests left fails the test even when it forgot to assert.
pub struct Running<P: Provider> {
    // Field order matters: the server stops before the internals and the directory go.
    pub(crate) server: Server,
    pub(crate) inner: Arc<P>,
    _temp: Option<tempfile::TempDir>,
}

/// Starting and addresses.
impl<P: Provider> Running<P> {
    /// Starts serving on `127.0.0.1` as `setup` says, with the provider internals `build`
    /// makes from the core and the port. Fails when validation is on and the validator (with
    /// the provider's description) is not installed (run `tests/validator/install.sh`).
    pub fn serve(
        setup: Setup<'_>,
        build: impl FnOnce(Core<P::Repo>, u16) -> P,
    ) -> Result<Running<P>, Error> {
        let (root, temp) = match setup.root {
            Some(root) => (root.to_owned(), None),
            None => {
                let temp = tempfile::Builder::new()
                    .prefix(&format!("{}-emulator", P::SPEC))
                    .tempdir()
                    .map_err(|source| Error::Root {
                        path: std::env::temp_dir(),
                        source,
                    })?;
                (temp.path().to_owned(), Some(temp))
            }
        };
        let root_error = |source| Error::Root {
            path: root.clone(),
            source,
        };
        std::fs::create_dir_all(&root).map_err(root_error)?;
        let validator = if setup.validate {
            let validator = Validator::shared(setup.validator_dir)?;
            validator.require(P::SPEC)?;
            Some(validator)
        } else {
            None
        };
        let recorder = Recorder::new(setup.record).map_err(|source| Error::Record {
            path: setup.record.map(Path::to_owned).unwrap_or_default(),
            source,
        })?;
        let port = setup.port;
        let listen = |source| Error::Listen { port, source };
        let listener = TcpListener::bind(("127.0.0.1", port)).map_err(listen)?;
        let port = listener.local_addr().map_err(listen)?.port();
        let core = Core {
            state: Mutex::new(State::load(&root, P::STATE_FILE).map_err(root_error)?),
            state_file: P::STATE_FILE,
            root,
            recorder,
            faults: Faults::default(),
            validator,
        };
        let inner = Arc::new(build(core, port));
        let handler = Arc::clone(&inner);
        let server = Server::start(
            listener,
            Arc::new(move |request| super::handle(&*handler, request)),
        )
        .map_err(listen)?;
        Ok(Running {
            server,
            inner,
            _temp: temp,
        })
    }

    /// The port served on.
    pub fn port(&self) -> u16 {
        self.server.addr().port()
    }

    /// The root directory of repositories and state.
    pub fn root(&self) -> &Path {
        &self.inner.core().root
    }

    /// The versions of the provider's descriptions requests are validated against (`None`
    /// when validation is off).
    pub fn validator_versions(&self) -> Option<String> {
        self.inner.core().validator_versions()
    }

    /// The bare repository of `full_name`, for checks with git.
    pub fn git(&self, full_name: &str) -> Result<BareRepo, Error> {
        let core = self.inner.core();
        core.git(&core.lock_state(), full_name)
    }

    /// The directory of `full_name`'s bare repository.
    pub fn git_dir(&self, full_name: &str) -> Result<PathBuf, Error> {
        Ok(self.git(full_name)?.git_dir().to_owned())
    }

    /// The head of `branch`, if it exists.
    pub fn branch_head(
        &self,
        full_name: &str,
        branch: &str,
    ) -> Result<Option<crate::git::Oid>, Error> {
        Ok(self.git(full_name)?.branch(branch)?)
    }

    /// The repositories, as `owner/name`.
    pub fn repos(&self) -> Vec<String> {
        self.inner
            .core()
            .lock_state()
            .repos
            .values()
            .map(|r| r.full_name())
            .collect()
    }
}

/// The request record.
impl<P: Provider> Running<P> {
    /// Every request answered so far (control requests and CORS preflights excluded), in
    /// arrival order.
    pub fn requests(&self) -> Vec<RecordedRequest> {
        self.inner.core().recorder.entries()
    }

    /// The CORS preflights (`OPTIONS`) answered so far: kept apart from
    /// [`Running::requests`], numbered in their own sequence.
    pub fn preflights(&self) -> Vec<RecordedRequest> {
        self.inner.core().recorder.preflights()
    }

    /// Forgets the recorded requests and preflights (the record file keeps them).
    pub fn clear_requests(&self) {
        self.inner.core().recorder.clear();
    }

    /// The requests the provider's API description (or its documented rules) rejects.
    pub fn invalid_requests(&self) -> Vec<RecordedRequest> {
        self.inner.core().recorder.invalid()
    }

    /// Returns the invalid requests and clears their flag, for tests that send invalid
    /// requests on purpose.
    pub fn take_invalid_requests(&self) -> Vec<RecordedRequest> {
        self.inner.core().recorder.take_invalid()
    }

    /// Panics, listing them, if any request was invalid.
    #[track_caller]
    pub fn assert_no_invalid_requests(&self) {
        let invalid = self.invalid_requests();
        assert!(
            invalid.is_empty(),
            "requests rejected by {}:\n{}",
            P::JUDGE,
            crate::record::describe_invalid(&invalid)
        );
    }
}

/// Fault injection.
impl<P: Provider> Running<P> {
    /// Adds a fault rule (after the existing ones); paths are matched as sent.
    pub fn add_fault(&self, rule: FaultRule) -> FaultId {
        self.inner.core().faults.add(rule)
    }

    /// Removes a fault rule.
    pub fn remove_fault(&self, id: FaultId) {
        self.inner.core().faults.remove(id);
    }

    /// Removes every fault rule.
    pub fn clear_faults(&self) {
        self.inner.core().faults.clear();
    }

    /// How often rule `id` has triggered.
    pub fn fault_fired(&self, id: FaultId) -> u32 {
        self.inner.core().faults.fired(id)
    }

    /// Waits (at most `timeout`) until no request is being handled, delayed ones included;
    /// whether the emulator went idle. A test calls it before it looks at the repository
    /// after a client gave up on a request.
    pub fn wait_idle(&self, timeout: std::time::Duration) -> bool {
        self.server.wait_idle(timeout)
    }
}

impl<P: Provider> Drop for Running<P> {
    /// An invalid request fails the test even when it forgot to assert: unless the thread is
    /// already panicking, remaining invalid requests panic here.
    fn drop(&mut self) {
        if std::thread::panicking() {
            return;
        }
        let invalid = self.invalid_requests();
        if !invalid.is_empty() {
            panic!(
                "the {} emulator saw requests rejected by {}:\n{}",
                P::NAME,
                P::JUDGE,
                crate::record::describe_invalid(&invalid)
            );
        }
    }
}
