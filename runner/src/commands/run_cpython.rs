//! `conlab run ID --runtime cpython [--compare]`: the lesson as its Python program, traced
//! under CPython and judged by the scenario's checks; with `--compare`, conlab's own run of
//! it too, and the two verdicts side by side.

use super::run::{emit, outcome, verdict, writable};
use crate::cli::{OutputFormat, RunArgs};
use crate::render;
use crate::Failure;
use anyhow::anyhow;
use conlab_core::catalog::ScenarioInfo;
use conlab_core::{Params, Trace, Verdict};
use conlab_scenarios::{cpython, RuntimeChoice};
use std::fmt::Write as _;
use std::io::IsTerminal;
use std::time::Duration;

pub fn run(
    args: RunArgs,
    info: &'static ScenarioInfo,
    params: Params,
    asked: Option<Duration>,
) -> Result<(), Failure> {
    let usage = |e: &dyn std::fmt::Display| Failure::Usage(anyhow!("{e}"));
    if args.schedule.is_some() {
        return Err(Failure::Usage(anyhow!(
            "--schedule replays a run on the deterministic scheduler (--runtime virtual), not a Python run"
        )));
    }
    if args.compare && args.format != OutputFormat::Text {
        return Err(Failure::Usage(anyhow!(
            "--compare shows the two runs as text; to keep their traces, run each with --format json"
        )));
    }
    let limit = cpython::time_limit(info.id, &params, asked).map_err(|e| usage(&e))?;
    if let Some(out) = &args.out {
        writable(out)?;
    }
    // Said before anything runs: no Python, or none new enough.
    cpython::find_python().map_err(|e| usage(&e))?;
    let writes_trace = args.format != OutputFormat::Text;
    let max_events = writes_trace.then_some(conlab_scenarios::MAX_EVENTS_WRITTEN);
    let conlab = if args.compare {
        Some(conlab_run(info, &params, asked)?)
    } else {
        None
    };
    let run = cpython::start(info.id, &params, limit, max_events).map_err(|e| usage(&e))?;
    crate::interrupt::stop_gently_first(run.stopper());
    let python = run.wait();
    crate::interrupt::no_gentle_stop();
    crate::interrupt::stop_here_if_interrupted();
    let color = args.out.is_none() && std::io::stdout().is_terminal();
    let text = match (args.format, &conlab) {
        (OutputFormat::Text, Some(ours)) => compared(ours, &python, info, color),
        (OutputFormat::Text, None) => render::text::trace(&python, info, color),
        (OutputFormat::Json, _) => python.to_json(),
        (OutputFormat::Chrome, _) => conlab_core::chrome::to_chrome_json(&python),
    };
    emit(&text, args.out.as_deref())?;
    if let Some(out) = &args.out {
        eprintln!(
            "{} · cpython: {} — written to {}",
            python.scenario,
            verdict(&python),
            out.display()
        );
    }
    if matches!(python.status, conlab_core::Status::Stopped { .. })
        || crate::interrupt::stopped_gently()
    {
        return Err(Failure::Stopped);
    }
    match conlab.as_ref().map(outcome) {
        Some(Err(e)) => Err(e),
        _ => outcome(&python),
    }
}

/// conlab's own run of the lesson, where `conlab run` would make it by default.
fn conlab_run(
    info: &'static ScenarioInfo,
    params: &Params,
    asked: Option<Duration>,
) -> Result<Trace, Failure> {
    let runtime = if info.platforms.native {
        RuntimeChoice::Tokio
    } else {
        RuntimeChoice::Virtual
    };
    let limit = conlab_scenarios::time_limit(info.id, runtime, params, asked)
        .map_err(|e| Failure::Usage(anyhow!(e)))?;
    conlab_scenarios::run(info.id, runtime, params, limit).map_err(|e| Failure::Usage(anyhow!(e)))
}

/// The two runs one after the other, then their checks side by side.
fn compared(ours: &Trace, python: &Trace, info: &ScenarioInfo, color: bool) -> String {
    let mut s = String::new();
    let rule = "═".repeat(72);
    let _ = writeln!(s, "{rule}\nconlab's run\n{rule}");
    s.push_str(&render::text::trace(ours, info, color));
    let _ = writeln!(s, "\n{rule}\nthe Python program under CPython\n{rule}");
    s.push_str(&render::text::trace(python, info, color));
    let _ = writeln!(s, "\n{rule}\nside by side\n{rule}");
    let mut ids: Vec<&str> = ours.checks.iter().map(|c| c.id.as_str()).collect();
    for c in &python.checks {
        if !ids.contains(&c.id.as_str()) {
            ids.push(&c.id);
        }
    }
    let word = |t: &Trace, id: &str| match t.checks.iter().find(|c| c.id == id) {
        Some(c) => match c.verdict() {
            Verdict::Passed => "passed",
            Verdict::Failed => "FAILED",
            Verdict::NotJudged => "not judged",
        },
        None => "—",
    };
    let mut rows = vec![(
        "check".to_string(),
        "conlab".to_string(),
        "CPython".to_string(),
    )];
    rows.extend(ids.iter().map(|id| {
        (
            id.to_string(),
            word(ours, id).into(),
            word(python, id).into(),
        )
    }));
    rows.push((
        "makespan".into(),
        conlab_core::ms(ours.metrics.makespan),
        conlab_core::ms(python.metrics.makespan),
    ));
    rows.push(("verdict".into(), verdict(ours), verdict(python)));
    let first = rows.iter().map(|r| r.0.chars().count()).max().unwrap_or(0);
    let second = rows.iter().map(|r| r.1.chars().count()).max().unwrap_or(0);
    for (a, b, c) in rows {
        let _ = writeln!(s, "{a:<first$}  {b:<second$}  {c}");
    }
    s
}
