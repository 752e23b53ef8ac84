//! Running one thread scenario: the main thread, interpreter-style shutdown (wait for
//! non-daemon threads, cut off daemons), the watchdog, the time limit, and the guarantee that
//! no thread outlives the run.

use super::ctx::{RunShared, ThreadCtx};
use super::watchdog::Watchdog;
use super::ThreadScenarioFn;
use conlab_core::{Checks, ChecksFn, LaneKind, SpanState, Status, Text, Trace};
use conlab_native::NativeStart;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// How long the runner waits for aborted threads to give up before calling them leaked.
const EXIT_GRACE: Duration = Duration::from_secs(2);

/// Runs a scenario on real OS threads, for at most `start.limit`. However the run ends, its
/// checks end with [`no_thread_outlives`].
pub fn run_thread_scenario(start: &NativeStart, run: ThreadScenarioFn, checks: ChecksFn) -> Trace {
    run_thread_code(start, run, checks)
}

/// [`run_thread_scenario`] for code that is not a plain function (the thread seam's, which
/// drives async code on each thread).
pub fn run_thread_code(
    start: &NativeStart,
    run: impl FnOnce(&ThreadCtx) -> Result<(), super::Aborted> + Send + 'static,
    checks: ChecksFn,
) -> Trace {
    let info = start.meta.info;
    let shared = Arc::new(RunShared {
        scenario: info.id,
        recorder: start.recorder.clone(),
        clock: start.clock,
        params: start.meta.params.clone(),
        threads: Default::default(),
        next_thread: Default::default(),
        live: Default::default(),
        slow: start.slow_server.clone(),
    });
    let watchdog = Watchdog::start_stoppable(info.id, start.stop.clone());
    let (s, w) = (shared.clone(), watchdog.clone());
    // The main thread counts as live until its code (and what it owns: child processes are
    // reaped when their owner drops) is done, so a run that timed out still waits for it.
    shared.live.fetch_add(1, Ordering::AcqRel);
    // At the limit every wait of the run gives up: it has timed out, however soon it ends.
    let at_limit = || {
        watchdog.fail("the time limit passed".into());
        watchdog.abort();
    };
    let watched = conlab_native::watch_until(info.id, start.limit, at_limit, move || {
        let _counted = CountedOut(&s);
        main_thread(&s, &w, run)
    });
    let status = match watched {
        Ok(status) => status,
        Err(why) => why.status(start.limit),
    };
    let leaked = reap(&shared);
    // The run lasts until its last thread is gone (daemons stop within a slice of the end).
    let end = shared.clock.now();
    watchdog.stop();
    let status = match (status, leaked) {
        (Status::Ok, n) if n > 0 => Status::Failed {
            reason: format!(
                "{n} threads did not stop within {} s of the end",
                EXIT_GRACE.as_secs()
            ),
        },
        (status, _) => status,
    };
    let status = match (status, shared.slow.as_ref().and_then(|s| s.failure())) {
        (Status::Ok, Some(reason)) => Status::Failed { reason },
        (status, _) => status,
    };
    // A run stopped from outside was aborted on purpose: it ends stopped, not failed.
    let status = start.stopped_status().unwrap_or(status);
    let stopped = matches!(status, Status::Stopped { .. });
    let mut trace = start.meta.finish(checks, &shared.recorder, end, status);
    // A stopped run is shown as it is, unjudged (as on the page).
    if !stopped {
        let mut c = Checks::new(&trace, &start.meta.params);
        no_thread_outlives(&mut c);
        let extra = c.finish();
        trace.checks.extend(extra);
    }
    trace
}

/// The scenario's main thread: runs the scenario, then shuts down as Python does.
fn main_thread(
    shared: &Arc<RunShared>,
    watchdog: &Arc<Watchdog>,
    run: impl FnOnce(&ThreadCtx) -> Result<(), super::Aborted>,
) -> Status {
    let writer = shared.recorder.writer();
    let lane = writer.new_lane(0, LaneKind::Main, "MainThread");
    drop(writer);
    watchdog.register(lane, "MainThread");
    let main = ThreadCtx::new(shared.clone(), lane, "MainThread".into(), watchdog.clone());
    let result = run(&main);
    // Interpreter shutdown: wait for every non-daemon thread, then cut off the daemons.
    let mut shutdown = Ok(());
    if result.is_ok() {
        main.begin(SpanState::WaitingJoin, "waiting for non-daemon threads");
        loop {
            let pending: Vec<_> = shared
                .threads
                .lock()
                .iter()
                .filter(|t| !t.daemon)
                .map(|t| t.done.clone())
                .collect();
            if pending.iter().all(|d| d.is_set()) {
                break;
            }
            if main.check().is_err() {
                shutdown = Err(());
                break;
            }
            std::thread::sleep(Duration::from_millis(2));
        }
        main.end();
    }
    let daemons = shared
        .threads
        .lock()
        .iter()
        .filter(|t| t.daemon && !t.done.is_set())
        .count();
    if daemons > 0 {
        main.mark(
            "daemons_cut_off",
            Text::from(format!(
                "{} cut off",
                conlab_core::count_of(daemons, "daemon thread", "daemon threads")
            )),
        );
    }
    // A deadlock's waits, one mark each ("waiter holder" lane ids), drawn as arrows.
    for (waiter, holder) in watchdog.deadlock_waits() {
        main.mark("waits_for", Text::from(format!("{waiter} {holder}")));
    }
    main.writer.end_lane(main.now(), lane);
    watchdog.unregister(lane);
    // Cuts off daemon threads (and anything else still waiting).
    watchdog.abort();
    match (result, shutdown, watchdog.failure()) {
        (_, _, Some(reason)) => Status::Failed { reason },
        (Err(_), _, None) | (_, Err(()), None) => Status::Failed {
            reason: "the run was aborted".into(),
        },
        (Ok(()), Ok(()), None) => Status::Ok,
    }
}

/// Counts the main thread out when its code ends, however it ends (a panic included).
struct CountedOut<'a>(&'a RunShared);

impl Drop for CountedOut<'_> {
    fn drop(&mut self) {
        self.0.live.fetch_sub(1, Ordering::AcqRel);
    }
}

/// Joins every scenario thread (they give up within a slice once aborted); returns how many
/// did not stop in time.
fn reap(shared: &RunShared) -> usize {
    let deadline = Instant::now() + EXIT_GRACE;
    while shared.live.load(Ordering::Acquire) > 0 && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(2));
    }
    let handles: Vec<_> = shared
        .threads
        .lock()
        .iter_mut()
        .filter_map(|t| t.handle.take())
        .collect();
    // A thread counts itself out as its last step; it is finished a moment later, once its
    // closure has returned and its thread-locals are gone.
    while handles.iter().any(|h| !h.is_finished()) && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(1));
    }
    let mut leaked = 0;
    for h in handles {
        if h.is_finished() {
            let _ = h.join();
        } else {
            leaked += 1;
        }
    }
    leaked
}

/// The check every thread scenario ends with: every thread lane ended by the end of the trace.
pub fn no_thread_outlives(c: &mut Checks) {
    c.no_thread_outlives();
}
