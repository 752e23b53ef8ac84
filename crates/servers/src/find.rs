//! Finding the servers a run needs: configured by URL, already running locally, or started
//! privately for the run. Redis and MySQL are found by the same rules ([`Kind`] says what
//! differs between them).

use crate::private_mysql::PrivateMysql;
use crate::private_redis::PrivateRedis;
use conlab_core::url::redact_url;
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::Duration;

/// The servers a scenario needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Needs {
    /// This many Redis servers.
    Redis(usize),
    /// This many MySQL servers.
    Mysql(usize),
    /// One Redis and one MySQL server, in that order.
    RedisAndMysql,
}

/// Why no server could be had.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ServerError {
    /// Nothing configured, nothing running, nothing installed: the scenario is skipped.
    #[error("no {kind}: {tried}; fix: {fix}")]
    Missing {
        /// "Redis" or "MySQL".
        kind: &'static str,
        /// What was tried, in words.
        tried: String,
        /// The one command that fixes it.
        fix: &'static str,
    },
    /// A configured server does not answer: the run fails (never silently replaced).
    #[error("{var}={url} does not answer: {why}")]
    Unreachable {
        /// The environment variable that configured it.
        var: String,
        /// Its URL, redacted.
        url: String,
        /// Why, in one line.
        why: String,
    },
    /// A private server could not be started or set up: the run fails.
    #[error("could not start a private {program}: {why}")]
    PrivateFailed {
        /// The server program.
        program: &'static str,
        /// Why, in one line.
        why: String,
    },
}

/// The servers of one run. Private servers stop, and their files go, when this drops.
pub struct Servers {
    urls: Vec<String>,
    _private: Vec<Box<dyn PrivateServer>>,
}

/// A private server of a run, which a test may restart in place.
trait PrivateServer: Send {
    fn url(&self) -> String;
    fn restart(&mut self, down: std::time::Duration) -> std::io::Result<()>;
}

impl PrivateServer for PrivateRedis {
    fn url(&self) -> String {
        PrivateRedis::url(self)
    }
    fn restart(&mut self, down: std::time::Duration) -> std::io::Result<()> {
        PrivateRedis::restart(self, down)
    }
}

impl PrivateServer for PrivateMysql {
    fn url(&self) -> String {
        PrivateMysql::url(self)
    }
    fn restart(&mut self, down: std::time::Duration) -> std::io::Result<()> {
        PrivateMysql::restart(self, down)
    }
}

impl Servers {
    /// The servers' URLs in the order asked for (with credentials: never print them
    /// unredacted).
    pub fn urls(&self) -> &[String] {
        &self.urls
    }

    /// Restarts the private server at `url` in place: stopped cleanly (SIGTERM), started
    /// again on the same port with the same data (a Redis of [`start_private`] keeps its
    /// append-only file), answering again when this returns. For tests of what outlives a
    /// server's restart.
    pub fn restart(&mut self, url: &str) -> Result<(), ServerError> {
        self.restart_after(url, std::time::Duration::ZERO)
    }

    /// As [`Servers::restart`], the server left down for `down` before it starts again: an
    /// outage longer than a client's retries.
    pub fn restart_after(
        &mut self,
        url: &str,
        down: std::time::Duration,
    ) -> Result<(), ServerError> {
        let server = self
            ._private
            .iter_mut()
            .find(|p| p.url() == url)
            .ok_or_else(|| ServerError::PrivateFailed {
                program: "server",
                why: format!("{} is not a private server of this run", redact_url(url)),
            })?;
        server
            .restart(down)
            .map_err(|e| ServerError::PrivateFailed {
                program: if url.starts_with("redis") {
                    "redis-server"
                } else {
                    "MariaDB"
                },
                why: format!("restarting it: {e}"),
            })
    }
}

/// Finds the servers a run needs: `CONLAB_REDIS_URL`, `CONLAB_REDIS_URL_2`, … (likewise
/// `CONLAB_MYSQL_URL…`) first, and a configured URL that does not answer is an error; then, for
/// a single server, one answering locally (`CONLAB_REDIS_LOCAL` / `CONLAB_MYSQL_LOCAL`, default
/// ports, the `conlab` user of `scripts/setup-servers.sh`); then private throwaway servers
/// when the server programs are installed.
pub fn find(needs: Needs) -> Result<Servers, ServerError> {
    match needs {
        Needs::Redis(n) => find_kind::<Redis>(n),
        Needs::Mysql(n) => find_kind::<Mysql>(n),
        Needs::RedisAndMysql => {
            let redis = find_kind::<Redis>(1)?;
            let mysql = find_kind::<Mysql>(1)?;
            Ok(Servers {
                urls: [redis.urls, mysql.urls].concat(),
                _private: [redis._private, mysql._private]
                    .into_iter()
                    .flatten()
                    .collect(),
            })
        }
    }
}

/// Starts private throwaway servers for `needs`, whatever is configured or answers locally:
/// for a caller that must own its servers (a test that stops or restarts them, a demo that
/// leaves nothing on the machine's own); a Redis started so keeps its append-only file on, so
/// what it holds survives [`Servers::restart`]. `Missing` when a server program is not
/// installed.
pub fn start_private(needs: Needs) -> Result<Servers, ServerError> {
    match needs {
        Needs::Redis(n) => private_kind::<Redis>(n, Vec::new(), true),
        Needs::Mysql(n) => private_kind::<Mysql>(n, Vec::new(), true),
        Needs::RedisAndMysql => {
            let redis = private_kind::<Redis>(1, Vec::new(), true)?;
            let mysql = private_kind::<Mysql>(1, Vec::new(), true)?;
            Ok(Servers {
                urls: [redis.urls, mysql.urls].concat(),
                _private: [redis._private, mysql._private]
                    .into_iter()
                    .flatten()
                    .collect(),
            })
        }
    }
}

/// How starting one private server went: its URL and the server (stopped when dropped), or
/// `None` when the program is not installed.
type PrivateStart = std::io::Result<Option<(String, Box<dyn PrivateServer>)>>;

/// What finding a Redis and finding a MySQL server differ in.
trait Kind {
    /// "Redis" or "MySQL".
    const NAME: &'static str;
    /// The server program, for messages.
    const PROGRAM: &'static str;
    /// The prefix of the configuring variables (`…_URL`, `…_URL_2`, `…_LOCAL`).
    const VAR: &'static str;
    /// The command that makes the scenarios runnable on a machine without the server.
    const FIX: &'static str;
    /// Whether the server at `url` answers, or why not.
    fn check(url: &str) -> Result<(), String>;
    /// The URL of a local server that answers, if any; and where it was looked for.
    fn local() -> (Option<String>, String);
    /// Starts `n` private servers (`Ok(None)`: the program is not installed); `durable`:
    /// what they hold survives a restart.
    fn start_private(n: usize, durable: bool) -> Vec<PrivateStart>;
}

fn find_kind<K: Kind>(n: usize) -> Result<Servers, ServerError> {
    let mut urls = Vec::new();
    for i in 0..n {
        let var = match i {
            0 => format!("{}_URL", K::VAR),
            _ => format!("{}_URL_{}", K::VAR, i + 1),
        };
        if let Ok(url) = std::env::var(&var) {
            K::check(&url).map_err(|why| ServerError::Unreachable {
                url: redact_url(&url),
                var,
                why,
            })?;
            urls.push(url);
        }
    }
    if urls.len() == n {
        return Ok(Servers {
            urls,
            _private: Vec::new(),
        });
    }
    let (local, looked_at) = K::local();
    if let (1, true, Some(url)) = (n, urls.is_empty(), local) {
        return Ok(Servers {
            urls: vec![url],
            _private: Vec::new(),
        });
    }
    private_kind::<K>(n - urls.len(), urls, false).map_err(|e| match e {
        ServerError::Missing { kind, fix, .. } => ServerError::Missing {
            kind,
            tried: format!(
                "{}_URL is not set, nothing usable answers on {looked_at}, and {} is not installed",
                K::VAR,
                K::PROGRAM
            ),
            fix,
        },
        e => e,
    })
}

/// Starts `n` private servers of kind `K` after the `urls` found already.
fn private_kind<K: Kind>(
    n: usize,
    mut urls: Vec<String>,
    durable: bool,
) -> Result<Servers, ServerError> {
    let mut private: Vec<Box<dyn PrivateServer>> = Vec::new();
    for started in K::start_private(n, durable) {
        match started {
            Ok(Some((url, server))) => {
                urls.push(url);
                private.push(server);
            }
            Ok(None) => {
                return Err(ServerError::Missing {
                    kind: K::NAME,
                    tried: format!("{} is not installed", K::PROGRAM),
                    fix: K::FIX,
                })
            }
            Err(e) => {
                return Err(ServerError::PrivateFailed {
                    program: K::PROGRAM,
                    why: e.to_string(),
                })
            }
        }
    }
    Ok(Servers {
        urls,
        _private: private,
    })
}

struct Redis;

impl Kind for Redis {
    const NAME: &'static str = "Redis";
    const PROGRAM: &'static str = "redis-server";
    const VAR: &'static str = "CONLAB_REDIS";
    const FIX: &'static str = "apt-get install redis-server (or set CONLAB_REDIS_URL)";

    fn check(url: &str) -> Result<(), String> {
        let client = redis::Client::open(url).map_err(|e| e.to_string())?;
        let mut conn = client
            .get_connection_with_timeout(Duration::from_secs(3))
            .map_err(|e| e.to_string())?;
        redis::cmd("PING")
            .query::<String>(&mut conn)
            .map_err(|e| e.to_string())?;
        Ok(())
    }

    fn local() -> (Option<String>, String) {
        let addr =
            std::env::var("CONLAB_REDIS_LOCAL").unwrap_or_else(|_| "127.0.0.1:6379".to_string());
        let url = answers_ping(&addr).then(|| format!("redis://{addr}/0"));
        (url, addr)
    }

    fn start_private(n: usize, durable: bool) -> Vec<PrivateStart> {
        (0..n)
            .map(|_| {
                PrivateRedis::start(durable).map(|started| {
                    started.map(|p| (p.url(), Box::new(p) as Box<dyn PrivateServer>))
                })
            })
            .collect()
    }
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

struct Mysql;

impl Kind for Mysql {
    const NAME: &'static str = "MySQL";
    const PROGRAM: &'static str = "MariaDB";
    const VAR: &'static str = "CONLAB_MYSQL";
    const FIX: &'static str =
        "apt-get install mariadb-server, then scripts/setup-servers.sh (or set CONLAB_MYSQL_URL)";

    fn check(url: &str) -> Result<(), String> {
        mysql_do(url, "SELECT 1")
    }

    fn local() -> (Option<String>, String) {
        let addr =
            std::env::var("CONLAB_MYSQL_LOCAL").unwrap_or_else(|_| "127.0.0.1:3306".to_string());
        let url = format!("mysql://conlab:conlab@{addr}/conlab");
        (mysql_do(&url, "SELECT 1").is_ok().then_some(url), addr)
    }

    fn start_private(n: usize, _durable: bool) -> Vec<PrivateStart> {
        // Private servers start in parallel: each takes a moment to initialize.
        let started: Vec<std::io::Result<Option<PrivateMysql>>> = std::thread::scope(|s| {
            let handles: Vec<_> = (0..n).map(|_| s.spawn(PrivateMysql::start)).collect();
            handles
                .into_iter()
                .map(|h| {
                    h.join()
                        .unwrap_or_else(|_| Err(std::io::Error::other("panicked")))
                })
                .collect()
        });
        started
            .into_iter()
            .map(|started| {
                let Some(p) = started? else {
                    return Ok(None);
                };
                mysql_do(&p.server_url(), "CREATE DATABASE IF NOT EXISTS conlab").map_err(|e| {
                    std::io::Error::other(format!("it did not accept a database: {e}"))
                })?;
                Ok(Some((p.url(), Box::new(p) as Box<dyn PrivateServer>)))
            })
            .collect()
    }
}

/// Connects to `url`, runs one statement and disconnects, within 3 s (these checks are made
/// before a run starts).
fn mysql_do(url: &str, statement: &str) -> Result<(), String> {
    let statement = statement.to_string();
    on_mysql(url, Duration::from_secs(3), move |conn| {
        Box::pin(async move {
            use mysql_async::prelude::Queryable;
            conn.query_drop(statement).await
        })
    })
}

/// What [`on_mysql`] runs on its connection.
pub(crate) type MysqlWork<'a, T> =
    std::pin::Pin<Box<dyn std::future::Future<Output = Result<T, mysql_async::Error>> + 'a>>;

/// Runs `work` on a fresh connection to `url` within `limit`, on a small runtime of its own,
/// and disconnects; a failure in one line.
pub(crate) fn on_mysql<T, F>(url: &str, limit: Duration, work: F) -> Result<T, String>
where
    F: for<'c> FnOnce(&'c mut mysql_async::Conn) -> MysqlWork<'c, T>,
{
    let opts = mysql_async::Opts::from_url(url).map_err(|e| e.to_string())?;
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| e.to_string())?;
    rt.block_on(async {
        let done = async {
            let mut conn = mysql_async::Conn::new(opts).await?;
            let value = work(&mut conn).await?;
            conn.disconnect().await?;
            Ok(value)
        };
        match tokio::time::timeout(limit, done).await {
            Ok(result) => result.map_err(|e| mysql_error_line(&e)),
            Err(_) => Err(format!("no answer within {} s", limit.as_secs())),
        }
    })
}

/// A MySQL error in one line a person reads (the common ones said plainly).
pub fn mysql_error_line(e: &mysql_async::Error) -> String {
    let text = e.to_string();
    if text.contains("1045") || text.contains("Access denied") {
        return "access denied: check the user and password in the URL".to_string();
    }
    if text.contains("1040") || text.contains("Too many connections") {
        return "too many connections: the server's max_connections is reached".to_string();
    }
    if text.contains("1049") || text.contains("Unknown database") {
        return "the database does not exist: create it, or name another in the URL".to_string();
    }
    text.lines().next().unwrap_or("error").to_string()
}
