//! The one runtime type a page instantiates its scenarios for: live on the page's loop, or (with
//! the feature `virtual`, which the page's own tests use) on the virtual-time executor. A page needs both, and scenario code
//! compiled once for this type instead of once per runtime halves what it downloads; the cost
//! is one `match` per runtime call.

use crate::runtime::BrowserRuntime;
use crate::timers::BrowserSleep;
use conlab_core::{Nanos, Runtime, RuntimeKind};
#[cfg(feature = "virtual")]
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
    /// On the deterministic virtual-time executor (feature `virtual`: the page runs those in
    /// its scheduler Worker instead, and its download is smaller without them).
    #[cfg(feature = "virtual")]
    Virtual(VirtualRuntime),
}

/// The sleep of a [`PageRuntime`].
pub enum PageSleep {
    /// On the page's timer queue.
    Live(BrowserSleep),
    /// On the virtual clock.
    #[cfg(feature = "virtual")]
    Virtual(VirtualSleep),
}

impl Future for PageSleep {
    type Output = ();

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        // Both sleeps are Unpin, and so is this.
        match self.get_mut() {
            PageSleep::Live(s) => Pin::new(s).poll(cx),
            #[cfg(feature = "virtual")]
            PageSleep::Virtual(s) => Pin::new(s).poll(cx),
        }
    }
}

impl Runtime for PageRuntime {
    type Sleep = PageSleep;

    fn kind(&self) -> RuntimeKind {
        match self {
            PageRuntime::Live(rt) => rt.kind(),
            #[cfg(feature = "virtual")]
            PageRuntime::Virtual(rt) => rt.kind(),
        }
    }

    fn now(&self) -> Nanos {
        match self {
            PageRuntime::Live(rt) => rt.now(),
            #[cfg(feature = "virtual")]
            PageRuntime::Virtual(rt) => rt.now(),
        }
    }

    fn sleep(&self, duration: Duration) -> PageSleep {
        match self {
            PageRuntime::Live(rt) => PageSleep::Live(rt.sleep(duration)),
            #[cfg(feature = "virtual")]
            PageRuntime::Virtual(rt) => PageSleep::Virtual(rt.sleep(duration)),
        }
    }

    fn spawn<F: Future<Output = ()> + 'static>(&self, future: F) {
        match self {
            PageRuntime::Live(rt) => rt.spawn(future),
            #[cfg(feature = "virtual")]
            PageRuntime::Virtual(rt) => rt.spawn(future),
        }
    }

    fn block_thread(&self, duration: Duration) {
        match self {
            PageRuntime::Live(rt) => rt.block_thread(duration),
            #[cfg(feature = "virtual")]
            PageRuntime::Virtual(rt) => rt.block_thread(duration),
        }
    }

    fn burn_cpu(&self, duration: Duration) {
        match self {
            PageRuntime::Live(rt) => rt.burn_cpu(duration),
            #[cfg(feature = "virtual")]
            PageRuntime::Virtual(rt) => rt.burn_cpu(duration),
        }
    }
}
