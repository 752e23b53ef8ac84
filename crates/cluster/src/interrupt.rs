//! Ctrl-C and SIGTERM: nothing the harness started outlives it. Every process it starts
//! (workers, the server) leads a process group of its own, so the terminal's Ctrl-C reaches
//! the harness only, and is noted here with the temporary folders; the handler kills them,
//! removes the folders and stops the private servers (whose destructors would not run), says
//! how far the harness had come, then exits 130. A harness killed outright takes its workers
//! with it too: each is started with the parent-death signal set (see `cluster.rs`), and the
//! servers have their keeper.
//!
//! The handler runs beside the harness's own thread, which goes on until the process exits
//! and meets the servers the handler stopped: [`interrupted`] tells it that the errors it
//! gets are the interrupt's doing, to be kept quiet ([`wait_for_the_interrupt`]), not reported.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Mutex;

struct Started {
    groups: Vec<u32>,
    folders: Vec<PathBuf>,
    /// Set once everything is being stopped: a process started after that is killed at once.
    stopping: bool,
    /// How far the harness has come, said when it is interrupted.
    status: Option<String>,
}

static STARTED: Mutex<Started> = Mutex::new(Started {
    groups: Vec::new(),
    folders: Vec::new(),
    stopping: false,
    status: None,
});

static INTERRUPTED: AtomicBool = AtomicBool::new(false);

fn started() -> std::sync::MutexGuard<'static, Started> {
    STARTED.lock().unwrap_or_else(|p| p.into_inner())
}

fn kill_group(pid: u32) {
    // SAFETY: a signal to the process group of a child this process started and has not
    // reaped (reaped ones are forgotten first).
    unsafe {
        libc::kill(-(pid as i32), libc::SIGKILL);
    }
}

pub(crate) fn note_group(pid: u32) {
    let mut started = started();
    if started.stopping {
        // Started by the harness's thread while the handler stops everything.
        kill_group(pid);
    } else {
        started.groups.push(pid);
    }
}

/// Once its process is reaped: its id may be reused, and must not be killed any more.
pub(crate) fn forget_group(pid: u32) {
    started().groups.retain(|p| *p != pid);
}

pub(crate) fn note_folder(dir: &Path) {
    started().folders.push(dir.to_path_buf());
}

pub(crate) fn forget_folder(dir: &Path) {
    started().folders.retain(|d| d != dir);
}

/// Notes how far the harness has come (`… 340 of 2,000 runs enqueued, 2 kills`): the
/// interrupt handler says it after stopping everything.
pub(crate) fn note_status(status: String) {
    started().status = Some(status);
}

/// Whether Ctrl-C or SIGTERM came: everything is being stopped, and the process exits 130
/// as soon as it is.
pub fn interrupted() -> bool {
    INTERRUPTED.load(Ordering::SeqCst)
}

/// For the harness's thread once [`interrupted`]: waits for the handler to end the process
/// (exit 130), so that no error caused by the stopping is reported as the harness's own.
pub fn wait_for_the_interrupt() -> ! {
    loop {
        std::thread::park();
    }
}

/// Kills every process group the harness started and has not reaped, removes its folders
/// and stops the private servers. Returns how many processes it killed and how many
/// private servers it stopped.
pub fn stop_everything() -> (usize, usize) {
    let (groups, folders) = {
        let mut started = started();
        started.stopping = true;
        (
            std::mem::take(&mut started.groups),
            std::mem::take(&mut started.folders),
        )
    };
    for pid in &groups {
        kill_group(*pid);
    }
    for dir in folders {
        let _ = std::fs::remove_dir_all(dir);
    }
    let servers = conlab_servers::stop_private_servers();
    (groups.len(), servers)
}

/// Installs the handler: on Ctrl-C or SIGTERM, [`stop_everything`], say how far the harness
/// had come, and exit 130.
pub fn install_interrupt_handler() {
    let _ = ctrlc::set_handler(|| {
        INTERRUPTED.store(true, Ordering::SeqCst);
        eprintln!(
            "\nconlab-cluster: interrupted; stopping the workers, the server and the private servers"
        );
        let (processes, servers) = stop_everything();
        eprintln!(
            "conlab-cluster: {} and {} stopped, temporary folders removed",
            crate::numbers::counted(processes, "process", "processes"),
            crate::numbers::counted(servers, "private server", "private servers")
        );
        if let Some(status) = started().status.take() {
            eprintln!("conlab-cluster: {status}");
        }
        std::process::exit(130);
    });
}
