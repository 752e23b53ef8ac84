//! `conlab`: run concurrency scenarios for real and see what happened.
//!
//! This file only parses the command line, dispatches one function per subcommand and maps
//! errors to exit codes: 0 ran and every check passed, 1 a run or a check failed, 2 bad usage
//! or bad input, 3 skipped (something it needs is missing), 130 interrupted.

mod cli;
mod commands;
mod render;

use clap::Parser;

// mimalloc keeps large runs (a million traced tasks) well under the memory targets; see
// `just bench`.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;
use std::process::ExitCode;
use std::sync::atomic::{AtomicBool, Ordering};

/// Set by the Ctrl-C handler.
static INTERRUPTED: AtomicBool = AtomicBool::new(false);

/// An error that decides the exit code.
#[derive(Debug)]
pub enum Failure {
    /// Bad usage or bad input (exit 2).
    Usage(anyhow::Error),
    /// The run failed or a check failed (exit 1).
    Run(anyhow::Error),
    /// The run was skipped: a server or a feature it needs is missing (exit 3).
    Skipped(anyhow::Error),
}

fn main() -> ExitCode {
    // Output piped into a program that stops reading (`conlab list | head -1`) ends conlab
    // quietly, as it ends every Unix tool, instead of a "broken pipe" panic.
    // SAFETY: called first thing, before any other thread exists; SIG_DFL is always valid.
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
    }
    let cli = cli::Cli::parse();
    // Ctrl-C: stop the private database servers this run started and remove their files,
    // then exit as interrupted programs do.
    let _ = ctrlc::set_handler(|| {
        INTERRUPTED.store(true, Ordering::SeqCst);
        eprintln!("\nconlab: interrupted");
        let stopped = conlab_servers::stop_private_servers();
        if stopped > 0 {
            eprintln!("conlab: stopped {stopped} private servers and removed their files");
        }
        std::process::exit(130);
    });
    let result = match cli.command {
        cli::Command::List(args) => commands::list::run(args),
        cli::Command::Run(args) => commands::run::run(args),
        cli::Command::RunNative(args) => commands::run_native::run(args),
        cli::Command::Show(args) => commands::show::run(args),
    };
    if INTERRUPTED.load(Ordering::SeqCst) {
        // The run ended because it was interrupted: the handler is cleaning up and exits.
        loop {
            std::thread::park();
        }
    }
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(Failure::Run(e)) => {
            eprintln!("conlab: {e:#}");
            ExitCode::from(1)
        }
        Err(Failure::Usage(e)) => {
            eprintln!("conlab: {e:#}");
            ExitCode::from(2)
        }
        Err(Failure::Skipped(e)) => {
            eprintln!("conlab: {e:#}");
            ExitCode::from(3)
        }
    }
}
