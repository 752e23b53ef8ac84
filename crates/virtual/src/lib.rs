//! A deterministic virtual-time executor for conlab scenarios.
//!
//! One thread; ready tasks run in FIFO order; timers fire in (deadline, insertion) order; the
//! clock jumps to the next deadline only when nothing is ready. Blocking calls and CPU work
//! advance the clock without letting anything else run, which is exactly what they do to a
//! real single-threaded event loop. Runs take no wall-clock time, and the same scenario with
//! the same parameters gives the same trace byte for byte.
#![deny(missing_docs)]

mod executor;
mod run;

pub use executor::{Outcome, VirtualRuntime, VirtualSleep, VIRTUAL_BOUND};
pub use run::{
    run_scenario, run_scenario_bounded, run_scenario_bounded_on, run_scenario_on, Bounds,
};
