//! What a run leaves on a server, and how it goes away even when the run does not end well.
//!
//! Scenarios put everything they create under their run id (Redis keys `conlab:<id>:…`, MySQL
//! tables `conlab_…_<id>`) and remove it at their end. A run that times out, is interrupted or
//! crashes cannot; so every run is also written into a small registry on each of its servers
//! (the Redis hash `conlab:runs`, the MySQL table `conlab_runs`) with its owner (host and
//! process id), and:
//! - at the run's end, whatever its status, [`RunClaim::release`] removes what is left under
//!   its id and its registry entry;
//! - on Ctrl-C or SIGTERM, [`take_unreleased`] hands every unreleased run of the process to a
//!   short-lived cleaner process, which waits until this process has exited (so nothing writes
//!   any more) and then [`release`]s them;
//! - a process killed outright (SIGKILL) leaves its entry behind: the next run against the same
//!   server sweeps every entry whose owner process no longer exists on this host, or that is
//!   older than a day (an owner on another host).

use crate::find::{on_mysql, MysqlWork, Servers};
use std::sync::Mutex;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// The Redis hash of runs: field = run id, value = owner.
const REDIS_RUNS: &str = "conlab:runs";
/// The MySQL table of runs.
const MYSQL_RUNS: &str = "conlab_runs";
/// An entry this old is swept even when its owner cannot be checked (another host).
const STALE: Duration = Duration::from_secs(24 * 3600);
/// How long cleaning one server may take.
const CLEAN_LIMIT: Duration = Duration::from_secs(5);

/// Runs of this process that have not released their servers yet.
static CLAIMED: Mutex<Vec<(String, Vec<String>)>> = Mutex::new(Vec::new());

fn claimed() -> std::sync::MutexGuard<'static, Vec<(String, Vec<String>)>> {
    CLAIMED.lock().unwrap_or_else(|p| p.into_inner())
}

/// A run's claim on its servers: released (everything under its id removed) when dropped.
pub struct RunClaim {
    run_id: String,
    urls: Vec<String>,
}

/// Sweeps what dead runs left on `servers`, then writes run `run_id` into their registries.
/// Cleaning is best effort: a server that does not answer is left for the next run.
pub fn claim(servers: &Servers, run_id: &str) -> RunClaim {
    let urls = servers.urls().to_vec();
    let owner = owner_now();
    for url in &urls {
        let _ = sweep(url);
        let _ = register(url, run_id, &owner);
    }
    claimed().push((run_id.to_string(), urls.clone()));
    RunClaim {
        run_id: run_id.to_string(),
        urls,
    }
}

impl RunClaim {
    /// Removes everything the run left under its id, and its registry entries.
    pub fn release(self) {
        // Drop does it.
    }
}

impl Drop for RunClaim {
    fn drop(&mut self) {
        for url in &self.urls {
            let _ = clean(url, &self.run_id);
        }
        claimed().retain(|(id, _)| *id != self.run_id);
    }
}

/// Takes every run of this process that has not released its servers: `(run id, server
/// URLs)`. For Ctrl-C and SIGTERM, where destructors do not run and the run's own threads
/// still write: release them from another process once this one has exited.
pub fn take_unreleased() -> Vec<(String, Vec<String>)> {
    std::mem::take(&mut *claimed())
}

/// Removes everything run `run_id` left on the servers at `urls`, and its registry entries.
/// Best effort: a server that does not answer is left for the next run's sweep.
pub fn release(run_id: &str, urls: &[String]) {
    for url in urls {
        let _ = clean(url, run_id);
    }
}

/// `host:pid:started` for this process.
fn owner_now() -> String {
    format!(
        "{}:{}:{}",
        host_name(),
        std::process::id(),
        SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_secs())
    )
}

fn host_name() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .map(|h| h.trim().to_string())
        .unwrap_or_else(|_| "localhost".to_string())
}

/// Whether the run that `owner` names is certainly over: its process is gone from this host,
/// or it started more than a day ago.
fn owner_is_gone(owner: &str) -> bool {
    let mut parts = owner.rsplitn(3, ':');
    let (Some(started), Some(pid), Some(host)) = (parts.next(), parts.next(), parts.next()) else {
        return true;
    };
    let started: u64 = started.parse().unwrap_or(0);
    let age = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
        .saturating_sub(started);
    if age > STALE.as_secs() {
        return true;
    }
    host == host_name() && !std::path::Path::new(&format!("/proc/{pid}")).exists()
}

fn is_redis(url: &str) -> bool {
    url.starts_with("redis://") || url.starts_with("rediss://")
}

fn register(url: &str, run_id: &str, owner: &str) -> Result<(), String> {
    if is_redis(url) {
        let mut conn = redis_connection(url)?;
        redis::cmd("HSET")
            .arg(REDIS_RUNS)
            .arg(run_id)
            .arg(owner)
            .query::<()>(&mut conn)
            .map_err(|e| e.to_string())
    } else {
        let (run_id, owner) = (run_id.to_string(), owner.to_string());
        mysql(url, move |conn| {
            Box::pin(async move {
                use mysql_async::prelude::Queryable;
                conn.query_drop(format!(
                    "CREATE TABLE IF NOT EXISTS {MYSQL_RUNS} \
                     (run_id VARCHAR(64) PRIMARY KEY, owner VARCHAR(255) NOT NULL)"
                ))
                .await?;
                conn.exec_drop(
                    format!("REPLACE INTO {MYSQL_RUNS} (run_id, owner) VALUES (?, ?)"),
                    (run_id, owner),
                )
                .await
            })
        })
    }
}

/// Cleans up after every dead run in the registry of the server at `url`.
fn sweep(url: &str) -> Result<(), String> {
    let entries: Vec<(String, String)> = if is_redis(url) {
        let mut conn = redis_connection(url)?;
        redis::cmd("HGETALL")
            .arg(REDIS_RUNS)
            .query(&mut conn)
            .map_err(|e| e.to_string())?
    } else {
        mysql(url, |conn| {
            Box::pin(async move {
                use mysql_async::prelude::Queryable;
                let exists: Option<String> = conn
                    .exec_first(
                        "SELECT table_name FROM information_schema.tables \
                         WHERE table_schema = DATABASE() AND table_name = ?",
                        (MYSQL_RUNS,),
                    )
                    .await?;
                match exists {
                    Some(_) => {
                        conn.query(format!("SELECT run_id, owner FROM {MYSQL_RUNS}"))
                            .await
                    }
                    None => Ok(Vec::new()),
                }
            })
        })?
    };
    for (run_id, owner) in entries {
        if owner_is_gone(&owner) {
            clean(url, &run_id)?;
        }
    }
    Ok(())
}

/// Removes every key or table of run `run_id` on the server at `url`, and its entry.
fn clean(url: &str, run_id: &str) -> Result<(), String> {
    // A run id is hex digits; anything else in a registry is not ours to interpret.
    if run_id.is_empty() || !run_id.chars().all(|c| c.is_ascii_alphanumeric()) {
        return Ok(());
    }
    if is_redis(url) {
        let mut conn = redis_connection(url)?;
        let mut cursor: u64 = 0;
        loop {
            let (next, keys): (u64, Vec<String>) = redis::cmd("SCAN")
                .arg(cursor)
                .arg("MATCH")
                .arg(format!("conlab:{run_id}:*"))
                .arg("COUNT")
                .arg(1000)
                .query(&mut conn)
                .map_err(|e| e.to_string())?;
            if !keys.is_empty() {
                redis::cmd("UNLINK")
                    .arg(&keys)
                    .query::<()>(&mut conn)
                    .map_err(|e| e.to_string())?;
            }
            if next == 0 {
                break;
            }
            cursor = next;
        }
        redis::cmd("HDEL")
            .arg(REDIS_RUNS)
            .arg(run_id)
            .query::<()>(&mut conn)
            .map_err(|e| e.to_string())
    } else {
        let run_id = run_id.to_string();
        mysql(url, move |conn| {
            Box::pin(async move {
                use mysql_async::prelude::Queryable;
                let tables: Vec<String> = conn
                    .exec(
                        "SELECT table_name FROM information_schema.tables \
                         WHERE table_schema = DATABASE() AND table_name LIKE ?",
                        (format!("conlab\\_%\\_{run_id}"),),
                    )
                    .await?;
                for table in tables {
                    // The name comes from the server's own catalog and matched our pattern.
                    conn.query_drop(format!("DROP TABLE IF EXISTS `{table}`"))
                        .await?;
                }
                conn.exec_drop(
                    format!("DELETE FROM {MYSQL_RUNS} WHERE run_id = ?"),
                    (run_id.clone(),),
                )
                .await
                .or_else(|e| match e {
                    // No registry table yet: nothing to delete.
                    mysql_async::Error::Server(ref s) if s.code == 1146 => Ok(()),
                    e => Err(e),
                })
            })
        })
    }
}

fn redis_connection(url: &str) -> Result<redis::Connection, String> {
    let client = redis::Client::open(url).map_err(|e| e.to_string())?;
    let conn = client
        .get_connection_with_timeout(CLEAN_LIMIT)
        .map_err(|e| e.to_string())?;
    conn.set_read_timeout(Some(CLEAN_LIMIT))
        .map_err(|e| e.to_string())?;
    Ok(conn)
}

/// Runs `work` on a fresh connection to `url`, within [`CLEAN_LIMIT`].
fn mysql<T, F>(url: &str, work: F) -> Result<T, String>
where
    F: for<'c> FnOnce(&'c mut mysql_async::Conn) -> MysqlWork<'c, T>,
{
    on_mysql(url, CLEAN_LIMIT, work)
}
