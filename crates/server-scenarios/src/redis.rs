//! Redis scenarios and what they share: connecting and commanding with time limits, recorded
//! as spans on a connection lane, a small connection pool, and removing the run's keys.

pub mod job_queue;
pub mod redis_hash;
pub mod redis_multi_server;
pub mod redis_pool;

use crate::calls::{timed, CallError};
use conlab_core::{FailureKind, LaneCtx, ScenarioError, SpanState, Text};
use conlab_servers::redact_url;
use conlab_tokio::TokioRuntime;
use redis::aio::MultiplexedConnection;
use std::cell::RefCell;
use std::collections::VecDeque;
use std::future::{poll_fn, Future};
use std::rc::Rc;
use std::task::{Poll, Waker};
use std::time::Duration;

/// Connecting gives up after this long.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(3);
/// A command gives up after this long beyond the time it is meant to take (which the caller
/// gives, from the scenario's parameters): the slack for a loaded machine.
pub(crate) const COMMAND_TIMEOUT: Duration = Duration::from_secs(5);

/// How conlab opens a Redis connection. The client library's own limits (a response within
/// 500 ms, a connection within 1 s) are fixed constants: they cut off a command meant to wait
/// server-side (BLPOP with a scaled wait) and a burst of commands on a loaded machine. Limits
/// follow the scenario instead. Calls through [`connect`] and [`command`] are timed there
/// (`response: None`: no limit of the library's); a connection used without them gets
/// `Some(response)`, the longest its commands are meant to take plus [`COMMAND_TIMEOUT`].
pub(crate) fn connection_config(response: Option<Duration>) -> redis::AsyncConnectionConfig {
    redis::AsyncConnectionConfig::new()
        .set_connection_timeout(response.map(|_| CONNECT_TIMEOUT))
        .set_response_timeout(response)
}

/// Connects to `url`, recorded as `connecting` on `lane`.
pub(crate) async fn connect(
    lane: &LaneCtx<TokioRuntime>,
    url: &str,
) -> Result<MultiplexedConnection, ScenarioError> {
    let shown = redact_url(url);
    let client = redis::Client::open(url)
        .map_err(|e| ScenarioError::failed(format!("bad Redis URL {shown}: {e}")))?;
    let config = connection_config(None);
    let connecting = client.get_multiplexed_async_connection_with_config(&config);
    timed(
        lane,
        SpanState::Connecting,
        Text::from(shown.clone()),
        CONNECT_TIMEOUT,
        connecting,
        FailureKind::Unreachable,
        |e| match e {
            CallError::Failed(e) => format!("Redis at {shown}: {}", one_line(&e)),
            CallError::TimedOut(t) => format!(
                "Redis at {shown} did not answer within {:.1} s",
                t.as_secs_f64()
            ),
        },
    )
    .await
}

/// Runs a command future, recorded as `in_flight` labelled `what`, with a time limit of
/// `extra` (the time the command is meant to take, from the parameters) plus the usual slack.
/// The connection must come from [`connect`] (no limit of the library's own).
pub(crate) async fn command<T>(
    lane: &LaneCtx<TokioRuntime>,
    what: &'static str,
    extra: Duration,
    future: impl Future<Output = redis::RedisResult<T>>,
) -> Result<T, ScenarioError> {
    timed(
        lane,
        SpanState::InFlight,
        what,
        COMMAND_TIMEOUT + extra,
        future,
        FailureKind::Failed,
        |e| match e {
            CallError::Failed(e) => format!("Redis {what} failed: {}", one_line(&e)),
            CallError::TimedOut(t) => format!(
                "Redis {what} did not answer within {:.1} s (did the server stop?)",
                t.as_secs_f64()
            ),
        },
    )
    .await
}

/// Redis errors as one line, without the stack of causes.
fn one_line(e: &redis::RedisError) -> String {
    let text = e.to_string();
    if text.contains("NOAUTH") || text.contains("WRONGPASS") || text.contains("invalid password") {
        return "authentication failed: check the password in the URL".to_string();
    }
    text.lines().next().unwrap_or("error").to_string()
}

/// `call` within `limit`, for calls not recorded through [`command`] (the connection has no
/// limit of the library's own); no answer in time is an IO error.
pub(crate) async fn within<T>(
    limit: Duration,
    call: impl Future<Output = redis::RedisResult<T>>,
) -> redis::RedisResult<T> {
    match tokio::time::timeout(limit, call).await {
        Ok(result) => result,
        Err(_) => Err(std::io::Error::new(
            std::io::ErrorKind::TimedOut,
            format!("no answer within {:.1} s", limit.as_secs_f64()),
        )
        .into()),
    }
}

/// Deletes every key of this run (`conlab:<run-id>:*`), each command within the usual limit.
pub async fn delete_run_keys(
    con: &mut MultiplexedConnection,
    run_id: &str,
) -> redis::RedisResult<usize> {
    let pattern = format!("conlab:{run_id}:*");
    let mut cursor: u64 = 0;
    let mut deleted = 0;
    loop {
        let (next, keys): (u64, Vec<String>) = within(
            COMMAND_TIMEOUT,
            redis::cmd("SCAN")
                .arg(cursor)
                .arg("MATCH")
                .arg(&pattern)
                .arg("COUNT")
                .arg(1000)
                .query_async(con),
        )
        .await?;
        if !keys.is_empty() {
            deleted += keys.len();
            let _: () = within(
                COMMAND_TIMEOUT,
                redis::cmd("DEL").arg(&keys).query_async(con),
            )
            .await?;
        }
        if next == 0 {
            return Ok(deleted);
        }
        cursor = next;
    }
}

/// A pool of connections shared by the tasks of one loop: check one out (waiting, recorded
/// as `pool_wait`, while none is free), use it, check it back in.
pub(crate) struct Pool {
    free: RefCell<Vec<MultiplexedConnection>>,
    waiting: RefCell<VecDeque<Waker>>,
}

impl Pool {
    pub(crate) fn new(connections: Vec<MultiplexedConnection>) -> Rc<Pool> {
        Rc::new(Pool {
            free: RefCell::new(connections),
            waiting: RefCell::new(VecDeque::new()),
        })
    }

    pub(crate) async fn checkout(&self, lane: &LaneCtx<TokioRuntime>) -> MultiplexedConnection {
        if let Some(c) = self.free.borrow_mut().pop() {
            return c;
        }
        let wait = poll_fn(|cx| match self.free.borrow_mut().pop() {
            Some(c) => Poll::Ready(c),
            None => {
                self.waiting.borrow_mut().push_back(cx.waker().clone());
                Poll::Pending
            }
        });
        lane.during(SpanState::PoolWait, Text::None, wait).await
    }

    pub(crate) fn checkin(&self, connection: MultiplexedConnection) {
        self.free.borrow_mut().push(connection);
        let next = self.waiting.borrow_mut().pop_front();
        if let Some(w) = next {
            w.wake();
        }
    }
}
