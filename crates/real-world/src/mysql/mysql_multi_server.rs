//! mysql-multi-server: the same query against several MySQL servers at once; server i sleeps
//! (i + 1) x the base time server-side. Together they take as long as the slowest.

use super::{connect, query};
use conlab_core::{Checks, LaneCtx, LaneKind, ScenarioError, SpanState, TaskGroup, Text};
use conlab_tokio::{ScenarioFuture, TokioRuntime};
use mysql_async::prelude::Queryable;
use std::time::Duration;

const BASE_MS: i64 = 100;

/// Runs the scenario.
pub fn run(main: LaneCtx<TokioRuntime>, urls: Vec<String>, _run_id: String) -> ScenarioFuture {
    Box::pin(async move {
        let group = TaskGroup::new();
        for (i, url) in urls.into_iter().enumerate() {
            let sleep = main.params().scale_ms(BASE_MS * (i as i64 + 1));
            let lane = main.new_lane(LaneKind::Connection, format!("mysql-server-{}", i + 1));
            let printer = main.clone();
            group.spawn(main.runtime(), async move {
                let start = lane.now();
                let mut conn = connect(&lane, &url).await?;
                let slept: Option<i64> = query(
                    &lane,
                    "SELECT SLEEP(?)",
                    sleep,
                    conn.exec_first("SELECT SLEEP(?)", (sleep.as_secs_f64(),)),
                )
                .await?;
                query(&lane, "disconnect", Duration::ZERO, conn.disconnect()).await?;
                lane.writer().span(
                    lane.lane(),
                    SpanState::Running,
                    start,
                    lane.now(),
                    Text::Static("work"),
                );
                lane.mark(
                    "server_done",
                    Text::from(format!("{i} {}", slept.unwrap_or(-1))),
                );
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
    })
}

/// Checks: every server answered (SLEEP returns 0 when it was not interrupted); together
/// they took about as long as the slowest, clearly less than the sum.
pub fn checks(c: &mut Checks) {
    let t = c.trace;
    let n = c.params.usize("servers");
    let done = t
        .marks_named("server_done")
        .filter(|m| m.detail.ends_with(" 0"))
        .count();
    c.check(
        "all-complete",
        "every server completes its query",
        done == n,
        format!("{done} of {n} servers"),
    );
    crate::checks::servers_together(c, n);
}
