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
/// A command gives up after this long (beyond any wait the command itself asks for).
const COMMAND_TIMEOUT: Duration = Duration::from_secs(5);

/// Connects to `url`, recorded as `connecting` on `lane`.
pub(crate) async fn connect(
    lane: &LaneCtx<TokioRuntime>,
    url: &str,
) -> Result<MultiplexedConnection, ScenarioError> {
    let shown = redact_url(url);
    let client = redis::Client::open(url)
        .map_err(|e| ScenarioError::failed(format!("bad Redis URL {shown}: {e}")))?;
    let connecting = client.get_multiplexed_async_connection();
    timed(
        lane,
        SpanState::Connecting,
        Text::from(shown.clone()),
        CONNECT_TIMEOUT,
        connecting,
        FailureKind::Unreachable,
        |e| match e {
            CallError::Failed(e) => format!("Redis at {shown}: {}", one_line(&e)),
            CallError::TimedOut(t) => {
                format!("Redis at {shown} did not answer within {} s", t.as_secs())
            }
        },
    )
    .await
}

/// Runs a command future, recorded as `in_flight` labelled `what`, with a time limit of
/// `extra` plus the usual command timeout.
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
                "Redis {what} did not answer within {} s (did the server stop?)",
                t.as_secs()
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

/// Deletes every key of this run (`conlab:<run-id>:*`).
pub async fn delete_run_keys(
    con: &mut MultiplexedConnection,
    run_id: &str,
) -> redis::RedisResult<usize> {
    let pattern = format!("conlab:{run_id}:*");
    let mut cursor: u64 = 0;
    let mut deleted = 0;
    loop {
        let (next, keys): (u64, Vec<String>) = redis::cmd("SCAN")
            .arg(cursor)
            .arg("MATCH")
            .arg(&pattern)
            .arg("COUNT")
            .arg(1000)
            .query_async(con)
            .await?;
        if !keys.is_empty() {
            deleted += keys.len();
            let _: () = redis::cmd("DEL").arg(&keys).query_async(con).await?;
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
