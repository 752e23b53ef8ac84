//! Sleeps on the page's loop through one timer queue, as asyncio's loop does: every pending
//! sleep sits in a heap ordered by deadline, and a single `setTimeout` is armed for the
//! earliest. When it fires, every sleep that is due wakes in that one callback.
//!
//! One `setTimeout` per sleep (what `gloo-timers` does) costs the browser a task per timer:
//! ten thousand tasks sleeping 100 ms then take about 250 ms to wake instead of about 100.

use std::cell::RefCell;
use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashMap};
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll, Waker};
use std::time::Duration;
use wasm_bindgen::closure::Closure;
use wasm_bindgen::JsCast;

/// Microseconds on the page's high-resolution clock.
fn now_us() -> u64 {
    (crate::runtime::now_ms() * 1000.0).max(0.0) as u64
}

#[derive(Default)]
struct Queue {
    /// (deadline in µs, id); entries whose id is no longer in `wakers` were dropped.
    heap: BinaryHeap<Reverse<(u64, u64)>>,
    wakers: HashMap<u64, Waker>,
    /// The armed `setTimeout`: its deadline and handle.
    armed: Option<(u64, i32)>,
    next_id: u64,
}

thread_local! {
    static QUEUE: RefCell<Queue> = RefCell::new(Queue::default());
    /// The one callback every `setTimeout` of the queue calls; it lives as long as the page.
    static FIRE: Closure<dyn FnMut()> = Closure::new(fire);
}

#[wasm_bindgen::prelude::wasm_bindgen]
extern "C" {
    /// The global scope's `setTimeout` (a window's or a Worker's).
    #[wasm_bindgen(js_name = setTimeout)]
    fn set_timeout(handler: &js_sys::Function, ms: i32) -> i32;
    /// The global scope's `clearTimeout`.
    #[wasm_bindgen(js_name = clearTimeout)]
    fn clear_timeout(handle: i32);
}

impl Queue {
    /// Arms the timer for the earliest live deadline, unless it already fires by then.
    fn arm(&mut self) {
        while let Some(Reverse((_, id))) = self.heap.peek() {
            if self.wakers.contains_key(id) {
                break;
            }
            self.heap.pop();
        }
        let Some(Reverse((earliest, _))) = self.heap.peek().copied() else {
            return;
        };
        if let Some((armed, _)) = self.armed {
            if armed <= earliest {
                return;
            }
        }
        if let Some((_, handle)) = self.armed.take() {
            clear_timeout(handle);
        }
        let delay_ms = earliest.saturating_sub(now_us()).div_ceil(1000) as i32;
        let handle = FIRE.with(|f| set_timeout(f.as_ref().unchecked_ref(), delay_ms));
        self.armed = Some((earliest, handle));
    }
}

thread_local! {
    /// The most a sleep was woken after its deadline since [`take_lateness`] last ran, in µs:
    /// the page's own work (another widget starting, a long frame) delays every timer.
    static LATENESS: std::cell::Cell<u64> = const { std::cell::Cell::new(0) };
}

/// The most a sleep was woken late since the last call, and starts counting anew.
pub(crate) fn take_lateness() -> std::time::Duration {
    std::time::Duration::from_micros(LATENESS.with(|l| l.replace(0)))
}

/// The timer fired: wake every sleep that is due, then arm for the next.
fn fire() {
    let now = now_us();
    let due: Vec<Waker> = QUEUE.with(|q| {
        let mut q = q.borrow_mut();
        q.armed = None;
        let mut due = Vec::new();
        while let Some(Reverse((deadline, id))) = q.heap.peek().copied() {
            if deadline > now {
                break;
            }
            q.heap.pop();
            if let Some(w) = q.wakers.remove(&id) {
                LATENESS.with(|l| l.set(l.get().max(now - deadline)));
                due.push(w);
            }
        }
        q.arm();
        due
    });
    // Woken outside the borrow: a woken task may sleep again at once.
    for w in due {
        w.wake();
    }
}

/// A sleep on the page's timer queue; never shorter than asked.
pub struct BrowserSleep {
    deadline: u64,
    id: Option<u64>,
}

impl BrowserSleep {
    /// Sleeps for `duration` from now.
    pub fn new(duration: Duration) -> BrowserSleep {
        let us = duration.as_nanos().div_ceil(1000).min(u64::MAX as u128) as u64;
        BrowserSleep {
            deadline: now_us().saturating_add(us),
            id: None,
        }
    }
}

impl Future for BrowserSleep {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        if now_us() >= self.deadline {
            if let Some(id) = self.id.take() {
                QUEUE.with(|q| q.borrow_mut().wakers.remove(&id));
            }
            return Poll::Ready(());
        }
        let deadline = self.deadline;
        let id = QUEUE.with(|q| {
            let mut q = q.borrow_mut();
            let id = match self.id {
                Some(id) if q.wakers.contains_key(&id) => {
                    if let Some(w) = q.wakers.get_mut(&id) {
                        if !w.will_wake(cx.waker()) {
                            *w = cx.waker().clone();
                        }
                    }
                    return id;
                }
                // New, or woken by a timer that fired a little early: queue it (again).
                _ => {
                    let id = q.next_id;
                    q.next_id += 1;
                    id
                }
            };
            q.heap.push(Reverse((deadline, id)));
            q.wakers.insert(id, cx.waker().clone());
            q.arm();
            id
        });
        self.id = Some(id);
        Poll::Pending
    }
}

impl Drop for BrowserSleep {
    fn drop(&mut self) {
        if let Some(id) = self.id {
            // The heap entry stays until it reaches the top; without a waker it is skipped.
            let _ = QUEUE.try_with(|q| q.borrow_mut().wakers.remove(&id));
        }
    }
}
