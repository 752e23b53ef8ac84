//! redis-multi-server: the same work against several Redis servers at once. Each server runs a
//! slow command (BLPOP on an empty list, which waits server-side), server i for i x the base
//! time; together they take as long as the slowest, not the sum.

use super::{command, connect, delete_run_keys};
use conlab_core::{Checks, LaneCtx, LaneKind, ScenarioError, SpanState, TaskGroup, Text};
use conlab_tokio::{ScenarioFuture, TokioRuntime};
use redis::AsyncCommands;
use std::time::Duration;

/// The slow command of server i waits (i + 1) x this (times time-scale).
const BASE_MS: i64 = 100;

/// Runs the scenario.
pub fn run(main: LaneCtx<TokioRuntime>, urls: Vec<String>, run_id: String) -> ScenarioFuture {
    Box::pin(async move {
        let group = TaskGroup::new();
        for (i, url) in urls.into_iter().enumerate() {
            let wait = main.params().scale_ms(BASE_MS * (i as i64 + 1));
            let lane = main.new_lane(LaneKind::Connection, format!("redis-server-{}", i + 1));
            let run_id = run_id.clone();
            let printer = main.clone();
            group.spawn(main.runtime(), async move {
                let start = lane.now();
                let mut con = connect(&lane, &url).await?;
                let empty = format!("conlab:{run_id}:empty:{i}");
                // BLPOP waits server-side for up to its timeout (seconds, decimals allowed).
                let _: Option<(String, String)> = command(
                    &lane,
                    "BLPOP (slow)",
                    wait,
                    con.blpop(&empty, wait.as_secs_f64()),
                )
                .await?;
                let key = format!("conlab:{run_id}:server:{i}");
                let _: () = command(&lane, "SET", Duration::ZERO, con.set(&key, i)).await?;
                let back: usize = command(&lane, "GET", Duration::ZERO, con.get(&key)).await?;
                delete_run_keys(&mut con, &run_id)
                    .await
                    .map_err(|e| ScenarioError(format!("cleaning up failed: {e}")))?;
                lane.writer().span(
                    lane.lane(),
                    SpanState::Running,
                    start,
                    lane.now(),
                    Text::Static("work"),
                );
                lane.mark("server_done", Text::from(format!("{i} {back}")));
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

/// Checks: every server completed its work correctly; together they took about as long as
/// the slowest, clearly less than the sum.
pub fn checks(c: &mut Checks) {
    let t = c.trace;
    let n = c.params.usize("servers");
    let done: Vec<bool> = t
        .marks_named("server_done")
        .map(|m| m.detail.split_once(' ').is_some_and(|(a, b)| a == b))
        .collect();
    c.check(
        "all-complete",
        "every server completes its work",
        done.len() == n && done.iter().all(|d| *d),
        format!("{} of {n} servers", done.len()),
    );
    crate::checks::servers_together(c, n);
}
