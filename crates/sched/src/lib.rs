//! A deterministic scheduler for thread code, in the manner of shuttle and loom but on one OS
//! thread and in wasm too: each thread of a scenario is an `async` body whose every blocking
//! operation (taking a lock, reading or writing shared state, sleeping, computing, joining) is
//! an `.await` on a scheduling point. At each point the [`Strategy`] picks which runnable thread
//! takes its next step; the code between two points runs atomically. Time is virtual: it moves
//! only when no thread can step, to the earliest wake-up.
//!
//! A run's choices are its [`Schedule`], a short printable string that replays exactly; the
//! [`explore`](search::explore) driver runs many schedules (random, PCT or depth-first under a
//! preemption bound) against an invariant and shrinks a failure to the fewest preemptions.

#![deny(missing_docs)]

mod rng;
mod run;
mod schedule;
pub mod search;
mod strategy;
mod sync;

pub use rng::SplitMix64;
pub use run::{
    Ctx, Decision, End, Group, JoinHandle, Nanos, Op, RunLimits, RunReport, Scheduler, Step, Stuck,
    ThreadId, Wake,
};
pub use schedule::{code_hash, fingerprint, Schedule, ScheduleError};
pub use strategy::{ChoicePoint, Dfs, Guided, Pct, Random, Replay, Strategy};
pub use sync::{Condition, Event, Lock, Queue, Semaphore, SharedCell};
