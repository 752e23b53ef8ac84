//! mysql-pool: sleeping queries one after another on one connection, then concurrently through
//! a pool of k connections: the concurrent ones run in waves of k.
//!
//! The pool is warmed first (its connections opened, recorded as a phase of its own), so the
//! concurrent phase measures queries waiting for a pooled connection, as the lesson says, and
//! not connections being set up. A run that needs more connections than the server has room
//! for is refused before it starts, naming `pool` and the server's limit.

use super::{connect, keeping_pool, query, room, warm, QUERY_TIMEOUT};
use conlab_core::{
    Checks, FailureKind, Fault, LaneCtx, LaneKind, Nanos, ScenarioError, SpanState, TaskGroup, Text,
};
use conlab_servers::redact_url;
use conlab_tokio::{ScenarioFuture, TokioRuntime};
use mysql_async::prelude::Queryable;
use std::time::Duration;

/// What one query's round trip to the server may add to its SLEEP(), on a busy 2-core machine.
const PER_QUERY: Nanos = 1_000_000;

/// Runs the scenario.
pub fn run(main: LaneCtx<TokioRuntime>, urls: Vec<String>, _run_id: String) -> ScenarioFuture {
    Box::pin(async move {
        let queries = main.params().usize("queries");
        let size = main.params().usize("pool");
        let sleep = main.params().duration("sleep_ms");
        let sleep_s = sleep.as_secs_f64();

        let lane = main.new_lane(LaneKind::Connection, "sequential");
        let mut conn = connect(&lane, &urls[0]).await?;
        // At most this many queries are in flight at once, each on a connection of its own.
        let needed = size.min(queries);
        let room = room(&lane, &mut conn).await?;
        // This run's own connection is closed before the pool opens.
        let free = room.max.saturating_sub(room.others);
        if needed > free {
            return Err(ScenarioError::new(
                FailureKind::Refused,
                format!(
                    "pool={size} (with queries={queries}) needs {needed} connections at once, \
                     but the MySQL server at {} accepts {} (its max_connections) and {} other \
                     connections are open: {free} are free. Run with pool={free} or less, or \
                     raise the server's max_connections",
                    redact_url(&urls[0]),
                    room.max,
                    room.others
                ),
            ));
        }
        main.phase_start("sequential");
        let start = main.now();
        for _ in 0..queries {
            let _: Option<i64> = query(
                &lane,
                "SELECT SLEEP(?)",
                sleep,
                conn.exec_first("SELECT SLEEP(?)", (sleep_s,)),
            )
            .await?;
        }
        let seq = main.now() - start;
        main.phase_end("sequential");
        query(&lane, "disconnect", Duration::ZERO, conn.disconnect()).await?;
        lane.end();
        main.metric("makespan_sequential_ms", seq as f64 / 1e6, "ms");
        main.print(format!(
            "sequential: {queries} queries in {}",
            conlab_core::ms(seq)
        ));

        let pool = keeping_pool(&urls[0], size).map_err(ScenarioError::failed)?;
        // Not a phase of its own: setting up the pool, drawn as its connecting span, so the
        // measured phase below does not include opening connections.
        let start = main.now();
        main.during(
            SpanState::Connecting,
            Text::from(format!("open {needed} pooled connections")),
            warm(&pool, needed),
        )
        .await
        .map_err(|e| ScenarioError::failed(format!("MySQL pool: {e}")))?;
        main.print(format!(
            "pool warmed: {needed} connections opened in {}",
            conlab_core::ms(main.now() - start)
        ));

        // A query waits for a connection at most while the waves before it run.
        let waves = queries.div_ceil(size) as u32;
        let wait_limit = sleep * waves + QUERY_TIMEOUT;
        main.phase_start("concurrent");
        let start = main.now();
        let group = TaskGroup::new();
        for _ in 0..queries {
            let pool = pool.clone();
            main.spawn_into(&group, move |me| async move {
                let rt = me.runtime().clone();
                let got = me
                    .during(
                        SpanState::PoolWait,
                        Text::None,
                        conlab_core::sync::timeout(&rt, wait_limit, pool.get_conn()),
                    )
                    .await;
                let mut conn = match got {
                    Ok(Ok(c)) => c,
                    Ok(Err(e)) => {
                        return Err(ScenarioError::failed(format!(
                            "MySQL pool: {}",
                            conlab_servers::mysql_error_line(&e)
                        )))
                    }
                    Err(_) => {
                        return Err(ScenarioError::new(
                            FailureKind::TimedOut,
                            format!(
                                "no pooled MySQL connection within {}",
                                conlab_core::ms(wait_limit.as_nanos() as Nanos)
                            ),
                        ))
                    }
                };
                let slept: Option<i64> = query(
                    &me,
                    "SELECT SLEEP(?)",
                    sleep,
                    conn.exec_first("SELECT SLEEP(?)", (sleep_s,)),
                )
                .await?;
                Ok(slept == Some(0))
            });
        }
        let results = main
            .during(SpanState::WaitingJoin, "gather", group.join_all())
            .await;
        let ok = results
            .into_iter()
            .collect::<Result<Vec<bool>, _>>()?
            .into_iter()
            .filter(|b| *b)
            .count();
        let conc = main.now() - start;
        main.phase_end("concurrent");
        let _ = pool.disconnect().await;
        main.metric("makespan_concurrent_ms", conc as f64 / 1e6, "ms");
        main.mark("concurrent_ok", Text::from(ok.to_string()));
        main.print(format!(
            "concurrent through a pool of {size}: {ok} queries in {}",
            conlab_core::ms(conc)
        ));
        Ok(())
    })
}

/// Checks, from the recorded query spans: sequential queries take ~ n x sleep; through the
/// pool never more than k run at once and the whole takes ~ ceil(n / k) x sleep.
pub fn checks(c: &mut Checks) {
    let t = c.trace;
    let queries = c.params.usize("queries");
    let pool = c.params.usize("pool");
    let sleep = c.params.duration("sleep_ms");
    let (Some((seq_start, _)), Some((conc_start, _))) =
        (c.phase("sequential"), c.phase("concurrent"))
    else {
        c.check("phases", "both phases ran", false, "missing phase marks");
        return;
    };
    let sleeps: Vec<(Nanos, Nanos)> = t
        .spans
        .iter()
        .filter(|s| s.state == SpanState::InFlight && s.label == "SELECT SLEEP(?)")
        .map(|s| (s.start, s.end))
        .collect();
    let seq: Vec<_> = sleeps
        .iter()
        .copied()
        .filter(|s| s.0 < conc_start)
        .collect();
    let conc: Vec<_> = sleeps
        .iter()
        .copied()
        .filter(|s| s.0 >= conc_start)
        .collect();
    let ok = t
        .marks_named("concurrent_ok")
        .next()
        .and_then(|m| m.detail.parse::<usize>().ok());
    c.check(
        "all-answered",
        "every query completes in both modes",
        seq.len() == queries && conc.len() == queries && ok == Some(queries),
        format!(
            "{} sequential, {} concurrent, {} ok",
            seq.len(),
            conc.len(),
            ok.map_or("none reported".to_string(), |n| n.to_string())
        ),
    );
    let seq_end = seq.iter().map(|s| s.1).max().unwrap_or(seq_start);
    // Every query also makes a round trip to the server, beyond its SLEEP().
    let round_trips = queries as Nanos * PER_QUERY;
    let because = format!(
        "{} at {} each",
        conlab_core::count_of(queries, "round trip", "round trips"),
        conlab_core::ms(PER_QUERY)
    );
    c.time(
        "sequential-sum",
        "one after another: ~ n x sleep",
        seq_end - seq_start,
    )
    .about(sleep * queries as u32)
    .plus(round_trips, because.clone())
    .unlike(
        sleep * queries.div_ceil(pool) as u32,
        "the queries through the pool at once",
    )
    .judge();
    let peak = conlab_core::peak_overlap(&conc);
    c.check(
        "pool-bound",
        "never more queries in flight than the pool has connections",
        peak <= pool,
        format!("peak {peak}, pool {pool}"),
    );
    let conc_end = conc.iter().map(|s| s.1).max().unwrap_or(conc_start);
    let waves = queries.div_ceil(pool) as u32;
    c.time(
        "waves",
        "through the pool: ~ ceil(n / pool) x sleep",
        conc_end - conc_start,
    )
    .about(sleep * waves)
    .plus(round_trips, because)
    .unlike(sleep * queries as u32, "the queries one after the other")
    .guards(&[Fault::SerialTasks])
    .judge();
}

/// About how long a run takes: the queries in waves of `pool` connections.
pub fn expected(p: &conlab_core::Params) -> std::time::Duration {
    use conlab_core::estimate::{times, waves, ROUND_TRIP};
    let (queries, pool) = (p.usize("queries"), p.usize("pool"));
    // The queries one by one, then in waves over the pool (whose connections are opened first).
    let sleep = p.duration("sleep_ms");
    times(queries, sleep + ROUND_TRIP * 10)
        + waves(queries, pool, sleep)
        + times(pool.min(queries), ROUND_TRIP * 40)
}
