//! A throwaway MariaDB server for one run: a fresh data directory in a temporary folder, a
//! free loopback port, grant tables skipped (nothing but this run can reach it); stopped and
//! removed when dropped.

use crate::private::PrivateProcess;
use std::net::{TcpListener, TcpStream};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;

/// A private mariadbd.
pub(crate) struct PrivateMysql {
    _process: PrivateProcess,
    port: u16,
}

fn running_as_root() -> bool {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("Uid:"))
                .map(|l| l.split_whitespace().nth(1) == Some("0"))
        })
        .unwrap_or(false)
}

/// Finds a program on PATH (and, for the server, in /usr/sbin, which is not on every user's
/// PATH). MariaDB counts as installed only when both the server and its installer are found.
fn find_program(name: &str, sbin: bool) -> Option<std::path::PathBuf> {
    let path = std::env::var_os("PATH").unwrap_or_default();
    std::env::split_paths(&path)
        .map(|d| d.join(name))
        .chain(sbin.then(|| Path::new("/usr/sbin").join(name)))
        .find(|p| p.is_file())
}

/// The uid and gid of the `mysql` user, from /etc/passwd.
fn mysql_user() -> Option<(u32, u32)> {
    let passwd = std::fs::read_to_string("/etc/passwd").ok()?;
    let line = passwd.lines().find(|l| l.starts_with("mysql:"))?;
    let mut fields = line.split(':').skip(2);
    Some((fields.next()?.parse().ok()?, fields.next()?.parse().ok()?))
}

impl PrivateMysql {
    /// Starts one, or `Ok(None)` if MariaDB (or MySQL) is not installed.
    pub(crate) fn start() -> std::io::Result<Option<PrivateMysql>> {
        let server = find_program("mariadbd", true).or_else(|| find_program("mysqld", true));
        let (Some(binary), Some(installer)) = (server, find_program("mariadb-install-db", false))
        else {
            return Ok(None);
        };
        let binary = binary.display().to_string();
        let dir = tempfile::Builder::new().prefix("conlab-mysql-").tempdir()?;
        let root = running_as_root();
        if root {
            // MariaDB refuses to run as root; its own user must own the data directory.
            let (uid, gid) = mysql_user().ok_or_else(|| {
                std::io::Error::other(
                    "running as root, but there is no mysql user to run MariaDB as",
                )
            })?;
            std::os::unix::fs::chown(dir.path(), Some(uid), Some(gid))?;
        }
        let data = dir.path().join("data");
        let mut install = Command::new(installer);
        install
            .args([
                "--no-defaults",
                "--auth-root-authentication-method=normal",
                "--skip-test-db",
            ])
            .arg(format!("--datadir={}", data.display()));
        if root {
            install.arg("--user=mysql");
        }
        // The installer's output is kept (in the run's folder) to explain a failure; one retry
        // on a clean directory covers a transient failure of a throwaway instance.
        let log_path = dir.path().join("install.log");
        let mut installed = Err(std::io::Error::other("not run"));
        for _attempt in 0..2 {
            let _ = std::fs::remove_dir_all(&data);
            let log = std::fs::File::create(&log_path)?;
            installed = install.stdout(log.try_clone()?).stderr(log).status();
            if matches!(&installed, Ok(s) if s.success()) {
                break;
            }
        }
        match installed {
            Ok(s) if s.success() => {}
            Ok(s) => {
                let log = std::fs::read_to_string(&log_path).unwrap_or_default();
                let tail: Vec<&str> = log
                    .lines()
                    .filter(|l| !l.trim().is_empty())
                    .rev()
                    .take(2)
                    .collect();
                return Err(std::io::Error::other(format!(
                    "mariadb-install-db failed ({s}): {}",
                    tail.into_iter().rev().collect::<Vec<_>>().join(" / ")
                )));
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(e),
        }
        let port = TcpListener::bind("127.0.0.1:0")?.local_addr()?.port();
        let mut server = Command::new(&binary);
        server
            .arg("--no-defaults")
            .arg(format!("--datadir={}", data.display()))
            .arg(format!("--socket={}", dir.path().join("sock").display()))
            .arg(format!("--pid-file={}", dir.path().join("pid").display()))
            .args([
                "--bind-address=127.0.0.1",
                "--skip-grant-tables",
                "--skip-log-bin",
            ])
            .arg(format!("--port={port}"));
        if root {
            server.arg("--user=mysql");
        }
        let child = server
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()?;
        let mut process = PrivateProcess::new(binary, child, dir);
        process.wait_ready(Duration::from_secs(20), || {
            TcpStream::connect(("127.0.0.1", port)).is_ok()
        })?;
        Ok(Some(PrivateMysql {
            _process: process,
            port,
        }))
    }

    /// Its URL (no password: the grant tables are skipped).
    pub fn url(&self) -> String {
        format!("mysql://conlab@127.0.0.1:{}/conlab", self.port)
    }

    /// Its URL without a database, for creating it.
    pub fn server_url(&self) -> String {
        format!("mysql://conlab@127.0.0.1:{}", self.port)
    }
}
