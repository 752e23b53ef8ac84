//! Calls to servers: timed, recorded as a span, failures turned into one-line reasons.

use conlab_core::{FailureKind, ScenarioError};
use std::time::Duration;

/// How a timed call ended badly.
pub(crate) enum CallError<E> {
    /// The call itself failed.
    Failed(E),
    /// No answer within the limit.
    TimedOut(Duration),
}

/// Runs a call to a server, recorded as a span in `state` on `lane`, for at most `limit`;
/// `describe` turns a failure into the run's one-line reason. A failed call is of kind
/// `failed_kind` (a connection that fails: the server is unreachable); a call past its limit
/// has timed out.
pub(crate) async fn timed<T, E>(
    lane: &conlab_core::LaneCtx<conlab_tokio::TokioRuntime>,
    state: conlab_core::SpanState,
    label: impl Into<conlab_core::Text>,
    limit: Duration,
    call: impl std::future::Future<Output = Result<T, E>>,
    failed_kind: FailureKind,
    describe: impl FnOnce(CallError<E>) -> String,
) -> Result<T, ScenarioError> {
    let rt = lane.runtime().clone();
    match lane
        .during(state, label, conlab_core::sync::timeout(&rt, limit, call))
        .await
    {
        Ok(Ok(v)) => Ok(v),
        Ok(Err(e)) => Err(ScenarioError::new(
            failed_kind,
            describe(CallError::Failed(e)),
        )),
        Err(_) => Err(ScenarioError::new(
            FailureKind::TimedOut,
            describe(CallError::TimedOut(limit)),
        )),
    }
}
