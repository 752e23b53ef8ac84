//! The runtime abstraction async scenarios are written against once. Three implementations
//! live in their own crates: the deterministic virtual-time executor, tokio, and the browser's
//! event loop.
//!
//! Everything is single-threaded and `!Send`-friendly on purpose: asyncio's loop and the
//! browser's are single-threaded, and scenario code that needs no `Send` bounds runs unchanged
//! in all three places.

use crate::trace::{Nanos, RuntimeKind};
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

/// An event loop that scenarios can run on.
pub trait Runtime: Clone + 'static {
    /// The future returned by [`Runtime::sleep`].
    type Sleep: Future<Output = ()> + 'static;

    /// Which runtime this is.
    fn kind(&self) -> RuntimeKind;

    /// Time since the start of the run.
    fn now(&self) -> Nanos;

    /// A future that completes after `duration`.
    fn sleep(&self, duration: Duration) -> Self::Sleep;

    /// Schedules a future to run on this loop.
    fn spawn<F: Future<Output = ()> + 'static>(&self, future: F);

    /// A blocking call: holds the current thread, and with it the whole event loop, for
    /// `duration`.
    fn block_thread(&self, duration: Duration);

    /// CPU-bound work lasting `duration`: also holds the loop, but computes.
    fn burn_cpu(&self, duration: Duration);

    /// Waits for a slow server that answers after `latency`: natively a real HTTP request to
    /// conlab's local test server (when the run has one), elsewhere the timer (`sleep`).
    fn slow_request(&self, latency: Duration) -> Self::Sleep {
        self.sleep(latency)
    }

    /// Whether [`Runtime::slow_request`] makes real requests here.
    fn real_io(&self) -> bool {
        false
    }

    /// How [`Runtime::slow_request`] waits here, in the words of the trace's `io` mark.
    fn io_kind(&self) -> String {
        SIMULATED_IO.to_string()
    }

    /// A name for the OS thread the loop runs on (the browser and the virtual executor have
    /// only one).
    fn os_thread(&self) -> String {
        "the loop's only thread".to_string()
    }
}

/// The `io` mark of a run whose slow requests are timers.
pub const SIMULATED_IO: &str = "simulated: a timer stands for each server's answer";

/// The sleep future of runtime `R`.
pub type Sleep<R> = <R as Runtime>::Sleep;

/// Gives other ready tasks a turn before continuing.
pub fn yield_now() -> impl Future<Output = ()> {
    YieldNow { yielded: false }
}

struct YieldNow {
    yielded: bool,
}

impl Future for YieldNow {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        if self.yielded {
            Poll::Ready(())
        } else {
            self.yielded = true;
            cx.waker().wake_by_ref();
            Poll::Pending
        }
    }
}
