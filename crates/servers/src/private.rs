//! What the private servers share: a temporary folder registered from the moment it exists
//! (so an interrupted run removes it even while the server is still being installed), the
//! processes that work in it, and stopping them and removing the folder when dropped.

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
        // A process that was still writing may add files for a moment after the signal.
        let deadline = Instant::now() + Duration::from_secs(2);
        while std::fs::remove_dir_all(&dir).is_err() && dir.exists() && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(50));
        }
    }
    count
}

/// Makes `command` start its process in a process group of its own: the terminal's Ctrl-C then
/// reaches only conlab, which stops the group (the process and any children) itself.
fn own_group(command: &mut Command) -> &mut Command {
    use std::os::unix::process::CommandExt;
    command.process_group(0)
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
        let mut alive = alive();
        if alive.stopping {
            return Err(stopping());
        }
        alive.folders.push((0, dir.path().to_path_buf()));
        Ok(PrivateFolder { dir })
    }

    /// The folder.
    pub fn path(&self) -> &Path {
        self.dir.path()
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
        if let Some(entry) = alive.folders.iter_mut().find(|(_, d)| d == self.dir.path()) {
            entry.0 = child.id();
        }
        Ok(child)
    }

    /// Runs `command` to its end, as the folder's working process meanwhile (an installer).
    pub fn run(&self, command: &mut Command) -> std::io::Result<ExitStatus> {
        let status = self.spawn(command)?.wait();
        if let Some(entry) = alive()
            .folders
            .iter_mut()
            .find(|(_, d)| d == self.dir.path())
        {
            entry.0 = 0;
        }
        status
    }
}

impl Drop for PrivateFolder {
    fn drop(&mut self) {
        alive().folders.retain(|(_, d)| d != self.dir.path());
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

impl Drop for PrivateProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
