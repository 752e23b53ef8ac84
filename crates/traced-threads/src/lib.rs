//! A toolkit for scenarios on real OS threads: a per-thread context that records into the
//! trace, traced synchronization primitives, a simulated GIL, and a watchdog.
//!
//! Every blocking wait in this toolkit is cancellable: it waits in short slices and gives up
//! with [`Aborted`] when the run is aborted (a deadlock found by the watchdog, the time limit,
//! or the end of the run cutting off daemon threads). That is what lets conlab report a
//! deadlock instead of hanging, and guarantee that no thread outlives its run. One function
//! holds that rule (`slices.rs`); every primitive and [`ThreadCtx`] wait goes through it.
//!
//! This toolkit knows nothing about any scenario: scenario crates depend on it.

mod ctx;
mod gil;
mod run;
mod slices;
mod sync;
mod watchdog;

pub use ctx::{Aborted, ThreadCtx, ThreadHandle, WaitGuard};
pub use gil::{Gil, Work};
pub use run::{no_thread_outlives, run_thread_code, run_thread_scenario};
pub use slices::{wait_in_slices, wait_in_slices_until, SLICE};
pub use sync::{
    CondGuard, Condition, Event, Permit, Queue, ReentrantGuard, ReentrantLock, Semaphore,
    TracedGuard, TracedMutex,
};
pub use watchdog::Watchdog;

/// The entry point of a thread scenario.
pub type ThreadScenarioFn = fn(&ThreadCtx) -> Result<(), Aborted>;
