//! How a child is started and how it knows what to do: the executable the runner re-executes
//! (itself, unless told otherwise), the hidden argument that makes it a worker, and what the
//! parent passes in the environment.

use std::path::PathBuf;
use std::sync::OnceLock;

/// The first argument that turns a conlab executable into a worker process. Handled before
/// any argument parsing, so it never shows in help text.
pub const WORKER_ARG: &str = "__conlab-worker";

/// The file descriptor a child finds its channel to the parent on: its standard input.
pub(crate) const CHANNEL_FD: i32 = 0;

pub(crate) const ENV_SCENARIO: &str = "CONLAB_WORKER_SCENARIO";
pub(crate) const ENV_ROLE: &str = "CONLAB_WORKER_ROLE";
pub(crate) const ENV_INDEX: &str = "CONLAB_WORKER_INDEX";
pub(crate) const ENV_NAME: &str = "CONLAB_WORKER_NAME";
pub(crate) const ENV_ARG: &str = "CONLAB_WORKER_ARG";
pub(crate) const ENV_PARAMS: &str = "CONLAB_WORKER_PARAMS";
pub(crate) const ENV_CLOCK: &str = "CONLAB_WORKER_CLOCK";
pub(crate) const ENV_PARENT: &str = "CONLAB_WORKER_PARENT";
pub(crate) const ENV_SHARED: &str = "CONLAB_WORKER_SHARED";

static WORKER_EXE: OnceLock<PathBuf> = OnceLock::new();

/// Makes children run `exe` instead of the running executable. For programs that cannot be
/// workers themselves (a test harness): `exe` must call the registry's worker entry first
/// thing in `main`, as `conlab` does. The first call wins.
pub fn set_worker_exe(exe: PathBuf) {
    let _ = WORKER_EXE.set(exe);
}

/// The executable children run.
pub(crate) fn worker_exe() -> std::io::Result<PathBuf> {
    match WORKER_EXE.get() {
        Some(exe) => Ok(exe.clone()),
        None => std::env::current_exe(),
    }
}

/// Whether this process was started as a worker (its first argument is [`WORKER_ARG`]). If
/// so, it also arranges first thing to die with its parent: the kernel kills it when the
/// parent dies (`PR_SET_PDEATHSIG`), and if the parent died before that, it exits now.
pub fn is_worker() -> bool {
    if std::env::args_os().nth(1).is_none_or(|a| a != WORKER_ARG) {
        return false;
    }
    let parent: Option<i32> = std::env::var(ENV_PARENT).ok().and_then(|p| p.parse().ok());
    // SAFETY: plain system calls; SIG_DFL is always a valid action.
    unsafe {
        libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL);
        if parent != Some(libc::getppid()) {
            if parent.is_none() {
                eprintln!("conlab: {WORKER_ARG} is how process scenarios start their children; it is not run by hand (see `conlab run --help`)");
            }
            std::process::exit(2);
        }
        // A SIGSEGV or SIGBUS sent to a worker ends it, as it ends any program: Rust's
        // handler for stack overflows would otherwise let it run on.
        libc::signal(libc::SIGSEGV, libc::SIG_DFL);
        libc::signal(libc::SIGBUS, libc::SIG_DFL);
    }
    true
}

/// What a worker was asked to do, from its environment.
#[derive(Debug, Clone)]
pub struct WorkerSpec {
    /// The scenario whose child code to run.
    pub scenario: String,
    /// Which part of it (`worker`, `manager`, …).
    pub role: String,
    /// Its index among the run's processes.
    pub index: u32,
    /// Its name (`Process-3`).
    pub name: String,
    /// A value the parent gave this child alone.
    pub arg: String,
    /// The run's parameters as a query string.
    pub params: String,
    /// The run's clock's zero on the monotonic clock.
    pub clock: u64,
    /// The names of the shared objects the parent hands over on the channel, in order.
    pub shared: Vec<String>,
}

impl WorkerSpec {
    /// Reads the spec from the environment; the error names what is missing.
    pub fn from_env() -> Result<WorkerSpec, String> {
        let var = |name: &str| {
            std::env::var(name)
                .map_err(|_| format!("{name} is not set: was this started by conlab?"))
        };
        let number = |name: &str| -> Result<u64, String> {
            let text = var(name)?;
            text.parse()
                .map_err(|_| format!("{name} is {text:?}, which is not a number"))
        };
        let shared = var(ENV_SHARED)?
            .split(',')
            .filter(|s| !s.is_empty())
            .map(str::to_string)
            .collect();
        Ok(WorkerSpec {
            scenario: var(ENV_SCENARIO)?,
            role: var(ENV_ROLE)?,
            index: number(ENV_INDEX)? as u32,
            name: var(ENV_NAME)?,
            arg: var(ENV_ARG)?,
            params: var(ENV_PARAMS)?,
            clock: number(ENV_CLOCK)?,
            shared,
        })
    }
}
