//! Traced synchronization primitives for OS threads: each records why a thread waits (and
//! for how long) and what it holds, tells the watchdog who waits for what and who holds it,
//! and gives up when the run is aborted.

use super::ctx::{Aborted, ThreadCtx};
use super::slices::wait_in_slices;
use conlab_core::{LaneId, Nanos, SpanState, Text};
use parking_lot::{Condvar, Mutex, MutexGuard, ReentrantMutex, ReentrantMutexGuard};
use std::collections::VecDeque;
use std::sync::atomic::{AtomicU32, Ordering};

const NOBODY: u32 = u32::MAX;

/// Whether the test fault of locks that do not exclude is on.
#[inline(always)]
fn not_exclusive() -> bool {
    conlab_core::faults::active(conlab_core::Fault::LockNotExclusive)
}

/// How many times a lock is retried, spinning, before the thread records a wait and parks.
/// Hand-overs between running threads then cost about what they cost an untraced mutex
/// (which spins the same way) instead of a futex wake each; waits shorter than the spin
/// (about a microsecond) are not recorded.
const SPINS: u32 = 100;

/// Retries `attempt` (which just failed) a few times, spinning in between. The spin only reads
/// (`looks_free`) and attempts when the lock looks free, so a waiting thread does not keep
/// stealing the lock's cache line from the thread that holds it.
#[inline]
fn spin<G>(looks_free: impl Fn() -> bool, mut attempt: impl FnMut() -> Option<G>) -> Option<G> {
    for _ in 0..SPINS {
        std::hint::spin_loop();
        if looks_free() {
            if let Some(g) = attempt() {
                return Some(g);
            }
        }
    }
    None
}

/// Who holds a lock, for the watchdog's report. The owner is written and read `Relaxed`: it
/// orders nothing (the lock itself does) and is only ever shown, so the uncontended path pays
/// no fence for it.
fn holder(owner: &AtomicU32) -> Option<LaneId> {
    match owner.load(Ordering::Relaxed) {
        NOBODY => None,
        lane => Some(lane),
    }
}

/// A mutual-exclusion lock (Python's `Lock`) around a value.
pub struct TracedMutex<T> {
    name: &'static str,
    data: Mutex<T>,
    owner: AtomicU32,
}

/// Holds a [`TracedMutex`]; releasing it ends the `holding_lock` span.
pub struct TracedGuard<'a, T> {
    guard: Option<MutexGuard<'a, T>>,
    lock: &'a TracedMutex<T>,
    ctx: &'a ThreadCtx,
    since: Nanos,
}

impl<T> TracedMutex<T> {
    /// A lock named `name` (shown in the trace and in deadlock reports).
    pub fn new(name: &'static str, value: T) -> TracedMutex<T> {
        TracedMutex {
            name,
            data: Mutex::new(value),
            owner: AtomicU32::new(NOBODY),
        }
    }

    /// Takes the lock, waiting (recorded as `waiting_lock`) while another thread holds it.
    #[inline]
    pub fn lock<'a>(&'a self, ctx: &'a ThreadCtx) -> Result<TracedGuard<'a, T>, Aborted> {
        let guard = match self.data.try_lock() {
            Some(g) => Some(g),
            // The test fault of a lock that does not exclude: a lock that guards no data (the
            // lessons' `threading.Lock()`) is simply not taken when another thread holds it.
            None if not_exclusive() && std::mem::size_of::<T>() == 0 => None,
            None => Some(self.lock_contended(ctx)?),
        };
        self.owner.store(ctx.lane(), Ordering::Relaxed);
        Ok(TracedGuard {
            guard,
            lock: self,
            ctx,
            since: ctx.now(),
        })
    }

    /// The lock was held: spin briefly, then record the wait and wait in slices. Out of line,
    /// so that the uncontended path is small enough to inline into the caller.
    #[inline(never)]
    fn lock_contended<'a>(&'a self, ctx: &ThreadCtx) -> Result<MutexGuard<'a, T>, Aborted> {
        if let Some(g) = spin(|| !self.data.is_locked(), || self.data.try_lock()) {
            return Ok(g);
        }
        let _wait = ctx.waiting(
            SpanState::WaitingLock,
            format!("lock `{}`", self.name),
            holder(&self.owner),
            false,
        );
        wait_in_slices(ctx.watchdog(), |slice| self.data.try_lock_for(slice))
    }
}

impl<T> TracedGuard<'_, T> {
    /// Sleeps while holding the lock (`with lock: ... time.sleep(d)`): the lock stays held,
    /// so no other thread gets in meanwhile.
    pub fn sleep(&mut self, d: std::time::Duration) -> Result<(), Aborted> {
        let ctx = self.ctx;
        match self.guard.as_mut() {
            // The test fault of a lock that does not exclude: others get in while it sleeps.
            Some(guard) if not_exclusive() => MutexGuard::unlocked(guard, || ctx.sleep(d)),
            _ => ctx.sleep(d),
        }
    }
}

impl<T> std::ops::Deref for TracedGuard<'_, T> {
    type Target = T;
    fn deref(&self) -> &T {
        self.guard.as_deref().expect("held until dropped")
    }
}

impl<T> std::ops::DerefMut for TracedGuard<'_, T> {
    fn deref_mut(&mut self) -> &mut T {
        self.guard.as_deref_mut().expect("held until dropped")
    }
}

impl<T> Drop for TracedGuard<'_, T> {
    #[inline]
    fn drop(&mut self) {
        self.ctx
            .end_hold(self.since, Text::Static(self.lock.name), || {
                self.lock.owner.store(NOBODY, Ordering::Relaxed);
                self.guard.take();
            });
    }
}

/// A re-entrant lock (Python's `RLock`): the thread holding it may take it again.
pub struct ReentrantLock {
    name: &'static str,
    inner: ReentrantMutex<()>,
    owner: AtomicU32,
}

/// Holds a [`ReentrantLock`] once.
pub struct ReentrantGuard<'a> {
    guard: Option<ReentrantMutexGuard<'a, ()>>,
    ctx: &'a ThreadCtx,
    since: Nanos,
    name: &'static str,
}

impl ReentrantLock {
    /// A re-entrant lock named `name`.
    pub fn new(name: &'static str) -> ReentrantLock {
        ReentrantLock {
            name,
            inner: ReentrantMutex::new(()),
            owner: AtomicU32::new(NOBODY),
        }
    }

    /// Takes the lock (again, if this thread already holds it).
    #[inline]
    pub fn lock<'a>(&'a self, ctx: &'a ThreadCtx) -> Result<ReentrantGuard<'a>, Aborted> {
        let guard = match self.inner.try_lock() {
            Some(g) => Some(g),
            // The test fault of a lock that does not exclude: it guards no data, so it is
            // simply not taken.
            None if not_exclusive() => None,
            None => Some(self.lock_contended(ctx)?),
        };
        self.owner.store(ctx.lane(), Ordering::Relaxed);
        Ok(ReentrantGuard {
            guard,
            ctx,
            since: ctx.now(),
            name: self.name,
        })
    }

    /// Another thread holds the lock: spin, then wait, as [`TracedMutex`] does.
    #[inline(never)]
    fn lock_contended(&self, ctx: &ThreadCtx) -> Result<ReentrantMutexGuard<'_, ()>, Aborted> {
        if let Some(g) = spin(|| !self.inner.is_locked(), || self.inner.try_lock()) {
            return Ok(g);
        }
        let _wait = ctx.waiting(
            SpanState::WaitingLock,
            format!("rlock `{}`", self.name),
            holder(&self.owner),
            false,
        );
        wait_in_slices(ctx.watchdog(), |slice| self.inner.try_lock_for(slice))
    }
}

impl ReentrantGuard<'_> {
    /// Sleeps while holding the lock: no other thread gets in meanwhile.
    pub fn sleep(&mut self, d: std::time::Duration) -> Result<(), Aborted> {
        self.ctx.sleep(d)
    }
}

impl Drop for ReentrantGuard<'_> {
    #[inline]
    fn drop(&mut self) {
        self.ctx.end_hold(self.since, Text::Static(self.name), || {
            drop(self.guard.take())
        });
    }
}

/// A bounded semaphore (Python's `BoundedSemaphore`).
pub struct Semaphore {
    name: &'static str,
    free: Mutex<usize>,
    capacity: usize,
    cv: Condvar,
}

/// One permit of a [`Semaphore`]; dropping it releases the permit.
pub struct Permit<'a> {
    sem: &'a Semaphore,
    ctx: &'a ThreadCtx,
    since: Nanos,
}

impl Semaphore {
    /// A semaphore with `permits` permits.
    pub fn new(name: &'static str, permits: usize) -> Semaphore {
        Semaphore {
            name,
            free: Mutex::new(permits),
            capacity: permits,
            cv: Condvar::new(),
        }
    }

    /// Takes a permit, waiting (`waiting_semaphore`) while none is free.
    pub fn acquire<'a>(&'a self, ctx: &'a ThreadCtx) -> Result<Permit<'a>, Aborted> {
        let mut free = self.free.lock();
        // The test fault of a semaphore that does not limit: a permit is always at hand.
        if *free == 0 && not_exclusive() {
            *free += 1;
        }
        if *free == 0 {
            let _wait = ctx.waiting(
                SpanState::WaitingSemaphore,
                format!("semaphore `{}`", self.name),
                None,
                false,
            );
            wait_in_slices(ctx.watchdog(), |slice| {
                self.cv.wait_for(&mut free, slice);
                (*free > 0).then_some(())
            })?;
        }
        *free -= 1;
        Ok(Permit {
            sem: self,
            ctx,
            since: ctx.now(),
        })
    }
}

impl Drop for Permit<'_> {
    fn drop(&mut self) {
        let sem = self.sem;
        self.ctx.end_hold(self.since, Text::Static(sem.name), || {
            let mut free = sem.free.lock();
            *free = (*free + 1).min(sem.capacity);
            sem.cv.notify_one();
        });
    }
}

/// An event (Python's `Event`): `set` releases every waiter, `clear` re-arms it.
pub struct Event {
    name: &'static str,
    flag: Mutex<bool>,
    cv: Condvar,
}

impl Event {
    /// An event, initially clear.
    pub fn new(name: &'static str) -> Event {
        Event {
            name,
            flag: Mutex::new(false),
            cv: Condvar::new(),
        }
    }

    /// Sets the flag and wakes every waiter.
    pub fn set(&self) {
        *self.flag.lock() = true;
        self.cv.notify_all();
    }

    /// Clears the flag.
    pub fn clear(&self) {
        *self.flag.lock() = false;
    }

    /// Waits (`waiting_event`) until the flag is set.
    pub fn wait(&self, ctx: &ThreadCtx) -> Result<(), Aborted> {
        if *self.flag.lock() {
            return Ok(());
        }
        // Recorded outside the flag's lock: with hundreds of waiters, recording under it made
        // `set` wait behind every one of them (a second at 256 threads).
        let _wait = ctx.waiting(
            SpanState::WaitingEvent,
            format!("event `{}`", self.name),
            None,
            false,
        );
        let mut flag = self.flag.lock();
        wait_in_slices(ctx.watchdog(), |slice| {
            if !*flag {
                self.cv.wait_for(&mut flag, slice);
            }
            flag.then_some(())
        })?;
        // The lock goes before the wait's span ends (declared after it, dropped first).
        Ok(())
    }
}

struct CondState<T> {
    value: T,
    waiting: usize,
    releasable: usize,
}

/// A condition variable with its lock and the state it guards (Python's `Condition`).
/// `notify(n)` releases exactly `n` waiters (or all there are), never more.
pub struct Condition<T> {
    name: &'static str,
    state: Mutex<CondState<T>>,
    cv: Condvar,
}

/// Holds a [`Condition`]'s lock.
pub struct CondGuard<'a, T> {
    guard: MutexGuard<'a, CondState<T>>,
    cond: &'a Condition<T>,
    ctx: &'a ThreadCtx,
    since: Nanos,
}

impl<T> Condition<T> {
    /// A condition guarding `value`.
    pub fn new(name: &'static str, value: T) -> Condition<T> {
        Condition {
            name,
            state: Mutex::new(CondState {
                value,
                waiting: 0,
                releasable: 0,
            }),
            cv: Condvar::new(),
        }
    }

    /// Takes the condition's lock.
    pub fn lock<'a>(&'a self, ctx: &'a ThreadCtx) -> Result<CondGuard<'a, T>, Aborted> {
        let guard = match self.state.try_lock() {
            Some(g) => g,
            None => {
                let _wait = ctx.waiting(
                    SpanState::WaitingLock,
                    format!("the lock of condition `{}`", self.name),
                    None,
                    false,
                );
                wait_in_slices(ctx.watchdog(), |slice| self.state.try_lock_for(slice))?
            }
        };
        Ok(CondGuard {
            guard,
            cond: self,
            ctx,
            since: ctx.now(),
        })
    }
}

impl<T> CondGuard<'_, T> {
    /// The guarded value.
    pub fn value(&mut self) -> &mut T {
        &mut self.guard.value
    }

    /// How many threads are waiting.
    pub fn waiters(&self) -> usize {
        self.guard.waiting
    }

    /// Releases up to `n` waiters; returns how many will be released.
    pub fn notify(&mut self, n: usize) -> usize {
        let n = n.min(self.guard.waiting - self.guard.releasable.min(self.guard.waiting));
        self.guard.releasable += n;
        self.cond.cv.notify_all();
        n
    }

    /// Releases every waiter.
    pub fn notify_all(&mut self) -> usize {
        let n = self.guard.waiting;
        self.notify(n)
    }

    /// Releases the lock, waits (`waiting_condition`) for a notification, takes the lock back.
    pub fn wait(&mut self) -> Result<(), Aborted> {
        let ctx = self.ctx;
        ctx.span(
            SpanState::HoldingLock,
            self.since,
            Text::Static(self.cond.name),
        );
        self.guard.waiting += 1;
        let result = {
            let _wait = ctx.waiting(
                SpanState::WaitingCondition,
                format!("condition `{}`", self.cond.name),
                None,
                false,
            );
            // Waking is not being released: `notify` wakes every waiter but counts out
            // `releasable`, and only that many take a release; the others wait on.
            wait_in_slices(ctx.watchdog(), |slice| {
                if self.guard.releasable > 0 {
                    self.guard.releasable -= 1;
                    return Some(());
                }
                self.cond.cv.wait_for(&mut self.guard, slice);
                None
            })
        };
        self.guard.waiting -= 1;
        self.since = ctx.now();
        result
    }

    /// Waits until `predicate` holds, re-checking it after every notification.
    pub fn wait_for(&mut self, mut predicate: impl FnMut(&T) -> bool) -> Result<(), Aborted> {
        while !predicate(&self.guard.value) {
            self.wait()?;
        }
        Ok(())
    }
}

impl<T> Drop for CondGuard<'_, T> {
    fn drop(&mut self) {
        self.ctx.span(
            SpanState::HoldingLock,
            self.since,
            Text::Static(self.cond.name),
        );
    }
}

struct QueueState<T> {
    items: VecDeque<T>,
    closed: bool,
}

/// A thread-safe FIFO queue (Python's `queue.Queue`), bounded when `capacity > 0`.
pub struct Queue<T> {
    name: &'static str,
    capacity: usize,
    state: Mutex<QueueState<T>>,
    not_empty: Condvar,
    not_full: Condvar,
}

impl<T> Queue<T> {
    /// A queue; `capacity` 0 means unbounded.
    pub fn new(name: &'static str, capacity: usize) -> Queue<T> {
        Queue {
            name,
            capacity,
            state: Mutex::new(QueueState {
                items: VecDeque::new(),
                closed: false,
            }),
            not_empty: Condvar::new(),
            not_full: Condvar::new(),
        }
    }

    /// Puts an item, waiting (`waiting_queue`) while the queue is full. Returns the length
    /// after the put.
    pub fn put(&self, ctx: &ThreadCtx, item: T) -> Result<usize, Aborted> {
        let mut s = self.state.lock();
        if self.capacity > 0 && s.items.len() >= self.capacity {
            let _wait = ctx.waiting(
                SpanState::WaitingQueue,
                format!("room in queue `{}`", self.name),
                None,
                false,
            );
            wait_in_slices(ctx.watchdog(), |slice| {
                self.not_full.wait_for(&mut s, slice);
                (s.items.len() < self.capacity).then_some(())
            })?;
        }
        s.items.push_back(item);
        let len = s.items.len();
        ctx.mark("queue_len", Text::from(len.to_string()));
        self.not_empty.notify_one();
        Ok(len)
    }

    /// Takes the oldest item, waiting (`waiting_queue`) while the queue is empty; `None` once
    /// the queue is closed and empty.
    pub fn get(&self, ctx: &ThreadCtx) -> Result<Option<T>, Aborted> {
        let mut s = self.state.lock();
        if s.items.is_empty() && !s.closed {
            let _wait = ctx.waiting(
                SpanState::WaitingQueue,
                format!("an item in queue `{}`", self.name),
                None,
                false,
            );
            wait_in_slices(ctx.watchdog(), |slice| {
                self.not_empty.wait_for(&mut s, slice);
                (!s.items.is_empty() || s.closed).then_some(())
            })?;
        }
        let item = s.items.pop_front();
        if item.is_some() {
            ctx.mark("queue_len", Text::from(s.items.len().to_string()));
            self.not_full.notify_one();
        }
        Ok(item)
    }

    /// Closes the queue: getters drain what is left, then get `None`.
    pub fn close(&self) {
        self.state.lock().closed = true;
        self.not_empty.notify_all();
    }

    /// Takes everything left.
    pub fn drain(&self) -> Vec<T> {
        self.state.lock().items.drain(..).collect()
    }
}
