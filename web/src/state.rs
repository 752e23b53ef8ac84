//! The playground's state and the actions that change it: a Yew reducer, so that every change
//! the page can go through is listed in [`Action`] and handled in one place.

use conlab_core::catalog::{self, ScenarioInfo};
use conlab_core::{Nanos, ParamError, Params, Trace};
use std::ops::Deref;
use std::rc::Rc;
use yew::prelude::*;

/// A trace shared between components without copying it. Two `TraceRc`s are equal when they
/// are the same snapshot; `run` tells snapshots of one live run apart from other runs.
#[derive(Debug, Clone)]
pub struct TraceRc {
    trace: Rc<Trace>,
    run: u64,
    /// Whose verdict it carries.
    pub checked: Checked,
}

/// Whose verdict a trace on show carries.
#[derive(Debug, Clone, PartialEq)]
pub enum Checked {
    /// Its checks ran on this page, or on the server that ran it just now.
    Here,
    /// A loaded trace, checked again on this page: how the file's verdict differed (if it
    /// did).
    Again(Rc<[String]>),
    /// A loaded trace whose checks this page does not carry (a native-only scenario): the
    /// verdict saved in the file, not re-checked here.
    Saved,
    /// A native run whose connection was lost mid-run (why, in words): what reached the page,
    /// with no verdict.
    #[cfg(feature = "served")]
    Lost(String),
}

impl TraceRc {
    /// Wraps a trace of run number `run`, judged here.
    pub fn new(trace: Trace, run: u64) -> TraceRc {
        TraceRc {
            trace: Rc::new(trace),
            run,
            checked: Checked::Here,
        }
    }

    /// Wraps a trace loaded from a file, a link or the recordings, checking it again where this
    /// page carries its scenario's checks; a file's verdict is never simply believed.
    pub fn loaded(mut trace: Trace, run: u64) -> TraceRc {
        let checked = match conlab_scenarios::find(&trace.scenario)
            .filter(|s| s.can_recheck(trace.runtime))
        {
            Some(row) => {
                // The standard figures from the spans, not from the file (the checks read
                // them); what the scenario measured itself stays as recorded.
                let extra = std::mem::take(&mut trace.metrics.extra);
                let latency = trace.metrics.latency.filter(|l| l.measured);
                trace.metrics = conlab_core::compute_metrics(&trace.spans, trace.end, trace.cores);
                trace.metrics.extra = extra;
                trace.metrics.latency = latency.or(trace.metrics.latency);
                let checks = check_again(&trace, row).unwrap_or_default();
                let differ = verdicts_that_differ(&trace.checks, &checks);
                trace.checks = checks;
                Checked::Again(differ.into())
            }
            None => Checked::Saved,
        };
        TraceRc {
            trace: Rc::new(trace),
            run,
            checked,
        }
    }
}

/// A loaded trace's checks computed again from its recording (`None` when its parameters are
/// not valid: then no check passes).
fn check_again(
    trace: &Trace,
    row: &conlab_scenarios::Scenario,
) -> Option<Vec<conlab_core::CheckResult>> {
    let info = row.info();
    let pairs: Vec<String> = trace
        .params
        .iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect();
    let params =
        Params::from_assignments(info.id, info.params, pairs.iter().map(String::as_str)).ok()?;
    Some(conlab_core::run_checks(
        trace,
        &params,
        row.checks_on(trace.runtime),
    ))
}

/// Each check whose saved verdict is not the one computed again, in words (a check the file
/// holds that is no check of its scenario reads as one that differs from nothing).
fn verdicts_that_differ(
    saved: &[conlab_core::CheckResult],
    again: &[conlab_core::CheckResult],
) -> Vec<String> {
    let said = |c: &conlab_core::CheckResult| (c.verdict().as_str(), c.passed);
    let mut out = Vec::new();
    for c in saved {
        let now = again.iter().find(|a| a.id == c.id);
        if now.map(said) != Some(said(c)) {
            let now = now.map_or("absent", |a| a.verdict().as_str());
            out.push(format!("{}: {} → {now}", c.id, c.verdict().as_str()));
        }
    }
    for a in again.iter().filter(|a| !saved.iter().any(|c| c.id == a.id)) {
        out.push(format!("{}: absent → {}", a.id, a.verdict().as_str()));
    }
    out
}

impl TraceRc {
    /// The same run drawn otherwise (laid out step by step), with its verdict.
    pub fn redrawn(&self, trace: Trace) -> TraceRc {
        TraceRc {
            trace: Rc::new(trace),
            run: self.run,
            checked: self.checked.clone(),
        }
    }

    /// Whether both are snapshots of the same run.
    pub fn same_run(&self, other: &TraceRc) -> bool {
        self.run == other.run
    }
}

impl PartialEq for TraceRc {
    fn eq(&self, other: &TraceRc) -> bool {
        Rc::ptr_eq(&self.trace, &other.trace)
    }
}

impl Deref for TraceRc {
    type Target = Trace;
    fn deref(&self) -> &Trace {
        &self.trace
    }
}

/// A run the learner schedules by hand: their choices so far, who can take the next step
/// (thread, step) and why each other thread waits.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Steering {
    /// The choices made so far.
    pub choices: Vec<u32>,
    /// Who can step next, and what step; empty once the run has ended.
    pub options: Vec<(String, String)>,
    /// Every other unfinished thread, and why it waits.
    pub waiting: Vec<(String, String)>,
}

/// Where the trace on show came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Origin {
    /// Run on this page (live while `running`).
    Browser,
    /// Opened from a file or a URL.
    Opened,
    /// A recorded native run shipped with the site.
    Recorded,
}

/// Everything the playground shows.
#[derive(Debug, Clone, PartialEq)]
pub struct Playground {
    /// The selected scenario.
    pub scenario: &'static ScenarioInfo,
    /// Parameter values typed so far (an empty value means the default).
    pub params: Vec<(String, String)>,
    /// What went wrong last, for the page's alert.
    pub error: Option<String>,
    /// A run is going on.
    pub running: bool,
    /// The time limit of the live run.
    pub limit: std::time::Duration,
    /// How long the live run's loop has said nothing, when that is long enough to say it is
    /// blocked (a blocking demo freezes its Worker's loop).
    pub frozen_ms: Option<u64>,
    /// The live run's latest word on its figures (a load test's requests so far).
    pub progress: Option<String>,
    /// The trace on show: a live snapshot while running, then the finished trace.
    pub trace: Option<TraceRc>,
    /// Where it came from.
    pub origin: Origin,
    /// A trace kept to compare the next ones with.
    pub kept: Option<TraceRc>,
    /// A moment picked on the page (an output line clicked), marked on the timeline.
    pub cursor: Option<Nanos>,
    /// A virtual-time run being stepped through.
    pub stepping: Option<TraceRc>,
    /// A short message (link copied).
    pub notice: Option<String>,
    /// The schedule of the trace on show, when the scheduler ran it: the page's link carries
    /// it, and opening the link replays that interleaving.
    pub schedule: Option<String>,
    /// What a search of schedules is doing, or found.
    pub finding: Option<String>,
    /// A run the learner schedules by hand, while they do.
    pub steering: Option<Steering>,
    /// The URL of the trace on show, when it was opened from a link (`?trace=`): it stays in
    /// the page's own link until something else is shown.
    pub trace_url: Option<String>,
    /// The trace that was on show when the run going on started, shown again if that run is
    /// stopped with nothing to show (a run in a Worker, which leaves no partial trace).
    pub shown_before: Option<TraceRc>,
    /// The live run whose snapshots and trace are shown (0: none; a run left behind by a
    /// switch to another scenario is not shown).
    live: u64,
    runs: u64,
}

/// A change to the playground.
#[derive(Debug)]
pub enum Action {
    /// Another scenario was picked.
    Pick(&'static ScenarioInfo),
    /// A parameter input changed.
    SetParam(String, String),
    /// Something went wrong.
    Fail(String),
    /// The connection to a native run was lost mid-run (why, in words).
    #[cfg(feature = "served")]
    Lost(String),
    /// Live run `n` started, with this time limit.
    Started(u64, std::time::Duration),
    /// What live run `n` recorded so far.
    Snapshot(Trace, u64),
    /// The live run (by number) said nothing for this long (ms), or speaks again (`None`).
    Frozen(u64, Option<u64>),
    /// The live run (by number) says how far it got, in figures.
    Progress(u64, String),
    /// Live run `n` ended.
    Finished(Trace, u64),
    /// Run `n` on the scheduler ended: its trace and its schedule.
    Scheduled(Trace, String, u64),
    /// Search `n` says how it goes or what it found (in words); `true` when nothing follows (no
    /// failing run to show).
    Searched(String, u64, bool),
    /// Run `n`, in a Worker, was stopped (in words): the run on show before it comes back.
    Halted(String, u64),
    /// A trace was opened (file, URL) or fetched (a recorded native run).
    Opened(Trace, Origin),
    /// A trace was opened from the link's `?trace=` URL.
    OpenedLink(Trace, String),
    /// Keep the trace on show for comparison.
    Keep,
    /// Keep this trace (a recorded native run) for comparison.
    KeepTrace(Trace),
    /// Stop comparing.
    StopComparing,
    /// Mark a moment on the timeline.
    Cursor(Option<Nanos>),
    /// Start (with its virtual-time trace) or stop stepping through a run.
    Step(Option<Trace>),
    /// Step through the run on show (a run on the scheduler: deterministic already).
    StepShown,
    /// The learner's run stopped at their next choice (or ended): its trace and schedule.
    Steered(Trace, String, Steering),
    /// The learner stops scheduling by hand.
    StopSteering,
    /// Show a short message.
    Notice(String),
    /// Take this short message away if it is the one shown (what it said no longer holds: a
    /// served run that waited now runs); another message stays.
    #[cfg_attr(not(feature = "served"), allow(dead_code))]
    ClearNotice(String),
}

impl Playground {
    /// The form's parameter values, checked like the CLI's `-p` (over the defaults).
    pub fn form_params(&self) -> Result<Params, ParamError> {
        let info = self.scenario;
        let pairs: Vec<String> = self
            .params
            .iter()
            .map(|(n, v)| format!("{n}={v}"))
            .collect();
        Params::from_assignments(info.id, info.params, pairs.iter().map(String::as_str))
    }

    /// The starting state for `scenario` with `params`.
    pub fn new(scenario: &'static ScenarioInfo, params: Vec<(String, String)>) -> Playground {
        Playground {
            scenario,
            params,
            error: None,
            running: false,
            limit: std::time::Duration::ZERO,
            frozen_ms: None,
            progress: None,
            trace: None,
            origin: Origin::Browser,
            kept: None,
            cursor: None,
            stepping: None,
            notice: None,
            schedule: None,
            finding: None,
            steering: None,
            trace_url: None,
            shown_before: None,
            runs: 0,
            live: 0,
        }
    }

    /// The number of the run going on (or last gone on).
    pub fn live(&self) -> u64 {
        self.live
    }

    /// Whether a kept trace and the trace on show can be compared.
    pub fn comparing(&self) -> Option<(&TraceRc, &TraceRc)> {
        match (&self.kept, &self.trace) {
            (Some(k), Some(t)) if k != t => Some((k, t)),
            _ => None,
        }
    }
}

impl Reducible for Playground {
    type Action = Action;

    fn reduce(self: Rc<Self>, action: Action) -> Rc<Self> {
        let mut s = (*self).clone();
        // Anything else put on show takes the place of a trace opened from the link.
        let replaced = match &action {
            Action::Pick(info) => info.id != s.scenario.id,
            Action::Started(..) | Action::Opened(..) => true,
            _ => false,
        };
        if replaced {
            s.trace_url = None;
        }
        // A schedule fits only the run it was made for.
        if replaced || matches!(action, Action::SetParam(..)) {
            s.schedule = None;
            s.steering = None;
        }
        match action {
            Action::OpenedLink(t, url) => {
                s = Rc::unwrap_or_clone(Rc::new(s).reduce(Action::Opened(t, Origin::Opened)));
                s.trace_url = Some(url);
            }
            Action::Pick(info) => {
                if info.id != s.scenario.id {
                    s.scenario = info;
                    s.params.clear();
                    s.trace = None;
                    s.stepping = None;
                    s.cursor = None;
                    s.finding = None;
                    s.steering = None;
                    // The old scenario's run is no longer shown, and Run is free again.
                    s.running = false;
                    s.live = 0;
                }
                s.error = None;
            }
            Action::SetParam(name, value) => {
                s.params.retain(|(n, _)| *n != name);
                if !value.is_empty() {
                    s.params.push((name, value));
                }
            }
            Action::Fail(e) => {
                s.error = Some(e);
                s.running = false;
            }
            #[cfg(feature = "served")]
            Action::Lost(reason) => {
                // What reached the page is shown as it is, with no verdict: the run did not
                // end here.
                match s.trace.as_mut().filter(|_| s.running) {
                    Some(t) => t.checked = Checked::Lost(reason),
                    None => s.error = Some(reason),
                }
                s.running = false;
            }
            Action::Started(n, limit) => {
                s.notice = None;
                s.runs += 1;
                s.live = n;
                s.limit = limit;
                s.frozen_ms = None;
                s.progress = None;
                s.running = true;
                s.error = None;
                s.shown_before = s.trace.take();
                s.cursor = None;
                s.finding = None;
                s.steering = None;
                s.origin = Origin::Browser;
            }
            Action::Snapshot(t, n) => {
                if s.running && n == s.live {
                    s.trace = Some(TraceRc::new(t, s.runs));
                    s.frozen_ms = None;
                }
            }
            Action::Frozen(n, ms) => {
                if s.running && n == s.live {
                    s.frozen_ms = ms;
                }
            }
            Action::Progress(n, line) => {
                if s.running && n == s.live {
                    s.progress = Some(line);
                }
            }
            Action::Finished(t, n) => {
                if n == s.live {
                    s.notice = None;
                    s.frozen_ms = None;
                    s.progress = None;
                    s.running = false;
                    s.trace = Some(TraceRc::new(t, s.runs));
                }
            }
            Action::Scheduled(t, schedule, n) => {
                if n == s.live {
                    s = Rc::unwrap_or_clone(Rc::new(s).reduce(Action::Finished(t, n)));
                    s.schedule = Some(schedule);
                }
            }
            Action::Halted(text, n) => {
                if s.running && n == s.live {
                    s.finding = Some(text);
                    s.running = false;
                    if s.trace.is_none() {
                        s.trace = s.shown_before.take();
                    }
                }
            }
            Action::Searched(text, n, done) => {
                if s.running && n == s.live {
                    s.finding = Some(text);
                    s.running = !done;
                }
            }
            Action::Opened(t, origin) => {
                s.runs += 1;
                if let Some(info) = catalog::find(&t.scenario) {
                    if origin == Origin::Opened {
                        // The form shows the opened run's parameters (those it set apart from
                        // the defaults), so Run runs that run again.
                        let defaults = conlab_core::Params::defaults(info.params).to_map();
                        s.scenario = info;
                        s.params = t
                            .params
                            .iter()
                            .filter(|(k, v)| defaults.get(*k) != Some(*v))
                            .filter(|(k, _)| {
                                k.as_str() == conlab_core::TIME_SCALE
                                    || info.params.iter().any(|p| p.name == k.as_str())
                            })
                            .map(|(k, v)| (k.clone(), v.clone()))
                            .collect();
                    }
                }
                s.error = None;
                s.cursor = None;
                s.trace = Some(TraceRc::loaded(t, s.runs));
                s.origin = origin;
            }
            Action::Keep => s.kept = s.trace.clone(),
            Action::KeepTrace(t) => {
                s.runs += 1;
                s.kept = Some(TraceRc::loaded(t, s.runs));
            }
            Action::StopComparing => s.kept = None,
            Action::Cursor(t) => s.cursor = t,
            Action::Step(t) => {
                s.runs += 1;
                s.stepping = t.map(|t| TraceRc::new(t, s.runs));
            }
            Action::StepShown => s.stepping = s.trace.clone(),
            Action::Steered(t, schedule, steering) => {
                s.runs += 1;
                s.running = false;
                s.error = None;
                s.live = 0;
                s.origin = Origin::Browser;
                s.trace = Some(TraceRc::new(t, s.runs));
                // Midway, the schedule is the choices so far, then those the default seed
                // draws: a link replays a whole run that begins as the learner's.
                s.schedule = Some(schedule);
                // What a search found was about another run.
                s.finding = None;
                s.steering = Some(steering);
            }
            Action::StopSteering => s.steering = None,
            Action::Notice(n) => s.notice = Some(n),
            Action::ClearNotice(n) => {
                if s.notice.as_ref() == Some(&n) {
                    s.notice = None;
                }
            }
        }
        Rc::new(s)
    }
}
