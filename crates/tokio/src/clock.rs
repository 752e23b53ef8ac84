//! The clock of native runs. Recording reads it twice per span, so it must be cheap: quanta
//! reads the CPU's time-stamp counter (a few nanoseconds) where it is reliable and falls back
//! to the OS's monotonic clock where it is not.

use conlab_core::Nanos;

/// Nanoseconds since the start of a run, readable from any thread.
#[derive(Clone)]
pub struct NativeClock {
    clock: quanta::Clock,
    start: u64,
}

impl NativeClock {
    /// A clock that reads 0 now.
    pub fn start() -> NativeClock {
        let clock = quanta::Clock::new();
        let start = clock.raw();
        NativeClock { clock, start }
    }

    /// Time since [`NativeClock::start`].
    #[inline]
    pub fn now(&self) -> Nanos {
        self.clock.delta_as_nanos(self.start, self.clock.raw())
    }
}
