//! `conlab serve`: the playground and the JSON API, until Ctrl-C.

use crate::cli::ServeArgs;
use crate::out::outln;
use crate::Failure;
use anyhow::anyhow;
use conlab_serve::{Config, Server};
use std::path::{Path, PathBuf};
use std::time::Duration;

/// The environment variable a token may come from (kept off the command line, where other
/// users of the machine see it).
const TOKEN_VAR: &str = "CONLAB_SERVE_TOKEN";

pub fn run(args: ServeArgs) -> Result<(), Failure> {
    let mut config = Config::new(args.store.clone());
    config.bind = args.bind;
    config.token = args
        .token
        .or_else(|| std::env::var(TOKEN_VAR).ok().filter(|t| !t.is_empty()));
    config.max_running = usize::from(args.max_running);
    config.max_queued = usize::from(args.max_queued);
    config.max_run = Duration::from_secs(u64::from(args.max_run_seconds));
    config.allow_databases = args.allow_databases;
    config.max_events = args.max_events as usize;
    config.cors_origins = args.cors_origin;
    config.allow_targets = args.allow_target;
    config.max_streams = usize::from(args.max_streams);
    config.max_streams_per_run = usize::from(args.max_streams_per_run);
    if let Some(dir) = &args.web_dir {
        if !dir.join("index.html").is_file() {
            return Err(Failure::Usage(anyhow!(
                "--web-dir {}: no index.html there; build it with scripts/build-web.sh --served",
                dir.display()
            )));
        }
    }
    config.web_dir = args.web_dir;
    config.record_retention = conlab_queue::Retention {
        max_age: (args.keep_days > 0)
            .then(|| Duration::from_secs(u64::from(args.keep_days) * 86_400)),
        max_runs: (args.keep_runs > 0).then_some(args.keep_runs),
    };
    if let (Some(queue), Some(db)) = (args.queue, args.db) {
        config.queue = Some(conlab_queue::QueueSettings {
            redis_url: queue,
            mysql_url: db,
            secret: crate::commands::queue::secret(args.secret_file.as_deref())?,
            max_length: args.max_queue,
            prefix: conlab_queue::PREFIX.to_string(),
        });
    }
    // The report is written only once the server has its address: a port taken must not
    // cost the report another server serves.
    if args.open.is_some() {
        config.report = Some(report_dir());
    }
    let has_app = config.web_dir.is_some() || conlab_serve::has_web_app();
    let queued = config.queue.is_some();
    let server = Server::start(config).map_err(|e| match e {
        conlab_serve::ConfigError::Queue(e) => crate::commands::queue::queue_failure(e),
        e => Failure::Usage(anyhow!(e)),
    })?;
    if let Some(dir) = &args.open {
        outln!(
            "conlab serve: writing the report of {} into {}",
            dir.display(),
            report_dir().display()
        );
        write_report(
            dir,
            args.compare.as_deref(),
            &report_dir(),
            "the report folder",
        )?;
    }
    announce(&server, args.open.is_some(), has_app);
    if queued {
        outln!("  native runs go to `conlab worker`s through the queue");
    }
    serve_until_interrupted(server);
    Ok(())
}

/// Prints where the server is, then blocks until Ctrl-C (the handler ends the process after
/// stopping runs and cleaning up what they created).
pub fn serve_until_interrupted(server: Server) {
    let stop = server.stopper();
    crate::interrupt::before_exit(Box::new(stop));
    server.wait();
}

pub fn announce(server: &Server, report: bool, has_app: bool) {
    let url = server.url();
    outln!("conlab serve: {url}");
    if report {
        outln!("  report: {url}report/");
    }
    if !has_app {
        outln!("  (this build has no web app: `just serve` builds one; the API answers at {url}api/scenarios)");
    }
    outln!("  Ctrl-C stops it");
}

/// Where `conlab serve --open` writes the report it serves.
fn report_dir() -> PathBuf {
    PathBuf::from("target/conlab/report")
}

/// Writes the report of the suite in `dir` (compared with `compare`) into `out`.
/// `option` names `out` in refusals (`--out`, or run-native's `--report`).
pub fn write_report(
    dir: &Path,
    compare: Option<&Path>,
    out: &Path,
    option: &str,
) -> Result<PathBuf, Failure> {
    use conlab_serve::report::{self, Suite};
    let made = !out.exists();
    safe_to_write(out, dir, option)?;
    if let Some(other) = compare {
        safe_to_write(out, other, option)?;
    }
    let read = || -> Result<_, conlab_serve::report::ReportError> {
        Ok((Suite::read(dir)?, compare.map(Suite::read).transpose()?))
    };
    let (suite, other) = read().map_err(|e| {
        // A folder that is not a suite leaves nothing made: the (empty) report folder goes.
        if made {
            let _ = std::fs::remove_dir(out);
        }
        Failure::Usage(anyhow!(e))
    })?;
    // Without a web app inside the binary: a built one in the checkout, the served build first.
    let web_dist = std::env::var_os("CONLAB_WEB_DIST")
        .map(PathBuf::from)
        .or_else(|| {
            ["web/dist-served", "web/dist"]
                .into_iter()
                .map(PathBuf::from)
                .find(|d| d.join("index.html").is_file())
        })
        .unwrap_or_else(|| PathBuf::from("web/dist-served"));
    let written = report::write(&suite, other.as_ref(), out, Some(&web_dist))
        .map_err(|e| Failure::Output(anyhow!(e)))?;
    if !written.unreadable.is_empty() {
        eprintln!(
            "conlab: these runs' traces could not be read and are listed as missing: {}",
            written.unreadable.join(", ")
        );
    }
    if !written.viewer {
        eprintln!(
            "conlab: the report has no viewer: this build carries no web app and {} has none \
             (build it with scripts/build-web.sh); runs open as JSON",
            web_dist.display()
        );
    }
    Ok(out.to_path_buf())
}

/// Refuses to write a report where it would mix with other files: into a folder that holds
/// something other than an earlier report, or into (or around) a suite itself; then makes the
/// folder, so one that cannot be made is refused too. `option` names `out` in the refusal.
pub fn safe_to_write(out: &Path, suite: &Path, option: &str) -> Result<(), Failure> {
    let (out_full, suite_full) = (resolved(out), resolved(suite));
    if suite_full.starts_with(&out_full) || out_full.starts_with(&suite_full) {
        return Err(Failure::Usage(anyhow!(
            "{option} {}: the report would be written into or around the suite {}; give a folder of its own, such as target/conlab/report",
            out.display(),
            suite.display()
        )));
    }
    if out.exists() && !out.is_dir() {
        return Err(Failure::Usage(anyhow!(
            "{option} {}: that is a file, not a folder; give an empty or new folder",
            out.display()
        )));
    }
    let has_files = std::fs::read_dir(out).is_ok_and(|mut d| d.next().is_some());
    // The mark is in a report page's head: its first 64 KiB are enough to tell.
    let earlier_report = std::fs::File::open(out.join("index.html")).is_ok_and(|f| {
        use std::io::Read;
        let mut head = Vec::new();
        f.take(64 * 1024).read_to_end(&mut head).is_ok()
            && String::from_utf8_lossy(&head).contains(conlab_serve::report::MARK)
    });
    if has_files && !earlier_report {
        return Err(Failure::Usage(anyhow!(
            "{option} {}: the folder holds other files, not an earlier report of this version of conlab; give an empty or new folder",
            out.display()
        )));
    }
    // Made now, so a folder that cannot be is refused before anything runs.
    std::fs::create_dir_all(out).map_err(|e| {
        Failure::Usage(anyhow!(
            "{option} {}: the folder cannot be made: {e}",
            out.display()
        ))
    })?;
    Ok(())
}

/// Where `path` leads, whether or not all of it exists yet: each part that exists with its
/// links followed, `..` taking the part before it away (so `suite/x/..` is the suite).
fn resolved(path: &Path) -> PathBuf {
    use std::path::Component;
    let mut at = std::env::current_dir().unwrap_or_default();
    for part in path.components() {
        match part {
            Component::Prefix(_) | Component::RootDir => at = PathBuf::from(part.as_os_str()),
            Component::CurDir => {}
            Component::ParentDir => {
                at.pop();
            }
            Component::Normal(name) => {
                at.push(name);
                if let Ok(real) = std::fs::canonicalize(&at) {
                    at = real;
                }
            }
        }
    }
    at
}
