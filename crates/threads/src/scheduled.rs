//! Thread scenarios on the deterministic scheduler: each thread's code on `conlab-sched`,
//! recording into the run's trace in virtual time.

use crate::thread::{Handle, HandleKind, Kind, Thread, ThreadFn};
use crate::Aborted;
use conlab_core::catalog::ScenarioInfo;
use conlab_core::{
    ChecksFn, EventWriter, LaneId, LaneKind, Params, RuntimeKind, SpanState, Status, Text, Trace,
    TraceMeta, TraceRecorder,
};
use conlab_sched::{End, RunLimits, RunReport, Scheduler, Strategy};
use std::cell::{Cell, RefCell};
use std::future::Future;
use std::rc::Rc;

/// What a scheduled run shares: its parameters, thread names, recorder and threads.
pub(crate) struct SchedRun {
    pub(crate) params: Params,
    pub(crate) next_thread: Cell<u32>,
    recorder: TraceRecorder,
    /// Threads started by the scenario (not the main thread), for the main thread to wait for
    /// at the end as Python's interpreter does.
    started: RefCell<Vec<(conlab_sched::JoinHandle, String)>>,
}

/// One thread of a scheduled run.
pub(crate) struct SchedThread {
    pub(crate) ctx: conlab_sched::Ctx,
    pub(crate) writer: EventWriter,
    pub(crate) lane: LaneId,
    pub(crate) run: Rc<SchedRun>,
}

impl SchedThread {
    pub(crate) async fn step_print(&self) {
        // A print is a step of its own: `Event`-free, always runnable.
        self.ctx.print("").await;
    }

    pub(crate) async fn spawn<F, Fut>(&self, name: String, body: F) -> Handle
    where
        F: FnOnce(Thread) -> Fut + 'static,
        Fut: Future<Output = Result<(), Aborted>> + 'static,
    {
        let run = self.run.clone();
        let lane_name = name.clone();
        let handle = self
            .ctx
            .spawn(name.clone(), move |ctx| {
                let writer = run.recorder.writer();
                let lane = writer.new_lane(ctx.now(), LaneKind::Thread, lane_name);
                let me = Thread {
                    kind: Kind::Sched(Rc::new(SchedThread {
                        ctx,
                        writer,
                        lane,
                        run,
                    })),
                };
                async move {
                    let result = body(me.clone()).await;
                    if let Kind::Sched(s) = &me.kind {
                        if result.is_err() {
                            me.mark("cut_off", "the run was aborted while this thread waited");
                        }
                        s.writer.end_lane(s.ctx.now(), s.lane);
                    }
                }
            })
            .await;
        self.run.started.borrow_mut().push((handle, name.clone()));
        Handle {
            kind: HandleKind::Sched { handle, name },
        }
    }

    pub(crate) async fn join(&self, handle: conlab_sched::JoinHandle, name: &str) {
        let asked = self.ctx.now();
        self.ctx.join(handle).await;
        let now = self.ctx.now();
        if now > asked {
            self.writer.span(
                self.lane,
                SpanState::WaitingJoin,
                asked,
                now,
                Text::from(format!("{name} to finish")),
            );
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

/// Runs a thread scenario on the scheduler, `strategy` choosing at every point where more
/// than one thread can step; `always` are checks every thread run ends with.
pub fn run_scheduled(
    info: &'static ScenarioInfo,
    run: ThreadFn,
    checks: ChecksFn,
    always: Option<ChecksFn>,
    params: &Params,
    strategy: &mut dyn Strategy,
    limits: RunLimits,
) -> Scheduled {
    let recorder = TraceRecorder::new();
    let shared = Rc::new(SchedRun {
        params: params.clone(),
        next_thread: Cell::new(0),
        recorder: recorder.clone(),
        started: RefCell::new(Vec::new()),
    });
    let outcome: Rc<Cell<Option<Result<(), Aborted>>>> = Rc::new(Cell::new(None));
    let scheduler = Scheduler::new(limits);
    {
        let (shared, outcome) = (shared.clone(), outcome.clone());
        scheduler.spawn("MainThread", move |ctx| {
            let writer = shared.recorder.writer();
            let lane = writer.new_lane(0, LaneKind::Main, "MainThread");
            let me = Thread {
                kind: Kind::Sched(Rc::new(SchedThread {
                    ctx,
                    writer,
                    lane,
                    run: shared.clone(),
                })),
            };
            async move {
                let result = run(me.clone()).await;
                if let Kind::Sched(s) = &me.kind {
                    if result.is_ok() {
                        // Interpreter shutdown: wait for every thread the scenario started.
                        let started = s.run.started.borrow().clone();
                        let asked = s.ctx.now();
                        for (h, _) in started {
                            s.ctx.join(h).await;
                        }
                        if s.ctx.now() > asked {
                            s.writer.span(
                                s.lane,
                                SpanState::WaitingJoin,
                                asked,
                                s.ctx.now(),
                                Text::Static("waiting for non-daemon threads"),
                            );
                        }
                    }
                    s.writer.end_lane(s.ctx.now(), s.lane);
                }
                outcome.set(Some(result));
            }
        });
    }
    let report = scheduler.run(strategy);
    let status = match (&report.end, outcome.take()) {
        (End::Completed, Some(Ok(()))) => Status::Ok,
        (End::Completed, _) => Status::Failed {
            reason: "the run was aborted".into(),
        },
        (End::Deadlock(waits), _) => Status::Failed {
            reason: format!(
                "deadlock: {}",
                waits
                    .iter()
                    .map(|(who, why)| format!("{who} {why}"))
                    .collect::<Vec<_>>()
                    .join("; ")
            ),
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
    };
    let meta = TraceMeta {
        info,
        runtime: RuntimeKind::Virtual,
        params: params.clone(),
        recorded_at: None,
        host: None,
        cores: Some(limits.cores),
    };
    let mut trace = meta.finish(checks, &recorder, report.elapsed, status);
    if let (Some(always), true) = (always, trace.status.is_judged()) {
        let mut c = conlab_core::Checks::new(&trace, params);
        always(&mut c);
        let extra = c.finish();
        trace.checks.extend(extra);
    }
    Scheduled { trace, report }
}
