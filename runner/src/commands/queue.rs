//! `conlab worker`, `conlab runs` and `conlab workers`: the queue's side of the CLI
//! (`conlab-queue` does the work; the worker runs jobs with `conlab-serve`'s executor, the
//! checks and caps of `conlab serve`).

use crate::cli::{QueueArgs, RunsArgs, WorkerArgs, WorkersArgs};
use crate::out::outln;
use crate::Failure;
use anyhow::anyhow;
use conlab_queue::{QueueError, Record, Secret, Stream, Worker, WorkerOptions};
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

/// The environment variable the secret itself may come from.
const SECRET_VAR: &str = "CONLAB_QUEUE_SECRET";

/// The secret of `--secret-file`, else of `CONLAB_QUEUE_SECRET`.
pub fn secret(file: Option<&Path>) -> Result<Secret, Failure> {
    let secret = match file {
        Some(file) => Secret::from_file(file),
        None => match std::env::var(SECRET_VAR) {
            Ok(text) if !text.trim().is_empty() => Secret::new(text.trim().as_bytes().to_vec()),
            _ => Err(QueueError::Secret(format!(
                "no secret for the queue: give --secret-file FILE (the file the server and every \
                 worker share) or set {SECRET_VAR}; make one with \
                 `head -c 32 /dev/urandom | base64 > queue.secret`"
            ))),
        },
    };
    secret.map_err(queue_failure)
}

/// A queue error's exit: a bad URL or secret is bad usage (2), a server that does not answer
/// a failed run (1).
pub fn queue_failure(e: QueueError) -> Failure {
    match e {
        QueueError::BadUrl { .. } | QueueError::Secret(_) | QueueError::NameTaken { .. } => {
            Failure::Usage(anyhow!(e))
        }
        e @ QueueError::Redis { .. } => Failure::Run(anyhow!(
            "{e} (is it running? `redis-cli -u <URL> ping` asks it)"
        )),
        e @ QueueError::Mysql { .. } => Failure::Run(anyhow!(
            "{e} (is it running, and may this user reach that database? `mariadb` with the URL's user asks it)"
        )),
        e => Failure::Run(anyhow!(e)),
    }
}

fn runtime() -> Result<tokio::runtime::Runtime, Failure> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| Failure::Run(anyhow!("cannot start the worker's loop: {e}")))
}

/// `conlab worker`.
pub fn worker(args: WorkerArgs) -> Result<(), Failure> {
    let QueueArgs {
        queue,
        db,
        secret_file,
    } = args.queue;
    let secret = secret(secret_file.as_deref())?;
    if !(args.lease_seconds.is_finite() && (0.5..=600.0).contains(&args.lease_seconds)) {
        return Err(Failure::Usage(anyhow!(
            "--lease-seconds: value {} is out of range; allowed: 0.5 to 600 seconds",
            args.lease_seconds
        )));
    }
    let mut config = conlab_serve::Config::new(std::env::temp_dir());
    config.max_run = Duration::from_secs(u64::from(args.max_run_seconds));
    config.max_events = args.max_events as usize;
    config.allow_databases = args.allow_databases;
    config.allow_targets = args.allow_target;
    let executor =
        conlab_serve::NativeExecutor::new(config).map_err(|e| Failure::Usage(anyhow!(e)))?;
    let name = args.name.unwrap_or_else(default_name);
    let mut options = WorkerOptions::new(name);
    options.lease = Duration::from_secs_f64(args.lease_seconds);
    options.grace = Duration::from_secs(u64::from(args.grace_seconds));
    let grace = options.grace;
    let rt = runtime()?;
    let worker = rt
        .block_on(Worker::connect(
            &queue,
            &db,
            secret,
            Arc::new(executor),
            options,
        ))
        .map_err(queue_failure)?;
    let stop = worker.stopper();
    // SIGTERM or Ctrl-C: the loop takes nothing new, finishes or gives back its run, and
    // says when it is done; the handler waits for that, then exits.
    crate::interrupt::before_exit(Box::new(move || {
        eprintln!(
            "conlab worker: stopping (the current run may finish within {} s)",
            grace.as_secs()
        );
        stop.ask();
        stop.wait(grace + Duration::from_secs(15));
    }));
    rt.block_on(worker.run()).map_err(queue_failure)?;
    Ok(())
}

/// `<host>-<pid>`.
fn default_name() -> String {
    let host = std::fs::read_to_string("/proc/sys/kernel/hostname")
        .map(|h| h.trim().to_string())
        .unwrap_or_default();
    let host: String = host
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || "._-".contains(*c))
        .take(48)
        .collect();
    format!(
        "{}-{}",
        if host.is_empty() { "worker" } else { &host },
        std::process::id()
    )
}

/// `conlab runs`.
pub fn runs(args: RunsArgs) -> Result<(), Failure> {
    let rt = runtime()?;
    let rows = rt
        .block_on(async {
            let record = Record::open(&args.db).await?;
            let rows = record.recent(args.limit).await;
            record.close().await;
            rows
        })
        .map_err(queue_failure)?;
    if rows.is_empty() {
        outln!("no runs recorded yet");
        return Ok(());
    }
    outln!(
        "{:<36} {:<22} {:<8} {:>7} {:<24} {:<19} {:>9} {:>9} {:>3}  reason",
        "run",
        "scenario",
        "status",
        "checks",
        "worker",
        "enqueued (UTC)",
        "waited",
        "ran",
        "try"
    );
    let ms = |v: Option<u64>| v.map_or("-".to_string(), |ms| format!("{ms} ms"));
    for row in rows {
        let (checks, not_judged) = checks(row.summary.as_deref());
        let reason = [not_judged, row.reason.unwrap_or_default()]
            .into_iter()
            .filter(|s| !s.is_empty())
            .collect::<Vec<_>>()
            .join("; ");
        outln!(
            "{:<36} {:<22} {:<8} {:>7} {:<24} {:<19} {:>9} {:>9} {:>3}  {}",
            row.id,
            row.scenario,
            row.status.as_str(),
            checks,
            row.worker.as_deref().unwrap_or("-"),
            row.enqueued,
            ms(row.waited_ms),
            ms(row.ran_ms),
            row.attempts,
            crate::render::terminal::printable(reason)
        );
    }
    Ok(())
}

/// Checks passed of checks run ("4/5"), and how many were not judged, said in words, from a
/// worker's summary of the run.
fn checks(summary: Option<&str>) -> (String, String) {
    let Some(summary) = summary.and_then(|s| serde_json::from_str::<serde_json::Value>(s).ok())
    else {
        return ("-".into(), String::new());
    };
    let n = |key: &str| summary[key].as_u64().unwrap_or(0);
    match (
        n("checks_passed"),
        n("checks_not_judged"),
        n("checks_total"),
    ) {
        (_, _, 0) => ("-".into(), String::new()),
        (passed, 0, total) => (format!("{passed}/{total}"), String::new()),
        (passed, 1, total) => (format!("{passed}/{total}"), "1 check not judged".into()),
        (passed, n, total) => (
            format!("{passed}/{total}"),
            format!("{n} checks not judged"),
        ),
    }
}

/// `conlab workers`.
pub fn workers(args: WorkersArgs) -> Result<(), Failure> {
    let rt = runtime()?;
    let rows = rt
        .block_on(async { Stream::connect(&args.queue).await?.workers().await })
        .map_err(queue_failure)?;
    if rows.is_empty() {
        outln!("no worker has taken runs from this queue yet");
        return Ok(());
    }
    outln!(
        "{:<28} {:<6} {:>6}  {:<24} running",
        "worker",
        "alive",
        "done",
        "host"
    );
    for w in rows {
        outln!(
            "{:<28} {:<6} {:>6}  {:<24} {}",
            w.name,
            if w.alive { "yes" } else { "no" },
            w.done,
            w.host,
            if w.alive { w.running.as_str() } else { "-" }
        );
    }
    Ok(())
}
