//! The [`Runtime`] implementation on tokio.

use crate::clock::NativeClock;
use crate::panics::ReportPanic;
use conlab_core::{Nanos, Runtime, RuntimeKind};
use std::future::Future;
use std::time::{Duration, Instant};

/// tokio as a conlab runtime. Must be used inside a `LocalSet` on a current-thread runtime.
#[derive(Clone)]
pub struct TokioRuntime {
    clock: NativeClock,
}

impl TokioRuntime {
    /// A runtime that reads time from `clock`.
    pub fn with_clock(clock: NativeClock) -> TokioRuntime {
        TokioRuntime { clock }
    }

    /// The runtime's clock (shareable with other threads of the run).
    pub fn clock(&self) -> &NativeClock {
        &self.clock
    }
}

impl Runtime for TokioRuntime {
    type Sleep = tokio::time::Sleep;

    fn kind(&self) -> RuntimeKind {
        RuntimeKind::Tokio
    }

    #[inline]
    fn now(&self) -> Nanos {
        self.clock.now()
    }

    fn sleep(&self, duration: Duration) -> tokio::time::Sleep {
        tokio::time::sleep(duration)
    }

    fn spawn<F: Future<Output = ()> + 'static>(&self, future: F) {
        drop(tokio::task::spawn_local(ReportPanic::new(future)));
    }

    fn block_thread(&self, duration: Duration) {
        std::thread::sleep(duration);
    }

    fn burn_cpu(&self, duration: Duration) {
        let until = Instant::now() + duration;
        let mut x = 0u64;
        while Instant::now() < until {
            for i in 0..1000u64 {
                x = std::hint::black_box(x.wrapping_mul(6364136223846793005).wrapping_add(i));
            }
        }
        std::hint::black_box(x);
    }

    fn os_thread(&self) -> String {
        let t = std::thread::current();
        // `ThreadId(7)` is how Rust debug-prints the id; people read "thread 7".
        let id = format!("{:?}", t.id());
        let number: String = id.chars().filter(char::is_ascii_digit).collect();
        format!("{} (thread {number})", t.name().unwrap_or("unnamed"))
    }
}
