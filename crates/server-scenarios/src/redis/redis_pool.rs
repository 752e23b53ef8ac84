//! redis-pool: the same n writes three ways: one by one on one connection, pipelined on one
//! connection, and concurrently by many tasks sharing a pool of connections. Each mode's
//! throughput is measured; the pool's saturation shows as `pool_wait` spans.

use super::{command, connect, delete_run_keys, within, Pool, COMMAND_TIMEOUT};
use conlab_core::{Checks, LaneCtx, LaneKind, Nanos, ScenarioError, SpanState, TaskGroup, Text};
use conlab_tokio::{ScenarioFuture, TokioRuntime};
use redis::AsyncCommands;
use std::time::Duration;

/// Commands per pipeline round trip.
const PIPELINE: usize = 1000;
/// Tasks sharing the pool in the concurrent mode (at most one per operation).
const TASKS: usize = 50;

fn phase(main: &LaneCtx<TokioRuntime>, mode: &'static str, ops: usize, start: Nanos) {
    let took = main.now() - start;
    let rate = ops as f64 / (took.max(1) as f64 / 1e9);
    main.metric(&format!("ops_per_s_{mode}"), rate, "ops/s");
    main.phase_end(mode);
    main.mark("phase_done", Text::from(format!("{mode} {ops} {took}")));
    main.print(format!(
        "{mode}: {ops} SETs in {} = {rate:.0} ops/s",
        conlab_core::ms(took)
    ));
}

/// Runs the scenario.
pub fn run(main: LaneCtx<TokioRuntime>, urls: Vec<String>, run_id: String) -> ScenarioFuture {
    Box::pin(async move {
        let ops = main.params().usize("ops");
        let size = main.params().usize("pool");
        let url = urls[0].clone();

        let lane = main.new_lane(LaneKind::Connection, "sequential");
        let mut con = connect(&lane, &url).await?;
        main.phase_start("sequential");
        let start = main.now();
        let mut done = 0;
        for i in 0..ops {
            let key = format!("conlab:{run_id}:seq:{i}");
            let _: () = command(&lane, "SET", Duration::ZERO, con.set(&key, i)).await?;
            done += 1;
        }
        phase(&main, "sequential", done, start);
        lane.end();

        let lane = main.new_lane(LaneKind::Connection, "pipelined");
        main.phase_start("pipelined");
        let start = main.now();
        let mut done = 0;
        for chunk in (0..ops).collect::<Vec<_>>().chunks(PIPELINE) {
            let mut pipe = redis::pipe();
            for i in chunk {
                pipe.set(format!("conlab:{run_id}:pipe:{i}"), *i).ignore();
            }
            let _: () = command(
                &lane,
                "pipeline",
                Duration::ZERO,
                pipe.query_async(&mut con),
            )
            .await?;
            done += chunk.len();
        }
        phase(&main, "pipelined", done, start);
        lane.end();

        let mut connections = Vec::with_capacity(size);
        for i in 0..size {
            let lane = main.new_lane(LaneKind::Connection, format!("pool-{}", i + 1));
            connections.push(connect(&lane, &url).await?);
            lane.end();
        }
        let pool = Pool::new(connections);
        let tasks = TASKS.min(ops).max(1);
        main.phase_start("concurrent");
        let start = main.now();
        let group = TaskGroup::new();
        for t in 0..tasks {
            let (pool, run_id) = (pool.clone(), run_id.clone());
            main.spawn_into(&group, move |me| async move {
                let mut ok = 0usize;
                for i in (t..ops).step_by(tasks) {
                    let mut c = pool.checkout(&me).await;
                    let key = format!("conlab:{run_id}:pool:{i}");
                    let result: Result<(), ScenarioError> =
                        command(&me, "SET", Duration::ZERO, c.set(&key, i)).await;
                    pool.checkin(c);
                    result?;
                    ok += 1;
                }
                Ok::<usize, ScenarioError>(ok)
            });
        }
        let results = main
            .during(SpanState::WaitingJoin, "gather", group.join_all())
            .await;
        let done: usize = results.into_iter().sum::<Result<usize, _>>()?;
        phase(&main, "concurrent", done, start);

        let keys: usize = within(
            COMMAND_TIMEOUT,
            redis::cmd("DBSIZE").query_async::<usize>(&mut con),
        )
        .await
        .unwrap_or(0);
        let deleted = delete_run_keys(&mut con, &run_id)
            .await
            .map_err(|e| ScenarioError::failed(format!("cleaning up failed: {e}")))?;
        main.mark("keys_deleted", Text::from(deleted.to_string()));
        main.print(format!(
            "cleaned up {deleted} keys (the database held {keys})"
        ));
        Ok(())
    })
}

/// Checks: every write of every mode succeeded and was cleaned up; pipelining beats one by
/// one (when there are enough operations for the difference to show); the pool's connections
/// carry commands at the same time, never more than its size.
pub fn checks(c: &mut Checks) {
    let t = c.trace;
    let ops = c.params.usize("ops");
    let phases = crate::checks::phases(t);
    let all = phases.len() == 3 && phases.iter().all(|p| p.1 == ops);
    c.check(
        "all-ops-succeed",
        "all operations succeed in every mode",
        all,
        crate::checks::phases_text(&phases),
    );
    let deleted = t
        .marks_named("keys_deleted")
        .next()
        .and_then(|m| m.detail.parse::<usize>().ok());
    c.check(
        "cleaned-up",
        "every key the run wrote is removed",
        deleted == Some(3 * ops),
        match deleted {
            Some(n) => format!(
                "{} keys removed",
                conlab_core::of(n as u64, (3 * ops) as u64)
            ),
            None => "the run did not report its removed keys".to_string(),
        },
    );
    let time = |mode: &str| {
        phases
            .iter()
            .find(|p| p.0 == mode)
            .map_or(u64::MAX, |p| p.2)
    };
    let seq = time("sequential");
    let detail = format!(
        "pipelined {}, sequential {}",
        conlab_core::ms(time("pipelined")),
        conlab_core::ms(seq)
    );
    let pipelined = c.phase("pipelined");
    if ops >= 200 {
        c.check(
            "pipelining-wins",
            "pipelined is faster than one by one",
            pipelined.is_some() && time("pipelined") < seq,
            detail,
        );
    } else {
        c.not_judged(
            "pipelining-wins",
            "pipelined is faster than one by one",
            format!("{detail}: with fewer than 200 operations the round trips pipelining saves are too few to tell from noise"),
        );
    }
    // On loopback a single-threaded client is often CPU-bound, so the pool need not beat one
    // by one; what it must show is real concurrency, bounded by its size.
    let pool = c.params.usize("pool");
    let _ = c.phase("sequential");
    let (conc_start, conc_end) = c.phase("concurrent").unwrap_or((u64::MAX, u64::MAX));
    let concurrent: Vec<(Nanos, Nanos)> = t
        .intervals(SpanState::InFlight)
        .into_iter()
        .filter(|i| i.0 >= conc_start && i.1 <= conc_end)
        .collect();
    let peak = conlab_core::peak_overlap(&concurrent);
    let expect_overlap = pool > 1 && ops >= 50 * pool;
    c.check(
        "pool-concurrent",
        "the pool's connections carry commands at once, never more than the pool size",
        peak <= pool.max(1) && (!expect_overlap || peak > 1),
        format!("peak {peak} in flight, pool {pool}"),
    );
}

/// About how many events it records: each operation's command in two of the three modes, a
/// begin and an end each.
pub fn trace_events(p: &conlab_core::Params) -> u64 {
    p.usize("ops") as u64 * 4 + 256
}

/// About how long a run takes: each operation once one by one, once pipelined, once over the pool.
pub fn expected(p: &conlab_core::Params) -> std::time::Duration {
    use conlab_core::estimate::{times, ROUND_TRIP};
    times(p.usize("ops"), ROUND_TRIP) + times(p.usize("pool"), ROUND_TRIP * 10)
}
