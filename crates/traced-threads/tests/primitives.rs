//! Each traced primitive on its own, on real threads: no double hand-out (never more holders
//! than the primitive allows, every item received once, `notify(n)` releasing exactly `n`), no
//! lost wake-up, and a thread blocked on it giving up soon after its run is aborted.
//!
//! Nothing here times a hand-over closely, so the tests hold on a busy 2-core machine. A lost
//! wake-up is caught because it costs a whole slice: a waiter that misses its notification only
//! notices at the end of its 20 ms slice, and it is released right after it starts waiting. So
//! a median return well under half a slice means the waiters were woken.

use conlab_core::{catalog, Checks, Params, Span, SpanState, Status, Trace};
use conlab_native::NativeStart;
use conlab_traced_threads::{
    run_thread_scenario, Aborted, Condition, Event, Queue, ReentrantLock, Semaphore, ThreadCtx,
    ThreadHandle, ThreadScenarioFn, TracedMutex, Watchdog,
};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// The toolkit's slice: how long a waiter that missed its wake-up sleeps on.
const SLICE: Duration = Duration::from_millis(20);
/// Wake-ups measured per primitive; the median is judged.
const ROUNDS: usize = 7;
/// How long a thread may take to give up after its run is aborted ("well under" this is
/// expected: one slice).
const GIVE_UP_WITHIN: Duration = Duration::from_millis(200);

// Support.

/// Runs `scenario` on real threads (under the `lock` scenario's name) and returns its trace,
/// which must have passed. A failed assertion on the scenario's main thread fails the run
/// with its message; one on another thread fails it as "<thread> panicked".
#[track_caller]
fn run(scenario: ThreadScenarioFn) -> Trace {
    let info = catalog::find("lock").unwrap();
    let start = NativeStart::new(info, Params::defaults(info.params), Duration::from_secs(10));
    let trace = run_thread_scenario(&start, scenario, |_: &mut Checks| {});
    assert_eq!(trace.status, Status::Ok);
    assert!(trace.passed(), "failed checks: {:?}", trace.failed_checks());
    trace
}

/// A figure the scenario recorded.
#[track_caller]
fn metric(trace: &Trace, key: &str) -> f64 {
    trace
        .metrics
        .extra(key)
        .unwrap_or_else(|| panic!("no `{key}`"))
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

/// Waits (polling, untraced) until `dog` reports `who` waiting, so that what follows happens
/// while it is parked.
#[track_caller]
fn until_waiting(dog: &Watchdog, who: &str) {
    let needle = format!("{who} waits for");
    let give_up = Instant::now() + Duration::from_secs(5);
    while !dog.describe().contains(&needle) {
        assert!(
            Instant::now() < give_up,
            "{who} never waited: {}",
            dog.describe()
        );
        std::thread::sleep(Duration::from_micros(200));
    }
}

/// Waits (polling, untraced) until `done` holds.
#[track_caller]
fn until(what: &str, done: impl Fn() -> bool) {
    let give_up = Instant::now() + Duration::from_secs(5);
    while !done() {
        assert!(Instant::now() < give_up, "never: {what}");
        std::thread::sleep(Duration::from_micros(200));
    }
}

/// When a blocking call returned, and how.
type Returned = (Instant, Result<(), Aborted>);

/// A thread doing one blocking call.
struct Blocked {
    handle: ThreadHandle,
    returned: Arc<Mutex<Option<Returned>>>,
}

impl Blocked {
    /// Starts `name` doing `block`, reporting to `dog`.
    fn spawn(
        main: &ThreadCtx,
        name: &str,
        dog: &Arc<Watchdog>,
        block: impl FnOnce(&ThreadCtx) -> Result<(), Aborted> + Send + 'static,
    ) -> Result<Blocked, Aborted> {
        let returned = Arc::new(Mutex::new(None));
        let slot = returned.clone();
        let handle = main.spawn_watched(name, dog.clone(), move |me| {
            let result = block(me);
            *slot.lock().unwrap() = Some((Instant::now(), result));
            result
        })?;
        Ok(Blocked { handle, returned })
    }

    /// Joins the thread; when its call returned, and how.
    fn join(self, main: &ThreadCtx) -> Result<Returned, Aborted> {
        self.handle.join(main)?;
        let returned = self.returned.lock().unwrap().take();
        Ok(returned.expect("the thread reports how its call returned"))
    }
}

/// One wake-up: a waiter starts `block`, and once it is parked `release` lets it through.
/// Returns how long after the release the waiter's call returned.
fn woken_after(
    main: &ThreadCtx,
    block: impl FnOnce(&ThreadCtx) -> Result<(), Aborted> + Send + 'static,
    release: impl FnOnce() -> Result<(), Aborted>,
) -> Result<Duration, Aborted> {
    let waiter = Blocked::spawn(main, "Waiter", main.watchdog(), block)?;
    until_waiting(main.watchdog(), "Waiter");
    let released = Instant::now();
    release()?;
    let (returned, result) = waiter.join(main)?;
    result?;
    Ok(returned.saturating_duration_since(released))
}

/// Records the median wake-up as `woken_ms`.
fn record_median(main: &ThreadCtx, mut woken: Vec<Duration>) {
    woken.sort();
    main.metric("woken_ms", ms(woken[woken.len() / 2]), "ms");
}

/// A thread of its own watchdog starts `block` (which waits until aborted); once it is parked
/// its watchdog aborts it. Records how long it took to give up as `gave_up_ms`.
fn gives_up(
    main: &ThreadCtx,
    block: impl FnOnce(&ThreadCtx) -> Result<(), Aborted> + Send + 'static,
) -> Result<(), Aborted> {
    let dog = Watchdog::start("blocked");
    let blocked = Blocked::spawn(main, "Blocked", &dog, block)?;
    until_waiting(&dog, "Blocked");
    let aborted = Instant::now();
    dog.abort();
    let (returned, result) = blocked.join(main)?;
    dog.stop();
    assert_eq!(result, Err(Aborted), "the wait must give up with Aborted");
    main.metric(
        "gave_up_ms",
        ms(returned.saturating_duration_since(aborted)),
        "ms",
    );
    Ok(())
}

/// The holding spans labelled `label`.
fn holds<'a>(trace: &'a Trace, label: &str) -> Vec<&'a Span> {
    trace
        .spans
        .iter()
        .filter(|s| s.state == SpanState::HoldingLock && s.label == label)
        .collect()
}

/// The most holding spans open at once (a span ending when another starts does not count
/// as overlapping it).
fn most_at_once(spans: &[&Span]) -> usize {
    let mut edges: Vec<(u64, i32)> = spans
        .iter()
        .flat_map(|s| [(s.start, 1), (s.end, -1)])
        .collect();
    edges.sort();
    let (mut now, mut most) = (0i32, 0i32);
    for (_, step) in edges {
        now += step;
        most = most.max(now);
    }
    most as usize
}

/// Asserts that no thread's hold overlaps another thread's (a thread's own holds of a
/// re-entrant lock nest).
#[track_caller]
fn assert_one_holder_at_a_time(spans: &[&Span]) {
    let mut sorted = spans.to_vec();
    sorted.sort_by_key(|s| (s.start, s.end));
    let mut busy: Option<(u32, u64)> = None;
    for s in sorted {
        busy = match busy {
            Some((lane, until)) if lane == s.lane => Some((lane, until.max(s.end))),
            Some((lane, until)) => {
                assert!(
                    s.start >= until,
                    "lane {} took it at {} while lane {lane} held it until {until}",
                    s.lane,
                    s.start
                );
                Some((s.lane, s.end))
            }
            None => Some((s.lane, s.end)),
        };
    }
}

/// Runs `body` on `threads` threads and joins them.
fn on_threads(
    main: &ThreadCtx,
    threads: usize,
    body: impl Fn(&ThreadCtx, usize) -> Result<(), Aborted> + Send + Sync + 'static,
) -> Result<(), Aborted> {
    let body = Arc::new(body);
    let handles: Vec<ThreadHandle> = (0..threads)
        .map(|i| {
            let body = body.clone();
            main.spawn(format!("Thread-{i}"), move |me| body(me, i))
        })
        .collect::<Result<_, _>>()?;
    handles.iter().try_for_each(|h| h.join(main))
}

// Mutex.

const MUTEX_THREADS: usize = 3;
const MUTEX_PAIRS: usize = 300;

fn mutex_excludes(main: &ThreadCtx) -> Result<(), Aborted> {
    let lock = Arc::new(TracedMutex::new("m", 0usize));
    let inside = Arc::new(AtomicUsize::new(0));
    let (l, i) = (lock.clone(), inside.clone());
    on_threads(main, MUTEX_THREADS, move |me, _| {
        for _ in 0..MUTEX_PAIRS {
            let mut count = l.lock(me)?;
            assert_eq!(i.fetch_add(1, Ordering::SeqCst), 0, "two holders");
            *count += 1;
            std::hint::spin_loop();
            i.fetch_sub(1, Ordering::SeqCst);
        }
        Ok(())
    })?;
    assert_eq!(*lock.lock(main)?, MUTEX_THREADS * MUTEX_PAIRS);
    Ok(())
}

#[test]
fn a_mutex_has_one_holder_at_a_time_and_records_every_hold() {
    let t = run(mutex_excludes);
    let spans = holds(&t, "m");
    // Every acquisition, the main thread's last one included, is a span of its own.
    assert_eq!(spans.len(), MUTEX_THREADS * MUTEX_PAIRS + 1);
    assert_one_holder_at_a_time(&spans);
}

fn mutex_waiter_learns_its_holder(main: &ThreadCtx) -> Result<(), Aborted> {
    let lock = Arc::new(TracedMutex::new("m", ()));
    let held = lock.lock(main)?;
    let l = lock.clone();
    let waiter = Blocked::spawn(main, "Waiter", main.watchdog(), move |me| {
        l.lock(me).map(drop)
    })?;
    until_waiting(main.watchdog(), "Waiter");
    let report = main.watchdog().describe();
    assert!(
        report.contains("Waiter waits for lock `m` held by MainThread"),
        "{report}"
    );
    drop(held);
    waiter.join(main)?.1
}

#[test]
fn a_mutex_waiter_is_reported_with_the_holder() {
    let t = run(mutex_waiter_learns_its_holder);
    assert_eq!(t.intervals(SpanState::WaitingLock).len(), 1);
}

// Re-entrant lock.

fn rlock_reenters(main: &ThreadCtx) -> Result<(), Aborted> {
    let lock = Arc::new(ReentrantLock::new("r"));
    let outer = lock.lock(main)?;
    let inner = lock.lock(main)?;
    let l = lock.clone();
    let other = Blocked::spawn(main, "Other", main.watchdog(), move |me| {
        l.lock(me).map(drop)
    })?;
    until_waiting(main.watchdog(), "Other");
    drop(inner);
    // Still held once: the other thread must not get it (it would within a slice).
    std::thread::sleep(SLICE * 3);
    assert!(other.handle.is_alive(), "taken while held once");
    drop(outer);
    other.join(main)?.1
}

#[test]
fn a_reentrant_lock_nests_on_one_thread_and_excludes_others() {
    let t = run(rlock_reenters);
    let spans = holds(&t, "r");
    assert_eq!(spans.len(), 3, "{spans:?}");
    assert_one_holder_at_a_time(&spans);
}

fn rlock_excludes(main: &ThreadCtx) -> Result<(), Aborted> {
    let lock = Arc::new(ReentrantLock::new("r"));
    let inside = Arc::new(AtomicUsize::new(0));
    on_threads(main, MUTEX_THREADS, move |me, _| {
        for _ in 0..MUTEX_PAIRS / 3 {
            let _outer = lock.lock(me)?;
            let _inner = lock.lock(me)?;
            assert_eq!(inside.fetch_add(1, Ordering::SeqCst), 0, "two holders");
            inside.fetch_sub(1, Ordering::SeqCst);
        }
        Ok(())
    })
}

#[test]
fn a_reentrant_lock_has_one_holder_thread_at_a_time() {
    let t = run(rlock_excludes);
    let spans = holds(&t, "r");
    assert_eq!(spans.len(), 2 * MUTEX_THREADS * (MUTEX_PAIRS / 3));
    assert_one_holder_at_a_time(&spans);
}

// Semaphore.

const PERMITS: usize = 3;
const SEM_THREADS: usize = 7;
const SEM_ACQUIRES: usize = 60;

fn semaphore_bounds_holders(main: &ThreadCtx) -> Result<(), Aborted> {
    let sem = Arc::new(Semaphore::new("s", PERMITS));
    let inside = Arc::new(AtomicUsize::new(0));
    on_threads(main, SEM_THREADS, move |me, _| {
        for _ in 0..SEM_ACQUIRES {
            let _permit = sem.acquire(me)?;
            let before = inside.fetch_add(1, Ordering::SeqCst);
            assert!(
                before < PERMITS,
                "{} holders of {PERMITS} permits",
                before + 1
            );
            std::thread::yield_now();
            inside.fetch_sub(1, Ordering::SeqCst);
        }
        Ok(())
    })
}

#[test]
fn a_semaphore_never_has_more_holders_than_permits() {
    let t = run(semaphore_bounds_holders);
    let spans = holds(&t, "s");
    assert_eq!(spans.len(), SEM_THREADS * SEM_ACQUIRES);
    let most = most_at_once(&spans);
    assert!(most <= PERMITS, "{most} holds at once of {PERMITS} permits");
}

// Event.

const EVENT_WAITERS: usize = 4;

fn event_releases_all_and_rearms(main: &ThreadCtx) -> Result<(), Aborted> {
    let event = Arc::new(Event::new("e"));
    let waiters: Vec<Blocked> = (0..EVENT_WAITERS)
        .map(|i| {
            let e = event.clone();
            Blocked::spawn(main, &format!("Waiter-{i}"), main.watchdog(), move |me| {
                e.wait(me)
            })
        })
        .collect::<Result<_, _>>()?;
    for i in 0..EVENT_WAITERS {
        until_waiting(main.watchdog(), &format!("Waiter-{i}"));
    }
    event.set();
    for waiter in waiters {
        waiter.join(main)?.1?;
    }
    // Still set: no wait.
    event.wait(main)?;
    // Cleared: a new waiter waits for the next `set`.
    event.clear();
    let e = event.clone();
    let late = Blocked::spawn(main, "Late", main.watchdog(), move |me| e.wait(me))?;
    until_waiting(main.watchdog(), "Late");
    std::thread::sleep(SLICE * 3);
    assert!(
        late.handle.is_alive(),
        "a cleared event let a waiter through"
    );
    event.set();
    late.join(main)?.1
}

#[test]
fn an_event_releases_every_waiter_and_clear_rearms_it() {
    let t = run(event_releases_all_and_rearms);
    // Each waiter's wait is recorded; the main thread's wait on a set event is not a wait.
    assert_eq!(
        t.intervals(SpanState::WaitingEvent).len(),
        EVENT_WAITERS + 1
    );
}

// Condition.

const COND_WAITERS: usize = 5;

fn condition_notify_n_releases_n(main: &ThreadCtx) -> Result<(), Aborted> {
    let cond = Arc::new(Condition::new("c", ()));
    let returned = Arc::new(AtomicUsize::new(0));
    // Nobody waits: a notification is not kept for a later waiter.
    assert_eq!(cond.lock(main)?.notify(1), 0);
    let waiters: Vec<ThreadHandle> = (0..COND_WAITERS)
        .map(|i| {
            let (c, r) = (cond.clone(), returned.clone());
            main.spawn(format!("Waiter-{i}"), move |me| {
                c.lock(me)?.wait()?;
                r.fetch_add(1, Ordering::SeqCst);
                Ok(())
            })
        })
        .collect::<Result<_, _>>()?;
    until("every waiter waits", || {
        cond.lock(main)
            .map_or(true, |g| g.waiters() == COND_WAITERS)
    });
    assert_eq!(cond.lock(main)?.notify(2), 2);
    until("two waiters return", || {
        returned.load(Ordering::SeqCst) >= 2
    });
    // A third would return within a slice of the notification.
    std::thread::sleep(SLICE * 3);
    assert_eq!(
        returned.load(Ordering::SeqCst),
        2,
        "notify(2) released more"
    );
    {
        let mut g = cond.lock(main)?;
        assert_eq!(g.waiters(), COND_WAITERS - 2);
        // Two at once before anyone runs: counted, not merged.
        assert_eq!(g.notify(1), 1);
        assert_eq!(g.notify(1), 1);
        // Asking for more than wait releases those that wait, no more.
        assert_eq!(g.notify(10), COND_WAITERS - 4);
        assert_eq!(g.notify(1), 0);
    }
    for w in &waiters {
        w.join(main)?;
    }
    assert_eq!(returned.load(Ordering::SeqCst), COND_WAITERS);
    Ok(())
}

#[test]
fn a_condition_notify_n_releases_exactly_n_waiters() {
    let t = run(condition_notify_n_releases_n);
    assert_eq!(t.intervals(SpanState::WaitingCondition).len(), COND_WAITERS);
}

fn condition_wait_for_rechecks(main: &ThreadCtx) -> Result<(), Aborted> {
    let cond = Arc::new(Condition::new("c", 0u32));
    let c = cond.clone();
    let waiter = Blocked::spawn(main, "Waiter", main.watchdog(), move |me| {
        let mut g = c.lock(me)?;
        g.wait_for(|v| *v == 3)?;
        assert_eq!(*g.value(), 3);
        Ok(())
    })?;
    for v in 1..=3 {
        // One release per value, given only while the waiter waits with no release pending
        // (`notify` says how many it released), and the value changed under the same lock.
        until("the waiter waits for the next value", || {
            let Ok(mut g) = cond.lock(main) else {
                return true;
            };
            let released = g.notify(1) == 1;
            if released {
                *g.value() = v;
            }
            released
        });
    }
    waiter.join(main)?.1
}

#[test]
fn a_condition_wait_for_waits_until_the_predicate_holds() {
    let t = run(condition_wait_for_rechecks);
    assert_eq!(t.intervals(SpanState::WaitingCondition).len(), 3);
}

// Queue.

const PRODUCERS: usize = 3;
const CONSUMERS: usize = 2;
const ITEMS: usize = 150;

fn queue_hands_each_item_once(main: &ThreadCtx) -> Result<(), Aborted> {
    let queue = Arc::new(Queue::new("q", 2));
    let received = Arc::new(Mutex::new(Vec::new()));
    let producers: Vec<ThreadHandle> = (0..PRODUCERS)
        .map(|p| {
            let q = queue.clone();
            main.spawn(format!("producer-{p}"), move |me| {
                (0..ITEMS).try_for_each(|i| q.put(me, (p, i)).map(drop))
            })
        })
        .collect::<Result<_, _>>()?;
    let consumers: Vec<ThreadHandle> = (0..CONSUMERS)
        .map(|c| {
            let (q, r) = (queue.clone(), received.clone());
            main.spawn(format!("consumer-{c}"), move |me| {
                let mut mine = Vec::new();
                while let Some(item) = q.get(me)? {
                    mine.push(item);
                }
                // One queue is FIFO: what one consumer got of one producer is in order.
                for p in 0..PRODUCERS {
                    let of_p: Vec<usize> = mine
                        .iter()
                        .filter(|(q, _)| *q == p)
                        .map(|(_, i)| *i)
                        .collect();
                    assert!(
                        of_p.windows(2).all(|w| w[0] < w[1]),
                        "out of order: {of_p:?}"
                    );
                }
                r.lock().unwrap().extend(mine);
                Ok(())
            })
        })
        .collect::<Result<_, _>>()?;
    producers.iter().try_for_each(|h| h.join(main))?;
    queue.close();
    consumers.iter().try_for_each(|h| h.join(main))?;
    let mut got = std::mem::take(&mut *received.lock().unwrap());
    got.sort();
    let sent: Vec<(usize, usize)> = (0..PRODUCERS)
        .flat_map(|p| (0..ITEMS).map(move |i| (p, i)))
        .collect();
    assert_eq!(got, sent, "every item received exactly once");
    assert!(queue.drain().is_empty());
    Ok(())
}

#[test]
fn a_queue_hands_every_item_to_exactly_one_getter() {
    let t = run(queue_hands_each_item_once);
    // A capacity of 2 for 3 producers: putters did wait.
    assert!(!t.intervals(SpanState::WaitingQueue).is_empty());
}

// No lost wake-up: each primitive's waiter, parked, is woken by the release.

fn mutex_wakes(main: &ThreadCtx) -> Result<(), Aborted> {
    let lock = Arc::new(TracedMutex::new("m", ()));
    let mut woken = Vec::new();
    for _ in 0..ROUNDS {
        let held = lock.lock(main)?;
        let l = lock.clone();
        let block = move |me: &ThreadCtx| l.lock(me).map(drop);
        woken.push(woken_after(main, block, move || {
            drop(held);
            Ok(())
        })?);
    }
    record_median(main, woken);
    Ok(())
}

fn rlock_wakes(main: &ThreadCtx) -> Result<(), Aborted> {
    let lock = Arc::new(ReentrantLock::new("r"));
    let mut woken = Vec::new();
    for _ in 0..ROUNDS {
        let held = lock.lock(main)?;
        let l = lock.clone();
        let block = move |me: &ThreadCtx| l.lock(me).map(drop);
        woken.push(woken_after(main, block, move || {
            drop(held);
            Ok(())
        })?);
    }
    record_median(main, woken);
    Ok(())
}

fn semaphore_wakes(main: &ThreadCtx) -> Result<(), Aborted> {
    let sem = Arc::new(Semaphore::new("s", 1));
    let mut woken = Vec::new();
    for _ in 0..ROUNDS {
        let held = sem.acquire(main)?;
        let s = sem.clone();
        let block = move |me: &ThreadCtx| s.acquire(me).map(drop);
        woken.push(woken_after(main, block, move || {
            drop(held);
            Ok(())
        })?);
    }
    record_median(main, woken);
    Ok(())
}

fn event_wakes(main: &ThreadCtx) -> Result<(), Aborted> {
    let event = Arc::new(Event::new("e"));
    let mut woken = Vec::new();
    for _ in 0..ROUNDS {
        event.clear();
        let e = event.clone();
        let block = move |me: &ThreadCtx| e.wait(me);
        woken.push(woken_after(main, block, || {
            event.set();
            Ok(())
        })?);
    }
    record_median(main, woken);
    Ok(())
}

fn condition_wakes(main: &ThreadCtx) -> Result<(), Aborted> {
    let cond = Arc::new(Condition::new("c", ()));
    let mut woken = Vec::new();
    for _ in 0..ROUNDS {
        let c = cond.clone();
        let block = move |me: &ThreadCtx| c.lock(me)?.wait();
        woken.push(woken_after(main, block, || {
            assert_eq!(cond.lock(main)?.notify(1), 1);
            Ok(())
        })?);
    }
    record_median(main, woken);
    Ok(())
}

fn queue_get_wakes(main: &ThreadCtx) -> Result<(), Aborted> {
    let queue = Arc::new(Queue::new("q", 0));
    let mut woken = Vec::new();
    for i in 0..ROUNDS {
        let q = queue.clone();
        let block = move |me: &ThreadCtx| {
            assert_eq!(q.get(me)?, Some(i));
            Ok(())
        };
        woken.push(woken_after(main, block, || queue.put(main, i).map(drop))?);
    }
    record_median(main, woken);
    Ok(())
}

fn queue_put_wakes(main: &ThreadCtx) -> Result<(), Aborted> {
    let queue = Arc::new(Queue::new("q", 1));
    let mut woken = Vec::new();
    for i in 0..ROUNDS {
        queue.put(main, i)?;
        let q = queue.clone();
        let block = move |me: &ThreadCtx| q.put(me, i + 100).map(drop);
        woken.push(woken_after(main, block, || {
            assert_eq!(queue.get(main)?, Some(i));
            Ok(())
        })?);
        assert_eq!(queue.get(main)?, Some(i + 100));
    }
    record_median(main, woken);
    Ok(())
}

#[test]
fn a_released_waiter_is_woken_not_found_at_the_end_of_its_slice() {
    let cases: &[(&str, ThreadScenarioFn)] = &[
        ("mutex", mutex_wakes),
        ("re-entrant lock", rlock_wakes),
        ("semaphore", semaphore_wakes),
        ("event", event_wakes),
        ("condition", condition_wakes),
        ("queue get", queue_get_wakes),
        ("queue put", queue_put_wakes),
    ];
    let slow: Vec<String> = cases
        .iter()
        .map(|(name, scenario)| (name, metric(&run(*scenario), "woken_ms")))
        .filter(|(_, woken)| *woken >= ms(SLICE) / 2.0)
        .map(|(name, woken)| format!("{name}: {woken:.1} ms"))
        .collect();
    assert!(
        slow.is_empty(),
        "median wake-up at half a slice or more, as if the wake-up were lost: {slow:?}"
    );
}

// Abort: a thread blocked on each primitive gives up within about a slice.

fn mutex_gives_up(main: &ThreadCtx) -> Result<(), Aborted> {
    let lock = Arc::new(TracedMutex::new("m", ()));
    let _held = lock.lock(main)?;
    let l = lock.clone();
    gives_up(main, move |me| l.lock(me).map(drop))
}

fn rlock_gives_up(main: &ThreadCtx) -> Result<(), Aborted> {
    let lock = Arc::new(ReentrantLock::new("r"));
    let _held = lock.lock(main)?;
    let l = lock.clone();
    gives_up(main, move |me| l.lock(me).map(drop))
}

fn semaphore_gives_up(main: &ThreadCtx) -> Result<(), Aborted> {
    let sem = Arc::new(Semaphore::new("s", 1));
    let _held = sem.acquire(main)?;
    let s = sem.clone();
    gives_up(main, move |me| s.acquire(me).map(drop))
}

fn event_gives_up(main: &ThreadCtx) -> Result<(), Aborted> {
    let event = Arc::new(Event::new("e"));
    gives_up(main, move |me| event.wait(me))
}

fn condition_wait_gives_up(main: &ThreadCtx) -> Result<(), Aborted> {
    let cond = Arc::new(Condition::new("c", ()));
    gives_up(main, move |me| cond.lock(me)?.wait())
}

fn condition_lock_gives_up(main: &ThreadCtx) -> Result<(), Aborted> {
    let cond = Arc::new(Condition::new("c", ()));
    let _held = cond.lock(main)?;
    let c = cond.clone();
    gives_up(main, move |me| c.lock(me).map(drop))
}

fn queue_get_gives_up(main: &ThreadCtx) -> Result<(), Aborted> {
    let queue = Arc::new(Queue::<u32>::new("q", 0));
    gives_up(main, move |me| queue.get(me).map(drop))
}

fn queue_put_gives_up(main: &ThreadCtx) -> Result<(), Aborted> {
    let queue = Arc::new(Queue::new("q", 1));
    queue.put(main, 1)?;
    gives_up(main, move |me| queue.put(me, 2).map(drop))
}

fn sleep_gives_up(main: &ThreadCtx) -> Result<(), Aborted> {
    gives_up(main, |me| me.sleep(Duration::from_secs(60)))
}

fn join_gives_up(main: &ThreadCtx) -> Result<(), Aborted> {
    // A daemon sleeping past the test: cut off when the run ends.
    let sleeper = main.spawn_daemon("Sleeper", |me| me.sleep(Duration::from_secs(60)))?;
    gives_up(main, move |me| sleeper.join(me))
}

#[test]
fn a_blocked_thread_gives_up_within_a_slice_of_an_abort() {
    let cases: &[(&str, ThreadScenarioFn)] = &[
        ("mutex", mutex_gives_up),
        ("re-entrant lock", rlock_gives_up),
        ("semaphore", semaphore_gives_up),
        ("event", event_gives_up),
        ("condition wait", condition_wait_gives_up),
        ("condition lock", condition_lock_gives_up),
        ("queue get", queue_get_gives_up),
        ("queue put", queue_put_gives_up),
        ("sleep", sleep_gives_up),
        ("join", join_gives_up),
    ];
    let slow: Vec<String> = cases
        .iter()
        .map(|(name, scenario)| (name, metric(&run(*scenario), "gave_up_ms")))
        .filter(|(_, gave_up)| *gave_up >= ms(GIVE_UP_WITHIN))
        .map(|(name, gave_up)| format!("{name}: {gave_up:.1} ms"))
        .collect();
    assert!(
        slow.is_empty(),
        "gave up {} ms or more after the abort: {slow:?}",
        ms(GIVE_UP_WITHIN)
    );
}
