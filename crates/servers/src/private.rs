//! What the private servers share: a child process with a temporary folder, registered while
//! alive so that an interrupted run can still stop it and remove the folder, and stopped
//! (folder removed) when dropped.

use std::path::PathBuf;
use std::process::Child;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Private servers alive right now (process id and folder).
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
        let _ = std::process::Command::new("kill")
            .args(["-9", &pid.to_string()])
            .status();
        // Give the kernel a moment to release the files before removing them.
        std::thread::sleep(Duration::from_millis(50));
        let _ = std::fs::remove_dir_all(dir);
    }
    count
}

/// A server process of this run and its temporary folder.
pub(crate) struct PrivateProcess {
    /// The program's name, for messages.
    pub program: String,
    child: Child,
    /// Removed after the process is stopped (fields drop after `Drop::drop`).
    _dir: tempfile::TempDir,
}

impl PrivateProcess {
    /// Takes charge of a started server: registered now, stopped when dropped.
    pub fn new(program: impl Into<String>, child: Child, dir: tempfile::TempDir) -> Self {
        alive().push((child.id(), dir.path().to_path_buf()));
        PrivateProcess {
            program: program.into(),
            child,
            _dir: dir,
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
        let pid = self.child.id();
        alive().retain(|(p, _)| *p != pid);
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
