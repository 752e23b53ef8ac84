//! thread-daemon: daemon threads are cut off when the main thread ends; their remaining work
//! never happens, and they do not outlive the run.
//!
//! Written once against the thread seam: on OS threads, and on the deterministic scheduler,
//! where the run ends when every thread but the daemons has finished.

use conlab_core::{ms, Checks, LaneKind, Nanos, SpanState, Trace};
use conlab_threads::{Aborted, Thread};
use std::future::Future;
use std::pin::Pin;

/// How long main works before it ends, in milliseconds (scaled).
const MAIN_WORK_MS: i64 = 50;

/// Runs the scenario (on OS threads, or on the deterministic scheduler).
pub fn run(main: Thread) -> Pin<Box<dyn Future<Output = Result<(), Aborted>>>> {
    Box::pin(async move {
        let d = main.params().duration("sleep_ms");
        let body = move |me: Thread| async move {
            me.print(format!("{}: daemon started, sleeping", me.name()))
                .await;
            me.sleep(d).await?;
            me.mark("finished", "");
            me.print(format!("{}: daemon finished its work", me.name()))
                .await;
            Ok(())
        };
        // threading.Thread(target=…, daemon=True).start()
        main.spawn_daemon(main.next_thread_name(), body).await?;
        main.work(main.params().scale_ms(MAIN_WORK_MS)).await?; // main's own work
        main.print("MainThread: exiting without waiting for the daemon")
            .await;
        Ok(())
    })
}

/// When the main thread's lane ended.
fn main_end(t: &Trace) -> Nanos {
    t.lanes
        .iter()
        .find(|l| l.kind == LaneKind::Main)
        .and_then(|l| l.end)
        .unwrap_or(u64::MAX)
}

/// Checks, from the trace: whatever the daemon does after main ends never happens; it is cut
/// off at main's end exactly when it still runs then (a sleep shorter than main's own work
/// ends first, and then the daemon finishes, as it would in Python); and main never waits
/// for the sleep.
pub fn checks(c: &mut Checks) {
    let t = c.trace;
    let main_end = main_end(t);
    let daemon = t.lanes.iter().find(|l| l.kind == LaneKind::Thread);
    let sleep_start = daemon.and_then(|d| {
        t.spans
            .iter()
            .find(|s| s.lane == d.id && s.state == SpanState::Sleeping)
            .map(|s| s.start)
    });
    let natural_end = sleep_start.map(|s| s + c.params.duration("sleep_ms").as_nanos() as Nanos);
    let last_line = t.output.iter().find(|l| l.text.contains("daemon finished"));
    c.check(
        "cut-off",
        "the daemon's work after main ends never happens",
        last_line.is_none_or(|l| l.t <= main_end),
        match last_line {
            Some(l) => format!(
                "the daemon finished at {}, main ended at {}",
                ms(l.t),
                ms(main_end)
            ),
            None => "the daemon's last line was never printed".to_string(),
        },
    );
    let cut = t.marks_named("cut_off").count();
    let still_running = last_line.is_none();
    c.check(
        "cut-off-mark",
        "the daemon is cut off at the end of main if it still runs then",
        cut == usize::from(still_running),
        format!(
            "{cut} {} cut off; the daemon {} when main ended",
            if cut == 1 { "thread" } else { "threads" },
            if still_running {
                "was still running"
            } else {
                "had finished"
            }
        ),
    );
    let what = "main ends without waiting for the daemon's sleep";
    let _ = match natural_end {
        Some(e) if e > main_end => c.check(
            "not-waited-for",
            what,
            true,
            format!(
                "main ended at {}; the daemon's sleep would have ended at {}",
                ms(main_end),
                ms(e)
            ),
        ),
        Some(e) => c.not_judged(
            "not-waited-for",
            what,
            format!(
                "the daemon's sleep ended at {}, main at {}: there was nothing to wait for",
                ms(e),
                ms(main_end)
            ),
        ),
        None => c.not_judged(
            "not-waited-for",
            what,
            "the daemon was cut off before it began to sleep",
        ),
    };
}

/// About how long a run takes: main's work; nobody waits for the daemon.
pub fn expected(p: &conlab_core::Params) -> std::time::Duration {
    p.scale_ms(MAIN_WORK_MS) + std::time::Duration::from_millis(100)
}

/// What a search tries to break: nobody waits for the daemon (the run ends before its sleep
/// could, and its last line never comes after that).
pub fn properties(c: &Checks) -> Vec<(&'static str, Option<String>)> {
    let d = c.params.duration("sleep_ms").as_nanos() as Nanos;
    let waited = c
        .trace
        .marks_named("finished")
        .any(|m| d > 0 && m.t >= d)
        .then(|| "the daemon finished its sleep: the run waited for it".to_string());
    vec![("nobody waits for the daemon", waited)]
}

/// This file, which the playground shows beside the run.
pub const SOURCE: &str = "crates/thread-scenarios/src/threads/thread_daemon.rs";

/// A hash of this file, made when conlab is built: a schedule found on other code is refused.
pub const CODE: u64 = conlab_sched::code_hash(include_bytes!("thread_daemon.rs"));
