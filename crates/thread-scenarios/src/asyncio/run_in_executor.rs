//! run-in-executor: a blocking call handed to a pool from async code runs off the event loop,
//! so the loop stays responsive (a ticker keeps ticking) and the calls overlap. The pool is
//! a thread pool, or a process pool whose workers are OS processes (one per call, as
//! `ProcessPoolExecutor(max_workers=calls)` would run them).

use conlab_core::{
    Checks, LaneCtx, LaneKind, Nanos, Params, Runtime, ScenarioError, SpanState, Text,
};
use conlab_processes::{ProcessCtx, Processes, Spawn};
use conlab_tokio::TokioRuntime;
use conlab_traced_threads::{Aborted, Watchdog};
use std::time::Duration;

/// How often the ticker ticks while the calls run.
const TICK: Duration = Duration::from_millis(20);

/// What starting one pool process may cost on a busy 2-core machine (an exec of conlab).
const PROCESS_START: Duration = Duration::from_millis(25);

/// Why it cannot run with these parameters: it always can.
pub fn unavailable(_: &Params) -> Option<String> {
    None
}

/// Runs the scenario.
pub async fn run(main: LaneCtx<TokioRuntime>) -> Result<(), ScenarioError> {
    let calls = main.params().usize("calls");
    let ticker = main.spawn_named("ticker", |me| async move {
        loop {
            me.runtime().sleep(TICK).await;
            me.mark("tick", "");
        }
    });
    let processes = main.params().choice("pool") == "process";
    // A pool process sleeps for its call: only the thread pool's calls are real requests.
    match processes {
        true => main.mark("io", conlab_core::SIMULATED_IO),
        false => main.mark_io_kind(),
    }
    let result = if processes {
        in_processes(&main, calls).await
    } else {
        in_threads(&main, calls).await
    };
    ticker.abort();
    result?;
    main.print("all calls done; the loop kept ticking meanwhile");
    Ok(())
}

/// Each call on a thread of tokio's blocking pool, with a lane of its own.
async fn in_threads(main: &LaneCtx<TokioRuntime>, calls: usize) -> Result<(), ScenarioError> {
    let block = main.params().duration("block_ms");
    let rt = main.runtime().clone();
    let mut handles = Vec::with_capacity(calls);
    for i in 0..calls {
        let (writer, rt) = (main.writer().clone(), rt.clone());
        let lane = main.new_lane(LaneKind::Worker, format!("executor-call-{}", i + 1));
        let lane_id = lane.lane();
        handles.push(tokio::task::spawn_blocking(move || {
            let start = rt.now();
            // Natively a blocking HTTP request to a server that answers after block_ms (as
            // `requests.get` would make); elsewhere time.sleep stands for it.
            let call = match rt.slow_server() {
                // Either gives up when the run is stopped.
                Some(server) => {
                    server.request_blocking_until(block, &|| rt.stop_asked());
                    "requests.get"
                }
                None => {
                    conlab_core::Runtime::block_thread(&rt, block);
                    "time.sleep"
                }
            };
            writer.span(
                lane_id,
                SpanState::Blocking,
                start,
                rt.now(),
                Text::Static(call),
            );
            writer.output(
                rt.now(),
                lane_id,
                format!("call {i}: done in a pool thread"),
            );
            writer.end_lane(rt.now(), lane_id);
        }));
    }
    main.print(format!("handed {calls} blocking calls to the thread pool"));
    for h in handles {
        main.during(SpanState::WaitingFuture, "run_in_executor", h)
            .await
            .map_err(|e| ScenarioError::failed(format!("a pool thread failed: {e}")))?;
    }
    Ok(())
}

/// Each call in a worker process; the loop awaits each one's exit (waited for on the
/// blocking pool, so the loop itself never blocks).
async fn in_processes(main: &LaneCtx<TokioRuntime>, calls: usize) -> Result<(), ScenarioError> {
    let watchdog = Watchdog::start("run-in-executor");
    let processes = std::sync::Arc::new(Processes::with_watchdog(
        "run-in-executor",
        main.params(),
        *main.runtime().clock(),
        watchdog.clone(),
    ));
    let mut handles = Vec::with_capacity(calls);
    for i in 0..calls {
        let (processes, writer) = (processes.clone(), main.writer().clone());
        // Started on the blocking pool too: starting a process is a blocking call.
        handles.push(tokio::task::spawn_blocking(move || {
            let spawn = Spawn::new("worker")
                .name(format!("executor-call-{}", i + 1))
                .arg(i.to_string());
            processes
                .start(&writer, "the executor", spawn)
                .map(|process| process.wait())
        }));
    }
    main.print(format!(
        "handed {} to a pool of {} (as ProcessPoolExecutor(max_workers={calls}) would: a worker process per call)",
        conlab_core::count_of(calls, "blocking call", "blocking calls"),
        conlab_core::count_of(calls, "process", "processes")
    ));
    for h in handles {
        let exit = main
            .during(SpanState::WaitingFuture, "run_in_executor", h)
            .await
            .map_err(|e| ScenarioError::failed(format!("waiting for a pool process failed: {e}")))?
            .map_err(ScenarioError::failed)?;
        if !exit.is_success() {
            break;
        }
    }
    drop(processes);
    watchdog.stop();
    match watchdog.failure() {
        Some(reason) => Err(ScenarioError::failed(reason)),
        None => Ok(()),
    }
}

/// A pool process: the blocking call.
pub fn child(ctx: &ProcessCtx) -> Result<(), Aborted> {
    let block = ctx.params().duration("block_ms");
    let start = ctx.now();
    std::thread::sleep(block);
    ctx.span(SpanState::Blocking, start, "time.sleep");
    ctx.print(format!(
        "call {}: done in pool process pid {}",
        ctx.arg(),
        ctx.pid()
    ));
    Ok(())
}

/// Checks: the calls overlap (makespan ~ one call, plus starting the processes one after the
/// other for a process pool), and the loop stayed responsive: the ticker never missed its
/// tick by more than the timing tolerance.
pub fn checks(c: &mut Checks) {
    let block = c.params.duration("block_ms");
    let calls = c.params.usize("calls");
    let blocking = c.trace.intervals(SpanState::Blocking);
    c.check(
        "all-ran",
        "every call ran in the pool",
        blocking.len() == calls,
        format!(
            "{} calls",
            conlab_core::of(blocking.len() as u64, calls as u64)
        ),
    );
    let end = blocking.iter().map(|b| b.1).max().unwrap_or(0);
    if c.params.choice("pool") == "process" {
        // A process pool starts its workers one after the other, each an exec of conlab.
        let first = blocking.iter().map(|b| b.0).min().unwrap_or(0);
        c.time(
            "makespan-one-call",
            "the calls overlap: they all end ~ one call after the first began",
            end.saturating_sub(first),
        )
        .about(block)
        .plus(
            (PROCESS_START * calls as u32).as_nanos() as Nanos,
            format!(
                "starting {}",
                conlab_core::count_of(calls, "process", "processes")
            ),
        )
        .unlike(block * calls as u32, "the calls one after the other")
        .judge();
    } else {
        c.time(
            "makespan-one-call",
            "the calls overlap: they all end ~ one call after the start",
            end,
        )
        .about(block)
        .real_requests(calls)
        .unlike(block * calls as u32, "the calls one after the other")
        .judge();
    }
    let mut ticks: Vec<Nanos> = c.trace.marks_named("tick").map(|m| m.t).collect();
    ticks.insert(0, 0);
    ticks.push(end);
    let gap = ticks
        .windows(2)
        .map(|w| w[1].saturating_sub(w[0]))
        .max()
        .unwrap_or(0);
    let allowed = TICK.as_nanos() as Nanos + c.tolerance.late;
    c.check(
        "loop-responsive",
        "the loop stays responsive: the ticker keeps ticking during the calls",
        gap <= allowed,
        format!(
            "longest gap between ticks {} (allowed {})",
            conlab_core::ms(gap),
            conlab_core::ms(allowed)
        ),
    );
}

/// About how long a run takes: one blocking call (the pool runs them side by side), after
/// starting its threads or processes.
pub fn expected(p: &conlab_core::Params) -> std::time::Duration {
    use conlab_core::estimate::{times, PER_THREAD};
    let calls = p.usize("calls");
    let start = if p.choice("pool") == "process" {
        PROCESS_START * calls as u32 + Duration::from_millis(200)
    } else {
        times(calls, PER_THREAD)
    };
    p.duration("block_ms") + start + Duration::from_millis(100)
}
