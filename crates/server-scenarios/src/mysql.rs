//! MySQL scenarios and what they share: connecting and querying with time limits, recorded as
//! spans on a connection lane.

pub mod mysql_multi_server;
pub mod mysql_pool;
pub mod mysql_query;

use crate::calls::{timed, CallError};
use conlab_core::{FailureKind, LaneCtx, ScenarioError, SpanState, Text};
use conlab_servers::{mysql_error_line, redact_url};
use conlab_tokio::TokioRuntime;
use std::future::Future;
use std::time::Duration;

/// Connecting gives up after this long.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(3);
/// A query gives up after this long beyond the time it is meant to take.
const QUERY_TIMEOUT: Duration = Duration::from_secs(5);

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
