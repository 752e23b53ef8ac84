//! io-bound-threads: threads waiting on IO release the GIL, so slow downloads overlap even
//! under it: the whole takes about one latency.
//!
//! Written once against the thread seam: on OS threads (real requests to conlab's test server
//! where the run has one) and on the deterministic scheduler.

use conlab_core::{Checks, Fault, LaneKind, SpanState};
use conlab_threads::{Aborted, Gil, Thread};
use std::future::Future;
use std::pin::Pin;
use std::time::Duration;

/// Runs the scenario (on OS threads, or on the deterministic scheduler).
pub fn run(main: Thread) -> Pin<Box<dyn Future<Output = Result<(), Aborted>>>> {
    Box::pin(async move {
        let n = main.params().usize("downloads");
        let latency = main.params().duration("latency_ms");
        main.mark("io", main.io_kind());
        let gil = Gil::new(&main, Duration::from_millis(5));
        let mut handles = Vec::new();
        for i in 0..n {
            let gil = gil.clone();
            let body = move |me: Thread| async move {
                me.print(format!("download {i}: request sent")).await;
                gil.io(&me, latency).await?; // urlopen(url).read()
                me.print(format!("download {i}: done")).await;
                Ok(())
            };
            handles.push(main.spawn(main.next_thread_name(), body).await?);
        }
        for h in &handles {
            h.join(&main).await?;
        }
        Ok(())
    })
}

/// Checks: every download waited on IO once, and the downloads overlapped: the whole takes
/// about one latency (plus starting the threads), not one latency per download.
pub fn checks(c: &mut Checks) {
    let n = c.params.usize("downloads");
    let latency = c.params.duration("latency_ms");
    let waits = c.trace.intervals(SpanState::BlockedIo).len();
    c.check(
        "all-downloaded",
        "every download waited on IO once",
        waits == n,
        format!(
            "{} for {}",
            conlab_core::count_of(waits, "IO wait", "IO waits"),
            conlab_core::count_of(n, "download", "downloads")
        ),
    );
    // The last download can begin only once its thread has started: with hundreds of threads
    // on two cores, starting them takes longer than a short latency.
    let starting = c.trace.start_cost(LaneKind::Thread);
    let what = "IO releases the GIL: makespan ~ one latency";
    if n < 2 {
        c.not_judged(
            "makespan-one-latency",
            what,
            "a single download has no other to overlap with",
        );
        return;
    }
    c.time("makespan-one-latency", what, c.trace.metrics.makespan)
        .about(latency)
        .plus(
            starting,
            format!("{} to start the threads", conlab_core::ms(starting)),
        )
        .real_requests(n)
        .unlike(latency * n as u32, "the downloads one after the other")
        .guards(&[Fault::SerialThreads])
        .judge();
}

/// About how long a run takes: one download (they wait side by side).
pub fn expected(p: &conlab_core::Params) -> std::time::Duration {
    use conlab_core::estimate::{times, PER_THREAD};
    p.duration("latency_ms") + times(p.usize("downloads"), PER_THREAD)
}

/// What a search tries to break: every download waits on IO once, and they overlap (the whole
/// takes one latency in virtual time, whatever the order).
pub fn properties(c: &Checks) -> Vec<(&'static str, Option<String>)> {
    let latency = c.params.duration("latency_ms").as_nanos() as u64;
    let serial = (c.trace.end > latency.max(1) * 3 / 2 && c.params.usize("downloads") > 1)
        .then(|| format!("the downloads took {}", conlab_core::ms(c.trace.end)));
    vec![("the downloads overlap", serial)]
}

/// This file, which the playground shows beside the run.
pub const SOURCE: &str = "crates/thread-scenarios/src/threads/io_bound_threads.rs";

/// A hash of this file, made when conlab is built: a schedule found on other code is refused.
pub const CODE: u64 = conlab_sched::code_hash(include_bytes!("io_bound_threads.rs"));
