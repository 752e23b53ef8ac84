//! Every child process this program has started and not reaped yet, and the one thread that
//! starts them.
//!
//! Why one thread: `PR_SET_PDEATHSIG` sends the child its signal when the *thread* that forked
//! it ends, not the process. Forking from a scenario's short-lived threads would kill children
//! early; the spawner thread lives as long as the program, so a child dies exactly when its
//! parent does (including SIGKILL of the parent, which no handler sees).

use parking_lot::Mutex;
use std::io;
use std::process::{Child, Command};
use std::sync::mpsc;
use std::sync::OnceLock;

/// Process groups of children alive (each child leads a group of its own).
static LIVE: Mutex<Vec<i32>> = Mutex::new(Vec::new());

type Request = (Command, mpsc::Sender<io::Result<Child>>);

fn spawner() -> &'static Mutex<mpsc::Sender<Request>> {
    static SPAWNER: OnceLock<Mutex<mpsc::Sender<Request>>> = OnceLock::new();
    SPAWNER.get_or_init(|| {
        let (tx, rx) = mpsc::channel::<Request>();
        std::thread::Builder::new()
            .name("conlab-spawner".into())
            .spawn(move || {
                for (mut command, reply) in rx {
                    let spawned = command.spawn();
                    if let Ok(child) = &spawned {
                        LIVE.lock().push(child.id() as i32);
                    }
                    let _ = reply.send(spawned);
                }
            })
            .expect("the spawner thread starts");
        Mutex::new(tx)
    })
}

/// Starts `command` on the spawner thread and registers the child as alive.
pub(crate) fn spawn(command: Command) -> io::Result<Child> {
    let (tx, rx) = mpsc::channel();
    spawner()
        .lock()
        .send((command, tx))
        .map_err(|_| io::Error::other("the spawner thread is gone"))?;
    rx.recv()
        .map_err(|_| io::Error::other("the spawner thread is gone"))?
}

/// Kills the process group of `pid` if it is still registered as alive (never a reaped
/// process's number, which the OS may have given to another process).
pub(crate) fn kill(pid: i32, signal: i32) {
    let live = LIVE.lock();
    if live.contains(&pid) {
        // SAFETY: plain system call; the group exists or the call fails harmlessly.
        unsafe { libc::kill(-pid, signal) };
    }
}

/// Takes `pid` off the list: called once it has exited and right before it is reaped.
pub(crate) fn forget(pid: i32) {
    LIVE.lock().retain(|p| *p != pid);
}

/// Kills every child process this program started and has not reaped, with their own
/// children (each is a process group), and reaps them. For an interrupt handler about to exit:
/// the children would die with it anyway (`PR_SET_PDEATHSIG`); this makes it immediate and
/// leaves no zombie for an init that may never reap it.
pub fn kill_all_children() {
    // Killed under the lock, as `kill` does: a child is forgotten (under it) before it is
    // reaped, so no number here can have been handed to another process meanwhile.
    let mut left: Vec<i32> = {
        let live = LIVE.lock();
        for pid in live.iter() {
            // SAFETY: as in `kill`.
            unsafe { libc::kill(-*pid, libc::SIGKILL) };
        }
        live.clone()
    };
    // Reaped here too (for up to 200 ms), so no zombie waits for an init that may never reap
    // it (a container's PID 1 often does not).
    let deadline = std::time::Instant::now() + std::time::Duration::from_millis(200);
    while !left.is_empty() && std::time::Instant::now() < deadline {
        left.retain(|pid| {
            let mut status = 0;
            // SAFETY: plain system call; a child already reaped by its reader gives ECHILD.
            unsafe { libc::waitpid(*pid, &mut status, libc::WNOHANG) == 0 }
        });
        std::thread::sleep(std::time::Duration::from_millis(1));
    }
}

/// How many children are alive (started, not reaped).
pub fn live_children() -> usize {
    LIVE.lock().len()
}
