//! The [`Runtime`] implementation on the browser's event loop.

use conlab_core::{Nanos, Runtime, RuntimeKind};
use gloo_timers::future::TimeoutFuture;
use std::future::Future;
use std::time::Duration;

/// Milliseconds from the page's high-resolution clock (`Date.now()` where there is none).
pub fn now_ms() -> f64 {
    web_sys::window()
        .and_then(|w| w.performance())
        .map(|p| p.now())
        .unwrap_or_else(js_sys::Date::now)
}

/// The browser's event loop as a conlab runtime.
#[derive(Clone, Copy)]
pub struct BrowserRuntime {
    origin_ms: f64,
}

impl BrowserRuntime {
    /// A runtime whose clock starts now.
    pub fn starting_now() -> BrowserRuntime {
        BrowserRuntime {
            origin_ms: now_ms(),
        }
    }

    fn spin(&self, duration: Duration) {
        let until = now_ms() + duration.as_secs_f64() * 1000.0;
        while now_ms() < until {
            std::hint::spin_loop();
        }
    }
}

impl Runtime for BrowserRuntime {
    type Sleep = TimeoutFuture;

    fn kind(&self) -> RuntimeKind {
        RuntimeKind::Browser
    }

    fn now(&self) -> Nanos {
        ((now_ms() - self.origin_ms).max(0.0) * 1e6) as Nanos
    }

    fn sleep(&self, duration: Duration) -> TimeoutFuture {
        // setTimeout counts whole milliseconds; round up so a sleep is never short.
        let ms = (duration.as_nanos().div_ceil(1_000_000)).min(u32::MAX as u128) as u32;
        TimeoutFuture::new(ms)
    }

    fn spawn<F: Future<Output = ()> + 'static>(&self, future: F) {
        wasm_bindgen_futures::spawn_local(future);
    }

    fn block_thread(&self, duration: Duration) {
        // A page cannot sleep its thread: it can only spin, which blocks the loop all the same.
        self.spin(duration);
    }

    fn burn_cpu(&self, duration: Duration) {
        self.spin(duration);
    }
}
