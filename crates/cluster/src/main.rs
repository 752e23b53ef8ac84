//! `conlab-cluster`: the queue on one machine. `chaos` runs the seeded kill campaign and
//! exits 1 when a target is missed; `demo` serves the page with four workers until Ctrl-C.

use clap::{Parser, Subcommand};
use conlab_cluster::{Campaign, Demo, SeededRng};
use std::net::SocketAddr;
use std::process::ExitCode;
use std::time::Duration;

#[derive(Parser)]
#[command(
    name = "conlab-cluster",
    about = "conlab's queue on one machine: private Redis and MariaDB, conlab serve and conlab workers"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// The seeded kill campaign: short runs on workers killed with SIGKILL every few seconds
    /// and replaced, Redis and MariaDB restarted once each; prints what became of every run
    /// and exits 1 if a target is missed (lost 0, stored twice 0, executed again only after
    /// a kill)
    Chaos {
        /// The seed to replay (the kill plan and the runs' sleeps) [default: drawn, printed]
        #[arg(long)]
        seed: Option<u64>,
        /// Runs to enqueue
        #[arg(long, default_value_t = 2000, value_parser = clap::value_parser!(u64).range(1..=1_000_000))]
        runs: u64,
        /// Workers alive at once
        #[arg(long, default_value_t = 4, value_parser = clap::value_parser!(u64).range(1..=64))]
        workers: u64,
        /// The workers' lease in seconds: how soon a killed worker's run is taken over
        #[arg(long, default_value_t = 2.0)]
        lease_seconds: f64,
        /// Kill a worker every MIN to MAX seconds (drawn from the seed)
        #[arg(long, default_value = "2-5", value_name = "MIN-MAX")]
        kill_every: String,
    },
    /// Private Redis and MariaDB, `conlab serve --queue` with the page, and workers (one that
    /// exits, say by `kill -9`, is started again), until Ctrl-C; then everything is stopped
    /// and removed
    Demo {
        /// Where to serve the page: an address and port such as 127.0.0.1:7878 or
        /// localhost:8000 (a busy port falls back to a free one; beyond loopback only with
        /// CONLAB_SERVE_TOKEN set, the token the page then asks for)
        #[arg(long, value_name = "ADDR:PORT", default_value = "127.0.0.1:7878", value_parser = conlab_cluster::parse_bind)]
        bind: SocketAddr,
        /// Workers to start
        #[arg(long, default_value_t = 4, value_parser = clap::value_parser!(u64).range(1..=32))]
        workers: u64,
    },
}

fn main() -> ExitCode {
    // The private servers' keeper is an executable started again with a hidden argument:
    // before anything else, or this program would run its work again (and start servers
    // and keepers without end). The cluster names `conlab` as the keeper anyway.
    conlab_servers::keeper::run_if_asked();
    let cli = Cli::parse();
    conlab_cluster::install_interrupt_handler();
    let result = match cli.command {
        Command::Chaos {
            seed,
            runs,
            workers,
            lease_seconds,
            kill_every,
        } => chaos(seed, runs, workers, lease_seconds, &kill_every),
        Command::Demo { bind, workers } => demo(bind, workers),
    };
    if conlab_cluster::interrupted() {
        // Ctrl-C came: the handler stops everything, says how far the work had come and
        // exits 130; an error here is the stopping's doing, not worth a word.
        conlab_cluster::wait_for_the_interrupt();
    }
    match result {
        Ok(code) => code,
        Err(Failure::Usage(why)) => {
            eprintln!("conlab-cluster: {why}");
            ExitCode::from(2)
        }
        Err(Failure::Run(e)) => {
            eprintln!("conlab-cluster: {e:#}");
            ExitCode::from(1)
        }
    }
}

enum Failure {
    Usage(String),
    Run(anyhow::Error),
}

impl From<conlab_cluster::ClusterError> for Failure {
    fn from(e: conlab_cluster::ClusterError) -> Failure {
        Failure::Run(e.into())
    }
}

fn chaos(
    seed: Option<u64>,
    runs: u64,
    workers: u64,
    lease_seconds: f64,
    kill_every: &str,
) -> Result<ExitCode, Failure> {
    if !(lease_seconds.is_finite() && (0.5..=600.0).contains(&lease_seconds)) {
        return Err(Failure::Usage(format!(
            "--lease-seconds: value {lease_seconds} is out of range; allowed: 0.5 to 600 seconds"
        )));
    }
    let kill_every = parse_range(kill_every).ok_or_else(|| {
        Failure::Usage(format!(
            "--kill-every: value `{kill_every}` is not MIN-MAX seconds with 0.1 <= MIN <= MAX <= 3600, such as 2-5"
        ))
    })?;
    let mut campaign = Campaign::new(seed.unwrap_or_else(SeededRng::fresh_seed));
    campaign.runs = runs as usize;
    campaign.workers = workers as usize;
    campaign.lease = Duration::from_secs_f64(lease_seconds);
    campaign.kill_every = kill_every;
    let binary = conlab_cluster::conlab_binary()?;
    println!(
        "conlab-cluster chaos: seed {} ({}), conlab at {}",
        campaign.seed,
        campaign.replay_line(),
        binary.display()
    );
    let report = conlab_cluster::run_campaign(&campaign, binary, &mut |line| {
        if !conlab_cluster::interrupted() {
            println!("{line}");
        }
    })?;
    println!("{}", report.summary());
    Ok(if report.targets_met() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

/// `2-5` (seconds) as a range of durations.
fn parse_range(text: &str) -> Option<(Duration, Duration)> {
    let (lo, hi) = text.split_once('-')?;
    let (lo, hi): (f64, f64) = (lo.trim().parse().ok()?, hi.trim().parse().ok()?);
    (lo.is_finite() && hi.is_finite() && 0.1 <= lo && lo <= hi && hi <= 3600.0)
        .then(|| (Duration::from_secs_f64(lo), Duration::from_secs_f64(hi)))
}

fn demo(bind: SocketAddr, workers: u64) -> Result<ExitCode, Failure> {
    // `conlab serve` refuses a non-loopback address without a token: refused here, before
    // any server starts.
    if !bind.ip().is_loopback() && std::env::var_os("CONLAB_SERVE_TOKEN").is_none() {
        return Err(Failure::Usage(format!(
            "--bind {bind}: beyond this machine's loopback the page needs a token; set \
             CONLAB_SERVE_TOKEN (16 characters or more), or give a loopback address such as \
             127.0.0.1:7878"
        )));
    }
    let binary = conlab_cluster::conlab_binary()?;
    conlab_cluster::run_demo(&Demo {
        binary,
        bind,
        workers: workers as usize,
    })?;
    Ok(ExitCode::SUCCESS)
}
