//! The [`Runtime`] implementation on tokio.

use crate::panics::ReportPanic;
use crate::StopSignal;
use conlab_native::NativeClock;
use conlab_native::SlowLink;

/// How often blocking on the loop looks whether the run was asked to stop.
const STOP_CHECK: Duration = Duration::from_millis(10);

/// How long a run that winds down by itself may take to, once stopped.
pub const STOP_GRACE: Duration = Duration::from_secs(2);
use conlab_core::{Nanos, Runtime, RuntimeKind};
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

/// tokio as a conlab runtime. Must be used inside a `LocalSet` on a current-thread runtime.
#[derive(Clone)]
pub struct TokioRuntime {
    clock: NativeClock,
    slow: Option<SlowLink>,
    stop: StopSignal,
    /// Set by [`TokioRuntime::wind_down_on_stop`].
    winds_down: Arc<AtomicBool>,
}

impl TokioRuntime {
    /// A runtime that reads time from `clock`.
    pub fn with_clock(clock: NativeClock) -> TokioRuntime {
        TokioRuntime::with_slow_server(clock, None)
    }

    /// The same, whose slow requests go to `slow` (real requests).
    pub fn with_slow_server(clock: NativeClock, slow: Option<SlowLink>) -> TokioRuntime {
        TokioRuntime {
            clock,
            slow,
            stop: StopSignal::default(),
            winds_down: Arc::default(),
        }
    }

    /// The same, stopped by `stop`.
    pub fn stopped_by(self, stop: StopSignal) -> TokioRuntime {
        TokioRuntime { stop, ..self }
    }

    /// For a scenario that ends by itself soon after a stop is asked for (a load test stops
    /// sending and reports what it measured): once asked, the run waits up to [`STOP_GRACE`]
    /// for it to end, where other scenarios are cut off at once. Returns the signal to watch.
    pub fn wind_down_on_stop(&self) -> StopSignal {
        self.winds_down.store(true, Ordering::Relaxed);
        self.stop.clone()
    }

    /// Whether the run has been asked to stop (for work off the loop, which must give up by
    /// itself: a call on the blocking pool).
    pub fn stop_asked(&self) -> bool {
        self.stop.requested().is_some()
    }

    /// Whether the scenario said it winds down by itself when stopped.
    pub(crate) fn winds_down(&self) -> bool {
        self.winds_down.load(Ordering::Relaxed)
    }

    /// The run's slow server, when it has one.
    pub fn slow_server(&self) -> Option<&SlowLink> {
        self.slow.as_ref()
    }

    /// The runtime's clock (shareable with other threads of the run).
    pub fn clock(&self) -> &NativeClock {
        &self.clock
    }
}

pin_project_lite::pin_project! {
    /// What tokio waits on for a sleep: its timer, or a real request to the run's slow server.
    pub struct TokioSleep {
        #[pin]
        kind: SleepKind,
    }
}

pin_project_lite::pin_project! {
    #[project = SleepKindProj]
    enum SleepKind {
        Timer { #[pin] timer: tokio::time::Sleep },
        // A failure is counted on the link (and fails the run).
        Request { request: Pin<Box<dyn Future<Output = Result<(), String>>>>, link: SlowLink },
    }
}

impl Future for TokioSleep {
    type Output = ();

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        match self.project().kind.project() {
            SleepKindProj::Timer { timer } => timer.poll(cx),
            SleepKindProj::Request { request, link } => match request.as_mut().poll(cx) {
                Poll::Ready(outcome) => {
                    if let Err(why) = outcome {
                        link.failed(why);
                    }
                    Poll::Ready(())
                }
                Poll::Pending => Poll::Pending,
            },
        }
    }
}

impl Runtime for TokioRuntime {
    type Sleep = TokioSleep;

    fn kind(&self) -> RuntimeKind {
        RuntimeKind::Tokio
    }

    #[inline]
    fn now(&self) -> Nanos {
        self.clock.now()
    }

    fn sleep(&self, duration: Duration) -> TokioSleep {
        TokioSleep {
            kind: SleepKind::Timer {
                timer: tokio::time::sleep(duration),
            },
        }
    }

    fn slow_request(&self, latency: Duration) -> TokioSleep {
        match &self.slow {
            Some(link) => TokioSleep {
                kind: SleepKind::Request {
                    request: link.server().request(latency),
                    link: link.clone(),
                },
            },
            None => self.sleep(latency),
        }
    }

    fn real_io(&self) -> bool {
        self.slow.is_some()
    }

    fn io_kind(&self) -> String {
        match &self.slow {
            Some(link) => link.server().describe(),
            None => conlab_core::SIMULATED_IO.to_string(),
        }
    }

    fn spawn<F: Future<Output = ()> + 'static>(&self, future: F) {
        drop(tokio::task::spawn_local(ReportPanic::new(future)));
    }

    // Blocking and computing give up once the run is asked to stop: the loop they hold cannot
    // notice the stop until they end.
    fn block_thread(&self, duration: Duration) {
        let until = Instant::now() + duration;
        while self.stop.requested().is_none() {
            let left = until.saturating_duration_since(Instant::now());
            if left.is_zero() {
                break;
            }
            std::thread::sleep(left.min(STOP_CHECK));
        }
    }

    fn burn_cpu(&self, duration: Duration) {
        let until = Instant::now() + duration;
        let mut x = 0u64;
        while Instant::now() < until && self.stop.requested().is_none() {
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
