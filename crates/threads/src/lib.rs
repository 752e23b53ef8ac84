//! The thread runtime seam. A thread scenario is written once, against [`Thread`]: spawning and
//! joining threads, locks, shared variables, sleeping and printing, each blocking operation an
//! `.await`. It runs on two runtimes:
//! - real OS threads (feature `native`): each thread drives its code with a `block_on` of its
//!   own, every operation blocking inside its `poll` through the traced thread toolkit, so an
//!   `.await` never suspends there;
//! - the deterministic scheduler (`conlab-sched`), on one thread in virtual time, where every
//!   operation is a scheduling point a strategy (or a learner) decides.
//!
//! Both record the same trace events, so a scenario's checks judge either run.

#![deny(missing_docs)]
// Without the OS-thread runtime, the seam's types have one kind only.
#![cfg_attr(not(feature = "native"), allow(irrefutable_let_patterns))]

mod cpu;
mod gil;
mod local;
mod manager;
#[cfg(feature = "native")]
mod os;
mod process;
mod queue;
mod scheduled;
mod sync;
mod thread;
mod watch;

pub use cpu::Cpu;
pub use gil::Gil;
pub use local::Local;
pub use manager::{Manager, SharedDict};
#[cfg(feature = "native")]
pub use process::run_child;
pub use process::{
    Child, ChildBody, ProcessHandle, ProcessLock, ProcessQueue, ProcessSpec, Processes,
    VIRTUAL_PARENT_PID,
};
pub use queue::Queue;
pub use scheduled::{run_scheduled, Recording, Scheduled, SCHEDULER_LIMITS};
pub use sync::{CondHeld, Condition, Event, Held, Lock, Permit, Semaphore, Shared};
pub use thread::{Handle, Thread, ThreadFn, LEAST_WORK};
pub use watch::{Deadlock, Watch};

#[cfg(feature = "native")]
pub use os::run_native;

/// What a search tries to break in a scenario: each property's name ("with the lock"), and why
/// a run broke it, if it did.
pub type PropertiesFn = fn(&conlab_core::Checks) -> Vec<(&'static str, Option<String>)>;

/// The run was aborted (deadlock, time limit, a stop): give up and unwind with `?`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("the run was aborted")]
pub struct Aborted;

#[cfg(feature = "native")]
impl From<conlab_traced_threads::Aborted> for Aborted {
    fn from(_: conlab_traced_threads::Aborted) -> Aborted {
        Aborted
    }
}

/// Drives a future that never suspends (an OS thread's code: every operation blocks inside
/// its poll) to its end.
#[cfg(feature = "native")]
pub(crate) fn block_on<T>(future: impl std::future::Future<Output = T>) -> T {
    use std::task::{Context, Poll, Waker};
    let mut future = std::pin::pin!(future);
    let mut cx = Context::from_waker(Waker::noop());
    loop {
        if let Poll::Ready(v) = future.as_mut().poll(&mut cx) {
            return v;
        }
        // Nothing on an OS thread suspends; should something, yield rather than spin hard.
        std::thread::yield_now();
    }
}
