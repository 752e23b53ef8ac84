//! A throwaway redis-server for one run: a free loopback port, a temporary folder, no
//! persistence (or, for a caller that restarts it, its append-only file on); stopped and
//! removed when dropped. Started by root, it runs as Debian's `redis` user (as a private
//! MariaDB runs as `mysql`): a server conlab starts never runs as root.

use crate::private::{PrivateFolder, PrivateProcess};
use std::net::TcpListener;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;

/// A private redis-server.
pub(crate) struct PrivateRedis {
    process: PrivateProcess,
    port: u16,
    durable: bool,
}

/// The command that starts one on `port` in `dir`, its append-only file on if `durable`.
fn command(port: u16, dir: &Path, durable: bool) -> Command {
    let mut command = Command::new("redis-server");
    if let Some((uid, gid)) = crate::private::service_user("redis") {
        use std::os::unix::process::CommandExt;
        command.uid(uid).gid(gid);
    }
    command
        .args([
            "--bind",
            "127.0.0.1",
            "--port",
            &port.to_string(),
            "--save",
            "",
            "--appendonly",
            if durable { "yes" } else { "no" },
            "--daemonize",
            "no",
            "--loglevel",
            "warning",
        ])
        .arg("--dir")
        .arg(dir)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    command
}

impl PrivateRedis {
    /// Starts one, or `Ok(None)` if `redis-server` is not installed; with its append-only
    /// file on if `durable` (what it holds then survives [`PrivateRedis::restart`]).
    pub(crate) fn start(durable: bool) -> std::io::Result<Option<PrivateRedis>> {
        let dir = PrivateFolder::create("conlab-redis-")?;
        let port = TcpListener::bind("127.0.0.1:0")?.local_addr()?.port();
        if let Some((uid, gid)) = crate::private::service_user("redis") {
            // Its folder is its own: it may write its files there (an append-only file).
            std::os::unix::fs::chown(dir.path(), Some(uid), Some(gid))?;
        }
        let child = match dir.spawn(&mut command(port, dir.path(), durable)) {
            Ok(c) => c,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(e),
        };
        let mut process = PrivateProcess::new("redis-server", child, dir);
        let addr = format!("127.0.0.1:{port}");
        process.wait_ready(Duration::from_secs(5), || crate::find::answers_ping(&addr))?;
        Ok(Some(PrivateRedis {
            process,
            port,
            durable,
        }))
    }

    /// Its URL.
    pub fn url(&self) -> String {
        format!("redis://127.0.0.1:{}/0", self.port)
    }

    /// Stops it cleanly and starts it again on the same port with the same folder (and so
    /// the same data, if durable); returns once it answers.
    pub fn restart(&mut self, down: Duration) -> std::io::Result<()> {
        let mut command = command(self.port, self.process.folder(), self.durable);
        let addr = format!("127.0.0.1:{}", self.port);
        self.process
            .restart(&mut command, Duration::from_secs(10), down, || {
                crate::find::answers_ping(&addr)
            })
    }
}
