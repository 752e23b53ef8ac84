//! The keeper: a small process that a conlab starting private servers leaves beside it, which
//! stops those servers and removes their folders when conlab is gone, however it went (SIGKILL
//! included, where no destructor or handler of conlab runs). conlab writes to the keeper's
//! standard input the folders it creates (`+ <folder>`) and removes (`- <folder>`); the keeper
//! waits for that pipe to close — conlab exited, or was killed — then kills every process
//! still working in a folder it was told of (whatever its user: a MariaDB server changes to
//! the `mysql` user, which a parent-death signal would not survive) and removes the folder.
//!
//! The keeper is conlab started again with the hidden first argument [`KEEPER_ARG`] (a test
//! binary names another executable with [`set_keeper_exe`]), in a process group of its own so
//! a terminal's Ctrl-C does not reach it.

use std::io::{BufRead, Write};
use std::path::{Path, PathBuf};
use std::process::{ChildStdin, Command, Stdio};
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// The hidden first argument that makes conlab a keeper.
pub const KEEPER_ARG: &str = "__conlab-keeper";

/// Set in a keeper's environment. A keeper is an executable started again; one whose `main`
/// does not call [`run_if_asked`] would run its own work again, start servers and a keeper
/// of its own, and so on without end: such a process finds this set and exits instead.
const KEEPER_ENV: &str = "CONLAB_SERVERS_KEEPER";

/// The executable started as the keeper, when not conlab itself.
static KEEPER_EXE: Mutex<Option<PathBuf>> = Mutex::new(None);

/// The pipe to this process's keeper, once one was started (`None` inside: it could not be).
static KEEPER: Mutex<Option<Option<ChildStdin>>> = Mutex::new(None);

/// Makes private servers' keeper this executable (which must call [`run_if_asked`] first
/// thing): a test harness cannot be the keeper itself.
pub fn set_keeper_exe(exe: PathBuf) {
    *KEEPER_EXE.lock().unwrap_or_else(|p| p.into_inner()) = Some(exe);
}

/// If this process was started as a keeper, does a keeper's work and exits; otherwise returns
/// at once. Called first thing in `main`.
pub fn run_if_asked() {
    if std::env::args().nth(1).as_deref() != Some(KEEPER_ARG) {
        return;
    }
    let mut folders: Vec<PathBuf> = Vec::new();
    for line in std::io::stdin().lock().lines() {
        let Ok(line) = line else { break };
        match line.split_once(' ') {
            Some(("+", dir)) => folders.push(PathBuf::from(dir)),
            Some(("-", dir)) => folders.retain(|f| f != Path::new(dir)),
            _ => {}
        }
    }
    // The pipe closed: conlab is gone. Whatever it left is stopped and removed.
    for dir in &folders {
        remove_folder(dir);
    }
    std::process::exit(0);
}

/// Tells the keeper (started on first use) about a private folder just created.
pub(crate) fn note_created(dir: &Path) {
    tell(&format!("+ {}\n", dir.display()));
}

/// Tells the keeper that a private folder is gone.
pub(crate) fn note_removed(dir: &Path) {
    tell(&format!("- {}\n", dir.display()));
}

fn tell(line: &str) {
    let mut keeper = KEEPER.lock().unwrap_or_else(|p| p.into_inner());
    let pipe = keeper.get_or_insert_with(start_keeper);
    if let Some(stdin) = pipe.as_mut() {
        if stdin.write_all(line.as_bytes()).is_err() {
            // The keeper died: the next run's sweep covers what this one leaves.
            *pipe = None;
        }
    }
}

/// Starts the keeper; `None` if it cannot be (the next run's sweep then covers a kill).
fn start_keeper() -> Option<ChildStdin> {
    use std::os::unix::process::CommandExt;
    if std::env::var_os(KEEPER_ENV).is_some() {
        eprintln!(
            "conlab-servers: this process was started as a keeper of private servers, but its \
             main does not call conlab_servers::keeper::run_if_asked() first; it stops here \
             rather than start servers and keepers without end"
        );
        std::process::exit(70);
    }
    let exe = KEEPER_EXE
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .clone()
        .or_else(|| std::env::current_exe().ok())?;
    let mut child = Command::new(exe)
        .arg(KEEPER_ARG)
        .env(KEEPER_ENV, std::process::id().to_string())
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .process_group(0)
        .spawn()
        .ok()?;
    let stdin = child.stdin.take();
    // Reaped by a thread of its own when it exits (it outlives this process only when this
    // process dies first).
    std::thread::Builder::new()
        .name("conlab-keeper-reaper".into())
        .spawn(move || {
            let _ = child.wait();
        })
        .ok();
    stdin
}

/// Kills every process working in `dir` and removes it (what the keeper and the next run's
/// sweep both do).
pub(crate) fn remove_folder(dir: &Path) {
    kill_processes_in(dir);
    // A process that was still writing may add files for a moment after the signal.
    let deadline = Instant::now() + Duration::from_secs(3);
    while std::fs::remove_dir_all(dir).is_err() && dir.exists() && Instant::now() < deadline {
        kill_processes_in(dir);
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// SIGKILLs every process working in `dir` — its current folder is in it (a server changes to
/// its data folder, and redis-server rewrites its command line), or its command line names it
/// (an installer's `--datadir`) — and the process group of each that leads one (an installer's
/// own children).
fn kill_processes_in(dir: &Path) {
    let needle = dir.as_os_str().as_encoded_bytes();
    let Ok(procs) = std::fs::read_dir("/proc") else {
        return;
    };
    let me = std::process::id();
    for entry in procs.flatten() {
        let Some(pid) = entry
            .file_name()
            .to_str()
            .and_then(|n| n.parse::<i32>().ok())
        else {
            continue;
        };
        if pid as u32 == me {
            continue;
        }
        let names_it = std::fs::read(entry.path().join("cmdline"))
            .is_ok_and(|c| c.windows(needle.len()).any(|w| w == needle));
        // A folder removed under a process reads `<path> (deleted)`.
        let works_in_it = std::fs::read_link(entry.path().join("cwd"))
            .is_ok_and(|cwd| cwd.as_os_str().as_encoded_bytes().starts_with(needle));
        if !names_it && !works_in_it {
            continue;
        }
        // SAFETY: getpgid and kill have no preconditions; a process gone meanwhile is an error
        // ignored.
        unsafe {
            if libc::getpgid(pid) == pid {
                libc::kill(-pid, libc::SIGKILL);
            }
            libc::kill(pid, libc::SIGKILL);
        }
    }
}
