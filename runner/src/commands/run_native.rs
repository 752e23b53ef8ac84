//! `conlab run-native`: every natively runnable scenario with default parameters, with a
//! progress bar, a summary table and every trace saved as JSON.

use crate::cli::RunNativeArgs;
use crate::out::outln;
use crate::Failure;
use anyhow::{anyhow, Context};
use conlab_core::catalog::{self, Chapter};
use conlab_core::{ms, Status, Trace};
use indicatif::{ProgressBar, ProgressStyle};
use std::io::IsTerminal;
use std::path::PathBuf;
use std::time::Instant;

pub fn run(args: RunNativeArgs) -> Result<(), Failure> {
    let no_serve = args.no_serve;
    let report_dir = args.report.clone();
    let limit = super::timeout(args.timeout)?;
    let ids = select(&conlab_scenarios::native_ids(), &args.only, &args.skip)?;
    if ids.is_empty() {
        return Err(Failure::Usage(anyhow!(
            "--only/--skip leave no scenario to run"
        )));
    }
    let dir = args.out.unwrap_or_else(default_dir);
    // Before the runs rather than after them.
    super::serve::safe_to_write(&report_dir, &dir, "--report")?;
    std::fs::create_dir_all(&dir)
        .with_context(|| format!("could not create {}", dir.display()))
        .map_err(Failure::Usage)?;

    let interactive = std::io::stderr().is_terminal();
    let bar = if interactive {
        let bar = ProgressBar::new(ids.len() as u64);
        let style = ProgressStyle::with_template(
            "{spinner} [{elapsed_precise}] {bar:30} {pos}/{len} {msg}",
        )
        .unwrap_or_else(|_| ProgressStyle::default_bar());
        bar.set_style(style);
        bar.enable_steady_tick(std::time::Duration::from_millis(100));
        bar
    } else {
        ProgressBar::hidden()
    };
    let started = Instant::now();
    let traces = conlab_scenarios::suite::run_suite(&ids, limit, &dir, |i, id| {
        crate::interrupt::stop_here_if_interrupted();
        if i > 0 {
            bar.inc(1);
        }
        bar.set_message(id);
        if !interactive {
            eprintln!("[{}/{}] {id}", i + 1, ids.len());
        }
    })
    .map_err(|e| match e {
        // Runs ended, but what they wrote could not be (a full disk): said apart.
        conlab_scenarios::suite::SuiteError::Write { .. } => Failure::Output(anyhow!(e)),
        e => Failure::Run(anyhow!(e)),
    })?;
    bar.finish_and_clear();

    outln!("{}", summary_table(&traces));
    let refused: Vec<&str> = traces
        .iter()
        .filter(|t| matches!(t.status, Status::Refused { .. }))
        .map(|t| t.scenario.as_str())
        .collect();
    let failed: Vec<&str> = traces
        .iter()
        .filter(|t| conlab_scenarios::suite::failed(t))
        .filter(|t| !matches!(t.status, Status::Refused { .. }))
        .map(|t| t.scenario.as_str())
        .collect();
    outln!(
        "{} scenarios in {:.1} s: {} passed, {} failed, {} refused, {} skipped. Traces saved in {}",
        traces.len(),
        started.elapsed().as_secs_f64(),
        traces.iter().filter(|t| t.passed()).count(),
        failed.len(),
        refused.len(),
        traces
            .iter()
            .filter(|t| matches!(t.status, Status::Skipped { .. }))
            .count(),
        dir.display()
    );
    let report = super::serve::write_report(&dir, None, &report_dir, "--report")?;
    outln!("Report: {}", report.join("index.html").display());
    let outcome = match (failed.is_empty(), refused.is_empty()) {
        (true, true) => Ok(()),
        (false, true) => Err(Failure::Run(anyhow!("failed: {}", failed.join(", ")))),
        (true, false) => Err(Failure::Run(anyhow!("refused: {}", refused.join(", ")))),
        (false, false) => Err(Failure::Run(anyhow!(
            "failed: {}; refused: {}",
            failed.join(", "),
            refused.join(", ")
        ))),
    };
    if !no_serve {
        serve_report(report);
    }
    outcome
}

/// Serves the report on 127.0.0.1 (port 7878, or any free one) until Ctrl-C; only with a
/// terminal, so a script never waits on it.
fn serve_report(report: PathBuf) {
    if !std::io::stdin().is_terminal() {
        outln!("(not serving it: no terminal; `conlab serve --open <dir>` serves a suite)");
        return;
    }
    let mut config = conlab_serve::Config::new(PathBuf::from("target/conlab/served"));
    config.report = Some(report);
    let server = conlab_serve::Server::start(config.clone()).or_else(|_| {
        config.bind.set_port(0);
        conlab_serve::Server::start(config)
    });
    match server {
        Ok(server) => {
            super::serve::announce(&server, true, conlab_serve::has_web_app());
            super::serve::serve_until_interrupted(server);
        }
        Err(e) => eprintln!("conlab: could not serve the report: {e}"),
    }
}

/// The scenarios to run: all of `ids`, or those named by `--only`, less those named by
/// `--skip`. A name is a scenario id or a chapter id.
fn select(
    ids: &[&'static str],
    only: &[String],
    skip: &[String],
) -> Result<Vec<&'static str>, Failure> {
    for name in only.iter().chain(skip) {
        if catalog::find(name).is_none() && Chapter::from_id(name).is_none() {
            let chapters: Vec<&str> = Chapter::ALL.iter().map(|c| c.id()).collect();
            return Err(Failure::Usage(anyhow!(
                "`{name}` is neither a scenario id nor a chapter ({}); `conlab list` shows the ids",
                chapters.join(", ")
            )));
        }
    }
    let matches = |id: &str, name: &String| {
        id == name || catalog::find(id).is_some_and(|s| s.chapter.id() == name)
    };
    Ok(ids
        .iter()
        .copied()
        .filter(|id| only.is_empty() || only.iter().any(|n| matches(id, n)))
        .filter(|id| !skip.iter().any(|n| matches(id, n)))
        .collect())
}

fn default_dir() -> PathBuf {
    let stamp = conlab_tokio::rfc3339_now().replace(':', "-");
    PathBuf::from("target")
        .join("conlab")
        .join("runs")
        .join(stamp)
}

fn summary_table(traces: &[Trace]) -> String {
    let mut out = format!(
        "{:<24} {:>11} {:>8}  {}\n",
        "SCENARIO", "MAKESPAN", "CHECKS", "STATUS"
    );
    for t in traces {
        let tally = t.tally();
        let passed = tally.passed;
        let status = match &t.status {
            Status::Ok if t.passed() && tally.not_judged > 0 => {
                format!("ok, {} not judged", tally.not_judged)
            }
            Status::Ok if t.passed() => "ok".to_string(),
            Status::Ok => format!("CHECKS FAILED: {}", t.failed_checks().join(", ")),
            Status::Failed { reason } => format!("FAILED: {reason}"),
            Status::TimedOut { limit_ms } => format!("TIMED OUT after {limit_ms} ms"),
            Status::Stopped { after_ms } => format!("STOPPED after {after_ms} ms"),
            Status::Skipped { reason } => format!("skipped: {reason}"),
            Status::Refused { reason } => format!("REFUSED: {reason}"),
        };
        // A run that did not happen as a whole has no figures and no verdict to count.
        let judged = t.outcome() != conlab_core::Outcome::NoVerdict;
        out.push_str(&format!(
            "{:<24} {:>11} {:>8}  {}\n",
            t.scenario,
            if judged {
                ms(t.metrics.makespan)
            } else {
                "—".to_string()
            },
            if judged {
                format!("{passed}/{}", t.checks.len())
            } else {
                "—".to_string()
            },
            status
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn selection_by_id_and_chapter() {
        let ids = ["io-switch", "asyncio-two-tasks", "cancel-all"];
        let s = |only: &[&str], skip: &[&str]| {
            let only: Vec<String> = only.iter().map(|s| s.to_string()).collect();
            let skip: Vec<String> = skip.iter().map(|s| s.to_string()).collect();
            select(&ids, &only, &skip).map_err(|_| ())
        };
        assert_eq!(s(&[], &[]), Ok(ids.to_vec()));
        assert_eq!(s(&["coroutines"], &[]), Ok(vec!["io-switch"]));
        assert_eq!(
            s(&["asyncio"], &["cancel-all"]),
            Ok(vec!["asyncio-two-tasks"])
        );
        assert_eq!(s(&["nonsense"], &[]), Err(()));
    }
}
