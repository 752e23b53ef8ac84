//! What the multi-server scenarios share: the same work on every server at once, each on a
//! connection lane of its own, and the check that together they took as long as the slowest.

use conlab_core::{Checks, LaneCtx, LaneKind, Nanos, ScenarioError, SpanState, TaskGroup, Text};
use conlab_tokio::TokioRuntime;
use std::future::Future;
use std::time::Duration;

/// Runs `work(i, url, lane)` against every server at once, each on a lane named
/// `<name>-server-<i>`, recording it as a `running` span labelled `work`, a `server_done` mark
/// `"<i> <result>"` and a line of output. Fails with the first server that failed.
pub(crate) async fn on_every_server<F, Fut>(
    main: &LaneCtx<TokioRuntime>,
    name: &str,
    urls: Vec<String>,
    work: F,
) -> Result<(), ScenarioError>
where
    F: Fn(usize, String, LaneCtx<TokioRuntime>) -> Fut,
    Fut: Future<Output = Result<String, ScenarioError>> + 'static,
{
    let group = TaskGroup::new();
    for (i, url) in urls.into_iter().enumerate() {
        let lane = main.new_lane(LaneKind::Connection, format!("{name}-server-{}", i + 1));
        let printer = main.clone();
        let job = work(i, url, lane.clone());
        group.spawn(main.runtime(), async move {
            let start = lane.now();
            let result = job.await?;
            lane.writer().span(
                lane.lane(),
                SpanState::Running,
                start,
                lane.now(),
                Text::Static("work"),
            );
            lane.mark("server_done", Text::from(format!("{i} {result}")));
            printer.print(format!(
                "server {}: done after {}",
                i + 1,
                conlab_core::ms(lane.now() - start)
            ));
            lane.end();
            Ok::<(), ScenarioError>(())
        });
    }
    let results = main
        .during(SpanState::WaitingJoin, "gather", group.join_all())
        .await;
    results.into_iter().collect::<Result<Vec<()>, _>>()?;
    Ok(())
}

/// Several servers did the same work at once (each recorded as a `running` span labelled
/// `work`): together they took about as long as the slowest, clearly less than the sum.
pub(crate) fn together_like_the_slowest(c: &mut Checks, servers: usize) {
    let work: Vec<(Nanos, Nanos)> = c
        .trace
        .spans
        .iter()
        .filter(|s| s.state == SpanState::Running && s.label == "work")
        .map(|s| (s.start, s.end))
        .collect();
    let first = work.iter().map(|w| w.0).min().unwrap_or(0);
    let last = work.iter().map(|w| w.1).max().unwrap_or(0);
    let slowest = work.iter().map(|w| w.1 - w.0).max().unwrap_or(0);
    let sum: Nanos = work.iter().map(|w| w.1 - w.0).sum();
    c.time(
        "slowest-not-sum",
        "together they take ~ the slowest server's time",
        last - first,
    )
    .about(Duration::from_nanos(slowest))
    .unlike(Duration::from_nanos(sum), "the servers one after the other")
    .judge();
    let detail = format!(
        "together {}, sum {}",
        conlab_core::ms(last - first),
        conlab_core::ms(sum)
    );
    let (_, allowed) = c.tolerance.window(slowest);
    if servers < 2 || sum <= allowed {
        c.not_judged(
            "less-than-sum",
            "clearly less than the sum when there are several servers",
            format!("{detail}: the sum is within what one server's time may stray, so the two cannot be told apart"),
        );
    } else {
        c.check(
            "less-than-sum",
            "clearly less than the sum when there are several servers",
            ((last - first) as f64) < 0.8 * sum as f64,
            detail,
        );
    }
}
