//! Building check results from a trace, with timing tolerances that depend on where the trace
//! was recorded: exact on the virtual runtime, generous enough for a busy 2-core machine on
//! real ones.

use crate::params::Params;
use crate::trace::{CheckResult, Nanos, RuntimeKind, Trace};
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
/// a prediction adds up.
pub const TIMER_RESOLUTION_METRIC: &str = "timer_resolution_ms";

/// Formats a time for people: milliseconds up to 10 s (`0.4 ms`, `850 ms`), then seconds
/// (`12.5 s`, `12000 s`).
pub fn ms(ns: Nanos) -> String {
    let v = ns as f64 / 1e6;
    if v >= 1_000_000.0 {
        format!("{:.0} s", v / 1e3)
    } else if v >= 10_000.0 {
        format!("{:.1} s", v / 1e3)
    } else if v >= 100.0 || v == v.trunc() {
        format!("{v:.0} ms")
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

/// Lines of text as a person reads them quoted: `"1", "3", "2"` (`none` for none).
pub fn quoted<T: AsRef<str>>(lines: &[T]) -> String {
    list(lines.iter().map(|l| format!("\"{}\"", l.as_ref())))
}

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

/// A count with its noun in the right number: `1 job`, `3 jobs`, `1 query`, `2 queries`.
pub fn count_of(n: usize, one: &str, many: &str) -> String {
    if n == 1 {
        format!("1 {one}")
    } else {
        format!("{n} {many}")
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
}

impl<'a> Checks<'a> {
    /// Starts checking `trace`.
    pub fn new(trace: &'a Trace, params: &'a Params) -> Checks<'a> {
        Checks {
            trace,
            params,
            tolerance: Tolerance::for_runtime(trace.runtime),
            results: Vec::new(),
        }
    }

    /// Whether the trace was recorded on the deterministic virtual runtime, where exact orders
    /// and times are checked.
    pub fn is_virtual(&self) -> bool {
        self.trace.runtime == RuntimeKind::Virtual
    }

    /// Records a check.
    pub fn check(&mut self, id: &str, description: &str, passed: bool, detail: impl Into<String>) {
        self.results.push(CheckResult {
            id: id.to_string(),
            description: description.to_string(),
            passed,
            detail: detail.into(),
        });
    }

    /// Checks that a measured time is about `expected` (within the runtime's tolerance).
    pub fn about(&mut self, id: &str, description: &str, actual: Nanos, expected: Duration) {
        let expected = expected.as_nanos() as Nanos;
        let (lo, hi) = self.tolerance.window(expected);
        let passed = (lo..=hi).contains(&actual);
        let detail = format!(
            "measured {}, expected {} (allowed {}..{})",
            ms(actual),
            ms(expected),
            ms(lo),
            ms(hi)
        );
        self.check(id, description, passed, detail);
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

    /// The runtime's timer resolution as it recorded it (zero where time is exact).
    pub fn timer_resolution(&self) -> Nanos {
        self.trace
            .metrics
            .extra(TIMER_RESOLUTION_METRIC)
            .map_or(0, |ms| (ms * 1e6) as Nanos)
    }

    /// Like [`Checks::about`] for a time made of `waits` sleeps or waits one after the other:
    /// each may take up to one tick of the runtime's timer longer than asked.
    pub fn about_waits(
        &mut self,
        id: &str,
        description: &str,
        actual: Nanos,
        expected: Duration,
        waits: u64,
    ) {
        let tick = self.timer_resolution();
        let because = format!(
            "{waits} timer {} of {}",
            if waits == 1 { "tick" } else { "ticks" },
            ms(tick)
        );
        self.about_plus(
            id,
            description,
            actual,
            expected,
            tick.saturating_mul(waits),
            &because,
        );
    }

    /// Like [`Checks::about`] for a time that `tasks` tasks share (they run side by side):
    /// each may add the runtime's cost of one task.
    pub fn about_tasks(
        &mut self,
        id: &str,
        description: &str,
        actual: Nanos,
        expected: Duration,
        tasks: usize,
    ) {
        let each = self.tolerance.per_task;
        let because = format!(
            "{} at {} each",
            count_of(tasks, "task", "tasks"),
            if each >= 1_000_000 {
                ms(each)
            } else {
                format!("{} µs", each / 1_000)
            }
        );
        self.about_plus(
            id,
            description,
            actual,
            expected,
            each.saturating_mul(tasks as Nanos),
            &because,
        );
    }

    /// Like [`Checks::about`], allowing `extra` more lateness for a reason the trace shows
    /// (`because`, said in the detail when `extra` is not zero), such as the time it took to
    /// start the threads.
    pub fn about_plus(
        &mut self,
        id: &str,
        description: &str,
        actual: Nanos,
        expected: Duration,
        extra: Nanos,
        because: &str,
    ) {
        let expected = expected.as_nanos() as Nanos;
        let (lo, hi) = self.tolerance.window(expected);
        let hi = hi.saturating_add(extra);
        let passed = (lo..=hi).contains(&actual);
        let mut detail = format!(
            "measured {}, expected {} (allowed {}..{}",
            ms(actual),
            ms(expected),
            ms(lo),
            ms(hi)
        );
        if extra > 0 {
            detail.push_str(&format!(", with {because}"));
        }
        detail.push(')');
        self.check(id, description, passed, detail);
    }

    /// Checks that a measured time is at least `bound` (less the runtime's early tolerance).
    pub fn at_least(&mut self, id: &str, description: &str, actual: Nanos, bound: Duration) {
        let bound = bound.as_nanos() as Nanos;
        let lo = bound.saturating_sub(self.tolerance.early);
        let detail = format!("measured {}, at least {}", ms(actual), ms(bound));
        self.check(id, description, actual >= lo, detail);
    }

    /// Checks that the output lines are exactly `expected`, in order.
    pub fn output_is(&mut self, id: &str, description: &str, expected: &[String]) {
        let got: Vec<&str> = self.trace.output_texts();
        let passed = got.len() == expected.len() && got.iter().zip(expected).all(|(a, b)| a == b);
        let detail = format!("output {}, expected {}", quoted(&got), quoted(expected));
        self.check(id, description, passed, detail);
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

    /// The position of the first output line with this text.
    pub fn position(&self, text: &str) -> Option<usize> {
        self.trace.output.iter().position(|l| l.text == text)
    }

    /// The results.
    pub fn finish(self) -> Vec<CheckResult> {
        self.results
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
        assert_eq!(ms(1_500_000), "1.5 ms");
        assert_eq!(ms(12_500_000_000), "12.5 s");
        assert_eq!(ms(12_000_000_000_000), "12000 s");
        assert_eq!(ms(40_000), "40 µs");
        assert_eq!(ms(250), "250 ns");
        assert_eq!(ms(0), "0 ms");
    }
}
