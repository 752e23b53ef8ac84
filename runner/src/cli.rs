//! The command line, declared with clap. The parameter reference in `run --help` comes from
//! the catalog.

use clap::{Args, Parser, Subcommand, ValueEnum};
use conlab_core::catalog::CATALOG;
use std::path::PathBuf;
use std::sync::LazyLock;

/// conlab: see and measure concurrency.
#[derive(Parser)]
#[command(name = "conlab", version, about, long_about = ABOUT)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

const ABOUT: &str =
    "conlab runs small concurrency scenarios (threads, locks, processes, coroutines, \
the async event loop) for real, records what every thread, task and connection was doing on a \
shared time axis, and checks the result against what the idea predicts.";

#[derive(Subcommand)]
pub enum Command {
    /// List the scenarios, or describe one with its parameters.
    List(ListArgs),
    /// Run one scenario and show its output, timeline, metrics and checks.
    #[command(after_long_help = PARAMS_HELP.as_str())]
    Run(RunArgs),
    /// Run every natively runnable scenario with default parameters and save the traces.
    RunNative(RunNativeArgs),
    /// Show a saved trace (conlab JSON) as text.
    Show(ShowArgs),
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
    /// Where to run: the deterministic virtual-time executor, or natively on tokio
    /// [default: tokio where the scenario runs natively, else virtual].
    #[arg(long, value_enum)]
    pub runtime: Option<RuntimeArg>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = OutputFormat::Text)]
    pub format: OutputFormat,
    /// Write the output to this file instead of standard output.
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,
    /// Time limit for the run, in seconds (0.1 to 3600).
    #[arg(long, value_name = "SECONDS", default_value_t = 60.0)]
    pub timeout: f64,
}

#[derive(Clone, Copy, ValueEnum, PartialEq, Eq)]
pub enum RuntimeArg {
    Virtual,
    Tokio,
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
    #[arg(long, value_name = "SECONDS", default_value_t = 60.0)]
    pub timeout: f64,
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
multiplied by -p time-scale=F, 0.01 to 100):\n",
    );
    for info in CATALOG {
        s.push_str(&format!("\n  {} [{}]\n", info.id, info.platforms.letters()));
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
    s
});
