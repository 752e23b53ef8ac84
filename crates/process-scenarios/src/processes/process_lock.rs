//! process-lock: a lock shared by processes (a POSIX semaphore in shared memory) serializes a
//! section across them. Every child arrives, waits at a start line until all have arrived,
//! then takes the lock in turn: the holding spans never overlap.

use conlab_core::{Checks, Fault, SpanState};
use conlab_processes::{Inbox, ProcessCtx, ProcessLock, Processes, Spawn};
use conlab_traced_threads::{Aborted, ThreadCtx};

const LOCK: &str = "lock";

/// Runs the parent: shares one lock with the children, lets them all go at once, joins them.
pub fn run(main: &ThreadCtx) -> Result<(), Aborted> {
    let n = main.params().usize("processes");
    let lock = ProcessLock::new("the shared lock")
        .map_err(|e| main.fail(format!("could not make a lock in shared memory: {e}")))?;
    let arrivals = Inbox::new();
    let processes = Processes::new(main);
    let mut children = Vec::with_capacity(n);
    for i in 0..n {
        let spawn = Spawn::new("worker")
            .arg(i.to_string())
            .inbox(&arrivals)
            .share(LOCK, &lock);
        children.push(processes.spawn(main, spawn)?);
    }
    for _ in 0..n {
        arrivals.recv(main, SpanState::WaitingEvent, "every child to arrive")?;
    }
    main.mark("all_arrived", "");
    for child in &children {
        child.send(b"go");
    }
    for child in &children {
        child.join(main)?;
    }
    Ok(())
}

/// A child: arrives, waits for the start, holds the lock for hold_ms.
pub fn child(ctx: &ProcessCtx) -> Result<(), Aborted> {
    let lock = match ProcessLock::open(ctx, LOCK) {
        Ok(lock) => lock,
        Err(e) => panic!("the shared lock could not be opened: {e}"),
    };
    let hold = ctx.params().duration("hold_ms");
    ctx.print(format!(
        "process {} (pid {}): arrived",
        ctx.arg(),
        ctx.pid()
    ));
    ctx.send_message(b"arrived");
    ctx.recv(SpanState::WaitingEvent, "the start")?;
    let guard = lock.acquire(ctx)?;
    ctx.print(format!("process {}: has the lock", ctx.arg()));
    ctx.sleep(hold)?;
    ctx.print(format!("process {}: done", ctx.arg()));
    drop(guard);
    Ok(())
}

/// Checks: every "arrived" line comes before the first "done"; the holding spans of different
/// processes never overlap, and each process held the lock once.
pub fn checks(c: &mut Checks) {
    let n = c.params.usize("processes");
    let t = c.trace;
    let arrived: Vec<_> = super::child_lines(t, "process ")
        .into_iter()
        .filter(|l| l.text.ends_with(": arrived"))
        .collect();
    let first_done = t
        .output
        .iter()
        .filter(|l| l.text.ends_with(": done"))
        .map(|l| l.t)
        .min();
    let last_arrived = arrived.iter().map(|l| l.t).max();
    c.check(
        "all-arrive-first",
        "every process arrives before the first one is done",
        arrived.len() == n && matches!((last_arrived, first_done), (Some(a), Some(d)) if a <= d),
        format!(
            "{} arrived; the last at {}, the first done at {}",
            arrived.len(),
            last_arrived.map_or("never".into(), conlab_core::ms),
            first_done.map_or("never".into(), conlab_core::ms)
        ),
    );
    let mut holds: Vec<(u64, u64, u32)> = t
        .spans
        .iter()
        .filter(|s| s.state == SpanState::HoldingLock)
        .map(|s| (s.start, s.end, s.lane))
        .collect();
    holds.sort_unstable();
    let overlaps = holds.windows(2).filter(|w| w[1].0 < w[0].1).count();
    let mut holders: Vec<u32> = holds.iter().map(|h| h.2).collect();
    holders.sort_unstable();
    holders.dedup();
    let detail = format!(
        "{} by {}; {overlaps} overlapping",
        conlab_core::count_of(holds.len(), "critical section", "critical sections"),
        conlab_core::count_of(holders.len(), "process", "processes")
    );
    let ok = overlaps == 0 && holds.len() == n && holders.len() == n;
    // Every child is let go at once, so a lock that excluded nobody would show overlapping
    // sections wherever two of them hold it for a while.
    let hold = c.params.duration("hold_ms");
    if ok && (n < 2 || hold < std::time::Duration::from_millis(1)) {
        c.not_judged(
            "sections-never-overlap",
            "the lock's sections never overlap, across processes",
            format!(
                "{detail}: {}",
                if n < 2 {
                    "one process has nobody to overlap with"
                } else {
                    "with hold_ms=0 the sections are too short to overlap even without the lock"
                }
            ),
        );
    } else {
        c.check(
            "sections-never-overlap",
            "the lock's sections never overlap, across processes",
            ok,
            detail,
        )
        .guards(&[Fault::LockNotExclusive]);
    }
    let lines = arrived;
    super::check_own_pids(c, &lines, n);
}

/// About how long a run takes: the processes, then every hold one after the other.
pub fn expected(p: &conlab_core::Params) -> std::time::Duration {
    let n = p.usize("processes");
    super::per_process(n) + p.duration("hold_ms") * n as u32
}
