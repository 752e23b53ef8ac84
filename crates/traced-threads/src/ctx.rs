//! What code running on one scenario thread sees: the clock, the recorder (a writer of its
//! own), the parameters, the watchdog, and spawning further threads.

use super::slices::{wait_in_slices, wait_in_slices_until};
use super::watchdog::Watchdog;
use conlab_core::{
    EventWriter, LaneId, LaneKind, Metric, Nanos, Params, SpanState, Text, TraceRecorder, WholeSpan,
};
use parking_lot::{Condvar, Mutex};
use std::sync::atomic::{AtomicU32, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// The run was aborted (deadlock, time limit, or a daemon thread cut off at the end): give up
/// and unwind. Scenario code propagates it with `?`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("the run was aborted")]
pub struct Aborted;

/// Set when a thread's body has returned.
#[derive(Default)]
pub(crate) struct Done {
    finished: Mutex<bool>,
    cv: Condvar,
}

impl Done {
    fn set(&self) {
        *self.finished.lock() = true;
        self.cv.notify_all();
    }

    pub(crate) fn is_set(&self) -> bool {
        *self.finished.lock()
    }

    /// Waits up to `d` for the thread to finish.
    fn wait_for(&self, d: Duration) -> bool {
        let mut f = self.finished.lock();
        if !*f {
            self.cv.wait_for(&mut f, d);
        }
        *f
    }
}

pub(crate) struct Spawned {
    pub(crate) daemon: bool,
    pub(crate) done: Arc<Done>,
    pub(crate) handle: Option<std::thread::JoinHandle<()>>,
}

/// Everything the threads of one run share.
pub(crate) struct RunShared {
    pub(crate) scenario: &'static str,
    pub(crate) recorder: TraceRecorder,
    pub(crate) clock: conlab_native::NativeClock,
    pub(crate) params: Params,
    pub(crate) threads: Mutex<Vec<Spawned>>,
    pub(crate) next_thread: AtomicU32,
    /// Scenario threads whose OS thread has not exited yet.
    pub(crate) live: AtomicUsize,
    /// The server slow requests go to, when the run has one (real IO).
    pub(crate) slow: Option<conlab_native::SlowLink>,
}

/// Scenario code running on one OS thread. A clone is the same thread (its writer shares the
/// buffer), for code that needs to own it.
#[derive(Clone)]
pub struct ThreadCtx {
    pub(crate) shared: Arc<RunShared>,
    pub(crate) writer: EventWriter,
    pub(crate) lane: LaneId,
    pub(crate) name: String,
    pub(crate) watchdog: Arc<Watchdog>,
}

/// A started thread.
pub struct ThreadHandle {
    lane: LaneId,
    name: String,
    done: Arc<Done>,
    watchdog: Arc<Watchdog>,
}

impl ThreadCtx {
    pub(crate) fn new(
        shared: Arc<RunShared>,
        lane: LaneId,
        name: String,
        watchdog: Arc<Watchdog>,
    ) -> ThreadCtx {
        let writer = shared.recorder.writer();
        ThreadCtx {
            shared,
            writer,
            lane,
            name,
            watchdog,
        }
    }

    /// Time since the start of the run.
    #[inline]
    pub fn now(&self) -> Nanos {
        self.shared.clock.now()
    }

    /// This thread's lane.
    pub fn lane(&self) -> LaneId {
        self.lane
    }

    /// This thread's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The id of the scenario this run is of.
    pub fn scenario(&self) -> &'static str {
        self.shared.scenario
    }

    /// The run's parameters.
    pub fn params(&self) -> &Params {
        &self.shared.params
    }

    /// The run's recorder (a writer of its own for each thread that records, such as one
    /// that reads a child process's events).
    pub fn recorder(&self) -> &TraceRecorder {
        &self.shared.recorder
    }

    /// The run's clock (what a child process is given, so its events line up).
    pub fn clock(&self) -> conlab_native::NativeClock {
        self.shared.clock
    }

    /// This thread's writer.
    pub fn writer(&self) -> &EventWriter {
        &self.writer
    }

    /// The watchdog this thread reports to.
    pub fn watchdog(&self) -> &Arc<Watchdog> {
        &self.watchdog
    }

    /// Prints a line of output from this thread.
    pub fn print(&self, text: impl Into<Text>) {
        self.writer.output(self.now(), self.lane, text);
    }

    /// Records a point event on this thread.
    pub fn mark(&self, name: &'static str, detail: impl Into<Text>) {
        self.writer.mark(self.now(), self.lane, name, detail);
    }

    /// Begins phase `name` of the run (a `phase_start` mark, which checks read as
    /// `Checks::phase`), noting the machine's idle time so a check can tell how many cores
    /// the phase could have had.
    pub fn phase_start(&self, name: &'static str) {
        self.mark(conlab_core::PHASE_START, name);
        self.note_machine_idle();
    }

    /// Ends phase `name` (a `phase_end` mark), noting the machine's idle time first.
    pub fn phase_end(&self, name: &'static str) {
        self.note_machine_idle();
        self.mark(conlab_core::PHASE_END, name);
    }

    /// A `machine_idle` mark: the machine's idle time so far, its resolution and the CPUs it
    /// sums (`<ns> <ns> <cpus>`), where the machine says.
    fn note_machine_idle(&self) {
        if let Some(idle) = conlab_native::MachineIdle::now() {
            let cpus = std::thread::available_parallelism().map_or(1, |n| n.get());
            self.mark(
                conlab_core::MACHINE_IDLE_MARK,
                Text::from(format!("{} {} {cpus}", idle.idle_ns, idle.resolution_ns)),
            );
        }
    }

    /// Records a scenario-specific figure.
    pub fn metric(&self, key: &str, value: f64, unit: &str) {
        self.writer.metric(Metric {
            key: key.to_string(),
            value,
            unit: unit.to_string(),
        });
    }

    /// Opens a span on this thread; [`ThreadCtx::end`] closes it.
    pub fn begin(&self, state: SpanState, label: impl Into<Text>) {
        self.writer.begin(self.now(), self.lane, state, label);
    }

    /// Closes the innermost open span.
    pub fn end(&self) {
        self.writer.end(self.now(), self.lane);
    }

    /// Records a whole span.
    pub fn span(&self, state: SpanState, start: Nanos, label: impl Into<Text>) {
        self.writer.span(self.lane, state, start, self.now(), label);
    }

    /// Ends a hold of a lock or permit that began at `since`: reads the end before
    /// `release` runs, so the next holder's span never starts earlier, and records the span
    /// after, so recording does not lengthen the hold (longer holds mean more contention,
    /// which tracing must not add).
    #[inline]
    pub fn end_hold(&self, since: Nanos, label: impl Into<Text>, release: impl FnOnce()) {
        let end = self.now();
        release();
        self.writer
            .span(self.lane, SpanState::HoldingLock, since, end, label);
    }

    /// `Err(Aborted)` once the run is aborted.
    pub fn check(&self) -> Result<(), Aborted> {
        if self.watchdog.is_aborted() {
            Err(Aborted)
        } else {
            Ok(())
        }
    }

    /// Ends the run with a failure: records the reason and aborts every wait.
    pub fn fail(&self, reason: String) -> Aborted {
        self.mark("failure", Text::from(reason.clone()));
        self.watchdog.fail(reason);
        Aborted
    }

    /// Sleeps, recorded as `sleeping`; gives up if the run is aborted.
    pub fn sleep(&self, d: Duration) -> Result<(), Aborted> {
        self.sleep_as(SpanState::Sleeping, d)
    }

    /// Sleeps, recorded as `state` (a download is `blocked_io`).
    pub fn sleep_as(&self, state: SpanState, d: Duration) -> Result<(), Aborted> {
        let _wait = self.waiting(state, "a timer".into(), None, true);
        // After the span's start, so the recorded sleep is never shorter than `d`.
        let until = Instant::now() + d;
        wait_in_slices_until(&self.watchdog, until, |slice| {
            std::thread::sleep(slice);
            None::<()>
        })?;
        Ok(())
    }

    /// Waits for a slow server that answers after `latency`, recorded as `state`: a real
    /// request to the run's test server (natively, when it has one), else a timer.
    pub fn request_as(&self, state: SpanState, latency: Duration) -> Result<(), Aborted> {
        match &self.shared.slow {
            None => self.sleep_as(state, latency),
            Some(link) => {
                let _wait = self.waiting(state, "conlab's test server".into(), None, true);
                link.request_blocking_until(latency, &|| self.watchdog.is_aborted());
                self.check()
            }
        }
    }

    /// How [`ThreadCtx::request_as`] waits in this run, in the words of the `io` mark.
    pub fn io_kind(&self) -> String {
        match &self.shared.slow {
            Some(link) => link.server().describe(),
            None => conlab_core::SIMULATED_IO.to_string(),
        }
    }

    /// Marks this thread as waiting (for the watchdog) and records the wait as a span; the
    /// returned guard ends both.
    pub fn waiting(
        &self,
        state: SpanState,
        what: String,
        holder: Option<LaneId>,
        timed: bool,
    ) -> WaitGuard<'_> {
        self.watchdog.set_waiting(self.lane, what, holder, timed);
        WaitGuard {
            ctx: self,
            span: Some(self.begin_whole(state)),
        }
    }

    /// Begins a span recorded whole when [`ThreadCtx::end_whole`] ends it; until then live
    /// snapshots draw it open, up to their time (a long wait or computation shows as it goes).
    pub fn begin_whole(&self, state: SpanState) -> WholeSpan {
        self.writer.begin_whole(self.lane, state, self.now())
    }

    /// Ends a span begun with [`ThreadCtx::begin_whole`] now.
    pub fn end_whole(&self, span: WholeSpan, label: impl Into<Text>) {
        self.writer.end_whole(span, self.now(), label);
    }

    /// Starts a thread (non-daemon: the run waits for it at the end, as a Python program waits
    /// for its threads).
    pub fn spawn(
        &self,
        name: impl Into<String>,
        body: impl FnOnce(&ThreadCtx) -> Result<(), Aborted> + Send + 'static,
    ) -> Result<ThreadHandle, Aborted> {
        self.spawn_with(name.into(), false, self.watchdog.clone(), body)
    }

    /// Starts a daemon thread: cut off when the scenario's main thread ends.
    pub fn spawn_daemon(
        &self,
        name: impl Into<String>,
        body: impl FnOnce(&ThreadCtx) -> Result<(), Aborted> + Send + 'static,
    ) -> Result<ThreadHandle, Aborted> {
        self.spawn_with(name.into(), true, self.watchdog.clone(), body)
    }

    /// Starts a thread that reports to another watchdog (to watch one group of threads apart
    /// from the rest of the run).
    pub fn spawn_watched(
        &self,
        name: impl Into<String>,
        watchdog: Arc<Watchdog>,
        body: impl FnOnce(&ThreadCtx) -> Result<(), Aborted> + Send + 'static,
    ) -> Result<ThreadHandle, Aborted> {
        self.spawn_with(name.into(), false, watchdog, body)
    }

    /// Places what this thread records from now on at `site`, a line of the code it runs (the
    /// thread seam's scenarios), rather than at the toolkit's own lines.
    pub fn pin_site(&self, site: conlab_core::Site) {
        self.writer.pin_site(Some(site));
    }

    /// A Python-style default thread name: Thread-1, Thread-2, ...
    pub fn next_thread_name(&self) -> String {
        format!(
            "Thread-{}",
            self.shared.next_thread.fetch_add(1, Ordering::Relaxed) + 1
        )
    }

    fn spawn_with(
        &self,
        name: String,
        daemon: bool,
        watchdog: Arc<Watchdog>,
        body: impl FnOnce(&ThreadCtx) -> Result<(), Aborted> + Send + 'static,
    ) -> Result<ThreadHandle, Aborted> {
        let lane = self
            .writer
            .new_lane(self.now(), LaneKind::Thread, name.clone());
        if daemon {
            self.writer.mark(self.now(), lane, "daemon", "");
        }
        // Registered before it starts, so a starting thread counts as running.
        watchdog.register(lane, &name);
        let done = Arc::new(Done::default());
        let ctx = ThreadCtx::new(self.shared.clone(), lane, name.clone(), watchdog.clone());
        let thread_done = done.clone();
        self.shared.live.fetch_add(1, Ordering::AcqRel);
        let spawned = std::thread::Builder::new()
            .name(name.clone())
            .spawn(move || {
                let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| body(&ctx)));
                match result {
                    Ok(Ok(())) => {}
                    Ok(Err(Aborted)) => {
                        ctx.mark("cut_off", "the run was aborted while this thread waited")
                    }
                    Err(_) => {
                        ctx.fail(format!("{} panicked", ctx.name));
                    }
                }
                ctx.writer.end_lane(ctx.now(), ctx.lane);
                ctx.watchdog.unregister(ctx.lane);
                thread_done.set();
                ctx.shared.live.fetch_sub(1, Ordering::AcqRel);
            });
        match spawned {
            Ok(handle) => {
                self.shared.threads.lock().push(Spawned {
                    daemon,
                    done: done.clone(),
                    handle: Some(handle),
                });
                let started = ThreadHandle {
                    lane,
                    name,
                    done,
                    watchdog,
                };
                // The test fault of threads run one after the other: starting one waits for it.
                if conlab_core::faults::active(conlab_core::Fault::SerialThreads) {
                    started.join(self)?;
                }
                Ok(started)
            }
            Err(e) => {
                self.shared.live.fetch_sub(1, Ordering::AcqRel);
                self.writer.end_lane(self.now(), lane);
                Err(self.fail(format!("could not start thread {name}: {e}")))
            }
        }
    }
}

/// Ends a wait: its span and its watchdog entry.
pub struct WaitGuard<'a> {
    ctx: &'a ThreadCtx,
    span: Option<WholeSpan>,
}

impl Drop for WaitGuard<'_> {
    fn drop(&mut self) {
        self.ctx.watchdog.clear_waiting(self.ctx.lane);
        if let Some(span) = self.span.take() {
            self.ctx.end_whole(span, Text::None);
        }
    }
}

impl ThreadHandle {
    /// The thread's lane.
    pub fn lane(&self) -> LaneId {
        self.lane
    }

    /// The thread's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Whether the thread is still running.
    pub fn is_alive(&self) -> bool {
        !self.done.is_set()
    }

    /// Waits for the thread to finish, recorded as `waiting_join`.
    pub fn join(&self, ctx: &ThreadCtx) -> Result<(), Aborted> {
        if !self.is_alive() {
            return Ok(());
        }
        // A thread watched by another watchdog will end one way or the other (that watchdog
        // stops it if it deadlocks), so waiting for it is not part of a deadlock here.
        let elsewhere = !Arc::ptr_eq(&self.watchdog, &ctx.watchdog);
        let _wait = ctx.waiting(
            SpanState::WaitingJoin,
            format!("{} to finish", self.name),
            None,
            elsewhere,
        );
        wait_in_slices(&ctx.watchdog, |slice| {
            self.done.wait_for(slice).then_some(())
        })
    }

    /// Waits at most `timeout` for the thread; returns whether it finished.
    pub fn join_timeout(&self, ctx: &ThreadCtx, timeout: Duration) -> Result<bool, Aborted> {
        let until = Instant::now() + timeout;
        let _wait = ctx.waiting(
            SpanState::WaitingJoin,
            format!("{} to finish", self.name),
            None,
            true,
        );
        let finished = wait_in_slices_until(&ctx.watchdog, until, |slice| {
            self.done.wait_for(slice).then_some(())
        })?;
        Ok(finished.is_some())
    }
}
