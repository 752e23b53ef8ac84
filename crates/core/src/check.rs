//! Building check results from a trace, with timing tolerances that depend on where the trace
//! was recorded: exact on the virtual runtime, generous enough for a busy 2-core machine on
//! real ones.

use crate::faults::Fault;
use crate::params::Params;
use crate::trace::{CheckResult, Nanos, RuntimeKind, Trace};
use std::cell::RefCell;
use std::time::Duration;

/// How far a measured time may stray from the time a scenario predicts.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Tolerance {
    /// How much earlier than predicted a time may be.
    pub early: Nanos,
    /// Absolute lateness allowed.
    pub late: Nanos,
    /// Lateness allowed as a fraction of the prediction.
    pub late_fraction: f64,
    /// What spawning, scheduling, recording and finishing one task may cost, for times that
    /// many tasks share (100,000 tasks that each sleep take longer than one sleep).
    pub per_task: Nanos,
}

impl Tolerance {
    /// The tolerance for traces recorded on `runtime`.
    pub fn for_runtime(runtime: RuntimeKind) -> Tolerance {
        match runtime {
            RuntimeKind::Virtual => Tolerance {
                early: 0,
                late: 0,
                late_fraction: 0.0,
                per_task: 0,
            },
            RuntimeKind::Tokio => Tolerance {
                early: 2_000_000,
                late: 60_000_000,
                late_fraction: 0.25,
                per_task: 5_000,
            },
            RuntimeKind::Browser => Tolerance {
                early: 5_000_000,
                late: 100_000_000,
                late_fraction: 0.3,
                per_task: 20_000,
            },
            // A native runtime's tolerances, but a task costs an interpreter more: 10-15 µs
            // untraced, 13-30 µs traced, up to 65 µs on a busy 2-core machine.
            RuntimeKind::Cpython => Tolerance {
                early: 2_000_000,
                late: 60_000_000,
                late_fraction: 0.25,
                per_task: 65_000,
            },
        }
    }

    /// The allowed window around a predicted time.
    pub fn window(&self, expected: Nanos) -> (Nanos, Nanos) {
        let late = self.late + (expected as f64 * self.late_fraction) as Nanos;
        (expected.saturating_sub(self.early), expected + late)
    }
}

/// The metric in which a runtime records how much later than asked a sleep can end: tokio's
/// timer tick, or the most the page woke a sleep late during a browser run (another widget
/// starting on the same page delays every timer). Checks allow it once for every sleep or wait
/// a prediction adds up. (Files written before it was renamed call it `timer_resolution_ms`;
/// [`crate::Metrics::extra`] reads both.)
pub const TIMER_LATENESS_METRIC: &str = "timer_lateness_ms";

/// Formats a time for people, the one way conlab writes a duration (the CLI, the page, the
/// report): milliseconds up to 10 s (`0.4 ms`, `850 ms`), then seconds (`12.5 s`,
/// `12,000 s`).
pub fn ms(ns: Nanos) -> String {
    let v = ns as f64 / 1e6;
    if v >= 1_000_000.0 {
        format!("{} s", thousands((v / 1e3).round() as u64))
    } else if v >= 10_000.0 {
        format!("{:.1} s", v / 1e3)
    } else if v >= 100.0 || v == v.trunc() {
        format!("{} ms", thousands(v.round() as u64))
    } else if ns < 1_000 {
        format!("{ns} ns")
    } else if v < 0.1 {
        // "0.0 ms" would say nothing happened.
        format!("{:.0} µs", ns as f64 / 1e3)
    } else {
        format!("{v:.1} ms")
    }
}

/// Items as a person reads a list: `1, 3, 2` (`none` for none).
pub fn list<T: std::fmt::Display>(items: impl IntoIterator<Item = T>) -> String {
    let mut out = String::new();
    for (i, item) in items.into_iter().enumerate() {
        if i > 0 {
            out.push_str(", ");
        }
        out.push_str(&item.to_string());
    }
    if out.is_empty() {
        out.push_str("none");
    }
    out
}

/// Lines of text as a person reads them quoted: `"1", "3", "2"` (`none` for none). A long
/// list is shortened to its first ten and its last, with how many lie between: a detail a
/// person reads, not a dump.
pub fn quoted<T: AsRef<str>>(lines: &[T]) -> String {
    let q = |l: &T| format!("\"{}\"", l.as_ref());
    match lines {
        [first @ .., last] if lines.len() > QUOTED_AT_MOST => format!(
            "{}, … {} more …, {}",
            list(first[..QUOTED_AT_MOST - 2].iter().map(q)),
            thousands((lines.len() - (QUOTED_AT_MOST - 1)) as u64),
            q(last)
        ),
        _ => list(lines.iter().map(q)),
    }
}

/// The most lines [`quoted`] writes out.
const QUOTED_AT_MOST: usize = 12;

/// A measured figure with the digits a person reads: whole numbers above 100 (with thousands
/// separated), three significant digits below (`12.3`, `2.05`, `0.0123`), and no trailing
/// zeros (`3`, not `3.000`).
pub fn figure(v: f64) -> String {
    if !v.is_finite() {
        return v.to_string();
    }
    let a = v.abs();
    if a >= 100.0 || a == a.trunc() {
        let sign = if v < 0.0 { "-" } else { "" };
        return format!("{sign}{}", thousands(a.round() as u64));
    }
    let decimals = if a >= 10.0 {
        1
    } else if a >= 1.0 {
        2
    } else {
        (2 - a.log10().floor() as i32).clamp(3, 9) as usize
    };
    let text = format!("{v:.decimals$}");
    let text = text.trim_end_matches('0').trim_end_matches('.');
    text.to_string()
}

/// Durations said side by side (a latency's percentiles) in one unit: microseconds when the
/// largest is under a millisecond (`87 µs · 104 µs · 212 µs`), else as [`ms`] writes each.
pub fn durations_alike(values: &[Nanos]) -> Vec<String> {
    let largest = values.iter().copied().max().unwrap_or(0);
    if (1_000..1_000_000).contains(&largest) {
        values
            .iter()
            .map(|v| format!("{} µs", thousands((*v as f64 / 1e3).round() as u64)))
            .collect()
    } else {
        values.iter().map(|v| ms(*v)).collect()
    }
}

/// An RFC 3339 time as people read it: `2026-12-07 06:07 UTC` (anything else as it is).
pub fn moment(rfc3339: &str) -> String {
    match rfc3339.split_once('T') {
        Some((day, time)) if time.len() >= 5 => {
            let utc = if time.ends_with('Z') { " UTC" } else { "" };
            format!("{day} {}{utc}", &time[..5])
        }
        _ => rfc3339.to_string(),
    }
}

/// A host as the runners describe it (`linux x86_64, 2 cores`) parted into the machine and
/// its count of cores, for a text that says the count in its own words.
pub fn host_cores(host: &str) -> Option<(&str, &str)> {
    let (machine, cores) = host.rsplit_once(", ")?;
    let count = cores
        .strip_suffix(" cores")
        .or_else(|| cores.strip_suffix(" core"))?;
    count
        .bytes()
        .all(|b| b.is_ascii_digit())
        .then_some((machine, count))
}

/// A figure with its unit, one way everywhere: milliseconds as [`ms`] writes durations
/// (`0.8 ms`, `1,250 ms`), a ratio (`x`) and a share (`%`) right after the number (`1.99x`,
/// `5%`), other units after a space (`12,000 req/s`). `unit` is what the reader sees (in
/// their language); `ms_unit` tells a duration in milliseconds.
pub fn figure_in(value: f64, unit: &str, ms_unit: bool) -> String {
    if ms_unit && value.is_finite() && value >= 0.0 {
        return ms((value * 1e6).round() as Nanos);
    }
    let figure = figure(value);
    match unit {
        "" => figure,
        // A ratio always with two decimals, as the checks write it (`1.00x`, `1.99x`).
        "x" if value.is_finite() && value.abs() < 100.0 => format!("{value:.2}x"),
        "x" | "%" => format!("{figure}{unit}"),
        unit => format!("{figure} {unit}"),
    }
}

/// A number with its thousands separated: `10,000`.
pub fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, d) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(d);
    }
    out
}

/// A part of a whole, both with their thousands separated: `1,999 of 2,000`.
pub fn of(part: u64, whole: u64) -> String {
    format!("{} of {}", thousands(part), thousands(whole))
}

/// A count with its noun in the right number: `1 job`, `3 jobs`, `1 query`, `2 queries`.
pub fn count_of(n: usize, one: &str, many: &str) -> String {
    if n == 1 {
        format!("1 {one}")
    } else {
        format!("{} {many}", thousands(n as u64))
    }
}

/// Collects the check results of one trace.
pub struct Checks<'a> {
    /// The trace being checked.
    pub trace: &'a Trace,
    /// Its parameters, parsed.
    pub params: &'a Params,
    /// The timing tolerance for the trace's runtime.
    pub tolerance: Tolerance,
    results: Vec<CheckResult>,
    guards: Vec<(String, Fault)>,
    phases_read: RefCell<Vec<String>>,
}

/// A check just recorded, to say which wrong behaviours it guards against.
pub struct Recorded<'c, 'a> {
    checks: &'c mut Checks<'a>,
    id: String,
}

impl Recorded<'_, '_> {
    /// This check fails on a trace of each of these wrong behaviours (where its effect is
    /// measurable); the fault tests hold it to that.
    pub fn guards(self, faults: &[Fault]) {
        for f in faults {
            self.checks.guards.push((self.id.clone(), *f));
        }
    }
}

impl<'a> Checks<'a> {
    /// Starts checking `trace`.
    pub fn new(trace: &'a Trace, params: &'a Params) -> Checks<'a> {
        Checks {
            trace,
            params,
            tolerance: Tolerance::for_runtime(trace.runtime),
            results: Vec::new(),
            guards: Vec::new(),
            phases_read: RefCell::new(Vec::new()),
        }
    }

    /// Whether the trace was recorded on the deterministic virtual runtime, where exact orders
    /// and times are checked.
    pub fn is_virtual(&self) -> bool {
        self.trace.runtime == RuntimeKind::Virtual
    }

    /// Records a judged check.
    #[inline(never)]
    pub fn check(
        &mut self,
        id: &str,
        description: &str,
        passed: bool,
        detail: impl Into<String>,
    ) -> Recorded<'_, 'a> {
        self.results
            .push(CheckResult::judged(id, description, passed, detail.into()));
        Recorded {
            checks: self,
            id: id.to_string(),
        }
    }

    /// Records a check this run cannot judge, with the reason in words and figures (the
    /// detail is shown as `not judged: <why>`).
    #[inline(never)]
    pub fn not_judged(
        &mut self,
        id: &str,
        description: &str,
        why: impl Into<String>,
    ) -> Recorded<'_, 'a> {
        self.results
            .push(CheckResult::not_judged(id, description, why.into()));
        Recorded {
            checks: self,
            id: id.to_string(),
        }
    }

    /// Starts a check of a measured time `actual`; say what it should be
    /// ([`TimeCheck::about`] or [`TimeCheck::at_least`]), what the wrong behaviour would
    /// take ([`TimeCheck::unlike`]), then [`TimeCheck::judge`].
    #[inline(never)]
    pub fn time(&mut self, id: &str, description: &str, actual: Nanos) -> TimeCheck<'_, 'a> {
        TimeCheck {
            checks: self,
            id: id.to_string(),
            description: description.to_string(),
            actual,
            expected: 0,
            at_least: false,
            extra: Vec::new(),
            unlike: Vec::new(),
            guards: Vec::new(),
        }
    }

    /// Checks that a measured time is about `expected` (within the runtime's tolerance).
    pub fn about(&mut self, id: &str, description: &str, actual: Nanos, expected: Duration) {
        self.time(id, description, actual).about(expected).judge();
    }

    /// How many of `requests` were real (the run's `io` mark says its slow requests went to
    /// conlab's test server), each allowed [`REAL_REQUEST`] beyond its latency; 0 where they
    /// were timers.
    pub fn real_requests(&self, requests: usize) -> usize {
        let real = self
            .trace
            .marks_named("io")
            .any(|m| m.detail.starts_with("real"));
        if real {
            requests
        } else {
            0
        }
    }

    /// How much later than asked a sleep could end in this run, as its runtime recorded it
    /// (zero where time is exact).
    pub fn timer_lateness(&self) -> Nanos {
        self.trace
            .metrics
            .extra(TIMER_LATENESS_METRIC)
            .map_or(0, |ms| (ms * 1e6) as Nanos)
    }

    /// When phase `name` of the run began and ended ([`Trace::phase`]), noting that the
    /// checks looked at it: every phase a run marks must be judged by some check.
    pub fn phase(&self, name: &str) -> Option<(Nanos, Nanos)> {
        let mut read = self.phases_read.borrow_mut();
        if !read.iter().any(|p| p == name) {
            read.push(name.to_string());
        }
        self.trace.phase(name)
    }

    /// The cores phase `name` used and could have had, from its CPU-time marks and the
    /// machine's idle time noted at its ends (native runs of the thread toolkit), or on
    /// virtual time the scheduler's cores, which nothing else uses; `None` where the run did
    /// not note them.
    pub fn cores_in(&self, name: &str) -> Option<PhaseCores> {
        let (start, end) = self.phase(name)?;
        let t = self.trace;
        let wall = end.saturating_sub(start).max(1);
        let used: u64 = self
            .marks_in_phase(name, "cpu_time")
            .into_iter()
            .filter_map(|m| m.detail.parse::<u64>().ok())
            .sum();
        if let (true, Some(cores)) = (self.is_virtual(), t.cores) {
            return Some(PhaseCores {
                wall,
                used: used as f64 / wall as f64,
                could_have: cores as f64,
                uncertainty: 0.0,
            });
        }
        let idle: Vec<(u64, u64, u64)> = t
            .marks_named(MACHINE_IDLE_MARK)
            .filter(|m| m.t >= start && m.t <= end)
            .filter_map(|m| {
                let mut w = m.detail.split(' ').map(|w| w.parse::<u64>().ok());
                Some((w.next()??, w.next()??, w.next()??))
            })
            .collect();
        let (first, last) = (idle.first()?, idle.last()?);
        let idle_ns = last.0.saturating_sub(first.0);
        Some(PhaseCores {
            wall,
            used: used as f64 / wall as f64,
            could_have: (used + idle_ns) as f64 / wall as f64,
            // Each reading may be off by one step on every CPU.
            uncertainty: (2 * first.1 * first.2) as f64 / wall as f64,
        })
    }

    /// The marks named `mark` recorded within phase `name`: by the order the run recorded
    /// them where it kept it (on virtual time a phase may end at the instant the next begins),
    /// else by time, ends included.
    pub fn marks_in_phase(&self, name: &str, mark: &str) -> Vec<&'a crate::trace::Mark> {
        let t = self.trace;
        let bound = |which: &str| {
            t.marks
                .iter()
                .find(|m| m.name == which && m.detail == name)
                .map(|m| (m.t, m.order))
        };
        let by_order = match (bound(crate::PHASE_START), bound(crate::PHASE_END)) {
            (Some(a), Some(b)) if a.1 > 0 && b.1 > 0 => Some((a, b)),
            _ => None,
        };
        let Some((start, end)) = self.phase(name) else {
            return Vec::new();
        };
        t.marks
            .iter()
            .filter(|m| m.name == mark)
            .filter(|m| match by_order {
                Some((a, b)) if m.order > 0 => (m.t, m.order) > a && (m.t, m.order) < b,
                _ => m.t >= start && m.t <= end,
            })
            .collect()
    }

    /// How long phase `name` lasted, if the run marked it.
    pub fn phase_length(&self, name: &str) -> Option<Nanos> {
        self.phase(name).map(|(a, b)| b - a)
    }

    /// Checks that the output lines are exactly `expected`, in order.
    pub fn output_is(
        &mut self,
        id: &str,
        description: &str,
        expected: &[String],
    ) -> Recorded<'_, 'a> {
        let got: Vec<&str> = self.trace.output_texts();
        let passed = got.len() == expected.len() && got.iter().zip(expected).all(|(a, b)| a == b);
        let mut detail = format!("output {}, expected {}", quoted(&got), quoted(expected));
        // Where long outputs part, said plainly: the shortened lists may not show it.
        let long = got.len().max(expected.len()) > QUOTED_AT_MOST;
        if let (false, true) = (passed, long) {
            let at = got
                .iter()
                .zip(expected)
                .take_while(|(a, b)| *a == b)
                .count();
            let line = |l: Option<&str>| l.map_or("nothing".to_string(), |l| format!("\"{l}\""));
            detail.push_str(&format!(
                "; line {} is {}, expected {}",
                at + 1,
                line(got.get(at).copied()),
                line(expected.get(at).map(String::as_str))
            ));
        }
        self.check(id, description, passed, detail)
    }

    /// Checks that the run completed (status ok).
    pub fn completed(&mut self) {
        let status = &self.trace.status;
        self.check(
            "completed",
            "the run completed",
            *status == crate::trace::Status::Ok,
            format!("status: {}", status.label()),
        );
    }

    /// The check every process scenario ends with, whatever ran it: every child process's
    /// lane ended, with an `exit` mark, by the end of the trace.
    pub fn no_process_outlives(&mut self) {
        let t = self.trace;
        let alive: Vec<&str> = t
            .lanes
            .iter()
            .filter(|l| l.kind == crate::trace::LaneKind::Process)
            .filter(|l| {
                l.end.is_none_or(|e| e > t.end) || !t.marks_named("exit").any(|m| m.lane == l.id)
            })
            .map(|l| l.name.as_str())
            .collect();
        let detail = match alive.is_empty() {
            true => String::new(),
            false => format!("not reaped: {}", alive.join(", ")),
        };
        self.check(
            "no-process-outlives",
            "every child process exited and was reaped before the run ended",
            alive.is_empty(),
            detail,
        );
    }

    /// The check every thread scenario ends with, whatever ran it: every thread lane ended by
    /// the end of the trace.
    pub fn no_thread_outlives(&mut self) {
        let end = self.trace.end;
        let alive: Vec<&str> = self
            .trace
            .lanes
            .iter()
            .filter(|l| l.kind == crate::trace::LaneKind::Thread && l.end.is_none_or(|e| e > end))
            .map(|l| l.name.as_str())
            .collect();
        let detail = match alive.is_empty() {
            true => String::new(),
            false => format!("still running: {}", alive.join(", ")),
        };
        self.check(
            "no-thread-outlives",
            "no thread outlives the run",
            alive.is_empty(),
            detail,
        );
    }

    /// The position of the first output line with this text.
    pub fn position(&self, text: &str) -> Option<usize> {
        self.trace.output.iter().position(|l| l.text == text)
    }

    /// The results.
    pub fn finish(self) -> Vec<CheckResult> {
        self.results
    }

    /// The results, with what the checks said they guard against and the phases they read
    /// (for the tests that hold checks to those promises).
    pub fn finish_with_promises(self) -> (Vec<CheckResult>, Promises) {
        (
            self.results,
            Promises {
                guards: self.guards,
                phases_read: self.phases_read.into_inner(),
            },
        )
    }
}

/// The mark in which a native run notes the machine's idle time (`<ns> <resolution ns>
/// <cpus>`), at the ends of its phases.
pub const MACHINE_IDLE_MARK: &str = "machine_idle";

/// What a phase of a native run did with the machine's cores: read with [`Checks::cores_in`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PhaseCores {
    /// The phase's wall time.
    pub wall: Nanos,
    /// The cores its threads or processes used: their CPU time over the wall time.
    pub used: f64,
    /// The cores it could have had: its CPU time plus the machine's idle time, over the wall
    /// time (other programs had the rest).
    pub could_have: f64,
    /// How far `could_have` may be off, from how finely the machine counts idle time.
    pub uncertainty: f64,
}

/// What a scenario's checks promise beyond their results: which wrong behaviours each
/// guards against, and which of the run's phases they judge.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Promises {
    /// (check id, the fault it fails on).
    pub guards: Vec<(String, Fault)>,
    /// The phases the checks looked at.
    pub phases_read: Vec<String>,
}

/// A check of a measured time, built up: what it should be, what may add to it on this
/// runtime, and what the wrong behaviour would take. See [`Checks::time`].
#[must_use = "a time check records nothing until judged"]
pub struct TimeCheck<'c, 'a> {
    checks: &'c mut Checks<'a>,
    id: String,
    description: String,
    actual: Nanos,
    expected: Nanos,
    at_least: bool,
    extra: Vec<(Nanos, String)>,
    unlike: Vec<(Nanos, String)>,
    guards: Vec<Fault>,
}

impl TimeCheck<'_, '_> {
    /// The time should be about `expected`, within the runtime's tolerance.
    #[inline(never)]
    pub fn about(mut self, expected: Duration) -> Self {
        self.expected = expected.as_nanos() as Nanos;
        self.at_least = false;
        self
    }

    /// The time should be at least `bound` (less the runtime's early tolerance).
    #[inline(never)]
    pub fn at_least(mut self, bound: Duration) -> Self {
        self.expected = bound.as_nanos() as Nanos;
        self.at_least = true;
        self
    }

    /// Allows `extra` more lateness for a reason the trace shows (`because`, said in the
    /// detail), such as the time it took to start the threads.
    #[inline(never)]
    pub fn plus(mut self, extra: Nanos, because: impl Into<String>) -> Self {
        if extra > 0 {
            self.extra.push((extra, because.into()));
        }
        self
    }

    /// The time is made of `waits` sleeps or waits one after the other: each may end up to
    /// the runtime's timer lateness later than asked.
    #[inline(never)]
    pub fn waits(self, waits: u64) -> Self {
        let late = self.checks.timer_lateness();
        let because = format!(
            "{} woken up to {} late",
            count_of(waits as usize, "wait", "waits"),
            ms(late)
        );
        self.plus(late.saturating_mul(waits), because)
    }

    /// `tasks` tasks share the time (they run side by side): each may add the runtime's cost
    /// of one task.
    #[inline(never)]
    pub fn tasks(self, tasks: usize) -> Self {
        let each = self.checks.tolerance.per_task;
        let because = format!(
            "{} at {} each",
            count_of(tasks, "task", "tasks"),
            if each >= 1_000_000 {
                ms(each)
            } else {
                format!("{} µs", each / 1_000)
            }
        );
        self.plus(each.saturating_mul(tasks as Nanos), because)
    }

    /// `requests` slow requests are part of the time, side by side or one after the other:
    /// where the run's were real (its `io` mark says they went to conlab's test server), each
    /// may cost up to [`REAL_REQUEST`] more than its latency.
    #[inline(never)]
    pub fn real_requests(self, requests: usize) -> Self {
        let real = self.checks.real_requests(requests);
        let because = format!(
            "{} at up to {} each",
            count_of(real, "real request", "real requests"),
            ms(REAL_REQUEST)
        );
        self.plus(real as Nanos * REAL_REQUEST, because)
    }

    /// What the time would be under a wrong behaviour the check tells apart from the right
    /// one (`what`, e.g. "the tasks one after the other"); may be given for several. Where
    /// such a time also fits the allowed window, this run cannot tell the two apart and the
    /// check is not judged.
    #[inline(never)]
    pub fn unlike(mut self, wrong: Duration, what: impl Into<String>) -> Self {
        self.unlike.push((wrong.as_nanos() as Nanos, what.into()));
        self
    }

    /// The check fails on a trace of each of these wrong behaviours.
    #[inline(never)]
    pub fn guards(mut self, faults: &[Fault]) -> Self {
        self.guards.extend_from_slice(faults);
        self
    }

    /// The allowed window.
    fn window(&self) -> (Nanos, Nanos) {
        let extra: Nanos = self.extra.iter().map(|(e, _)| *e).sum();
        if self.at_least {
            (
                self.expected.saturating_sub(self.checks.tolerance.early),
                Nanos::MAX,
            )
        } else {
            let (lo, hi) = self.checks.tolerance.window(self.expected);
            (lo, hi.saturating_add(extra))
        }
    }

    /// Records the check: passed, failed, or not judged when the wrong behaviour's time
    /// falls inside the allowed window too.
    #[inline(never)]
    pub fn judge(self) {
        let (lo, hi) = self.window();
        let allowed = if self.at_least {
            format!("at least {}", ms(self.expected))
        } else {
            let mut allowed = format!("allowed {} to {}", ms(lo), ms(hi));
            let reasons: Vec<&str> = self.extra.iter().map(|(_, r)| r.as_str()).collect();
            if !reasons.is_empty() {
                allowed.push_str(&format!(", with {}", reasons.join(" and ")));
            }
            allowed
        };
        let expected = if self.at_least {
            String::new()
        } else {
            format!(", expected {}", ms(self.expected))
        };
        let TimeCheck {
            checks,
            id,
            description,
            actual,
            unlike,
            guards,
            at_least,
            ..
        } = self;
        let too_near = unlike
            .into_iter()
            .find(|(wrong, _)| (lo..=hi).contains(wrong));
        let recorded = match too_near {
            Some((wrong, what)) => checks.not_judged(
                &id,
                &description,
                format!(
                    "{what} would take {}, also within what this run allows ({allowed}): the difference is too small to measure here",
                    ms(wrong)
                ),
            ),
            _ if at_least => checks.check(
                &id,
                &description,
                (lo..=hi).contains(&actual),
                format!("measured {}, {allowed}", ms(actual)),
            ),
            _ => checks.check(
                &id,
                &description,
                (lo..=hi).contains(&actual),
                format!("measured {}{expected} ({allowed})", ms(actual)),
            ),
        };
        recorded.guards(&guards);
    }
}

/// What a real request to conlab's local test server may cost beyond its latency, at most: a
/// connection set up and taken down on loopback and a turn of the server's one thread (a test
/// build of both sides included). Hundreds of threads asking at once on two cores measured
/// up to 3.5 ms each (1 ms let io-bound-threads with 256 downloads fail now and then).
pub const REAL_REQUEST: Nanos = 3_000_000;

#[cfg(test)]
mod tests {
    use super::*;
    use crate::trace::Verdict;

    #[test]
    fn figures_are_said_one_way() {
        assert_eq!(figure_in(1.0, "x", false), "1.00x");
        assert_eq!(figure_in(0.799, "ms", true), "0.8 ms");
        assert_eq!(figure_in(12_168.4, "req/s", false), "12,168 req/s");
        assert_eq!(
            durations_alike(&[87_000, 104_000, 212_000]),
            ["87 µs", "104 µs", "212 µs"]
        );
        assert_eq!(durations_alike(&[900_000, 2_800_000]), ["0.9 ms", "2.8 ms"]);
        assert_eq!(moment("2026-12-07T06:08:16Z"), "2026-12-07 06:08 UTC");
        assert_eq!(moment("yesterday"), "yesterday");
        assert_eq!(
            host_cores("linux x86_64, 2 cores"),
            Some(("linux x86_64", "2"))
        );
        assert_eq!(host_cores("a laptop"), None);
    }

    #[test]
    fn figures_read_as_people_write_them() {
        assert_eq!(figure(176.7), "177");
        assert_eq!(figure(63350.0), "63,350");
        assert_eq!(figure(12.34), "12.3");
        assert_eq!(figure(2.0), "2");
        assert_eq!(figure(2.05), "2.05");
        assert_eq!(figure(0.01234), "0.0123");
        assert_eq!(figure(-3.5), "-3.5");
        assert_eq!(thousands(1_234_567), "1,234,567");
        assert_eq!(list(Vec::<u8>::new()), "none");
        assert_eq!(quoted(&["1", "3"]), "\"1\", \"3\"");
        let many: Vec<String> = (1..=40).map(|i| i.to_string()).collect();
        assert_eq!(
            quoted(&many),
            "\"1\", \"2\", \"3\", \"4\", \"5\", \"6\", \"7\", \"8\", \"9\", \"10\", … 29 more …, \"40\""
        );
    }

    /// A trace of the virtual runtime (exact times) or tokio's (tolerant), for time checks.
    fn trace_on(runtime: RuntimeKind) -> Trace {
        Trace {
            schema: crate::SCHEMA.into(),
            scenario: "create-task".into(),
            runtime,
            params: Default::default(),
            recorded_at: None,
            host: None,
            cores: None,
            interpreter: None,
            status: crate::Status::Ok,
            end: 0,
            lanes: Vec::new(),
            spans: Vec::new(),
            marks: Vec::new(),
            output: Vec::new(),
            metrics: Default::default(),
            checks: Vec::new(),
            sites: Vec::new(),
            charts: Vec::new(),
        }
    }

    fn time_check(
        runtime: RuntimeKind,
        actual: Nanos,
        expected_ms: u64,
        wrong_ms: u64,
    ) -> CheckResult {
        let trace = trace_on(runtime);
        let params = Params::defaults(&[]);
        let mut c = Checks::new(&trace, &params);
        c.time("t", "about one sleep", actual)
            .about(Duration::from_millis(expected_ms))
            .unlike(Duration::from_millis(wrong_ms), "one after the other")
            .guards(&[Fault::SerialTasks])
            .judge();
        let (mut results, promises) = c.finish_with_promises();
        assert_eq!(promises.guards, [("t".to_string(), Fault::SerialTasks)]);
        results.remove(0)
    }

    #[test]
    fn a_time_check_is_judged_only_where_the_wrong_behaviour_falls_outside_its_window() {
        // Two tasks of 200 ms on tokio: one after the other (400 ms) lies beyond what one
        // sleep may take (310 ms), so the check judges.
        let ok = time_check(RuntimeKind::Tokio, 205_000_000, 200, 400);
        assert_eq!(ok.verdict(), Verdict::Passed, "{}", ok.detail);
        let bad = time_check(RuntimeKind::Tokio, 400_000_000, 200, 400);
        assert_eq!(bad.verdict(), Verdict::Failed, "{}", bad.detail);
        // Two tasks of 2 ms (time-scale=0.01): 4 ms one after the other fits the window too,
        // so the run cannot tell, whatever it measured.
        for actual in [2_000_000, 4_000_000] {
            let unjudged = time_check(RuntimeKind::Tokio, actual, 2, 4);
            assert_eq!(unjudged.verdict(), Verdict::NotJudged);
            assert!(!unjudged.passed);
            assert!(
                unjudged
                    .detail
                    .contains("one after the other would take 4 ms"),
                "{}",
                unjudged.detail
            );
        }
        // On virtual time the window is exact: 2 ms against 4 ms is told apart.
        let exact = time_check(RuntimeKind::Virtual, 4_000_000, 2, 4);
        assert_eq!(exact.verdict(), Verdict::Failed);
        // With no latency at all there is nothing to tell apart.
        let zero = time_check(RuntimeKind::Virtual, 0, 0, 0);
        assert_eq!(zero.verdict(), Verdict::NotJudged);
    }

    #[test]
    fn the_phases_checks_read_are_noted() {
        let trace = trace_on(RuntimeKind::Virtual);
        let params = Params::defaults(&[]);
        let c = Checks::new(&trace, &params);
        assert_eq!(c.phase("gather"), None);
        assert_eq!(c.phase_length("wait"), None);
        let (_, promises) = c.finish_with_promises();
        assert_eq!(promises.phases_read, ["gather", "wait"]);
    }

    #[test]
    fn windows() {
        let v = Tolerance::for_runtime(RuntimeKind::Virtual);
        assert_eq!(v.window(200), (200, 200));
        let t = Tolerance::for_runtime(RuntimeKind::Tokio);
        assert_eq!(t.window(200_000_000), (198_000_000, 310_000_000));
    }

    #[test]
    fn ms_format() {
        assert_eq!(ms(200_000_000), "200 ms");
        assert_eq!(ms(3_032_000_000), "3,032 ms");
        assert_eq!(ms(1_500_000), "1.5 ms");
        assert_eq!(ms(12_500_000_000), "12.5 s");
        assert_eq!(ms(12_000_000_000_000), "12,000 s");
        assert_eq!(ms(40_000), "40 µs");
        assert_eq!(ms(250), "250 ns");
        assert_eq!(ms(0), "0 ms");
    }
}
