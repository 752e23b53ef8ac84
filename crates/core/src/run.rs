//! What a scenario's code sees while it runs (a [`LaneCtx`]: the runtime, the recorder and
//! the parameters, seen from one lane), and how a finished recording becomes a [`Trace`].

use crate::catalog::ScenarioInfo;
use crate::check::Checks;
use crate::params::Params;
use crate::recorder::{EventWriter, LaneName, Text, TraceRecorder, WholeSpan};
use crate::runtime::Runtime;
use crate::task::{spawn_task, JoinError, JoinHandle, TaskGroup};
use crate::trace::{
    LaneId, LaneKind, Metric, Nanos, RuntimeKind, SpanState, Status, Trace, SCHEMA,
};
use std::cell::Cell;
use std::future::Future;
use std::panic::Location;
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll};
use std::time::Duration;

/// A scenario could not complete: why, in one line a person reads, and of what kind.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct ScenarioError {
    /// What kind of failure it was.
    pub kind: FailureKind,
    /// Why, in one line.
    pub message: String,
}

/// The kinds of failure callers tell apart.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FailureKind {
    /// Something the scenario does failed.
    Failed,
    /// A server did not answer or could not be connected to.
    Unreachable,
    /// A server answered with a refusal (access denied, too many connections, …).
    Refused,
    /// A call took longer than its limit.
    TimedOut,
}

impl ScenarioError {
    /// A failure of kind `kind`.
    pub fn new(kind: FailureKind, message: impl Into<String>) -> ScenarioError {
        ScenarioError {
            kind,
            message: message.into(),
        }
    }

    /// Something the scenario does failed.
    pub fn failed(message: impl Into<String>) -> ScenarioError {
        ScenarioError::new(FailureKind::Failed, message)
    }
}

/// The entry point of an async scenario on runtime `R`.
pub type ScenarioFn<R> = fn(LaneCtx<R>) -> Pin<Box<dyn Future<Output = Result<(), ScenarioError>>>>;

/// A scenario's checks: functions of the trace and the parameters.
pub type ChecksFn = fn(&mut Checks);

struct Shared<R> {
    rt: R,
    writer: EventWriter,
    params: Params,
    next_task: Cell<u32>,
    /// Under [`Fault::SerialTasks`](crate::Fault::SerialTasks), the end of the task spawned
    /// last: the next one starts after it.
    #[cfg(feature = "faults")]
    last_task: std::cell::RefCell<Option<crate::sync::Promise<()>>>,
}

/// Scenario code running on one lane: print, sleep, block, spawn tasks, all recorded.
pub struct LaneCtx<R: Runtime> {
    shared: Rc<Shared<R>>,
    lane: LaneId,
}

impl<R: Runtime> Clone for LaneCtx<R> {
    fn clone(&self) -> Self {
        LaneCtx {
            shared: self.shared.clone(),
            lane: self.lane,
        }
    }
}

impl<R: Runtime> LaneCtx<R> {
    /// This lane's id.
    pub fn lane(&self) -> LaneId {
        self.lane
    }

    /// The run's parameters.
    pub fn params(&self) -> &Params {
        &self.shared.params
    }

    /// The runtime.
    pub fn runtime(&self) -> &R {
        &self.shared.rt
    }

    /// The recorder's writer, for scenarios that record by hand.
    pub fn writer(&self) -> &EventWriter {
        &self.shared.writer
    }

    /// Time since the start of the run.
    pub fn now(&self) -> Nanos {
        self.shared.rt.now()
    }

    /// Prints a line of output from this lane.
    #[track_caller]
    pub fn print(&self, text: impl Into<Text>) {
        self.shared.writer.output(self.now(), self.lane, text);
    }

    /// Records a point event on this lane.
    #[track_caller]
    pub fn mark(&self, name: &'static str, detail: impl Into<Text>) {
        self.shared.writer.mark(self.now(), self.lane, name, detail);
    }

    /// Begins phase `name` of the run (a `phase_start` mark, which checks read as
    /// [`Checks::phase`]).
    #[track_caller]
    pub fn phase_start(&self, name: &'static str) {
        self.mark(crate::trace::PHASE_START, name);
    }

    /// Ends phase `name` (a `phase_end` mark).
    #[track_caller]
    pub fn phase_end(&self, name: &'static str) {
        self.mark(crate::trace::PHASE_END, name);
    }

    /// Records a scenario-specific figure.
    pub fn metric(&self, key: &str, value: f64, unit: &str) {
        self.shared.writer.metric(Metric {
            key: key.to_string(),
            value,
            unit: unit.to_string(),
        });
    }

    /// Records a chart drawn from the scenario's measurements.
    pub fn chart(&self, chart: crate::trace::Chart) {
        self.shared.writer.chart(chart);
    }

    /// Records the run's latency as the scenario measured it (see
    /// [`EventWriter::measured_latency`]).
    pub fn measured_latency(&self, latency: crate::trace::LatencySummary) {
        self.shared.writer.measured_latency(latency);
    }

    /// Says how far a long run has got, in one short line the CLI shows while it runs.
    pub fn progress(&self, line: String) {
        self.shared.writer.progress(line);
    }

    /// Sleeps on the runtime's timer, recorded as a `sleeping` span.
    #[track_caller]
    pub fn sleep(&self, duration: Duration) -> LaneSleep<'_, R> {
        self.sleep_as(SpanState::Sleeping, duration)
    }

    /// Waits on the timer but records the wait as `state` (a simulated download is
    /// `blocked_io`, a simulated query `in_flight`). A zero duration still yields once, as
    /// `asyncio.sleep(0)` does. If the task is cancelled mid-wait, the span ends there.
    #[track_caller]
    pub fn sleep_as(&self, state: SpanState, duration: Duration) -> LaneSleep<'_, R> {
        LaneSleep {
            ctx: self,
            span: Some(self.shared.writer.begin_whole(self.lane, state, self.now())),
            timer: (!duration.is_zero()).then(|| self.shared.rt.sleep(duration)),
            yielded: false,
        }
    }

    /// Waits for a slow server that answers after `latency` ([`Runtime::slow_request`]: a real
    /// request natively, a timer elsewhere), recorded as `state`.
    #[track_caller]
    pub fn request_as(&self, state: SpanState, latency: Duration) -> LaneSleep<'_, R> {
        let rt = &self.shared.rt;
        LaneSleep {
            ctx: self,
            span: Some(self.shared.writer.begin_whole(self.lane, state, self.now())),
            timer: (!latency.is_zero() || rt.real_io()).then(|| rt.slow_request(latency)),
            yielded: false,
        }
    }

    /// Records in an `io` mark how this run's slow requests wait (real or simulated).
    pub fn mark_io_kind(&self) {
        self.mark("io", Text::from(self.shared.rt.io_kind()));
    }

    /// Runs `future`, recording the time it takes as a span in `state`. If the task is
    /// cancelled meanwhile, the span ends at the cancellation.
    /// The span begins when the returned future is first polled; it is attributed to the line
    /// that called this.
    #[track_caller]
    pub fn during<'a, T, F>(
        &'a self,
        state: SpanState,
        label: impl Into<Text>,
        future: F,
    ) -> impl Future<Output = T> + 'a
    where
        F: Future<Output = T> + 'a,
    {
        let site = Location::caller();
        let label = label.into();
        async move {
            self.shared
                .writer
                .begin_at(site, self.now(), self.lane, state, label);
            let _end = EndSpan(self);
            future.await
        }
    }

    /// A blocking call that holds the thread and the event loop, recorded as `blocking`.
    #[track_caller]
    pub fn block(&self, duration: Duration) {
        let start = self.now();
        self.shared.rt.block_thread(duration);
        self.shared.writer.span(
            self.lane,
            SpanState::Blocking,
            start,
            self.now(),
            Text::None,
        );
    }

    /// CPU-bound work, recorded as `computing`.
    #[track_caller]
    pub fn compute(&self, duration: Duration) {
        let start = self.now();
        self.shared.rt.burn_cpu(duration);
        self.shared.writer.span(
            self.lane,
            SpanState::Computing,
            start,
            self.now(),
            Text::None,
        );
    }

    /// A new lane (a coroutine, a worker) that this code can record on.
    pub fn new_lane(&self, kind: LaneKind, name: impl Into<LaneName>) -> LaneCtx<R> {
        let lane = self.shared.writer.new_lane(self.now(), kind, name);
        LaneCtx {
            shared: self.shared.clone(),
            lane,
        }
    }

    /// Ends this lane.
    pub fn end(&self) {
        self.shared.writer.end_lane(self.now(), self.lane);
    }

    fn next_task_number(&self) -> u32 {
        let n = self.shared.next_task.get() + 1;
        self.shared.next_task.set(n);
        n
    }

    /// Spawns a task on a lane of its own (`task-1`, `task-2`, ...). The lane ends when the
    /// task finishes; a cancelled task gets a `cancelled` mark.
    pub fn spawn<T, F, Fut>(&self, body: F) -> JoinHandle<T>
    where
        T: 'static,
        F: FnOnce(LaneCtx<R>) -> Fut,
        Fut: Future<Output = T> + 'static,
    {
        let n = self.next_task_number();
        self.spawn_named(LaneName::Numbered(n), body)
    }

    /// Spawns a task on a lane with the given name.
    pub fn spawn_named<T, F, Fut>(&self, name: impl Into<LaneName>, body: F) -> JoinHandle<T>
    where
        T: 'static,
        F: FnOnce(LaneCtx<R>) -> Fut,
        Fut: Future<Output = T> + 'static,
    {
        let task = self.new_lane(LaneKind::Task, name);
        let future = body(task.clone());
        task.schedule(future)
    }

    /// The task's future as it is; under the test fault
    /// [`Fault::SerialTasks`](crate::Fault::SerialTasks), made to start only when the task
    /// spawned before it has ended.
    #[cfg(not(feature = "faults"))]
    #[inline(always)]
    fn in_turn<T>(&self, future: impl Future<Output = T>) -> impl Future<Output = T> {
        future
    }

    #[cfg(feature = "faults")]
    fn in_turn<T>(
        &self,
        future: impl Future<Output = T> + 'static,
    ) -> impl Future<Output = T> + 'static {
        /// Marks a task's turn over however it ends (finished, cancelled or dropped).
        struct Over(Option<crate::sync::Promise<()>>);
        impl Drop for Over {
            fn drop(&mut self) {
                if let Some(p) = self.0.take() {
                    p.set(());
                }
            }
        }
        let turn = crate::faults::active(crate::Fault::SerialTasks).then(|| {
            let mine = crate::sync::Promise::new();
            let before = self.shared.last_task.replace(Some(mine.clone()));
            (before, mine)
        });
        async move {
            let _over = match turn {
                Some((before, mine)) => {
                    let over = Over(Some(mine));
                    if let Some(before) = before {
                        before.get().await;
                    }
                    Some(over)
                }
                None => None,
            };
            future.await
        }
    }

    /// Spawns a task into a group (for gathering many results in order), on a lane of its own.
    pub fn spawn_into<T, F, Fut>(&self, group: &TaskGroup<T>, body: F)
    where
        T: 'static,
        F: FnOnce(LaneCtx<R>) -> Fut,
        Fut: Future<Output = T> + 'static,
    {
        let n = self.next_task_number();
        let task = self.new_lane(LaneKind::Task, LaneName::Numbered(n));
        let finish = task.clone();
        let future = self.in_turn(body(task));
        group.spawn_with(&self.shared.rt, future, move || finish.end());
    }

    /// Schedules an existing future as a task on this lane (which ends when the task
    /// finishes). Until then the future is inert: creating it ran none of its body.
    pub fn schedule<T: 'static>(&self, future: impl Future<Output = T> + 'static) -> JoinHandle<T> {
        let finish = self.clone();
        let future = self.in_turn(future);
        spawn_task(&self.shared.rt, future, move |cancelled| {
            if cancelled {
                finish.mark("cancelled", "");
            }
            finish.end();
        })
    }

    /// Awaits a task, recording the wait as `waiting_join`.
    #[track_caller]
    pub fn join<T: 'static>(
        &self,
        handle: JoinHandle<T>,
    ) -> impl Future<Output = Result<T, JoinError>> + '_ {
        self.during(SpanState::WaitingJoin, Text::None, handle)
    }
}

pin_project_lite::pin_project! {
    /// A recorded sleep (see [`LaneCtx::sleep_as`]). The span is recorded as one event when the
    /// future is dropped: right after it completes, or when its task is cancelled mid-wait.
    pub struct LaneSleep<'a, R: Runtime> {
        ctx: &'a LaneCtx<R>,
        // The span, open (and drawn live) until the sleep ends.
        span: Option<WholeSpan>,
        #[pin]
        timer: Option<R::Sleep>,
        yielded: bool,
    }

    impl<'a, R: Runtime> PinnedDrop for LaneSleep<'a, R> {
        fn drop(this: Pin<&mut Self>) {
            let this = this.project();
            let ctx = *this.ctx;
            if let Some(span) = this.span.take() {
                ctx.shared.writer.end_whole(span, ctx.now(), Text::None);
            }
        }
    }
}

impl<R: Runtime> Future for LaneSleep<'_, R> {
    type Output = ();

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let this = self.project();
        match this.timer.as_pin_mut() {
            Some(timer) => timer.poll(cx),
            None if *this.yielded => Poll::Ready(()),
            None => {
                *this.yielded = true;
                cx.waker().wake_by_ref();
                Poll::Pending
            }
        }
    }
}

/// Ends the innermost open span of a lane when dropped.
struct EndSpan<'a, R: Runtime>(&'a LaneCtx<R>);

impl<R: Runtime> Drop for EndSpan<'_, R> {
    fn drop(&mut self) {
        self.0.shared.writer.end(self.0.now(), self.0.lane);
    }
}

/// A fresh recording with its main lane, ready to run a scenario on `rt`.
pub struct RunSetup<R: Runtime> {
    /// The recording.
    pub recorder: TraceRecorder,
    /// The main lane.
    pub main: LaneCtx<R>,
}

impl<R: Runtime> RunSetup<R> {
    /// Creates the recording and the `main` lane at the runtime's current time.
    pub fn new(rt: R, params: Params) -> RunSetup<R> {
        RunSetup::with_recorder(rt, params, TraceRecorder::new())
    }

    /// Like [`RunSetup::new`], recording into an existing recorder (one a watchdog also holds).
    pub fn with_recorder(rt: R, params: Params, recorder: TraceRecorder) -> RunSetup<R> {
        let writer = recorder.writer();
        let lane = writer.new_lane(rt.now(), LaneKind::Main, "main");
        RunSetup {
            recorder,
            main: LaneCtx {
                shared: Rc::new(Shared {
                    rt,
                    writer,
                    params,
                    next_task: Cell::new(0),
                    #[cfg(feature = "faults")]
                    last_task: Default::default(),
                }),
                lane,
            },
        }
    }
}

/// Everything about a run besides its recording: built once when the run starts (by the
/// runtime that runs it) and used for every trace of that run, live snapshots included.
#[derive(Debug, Clone)]
pub struct TraceMeta {
    /// The scenario.
    pub info: &'static ScenarioInfo,
    /// Where it ran.
    pub runtime: RuntimeKind,
    /// Its parameters.
    pub params: Params,
    /// Wall-clock start, where known.
    pub recorded_at: Option<String>,
    /// The machine, where known.
    pub host: Option<String>,
    /// The cores it computes on, where it runs on real ones (see [`Trace::cores`]).
    pub cores: Option<u32>,
}

impl TraceMeta {
    /// Turns a recording into a trace: merges events, computes metrics and runs the checks.
    /// Scenario checks run only on a completed run; the `completed` check always comes first.
    pub fn finish(
        &self,
        checks: ChecksFn,
        recorder: &TraceRecorder,
        end: Nanos,
        status: Status,
    ) -> Trace {
        // Natively the events are handed over, so a run of millions of events never holds them
        // and the trace at once; a page's runs are far smaller, and merging them the one way
        // live snapshots do keeps a second copy of the merge out of the download.
        #[cfg(not(target_arch = "wasm32"))]
        let recording = within(recorder.take(end), end);
        #[cfg(target_arch = "wasm32")]
        let recording = recorder.collect(end);
        let mut metrics = crate::metrics::compute(&recording.spans, end, self.cores);
        metrics.extra = recorder.metrics();
        if let Some(latency) = recorder.measured_latency() {
            metrics.latency = Some(measured(latency));
        }
        // A stopped run's partial trace is shown as it is: its checks would judge a run that
        // never got to its end (`run_checks` gives it none).
        let mut trace = self.assemble(recording, metrics, end, status);
        trace.charts = recorder.charts();
        trace.checks = run_checks(&trace, &self.params, checks);
        trace
    }

    /// What a run has recorded so far, as a trace to draw while it goes on: no metrics or
    /// checks yet, status `Ok` until it ends, spans still open closed at `end`. The recorder
    /// keeps its events. `None` once the run's end has begun taking them over (see
    /// [`TraceRecorder::collect_live`]): then only the finished trace tells what it did.
    pub fn snapshot(&self, recorder: &TraceRecorder, end: Nanos) -> Option<Trace> {
        let recording = recorder.collect_live(end)?;
        let mut trace = self.assemble(recording, crate::trace::Metrics::default(), end, Status::Ok);
        trace.charts = recorder.charts();
        Some(trace)
    }

    /// The trace of a run that ended before it started: skipped (a server or a feature is
    /// missing) or failed while being set up.
    pub fn without_recording(&self, status: Status) -> Trace {
        self.finish(|_| {}, &TraceRecorder::new(), 0, status)
    }

    fn assemble(
        &self,
        recording: crate::recorder::Recording,
        metrics: crate::trace::Metrics,
        end: Nanos,
        status: Status,
    ) -> Trace {
        Trace {
            schema: SCHEMA.to_string(),
            scenario: self.info.id.to_string(),
            runtime: self.runtime,
            params: self.params.to_map(),
            recorded_at: self.recorded_at.clone(),
            host: self.host.clone(),
            cores: self.cores,
            interpreter: None,
            status,
            end,
            lanes: recording.lanes,
            spans: recording.spans,
            marks: recording.marks,
            output: recording.output,
            metrics,
            checks: Vec::new(),
            sites: recording.sites,
            charts: Vec::new(),
        }
    }
}

/// The recording with nothing after `end`: the tasks of a stopped run are dropped after it
/// ended, and a sleep or wait cut short that way records its end as it is dropped.
#[cfg(not(target_arch = "wasm32"))]
fn within(mut r: crate::recorder::Recording, end: Nanos) -> crate::recorder::Recording {
    for s in &mut r.spans {
        s.end = s.end.min(end);
        s.start = s.start.min(s.end);
    }
    for l in &mut r.lanes {
        l.start = l.start.min(end);
        l.end = l.end.map(|e| e.clamp(l.start, end));
    }
    for m in &mut r.marks {
        m.t = m.t.min(end);
    }
    for o in &mut r.output {
        o.t = o.t.min(end);
    }
    r
}

fn measured(latency: crate::trace::LatencySummary) -> crate::trace::LatencySummary {
    crate::trace::LatencySummary {
        measured: true,
        ..latency
    }
}

/// Runs a scenario's checks against a trace. A run that did not happen as a whole (stopped,
/// refused, lost, skipped: see [`Status::is_judged`]) gets none; a run that failed gets only
/// `completed`.
pub fn run_checks(
    trace: &Trace,
    params: &Params,
    checks: ChecksFn,
) -> Vec<crate::trace::CheckResult> {
    run_checks_with_promises(trace, params, checks).0
}

/// Like [`run_checks`], also returning what the checks promise (which wrong behaviours each
/// guards against, which phases they read).
pub fn run_checks_with_promises(
    trace: &Trace,
    params: &Params,
    checks: ChecksFn,
) -> (Vec<crate::trace::CheckResult>, crate::check::Promises) {
    if !trace.status.is_judged() {
        return (Vec::new(), Default::default());
    }
    let mut c = Checks::new(trace, params);
    c.completed();
    if trace.status == Status::Ok {
        checks(&mut c);
    }
    c.finish_with_promises()
}
