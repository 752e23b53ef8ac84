//! Thread scenarios on the deterministic scheduler: each thread's code on `conlab-sched`,
//! recording into the run's trace in virtual time.

use crate::thread::{Handle, HandleKind, Kind, Thread, ThreadFn};
use crate::Aborted;
use conlab_core::catalog::ScenarioInfo;
use conlab_core::{
    ChecksFn, EventWriter, LaneId, LaneKind, Params, RuntimeKind, Site, SpanState, Status, Text,
    Trace, TraceMeta, TraceRecorder,
};
use conlab_sched::{End, RunLimits, RunReport, Scheduler, Strategy};
use std::cell::{Cell, RefCell};
use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;

/// What a scheduled run shares: its parameters, thread names, recorder and threads.
pub(crate) struct SchedRun {
    pub(crate) params: Params,
    pub(crate) next_thread: Cell<u32>,
    /// The recording of a full run (none for a marks-only run).
    recorder: Option<TraceRecorder>,
    /// The one writer of a full recording.
    writer: std::cell::OnceCell<EventWriter>,
    /// A marks-only run's marks, kept here rather than in the recorder, whose merge a search
    /// would pay for every schedule; and its lanes' count.
    marks: RefCell<Vec<conlab_core::Mark>>,
    /// In a marks-only run, the marks kept, if not all.
    kept: Option<&'static [&'static str]>,
    lanes: Cell<LaneId>,
    /// Each scheduler thread's lane, by thread id.
    lane_of: RefCell<Vec<LaneId>>,
    /// Lanes that belong to no thread (the GIL's), ended with the main thread.
    own_lanes: RefCell<Vec<LaneId>>,
    /// Threads started by the scenario (not the main thread), for the main thread to wait for
    /// at the end as Python's interpreter does, each with whether it is a daemon (not waited
    /// for: cut off).
    started: RefCell<Vec<(conlab_sched::JoinHandle, bool)>>,
}

impl SchedRun {
    /// Scheduler thread `id`'s writer (none in a marks-only run) and its new lane.
    fn new_lane(
        &self,
        id: conlab_sched::ThreadId,
        t: conlab_core::Nanos,
        kind: LaneKind,
        name: impl Into<conlab_core::LaneName>,
        parent: Option<LaneId>,
    ) -> (Option<EventWriter>, LaneId) {
        let (writer, lane) = self.lane_for(t, kind, name, parent);
        let mut lane_of = self.lane_of.borrow_mut();
        let i = id.0 as usize;
        if lane_of.len() <= i {
            lane_of.resize(i + 1, 0);
        }
        lane_of[i] = lane;
        (writer, lane)
    }

    /// Scheduler thread `id`'s lane, once it has one.
    pub(crate) fn lane_of_thread(&self, id: conlab_sched::ThreadId) -> Option<LaneId> {
        self.lane_of.borrow().get(id.0 as usize).copied()
    }

    fn lane_for(
        &self,
        t: conlab_core::Nanos,
        kind: LaneKind,
        name: impl Into<conlab_core::LaneName>,
        parent: Option<LaneId>,
    ) -> (Option<EventWriter>, LaneId) {
        if let Some(recorder) = &self.recorder {
            // Every thread records through one writer (clones share its buffer): the run is
            // on one OS thread, and one buffer keeps the order steps happened in, which time
            // alone cannot tell where several steps share an instant of virtual time.
            let writer = self.writer.get_or_init(|| recorder.writer()).clone();
            let lane = match parent {
                Some(parent) => writer.new_lane_under(t, kind, name, parent),
                None => writer.new_lane(t, kind, name),
            };
            (Some(writer), lane)
        } else {
            let lane = self.lanes.get();
            self.lanes.set(lane + 1);
            (None, lane)
        }
    }
}

/// One thread of a scheduled run.
pub(crate) struct SchedThread {
    pub(crate) ctx: conlab_sched::Ctx,
    /// Where it records (none in a marks-only run).
    writer: Option<EventWriter>,
    pub(crate) lane: LaneId,
    pub(crate) run: Rc<SchedRun>,
    /// The line of the scenario's code of the operation it is at, which what it records is
    /// attributed to (its operations are futures, which cannot pass their caller on).
    pub(crate) site: Cell<Option<Site>>,
}

impl SchedThread {
    /// The line the thread is at: its operation's, or (before its first) this crate's.
    #[track_caller]
    pub(crate) fn site(&self) -> Site {
        self.site.get().unwrap_or(std::panic::Location::caller())
    }

    /// Ends this thread's lane.
    pub(crate) fn end_lane(&self) {
        if let Some(w) = &self.writer {
            w.end_lane(self.ctx.now(), self.lane);
        }
    }

    /// Records a span of this thread, unless the run records only marks.
    pub(crate) fn span(
        &self,
        state: SpanState,
        start: conlab_core::Nanos,
        end: conlab_core::Nanos,
        label: Text,
    ) {
        if let Some(w) = &self.writer {
            w.span_at(self.site(), self.lane, state, start, end, label);
        }
    }

    /// Records a span on another lane (the GIL's), at this thread's line.
    pub(crate) fn span_on(
        &self,
        lane: LaneId,
        state: SpanState,
        start: conlab_core::Nanos,
        end: conlab_core::Nanos,
        label: impl Into<Text>,
    ) {
        if let Some(w) = &self.writer {
            w.span_at(self.site(), lane, state, start, end, label);
        }
    }

    /// A new lane of the run that belongs to no thread (the GIL's), appearing now.
    pub(crate) fn new_lane(&self, kind: LaneKind, name: &'static str) -> LaneId {
        let lane = self.run.lane_for(self.ctx.now(), kind, name, None).1;
        self.run.own_lanes.borrow_mut().push(lane);
        lane
    }

    /// Begins a span of this thread at its line, recorded whole when it ends (none in a
    /// marks-only run).
    pub(crate) fn begin_whole(
        &self,
        state: SpanState,
        start: conlab_core::Nanos,
    ) -> Option<conlab_core::WholeSpan> {
        let w = self.writer.as_ref()?;
        Some(w.begin_whole_at(self.site(), self.lane, state, start))
    }

    /// Time this thread spends in `state` from now (sleeping, working, waiting), until the
    /// returned guard is dropped.
    pub(crate) fn spend(&self, state: SpanState) -> Spent<'_> {
        Spent {
            thread: self,
            span: self.begin_whole(state, self.ctx.now()),
            label: Text::None,
        }
    }

    /// A wait in `state` that may begin now, placed in a step-through where it began:
    /// recorded when it ends if the thread had to wait ([`WaitSpan::end`]), and if the
    /// thread is cut off in it, up to then.
    #[inline(never)]
    pub(crate) fn begin_wait(&self, state: SpanState) -> WaitSpan<'_> {
        WaitSpan {
            spent: self.spend(state),
            asked: self.ctx.now(),
        }
    }

    /// Ends a span begun with [`SchedThread::begin_whole`] at `end`.
    pub(crate) fn end_whole(
        &self,
        span: conlab_core::WholeSpan,
        end: conlab_core::Nanos,
        label: Text,
    ) {
        if let Some(w) = &self.writer {
            w.end_whole(span, end, label);
        }
    }

    /// Records a metric, unless the run records only marks.
    pub(crate) fn metric(&self, metric: conlab_core::Metric) {
        if let Some(w) = &self.writer {
            w.metric(metric);
        }
    }

    /// Records a line of output, unless the run records only marks.
    pub(crate) fn output(&self, text: Text) {
        if let Some(w) = &self.writer {
            w.output_at(self.site(), self.ctx.now(), self.lane, text);
        }
    }

    /// Records a mark of this thread.
    /// Whether this run keeps marks named `name` (a search's run keeps only those its
    /// scenario's properties read, where the scenario says which).
    pub(crate) fn keeps(&self, name: &str) -> bool {
        self.writer.is_some() || self.run.kept.is_none_or(|kept| kept.contains(&name))
    }

    pub(crate) fn mark(&self, name: &'static str, detail: Text) {
        if let Some(w) = &self.writer {
            w.mark_at(self.site(), self.ctx.now(), self.lane, name, detail);
        } else if self.keeps(name) {
            let mut marks = self.run.marks.borrow_mut();
            let order = marks.len() as u64 + 1;
            marks.push(conlab_core::Mark {
                lane: self.lane,
                t: self.ctx.now(),
                name: name.to_string(),
                detail: detail.into_string(),
                order,
                site: None,
            });
        }
    }

    pub(crate) async fn step_print(&self) {
        // A print is a step of its own: `Event`-free, always runnable.
        self.ctx.print("").await;
    }

    /// Starts a thread running `body`, as `how` says.
    pub(crate) fn spawn<F, Fut>(
        &self,
        name: String,
        how: Start,
        body: F,
    ) -> impl Future<Output = Handle> + '_
    where
        F: FnOnce(Thread) -> Fut + 'static,
        Fut: Future<Output = Result<(), Aborted>> + 'static,
    {
        self.spawn_lane(name, how, LaneKind::Thread, None, boxed(body))
    }

    /// Starts a thread running `body` on a lane of `kind` (a process's, which on the
    /// scheduler is a thread whose code shares nothing with its parent's).
    pub(crate) fn spawn_as<F, Fut>(
        &self,
        name: String,
        how: Start,
        kind: LaneKind,
        body: F,
    ) -> impl Future<Output = Handle> + '_
    where
        F: FnOnce(Thread) -> Fut + 'static,
        Fut: Future<Output = Result<(), Aborted>> + 'static,
    {
        self.spawn_lane(name, how, kind, None, boxed(body))
    }

    /// Starts a thread of the process on lane `process` (a manager's serving thread), its
    /// lane nested under the process's.
    pub(crate) fn spawn_under<F, Fut>(
        &self,
        name: String,
        process: LaneId,
        body: F,
    ) -> impl Future<Output = Handle> + '_
    where
        F: FnOnce(Thread) -> Fut + 'static,
        Fut: Future<Output = Result<(), Aborted>> + 'static,
    {
        self.spawn_lane(
            name,
            Start::Plain,
            LaneKind::Thread,
            Some(process),
            boxed(body),
        )
    }

    /// Starts a thread; not generic, so that the page's Worker carries one copy of it (and of
    /// the scheduler's spawning), not one per thread body.
    async fn spawn_lane(
        &self,
        name: String,
        how: Start,
        kind: LaneKind,
        parent: Option<LaneId>,
        body: BoxedBody,
    ) -> Handle {
        let run = self.run.clone();
        let lane_name = name.clone();
        // Until it does something, a thread is at the line that started it.
        let site = self.site.get();
        let start = move |ctx: conlab_sched::Ctx| {
            let (writer, lane) = run.new_lane(ctx.id(), ctx.now(), kind, lane_name, parent);
            let thread = Rc::new(SchedThread {
                ctx,
                writer,
                lane,
                run,
                site: Cell::new(site),
            });
            if how == Start::Daemon {
                thread.mark("daemon", Text::None);
            }
            let me = Thread {
                kind: Kind::Sched(thread),
            };
            OwnLane {
                body: Some(body(me.clone())),
                me,
            }
        };
        let handle = match how {
            Start::Plain => self.ctx.spawn(name.clone(), start).await,
            Start::In(group) => self.ctx.spawn_in(group, name.clone(), start).await,
            Start::Daemon => self.ctx.spawn_daemon(name.clone(), start).await,
        };
        let daemon = how == Start::Daemon;
        self.run.started.borrow_mut().push((handle, daemon));
        Handle {
            kind: HandleKind::Sched { handle, name },
        }
    }

    pub(crate) async fn join_timeout(
        &self,
        handle: conlab_sched::JoinHandle,
        name: &str,
        timeout: std::time::Duration,
    ) -> bool {
        let waiting = self.begin_wait(SpanState::WaitingJoin);
        let finished = self.ctx.join_timeout(handle, timeout).await;
        waiting.end(false, || Text::from(format!("{name} to finish")));
        finished
    }

    pub(crate) async fn join(&self, handle: conlab_sched::JoinHandle, name: &str) {
        let waiting = self.begin_wait(SpanState::WaitingJoin);
        self.ctx.join(handle).await;
        waiting.end(false, || Text::from(format!("{name} to finish")));
    }
}

/// Time a scheduled thread spends in one state, begun where it began, so that a step-through
/// places it there even when it takes no virtual time (the thread could not step while others
/// did), and recorded whole when it ends or the thread is cut off in it (a daemon at the run's
/// end: up to then).
pub(crate) struct Spent<'a> {
    thread: &'a SchedThread,
    span: Option<conlab_core::WholeSpan>,
    /// What the span says (a pool's task: `task 3`).
    pub(crate) label: Text,
}

impl Drop for Spent<'_> {
    fn drop(&mut self) {
        if let Some(span) = self.span.take() {
            let label = std::mem::replace(&mut self.label, Text::None);
            self.thread.end_whole(span, self.thread.ctx.now(), label);
        }
    }
}

/// A wait begun with [`SchedThread::begin_wait`].
pub(crate) struct WaitSpan<'a> {
    spent: Spent<'a>,
    asked: conlab_core::Nanos,
}

impl WaitSpan<'_> {
    /// The wait is over: recorded, with `label`, if the thread had to wait (`waited`, the
    /// scheduler saw it could not step, or time passed), forgotten if it went straight on.
    #[inline(never)]
    pub(crate) fn end(mut self, waited: bool, label: impl FnOnce() -> Text) {
        let s = self.spent.thread;
        if s.writer.is_none() {
            // A marks-only run records no spans.
        } else if waited || s.ctx.waited() || s.ctx.now() > self.asked {
            self.spent.label = label();
        } else if let (Some(span), Some(w)) = (self.spent.span.take(), &s.writer) {
            w.cancel_whole(span);
        }
    }
}

/// A thread's code, boxed.
type BoxedBody = Box<dyn FnOnce(Thread) -> ThreadFuture>;
type ThreadFuture = Pin<Box<dyn Future<Output = Result<(), Aborted>>>>;

fn boxed<F, Fut>(body: F) -> BoxedBody
where
    F: FnOnce(Thread) -> Fut + 'static,
    Fut: Future<Output = Result<(), Aborted>> + 'static,
{
    Box::new(move |me| Box::pin(body(me)))
}

/// How a thread starts on the scheduler.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Start {
    /// As `threading.Thread(…).start()`.
    Plain,
    /// In a group watched for a deadlock of its own.
    In(conlab_sched::Group),
    /// As a daemon (`daemon=True`): cut off when every other thread has finished.
    Daemon,
}

/// A scheduled thread's code, which ends the thread's lane however it ends: returning, or cut
/// off in a deadlock of its group (dropped: its code first, letting go what it held).
struct OwnLane {
    body: Option<ThreadFuture>,
    me: Thread,
}

impl OwnLane {
    fn end(&self, finished: bool) {
        if let Kind::Sched(s) = &self.me.kind {
            if !finished {
                // At the line the thread was cut off at.
                s.mark(
                    "cut_off",
                    Text::Static("the run was aborted while this thread waited"),
                );
            }
            s.end_lane();
        }
    }
}

impl Future for OwnLane {
    type Output = ();

    fn poll(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<()> {
        let Some(body) = self.body.as_mut() else {
            return std::task::Poll::Ready(());
        };
        let std::task::Poll::Ready(result) = body.as_mut().poll(cx) else {
            return std::task::Poll::Pending;
        };
        self.body = None;
        self.end(result.is_ok());
        std::task::Poll::Ready(())
    }
}

impl Drop for OwnLane {
    fn drop(&mut self) {
        if self.body.take().is_some() {
            self.end(false);
        }
    }
}

/// The scheduler's limits for scenario runs: 2 virtual cores, and far more steps than any
/// scenario at its largest parameters takes.
pub const SCHEDULER_LIMITS: RunLimits = RunLimits {
    cores: 2,
    max_steps: 5_000_000,
    record_steps: false,
};

/// A scenario run on the scheduler: its trace, and what the scheduler reports of it (the
/// choices made, which replay it).
pub struct Scheduled {
    /// The trace, judged by the scenario's checks.
    pub trace: Trace,
    /// The scheduler's report.
    pub report: RunReport,
}

/// What a scheduled run records.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Recording {
    /// Everything: lanes, spans, marks and output (a run to show).
    Full,
    /// Lanes and marks only: a search's runs, whose properties read marks.
    MarksOnly,
    /// Lanes and only the marks named (those a scenario's properties read): a search's runs
    /// of a scenario that says which they are, so that it does not make the others.
    SomeMarks(&'static [&'static str]),
}

/// Runs a thread scenario on the scheduler, `strategy` choosing at every point where more
/// than one thread can step; `always` are checks every thread run ends with.
#[allow(clippy::too_many_arguments)]
pub fn run_scheduled(
    info: &'static ScenarioInfo,
    run: ThreadFn,
    checks: ChecksFn,
    always: Option<ChecksFn>,
    params: &Params,
    strategy: &mut dyn Strategy,
    limits: RunLimits,
    recording: Recording,
    stop: &dyn Fn() -> bool,
) -> Scheduled {
    let recorder = (recording == Recording::Full).then(TraceRecorder::new);
    let shared = Rc::new(SchedRun {
        params: params.clone(),
        next_thread: Cell::new(0),
        recorder: recorder.clone(),
        writer: std::cell::OnceCell::new(),
        marks: RefCell::new(Vec::with_capacity(64)),
        kept: match recording {
            Recording::SomeMarks(kept) => Some(kept),
            _ => None,
        },
        lanes: Cell::new(0),
        lane_of: RefCell::new(Vec::with_capacity(8)),
        own_lanes: RefCell::new(Vec::new()),
        started: RefCell::new(Vec::with_capacity(8)),
    });
    let outcome: Rc<Cell<Option<Result<(), Aborted>>>> = Rc::new(Cell::new(None));
    let scheduler = Scheduler::new(limits);
    {
        let (shared, outcome) = (shared.clone(), outcome.clone());
        scheduler.spawn("MainThread", move |ctx| {
            let (writer, lane) = shared.new_lane(ctx.id(), 0, LaneKind::Main, "MainThread", None);
            let me = Thread {
                kind: Kind::Sched(Rc::new(SchedThread {
                    ctx,
                    writer,
                    lane,
                    run: shared.clone(),
                    site: Cell::new(None),
                })),
            };
            async move {
                let result = run(me.clone()).await;
                if let Kind::Sched(s) = &me.kind {
                    if result.is_ok() {
                        // Interpreter shutdown: wait for every thread the scenario started,
                        // but daemons, which are cut off.
                        let started = s.run.started.borrow().clone();
                        let asked = s.ctx.now();
                        for (h, _) in started.iter().filter(|(_, daemon)| !daemon) {
                            s.ctx.join(*h).await;
                        }
                        let daemons = started
                            .iter()
                            .filter(|(h, daemon)| *daemon && !s.ctx.finished(*h))
                            .count();
                        if daemons > 0 {
                            let words = format!(
                                "{} cut off",
                                conlab_core::count_of(daemons, "daemon thread", "daemon threads")
                            );
                            s.mark("daemons_cut_off", Text::from(words));
                        }
                        if s.ctx.now() > asked {
                            s.span(
                                SpanState::WaitingJoin,
                                asked,
                                s.ctx.now(),
                                Text::Static("waiting for non-daemon threads"),
                            );
                        }
                    }
                    if let Some(w) = &s.writer {
                        for lane in s.run.own_lanes.borrow().iter() {
                            w.end_lane(s.ctx.now(), *lane);
                        }
                    }
                    s.end_lane();
                }
                outcome.set(Some(result));
            }
        });
    }
    if recording == Recording::Full {
        // Wake links: a mark on the waker's lane, "waker-lane woken-lane words", which the
        // timeline draws as an arrow and the step text says.
        // Told once the woken thread steps, each is placed where the waker's step ended.
        let placing = shared.clone();
        scheduler.place_wakes(move || placing.writer.get().map_or(0, EventWriter::position));
        let shared = shared.clone();
        scheduler.on_wake(move |w| {
            let (Some(writer), lane_of) = (shared.writer.get(), shared.lane_of.borrow()) else {
                return;
            };
            let lane = |id: conlab_sched::ThreadId| lane_of.get(id.0 as usize).copied();
            if let (Some(from), Some(to)) = (lane(w.waker), lane(w.woken)) {
                let detail = format!("{from} {to} {}", w.words);
                writer.mark_placed(w.place, w.t, from, "wakes", Text::from(detail));
            }
        });
    }
    let report = scheduler.run_until(strategy, stop);
    let status = match (&report.end, outcome.take()) {
        (End::Completed, Some(Ok(()))) => Status::Ok,
        (End::Completed, _) => Status::Failed {
            reason: "the run was aborted".into(),
        },
        (End::Deadlock(waits), _) => Status::Failed {
            reason: End::deadlock_words(waits),
        },
        (End::StepLimit, _) => Status::Failed {
            reason: format!("the run took more than {} steps", limits.max_steps),
        },
        (End::Misfit(step), _) => Status::Refused {
            reason: format!("the schedule does not fit this run: it has no choice for step {step}"),
        },
        (End::Foreign(why), _) => Status::Failed {
            reason: why.clone(),
        },
        (End::Stopped, _) => Status::Stopped {
            after_ms: report.elapsed / 1_000_000,
        },
    };
    let mut trace = if let Some(recorder) = &recorder {
        let meta = TraceMeta {
            info,
            runtime: RuntimeKind::Virtual,
            params: params.clone(),
            recorded_at: None,
            host: None,
            cores: Some(limits.cores),
        };
        meta.finish(checks, recorder, report.elapsed, status)
    } else {
        // What a search's property reads, and no more: its marks, its status and its end.
        Trace {
            schema: conlab_core::SCHEMA.to_string(),
            scenario: info.id.to_string(),
            runtime: RuntimeKind::Virtual,
            params: Default::default(),
            recorded_at: None,
            host: None,
            cores: Some(limits.cores),
            interpreter: None,
            status,
            end: report.elapsed,
            lanes: Vec::new(),
            spans: Vec::new(),
            marks: shared.marks.take(),
            output: Vec::new(),
            metrics: Default::default(),
            checks: Vec::new(),
            sites: Vec::new(),
            charts: Vec::new(),
        }
    };
    if let (Some(always), true) = (always, trace.status.is_judged()) {
        let mut c = conlab_core::Checks::new(&trace, params);
        always(&mut c);
        let extra = c.finish();
        trace.checks.extend(extra);
    }
    Scheduled { trace, report }
}
