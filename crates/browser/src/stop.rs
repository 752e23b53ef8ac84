//! Stopping a live run from the page: its tasks end at their next poll, and its blocking calls
//! return at once, so a stopped run gives the page back right away.

use conlab_core::sync::Promise;
use std::cell::{Cell, RefCell};
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

thread_local! {
    static NEXT_RUN: Cell<u32> = const { Cell::new(0) };
    /// The runs stopped so far on this page (a handful at most: one per press of Stop).
    static STOPPED: RefCell<Vec<u32>> = const { RefCell::new(Vec::new()) };
}

/// A number for a new run of this page.
pub(crate) fn new_run() -> u32 {
    NEXT_RUN.with(|n| {
        n.set(n.get() + 1);
        n.get()
    })
}

/// Whether run `run` was stopped.
pub(crate) fn is_stopped(run: u32) -> bool {
    STOPPED.with(|s| s.borrow().contains(&run))
}

/// Stops one live run; clones stop the same run.
#[derive(Clone)]
pub struct StopHandle {
    run: u32,
    signal: Promise<()>,
}

impl StopHandle {
    pub(crate) fn new(run: u32) -> StopHandle {
        StopHandle {
            run,
            signal: Promise::new(),
        }
    }

    /// Ends the run now: its trace is finished as *stopped*, and its tasks end at their next
    /// poll. Stopping twice, or after the run ended, does nothing more.
    pub fn stop(&self) {
        if self.signal.set(()) {
            STOPPED.with(|s| s.borrow_mut().push(self.run));
        }
    }

    /// Whether both stop the same run.
    pub fn same_run(&self, other: &StopHandle) -> bool {
        self.run == other.run
    }

    /// Whether [`StopHandle::stop`] was called.
    pub fn stopped(&self) -> bool {
        self.signal.is_set()
    }

    /// Completes when the run is stopped.
    pub(crate) async fn requested(&self) {
        self.signal.get().await
    }
}

pin_project_lite::pin_project! {
    /// A task of run `run`: polled as its future until the run is stopped, then dropped.
    pub(crate) struct UntilStopped<F> {
        pub(crate) run: u32,
        #[pin]
        pub(crate) task: F,
    }
}

impl<F: Future<Output = ()>> Future for UntilStopped<F> {
    type Output = ();

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let this = self.project();
        if is_stopped(*this.run) {
            return Poll::Ready(());
        }
        this.task.poll(cx)
    }
}
