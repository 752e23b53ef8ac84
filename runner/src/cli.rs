//! The command line, declared with clap. The parameter reference in `run --help` comes from
//! the catalog.

use clap::{Args, Parser, Subcommand, ValueEnum};
use conlab_core::catalog::CATALOG;
use std::path::PathBuf;
use std::sync::LazyLock;

/// conlab: see and measure concurrency.
#[derive(Parser)]
#[command(name = "conlab", version, about, long_about = ABOUT, after_help = EXIT_AND_ENV)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

const ABOUT: &str =
    "conlab runs small concurrency scenarios (threads, locks, processes, coroutines, \
the async event loop) for real, records what every thread, task and connection was doing on a \
shared time axis, and checks the result against what the idea predicts.";

/// Exit codes and environment variables, shown by `conlab --help` and `conlab run --help`.
const EXIT_AND_ENV: &str = "\
Exit codes:
  0    the run completed and no check failed (a check not judged fails nothing)
  1    the run failed, timed out, or a check failed; or it got no verdict
       (stopped, refused for recording more than a written trace holds)
  2    bad usage or bad input (an unknown scenario, a parameter out of range,
       a planned scenario or variant), or a run refused before it starts (longer
       than its time limit, more open files than this process may have)
  3    skipped: a server the run needs is missing (the message says which)
  4    the run finished, but its output could not be written (a full disk, a
       closed output); an earlier file of that name is left as it was
  141  its output pipe was closed early (`| head`): it stops quietly, as Unix
       tools do
  130  interrupted (Ctrl-C or SIGTERM). A scenario run natively by `conlab run`
       (one without Redis or MySQL) is stopped by the first one and shown as far
       as it got, a load test with what it measured; the next one quits at once.
       Otherwise what the run left on its servers is removed by a short-lived
       helper within about a second; private servers are stopped and removed

Environment:
  CONLAB_REDIS_URL, CONLAB_REDIS_URL_2, …  Redis servers to use:
                                           redis://[:password@]host:port/db
  CONLAB_MYSQL_URL, CONLAB_MYSQL_URL_2, …  MySQL servers to use:
                                           mysql://user:password@host:port/db
  CONLAB_REDIS_LOCAL, CONLAB_MYSQL_LOCAL   where to look for a local server
                                           (default 127.0.0.1:6379 and :3306,
                                           user conlab of setup-servers.sh)
  Without them, conlab starts private throwaway servers when redis-server or
  MariaDB is installed.
  CONLAB_MYSQL_MAX_CONNECTIONS             max_connections of private MariaDB
                                           servers (default 512)";

#[derive(Subcommand)]
pub enum Command {
    /// List the scenarios, or describe one with its parameters.
    List(ListArgs),
    /// Run one scenario and show its output, timeline, metrics and checks.
    #[command(after_long_help = PARAMS_HELP.as_str(), after_help = EXIT_AND_ENV)]
    Run(RunArgs),
    /// Run every natively runnable scenario with default parameters and save the traces.
    RunNative(RunNativeArgs),
    /// Show a saved trace (conlab JSON) as text.
    Show(ShowArgs),
    /// Serve the playground and a JSON API that runs native scenarios live on this machine.
    #[command(after_help = SERVE_HELP)]
    Serve(ServeArgs),
    /// Write a suite of runs (a folder run-native wrote) as a static folder of pages.
    Report(ReportArgs),
    /// Take native runs from a queue (Redis) one at a time, run them, and record them in
    /// MySQL: a worker of `conlab serve --queue … --db …`, on this machine or another.
    #[command(after_help = WORKER_HELP)]
    Worker(WorkerArgs),
    /// List the runs a queue's record (MySQL) holds: who ran what, status, times.
    Runs(RunsArgs),
    /// List the workers of a queue (Redis): alive or not, what each runs, runs done.
    Workers(WorkersArgs),
    /// Search the interleavings of a thread scenario on the deterministic scheduler for one
    /// that breaks what it should show (an update lost, a deadlock), and print the shortest.
    #[command(after_help = EXPLORE_HELP)]
    Explore(ExploreArgs),
}

const EXPLORE_HELP: &str = "\
Each of the scenario's properties (such as \"without the lock\" and \"with the lock\") is
searched on its own. A failing schedule is shrunk to the fewest preemptions and printed as a
command that replays it: conlab run ID --runtime virtual … --schedule '<schedule>'.

A scenario with hold_ms is searched with hold_ms=0 unless -p hold_ms=… is given: with long
holds, virtual time alone decides the order of the steps.

Strategies: random (each schedule drawn from the seed), pct (priority change points, of
--depth), dfs (every interleaving, depth first, with at most --preemptions preemptions:
exhaustive when it ends within --budget).

Exit codes: 0 the search ran (whether or not it found a failing schedule), 2 bad usage.";

#[derive(Args)]
pub struct ExploreArgs {
    /// The scenario id (a thread scenario: see `conlab list`, platforms N V).
    pub id: String,
    /// A parameter, as name=value (repeatable).
    #[arg(short = 'p', long = "param", value_name = "NAME=VALUE")]
    pub params: Vec<String>,
    /// How to choose schedules.
    #[arg(long, value_enum, default_value_t = StrategyArg::Random)]
    pub strategy: StrategyArg,
    /// The seed random and pct schedules are drawn from.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// At most this many schedules per property (1 to 10,000,000).
    #[arg(long, default_value_t = 10_000, value_parser = clap::value_parser!(u64).range(1..=10_000_000))]
    pub budget: u64,
    /// dfs: at most this many preemptions (0 to 20) [default: no bound].
    #[arg(long, value_parser = clap::value_parser!(u32).range(0..=20))]
    pub preemptions: Option<u32>,
    /// pct: its depth, the ordering constraints a bug may need (1 to 10).
    #[arg(long, default_value_t = 2, value_parser = clap::value_parser!(u32).range(1..=10))]
    pub depth: u32,
}

#[derive(Clone, Copy, ValueEnum, PartialEq, Eq)]
pub enum StrategyArg {
    Random,
    Pct,
    Dfs,
}

const SERVE_HELP: &str = "\
The API (JSON): GET /api/scenarios, POST /api/runs {\"scenario\", \"params\", \"runtime\"},
GET /api/runs, GET /api/runs/<id>, GET /api/runs/<id>/events (Server-Sent Events),
POST /api/runs/<id>/stop, GET /api/runs/<id>/trace.

Safety: it listens on 127.0.0.1 unless --bind says otherwise, and then only with a token
(--token or CONLAB_SERVE_TOKEN, 16 characters or more) that every call must carry as
`Authorization: Bearer <token>` (or open the page once with ?token=<token>). Parameters
are checked against the catalog's ranges; beyond --max-running and --max-queued a start
is answered 429 with Retry-After; runs against Redis and MySQL need --allow-databases;
pages of other sites may call it only with --cors-origin. A run's `url` may name only
servers given with --allow-target (none by default: conlab's own test servers only), so
whoever may call the API cannot read other services this machine reaches. Live event
streams are capped (--max-streams, --max-streams-per-run); beyond a cap a stream carries
one `refused` event saying which.

Finished runs are kept in --store and listed again after a restart. Ctrl-C stops it.

With --queue and --db, native runs go to `conlab worker`s (on this machine or others)
instead of running here: each is recorded in MySQL, signed and added to the Redis stream; the
page shows it queued, then live as a worker runs it (its events relayed through Redis), then
its trace once the worker has stored it.
Virtual and CPython runs still run here. The list of runs then reads the record, so every
server of one queue lists the same runs; --keep-days and --keep-runs say how long and how
many ended runs the record keeps.";

#[derive(Args)]
pub struct ServeArgs {
    /// Address and port to listen on, such as 127.0.0.1:7878 or localhost:8000 (port 0: any
    /// free port).
    #[arg(long, value_name = "ADDR:PORT", default_value = "127.0.0.1:7878", value_parser = conlab_core::url::bind_address)]
    pub bind: std::net::SocketAddr,
    /// The token API calls must carry; required with a --bind that is not loopback
    /// [default: the CONLAB_SERVE_TOKEN environment variable].
    #[arg(long, value_name = "TOKEN")]
    pub token: Option<String>,
    /// Folder where finished runs are kept and reloaded from.
    #[arg(long, value_name = "DIR", default_value = "target/conlab/served")]
    pub store: PathBuf,
    /// Runs at once (1 to 64).
    #[arg(long, value_name = "N", default_value_t = 2, value_parser = clap::value_parser!(u16).range(1..=64))]
    pub max_running: u16,
    /// Runs waiting for a slot (0 to 1000); beyond that a start gets 429.
    #[arg(long, value_name = "N", default_value_t = 8, value_parser = clap::value_parser!(u16).range(0..=1000))]
    pub max_queued: u16,
    /// The longest one run may take, in seconds (1 to 3600); longer runs are refused.
    #[arg(long, value_name = "SECONDS", default_value_t = 600, value_parser = clap::value_parser!(u16).range(1..=3600))]
    pub max_run_seconds: u16,
    /// The most events one run may record (10,000 to 100,000,000); a run that records more is
    /// stopped and fails, so one request cannot fill the memory and the disk.
    #[arg(long, value_name = "N", default_value_t = 250_000, value_parser = clap::value_parser!(u64).range(10_000..=100_000_000))]
    pub max_events: u64,
    /// Allow runs of the scenarios against Redis and MySQL.
    #[arg(long)]
    pub allow_databases: bool,
    /// Let pages of this origin call the API (repeatable), e.g. https://tutorial.example.
    #[arg(long, value_name = "ORIGIN")]
    pub cors_origin: Vec<String>,
    /// Let runs send requests to this server (repeatable), given as http://host:port; without
    /// it a run's `url` is refused and runs talk only to conlab's own test servers.
    #[arg(long, value_name = "URL")]
    pub allow_target: Vec<String>,
    /// Live event streams open at once, all runs together (1 to 10,000).
    #[arg(long, value_name = "N", default_value_t = 64, value_parser = clap::value_parser!(u16).range(1..=10_000))]
    pub max_streams: u16,
    /// Live event streams open at once on one run (1 to 1,000).
    #[arg(long, value_name = "N", default_value_t = 8, value_parser = clap::value_parser!(u16).range(1..=1000))]
    pub max_streams_per_run: u16,
    /// A suite of runs (a folder run-native wrote) to serve as a report at /report/.
    #[arg(long, value_name = "DIR")]
    pub open: Option<PathBuf>,
    /// With --open: a second suite to compare it with.
    #[arg(long, value_name = "DIR", requires = "open")]
    pub compare: Option<PathBuf>,
    /// Serve the web app from this folder (built by `scripts/build-web.sh --served`) instead
    /// of the one inside the binary.
    #[arg(long, value_name = "DIR")]
    pub web_dir: Option<PathBuf>,
    /// Send native runs to `conlab worker`s through this queue (a Redis) instead of running
    /// them here; needs --db: redis://[:password@]host:port/db.
    #[arg(long, value_name = "URL", requires = "db")]
    pub queue: Option<String>,
    /// With --queue: the record of the queue's runs (a MySQL):
    /// mysql://user:password@host:port/database.
    #[arg(long, value_name = "URL", requires = "queue")]
    pub db: Option<String>,
    /// With --queue: the file holding the secret shared with the workers [default: the
    /// CONLAB_QUEUE_SECRET environment variable, the secret itself].
    #[arg(long, value_name = "FILE", requires = "queue")]
    pub secret_file: Option<PathBuf>,
    /// With --queue: runs waiting or running in the queue at most (1 to 1,000,000); beyond
    /// that a start gets 429 with Retry-After.
    #[arg(long, value_name = "N", default_value_t = 1000, value_parser = clap::value_parser!(u64).range(1..=1_000_000))]
    pub max_queue: u64,
    /// With --queue: ended runs older than this many days are deleted from the record, with
    /// their traces, at start and every minute (0 to 36,500; 0: kept whatever their age).
    #[arg(long, value_name = "DAYS", default_value_t = 30, value_parser = clap::value_parser!(u32).range(0..=36_500))]
    pub keep_days: u32,
    /// With --queue: beyond this many ended runs the record deletes the oldest, with their
    /// traces (0 to 100,000,000; 0: kept however many).
    #[arg(long, value_name = "N", default_value_t = 100_000, value_parser = clap::value_parser!(u64).range(0..=100_000_000))]
    pub keep_runs: u64,
}

const WORKER_HELP: &str = "\
One run at a time (native runs measure time). A worker verifies each entry's signature and
checks the scenario and its parameters against the catalog and its caps (--max-run-seconds,
--max-events, --allow-target, --allow-databases) as `conlab serve` does; anything else is
refused, logged and put on the dead-letter stream, never run. While a run goes on its lease is
renewed every third of --lease-seconds; a worker that dies loses it, and another worker
takes the run over and starts it again; a run that lost its worker twice is parked as failed.
SIGTERM or Ctrl-C: no new run is taken; the current one may finish within --grace-seconds,
else it is stopped and given back to the queue; then the worker exits (130).

The queue: --queue redis://[:password@]host:port/db and --db
mysql://user:password@host:port/database, the same as the server's; the secret the server
signs with: --secret-file FILE, or the secret itself in CONLAB_QUEUE_SECRET.";

/// Where a queue is, and the secret its entries are signed with.
#[derive(Args)]
pub struct QueueArgs {
    /// The queue's Redis: redis://[:password@]host:port/db.
    #[arg(long, value_name = "URL")]
    pub queue: String,
    /// The record's MySQL: mysql://user:password@host:port/database.
    #[arg(long, value_name = "URL")]
    pub db: String,
    /// The file holding the secret the server and its workers share [default: the
    /// CONLAB_QUEUE_SECRET environment variable, the secret itself].
    #[arg(long, value_name = "FILE")]
    pub secret_file: Option<PathBuf>,
}

#[derive(Args)]
pub struct WorkerArgs {
    #[command(flatten)]
    pub queue: QueueArgs,
    /// This worker's name, unique among the queue's workers [default: <host>-<pid>].
    #[arg(long, value_name = "NAME", value_parser = worker_name)]
    pub name: Option<String>,
    /// How long the worker's hold on a run lasts without a heartbeat (0.5 to 600 s); another
    /// worker takes a run over this long after its worker died.
    #[arg(long, value_name = "SECONDS", default_value_t = 10.0)]
    pub lease_seconds: f64,
    /// Once asked to stop, how long the current run may go on before it is given back
    /// (0 to 3600 s).
    #[arg(long, value_name = "SECONDS", default_value_t = 10, value_parser = clap::value_parser!(u16).range(0..=3600))]
    pub grace_seconds: u16,
    /// The longest one run may take, in seconds (1 to 3600); longer runs are refused.
    #[arg(long, value_name = "SECONDS", default_value_t = 600, value_parser = clap::value_parser!(u16).range(1..=3600))]
    pub max_run_seconds: u16,
    /// The most events one run may record (10,000 to 100,000,000).
    #[arg(long, value_name = "N", default_value_t = 250_000, value_parser = clap::value_parser!(u64).range(10_000..=100_000_000))]
    pub max_events: u64,
    /// Allow runs of the scenarios against Redis and MySQL.
    #[arg(long)]
    pub allow_databases: bool,
    /// Let runs send requests to this server (repeatable), given as http://host:port.
    #[arg(long, value_name = "URL")]
    pub allow_target: Vec<String>,
}

#[derive(Args)]
pub struct RunsArgs {
    /// The record's MySQL: mysql://user:password@host:port/database.
    #[arg(long, value_name = "URL")]
    pub db: String,
    /// At most this many runs, newest first (1 to 100,000).
    #[arg(long, value_name = "N", default_value_t = 50, value_parser = clap::value_parser!(u32).range(1..=100_000))]
    pub limit: u32,
}

#[derive(Args)]
pub struct WorkersArgs {
    /// The queue's Redis: redis://[:password@]host:port/db.
    #[arg(long, value_name = "URL")]
    pub queue: String,
}

/// A worker's name: letters, digits, `.`, `_` and `-`, at most 64.
fn worker_name(text: &str) -> Result<String, String> {
    let ok = !text.is_empty()
        && text.len() <= 64
        && text
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"._-".contains(&b));
    if ok {
        Ok(text.to_string())
    } else {
        Err("a worker's name is 1 to 64 letters, digits, '.', '_' or '-'".into())
    }
}

#[derive(Args)]
pub struct ReportArgs {
    /// The suite's folder (target/conlab/runs/<date>, written by run-native).
    pub dir: PathBuf,
    /// A second suite to compare it with (another machine, another day).
    #[arg(long, value_name = "DIR")]
    pub compare: Option<PathBuf>,
    /// Where to write the pages.
    #[arg(long, value_name = "DIR", default_value = "target/conlab/report")]
    pub out: PathBuf,
}

#[derive(Args)]
pub struct ListArgs {
    /// A scenario id to describe in full.
    pub id: Option<String>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = ListFormat::Text)]
    pub format: ListFormat,
}

#[derive(Clone, Copy, ValueEnum, PartialEq, Eq)]
pub enum ListFormat {
    Text,
    Json,
}

#[derive(Args)]
pub struct RunArgs {
    /// The scenario id (see `conlab list`).
    pub id: String,
    /// A parameter, as name=value (repeatable); lists are comma-separated: sleeps_ms=300,100,200.
    #[arg(short = 'p', long = "param", value_name = "NAME=VALUE")]
    pub params: Vec<String>,
    /// Where to run: the deterministic virtual-time executor, natively on tokio, or the
    /// lesson's Python program under CPython, traced and judged by the same checks
    /// [default: tokio where the scenario runs natively, else virtual].
    #[arg(long, value_enum)]
    pub runtime: Option<RuntimeArg>,
    /// With --runtime cpython: run the lesson both ways, conlab's run and CPython's, and show
    /// them one after the other with their checks side by side.
    #[arg(long)]
    pub compare: bool,
    /// Output format.
    #[arg(long, value_enum, default_value_t = OutputFormat::Text)]
    pub format: OutputFormat,
    /// Write the output to this file instead of standard output.
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,
    /// Time limit for the run, in seconds (0.1 to 3600) [default: 60, or more when the
    /// parameters make the run longer]. A run that would take longer is refused before it starts.
    /// It counts from when the run's servers are ready (starting private ones is not included).
    #[arg(long, value_name = "SECONDS", allow_negative_numbers = true, value_parser = seconds)]
    pub timeout: Option<f64>,
    /// Let HTTP scenarios send requests to a `url` that is not this machine. Without it they
    /// go to loopback only (127.0.0.0/8, ::1, localhost): load only servers you run.
    #[arg(long)]
    pub allow_remote: bool,
    /// Replay this interleaving (a schedule `conlab explore` or an earlier run printed) of a
    /// thread scenario on the deterministic scheduler (--runtime virtual).
    #[arg(long, value_name = "SCHEDULE")]
    pub schedule: Option<String>,
}

#[derive(Clone, Copy, ValueEnum, PartialEq, Eq)]
pub enum RuntimeArg {
    /// The deterministic virtual-time executor.
    Virtual,
    /// Natively: tokio, OS threads and processes, real servers.
    Tokio,
    /// The lesson's Python program under CPython (`conlab list` says which have one).
    Cpython,
}

#[derive(Clone, Copy, ValueEnum, PartialEq, Eq)]
pub enum OutputFormat {
    /// Output lines, an ASCII timeline, metrics and checks.
    Text,
    /// The trace as conlab JSON (schema conlab.trace/1).
    Json,
    /// Chrome trace-event JSON, for Perfetto or chrome://tracing.
    Chrome,
}

#[derive(Args)]
pub struct RunNativeArgs {
    /// Folder for the traces [default: target/conlab/runs/<timestamp>].
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
    /// Run only these scenarios or chapters (repeatable).
    #[arg(long, value_name = "ID|CHAPTER")]
    pub only: Vec<String>,
    /// Skip these scenarios or chapters (repeatable).
    #[arg(long, value_name = "ID|CHAPTER")]
    pub skip: Vec<String>,
    /// Time limit for each run, in seconds (0.1 to 3600).
    #[arg(long, value_name = "SECONDS", default_value_t = 60.0, value_parser = seconds)]
    pub timeout: f64,
    /// Where to write the report of the runs (index.html and what it opens).
    #[arg(long, value_name = "DIR", default_value = "target/conlab/report")]
    pub report: PathBuf,
    /// Only write the report; do not serve it. Without a terminal it is never served.
    #[arg(long)]
    pub no_serve: bool,
}

#[derive(Args)]
pub struct ShowArgs {
    /// A trace file written by `conlab run --format json` or `conlab run-native`.
    pub file: PathBuf,
}

/// The parameter reference shown by `conlab run --help`, generated from the catalog.
static PARAMS_HELP: LazyLock<String> = LazyLock::new(|| {
    let mut s = String::from(
        "Every scenario's parameters (give them as -p name=value; every duration is also \
multiplied by -p time-scale=F, 0.01 to 100). Beside each id, where it runs: B in the browser \
playground, N natively (--runtime tokio), V on the virtual-time executor (--runtime virtual); \
\"planned\" scenarios are in the catalog but cannot run yet.\n",
    );
    for info in CATALOG {
        let planned = if conlab_scenarios::is_planned(info.id) {
            " planned"
        } else {
            ""
        };
        s.push_str(&format!(
            "\n  {} [{}]{planned}\n",
            info.id,
            info.platforms.letters()
        ));
        if info.params.is_empty() {
            s.push_str("      (no parameters)\n");
        }
        for p in info.params {
            s.push_str(&format!(
                "      {}={}  {}; allowed: {}\n",
                p.name,
                p.default_value(),
                p.help,
                p.range_text()
            ));
        }
    }
    s.push_str(&format!("\n{EXIT_AND_ENV}"));
    s
});

/// A number of seconds, in words a person reads when it is not one (the range is checked where
/// the limit is used).
fn seconds(text: &str) -> Result<f64, String> {
    text.trim()
        .parse::<f64>()
        .ok()
        .filter(|v| v.is_finite())
        .ok_or_else(|| {
            "not a number of seconds; give one from 0.1 to 3600, such as 30 or 2.5".into()
        })
}
