//! A panic inside a spawned task ends the run as failed, with the panic's message and place,
//! instead of leaving whatever awaits that task waiting until the run's time limit. tokio
//! catches a panicking task and carries on; a scenario's join handle would never complete.

use std::cell::RefCell;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll, Waker};

#[derive(Default)]
struct Slot {
    message: Option<String>,
    waker: Option<Waker>,
}

thread_local! {
    /// The first panic of a task on this thread's run, and who waits to hear of it.
    static SLOT: RefCell<Slot> = RefCell::new(Slot::default());
}

/// Forgets any panic of an earlier run on this thread.
pub(crate) fn reset() {
    SLOT.with(|s| *s.borrow_mut() = Slot::default());
    LAST.with(|l| l.borrow_mut().take());
}

thread_local! {
    /// The last panic on this thread, as the panic hook saw it.
    static LAST: RefCell<Option<String>> = const { RefCell::new(None) };
}

/// Installs (once per process) a panic hook that remembers each panic's message and place on
/// the panicking thread, then runs the hook that was there before (which prints it).
pub(crate) fn install_hook() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            let text = match info.payload().downcast_ref::<&str>() {
                Some(s) => s.to_string(),
                None => info
                    .payload()
                    .downcast_ref::<String>()
                    .cloned()
                    .unwrap_or_else(|| "unknown panic".to_string()),
            };
            let place = info
                .location()
                .map(|l| format!(" ({}:{})", l.file(), l.line()))
                .unwrap_or_default();
            let _ = LAST.try_with(|l| *l.borrow_mut() = Some(format!("{text}{place}")));
            previous(info);
        }));
    });
}

pin_project_lite::pin_project! {
    /// A spawned task that reports its panic instead of vanishing with it. tokio catches the
    /// panic and then drops the task unfinished; dropped unfinished right after a panic on
    /// this thread means it panicked. (Catching the panic here instead, with catch_unwind
    /// around every poll, cost 0.2 µs per task.)
    pub(crate) struct ReportPanic<F> {
        #[pin]
        inner: F,
        done: bool,
    }

    impl<F> PinnedDrop for ReportPanic<F> {
        fn drop(this: Pin<&mut Self>) {
            if this.done {
                return;
            }
            // Unfinished tasks are also dropped when the run ends; only a fresh panic counts.
            let Some(message) = LAST.try_with(|l| l.borrow_mut().take()).ok().flatten() else {
                return;
            };
            let waker = SLOT.try_with(|s| {
                let mut s = s.borrow_mut();
                s.message.get_or_insert(message);
                s.waker.take()
            });
            if let Ok(Some(w)) = waker {
                w.wake();
            }
        }
    }
}

impl<F> ReportPanic<F> {
    pub(crate) fn new(inner: F) -> ReportPanic<F> {
        ReportPanic { inner, done: false }
    }
}

impl<F: Future<Output = ()>> Future for ReportPanic<F> {
    type Output = ();

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let this = self.project();
        let poll = this.inner.poll(cx);
        if poll.is_ready() {
            *this.done = true;
        }
        poll
    }
}

/// Completes with the message of the first task panic of this run.
pub(crate) struct TaskPanicked;

impl Future for TaskPanicked {
    type Output = String;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<String> {
        SLOT.with(|s| {
            let mut s = s.borrow_mut();
            match &s.message {
                Some(m) => Poll::Ready(m.clone()),
                None => {
                    s.waker = Some(cx.waker().clone());
                    Poll::Pending
                }
            }
        })
    }
}
