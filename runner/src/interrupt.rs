//! Ctrl-C and SIGTERM: a run stopped early leaves nothing behind. While `conlab run` runs a
//! scenario natively, the first of them only stops the run (see [`stop_gently_first`]): it ends
//! *stopped* and is shown as far as it got, a load test with what it measured. The next one
//! ends the process as below. Its own threads cannot be
//! stopped and keep writing to its servers until the process exits, so the cleaning is handed
//! to a short-lived copy of this program (started with a hidden first argument) that waits for
//! this process to exit and then removes what the run left (keys, tables, registry entries).
//! Private servers this process started are stopped, and their folders removed, right here,
//! and child processes of process scenarios are killed.

use std::io::{BufRead, Write};
use std::process::{Command, ExitCode, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

/// The hidden first argument that makes `conlab` the cleaner of an interrupted run.
const CLEANER: &str = "__release-runs";

/// Set by the handler: the main thread must not print a result of its own.
static INTERRUPTED: AtomicBool = AtomicBool::new(false);

/// Whether the run was interrupted (the handler is cleaning up and will exit).
pub fn interrupted() -> bool {
    INTERRUPTED.load(Ordering::SeqCst)
}

/// Once interrupted, the thread that calls this waits for the handler to end the process:
/// a run cut short by the interrupt must not be reported as a failed run.
pub fn stop_here_if_interrupted() {
    while interrupted() {
        std::thread::park();
    }
}

/// What to do first when interrupted (`conlab serve` stops its runs).
type BeforeExit = Box<dyn Fn() + Send + Sync>;
static BEFORE_EXIT: std::sync::Mutex<Option<BeforeExit>> = std::sync::Mutex::new(None);

/// Asks the handler to call `f` first when interrupted.
pub fn before_exit(f: BeforeExit) {
    if let Ok(mut slot) = BEFORE_EXIT.lock() {
        *slot = Some(f);
    }
}

/// What the first Ctrl-C does instead of ending the process (stop the run).
type Gentle = Box<dyn FnOnce() + Send>;
static GENTLE: std::sync::Mutex<Option<Gentle>> = std::sync::Mutex::new(None);

/// Until [`no_gentle_stop`], the first Ctrl-C calls `stop` instead of ending the process.
pub fn stop_gently_first(stop: Gentle) {
    if let Ok(mut slot) = GENTLE.lock() {
        *slot = Some(stop);
    }
}

/// Set once a first Ctrl-C stopped the run.
static STOPPED_GENTLY: AtomicBool = AtomicBool::new(false);

/// Whether a first Ctrl-C stopped the run (even one that ended by itself meanwhile: conlab
/// still exits as interrupted).
pub fn stopped_gently() -> bool {
    STOPPED_GENTLY.load(Ordering::SeqCst)
}

/// From now on Ctrl-C ends the process (the run is over).
pub fn no_gentle_stop() {
    if let Ok(mut slot) = GENTLE.lock() {
        *slot = None;
    }
}

/// Installs the handler for Ctrl-C and SIGTERM.
pub fn install_handler() {
    let _ = ctrlc::set_handler(|| {
        if let Some(stop) = GENTLE.lock().ok().and_then(|mut slot| slot.take()) {
            eprintln!("\nconlab: stopping the run (Ctrl-C again to quit at once)");
            STOPPED_GENTLY.store(true, Ordering::SeqCst);
            stop();
            return;
        }
        INTERRUPTED.store(true, Ordering::SeqCst);
        eprintln!("\nconlab: interrupted");
        if let Some(first) = BEFORE_EXIT.lock().ok().and_then(|mut f| f.take()) {
            first();
        }
        let runs = conlab_servers::take_unreleased();
        if !runs.is_empty() && hand_over(&runs).is_ok() {
            eprintln!("conlab: removing what the run left on its servers");
        }
        // Child processes of process scenarios would die with us anyway (they asked the kernel
        // for it); killing them now makes it immediate.
        conlab_processes::kill_all_children();
        conlab_tokio::scratch::remove_all();
        let stopped = conlab_servers::stop_private_servers();
        if stopped > 0 {
            eprintln!("conlab: stopped {stopped} private servers and removed their files");
        }
        std::process::exit(130);
    });
}

/// Starts the cleaner, telling it (on its standard input, never on its command line, where
/// passwords in URLs would show) this process's id and each run id with its servers.
fn hand_over(runs: &[(String, Vec<String>)]) -> std::io::Result<()> {
    let mut cleaner = Command::new(std::env::current_exe()?)
        .arg(CLEANER)
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()?;
    let mut input = cleaner.stdin.take().expect("piped");
    writeln!(input, "{}", std::process::id())?;
    for (run_id, urls) in runs {
        for url in urls {
            writeln!(input, "{run_id}\t{url}")?;
        }
    }
    Ok(())
}

/// If this process was started as a cleaner: waits (at most 30 s) for the interrupted process
/// to exit, releases its runs, and says which exit code to end with.
pub fn run_cleaner_if_asked() -> Option<ExitCode> {
    if std::env::args().nth(1).as_deref() != Some(CLEANER) {
        return None;
    }
    let mut lines = std::io::stdin().lock().lines().map_while(Result::ok);
    let parent = lines.next().unwrap_or_default();
    let deadline = Instant::now() + Duration::from_secs(30);
    while std::path::Path::new(&format!("/proc/{parent}")).exists() && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(10));
    }
    for line in lines {
        if let Some((run_id, url)) = line.split_once('\t') {
            conlab_servers::release(run_id, &[url.to_string()]);
        }
    }
    Some(ExitCode::SUCCESS)
}
