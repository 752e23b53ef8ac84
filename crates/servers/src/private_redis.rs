//! A throwaway redis-server for one run: a free loopback port, a temporary folder, no
//! persistence; stopped and removed when dropped. Started by root, it runs as Debian's `redis`
//! user (as a private MariaDB runs as `mysql`): a server conlab starts never runs as root.

use crate::private::{PrivateFolder, PrivateProcess};
use std::net::TcpListener;
use std::process::{Command, Stdio};
use std::time::Duration;

/// A private redis-server.
pub(crate) struct PrivateRedis {
    _process: PrivateProcess,
    port: u16,
}

impl PrivateRedis {
    /// Starts one, or `Ok(None)` if `redis-server` is not installed.
    pub(crate) fn start() -> std::io::Result<Option<PrivateRedis>> {
        let dir = PrivateFolder::create("conlab-redis-")?;
        let port = TcpListener::bind("127.0.0.1:0")?.local_addr()?.port();
        let mut command = Command::new("redis-server");
        if let Some((uid, gid)) = crate::private::service_user("redis") {
            use std::os::unix::process::CommandExt;
            // Its folder is its own: it may write its files there (an append-only file).
            std::os::unix::fs::chown(dir.path(), Some(uid), Some(gid))?;
            command.uid(uid).gid(gid);
        }
        let spawned = dir.spawn(
            command
                .args([
                    "--bind",
                    "127.0.0.1",
                    "--port",
                    &port.to_string(),
                    "--save",
                    "",
                    "--appendonly",
                    "no",
                    "--daemonize",
                    "no",
                    "--loglevel",
                    "warning",
                ])
                .arg("--dir")
                .arg(dir.path())
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(Stdio::null()),
        );
        let child = match spawned {
            Ok(c) => c,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(e),
        };
        let mut process = PrivateProcess::new("redis-server", child, dir);
        let addr = format!("127.0.0.1:{port}");
        process.wait_ready(Duration::from_secs(5), || crate::find::answers_ping(&addr))?;
        Ok(Some(PrivateRedis {
            _process: process,
            port,
        }))
    }

    /// Its URL.
    pub fn url(&self) -> String {
        format!("redis://127.0.0.1:{}/0", self.port)
    }
}
