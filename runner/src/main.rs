//! `conlab`: run concurrency scenarios for real and see what happened.
//!
//! This file only parses the command line, dispatches one function per subcommand and maps
//! errors to exit codes: 0 ran and every check passed, 1 a run or a check failed, 2 bad usage
//! or bad input, 3 skipped (something it needs is missing), 130 interrupted.

mod cli;
mod commands;
mod interrupt;
mod out;
mod render;

use clap::Parser;

// mimalloc keeps large runs (a million traced tasks) well under the memory targets; see
// `just bench`.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;
use std::process::ExitCode;

/// An error that decides the exit code.
#[derive(Debug)]
pub enum Failure {
    /// Bad usage or bad input (exit 2).
    Usage(anyhow::Error),
    /// The run failed or a check failed (exit 1).
    Run(anyhow::Error),
    /// The run was skipped: a server or a feature it needs is missing (exit 3).
    Skipped(anyhow::Error),
    /// The run was stopped by Ctrl-C and shown as far as it got (exit 130).
    Stopped,
    /// The run finished, but its output could not be written (exit 4); an earlier file of
    /// that name is left whole.
    Output(anyhow::Error),
}

fn main() -> ExitCode {
    // A child process started by a process scenario: it runs its part and exits here.
    conlab_scenarios::worker::run_worker_if_asked();
    // The keeper of a conlab's private servers: it stops them once that conlab is gone.
    conlab_servers::keeper::run_if_asked();
    // Output piped into a program that stops reading (`conlab list | head -1`) ends conlab
    // quietly, as it ends every Unix tool, instead of a "broken pipe" panic.
    // SAFETY: called first thing, before any other thread exists; SIG_DFL is always valid.
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
    }
    if let Some(code) = interrupt::run_cleaner_if_asked() {
        return code;
    }
    let cli = cli::Cli::parse();
    interrupt::install_handler();
    let result = match cli.command {
        cli::Command::List(args) => commands::list::run(args),
        cli::Command::Run(args) => commands::run::run(args),
        cli::Command::RunNative(args) => commands::run_native::run(args),
        cli::Command::Show(args) => commands::show::run(args),
        cli::Command::Serve(args) => commands::serve::run(args),
        cli::Command::Report(args) => commands::report::run(args),
        cli::Command::Explore(args) => commands::explore::run(args),
        cli::Command::Worker(args) => commands::queue::worker(args),
        cli::Command::Runs(args) => commands::queue::runs(args),
        cli::Command::Workers(args) => commands::queue::workers(args),
    };
    // A run that ended because it was interrupted: the handler is cleaning up and exits.
    interrupt::stop_here_if_interrupted();
    match result {
        Ok(()) => ExitCode::SUCCESS,
        // Errors echo what the user or a file gave: escaped before the terminal sees them.
        Err(Failure::Run(e)) => {
            eprintln!("conlab: {}", render::terminal::printable(format!("{e:#}")));
            ExitCode::from(1)
        }
        Err(Failure::Usage(e)) => {
            eprintln!("conlab: {}", render::terminal::printable(format!("{e:#}")));
            ExitCode::from(2)
        }
        Err(Failure::Skipped(e)) => {
            eprintln!("conlab: {}", render::terminal::printable(format!("{e:#}")));
            ExitCode::from(3)
        }
        Err(Failure::Output(e)) => {
            eprintln!("conlab: {}", render::terminal::printable(format!("{e:#}")));
            ExitCode::from(4)
        }
        Err(Failure::Stopped) => ExitCode::from(130),
    }
}
