//! The one runtime type a page instantiates its scenarios for: live on the page's loop, or on
//! the virtual-time executor for stepping through. A page needs both, and scenario code
//! compiled once for this type instead of once per runtime halves what it downloads; the cost
//! is one `match` per runtime call.

use crate::runtime::BrowserRuntime;
use crate::timers::BrowserSleep;
use conlab_core::{Nanos, Runtime, RuntimeKind};
use conlab_virtual::{VirtualRuntime, VirtualSleep};
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

/// The page's loop or the virtual-time executor.
#[derive(Clone)]
pub enum PageRuntime {
    /// Live on the page's own event loop.
    Live(BrowserRuntime),
    /// On the deterministic virtual-time executor.
    Virtual(VirtualRuntime),
}

/// The sleep of a [`PageRuntime`].
pub enum PageSleep {
    /// On the page's timer queue.
    Live(BrowserSleep),
    /// On the virtual clock.
    Virtual(VirtualSleep),
}

impl Future for PageSleep {
    type Output = ();

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        // Both sleeps are Unpin, and so is this.
        match self.get_mut() {
            PageSleep::Live(s) => Pin::new(s).poll(cx),
            PageSleep::Virtual(s) => Pin::new(s).poll(cx),
        }
    }
}

impl Runtime for PageRuntime {
    type Sleep = PageSleep;

    fn kind(&self) -> RuntimeKind {
        match self {
            PageRuntime::Live(rt) => rt.kind(),
            PageRuntime::Virtual(rt) => rt.kind(),
        }
    }

    fn now(&self) -> Nanos {
        match self {
            PageRuntime::Live(rt) => rt.now(),
            PageRuntime::Virtual(rt) => rt.now(),
        }
    }

    fn sleep(&self, duration: Duration) -> PageSleep {
        match self {
            PageRuntime::Live(rt) => PageSleep::Live(rt.sleep(duration)),
            PageRuntime::Virtual(rt) => PageSleep::Virtual(rt.sleep(duration)),
        }
    }

    fn spawn<F: Future<Output = ()> + 'static>(&self, future: F) {
        match self {
            PageRuntime::Live(rt) => rt.spawn(future),
            PageRuntime::Virtual(rt) => rt.spawn(future),
        }
    }

    fn block_thread(&self, duration: Duration) {
        match self {
            PageRuntime::Live(rt) => rt.block_thread(duration),
            PageRuntime::Virtual(rt) => rt.block_thread(duration),
        }
    }

    fn burn_cpu(&self, duration: Duration) {
        match self {
            PageRuntime::Live(rt) => rt.burn_cpu(duration),
            PageRuntime::Virtual(rt) => rt.burn_cpu(duration),
        }
    }
}
