//! race-condition: threads share a variable without a lock, then with one.
//! - `op=assign`: each thread writes its number, works a while, and reads the variable back.
//!   Without a lock it sees other threads' writes; with a lock around write-then-read, its own.
//! - `op=increment`: each thread adds one to a counter `increments` times (`counter += 1`, a
//!   read and a write another thread may come between). Without a lock, an increment that
//!   another thread's write came into loses an update; with the lock none is lost.
//!
//! Written once against the thread seam: it runs on OS threads and on the deterministic
//! scheduler, where `conlab explore` searches for the interleaving that loses an update.

use conlab_core::{Checks, Fault, Nanos, SpanState, Text};
use conlab_threads::{Aborted, Lock, Shared, Thread};
use std::future::Future;
use std::pin::Pin;

/// Runs the scenario.
pub fn run(main: Thread) -> Pin<Box<dyn Future<Output = Result<(), Aborted>>>> {
    Box::pin(async move {
        if main.params().choice("op") == "increment" {
            increment(&main, false).await?;
            increment(&main, true).await
        } else {
            assign(&main, false).await?;
            assign(&main, true).await
        }
    })
}

/// The phase's name, as its marks and checks call it.
fn phase(locked: bool) -> &'static str {
    if locked {
        "locked"
    } else {
        "unlocked"
    }
}

/// Each thread writes its number, works `hold_ms`, and reads the variable back (with the
/// lock: all three inside `with lock:`).
async fn assign(main: &Thread, locked: bool) -> Result<(), Aborted> {
    let n = main.params().usize("threads");
    let hold = main.params().duration("hold_ms");
    main.phase_start(phase(locked));
    let value = Shared::new(main, "value", usize::MAX);
    let lock = Lock::new(main, "value");
    let mut handles = Vec::new();
    for i in 0..n {
        let (value, lock) = (value.clone(), lock.clone());
        let body = move |me: Thread| async move {
            let start = me.now();
            let held = match locked {
                true => Some(lock.acquire(&me).await?),
                false => None,
            };
            value.set(&me, i).await;
            let seen = match held {
                Some(mut held) => {
                    held.sleep(hold).await?; // time.sleep inside `with lock:`: still held
                    let seen = value.get(&me).await;
                    held.release().await;
                    seen
                }
                None => {
                    me.sleep(hold).await?;
                    value.get(&me).await
                }
            };
            if locked {
                me.mark("locked_read", Text::from(format!("{i} {seen}")));
                me.print(format!(
                    "with lock: {} wrote {i}, read back {seen}",
                    me.name()
                ))
                .await;
            } else {
                me.span(SpanState::Running, start, Text::Static("write, work, read"));
                me.mark("unlocked_read", Text::from(format!("{i} {seen} {start}")));
                me.print(format!(
                    "without lock: {} wrote {i}, read back {seen}",
                    me.name()
                ))
                .await;
            }
            Ok(())
        };
        handles.push(main.spawn(main.next_thread_name(), body).await?);
    }
    for h in &handles {
        h.join(main).await?;
    }
    main.phase_end(phase(locked));
    Ok(())
}

/// Each thread does `counter += 1` `increments` times: reads, works `hold_ms`, writes the
/// value read plus one (with the lock: all inside `with lock:`).
async fn increment(main: &Thread, locked: bool) -> Result<(), Aborted> {
    let n = main.params().usize("threads");
    let k = main.params().usize("increments");
    let hold = main.params().duration("hold_ms");
    main.phase_start(phase(locked));
    let counter = Shared::new(main, "counter", 0u64);
    let lock = Lock::new(main, "counter");
    let mut handles = Vec::new();
    for i in 0..n {
        let (counter, lock) = (counter.clone(), lock.clone());
        let body = move |me: Thread| async move {
            for _ in 0..k {
                let mut held = match locked {
                    true => Some(lock.acquire(&me).await?),
                    false => None,
                };
                // Every access to the counter is numbered as it happens, so the checks tell
                // exactly whose write came between this read and this write.
                let (v, seq) = counter.get_numbered(&me).await;
                me.mark_with("read", || format!("{} {i} {v} {seq}", phase(locked)));
                if !hold.is_zero() {
                    match held.as_mut() {
                        Some(held) => held.sleep(hold).await?,
                        None => me.sleep(hold).await?,
                    }
                }
                let seq = counter.set_numbered(&me, v + 1).await;
                me.mark_with("write", || format!("{} {i} {} {seq}", phase(locked), v + 1));
                if let Some(held) = held {
                    held.release().await;
                }
            }
            Ok(())
        };
        handles.push(main.spawn(main.next_thread_name(), body).await?);
    }
    for h in &handles {
        h.join(main).await?;
    }
    let total = counter.get(main).await;
    let expected = (n * k) as u64;
    main.mark(
        "counter",
        Text::from(format!("{} {total} {expected}", phase(locked))),
    );
    main.print(format!(
        "{}: counter = {total}, expected {expected}",
        if locked { "with lock" } else { "without lock" }
    ))
    .await;
    main.phase_end(phase(locked));
    Ok(())
}

/// Checks of either operation.
pub fn checks(c: &mut Checks) {
    if c.params.choice("op") == "increment" {
        increment_checks(c)
    } else {
        assign_checks(c)
    }
}

/// One increment's read and write, in the order of every access to the counter.
struct Window {
    thread: u64,
    read_seq: u64,
    write_seq: u64,
}

/// What a phase of increments recorded: each increment's window, every write (thread, its
/// place in the order), and the counter it ended with against the expected total.
struct Increments {
    windows: Vec<Window>,
    writes: Vec<(u64, u64)>,
    counter: Option<(u64, u64)>,
}

/// The increments of a phase, and the counter it ended with against the expected total. Its
/// marks name their phase: on the scheduler a phase may take no time at all.
fn increments_in(c: &Checks, locked: bool) -> Increments {
    let t = c.trace;
    let tag = phase(locked);
    let within = |m: &&conlab_core::Mark| m.detail.split(' ').next() == Some(tag);
    let parse = |d: &str| -> Option<(u64, u64, u64)> {
        let mut p = d.split(' ').skip(1).map(|x| x.parse::<u64>().ok());
        Some((p.next()??, p.next()??, p.next()??))
    };
    let mut reads: Vec<(u64, u64)> = Vec::new(); // (thread, seq), in each thread's order
    let mut writes: Vec<(u64, u64)> = Vec::new();
    for m in t.marks_named("read").filter(within) {
        if let Some((thread, _, seq)) = parse(&m.detail) {
            reads.push((thread, seq));
        }
    }
    for m in t.marks_named("write").filter(within) {
        if let Some((thread, _, seq)) = parse(&m.detail) {
            writes.push((thread, seq));
        }
    }
    // A thread's k-th read goes with its k-th write.
    let mut windows = Vec::new();
    let mut threads: Vec<u64> = reads.iter().map(|r| r.0).collect();
    conlab_core::sort::sort_unstable(&mut threads);
    threads.dedup();
    for th in threads {
        let mut r: Vec<u64> = reads.iter().filter(|x| x.0 == th).map(|x| x.1).collect();
        let mut w: Vec<u64> = writes.iter().filter(|x| x.0 == th).map(|x| x.1).collect();
        conlab_core::sort::sort_unstable(&mut r);
        conlab_core::sort::sort_unstable(&mut w);
        windows.extend(r.into_iter().zip(w).map(|(read_seq, write_seq)| Window {
            thread: th,
            read_seq,
            write_seq,
        }));
    }
    let counter = counter_of(c, locked);
    Increments {
        windows,
        writes,
        counter,
    }
}

/// The counter a phase of increments ended with, and the expected total.
fn counter_of(c: &Checks, locked: bool) -> Option<(u64, u64)> {
    let tag = phase(locked);
    c.trace.marks_named("counter").find_map(|m| {
        let mut p = m.detail.split(' ');
        if p.next() != Some(tag) {
            return None;
        }
        Some((p.next()?.parse().ok()?, p.next()?.parse().ok()?))
    })
}

/// How many increments had another thread's write come between their read and their write.
fn interleaved(windows: &[Window], writes: &[(u64, u64)]) -> usize {
    windows
        .iter()
        .filter(|w| {
            writes
                .iter()
                .any(|&(th, seq)| th != w.thread && seq > w.read_seq && seq < w.write_seq)
        })
        .count()
}

fn increment_checks(c: &mut Checks) {
    let (Some(_), Some(_)) = (c.phase("unlocked"), c.phase("locked")) else {
        c.check("phases", "both phases ran", false, "missing phase marks");
        return;
    };
    let Increments {
        windows,
        writes,
        counter,
    } = increments_in(c, false);
    let raced = interleaved(&windows, &writes);
    let what = "without a lock, an increment another thread's write came into loses an update";
    match counter {
        // An update is lost exactly when another thread's write came into an increment: judged
        // wherever either happened (one without the other would be a broken variable).
        Some((total, expected)) if raced > 0 || total < expected => {
            c.check(
                "update-lost",
                what,
                (total < expected) == (raced > 0),
                format!(
                    "counter {total} of {expected}; {} interleaved",
                    conlab_core::count_of(raced, "increment was", "increments were")
                ),
            );
        }
        Some((total, expected)) => {
            c.not_judged(
                "update-lost",
                what,
                format!(
                    "counter {total} of {expected}: no increment had another thread's write \
                     come between its read and its write, so no update could be lost"
                ),
            );
        }
        None => {
            c.check("update-lost", what, false, "the counter was not recorded");
        }
    }
    // The lock is put to the test only where a thread wanted it while another held it: a
    // working lock shows that as a wait; one that does not exclude, as increments interleaved
    // under it. Without either, a lock that excluded nobody would look the same.
    let under_lock = increments_in(c, true);
    let raced_under_lock = interleaved(&under_lock.windows, &under_lock.writes);
    let waited = lock_waits(c) > 0;
    let why = "no thread had to wait for the lock, so it had nothing to prevent";
    let what = "with the lock every increment counts";
    match under_lock.counter {
        Some((total, expected)) if waited || raced_under_lock > 0 || total != expected => {
            c.check(
                "lock-no-update-lost",
                what,
                total == expected,
                format!("counter {}", conlab_core::of(total, expected)),
            )
            .guards(&[Fault::LockNotExclusive]);
        }
        Some((total, expected)) => {
            c.not_judged(
                "lock-no-update-lost",
                what,
                format!("counter {}; {why}", conlab_core::of(total, expected)),
            );
        }
        None => {
            c.check(
                "lock-no-update-lost",
                what,
                false,
                "the counter was not recorded",
            );
        }
    }
    sections_exclusive(c, waited, raced_under_lock, why);
}

/// Checks of `op=assign`, from the recorded windows: without the lock, whenever two threads'
/// write-to-read windows overlapped (by more than a millisecond), some thread read a value not
/// its own; with the lock every thread reads its own and the critical sections never overlap.
/// Each is judged only where it could show: the race where windows overlapped, the lock where a
/// thread had to wait for it. Otherwise a lock that excluded nobody would look the same.
fn assign_checks(c: &mut Checks) {
    let t = c.trace;
    let (unlocked, locked) = (c.phase("unlocked"), c.phase("locked"));
    let (Some(unlocked), Some(locked)) = (unlocked, locked) else {
        c.check("phases", "both phases ran", false, "missing phase marks");
        return;
    };
    let reads: Vec<(usize, usize, Nanos, Nanos)> = t
        .marks_named("unlocked_read")
        .filter(|m| m.t >= unlocked.0 && m.t <= unlocked.1)
        .filter_map(|m| {
            let mut p = m.detail.split(' ').map(|x| x.parse::<u64>().ok());
            Some((p.next()?? as usize, p.next()?? as usize, p.next()??, m.t))
        })
        .collect();
    let n = c.params.usize("threads");
    const MARGIN: Nanos = 1_000_000;
    let overlapped = reads.iter().any(|a| {
        reads
            .iter()
            .any(|b| a.0 != b.0 && a.2 + MARGIN < b.3 && b.2 + MARGIN < a.3)
    });
    let foreign = reads.iter().filter(|r| r.0 != r.1).count();
    let detail = format!(
        "{foreign} of {} another thread's value",
        conlab_core::count_of(reads.len(), "read was", "reads were")
    );
    // A foreign read shows the race whatever the clock says (on the scheduler a window may
    // take no time at all).
    if overlapped || foreign > 0 || reads.len() != n {
        c.check(
            "race-visible",
            "without a lock, overlapping threads read values not their own",
            reads.len() == n && foreign > 0,
            if overlapped {
                format!("{detail}; windows overlapped")
            } else {
                detail
            },
        );
    } else {
        c.not_judged(
            "race-visible",
            "without a lock, overlapping threads read values not their own",
            format!("{detail}: no two threads' windows overlapped by more than 1 ms, so there was no race to see"),
        );
    }
    let locked_reads: Vec<(u64, u64)> = t
        .marks_named("locked_read")
        .filter(|m| m.t >= locked.0 && m.t <= locked.1)
        .filter_map(|m| {
            let (a, b) = m.detail.split_once(' ')?;
            Some((a.parse().ok()?, b.parse().ok()?))
        })
        .collect();
    let own = locked_reads.len() == n && locked_reads.iter().all(|(a, b)| a == b);
    // The lock's effect shows only where a thread wanted it while another held it (a wait).
    let waited = lock_waits(c) > 0;
    let why = "no thread had to wait for the lock, so it had nothing to prevent";
    let own_detail = conlab_core::count_of(locked_reads.len(), "read", "reads");
    if waited || !own {
        c.check(
            "lock-own-value",
            "with the lock every thread reads back its own value",
            own,
            own_detail,
        )
        .guards(&[Fault::LockNotExclusive]);
    } else {
        c.not_judged(
            "lock-own-value",
            "with the lock every thread reads back its own value",
            format!("{own_detail}; {why}"),
        );
    }
    sections_exclusive(c, waited, 0, why);
}

/// How many times a thread waited for the lock (only the locked phase takes it).
fn lock_waits(c: &Checks) -> usize {
    c.trace.intervals(SpanState::WaitingLock).len()
}

/// With the lock, critical sections never overlap, in time nor in the order of the accesses
/// (`interleaved`: increments another thread's write came into under the lock). Judged where
/// the lock was put to the test (a thread `waited` for it) or where sections did overlap.
fn sections_exclusive(c: &mut Checks, waited: bool, interleaved: usize, why: &str) {
    let mut held = c.trace.intervals(SpanState::HoldingLock);
    conlab_core::sort::sort_unstable(&mut held);
    let exclusive = held.windows(2).all(|w| w[1].0 >= w[0].1) && interleaved == 0;
    let mut held_detail =
        conlab_core::count_of(held.len(), "critical section", "critical sections");
    if interleaved > 0 {
        held_detail = format!(
            "{held_detail}; {} interleaved under the lock",
            conlab_core::count_of(interleaved, "increment was", "increments were")
        );
    }
    if waited || !exclusive {
        c.check(
            "sections-exclusive",
            "critical sections never overlap",
            exclusive,
            held_detail,
        )
        .guards(&[Fault::LockNotExclusive]);
    } else {
        c.not_judged(
            "sections-exclusive",
            "critical sections never overlap",
            format!("{held_detail}; {why}"),
        );
    }
}

/// What the search looks for: an update lost, or a value not its own read back, with the lock
/// (a real bug), and as the lesson, without it. Each phase is a property of its own.
pub fn properties(c: &Checks) -> Vec<(&'static str, Option<String>)> {
    let mut out = Vec::new();
    for (name, locked) in [("without the lock", false), ("with the lock", true)] {
        let Some(window) = c.phase(phase(locked)) else {
            continue;
        };
        let broken = if c.params.choice("op") == "increment" {
            counter_of(c, locked)
                .filter(|(total, expected)| total < expected)
                .map(|(total, expected)| {
                    format!(
                        "an update was lost: counter {}",
                        conlab_core::of(total, expected)
                    )
                })
        } else {
            let mark = if locked {
                "locked_read"
            } else {
                "unlocked_read"
            };
            c.trace
                .marks_named(mark)
                .filter(|m| m.t >= window.0 && m.t <= window.1)
                .find_map(|m| {
                    let mut p = m.detail.split(' ');
                    let (wrote, seen) = (p.next()?, p.next()?);
                    (wrote != seen).then(|| {
                        format!("the thread that wrote {wrote} read back {seen}, not its own value")
                    })
                })
        };
        out.push((name, broken));
    }
    out
}

/// About how long a run takes: without the lock the holds overlap, with it they follow one
/// another (for `op=increment`, each thread's holds one after another).
pub fn expected(p: &conlab_core::Params) -> std::time::Duration {
    use conlab_core::estimate::{times, PER_THREAD};
    let n = p.usize("threads");
    let k = if p.choice("op") == "increment" {
        p.usize("increments")
    } else {
        1
    };
    let hold = p.duration("hold_ms");
    hold * (k * (n + 1)) as u32 + times(2 * n, PER_THREAD) + times(4 * n * k, PER_THREAD / 100)
}

/// This file, which the playground shows beside the run.
pub const SOURCE: &str = "crates/thread-scenarios/src/threads/race_condition.rs";

/// A hash of this file, made when conlab is built: a schedule found on other code is refused.
pub const CODE: u64 = conlab_sched::code_hash(include_bytes!("race_condition.rs"));
