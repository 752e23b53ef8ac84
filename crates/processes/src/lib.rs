//! A toolkit for scenarios on real OS processes.
//!
//! The runner starts each child by executing itself again with a hidden first argument
//! ([`WORKER_ARG`]), so every child is a real process with its own PID and memory, running the
//! scenario's child code ([`ChildFn`]) found through the registry. On the parent's side a
//! scenario's main thread (a [`conlab_traced_threads::ThreadCtx`]) starts children with
//! [`Processes::spawn`]; each gets a lane labelled with its PID.
//!
//! Children record on the run's clock (the OS's monotonic clock, from the parent's start) and
//! stream their events to the parent over a Unix socket in a compact binary framing
//! (`frame.rs`); a thread per child replays them into the run's recording, nesting the
//! child's own threads under its lane, and tells the run's watchdog what the child waits for,
//! so a deadlock across processes is reported as one between threads is.
//!
//! No child outlives its run or its parent: each asks the kernel to kill it when the parent
//! dies (`PR_SET_PDEATHSIG`, set from one long-lived spawner thread), leads a process group of
//! its own so it can be killed with whatever it started, is told to stop when the run is
//! aborted and killed if it lingers, and [`Processes`] reaps every child when dropped. A child
//! that crashes, is killed, reports a failure, exits without reporting its end, or writes
//! garbage to its channel ends the run with a reason naming it and how it ended.

mod checks;
mod child;
mod exit;
mod fds;
mod frame;
mod inbox;
mod live;
mod lock;
mod spawn;
mod worker;

pub use checks::no_process_outlives;
pub use child::{child_main, ChildFn, ChildThread, ProcessCtx, Waiting};
pub use exit::{signal_name, Exit};
pub use frame::MAX_FRAME;
pub use inbox::{Inbox, Received};
pub use live::{kill_all_children, live_children};
pub use lock::{ProcessLock, ProcessLockGuard};
pub use spawn::{Process, Processes, Spawn};
pub use worker::{is_worker, set_worker_exe, WorkerSpec, WORKER_ARG};
