//! Single-threaded synchronization for async scenarios on any runtime: a oneshot future that
//! another task completes (asyncio's bare `Future`), an unbounded channel, a timeout and a
//! two-way select.

use crate::runtime::Runtime;
use std::cell::RefCell;
use std::collections::VecDeque;
use std::future::{poll_fn, Future};
use std::pin::pin;
use std::rc::Rc;
use std::task::{Poll, Waker};
use std::time::Duration;

struct Slot<T> {
    value: Option<T>,
    set: bool,
    waiters: Vec<Waker>,
}

/// A placeholder for a value that some task will set later (asyncio's `Future`). Clones share
/// the slot; any clone can set it or await it.
pub struct Promise<T> {
    slot: Rc<RefCell<Slot<T>>>,
}

impl<T> Clone for Promise<T> {
    fn clone(&self) -> Self {
        Promise {
            slot: self.slot.clone(),
        }
    }
}

impl<T: Clone> Default for Promise<T> {
    fn default() -> Self {
        Promise::new()
    }
}

impl<T: Clone> Promise<T> {
    /// An unset promise.
    pub fn new() -> Promise<T> {
        Promise {
            slot: Rc::new(RefCell::new(Slot {
                value: None,
                set: false,
                waiters: Vec::new(),
            })),
        }
    }

    /// Sets the value and wakes every waiter. Returns false if it was already set.
    pub fn set(&self, value: T) -> bool {
        let waiters = {
            let mut slot = self.slot.borrow_mut();
            if slot.set {
                return false;
            }
            slot.value = Some(value);
            slot.set = true;
            std::mem::take(&mut slot.waiters)
        };
        for w in waiters {
            w.wake();
        }
        true
    }

    /// Whether the value has been set.
    pub fn is_set(&self) -> bool {
        self.slot.borrow().set
    }

    /// Waits for the value.
    pub async fn get(&self) -> T {
        poll_fn(|cx| {
            let mut slot = self.slot.borrow_mut();
            match &slot.value {
                Some(v) => Poll::Ready(v.clone()),
                None => {
                    slot.waiters.push(cx.waker().clone());
                    Poll::Pending
                }
            }
        })
        .await
    }
}

struct Queue<T> {
    items: VecDeque<T>,
    senders: usize,
    waker: Option<Waker>,
}

/// The sending half of [`channel`].
pub struct Sender<T> {
    queue: Rc<RefCell<Queue<T>>>,
}

/// The receiving half of [`channel`].
pub struct Receiver<T> {
    queue: Rc<RefCell<Queue<T>>>,
}

/// An unbounded single-consumer channel; `recv` returns `None` once every sender is dropped
/// and the queue is empty.
pub fn channel<T>() -> (Sender<T>, Receiver<T>) {
    let queue = Rc::new(RefCell::new(Queue {
        items: VecDeque::new(),
        senders: 1,
        waker: None,
    }));
    (
        Sender {
            queue: queue.clone(),
        },
        Receiver { queue },
    )
}

impl<T> Clone for Sender<T> {
    fn clone(&self) -> Self {
        self.queue.borrow_mut().senders += 1;
        Sender {
            queue: self.queue.clone(),
        }
    }
}

impl<T> Drop for Sender<T> {
    fn drop(&mut self) {
        let waker = {
            let mut q = self.queue.borrow_mut();
            q.senders -= 1;
            if q.senders == 0 {
                q.waker.take()
            } else {
                None
            }
        };
        if let Some(w) = waker {
            w.wake();
        }
    }
}

impl<T> Sender<T> {
    /// Queues a value and wakes the receiver.
    pub fn send(&self, value: T) {
        let waker = {
            let mut q = self.queue.borrow_mut();
            q.items.push_back(value);
            q.waker.take()
        };
        if let Some(w) = waker {
            w.wake();
        }
    }
}

impl<T> Receiver<T> {
    /// The next value, or `None` when the channel is closed and drained.
    pub async fn recv(&mut self) -> Option<T> {
        poll_fn(|cx| {
            let mut q = self.queue.borrow_mut();
            if let Some(v) = q.items.pop_front() {
                Poll::Ready(Some(v))
            } else if q.senders == 0 {
                Poll::Ready(None)
            } else {
                q.waker = Some(cx.waker().clone());
                Poll::Pending
            }
        })
        .await
    }
}

/// Which of two futures finished first.
#[derive(Debug, PartialEq, Eq)]
pub enum Either<A, B> {
    /// The first.
    Left(A),
    /// The second.
    Right(B),
}

/// Runs two futures until the first finishes; the other is dropped. Ties go to the first.
pub async fn select<A: Future, B: Future>(a: A, b: B) -> Either<A::Output, B::Output> {
    let mut a = pin!(a);
    let mut b = pin!(b);
    poll_fn(|cx| {
        if let Poll::Ready(v) = a.as_mut().poll(cx) {
            return Poll::Ready(Either::Left(v));
        }
        if let Poll::Ready(v) = b.as_mut().poll(cx) {
            return Poll::Ready(Either::Right(v));
        }
        Poll::Pending
    })
    .await
}

/// The timeout of [`timeout`] expired.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("timed out")]
pub struct Elapsed;

/// Runs `future` for at most `limit`.
pub async fn timeout<R: Runtime, F: Future>(
    rt: &R,
    limit: Duration,
    future: F,
) -> Result<F::Output, Elapsed> {
    match select(future, rt.sleep(limit)).await {
        Either::Left(v) => Ok(v),
        Either::Right(()) => Err(Elapsed),
    }
}
