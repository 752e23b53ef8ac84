//! Wrong behaviours on purpose, for tests: each [`Fault`] names a way concurrency code can go
//! wrong (tasks awaited one by one, a lock that does not exclude, …). A check says which of
//! them it guards against (`Checks::check(..).guards(..)`), and the tests switch each one on
//! in the toolkits and runtimes and expect those checks to fail.
//!
//! The switch exists only in builds with the `faults` feature (the test suite's); elsewhere
//! [`active`] is a constant `false` and costs nothing.

use serde::{Deserialize, Serialize};

/// A way concurrency code can go wrong, produced on purpose by the toolkits under test.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Fault {
    /// Async tasks run one after the other: each spawned task starts only when the one spawned
    /// before it has finished (as if each coroutine were awaited in turn).
    SerialTasks,
    /// Threads run one after the other: starting a thread waits until it has finished.
    SerialThreads,
    /// Child processes run one after the other: each waits for the one started before it to
    /// end before it runs its code.
    SerialProcesses,
    /// Locks and semaphores do not exclude: a thread holding one lets others in while it
    /// waits or sleeps, and acquiring never waits.
    LockNotExclusive,
    /// The simulated GIL is never handed over: a thread keeps it until its work is done.
    GilNeverHandedOver,
}

impl Fault {
    /// Every fault.
    pub const ALL: [Fault; 5] = [
        Fault::SerialTasks,
        Fault::SerialThreads,
        Fault::SerialProcesses,
        Fault::LockNotExclusive,
        Fault::GilNeverHandedOver,
    ];

    /// The fault's name (`serial-tasks`): the value of `CONLAB_FAULT` for child processes.
    pub fn name(self) -> &'static str {
        match self {
            Fault::SerialTasks => "serial-tasks",
            Fault::SerialThreads => "serial-threads",
            Fault::SerialProcesses => "serial-processes",
            Fault::LockNotExclusive => "lock-not-exclusive",
            Fault::GilNeverHandedOver => "gil-never-handed-over",
        }
    }

    /// The fault called `name`.
    pub fn from_name(name: &str) -> Option<Fault> {
        Fault::ALL.into_iter().find(|f| f.name() == name)
    }

    /// The wrong behaviour in words.
    pub fn describe(self) -> &'static str {
        match self {
            Fault::SerialTasks => "tasks awaited one by one",
            Fault::SerialThreads => "threads run one after the other",
            Fault::SerialProcesses => "processes run one after the other",
            Fault::LockNotExclusive => "a lock that does not exclude",
            Fault::GilNeverHandedOver => "a GIL never handed over",
        }
    }
}

/// The environment variable that carries the fault to child processes.
pub const FAULT_ENV: &str = "CONLAB_FAULT";

#[cfg(feature = "faults")]
mod switch {
    use super::Fault;
    use std::sync::atomic::{AtomicU8, Ordering};

    static ACTIVE: AtomicU8 = AtomicU8::new(0);

    fn code(fault: Option<Fault>) -> u8 {
        fault.map_or(0, |f| {
            Fault::ALL.iter().position(|x| *x == f).unwrap_or(0) as u8 + 1
        })
    }

    /// Switches `fault` on for this process (`None`: every fault off). A process started
    /// with `CONLAB_FAULT` set has it on from the start.
    pub fn set(fault: Option<Fault>) {
        ACTIVE.store(code(fault), Ordering::SeqCst);
    }

    /// The fault switched on, if any.
    pub fn current() -> Option<Fault> {
        static FROM_ENV: std::sync::Once = std::sync::Once::new();
        FROM_ENV.call_once(|| {
            if let Some(f) = std::env::var(super::FAULT_ENV)
                .ok()
                .and_then(|n| Fault::from_name(&n))
            {
                ACTIVE.store(code(Some(f)), Ordering::SeqCst);
            }
        });
        match ACTIVE.load(Ordering::Relaxed) {
            0 => None,
            n => Fault::ALL.get(n as usize - 1).copied(),
        }
    }
}

#[cfg(feature = "faults")]
pub use switch::{current, set};

/// No fault can be switched on in this build.
#[cfg(not(feature = "faults"))]
#[inline(always)]
pub fn current() -> Option<Fault> {
    None
}

/// Whether `fault` is switched on.
#[inline(always)]
pub fn active(fault: Fault) -> bool {
    current() == Some(fault)
}
