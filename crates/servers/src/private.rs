//! What the private servers share: a temporary folder registered from the moment it exists
//! (so an interrupted run removes it even while the server is still being installed), the
//! processes that work in it, and stopping them and removing the folder when dropped.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus};
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Private servers' folders alive right now, with the process working in each (0: none yet).
static ALIVE: Mutex<Vec<(u32, PathBuf)>> = Mutex::new(Vec::new());

fn alive() -> std::sync::MutexGuard<'static, Vec<(u32, PathBuf)>> {
    ALIVE.lock().unwrap_or_else(|p| p.into_inner())
}

/// Stops every private server this process started and removes its folder. For an
/// interrupted run (Ctrl-C), where destructors do not run. Returns how many it stopped.
pub fn stop_private_servers() -> usize {
    let servers = std::mem::take(&mut *alive());
    let count = servers.len();
    for (pid, dir) in servers {
        if pid != 0 {
            let _ = Command::new("kill").args(["-9", &pid.to_string()]).status();
        }
        // Give the kernel a moment to release the files before removing them.
        std::thread::sleep(Duration::from_millis(50));
        let _ = std::fs::remove_dir_all(dir);
    }
    count
}

/// A private server's temporary folder: registered as soon as it exists, removed (and
/// unregistered) when dropped.
pub(crate) struct PrivateFolder {
    dir: tempfile::TempDir,
}

impl PrivateFolder {
    /// Creates a fresh folder named `prefix…` in the system's temporary folder.
    pub fn create(prefix: &str) -> std::io::Result<PrivateFolder> {
        let dir = tempfile::Builder::new().prefix(prefix).tempdir()?;
        alive().push((0, dir.path().to_path_buf()));
        Ok(PrivateFolder { dir })
    }

    /// The folder.
    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    /// Notes that process `pid` works in the folder (0: none), so an interrupted run stops it.
    fn working(&self, pid: u32) {
        if let Some(entry) = alive().iter_mut().find(|(_, d)| d == self.dir.path()) {
            entry.0 = pid;
        }
    }

    /// Runs `command` to its end, as the folder's working process meanwhile (an installer).
    pub fn run(&self, command: &mut Command) -> std::io::Result<ExitStatus> {
        let mut child = command.spawn()?;
        self.working(child.id());
        let status = child.wait();
        self.working(0);
        status
    }
}

impl Drop for PrivateFolder {
    fn drop(&mut self) {
        alive().retain(|(_, d)| d != self.dir.path());
    }
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
    /// Takes charge of a started server working in `folder`: stopped when dropped.
    pub fn new(program: impl Into<String>, child: Child, folder: PrivateFolder) -> Self {
        folder.working(child.id());
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

impl Drop for PrivateProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
