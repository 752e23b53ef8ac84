//! The watchdog: knows what every scenario thread is waiting for and who holds it, finds
//! deadlocks (every thread blocked, no timed wait pending, no progress), and aborts a run so
//! that all its waits give up.

use conlab_core::LaneId;
use parking_lot::{Condvar, Mutex};
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// How often the monitor looks.
const CHECK_EVERY: Duration = Duration::from_millis(25);
/// How long every thread must have been blocked, with no progress, to call it a deadlock.
const DEADLOCK_AFTER: Duration = Duration::from_millis(150);

struct Waiting {
    what: String,
    holder: Option<LaneId>,
    timed: bool,
}

struct Entry {
    name: String,
    waiting: Option<Waiting>,
}

#[derive(Default)]
struct Registry {
    threads: BTreeMap<LaneId, Entry>,
}

/// Watches a group of scenario threads.
pub struct Watchdog {
    registry: Mutex<Registry>,
    aborted: AtomicBool,
    /// Bumped whenever a wait ends: a run that makes progress is not deadlocked.
    progress: AtomicU64,
    report: Mutex<Option<String>>,
    /// Who waited for whom when the deadlock was found: (waiter, holder) lanes.
    waits: Mutex<Vec<(LaneId, LaneId)>>,
    failure: Mutex<Option<String>>,
    stop: Mutex<bool>,
    stop_cv: Condvar,
    /// Someone outside the run (a page's Stop) asking it to end: the monitor aborts it.
    asked_to_stop: conlab_native::StopSignal,
}

impl Watchdog {
    /// A watchdog with its monitor thread running; the monitor stops when [`Watchdog::stop`]
    /// is called.
    pub fn start(name: &str) -> Arc<Watchdog> {
        Watchdog::start_stoppable(name, conlab_native::StopSignal::default())
    }

    /// A watchdog that also aborts the run (within a check interval) once `stop` is asked.
    pub fn start_stoppable(name: &str, stop: conlab_native::StopSignal) -> Arc<Watchdog> {
        let dog = Arc::new(Watchdog {
            registry: Mutex::new(Registry::default()),
            aborted: AtomicBool::new(false),
            progress: AtomicU64::new(0),
            report: Mutex::new(None),
            waits: Mutex::new(Vec::new()),
            failure: Mutex::new(None),
            stop: Mutex::new(false),
            stop_cv: Condvar::new(),
            asked_to_stop: stop,
        });
        let monitor = dog.clone();
        let _ = std::thread::Builder::new()
            .name(format!("conlab-watchdog-{name}"))
            .spawn(move || monitor.monitor());
        dog
    }

    fn monitor(&self) {
        let mut stuck_since: Option<(Instant, u64)> = None;
        loop {
            {
                let mut stop = self.stop.lock();
                if *stop {
                    return;
                }
                self.stop_cv.wait_for(&mut stop, CHECK_EVERY);
                if *stop {
                    return;
                }
            }
            if self.is_aborted() {
                continue;
            }
            if self.asked_to_stop.requested().is_some() {
                self.abort();
                continue;
            }
            let progress = self.progress.load(Ordering::Acquire);
            if !self.all_blocked() {
                stuck_since = None;
                continue;
            }
            match stuck_since {
                Some((since, p)) if p == progress => {
                    if since.elapsed() >= DEADLOCK_AFTER {
                        let description = self.describe();
                        *self.waits.lock() = self.edges();
                        *self.report.lock() = Some(description.clone());
                        self.fail(format!("deadlock: {description}"));
                    }
                }
                _ => stuck_since = Some((Instant::now(), progress)),
            }
        }
    }

    fn all_blocked(&self) -> bool {
        let r = self.registry.lock();
        !r.threads.is_empty()
            && r.threads
                .values()
                .all(|e| e.waiting.as_ref().is_some_and(|w| !w.timed))
    }

    /// Who waits for what, held by whom: one line per thread.
    pub fn describe(&self) -> String {
        let r = self.registry.lock();
        let name = |lane: LaneId| {
            r.threads
                .get(&lane)
                .map(|e| e.name.clone())
                .unwrap_or_else(|| format!("lane {lane}"))
        };
        let mut lines = Vec::new();
        for (lane, e) in &r.threads {
            match &e.waiting {
                Some(w) => {
                    // A holder that is no longer watched (it ended) is not named.
                    let held = match w.holder {
                        Some(h) if h == *lane => " held by itself".to_string(),
                        Some(h) if r.threads.contains_key(&h) => format!(" held by {}", name(h)),
                        _ => String::new(),
                    };
                    lines.push(format!("{} waits for {}{held}", e.name, w.what));
                }
                None => lines.push(format!("{} is running", e.name)),
            }
        }
        lines.join("; ")
    }

    /// Who waits for a thing held by whom, now: (waiter, holder) lanes.
    fn edges(&self) -> Vec<(LaneId, LaneId)> {
        let r = self.registry.lock();
        r.threads
            .iter()
            .filter_map(|(lane, e)| Some((*lane, e.waiting.as_ref()?.holder?)))
            .collect()
    }

    /// When a deadlock was found: who waited for a thing held by whom, as (waiter, holder)
    /// lanes (what the playground draws as arrows).
    pub fn deadlock_waits(&self) -> Vec<(LaneId, LaneId)> {
        self.waits.lock().clone()
    }

    /// The deadlock found, if any.
    pub fn deadlock(&self) -> Option<String> {
        self.report.lock().clone()
    }

    /// Why the run failed, if it did (a deadlock, or a thread that could not start).
    pub fn failure(&self) -> Option<String> {
        self.failure.lock().clone()
    }

    /// Records why the run failed (the first reason wins) and aborts it.
    pub fn fail(&self, reason: String) {
        self.failure.lock().get_or_insert(reason);
        self.abort();
    }

    /// Aborts the run: every wait gives up within a slice.
    pub fn abort(&self) {
        self.aborted.store(true, Ordering::Release);
    }

    /// Whether the run was aborted.
    pub fn is_aborted(&self) -> bool {
        self.aborted.load(Ordering::Acquire)
    }

    /// Stops the monitor thread.
    pub fn stop(&self) {
        *self.stop.lock() = true;
        self.stop_cv.notify_all();
    }

    pub fn register(&self, lane: LaneId, name: &str) {
        self.registry.lock().threads.insert(
            lane,
            Entry {
                name: name.to_string(),
                waiting: None,
            },
        );
    }

    pub fn unregister(&self, lane: LaneId) {
        self.registry.lock().threads.remove(&lane);
        self.progress.fetch_add(1, Ordering::AcqRel);
    }

    pub fn set_waiting(&self, lane: LaneId, what: String, holder: Option<LaneId>, timed: bool) {
        if let Some(e) = self.registry.lock().threads.get_mut(&lane) {
            e.waiting = Some(Waiting {
                what,
                holder,
                timed,
            });
        }
    }

    pub fn clear_waiting(&self, lane: LaneId) {
        if let Some(e) = self.registry.lock().threads.get_mut(&lane) {
            e.waiting = None;
        }
        self.progress.fetch_add(1, Ordering::AcqRel);
    }
}

impl Drop for Watchdog {
    fn drop(&mut self) {
        self.stop();
    }
}
