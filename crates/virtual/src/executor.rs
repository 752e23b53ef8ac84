//! The executor: tasks, the ready queue, the timer heap and the virtual clock.

use conlab_core::{Nanos, Runtime, RuntimeKind};
use std::cell::{Cell, RefCell};
use std::cmp::Ordering;
use std::collections::{BinaryHeap, VecDeque};
use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;
use std::sync::atomic::{AtomicBool, Ordering as AtomicOrdering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll, Wake, Waker};
use std::time::Duration;

type Task = Pin<Box<dyn Future<Output = ()>>>;

/// The ready queue. Wakers must be `Send + Sync`, so it sits behind an `Arc<Mutex>` even though
/// only one thread ever touches it.
type ReadyQueue = Arc<Mutex<VecDeque<usize>>>;

struct TaskWaker {
    id: usize,
    queued: AtomicBool,
    ready: ReadyQueue,
}

impl Wake for TaskWaker {
    fn wake(self: Arc<Self>) {
        self.wake_by_ref();
    }

    fn wake_by_ref(self: &Arc<Self>) {
        if !self.queued.swap(true, AtomicOrdering::AcqRel) {
            if let Ok(mut q) = self.ready.lock() {
                q.push_back(self.id);
            }
        }
    }
}

struct TimerEntry {
    waker: RefCell<Option<Waker>>,
    cancelled: Cell<bool>,
}

struct Timer {
    deadline: Nanos,
    seq: u64,
    entry: Rc<TimerEntry>,
}

impl PartialEq for Timer {
    fn eq(&self, other: &Self) -> bool {
        (self.deadline, self.seq) == (other.deadline, other.seq)
    }
}
impl Eq for Timer {}
impl PartialOrd for Timer {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}
impl Ord for Timer {
    // Reversed: BinaryHeap is a max-heap and the earliest timer must come out first.
    fn cmp(&self, other: &Self) -> Ordering {
        (other.deadline, other.seq).cmp(&(self.deadline, self.seq))
    }
}

struct Inner {
    now: Cell<Nanos>,
    tasks: RefCell<Vec<Option<Task>>>,
    wakers: RefCell<Vec<Arc<TaskWaker>>>,
    ready: ReadyQueue,
    timers: RefCell<BinaryHeap<Timer>>,
    next_seq: Cell<u64>,
}

/// A handle to the virtual-time executor. Clones share it.
#[derive(Clone)]
pub struct VirtualRuntime {
    inner: Rc<Inner>,
}

impl Default for VirtualRuntime {
    fn default() -> Self {
        VirtualRuntime::new()
    }
}

/// How far the virtual clock may go: far beyond any scenario (the longest parameters add up
/// to hours), yet it stops a run whose timers would run forever.
pub const VIRTUAL_BOUND: Duration = Duration::from_secs(30 * 24 * 3600);

/// How a virtual run ended.
#[derive(Debug, PartialEq, Eq)]
pub enum Outcome<T> {
    /// The main future completed with this value.
    Completed(T),
    /// Nothing was ready and no timer was pending, but the main future had not completed.
    Deadlock,
    /// The run took longer than its time limit, in real (wall-clock) time.
    TimedOut,
    /// The virtual clock would have passed [`VIRTUAL_BOUND`]: a run meant to last longer
    /// than any scenario.
    PastVirtualBound,
    /// More task polls than allowed: a task that yields forever.
    StepLimit,
}

impl VirtualRuntime {
    /// A fresh executor at time 0.
    pub fn new() -> VirtualRuntime {
        VirtualRuntime {
            inner: Rc::new(Inner {
                now: Cell::new(0),
                tasks: RefCell::new(Vec::new()),
                wakers: RefCell::new(Vec::new()),
                ready: Arc::new(Mutex::new(VecDeque::new())),
                timers: RefCell::new(BinaryHeap::new()),
                next_seq: Cell::new(0),
            }),
        }
    }

    fn advance(&self, by: Duration) {
        let by = by.as_nanos().min(u64::MAX as u128) as Nanos;
        self.inner.now.set(self.inner.now.get().saturating_add(by));
    }

    fn pop_ready(&self) -> Option<usize> {
        self.inner.ready.lock().ok()?.pop_front()
    }

    /// Runs `main` until it completes, `out_of_time()` says the real time allowed has passed
    /// (asked every few thousand polls and at every jump of the clock), the virtual clock
    /// would pass [`VIRTUAL_BOUND`], nothing can make progress, or `max_polls` task polls have
    /// been made. Other tasks still pending when `main` completes are dropped, as
    /// `asyncio.run` leaves them.
    ///
    /// The time limit is real time, not virtual: an hour of virtual sleep takes no time.
    pub fn run<T: 'static>(
        &self,
        main: impl Future<Output = T> + 'static,
        out_of_time: &dyn Fn() -> bool,
        max_polls: u64,
    ) -> Outcome<T> {
        let limit = VIRTUAL_BOUND.as_nanos() as Nanos;
        let result: Rc<RefCell<Option<T>>> = Rc::new(RefCell::new(None));
        let slot = result.clone();
        self.spawn(async move {
            let value = main.await;
            *slot.borrow_mut() = Some(value);
        });
        let mut polls = 0u64;
        let outcome = loop {
            while let Some(id) = self.pop_ready() {
                polls += 1;
                if polls > max_polls || (polls % 4096 == 0 && out_of_time()) {
                    break;
                }
                let waker = {
                    let wakers = self.inner.wakers.borrow();
                    wakers[id].queued.store(false, AtomicOrdering::Release);
                    Waker::from(wakers[id].clone())
                };
                let task = self.inner.tasks.borrow_mut()[id].take();
                let Some(mut task) = task else { continue };
                let mut cx = Context::from_waker(&waker);
                if task.as_mut().poll(&mut cx).is_pending() {
                    self.inner.tasks.borrow_mut()[id] = Some(task);
                }
                if result.borrow().is_some() {
                    break;
                }
            }
            if let Some(value) = result.borrow_mut().take() {
                break Outcome::Completed(value);
            }
            if polls > max_polls {
                break Outcome::StepLimit;
            }
            if out_of_time() {
                break Outcome::TimedOut;
            }
            // Nothing is ready: jump to the next live deadline and fire every timer due then,
            // in insertion order.
            let next = {
                let mut timers = self.inner.timers.borrow_mut();
                while timers.peek().is_some_and(|t| t.entry.cancelled.get()) {
                    timers.pop();
                }
                timers.peek().map(|t| t.deadline)
            };
            let Some(deadline) = next else {
                break Outcome::Deadlock;
            };
            if deadline > limit {
                self.inner.now.set(limit);
                break Outcome::PastVirtualBound;
            }
            self.inner.now.set(deadline.max(self.inner.now.get()));
            loop {
                let due = {
                    let mut timers = self.inner.timers.borrow_mut();
                    match timers.peek() {
                        Some(t) if t.deadline <= self.inner.now.get() => timers.pop(),
                        _ => None,
                    }
                };
                let Some(timer) = due else { break };
                let waker = timer.entry.waker.borrow_mut().take();
                if let Some(w) = waker {
                    w.wake();
                }
            }
        };
        // Drop leftover tasks now, while the executor is still whole.
        let leftovers: Vec<Option<Task>> = std::mem::take(&mut *self.inner.tasks.borrow_mut());
        drop(leftovers);
        self.inner.timers.borrow_mut().clear();
        outcome
    }
}

impl Runtime for VirtualRuntime {
    type Sleep = VirtualSleep;

    fn kind(&self) -> RuntimeKind {
        RuntimeKind::Virtual
    }

    fn now(&self) -> Nanos {
        self.inner.now.get()
    }

    fn sleep(&self, duration: Duration) -> VirtualSleep {
        let d = duration.as_nanos().min(u64::MAX as u128) as Nanos;
        VirtualSleep {
            rt: self.clone(),
            deadline: self.now().saturating_add(d),
            entry: None,
        }
    }

    fn spawn<F: Future<Output = ()> + 'static>(&self, future: F) {
        let id = {
            let mut tasks = self.inner.tasks.borrow_mut();
            tasks.push(Some(Box::pin(future)));
            tasks.len() - 1
        };
        let waker = Arc::new(TaskWaker {
            id,
            queued: AtomicBool::new(false),
            ready: self.inner.ready.clone(),
        });
        waker.wake_by_ref();
        self.inner.wakers.borrow_mut().push(waker);
    }

    fn block_thread(&self, duration: Duration) {
        self.advance(duration);
    }

    fn burn_cpu(&self, duration: Duration) {
        self.advance(duration);
    }
}

/// The sleep future of the virtual runtime.
pub struct VirtualSleep {
    rt: VirtualRuntime,
    deadline: Nanos,
    entry: Option<Rc<TimerEntry>>,
}

impl Future for VirtualSleep {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        if self.rt.now() >= self.deadline {
            return Poll::Ready(());
        }
        match &self.entry {
            Some(entry) => *entry.waker.borrow_mut() = Some(cx.waker().clone()),
            None => {
                let entry = Rc::new(TimerEntry {
                    waker: RefCell::new(Some(cx.waker().clone())),
                    cancelled: Cell::new(false),
                });
                let inner = &self.rt.inner;
                let seq = inner.next_seq.get();
                inner.next_seq.set(seq + 1);
                inner.timers.borrow_mut().push(Timer {
                    deadline: self.deadline,
                    seq,
                    entry: entry.clone(),
                });
                self.entry = Some(entry);
            }
        }
        Poll::Pending
    }
}

impl Drop for VirtualSleep {
    fn drop(&mut self) {
        // A cancelled sleep must not move the clock: the executor skips its timer.
        if let Some(entry) = &self.entry {
            entry.cancelled.set(true);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::rc::Rc;

    #[test]
    fn timers_fire_in_deadline_then_insertion_order() {
        let rt = VirtualRuntime::new();
        let log: Rc<RefCell<Vec<(u64, &str)>>> = Rc::default();
        for (name, ms) in [("a", 30u64), ("b", 10), ("c", 30), ("d", 10)] {
            let (rt2, log) = (rt.clone(), log.clone());
            rt.spawn(async move {
                rt2.sleep(Duration::from_millis(ms)).await;
                log.borrow_mut().push((rt2.now() / 1_000_000, name));
            });
        }
        let rt2 = rt.clone();
        let out = rt.run(
            async move { rt2.sleep(Duration::from_millis(50)).await },
            &|| false,
            1000,
        );
        assert_eq!(out, Outcome::Completed(()));
        assert_eq!(
            *log.borrow(),
            vec![(10, "b"), (10, "d"), (30, "a"), (30, "c")]
        );
    }

    #[test]
    fn cancelled_sleep_does_not_move_the_clock() {
        let rt = VirtualRuntime::new();
        let rt2 = rt.clone();
        let out = rt.run(
            async move {
                let long = rt2.sleep(Duration::from_secs(10));
                drop(long);
                let mut long = Box::pin(rt2.sleep(Duration::from_secs(10)));
                // Register the timer, then drop it.
                let waker = Waker::noop();
                let _ = long.as_mut().poll(&mut Context::from_waker(waker));
                drop(long);
                rt2.sleep(Duration::from_millis(5)).await;
                rt2.now()
            },
            &|| false,
            1000,
        );
        assert_eq!(out, Outcome::Completed(5_000_000));
    }

    #[test]
    fn deadlock_timeout_and_step_limit_end_the_run() {
        let rt = VirtualRuntime::new();
        assert_eq!(
            rt.run(std::future::pending::<()>(), &|| false, 1000),
            Outcome::Deadlock
        );
        // Two hours of virtual sleep: no real time, well within the virtual bound.
        let rt = VirtualRuntime::new();
        let rt2 = rt.clone();
        let out = rt.run(
            async move { rt2.sleep(Duration::from_secs(7200)).await },
            &|| false,
            1000,
        );
        assert_eq!(out, Outcome::Completed(()));
        let rt = VirtualRuntime::new();
        let rt2 = rt.clone();
        let out = rt.run(
            async move { rt2.sleep(VIRTUAL_BOUND * 2).await },
            &|| false,
            1000,
        );
        assert_eq!(out, Outcome::PastVirtualBound);
        assert_eq!(rt.now(), VIRTUAL_BOUND.as_nanos() as u64);
        // Out of real time: the run stops however much virtual time is left.
        let rt = VirtualRuntime::new();
        let out = rt.run(
            async {
                loop {
                    conlab_core::yield_now().await;
                }
            },
            &|| true,
            1_000_000,
        );
        assert_eq!(out, Outcome::TimedOut);
        let rt = VirtualRuntime::new();
        let out = rt.run(
            async {
                loop {
                    conlab_core::yield_now().await;
                }
            },
            &|| false,
            500,
        );
        assert_eq!(out, Outcome::StepLimit);
    }

    #[test]
    fn blocking_advances_the_clock_without_running_others() {
        let rt = VirtualRuntime::new();
        let seen = Rc::new(Cell::new(0u64));
        let (rt2, seen2) = (rt.clone(), seen.clone());
        rt.spawn(async move { seen2.set(rt2.now()) });
        let rt3 = rt.clone();
        let out = rt.run(
            async move {
                rt3.block_thread(Duration::from_millis(100));
                conlab_core::yield_now().await;
            },
            &|| false,
            100,
        );
        assert_eq!(out, Outcome::Completed(()));
        // The other task ran first (FIFO), at time 0.
        assert_eq!(seen.get(), 0);
        assert_eq!(rt.now(), 100_000_000);
    }
}
