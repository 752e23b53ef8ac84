//! thread-daemon: daemon threads are cut off when the main thread ends; their remaining work
//! never happens, and they do not outlive the run.

use conlab_core::{Checks, LaneKind};
use conlab_traced_threads::{Aborted, ThreadCtx};

/// Runs the scenario.
pub fn run(main: &ThreadCtx) -> Result<(), Aborted> {
    let d = main.params().duration("sleep_ms");
    let name = main.next_thread_name();
    main.spawn_daemon(name, move |me| {
        me.print(format!("{}: daemon started, sleeping", me.name()));
        me.sleep(d)?;
        me.print(format!("{}: daemon finished (never printed)", me.name()));
        Ok(())
    })?;
    main.print("MainThread: exiting without waiting for the daemon");
    Ok(())
}

/// Checks: the daemon's last line is never printed; it was cut off when main ended; the run
/// did not wait for its sleep.
pub fn checks(c: &mut Checks) {
    let t = c.trace;
    let finished = t.output.iter().any(|l| l.text.contains("never printed"));
    c.check(
        "cut-off",
        "the daemon's work after main ends never happens",
        !finished,
        format!("output {:?}", t.output_texts()),
    );
    let cut = t.marks_named("cut_off").count();
    c.check(
        "cut-off-mark",
        "the daemon thread is cut off at the end of main",
        cut == 1,
        format!("{cut} threads cut off"),
    );
    let main_end = t
        .lanes
        .iter()
        .find(|l| l.kind == LaneKind::Main)
        .and_then(|l| l.end)
        .unwrap_or(u64::MAX);
    let sleep = c.params.duration("sleep_ms").as_nanos() as u64;
    c.check(
        "not-waited-for",
        "main ends without waiting for the daemon's sleep",
        sleep == 0 || main_end < sleep,
        format!("main ended at {}", conlab_core::ms(main_end)),
    );
}
