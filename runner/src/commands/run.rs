//! `conlab run`: one scenario, shown as text, JSON or Chrome trace events.

use crate::cli::{OutputFormat, RunArgs, RuntimeArg};
use crate::render;
use crate::Failure;
use anyhow::{anyhow, Context};
use conlab_core::catalog;
use conlab_core::{Params, Trace};
use conlab_scenarios::RuntimeChoice;
use std::io::IsTerminal;

pub fn run(args: RunArgs) -> Result<(), Failure> {
    conlab_scenarios::allow_remote_targets(args.allow_remote);
    let asked = args.timeout.map(super::timeout).transpose()?;
    let info = catalog::lookup(&args.id).map_err(|e| Failure::Usage(anyhow!(e)))?;
    let params =
        Params::from_assignments(info.id, info.params, args.params.iter().map(String::as_str))
            .map_err(|e| Failure::Usage(anyhow!(e)))?;
    if args.compare && args.runtime != Some(RuntimeArg::Cpython) {
        return Err(Failure::Usage(anyhow!(
            "--compare runs a lesson both in conlab and as its Python program: add --runtime cpython"
        )));
    }
    let runtime = match args.runtime {
        Some(RuntimeArg::Virtual) => RuntimeChoice::Virtual,
        Some(RuntimeArg::Tokio) => RuntimeChoice::Tokio,
        Some(RuntimeArg::Cpython) => return super::run_cpython::run(args, info, params, asked),
        None if info.platforms.native => RuntimeChoice::Tokio,
        None => RuntimeChoice::Virtual,
    };
    let limit = conlab_scenarios::time_limit(info.id, runtime, &params, asked)
        .map_err(|e| Failure::Usage(anyhow!(e)))?;
    if let Some(out) = &args.out {
        writable(out)?;
    }
    // A trace written must be one conlab reads back: refused up front where its estimate is
    // too large, cut off (refused) where the run records more than one can hold.
    let writes_trace = args.format != OutputFormat::Text;
    if let Some(why) = writes_trace
        .then(|| conlab_scenarios::trace_too_large(info.id, &params))
        .flatten()
    {
        return Err(Failure::Usage(anyhow!(
            "{why}; choose smaller values, or --format text, which writes no trace"
        )));
    }
    let max_events = writes_trace.then_some(conlab_scenarios::MAX_EVENTS_WRITTEN);
    let scheduled = conlab_scenarios::find(info.id).filter(|s| s.scheduled.is_some());
    if args.schedule.is_some() && (runtime != RuntimeChoice::Virtual || scheduled.is_none()) {
        return Err(Failure::Usage(anyhow!(
            "--schedule replays a thread scenario on the deterministic scheduler: add \
             --runtime virtual{}",
            if scheduled.is_none() {
                format!(", with a scenario that runs there (`{}` does not)", info.id)
            } else {
                String::new()
            }
        )));
    }
    let trace = match (runtime, scheduled) {
        (RuntimeChoice::Virtual, Some(scenario)) => {
            let bounds = conlab_scenarios::Bounds {
                time: limit,
                stop: None,
                max_events,
                max_events_why: conlab_scenarios::TOO_MANY_EVENTS_TO_WRITE,
            };
            let run = conlab_scenarios::scheduled::run_bounded(
                scenario,
                &params,
                args.schedule.as_deref(),
                Some(&bounds),
            )
            .map_err(|e| Failure::Usage(anyhow!(e)))?;
            eprintln!(
                "schedule (replays this run with --schedule): {}",
                run.schedule
            );
            run.trace
        }
        (runtime, _) => match runtime {
            RuntimeChoice::Tokio => {
                let run = conlab_scenarios::start_native(info.id, params.clone(), limit)
                    .map_err(|e| Failure::Usage(anyhow!(e)))?;
                // The first Ctrl-C stops the run, which is then shown as far as it got. Not a run
                // on Redis or MySQL: its threads may still write after its end, so what it left is
                // removed once the process has exited, as on a second Ctrl-C.
                if !conlab_scenarios::needs_databases(info.id) {
                    crate::interrupt::stop_gently_first(Box::new(run.stopper()));
                }
                let too_many = show_progress_until_done(&run, max_events);
                let mut trace = run.wait();
                crate::interrupt::no_gentle_stop();
                if let Some(events) = too_many {
                    trace.status = conlab_core::Status::Refused {
                        reason: too_many_events(events),
                    };
                    trace.checks.clear();
                }
                trace
            }
            RuntimeChoice::Virtual => conlab_scenarios::run_virtual_bounded(
                info.id,
                &params,
                &conlab_scenarios::Bounds {
                    time: limit,
                    stop: None,
                    max_events,
                    max_events_why: conlab_scenarios::TOO_MANY_EVENTS_TO_WRITE,
                },
            )
            .map_err(|e| Failure::Usage(anyhow!(e)))?,
        },
    };
    crate::interrupt::stop_here_if_interrupted();
    let text = match args.format {
        OutputFormat::Text => {
            let color = args.out.is_none() && std::io::stdout().is_terminal();
            render::text::trace(&trace, info, color)
        }
        OutputFormat::Json => trace.to_json(),
        OutputFormat::Chrome => conlab_core::chrome::to_chrome_json(&trace),
    };
    emit(&text, args.out.as_deref())?;
    if let Some(out) = &args.out {
        eprintln!(
            "{} · {}: {} — written to {}",
            trace.scenario,
            render::text::runtime_words(trace.runtime, info),
            verdict(&trace),
            out.display()
        );
    }
    // Only Ctrl-C stops a run of the command line; one that ended as Ctrl-C came still exits
    // as interrupted, as the message said.
    if matches!(trace.status, conlab_core::Status::Stopped { .. })
        || crate::interrupt::stopped_gently()
    {
        return Err(Failure::Stopped);
    }
    outcome(&trace)
}

/// Why a run that writes its trace was cut off.
pub(super) fn too_many_events(events: usize) -> String {
    format!(
        "the run recorded more than {} events ({events} when it was cut off): {}",
        conlab_scenarios::MAX_EVENTS_WRITTEN,
        conlab_scenarios::TOO_MANY_EVENTS_TO_WRITE
    )
}

/// While a native run goes on, shows on the terminal (standard error, when it is one) the
/// line the scenario says its progress in, redrawn in place; the line is cleared at the end.
/// A run that records more than `max_events` is stopped: how many it had then.
fn show_progress_until_done(
    run: &conlab_scenarios::NativeRun,
    max_events: Option<usize>,
) -> Option<usize> {
    let terminal = std::io::stderr().is_terminal();
    let mut shown = None::<String>;
    let mut too_many = None;
    while !run.is_finished() {
        std::thread::sleep(std::time::Duration::from_millis(100));
        if let Some(max) = max_events.filter(|_| too_many.is_none()) {
            let events = run.event_count();
            if events > max {
                too_many = Some(events);
                run.stop();
            }
        }
        if !terminal {
            continue;
        }
        let line = run.progress();
        if line.is_some() && line != shown {
            let text = line.as_deref().unwrap_or("");
            eprint!("\r\x1b[2K{text}");
            shown = line;
        }
    }
    if shown.is_some() {
        eprint!("\r\x1b[2K");
    }
    too_many
}

/// Refuses an `--out` file whose folder does not exist, before the run rather than after it.
pub(super) fn writable(out: &std::path::Path) -> Result<(), Failure> {
    let folder = match out.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => std::path::Path::new("."),
    };
    if !folder.is_dir() {
        return Err(Failure::Usage(anyhow!(
            "--out {}: the folder {} does not exist",
            out.display(),
            folder.display()
        )));
    }
    if out.is_dir() {
        return Err(Failure::Usage(anyhow!(
            "--out {}: that is a folder; name a file in it",
            out.display()
        )));
    }
    Ok(())
}

/// Writes to a file, or to standard output.
pub fn emit(text: &str, out: Option<&std::path::Path>) -> Result<(), Failure> {
    match out {
        Some(path) => conlab_core::files::write_atomically(path, text.as_bytes())
            .with_context(|| {
                format!(
                    "the run ended, but {} could not be written (an earlier file of that name is left as it was)",
                    path.display()
                )
            })
            .map_err(Failure::Output),
        None => {
            // Standard output may be a full disk or a closed file: said, not a panic.
            use std::io::Write;
            let mut stdout = std::io::stdout().lock();
            writeln!(stdout, "{text}")
                .and_then(|()| stdout.flush())
                .context("the run ended, but its output could not be written")
                .map_err(Failure::Output)
        }
    }
}

/// One word for a run's result, with its checks' tally (`passed (7 passed, 1 not judged)`).
pub fn verdict(trace: &Trace) -> String {
    let tally = conlab_core::chrome::tally_words(&trace.tally());
    match &trace.status {
        conlab_core::Status::Skipped { .. } => "skipped".into(),
        conlab_core::Status::Stopped { .. } => "stopped before its end, no verdict".into(),
        s if trace.outcome() == conlab_core::Outcome::NoVerdict => {
            format!("{}, no verdict", s.label())
        }
        _ if trace.passed() => format!("passed ({tally})"),
        s => format!(
            "{} ({tally})",
            if *s == conlab_core::Status::Ok {
                "FAILED"
            } else {
                s.label()
            }
        ),
    }
}

/// Exit 0 when the run completed and no check failed (checks not judged fail nothing), 3 when
/// it was skipped, 1 otherwise.
pub fn outcome(trace: &Trace) -> Result<(), Failure> {
    if let conlab_core::Status::Skipped { reason } = &trace.status {
        Err(Failure::Skipped(anyhow!(
            "{}: skipped: {reason}",
            trace.scenario
        )))
    } else if trace.passed() {
        Ok(())
    } else if let conlab_core::Status::Stopped { .. } = trace.status {
        Err(Failure::Run(anyhow!(
            "{}: the run was stopped before its end, so it has no verdict",
            trace.scenario
        )))
    } else if trace.outcome() == conlab_core::Outcome::NoVerdict {
        Err(Failure::Run(anyhow!(
            "{}: {}, so it has no verdict",
            trace.scenario,
            trace.status.label()
        )))
    } else {
        let failed = trace.failed_checks();
        Err(Failure::Run(anyhow!(
            "{}: status {}, failed checks: {}",
            trace.scenario,
            trace.status.label(),
            if failed.is_empty() {
                "none".to_string()
            } else {
                failed.join(", ")
            }
        )))
    }
}
