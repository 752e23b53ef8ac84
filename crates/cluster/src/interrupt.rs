//! Ctrl-C and SIGTERM: nothing the harness started outlives it. Every process it starts
//! (workers, the server) leads a process group of its own, so the terminal's Ctrl-C reaches
//! the harness only, and is noted here with the temporary folders; the handler kills them,
//! removes the folders and stops the private servers (whose destructors would not run), then
//! exits 130. A harness killed outright takes its workers with it too: each is started with
//! the parent-death signal set (see `cluster.rs`), and the servers have their keeper.

use std::path::{Path, PathBuf};
use std::sync::Mutex;

struct Started {
    groups: Vec<u32>,
    folders: Vec<PathBuf>,
}

static STARTED: Mutex<Started> = Mutex::new(Started {
    groups: Vec::new(),
    folders: Vec::new(),
});

fn started() -> std::sync::MutexGuard<'static, Started> {
    STARTED.lock().unwrap_or_else(|p| p.into_inner())
}

pub(crate) fn note_group(pid: u32) {
    started().groups.push(pid);
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

/// Kills every process group the harness started and has not reaped, removes its folders
/// and stops the private servers. Returns how many processes it killed.
pub fn stop_everything() -> usize {
    let (groups, folders) = {
        let mut started = started();
        (
            std::mem::take(&mut started.groups),
            std::mem::take(&mut started.folders),
        )
    };
    for pid in &groups {
        // SAFETY: a signal to the process group of a child this process started and has
        // not reaped (reaped ones are forgotten first).
        unsafe {
            libc::kill(-(*pid as i32), libc::SIGKILL);
        }
    }
    for dir in folders {
        let _ = std::fs::remove_dir_all(dir);
    }
    conlab_servers::stop_private_servers();
    groups.len()
}

/// Installs the handler: on Ctrl-C or SIGTERM, [`stop_everything`] and exit 130.
pub fn install_interrupt_handler() {
    let _ = ctrlc::set_handler(|| {
        eprintln!("\nconlab-cluster: interrupted; stopping the workers, the server and the private servers");
        let killed = stop_everything();
        eprintln!("conlab-cluster: {killed} processes stopped, temporary folders removed");
        std::process::exit(130);
    });
}
