//! The server's runs: at most `max_running` at once, `max_queued` more waiting in order, the
//! rest refused with a time to retry after. Each run is watched on a blocking thread until it
//! ends; its trace is then kept in the store and the next queued run starts.
//!
//! With a queue (`conlab serve --queue … --db …`) native runs go to `conlab worker`s instead:
//! each is recorded and enqueued (`conlab-queue`), listed here as queued, followed in the
//! record until it ends, shown live meanwhile from the events its worker publishes (`Live`
//! rebuilt by `relay.rs`), and its trace then kept in the store as a local run's is (see
//! `remote.rs`).

use crate::config::Config;
use crate::relay::Rebuilt;
use crate::start::Prepared;
use crate::store::Store;
use conlab_core::{Status, Trace};
use conlab_scenarios::NativeRun;
use conlab_wire::{RunList, RunState, RunSummary, WireRuntime};
use parking_lot::{Mutex, RwLock};
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

mod past;
mod remote;
pub use past::StoredTrace;
pub use remote::Refused;

/// How often a run's watcher looks whether it has ended.
const WATCH_EVERY: Duration = Duration::from_millis(10);

/// Every run the server knows.
pub struct Runs {
    config: Arc<Config>,
    store: Store,
    handle: tokio::runtime::Handle,
    book: Mutex<Vec<Entry>>,
    next: AtomicU64,
    /// The queue native runs go through, when the server has one.
    queue: Option<conlab_queue::Queue>,
}

struct Entry {
    summary: RunSummary,
    /// Run by a worker through the queue, not here.
    remote: bool,
    prepared: Option<Prepared>,
    live: Option<Arc<Live>>,
    started: Option<Instant>,
    expected: Duration,
    stop_asked: bool,
}

/// A native run in progress, readable by its streams: running here, or on a `conlab worker`
/// and rebuilt here from the events it publishes (`relay.rs`).
pub struct Live {
    run: RwLock<Option<NativeRun>>,
    /// A run on a worker, as far as its events have come.
    relayed: RwLock<Rebuilt>,
    /// A virtual or CPython run's Stop: set, the run ends *stopped* at its next look.
    stop_flag: Arc<std::sync::atomic::AtomicBool>,
}

impl Live {
    /// A run not started yet, stopped when `stop_flag` is set.
    pub(crate) fn new(stop_flag: Arc<std::sync::atomic::AtomicBool>) -> Live {
        Live {
            run: RwLock::new(None),
            relayed: RwLock::new(Rebuilt::default()),
            stop_flag,
        }
    }

    /// A run on a worker, seen through its events (a follower fills it in).
    pub(crate) fn relayed() -> Live {
        Live::new(Arc::default())
    }

    /// What it has recorded so far and its progress line, while it runs.
    pub fn snapshot(&self) -> Option<(Trace, Option<String>)> {
        if let Some(run) = self.run.read().as_ref() {
            return Some((run.snapshot()?, run.progress()));
        }
        self.relayed.read().snapshot()
    }

    /// Takes one of a relayed run's events; `false` once it says the run ended.
    pub(crate) fn take(&self, event: conlab_queue::RunEvent) -> Result<bool, serde_json::Error> {
        self.relayed.write().take(event)
    }
}

/// A start refused because the queue is full.
pub struct Busy {
    /// Seconds until a slot is likely free.
    pub retry_after: u64,
    /// Why, in words.
    pub message: String,
}

impl Runs {
    /// The runs kept in `store`, and room for new ones.
    pub fn new(
        config: Arc<Config>,
        store: Store,
        handle: tokio::runtime::Handle,
        queue: Option<conlab_queue::Queue>,
    ) -> Arc<Runs> {
        let kept = store.load();
        let next = kept
            .iter()
            .filter_map(|s| s.id.rsplit('-').next()?.parse::<u64>().ok())
            .max()
            .unwrap_or(0)
            + 1;
        let book = kept
            .into_iter()
            .map(|summary| Entry {
                summary,
                remote: false,
                prepared: None,
                live: None,
                started: None,
                expected: Duration::ZERO,
                stop_asked: false,
            })
            .collect();
        Arc::new(Runs {
            config,
            store,
            handle,
            book: Mutex::new(book),
            next: AtomicU64::new(next),
            queue,
        })
    }

    /// Starts a run now, or queues it, or refuses it when the queue is full.
    pub fn submit(self: &Arc<Self>, prepared: Prepared) -> Result<RunSummary, Busy> {
        let mut book = self.book.lock();
        let running = count(&book, RunState::Running);
        let queued = count(&book, RunState::Queued);
        let state = if running < self.config.max_running {
            RunState::Running
        } else if queued < self.config.max_queued {
            RunState::Queued
        } else {
            let retry_after = retry_after(&book);
            let runs = |n: usize| {
                if n == 1 {
                    "1 run".to_string()
                } else {
                    format!("{n} runs")
                }
            };
            return Err(Busy {
                retry_after,
                message: format!(
                    "{} running and {queued} waiting, as many as this server takes \
                     (--max-running {}, --max-queued {}); try again in about {retry_after} s",
                    runs(running),
                    self.config.max_running,
                    self.config.max_queued
                ),
            });
        };
        let id = self.new_id();
        let expected = conlab_scenarios::find(prepared.info.id)
            .map(|s| match prepared.runtime {
                WireRuntime::Native => {
                    s.expected_on(conlab_core::RuntimeKind::Tokio, &prepared.params)
                }
                WireRuntime::Virtual => Duration::ZERO,
                WireRuntime::Cpython => prepared.limit / 2,
            })
            .unwrap_or_default();
        let summary = prepared.summary(&id, state);
        book.push(Entry {
            summary: summary.clone(),
            remote: false,
            prepared: Some(prepared.clone()),
            live: None,
            started: None,
            expected,
            stop_asked: false,
        });
        if state == RunState::Running {
            self.launch(&mut book, &id);
        }
        Ok(summary)
    }

    /// Running, queued and ended runs, newest first.
    pub fn list(&self) -> RunList {
        let book = self.book.lock();
        RunList {
            runs: book.iter().rev().map(|e| e.summary.clone()).collect(),
            max_running: self.config.max_running,
            max_queued: self.config.max_queued,
        }
    }

    /// One run.
    pub fn summary(&self, id: &str) -> Option<RunSummary> {
        let book = self.book.lock();
        book.iter()
            .find(|e| e.summary.id == id)
            .map(|e| e.summary.clone())
    }

    /// One run and, while it runs natively, its live view.
    pub fn watch(&self, id: &str) -> Option<(RunSummary, Option<Arc<Live>>)> {
        let book = self.book.lock();
        let entry = book.iter().find(|e| e.summary.id == id)?;
        Some((entry.summary.clone(), entry.live.clone()))
    }

    /// The trace file of an ended run.
    pub fn trace_path(&self, id: &str) -> Option<PathBuf> {
        let ended = self.summary(id).is_some_and(|s| s.state == RunState::Ended);
        ended.then(|| self.store.trace_path(id))
    }

    /// Stops a run: a running one ends *stopped* soon, a queued one at once.
    pub fn stop(self: &Arc<Self>, id: &str) -> Option<RunSummary> {
        let mut book = self.book.lock();
        let entry = book.iter_mut().find(|e| e.summary.id == id)?;
        if entry.remote && entry.summary.state != RunState::Ended {
            // The worker running it reads the ask within `conlab_queue::STOP_POLL`.
            self.ask_remote_stop(id);
            return Some(entry.summary.clone());
        }
        match entry.summary.state {
            RunState::Running => {
                entry.stop_asked = true;
                if let Some(live) = &entry.live {
                    live.stop_flag
                        .store(true, std::sync::atomic::Ordering::Relaxed);
                    if let Some(run) = live.run.read().as_ref() {
                        run.stop();
                    }
                }
                Some(entry.summary.clone())
            }
            RunState::Queued => {
                let prepared = entry.prepared.take()?;
                let start =
                    conlab_tokio::NativeStart::new(prepared.info, prepared.params, prepared.limit);
                let trace = start.without_recording(Status::Stopped { after_ms: 0 });
                let summary = ended(&entry.summary, &trace);
                entry.summary = summary.clone();
                drop(book);
                self.keep(&summary, &trace);
                Some(summary)
            }
            RunState::Ended => Some(entry.summary.clone()),
        }
    }

    /// Stops every run and waits (at most `patience`) until the running ones are kept.
    pub fn stop_all_and_wait(self: &Arc<Self>, patience: Duration) {
        self.stop_all();
        let deadline = Instant::now() + patience;
        while Instant::now() < deadline && count(&self.book.lock(), RunState::Running) > 0 {
            std::thread::sleep(WATCH_EVERY);
        }
    }

    /// Stops every run, queued ones included (the server is shutting down).
    pub fn stop_all(self: &Arc<Self>) {
        let ids: Vec<String> = self
            .book
            .lock()
            .iter()
            .filter(|e| e.summary.state != RunState::Ended)
            .map(|e| e.summary.id.clone())
            .collect();
        // Queued ones first, so none starts as a running one ends.
        for id in ids.iter().rev() {
            self.stop(id);
        }
    }

    pub(crate) fn new_id(&self) -> String {
        let stamp: String = conlab_tokio::rfc3339_now()
            .chars()
            .filter(char::is_ascii_digit)
            .take(14)
            .collect();
        let (date, time) = stamp.split_at(stamp.len().min(8));
        let n = self.next.fetch_add(1, Ordering::Relaxed);
        if self.queue.is_some() {
            // Servers sharing one record must not make the same id.
            return format!("{date}-{time}-{}-{n}", remote::random_tag());
        }
        format!("{date}-{time}-{n}")
    }

    /// Starts run `id` (marked running in `book`) on a blocking thread that watches it.
    fn launch(self: &Arc<Self>, book: &mut [Entry], id: &str) {
        let Some(entry) = book.iter_mut().find(|e| e.summary.id == id) else {
            return;
        };
        let Some(prepared) = entry.prepared.take() else {
            return;
        };
        entry.summary.state = RunState::Running;
        entry.started = Some(Instant::now());
        // One line per run as it starts and as it ends, so whoever runs the server sees what
        // its pages ask of it.
        eprintln!(
            "conlab serve: run {id} started: {} {}",
            entry.summary.scenario,
            params_line(&entry.summary)
        );
        let live = Arc::new(Live::new(Arc::default()));
        entry.live = Some(live.clone());
        let runs = self.clone();
        let id = id.to_string();
        self.handle.spawn_blocking(move || {
            let trace = runs.run_to_end(&id, prepared, &live);
            runs.finish(&id, trace);
        });
    }

    fn run_to_end(&self, id: &str, prepared: Prepared, live: &Live) -> Trace {
        // A stop asked for while the run was being started counts.
        let stop_asked = self
            .book
            .lock()
            .iter()
            .any(|e| e.summary.id == id && e.stop_asked);
        if stop_asked {
            live.stop_flag.store(true, Ordering::Relaxed);
        }
        run_prepared(&self.config, prepared, live)
    }

    /// Records the end of run `id`, keeps its trace, and starts the next queued run.
    pub(crate) fn finish(self: &Arc<Self>, id: &str, trace: Trace) {
        let mut book = self.book.lock();
        let Some(entry) = book.iter_mut().find(|e| e.summary.id == id) else {
            return;
        };
        let mut summary = ended(&entry.summary, &trace);
        drop(book);
        eprintln!(
            "conlab serve: run {id} ended: {} {}, {} in {}{}",
            summary.scenario,
            params_line(&summary),
            trace.status.label(),
            conlab_core::ms(trace.end),
            match summary.checks_total {
                0 => String::new(),
                total => format!(", {} of {total} checks passed", summary.checks_passed),
            }
        );
        // Kept before it is listed as ended, so its trace can be fetched once it is. A run
        // whose trace could not be kept is listed as failed, saying why: a list that says
        // "ok" of a run whose trace is gone would be believed.
        if let Err(e) = self.store.save(&summary, &trace) {
            summary.status = Some(Status::Failed {
                reason: format!(
                    "the run ended ({}), but its trace could not be kept: {e}",
                    trace.status.label()
                ),
            });
            summary.checks_passed = 0;
            summary.checks_not_judged = 0;
            summary.checks_total = 0;
            eprintln!("conlab serve: could not keep run {}: {e}", summary.id);
        }
        let mut book = self.book.lock();
        if let Some(entry) = book.iter_mut().find(|e| e.summary.id == id) {
            entry.summary = summary;
            entry.live = None;
        }
        // The oldest ended runs go once more are kept than the server keeps.
        let ended = count(&book, RunState::Ended);
        if ended > self.config.max_kept {
            let mut extra = ended - self.config.max_kept;
            book.retain(|e| {
                let forget = extra > 0 && e.summary.state == RunState::Ended;
                if forget {
                    extra -= 1;
                    self.store.forget(&e.summary.id);
                }
                !forget
            });
        }
        let running = count(&book, RunState::Running);
        if running < self.config.max_running {
            let next = book
                .iter()
                .find(|e| e.summary.state == RunState::Queued && !e.remote)
                .map(|e| e.summary.id.clone());
            if let Some(next) = next {
                self.launch(&mut book, &next);
            }
        }
    }

    fn keep(&self, summary: &RunSummary, trace: &Trace) {
        if let Err(e) = self.store.save(summary, trace) {
            eprintln!("conlab serve: could not keep run {}: {e}", summary.id);
        }
    }
}

/// Runs `prepared` to its end under the server's caps: its time limit, Stop (`live`'s flag),
/// the events the server keeps. The one way a run goes here and on a `conlab worker`.
pub(crate) fn run_prepared(config: &Config, prepared: Prepared, live: &Live) -> Trace {
    let failed = |reason: String| {
        conlab_tokio::NativeStart::new(prepared.info, prepared.params.clone(), prepared.limit)
            .without_recording(Status::Failed { reason })
    };
    if prepared.runtime == WireRuntime::Virtual {
        // Every cap a native run has: its time limit, Stop, the events the server keeps.
        let bounds = conlab_scenarios::Bounds {
            time: prepared.limit,
            stop: Some(live.stop_flag.clone()),
            max_events: Some(config.max_events),
            max_events_why: "the most this server keeps of one run (--max-events); choose fewer tasks, or a shorter run",
        };
        return conlab_scenarios::run_virtual_bounded(prepared.info.id, &prepared.params, &bounds)
            .unwrap_or_else(|e| failed(e.to_string()));
    }
    if prepared.runtime == WireRuntime::Cpython {
        return run_cpython(config, &prepared, live).unwrap_or_else(failed);
    }
    let run = match conlab_scenarios::start_native(
        prepared.info.id,
        prepared.params.clone(),
        prepared.limit,
    ) {
        Ok(run) => run,
        Err(e) => return failed(e.to_string()),
    };
    *live.run.write() = Some(run);
    // Watched until it ends; one that records more than the server keeps is stopped, as is
    // one whose Stop was asked (before it started too).
    let mut too_big = None;
    let mut stopped = false;
    loop {
        let guard = live.run.read();
        let Some(run) = guard.as_ref() else { break };
        if run.is_finished() {
            break;
        }
        if !stopped && live.stop_flag.load(Ordering::Relaxed) {
            stopped = true;
            run.stop();
        }
        let events = run.event_count();
        if too_big.is_none() && events > config.max_events {
            too_big = Some(events);
            run.stop();
        }
        drop(guard);
        std::thread::sleep(WATCH_EVERY);
    }
    let run = live.run.write().take();
    let mut trace = match run {
        Some(run) => run.wait(),
        None => failed("the run disappeared".into()),
    };
    if let Some(events) = too_big {
        // Cut off by this server's limit, not by the scenario: shown as refused, with no
        // verdict on a run that did not happen as a whole.
        trace.status = Status::Refused {
            reason: format!(
                "the run recorded more than {} events ({events} when it was stopped), the \
                 most this server keeps of one run (--max-events); choose fewer threads or \
                 tasks, or a shorter run",
                config.max_events
            ),
        };
        trace.checks.clear();
    }
    trace
}

/// A lesson's Python program, run to its end or until Stop (its trace arrives whole at the
/// end: the tracer writes it then).
fn run_cpython(config: &Config, prepared: &Prepared, live: &Live) -> Result<Trace, String> {
    let mut run = conlab_scenarios::cpython::start(
        prepared.info.id,
        &prepared.params,
        prepared.limit,
        Some(config.max_events),
    )
    .map_err(|e| e.to_string())?;
    let mut stopped = false;
    while !run.is_finished() {
        if !stopped && live.stop_flag.load(Ordering::Relaxed) {
            run.stop();
            stopped = true;
        }
        std::thread::sleep(WATCH_EVERY);
    }
    Ok(run.wait())
}

/// A run's parameters as `-p` would give them: `tasks=3 sleep_ms=200`.
fn params_line(summary: &RunSummary) -> String {
    summary
        .params
        .iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join(" ")
}

/// Runs in `state`: the ended ones all, the others only those of this machine (the queue's
/// runs are capped by the queue).
fn count(book: &[Entry], state: RunState) -> usize {
    book.iter()
        .filter(|e| e.summary.state == state && (state == RunState::Ended || !e.remote))
        .count()
}

/// Seconds until the first running run is expected to end (at least 1).
fn retry_after(book: &[Entry]) -> u64 {
    book.iter()
        .filter(|e| e.summary.state == RunState::Running)
        .filter_map(|e| Some(e.expected.saturating_sub(e.started?.elapsed())))
        .min()
        .map_or(1, |left| left.as_secs_f64().ceil() as u64)
        .clamp(1, 600)
}

pub(crate) fn ended(summary: &RunSummary, trace: &Trace) -> RunSummary {
    RunSummary {
        state: RunState::Ended,
        status: Some(trace.status.clone()),
        makespan: Some(trace.metrics.makespan),
        checks_passed: trace.tally().passed as u32,
        checks_not_judged: trace.tally().not_judged as u32,
        checks_total: trace.checks.len() as u32,
        ..summary.clone()
    }
}
