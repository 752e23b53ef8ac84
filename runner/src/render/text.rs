//! A trace as text: header, output lines, the lane timeline, metrics and checks.

use super::timeline;
use conlab_core::catalog::ScenarioInfo;
use conlab_core::{ms, Outcome, Status, Trace, Verdict};
use std::fmt::Write;

/// At most this many output lines are shown; the JSON trace has them all.
const OUTPUT_LIMIT: usize = 40;

fn paint(text: &str, code: &str, color: bool) -> String {
    if color {
        format!("\x1b[{code}m{text}\x1b[0m")
    } else {
        text.to_string()
    }
}

/// Renders a whole trace; `color` adds ANSI colours.
/// Where a run ran, in words: natively, thread and process scenarios run on OS threads and
/// processes, not on tokio (`--runtime tokio` is the command line's name for natively).
pub fn runtime_words(runtime: conlab_core::RuntimeKind, info: &ScenarioInfo) -> &'static str {
    use conlab_core::catalog::Chapter;
    match (runtime, info.chapter) {
        (conlab_core::RuntimeKind::Tokio, Chapter::Threads | Chapter::Processes) => "native",
        (conlab_core::RuntimeKind::Tokio, _) => "native (tokio)",
        (other, _) => other.as_str(),
    }
}

pub fn trace(t: &Trace, info: &ScenarioInfo, color: bool) -> String {
    let mut s = String::new();
    let params: Vec<String> = t.params.iter().map(|(k, v)| format!("{k}={v}")).collect();
    let _ = writeln!(
        s,
        "{}",
        paint(&format!("{} — {}", t.scenario, info.title), "1", color)
    );
    let runtime = match &t.interpreter {
        Some(python) => format!("{} · {}", runtime_words(t.runtime, info), python.describe()),
        None => runtime_words(t.runtime, info).to_string(),
    };
    let _ = writeln!(
        s,
        "runtime {runtime} · {} · {}",
        params.join(" "),
        t.host.as_deref().unwrap_or("virtual time")
    );
    let _ = writeln!(s, "{}", info.explanation);

    let _ = writeln!(s, "\n{}", paint("Output", "1", color));
    if t.output.is_empty() {
        let _ = writeln!(s, "  (none)");
    }
    // As wide as the longest name of a lane that printed (a child process's name carries its
    // PID), so the lines start in one column.
    let width = t
        .output
        .iter()
        .take(OUTPUT_LIMIT)
        .filter_map(|l| t.lanes.get(l.lane as usize))
        .map(|l| l.name.chars().count())
        .max()
        .unwrap_or(4)
        .min(28);
    for line in t.output.iter().take(OUTPUT_LIMIT) {
        let lane = t
            .lanes
            .get(line.lane as usize)
            .map(|l| l.name.as_str())
            .unwrap_or("?");
        let _ = writeln!(s, "  {:>9}  {:<width$}  {}", ms(line.t), lane, line.text);
    }
    if t.output.len() > OUTPUT_LIMIT {
        let _ = writeln!(
            s,
            "  … {} more lines (--format json has them all)",
            t.output.len() - OUTPUT_LIMIT
        );
    }

    let _ = writeln!(s, "\n{}", paint(&timeline_heading(t), "1", color));
    s.push_str(&timeline::render(t, 100));

    let m = &t.metrics;
    // A run that did not happen as a whole: no figures when it recorded nothing, and no
    // comparisons when it stopped midway (what it measured, such as a load test's latency,
    // is still shown).
    let judged = t.outcome() != Outcome::NoVerdict;
    let figures = judged || !t.spans.is_empty() || m.latency.is_some() || !m.extra.is_empty();
    if figures {
        let _ = writeln!(s, "\n{}", paint("Metrics", "1", color));
        // Only the figures that mean something for this scenario (a run of phases has no single
        // speed-up, and 10,000 sleeping tasks no busy total).
        let mut line = format!("  makespan {}", ms(m.makespan));
        // A run that took no time (on virtual time, nothing slept or computed) has no
        // speed-up or peak concurrency (nothing overlapped in time), and requests that took
        // none no latency.
        if let Some(speedup) = m
            .meaningful_speedup()
            .filter(|_| info.shown.speedup && judged)
        {
            let _ = write!(
                line,
                " · busy total {} · speedup {}",
                ms(m.sequential_sum),
                conlab_core::figure_in(speedup, "x", false)
            );
        }
        if let Some(peak) = m.meaningful_peak().filter(|_| info.shown.peak && judged) {
            let _ = write!(line, " · peak concurrency {peak}");
        }
        let _ = writeln!(s, "{line}");
        if let Some(l) = m.latency.as_ref().filter(|l| l.max > 0) {
            let d = conlab_core::durations_alike(&[l.min, l.mean, l.p50, l.p90, l.p99, l.max]);
            let _ = writeln!(
                s,
                "  latency: {} · min {} · mean {} · p50 {} · p90 {} · p99 {} · max {} · {} req/s",
                conlab_core::count_of(l.count as usize, "request", "requests"),
                d[0],
                d[1],
                d[2],
                d[3],
                d[4],
                d[5],
                conlab_core::figure(l.throughput_per_s)
            );
        }
        for e in &m.extra {
            let _ = writeln!(
                s,
                "  {} = {}",
                e.key,
                conlab_core::figure_in(e.value, &e.unit, e.unit == "ms")
            );
        }
    }

    // A run that did not happen as a whole is not judged: no checks to list.
    if judged {
        let _ = writeln!(s, "\n{}", paint("Checks", "1", color));
    }
    for c in &t.checks {
        let (mark, before) = match c.verdict() {
            Verdict::Passed => (paint("✓", "32", color), ""),
            Verdict::Failed => (paint("✗", "31", color), ""),
            Verdict::NotJudged => (paint("○", "2", color), "not judged: "),
        };
        let _ = writeln!(s, "  {mark} {} — {}", c.id, c.description);
        if !c.detail.is_empty() {
            let _ = writeln!(s, "      {before}{}", c.detail);
        }
    }
    let tally = conlab_core::chrome::tally_words(&t.tally());
    let verdict = match &t.status {
        Status::Ok if t.lanes.is_empty() => paint("NOTHING RECORDED (no verdict)", "33;1", color),
        Status::Ok if t.passed() => paint("PASSED", "32;1", color),
        Status::Ok => paint("FAILED", "31;1", color),
        Status::Failed { reason } => paint(&format!("FAILED: {reason}"), "31;1", color),
        Status::TimedOut { limit_ms } => paint(
            &format!(
                "TIMED OUT after {limit_ms} ms (partial trace; --timeout gives a run more time)"
            ),
            "31;1",
            color,
        ),
        Status::Stopped { after_ms } => paint(
            &format!(
                "STOPPED after {} (partial trace, no verdict)",
                conlab_core::ms(after_ms * 1_000_000)
            ),
            "33;1",
            color,
        ),
        Status::Skipped { reason } => paint(&format!("SKIPPED: {reason}"), "33;1", color),
        Status::Refused { reason } => paint(
            &format!("REFUSED (partial trace, no verdict): {reason}"),
            "33;1",
            color,
        ),
    };
    if judged {
        let _ = write!(s, "\n{verdict} — {tally}");
    } else {
        let _ = write!(s, "\n{verdict}");
    }
    s
}

/// The timeline's heading: its span of time, or, for a run that took none, what it draws
/// instead.
fn timeline_heading(t: &Trace) -> String {
    match conlab_core::replay::on_step_axis(t) {
        Some(_) => {
            "Timeline (no time passed: one column per step, in the order they happened)".to_string()
        }
        None => format!("Timeline (0 – {})", ms(t.end)),
    }
}
