//! MySQL scenarios and what they share: connecting and querying with time limits, recorded as
//! spans on a connection lane; how many connections a server has room for; a pool that keeps
//! its connections, opened before it is used.

pub mod mysql_multi_server;
pub mod mysql_pool;
pub mod mysql_query;

use crate::calls::{timed, CallError};
use conlab_core::{FailureKind, LaneCtx, ScenarioError, SpanState, Text};
use conlab_servers::{mysql_error_line, redact_url};
use conlab_tokio::TokioRuntime;
use mysql_async::prelude::Queryable;
use std::future::Future;
use std::time::Duration;

/// Connecting gives up after this long.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(3);
/// A query gives up after this long beyond the time it is meant to take.
pub(crate) const QUERY_TIMEOUT: Duration = Duration::from_secs(5);
/// Connections a pool opens at once while it is warmed. A server drops connection attempts
/// beyond its listen backlog (MariaDB's `back_log`: 80 with the default `max_connections`),
/// and TCP tries a dropped one again only a second later.
const WARM_AT_ONCE: usize = 16;

/// Connects to `url`, recorded as `connecting` on `lane`.
pub(crate) async fn connect(
    lane: &LaneCtx<TokioRuntime>,
    url: &str,
) -> Result<mysql_async::Conn, ScenarioError> {
    let shown = redact_url(url);
    let opts = mysql_async::Opts::from_url(url)
        .map_err(|e| ScenarioError::failed(format!("bad MySQL URL {shown}: {e}")))?;
    timed(
        lane,
        SpanState::Connecting,
        Text::from(shown.clone()),
        CONNECT_TIMEOUT,
        mysql_async::Conn::new(opts),
        FailureKind::Unreachable,
        |e| match e {
            CallError::Failed(e) => format!("MySQL at {shown}: {}", mysql_error_line(&e)),
            CallError::TimedOut(t) => {
                format!("MySQL at {shown} did not answer within {} s", t.as_secs())
            }
        },
    )
    .await
}

/// Runs a query future, recorded as `in_flight` labelled `what`, with a time limit of
/// `expected` plus the usual query timeout.
pub(crate) async fn query<T>(
    lane: &LaneCtx<TokioRuntime>,
    what: &'static str,
    expected: Duration,
    future: impl Future<Output = mysql_async::Result<T>>,
) -> Result<T, ScenarioError> {
    timed(
        lane,
        SpanState::InFlight,
        what,
        QUERY_TIMEOUT + expected,
        future,
        FailureKind::Failed,
        |e| match e {
            CallError::Failed(e) => format!("MySQL {what} failed: {}", mysql_error_line(&e)),
            CallError::TimedOut(t) => format!(
                "MySQL {what} did not answer within {} s (did the server stop?)",
                t.as_secs()
            ),
        },
    )
    .await
}

/// Room for connections on a server: its `max_connections` and how many other connections
/// are open.
pub(crate) struct Room {
    /// The server's `max_connections`.
    pub max: usize,
    /// Connections open besides the asking one.
    pub others: usize,
}

/// How many connections the server behind `conn` accepts, and how many others are open
/// (queries recorded on `lane`; any user may read both). A connection closed just before
/// (such as the one conlab made to find the server) is still counted for a moment, until the
/// server's thread for it ends: the count is read again a few times, and the lowest kept.
pub(crate) async fn room(
    lane: &LaneCtx<TokioRuntime>,
    conn: &mut mysql_async::Conn,
) -> Result<Room, ScenarioError> {
    let max: Option<usize> = query(
        lane,
        "SELECT @@max_connections",
        Duration::ZERO,
        conn.query_first("SELECT @@max_connections"),
    )
    .await?;
    let mut open = usize::MAX;
    for attempt in 0..5 {
        if attempt > 0 {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        let status: Option<(String, usize)> = query(
            lane,
            "SHOW STATUS Threads_connected",
            Duration::ZERO,
            conn.query_first("SHOW GLOBAL STATUS LIKE 'Threads_connected'"),
        )
        .await?;
        open = open.min(status.map_or(usize::MAX, |s| s.1));
        if open <= 1 {
            break;
        }
    }
    match max {
        Some(max) if open != usize::MAX => Ok(Room {
            max,
            others: open.saturating_sub(1),
        }),
        _ => Err(ScenarioError::failed(
            "MySQL did not say its max_connections and Threads_connected",
        )),
    }
}

/// A pool of `size` connections to `url` that keeps them: mysql_async closes a connection
/// given back while `min` are idle, and with its usual `min` (0 here, as `size` may be below
/// its default of 10) every query through the pool would open a connection of its own.
pub(crate) fn keeping_pool(url: &str, size: usize) -> Result<mysql_async::Pool, String> {
    let opts = mysql_async::Opts::from_url(url).map_err(|e| e.to_string())?;
    let constraints = mysql_async::PoolConstraints::new(size, size)
        .ok_or_else(|| format!("bad pool size {size}"))?;
    Ok(mysql_async::Pool::new(
        mysql_async::OptsBuilder::from_opts(opts)
            .pool_opts(mysql_async::PoolOpts::default().with_constraints(constraints)),
    ))
}

/// Opens `n` connections of `pool` (a [`keeping_pool`] of at least `n`), [`WARM_AT_ONCE`] at a
/// time, and waits until all are back in it: what is measured next is the pool at work, not
/// connections being set up (nor attempts beyond the server's backlog waiting a second).
pub(crate) async fn warm(pool: &mysql_async::Pool, n: usize) -> Result<(), String> {
    let deadline = tokio::time::Instant::now() + CONNECT_TIMEOUT;
    let mut held = Vec::with_capacity(n);
    while held.len() < n {
        let mut batch = tokio::task::JoinSet::new();
        for _ in 0..(n - held.len()).min(WARM_AT_ONCE) {
            let pool = pool.clone();
            batch
                .spawn(async move { tokio::time::timeout(CONNECT_TIMEOUT, pool.get_conn()).await });
        }
        while let Some(got) = batch.join_next().await {
            match got {
                Ok(Ok(Ok(conn))) => held.push(conn),
                // A connection closed just before (this run's own) may still count against
                // max_connections for a moment: try again shortly.
                Ok(Ok(Err(e))) if too_many(&e) && tokio::time::Instant::now() < deadline => {
                    tokio::time::sleep(Duration::from_millis(10)).await;
                }
                Ok(Ok(Err(e))) => return Err(mysql_error_line(&e)),
                Ok(Err(_)) => {
                    return Err(format!(
                        "no connection within {} s",
                        CONNECT_TIMEOUT.as_secs()
                    ))
                }
                Err(e) => return Err(e.to_string()),
            }
        }
    }
    drop(held);
    // Given back, each is reset and put among the idle ones by the pool's own task.
    let metrics = pool.metrics();
    let back = || {
        metrics
            .connections_in_pool
            .load(std::sync::atomic::Ordering::Relaxed)
    };
    let deadline = tokio::time::Instant::now() + CONNECT_TIMEOUT;
    while back() < n {
        if tokio::time::Instant::now() > deadline {
            return Err(format!(
                "only {} of {n} connections came back to the pool",
                back()
            ));
        }
        tokio::time::sleep(Duration::from_millis(1)).await;
    }
    Ok(())
}

/// Whether the server refused a connection for want of room (error 1040).
fn too_many(e: &mysql_async::Error) -> bool {
    matches!(e, mysql_async::Error::Server(s) if s.code == 1040)
}
