//! Finding the servers a run needs: configured, already running locally, or started privately.

mod private_mysql;
mod private_redis;

use crate::redact::redact_url;
use private_mysql::PrivateMysql;
use private_redis::PrivateRedis;
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::Duration;

/// Private servers alive right now (their process id and folder), so an interrupted run can
/// still stop them and remove their files.
static PRIVATE: std::sync::Mutex<Vec<(u32, std::path::PathBuf)>> =
    std::sync::Mutex::new(Vec::new());

pub(crate) fn register_private(pid: u32, dir: &std::path::Path) {
    PRIVATE
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .push((pid, dir.to_path_buf()));
}

pub(crate) fn unregister_private(pid: u32) {
    PRIVATE
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .retain(|(p, _)| *p != pid);
}

/// Stops every private server this process started and removes its folder. For an
/// interrupted run (Ctrl-C), where destructors do not run.
pub fn stop_private_servers() {
    let servers = std::mem::take(&mut *PRIVATE.lock().unwrap_or_else(|p| p.into_inner()));
    for (pid, dir) in servers {
        let _ = std::process::Command::new("kill")
            .args(["-9", &pid.to_string()])
            .status();
        // Give the kernel a moment to release the files before removing them.
        std::thread::sleep(Duration::from_millis(50));
        let _ = std::fs::remove_dir_all(dir);
    }
}

/// Why no server could be had.
#[derive(Debug, thiserror::Error)]
pub enum ServerError {
    /// Nothing configured, nothing running, nothing installed: the scenario is skipped.
    #[error("{0}")]
    Missing(String),
    /// A configured server does not answer, or a private one failed to start: the run fails.
    #[error("{0}")]
    Unreachable(String),
}

/// Where a local Redis is looked for: `CONLAB_REDIS_LOCAL`, else the default port.
fn local_redis() -> String {
    std::env::var("CONLAB_REDIS_LOCAL").unwrap_or_else(|_| "127.0.0.1:6379".to_string())
}
/// The command that makes Redis scenarios runnable on a machine without Redis.
const FIX: &str = "apt-get install redis-server (or set CONLAB_REDIS_URL)";

/// The Redis servers of one run. Private servers stop, and their files go, when this drops.
pub struct RedisServers {
    urls: Vec<String>,
    _private: Vec<PrivateRedis>,
}

impl RedisServers {
    /// Finds `n` servers: `CONLAB_REDIS_URL`, `CONLAB_REDIS_URL_2`, ... first (a configured URL
    /// that does not answer is an error, never silently replaced); then, for a single server,
    /// one answering on the default port; then private throwaway instances when `redis-server`
    /// is installed.
    pub fn find(n: usize) -> Result<RedisServers, ServerError> {
        let mut urls = Vec::new();
        for i in 0..n {
            let var = if i == 0 {
                "CONLAB_REDIS_URL".to_string()
            } else {
                format!("CONLAB_REDIS_URL_{}", i + 1)
            };
            if let Ok(url) = std::env::var(&var) {
                check_configured(&var, &url)?;
                urls.push(url);
            }
        }
        if urls.len() == n {
            return Ok(RedisServers {
                urls,
                _private: Vec::new(),
            });
        }
        let local = local_redis();
        if n == 1 && urls.is_empty() && answers_ping(&local) {
            return Ok(RedisServers {
                urls: vec![format!("redis://{local}/0")],
                _private: Vec::new(),
            });
        }
        let mut private = Vec::new();
        while urls.len() < n {
            match PrivateRedis::start() {
                Ok(Some(p)) => {
                    urls.push(p.url());
                    private.push(p);
                }
                Ok(None) => {
                    return Err(ServerError::Missing(format!(
                        "no Redis: CONLAB_REDIS_URL is not set, nothing answers on {local}, and redis-server is not installed; fix: {FIX}"
                    )))
                }
                Err(e) => return Err(ServerError::Unreachable(format!("could not start a private redis-server: {e}"))),
            }
        }
        Ok(RedisServers {
            urls,
            _private: private,
        })
    }

    /// The servers' URLs (with credentials: never print them unredacted).
    pub fn urls(&self) -> Vec<String> {
        self.urls.clone()
    }
}

fn check_configured(var: &str, url: &str) -> Result<(), ServerError> {
    let unreachable = |why: String| {
        ServerError::Unreachable(format!("{var}={} does not answer: {why}", redact_url(url)))
    };
    let info = redis::Client::open(url).map_err(|e| unreachable(e.to_string()))?;
    let mut conn = info
        .get_connection_with_timeout(Duration::from_secs(3))
        .map_err(|e| unreachable(e.to_string()))?;
    redis::cmd("PING")
        .query::<String>(&mut conn)
        .map_err(|e| unreachable(e.to_string()))?;
    Ok(())
}

/// Whether a Redis without a password answers PING at `addr` within a second.
pub(crate) fn answers_ping(addr: &str) -> bool {
    let Ok(addr) = addr.parse::<SocketAddr>() else {
        return false;
    };
    let Ok(mut s) = TcpStream::connect_timeout(&addr, Duration::from_millis(500)) else {
        return false;
    };
    let _ = s.set_read_timeout(Some(Duration::from_secs(1)));
    if s.write_all(b"*1\r\n$4\r\nPING\r\n").is_err() {
        return false;
    }
    let mut buf = [0u8; 7];
    s.read_exact(&mut buf).is_ok() && &buf == b"+PONG\r\n"
}

/// Where a local MySQL/MariaDB is looked for: `CONLAB_MYSQL_LOCAL`, else the default port,
/// with the user and database `scripts/setup-servers.sh` creates.
fn local_mysql_url() -> String {
    let addr = std::env::var("CONLAB_MYSQL_LOCAL").unwrap_or_else(|_| "127.0.0.1:3306".to_string());
    format!("mysql://conlab:conlab@{addr}/conlab")
}

const MYSQL_FIX: &str =
    "apt-get install mariadb-server, then scripts/setup-servers.sh (or set CONLAB_MYSQL_URL)";

/// The MySQL servers of one run. Private servers stop, and their files go, when this drops.
pub struct MysqlServers {
    urls: Vec<String>,
    _private: Vec<PrivateMysql>,
}

impl MysqlServers {
    /// Finds `n` servers, as [`RedisServers::find`] does: `CONLAB_MYSQL_URL`,
    /// `CONLAB_MYSQL_URL_2`, ...; then, for one server, the local server with conlab's user;
    /// then private throwaway instances when MariaDB is installed.
    pub fn find(n: usize) -> Result<MysqlServers, ServerError> {
        let mut urls = Vec::new();
        for i in 0..n {
            let var = if i == 0 {
                "CONLAB_MYSQL_URL".to_string()
            } else {
                format!("CONLAB_MYSQL_URL_{}", i + 1)
            };
            if let Ok(url) = std::env::var(&var) {
                mysql_check(&url).map_err(|why| {
                    ServerError::Unreachable(format!(
                        "{var}={} does not answer: {why}",
                        redact_url(&url)
                    ))
                })?;
                urls.push(url);
            }
        }
        if urls.len() == n {
            return Ok(MysqlServers {
                urls,
                _private: Vec::new(),
            });
        }
        let local = local_mysql_url();
        if n == 1 && urls.is_empty() && mysql_check(&local).is_ok() {
            return Ok(MysqlServers {
                urls: vec![local],
                _private: Vec::new(),
            });
        }
        // Private servers start in parallel: each takes a moment to initialize.
        let wanted = n - urls.len();
        let started: Vec<std::io::Result<Option<PrivateMysql>>> = std::thread::scope(|s| {
            let handles: Vec<_> = (0..wanted).map(|_| s.spawn(PrivateMysql::start)).collect();
            handles
                .into_iter()
                .map(|h| {
                    h.join()
                        .unwrap_or_else(|_| Err(std::io::Error::other("panicked")))
                })
                .collect()
        });
        let mut private = Vec::new();
        for result in started {
            match result {
                Ok(Some(p)) => {
                    mysql_create_database(&p.server_url()).map_err(|e| ServerError::Unreachable(format!("a private MariaDB did not accept a database: {e}")))?;
                    urls.push(p.url());
                    private.push(p);
                }
                Ok(None) => {
                    return Err(ServerError::Missing(format!(
                        "no MySQL: CONLAB_MYSQL_URL is not set, nothing usable answers on {}, and MariaDB is not installed; fix: {MYSQL_FIX}",
                        redact_url(&local)
                    )))
                }
                Err(e) => return Err(ServerError::Unreachable(format!("could not start a private MariaDB: {e}"))),
            }
        }
        Ok(MysqlServers {
            urls,
            _private: private,
        })
    }

    /// The servers' URLs (with credentials: never print them unredacted).
    pub fn urls(&self) -> Vec<String> {
        self.urls.clone()
    }
}

/// Runs `f` on a small runtime of its own (for checks made before a run starts).
fn block_on<T>(f: impl std::future::Future<Output = T>) -> Result<T, String> {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| e.to_string())?;
    Ok(rt.block_on(f))
}

fn mysql_check(url: &str) -> Result<(), String> {
    use mysql_async::prelude::Queryable;
    let opts = mysql_async::Opts::from_url(url).map_err(|e| e.to_string())?;
    block_on(async {
        let connect = async {
            let mut conn = mysql_async::Conn::new(opts).await?;
            conn.query_drop("SELECT 1").await?;
            conn.disconnect().await
        };
        match tokio::time::timeout(Duration::from_secs(3), connect).await {
            Ok(Ok(())) => Ok(()),
            Ok(Err(e)) => Err(crate::mysql::one_line(&e)),
            Err(_) => Err("no answer within 3 s".to_string()),
        }
    })?
}

fn mysql_create_database(server_url: &str) -> Result<(), String> {
    use mysql_async::prelude::Queryable;
    let opts = mysql_async::Opts::from_url(server_url).map_err(|e| e.to_string())?;
    block_on(async {
        let mut conn = mysql_async::Conn::new(opts)
            .await
            .map_err(|e| e.to_string())?;
        conn.query_drop("CREATE DATABASE IF NOT EXISTS conlab")
            .await
            .map_err(|e| e.to_string())?;
        conn.disconnect().await.map_err(|e| e.to_string())
    })?
}
