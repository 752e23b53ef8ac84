//! The [`Runtime`] implementation on the browser's event loop.

use crate::timers::BrowserSleep;
use conlab_core::{Nanos, Runtime, RuntimeKind};
use std::future::Future;
use std::time::Duration;

#[wasm_bindgen::prelude::wasm_bindgen]
extern "C" {
    /// The global scope's high-resolution clock, `performance.now()`: a page's and a
    /// Worker's alike (a run on the page's loop is started in its async Worker). Bound as a
    /// global, it costs no lookup of `window.performance` per event recorded.
    #[wasm_bindgen(js_namespace = performance, js_name = now)]
    fn performance_now() -> f64;
}

/// Milliseconds from the global scope's high-resolution clock (a window's or a Worker's).
pub fn now_ms() -> f64 {
    performance_now()
}

/// What is called before the loop is frozen (see [`before_blocking`]).
type BlockHook = Box<dyn Fn(Duration)>;

thread_local! {
    static BEFORE_BLOCK: std::cell::RefCell<Option<BlockHook>> =
        const { std::cell::RefCell::new(None) };
}

/// Has `hook` called with its length just before each blocking call or burst of CPU work
/// freezes the loop (`None`: no longer). A Worker that sends a live run to its page sends what the run recorded
/// up to then, so a page shows the run as far as it got while its loop is frozen.
pub fn before_blocking(hook: Option<BlockHook>) {
    BEFORE_BLOCK.with(|h| *h.borrow_mut() = hook);
}

/// The browser's event loop as a conlab runtime.
#[derive(Clone, Copy)]
pub struct BrowserRuntime {
    origin_ms: f64,
    /// Which run of the page this is, so that it can be stopped.
    run: u32,
}

impl BrowserRuntime {
    /// A runtime whose clock starts now.
    pub fn starting_now() -> BrowserRuntime {
        BrowserRuntime {
            origin_ms: now_ms(),
            run: crate::stop::new_run(),
        }
    }

    /// What stops this run (made once per run, by `start_scenario`).
    pub(crate) fn stop_handle(&self) -> crate::StopHandle {
        crate::StopHandle::new(self.run)
    }

    fn spin(&self, duration: Duration) {
        // A stopped run's remaining blocking calls give the page back at once.
        if crate::stop::is_stopped(self.run) {
            return;
        }
        // Whoever shows the run hears of it first: nothing can be sent while the loop spins.
        BEFORE_BLOCK.with(|hook| {
            if let Some(hook) = hook.borrow().as_ref() {
                hook(duration);
            }
        });
        let until = now_ms() + duration.as_secs_f64() * 1000.0;
        while now_ms() < until {
            std::hint::spin_loop();
        }
    }
}

impl Runtime for BrowserRuntime {
    type Sleep = BrowserSleep;

    fn kind(&self) -> RuntimeKind {
        RuntimeKind::Browser
    }

    fn now(&self) -> Nanos {
        ((now_ms() - self.origin_ms).max(0.0) * 1e6) as Nanos
    }

    fn sleep(&self, duration: Duration) -> BrowserSleep {
        BrowserSleep::new(duration)
    }

    fn spawn<F: Future<Output = ()> + 'static>(&self, future: F) {
        wasm_bindgen_futures::spawn_local(crate::stop::UntilStopped {
            run: self.run,
            task: future,
        });
    }

    fn block_thread(&self, duration: Duration) {
        // A page cannot sleep its thread: it can only spin, which blocks the loop all the same.
        self.spin(duration);
    }

    fn burn_cpu(&self, duration: Duration) {
        self.spin(duration);
    }
}
