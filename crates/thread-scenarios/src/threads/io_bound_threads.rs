//! io-bound-threads: threads waiting on IO release the GIL, so slow downloads overlap even
//! under it: the whole takes about one latency.

use conlab_core::{Checks, Fault, LaneKind, SpanState};
use conlab_traced_threads::{Aborted, Gil, ThreadCtx};
use std::sync::Arc;
use std::time::Duration;

/// Runs the scenario.
pub fn run(main: &ThreadCtx) -> Result<(), Aborted> {
    let n = main.params().usize("downloads");
    let latency = main.params().duration("latency_ms");
    main.mark("io", main.io_kind());
    let gil = Arc::new(Gil::new(Duration::from_millis(5)));
    let mut handles = Vec::new();
    for i in 0..n {
        let gil = gil.clone();
        handles.push(main.spawn(main.next_thread_name(), move |me| {
            me.print(format!("download {i}: request sent"));
            gil.io(me, latency)?;
            me.print(format!("download {i}: done"));
            Ok(())
        })?);
    }
    handles.iter().try_for_each(|h| h.join(main))
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
    c.time(
        "makespan-one-latency",
        "IO releases the GIL: makespan ~ one latency",
        c.trace.metrics.makespan,
    )
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
