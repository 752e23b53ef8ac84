//! process-lock: a lock shared by processes (a POSIX semaphore in shared memory) serializes a
//! section across them. Every child arrives, waits at a start line until all have arrived,
//! then takes the lock in turn: the holding spans never overlap.

use conlab_core::{Checks, Fault, SpanState};
use conlab_threads::{Aborted, Child, ProcessLock, ProcessQueue, ProcessSpec, Processes, Thread};
use std::future::Future;
use std::pin::Pin;

/// Runs the parent: shares one lock with the children, lets them all go at once, joins them.
pub fn run(main: Thread) -> Pin<Box<dyn Future<Output = Result<(), Aborted>>>> {
    Box::pin(async move {
        let n = main.params().usize("processes");
        let lock = ProcessLock::new(&main, "the shared lock")?; // multiprocessing.Lock()
        let arrivals = ProcessQueue::new(&main, "arrivals");
        let processes = Processes::new(&main);
        let mut children = Vec::with_capacity(n);
        for i in 0..n {
            let spec = ProcessSpec::new(worker)
                .arg(i.to_string())
                .queue(&arrivals)
                .lock(&lock);
            children.push(processes.start(&main, spec).await?);
        }
        for _ in 0..n {
            arrivals.get(&main).await?; // wait for every child to arrive
        }
        main.mark("all_arrived", "");
        for child in &children {
            child.send(&main, "go").await;
        }
        for child in &children {
            child.join(&main).await?;
        }
        Ok(())
    })
}

/// A child: arrives, waits for the start, holds the lock for hold_ms.
fn worker(me: Child) -> Pin<Box<dyn Future<Output = Result<(), Aborted>>>> {
    Box::pin(async move {
        let hold = me.params().duration("hold_ms");
        me.print(format!("process {} (pid {}): arrived", me.arg(), me.pid()))
            .await;
        me.put("arrived").await;
        me.recv(SpanState::WaitingEvent, "the start").await?;
        me.with_lock(|| async {
            // with lock:
            me.mark("entered", me.arg()); // for a search: who is inside
            me.print(format!("process {}: has the lock", me.arg()))
                .await;
            me.sleep(hold).await?;
            me.print(format!("process {}: done", me.arg())).await;
            me.mark("left", me.arg());
            Ok(())
        })
        .await
    })
}

/// The code of the child processes a native run starts.
#[cfg(feature = "native")]
pub fn child(ctx: &conlab_processes::ProcessCtx) -> Result<(), conlab_traced_threads::Aborted> {
    conlab_threads::run_child(ctx, worker)
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
    conlab_core::sort::sort_unstable(&mut holds);
    let overlaps = holds.windows(2).filter(|w| w[1].0 < w[0].1).count();
    let mut holders: Vec<u32> = holds.iter().map(|h| h.2).collect();
    conlab_core::sort::sort_unstable(&mut holders);
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
    // On virtual time any hold longer than none is exact; natively one under a millisecond
    // ends before another process gets in, lock or not.
    let too_short = match c.is_virtual() {
        true => hold.is_zero(),
        false => hold < std::time::Duration::from_millis(1),
    };
    if ok && (n < 2 || too_short) {
        let why = if n < 2 {
            format!("{detail}: one process has nobody to overlap with")
        } else if hold.is_zero() {
            format!("{detail}: with hold_ms=0 the sections are too short to overlap even without the lock")
        } else {
            format!(
                "{detail}: holds of {} are too short to overlap even without the lock",
                conlab_core::ms(hold.as_nanos() as u64)
            )
        };
        c.not_judged(
            "sections-never-overlap",
            "the lock's sections never overlap, across processes",
            why,
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

/// What a search tries to break: no process enters the section while another is inside it
/// (read from the `entered` and `left` marks, in the order they were made).
pub fn properties(c: &Checks) -> Vec<(&'static str, Option<String>)> {
    let mut inside: Option<&str> = None;
    let mut broken = None;
    for m in &c.trace.marks {
        match (m.name.as_str(), inside) {
            ("entered", Some(other)) => {
                broken = Some(format!(
                    "process {} entered while process {other} was inside",
                    m.detail
                ));
                break;
            }
            ("entered", None) => inside = Some(&m.detail),
            ("left", _) => inside = None,
            _ => {}
        }
    }
    vec![("sections never overlap", broken)]
}

/// This file, which the playground shows beside the run.
pub const SOURCE: &str = "crates/process-scenarios/src/processes/process_lock.rs";

/// A hash of this file, made when conlab is built: a schedule found on other code is refused.
pub const CODE: u64 = conlab_sched::code_hash(include_bytes!("process_lock.rs"));
