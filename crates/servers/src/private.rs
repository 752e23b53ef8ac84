//! What the private servers share: a temporary folder registered from the moment it exists
//! (so an interrupted run removes it even while the server is still being installed), the
//! processes that work in it, and stopping them and removing the folder when dropped.
//!
//! Nothing of them outlives conlab, however it ends: Ctrl-C and SIGTERM stop them through
//! [`stop_private_servers`]; a kill that runs nothing of conlab is met by its keeper (see
//! `keeper.rs`), which stops them once conlab is gone; and each folder holds an `owner` file
//! locked for as long as its conlab lives, so the next run that starts a private server sweeps
//! any folder whose lock is free (a keeper killed too, or an older conlab's leftovers).

use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus};
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Private servers' folders alive right now, with the process working in each (0: none yet),
/// and whether they are being stopped (then no process may start any more).
static ALIVE: Mutex<Alive> = Mutex::new(Alive {
    folders: Vec::new(),
    stopping: false,
});

struct Alive {
    folders: Vec<(u32, PathBuf)>,
    stopping: bool,
}

fn alive() -> std::sync::MutexGuard<'static, Alive> {
    ALIVE.lock().unwrap_or_else(|p| p.into_inner())
}

/// Stops every private server this process started and removes its folder. For an
/// interrupted run (Ctrl-C), where destructors do not run. Returns how many it stopped.
pub fn stop_private_servers() -> usize {
    let servers = {
        let mut alive = alive();
        alive.stopping = true;
        std::mem::take(&mut alive.folders)
    };
    let count = servers.len();
    for (pid, dir) in servers {
        if pid != 0 {
            // The whole process group: an installer's own children (MariaDB's installer runs
            // the server to bootstrap) go too.
            let _ = Command::new("kill")
                .args(["-9", "--", &format!("-{pid}")])
                .stderr(std::process::Stdio::null())
                .status();
        }
        crate::keeper::remove_folder(&dir);
        crate::keeper::note_removed(&dir);
    }
    count
}

/// What a private folder's name begins with; the next runs sweep folders so named.
const PREFIXES: [&str; 2] = ["conlab-redis-", "conlab-mysql-"];

/// What a folder is called while its owner file is being made: swept only once old.
const STAGING: &str = ".conlab-new-";

/// The file in each private folder that its conlab holds locked while it lives.
const OWNER: &str = "owner";

/// Sweeps, once per process, the private folders in the temporary folder whose conlab is
/// gone: their owner file's lock is free (or they have none: an older conlab's), so every
/// process still working in them is killed and the folder removed.
fn sweep_leftovers_once() {
    static SWEPT: std::sync::Once = std::sync::Once::new();
    SWEPT.call_once(|| {
        let Ok(entries) = std::fs::read_dir(std::env::temp_dir()) else {
            return;
        };
        for entry in entries.flatten() {
            let name = entry.file_name();
            let name = name.to_string_lossy();
            let ours = PREFIXES.iter().any(|p| name.starts_with(p));
            let stale_staging = name.starts_with(STAGING)
                && entry
                    .metadata()
                    .and_then(|m| m.modified())
                    .is_ok_and(|t| t.elapsed().is_ok_and(|age| age > Duration::from_secs(60)));
            if (ours || stale_staging) && !owner_alive(&entry.path()) {
                crate::keeper::remove_folder(&entry.path());
            }
        }
    });
}

/// Whether the conlab that owns private folder `dir` still lives: it holds the lock of the
/// folder's owner file.
fn owner_alive(dir: &Path) -> bool {
    use std::os::fd::AsRawFd;
    let Ok(file) = std::fs::File::open(dir.join(OWNER)) else {
        return false;
    };
    // SAFETY: a valid descriptor; LOCK_NB never blocks. The lock, if taken, goes with `file`.
    let taken = unsafe { libc::flock(file.as_raw_fd(), libc::LOCK_EX | libc::LOCK_NB) } == 0;
    !taken
}

/// Whether this process runs as root.
pub(crate) fn running_as_root() -> bool {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("Uid:"))
                .map(|l| l.split_whitespace().nth(1) == Some("0"))
        })
        .unwrap_or(false)
}

/// The uid and gid of user `name`, from /etc/passwd.
pub(crate) fn user_ids(name: &str) -> Option<(u32, u32)> {
    let passwd = std::fs::read_to_string("/etc/passwd").ok()?;
    let line = passwd.lines().find(|l| l.split(':').next() == Some(name))?;
    let mut fields = line.split(':').skip(2);
    Some((fields.next()?.parse().ok()?, fields.next()?.parse().ok()?))
}

/// The user a private server runs as when conlab runs as root: the server's own (`redis`),
/// where the machine has it; `None` when conlab is not root (the server runs as conlab does).
pub(crate) fn service_user(name: &str) -> Option<(u32, u32)> {
    if running_as_root() {
        user_ids(name)
    } else {
        None
    }
}

/// Makes `command` start its process in a process group of its own: the terminal's Ctrl-C then
/// reaches only conlab, which stops the group (the process and any children) itself.
fn own_group(command: &mut Command) -> &mut Command {
    use std::os::unix::process::CommandExt;
    command.process_group(0)
}

/// A private server's temporary folder: registered as soon as it exists (with this process's
/// keeper too), its owner file locked while it lives; removed (and unregistered) when
/// dropped.
pub(crate) struct PrivateFolder {
    dir: PathBuf,
    /// Its owner file, locked: the lock goes with the descriptor when this process does.
    _owner: std::fs::File,
}

impl PrivateFolder {
    /// Creates a fresh folder named `prefix…` in the system's temporary folder, first sweeping
    /// what earlier runs left there. It gets its name only once its owner file is locked, so a
    /// sweep never takes a folder being made for one that was left.
    pub fn create(prefix: &str) -> std::io::Result<PrivateFolder> {
        use std::os::fd::AsRawFd;
        debug_assert!(PREFIXES.contains(&prefix));
        sweep_leftovers_once();
        let staging = tempfile::Builder::new().prefix(STAGING).tempdir()?;
        let owner = std::fs::File::create(staging.path().join(OWNER))?;
        // SAFETY: a valid descriptor of a file only this process has open.
        if unsafe { libc::flock(owner.as_raw_fd(), libc::LOCK_EX | libc::LOCK_NB) } != 0 {
            return Err(std::io::Error::last_os_error());
        }
        let suffix = staging
            .path()
            .file_name()
            .map(|n| n.to_string_lossy().trim_start_matches(STAGING).to_string())
            .unwrap_or_default();
        let dir = staging.path().with_file_name(format!("{prefix}{suffix}"));
        let mut alive = alive();
        if alive.stopping {
            return Err(stopping());
        }
        std::fs::rename(staging.keep(), &dir)?;
        alive.folders.push((0, dir.clone()));
        drop(alive);
        crate::keeper::note_created(&dir);
        Ok(PrivateFolder { dir, _owner: owner })
    }

    /// The folder.
    pub fn path(&self) -> &Path {
        &self.dir
    }

    /// Starts `command` in a process group of its own as the process working in the folder,
    /// so an interrupted run stops it. Under the registry's lock: once the servers are being
    /// stopped, nothing starts any more.
    pub fn spawn(&self, command: &mut Command) -> std::io::Result<Child> {
        let mut alive = alive();
        if alive.stopping {
            return Err(stopping());
        }
        let child = own_group(command).spawn()?;
        if let Some(entry) = alive.folders.iter_mut().find(|(_, d)| *d == self.dir) {
            entry.0 = child.id();
        }
        Ok(child)
    }

    /// Runs `command` to its end, as the folder's working process meanwhile (an installer).
    pub fn run(&self, command: &mut Command) -> std::io::Result<ExitStatus> {
        let status = self.spawn(command)?.wait();
        if let Some(entry) = alive().folders.iter_mut().find(|(_, d)| *d == self.dir) {
            entry.0 = 0;
        }
        status
    }
}

impl Drop for PrivateFolder {
    fn drop(&mut self) {
        let registered = {
            let mut alive = alive();
            let before = alive.folders.len();
            alive.folders.retain(|(_, d)| *d != self.dir);
            alive.folders.len() != before
        };
        // Stopped and removed already by an interrupt, or removed here.
        if registered {
            crate::keeper::remove_folder(&self.dir);
            crate::keeper::note_removed(&self.dir);
        }
    }
}

fn stopping() -> std::io::Error {
    std::io::Error::other("conlab is stopping its private servers")
}

/// A server process of this run and its temporary folder.
pub(crate) struct PrivateProcess {
    /// The program's name, for messages.
    pub program: String,
    child: Child,
    /// Removed after the process is stopped (fields drop after `Drop::drop`).
    _folder: PrivateFolder,
}

impl PrivateProcess {
    /// Takes charge of a server started with [`PrivateFolder::spawn`]: stopped when dropped.
    pub fn new(program: impl Into<String>, child: Child, folder: PrivateFolder) -> Self {
        PrivateProcess {
            program: program.into(),
            child,
            _folder: folder,
        }
    }

    /// Waits until `ready()` holds, for at most `limit`; fails if the process exits first.
    pub fn wait_ready(&mut self, limit: Duration, ready: impl Fn() -> bool) -> std::io::Result<()> {
        let deadline = Instant::now() + limit;
        while !ready() {
            if let Ok(Some(status)) = self.child.try_wait() {
                return Err(std::io::Error::other(format!(
                    "{} exited at start ({status})",
                    self.program
                )));
            }
            if Instant::now() > deadline {
                return Err(std::io::Error::other(format!(
                    "{} did not answer within {} s",
                    self.program,
                    limit.as_secs()
                )));
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        Ok(())
    }
}

impl PrivateProcess {
    /// Its folder.
    pub fn folder(&self) -> &Path {
        self._folder.path()
    }

    /// Stops the process (SIGTERM to its group, so it shuts down cleanly, then SIGKILL after
    /// `limit`), leaves it down for `down`, starts `command` in its place in the same folder
    /// and waits for `ready()`.
    pub fn restart(
        &mut self,
        command: &mut Command,
        limit: Duration,
        down: Duration,
        ready: impl Fn() -> bool,
    ) -> std::io::Result<()> {
        let pid = self.child.id() as i32;
        // SAFETY: a signal to the process group of a child this process started, not reaped.
        unsafe {
            libc::kill(-pid, libc::SIGTERM);
        }
        let deadline = Instant::now() + limit;
        while self.child.try_wait()?.is_none() {
            if Instant::now() > deadline {
                let _ = self.child.kill();
                let _ = self.child.wait();
                break;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        std::thread::sleep(down);
        self.child = self._folder.spawn(command)?;
        self.wait_ready(limit, ready)
    }
}

impl Drop for PrivateProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
