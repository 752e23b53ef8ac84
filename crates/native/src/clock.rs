//! The clock of native runs: the OS's monotonic clock (`CLOCK_MONOTONIC`), read in nanoseconds
//! from a start instant. Every process reads the same clock, so a child process that is given
//! its parent's start instant stamps its events on the parent's time axis: lanes of different
//! processes line up, and nothing a child does can appear to precede what caused it.
//!
//! Why not the CPU's time-stamp counter (what this clock was before processes): each process
//! calibrates it for itself, so two processes disagree by the calibration error times the
//! run's length. The monotonic clock is read through the vDSO without a system call (about
//! 20 ns here, where the kernel's clock source is the TSC), which recording can afford.

use conlab_core::Nanos;

/// Nanoseconds since the start of a run, readable from any thread and any process of the run.
#[derive(Clone, Copy, Debug)]
pub struct NativeClock {
    start: u64,
}

impl NativeClock {
    /// A clock that reads 0 now.
    pub fn start() -> NativeClock {
        NativeClock {
            start: monotonic_ns(),
        }
    }

    /// The clock whose zero is `start` on the monotonic clock (what a child process is given
    /// by its parent: [`NativeClock::start_instant`]).
    pub fn from_start_instant(start: u64) -> NativeClock {
        NativeClock { start }
    }

    /// This clock's zero on the monotonic clock, in nanoseconds.
    pub fn start_instant(&self) -> u64 {
        self.start
    }

    /// Time since [`NativeClock::start`]. Never less than 0: a reading taken before the start
    /// (impossible in one process) reads 0.
    #[inline]
    pub fn now(&self) -> Nanos {
        monotonic_ns().saturating_sub(self.start)
    }
}

/// `CLOCK_MONOTONIC` in nanoseconds: the same clock in every process of the machine.
#[inline]
fn monotonic_ns() -> u64 {
    clock_ns(libc::CLOCK_MONOTONIC)
}

/// The CPU time the calling thread has had, in nanoseconds (what a busy machine granted it).
pub fn thread_cpu_ns() -> u64 {
    clock_ns(libc::CLOCK_THREAD_CPUTIME_ID)
}

#[inline]
fn clock_ns(clock: libc::clockid_t) -> u64 {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: `ts` is a valid, writable timespec; both clocks used here always exist on Linux,
    // so the call cannot fail.
    unsafe { libc::clock_gettime(clock, &mut ts) };
    ts.tv_sec as u64 * 1_000_000_000 + ts.tv_nsec as u64
}
