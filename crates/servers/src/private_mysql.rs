//! A throwaway MariaDB server for one run: a fresh data directory in a temporary folder, a
//! free loopback port, grant tables skipped (nothing but this run can reach it); stopped and
//! removed when dropped.
//!
//! Everything a server writes stays in its own folder, temporary files included: MariaDB
//! removes every `#sql*` file in its `tmpdir` when it starts, so installers that shared `/tmp`
//! deleted each other's temporary tables when several private servers were set up at once
//! ("Unknown table 'mysql.tmp_user_sys'").

use crate::private::{PrivateFolder, PrivateProcess};
use std::net::{TcpListener, TcpStream};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;

/// Connections a private server accepts: room for the largest pool a scenario opens (256)
/// beside anything else of the run (MariaDB's default is 151).
const MAX_CONNECTIONS: u32 = 512;

/// The `max_connections` a private server starts with: `CONLAB_MYSQL_MAX_CONNECTIONS` if set
/// (10 to 100000), else enough for every pool size conlab accepts.
fn max_connections() -> u32 {
    std::env::var("CONLAB_MYSQL_MAX_CONNECTIONS")
        .ok()
        .and_then(|v| v.trim().parse().ok())
        .filter(|n| (10..=100_000).contains(n))
        .unwrap_or(MAX_CONNECTIONS)
}
/// Lines of the installer's or the server's output kept in an error.
const LOG_LINES: usize = 12;

/// A private mariadbd.
pub(crate) struct PrivateMysql {
    process: PrivateProcess,
    port: u16,
    /// The server program.
    binary: String,
    /// Whether it runs as the mysql user (conlab runs as root).
    root: bool,
}

/// The command that starts the server on `port` with its data in folder `dir` (`data`,
/// `tmp`), its output appended to `server.log` there.
fn server_command(binary: &str, dir: &Path, port: u16, root: bool) -> std::io::Result<Command> {
    let mut server = Command::new(binary);
    server
        .arg("--no-defaults")
        .arg(format!("--datadir={}", dir.join("data").display()))
        .arg(format!("--tmpdir={}", dir.join("tmp").display()))
        .arg(format!("--socket={}", dir.join("sock").display()))
        .arg(format!("--pid-file={}", dir.join("pid").display()))
        .args([
            "--bind-address=127.0.0.1",
            "--skip-grant-tables",
            "--skip-log-bin",
        ])
        .arg(format!("--max-connections={}", max_connections()))
        .arg(format!("--port={port}"));
    if root {
        server.arg("--user=mysql");
    }
    let log = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(dir.join("server.log"))?;
    server
        .stdin(Stdio::null())
        .stdout(log.try_clone()?)
        .stderr(log);
    Ok(server)
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

impl PrivateMysql {
    /// Starts one, or `Ok(None)` if MariaDB (or MySQL) is not installed.
    pub(crate) fn start() -> std::io::Result<Option<PrivateMysql>> {
        let server = find_program("mariadbd", true).or_else(|| find_program("mysqld", true));
        let (Some(binary), Some(installer)) = (server, find_program("mariadb-install-db", false))
        else {
            return Ok(None);
        };
        let binary = binary.display().to_string();
        let dir = PrivateFolder::create("conlab-mysql-")?;
        let root = crate::private::running_as_root();
        // MariaDB refuses to run as root; its own user must own its folders.
        let owner = if root {
            Some(crate::private::user_ids("mysql").ok_or_else(|| {
                std::io::Error::other(
                    "running as root, but there is no mysql user to run MariaDB as",
                )
            })?)
        } else {
            None
        };
        let data = dir.path().join("data");
        let tmp = dir.path().join("tmp");
        std::fs::create_dir(&tmp)?;
        for folder in [dir.path(), tmp.as_path()] {
            if let Some((uid, gid)) = owner {
                std::os::unix::fs::chown(folder, Some(uid), Some(gid))?;
            }
        }
        let mut install = Command::new(installer);
        install
            .args([
                "--no-defaults",
                "--auth-root-authentication-method=normal",
                "--skip-test-db",
            ])
            .arg(format!("--datadir={}", data.display()))
            // Passed on to the server it bootstraps.
            .arg(format!("--tmpdir={}", tmp.display()));
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
            installed = dir.run(
                install
                    .stdin(Stdio::null())
                    .stdout(log.try_clone()?)
                    .stderr(log),
            );
            if matches!(&installed, Ok(s) if s.success()) {
                break;
            }
        }
        match installed {
            Ok(s) if s.success() => {}
            Ok(s) => {
                return Err(std::io::Error::other(format!(
                    "mariadb-install-db failed ({s}); its output: {}",
                    what_it_said(&log_path)
                )));
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(e),
        }
        let port = TcpListener::bind("127.0.0.1:0")?.local_addr()?.port();
        let server_log = dir.path().join("server.log");
        let child = dir.spawn(&mut server_command(&binary, dir.path(), port, root)?)?;
        let mut process = PrivateProcess::new(binary.clone(), child, dir);
        process
            .wait_ready(Duration::from_secs(20), || {
                TcpStream::connect(("127.0.0.1", port)).is_ok()
            })
            .map_err(|e| {
                // The folder (and the log) goes when `process` drops, after this.
                std::io::Error::other(format!("{e}; its output: {}", what_it_said(&server_log)))
            })?;
        Ok(Some(PrivateMysql {
            process,
            port,
            binary,
            root,
        }))
    }

    /// Stops it cleanly (SIGTERM) and starts it again on the same port with the same data
    /// directory; returns once it accepts connections.
    pub fn restart(&mut self, down: Duration) -> std::io::Result<()> {
        let port = self.port;
        let mut command = server_command(&self.binary, self.process.folder(), port, self.root)?;
        let server_log = self.process.folder().join("server.log");
        self.process
            .restart(&mut command, Duration::from_secs(20), down, || {
                TcpStream::connect(("127.0.0.1", port)).is_ok()
            })
            .map_err(|e| {
                std::io::Error::other(format!("{e}; its output: {}", what_it_said(&server_log)))
            })
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

/// What a MariaDB program wrote to `log`, for an error: its errors and warnings (with the
/// line before each, which often names the step), or else its last lines; at most
/// [`LOG_LINES`], joined with " / ". The installer's advice that follows a failure (where to
/// look, where to report) is left out: its folder is removed with the failed server.
fn what_it_said(log: &Path) -> String {
    // Its last lines are what explain a failure; a runaway log is not read whole.
    let text = log_tail(log);
    let lines: Vec<&str> = text
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect();
    let notable = |l: &str| {
        let l = l.to_ascii_lowercase();
        l.contains("error") || l.contains("warning") || l.contains("failed") || l.contains("abort")
    };
    let mut kept: Vec<&str> = Vec::new();
    for (i, line) in lines.iter().enumerate() {
        if notable(line) {
            if i > 0 && !notable(lines[i - 1]) && kept.last() != Some(&lines[i - 1]) {
                kept.push(lines[i - 1]);
            }
            kept.push(line);
        }
    }
    if kept.is_empty() {
        kept = lines[lines.len().saturating_sub(LOG_LINES)..].to_vec();
    }
    kept.truncate(LOG_LINES);
    if kept.is_empty() {
        "(nothing)".to_string()
    } else {
        kept.join(" / ")
    }
}

/// The text of an installer's or a server's log, at most its last megabyte.
fn log_tail(log: &Path) -> String {
    use std::io::{Read, Seek, SeekFrom};
    let Ok(mut file) = std::fs::File::open(log) else {
        return String::new();
    };
    let len = file.metadata().map_or(0, |m| m.len());
    let _ = file.seek(SeekFrom::Start(len.saturating_sub(1 << 20)));
    let mut bytes = Vec::new();
    let _ = file.take(1 << 20).read_to_end(&mut bytes);
    String::from_utf8_lossy(&bytes).into_owned()
}

#[cfg(test)]
mod tests {
    use super::what_it_said;

    #[track_caller]
    fn check(log: &str, expected: &str) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("log");
        std::fs::write(&path, log).unwrap();
        assert_eq!(what_it_said(&path), expected);
    }

    #[test]
    fn the_useful_lines_of_a_log_are_kept() {
        check(
            "Installing MariaDB/MySQL system tables in '/tmp/x/data' ...\n\
             2026-11-21 20:39:49 1 [Warning] Could not remove temporary table: '/tmp/#sql-1', error: 2\n\
             ERROR: 1051  Unknown table 'mysql.tmp_user_sys'\n\
             2026-11-21 20:39:49 0 [ERROR] Aborting\n\
             \n\
             Installation of system tables failed!  Examine the logs in\n\
             /tmp/x/data for more information.\n",
            "Installing MariaDB/MySQL system tables in '/tmp/x/data' ... / \
             2026-11-21 20:39:49 1 [Warning] Could not remove temporary table: '/tmp/#sql-1', error: 2 / \
             ERROR: 1051  Unknown table 'mysql.tmp_user_sys' / \
             2026-11-21 20:39:49 0 [ERROR] Aborting / \
             Installation of system tables failed!  Examine the logs in",
        );
        check(
            "starting\nready for connections\n",
            "starting / ready for connections",
        );
        check("", "(nothing)");
    }
}
