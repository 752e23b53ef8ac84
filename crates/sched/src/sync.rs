//! The primitives thread code uses on the scheduler, each operation one scheduling point, as in
//! CPython where `counter += 1` is a read and a write another thread may come between.

use crate::run::{Ctx, ThreadId, Wait};
use std::collections::VecDeque;
use std::sync::atomic::{AtomicBool, AtomicU32, AtomicUsize, Ordering::Relaxed};
use std::sync::{Arc, Mutex, MutexGuard};

/// A mutex's contents, even if a thread panicked holding it (nothing here is left half-done).
fn locked<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

const NOBODY: u32 = u32::MAX;

pub(crate) struct LockState {
    pub(crate) name: Arc<str>,
    pub(crate) owner: AtomicU32,
    depth: AtomicU32,
    /// How many times it was taken, for telling whether a thread had to wait for it.
    taken: AtomicU32,
    /// The thread it was handed over to, which alone may take it next ([`Lock::hand_over`]).
    reserved: AtomicU32,
    reentrant: bool,
}

impl LockState {
    pub(crate) fn holder(&self) -> Option<ThreadId> {
        match self.owner.load(Relaxed) {
            NOBODY => None,
            o => Some(ThreadId(o)),
        }
    }

    pub(crate) fn can_take(&self, me: ThreadId) -> bool {
        match self.owner.load(Relaxed) {
            NOBODY => {
                let reserved = self.reserved.load(Relaxed);
                reserved == NOBODY || reserved == me.0
            }
            o => self.reentrant && o == me.0,
        }
    }
}

/// A lock (`threading.Lock`), or with [`Lock::reentrant`] an `RLock`.
#[derive(Clone)]
pub struct Lock {
    state: Arc<LockState>,
}

impl Lock {
    /// A lock named as the scenario's code names it.
    pub fn new(name: impl Into<Arc<str>>) -> Lock {
        Lock::make(name.into(), false)
    }

    /// A reentrant lock: its holder may take it again, and releases it as often.
    pub fn reentrant(name: impl Into<Arc<str>>) -> Lock {
        Lock::make(name.into(), true)
    }

    fn make(name: Arc<str>, reentrant: bool) -> Lock {
        Lock {
            state: Arc::new(LockState {
                name,
                owner: AtomicU32::new(NOBODY),
                depth: AtomicU32::new(0),
                taken: AtomicU32::new(0),
                reserved: AtomicU32::new(NOBODY),
                reentrant,
            }),
        }
    }

    /// Takes the lock, waiting while another thread holds it (a plain lock taken again by its
    /// holder waits forever: a deadlock, as in Python).
    /// Returns whether the thread had to wait: another thread held the lock at some moment
    /// between this thread reaching `acquire` and taking it (on virtual time such a wait may
    /// take no time at all).
    pub async fn acquire(&self, ctx: &Ctx) -> bool {
        let s = &self.state;
        let held_by_another = s.holder().is_some_and(|h| h != ctx.id());
        let taken_before = s.taken.load(Relaxed);
        ctx.point(Wait::Lock(s.clone()), "acquire", s.name.clone())
            .await;
        s.owner.store(ctx.id().0, Relaxed);
        s.reserved.store(NOBODY, Relaxed);
        s.depth.fetch_add(1, Relaxed);
        let taken_meanwhile = s.taken.fetch_add(1, Relaxed) != taken_before;
        held_by_another || taken_meanwhile
    }

    /// Releases the lock, which this thread holds.
    pub async fn release(&self, ctx: &Ctx) {
        let s = &self.state;
        ctx.point(Wait::Go, "release", s.name.clone()).await;
        debug_assert_eq!(s.owner.load(Relaxed), ctx.id().0, "released by its holder");
        if s.depth.fetch_sub(1, Relaxed) == 1 {
            s.owner.store(NOBODY, Relaxed);
        }
    }

    /// Releases the lock, which this thread holds once, to thread `to`, which waits for it:
    /// nobody else may take it before `to` has (as CPython's GIL goes to a thread that asked
    /// for it when the holder's switch interval is up). `to` must be about to take it.
    pub async fn hand_over(&self, ctx: &Ctx, to: ThreadId) {
        let s = &self.state;
        ctx.point(Wait::Go, "release", s.name.clone()).await;
        debug_assert_eq!(s.owner.load(Relaxed), ctx.id().0, "released by its holder");
        s.reserved.store(to.0, Relaxed);
        s.depth.store(0, Relaxed);
        s.owner.store(NOBODY, Relaxed);
    }

    /// Releases the lock at once, without a step (a holder unwinding on an error, where it
    /// cannot wait for its turn).
    pub fn release_without_step(&self, ctx: &Ctx) {
        let s = &self.state;
        debug_assert_eq!(s.owner.load(Relaxed), ctx.id().0, "released by its holder");
        if s.depth.fetch_sub(1, Relaxed) == 1 {
            s.owner.store(NOBODY, Relaxed);
        }
    }

    /// Who holds it now.
    pub fn holder(&self) -> Option<ThreadId> {
        self.state.holder()
    }
}

/// A variable threads share, whose read and write are separate steps. Every access is
/// numbered, in the one order they happened (taken with the access, even across OS threads),
/// so a check can tell whose write came between another thread's read and write.
pub struct SharedCell<T> {
    name: Arc<str>,
    value: Mutex<(T, u64)>,
}

impl<T: Clone> SharedCell<T> {
    /// A variable with its first value.
    pub fn new(name: impl Into<Arc<str>>, value: T) -> SharedCell<T> {
        SharedCell {
            name: name.into(),
            value: Mutex::new((value, 0)),
        }
    }

    /// Reads it (a step).
    pub async fn get(&self, ctx: &Ctx) -> T {
        self.get_numbered(ctx).await.0
    }

    /// Writes it (a step).
    pub async fn set(&self, ctx: &Ctx, value: T) {
        self.set_numbered(ctx, value).await;
    }

    /// Reads it (a step), with the access's number.
    pub async fn get_numbered(&self, ctx: &Ctx) -> (T, u64) {
        ctx.point(Wait::Go, "read", self.name.clone()).await;
        self.read_now()
    }

    /// Writes it (a step); the access's number.
    pub async fn set_numbered(&self, ctx: &Ctx, value: T) -> u64 {
        ctx.point(Wait::Go, "write", self.name.clone()).await;
        self.write_now(value)
    }

    /// Reads it without a step (on a runtime whose threads need no scheduling points), with
    /// the access's number.
    pub fn read_now(&self) -> (T, u64) {
        let mut v = locked(&self.value);
        v.1 += 1;
        (v.0.clone(), v.1)
    }

    /// Changes it in one step (`items.append(x)`, `del items[0]`: one operation under the GIL);
    /// the access's number.
    pub async fn update_numbered(&self, ctx: &Ctx, change: impl FnOnce(&mut T)) -> u64 {
        ctx.point(Wait::Go, "write", self.name.clone()).await;
        self.update_now(change)
    }

    /// Changes it without a step; the access's number.
    pub fn update_now(&self, change: impl FnOnce(&mut T)) -> u64 {
        let mut v = locked(&self.value);
        v.1 += 1;
        change(&mut v.0);
        v.1
    }

    /// Writes it without a step; the access's number.
    pub fn write_now(&self, value: T) -> u64 {
        let mut v = locked(&self.value);
        v.1 += 1;
        v.0 = value;
        v.1
    }

    /// Its value, read without a step and without counting as an access (by a check once the
    /// run ended).
    pub fn value(&self) -> T {
        locked(&self.value).0.clone()
    }
}

pub(crate) struct SemState {
    pub(crate) name: Arc<str>,
    pub(crate) permits: AtomicUsize,
}

/// A counting semaphore.
#[derive(Clone)]
pub struct Semaphore {
    state: Arc<SemState>,
}

impl Semaphore {
    /// A semaphore with `permits` permits.
    pub fn new(name: impl Into<Arc<str>>, permits: usize) -> Semaphore {
        Semaphore {
            state: Arc::new(SemState {
                name: name.into(),
                permits: AtomicUsize::new(permits),
            }),
        }
    }

    /// Takes a permit, waiting while none is free.
    pub async fn acquire(&self, ctx: &Ctx) {
        let s = &self.state;
        ctx.point(Wait::Permit(s.clone()), "acquire", s.name.clone())
            .await;
        s.permits.fetch_sub(1, Relaxed);
    }

    /// Gives a permit back at once, without a step (a holder unwinding on an error).
    pub fn release_without_step(&self) {
        self.state.permits.fetch_add(1, Relaxed);
    }

    /// Gives a permit back.
    pub async fn release(&self, ctx: &Ctx) {
        let s = &self.state;
        ctx.point(Wait::Go, "release", s.name.clone()).await;
        s.permits.fetch_add(1, Relaxed);
    }
}

pub(crate) struct EventState {
    pub(crate) name: Arc<str>,
    pub(crate) set: AtomicBool,
}

/// An event (`threading.Event`): waiters go on once it is set.
#[derive(Clone)]
pub struct Event {
    state: Arc<EventState>,
}

impl Event {
    /// An event, not set.
    pub fn new(name: impl Into<Arc<str>>) -> Event {
        Event {
            state: Arc::new(EventState {
                name: name.into(),
                set: AtomicBool::new(false),
            }),
        }
    }

    /// Sets it (a step), letting every waiter go on.
    pub async fn set(&self, ctx: &Ctx) {
        ctx.point(Wait::Go, "set", self.state.name.clone()).await;
        self.state.set.store(true, Relaxed);
    }

    /// Clears it (a step): later waiters wait again.
    pub async fn clear(&self, ctx: &Ctx) {
        ctx.point(Wait::Go, "clear", self.state.name.clone()).await;
        self.state.set.store(false, Relaxed);
    }

    /// Waits until it is set.
    pub async fn wait(&self, ctx: &Ctx) {
        let s = &self.state;
        ctx.point(Wait::Event(s.clone()), "wait", s.name.clone())
            .await;
    }
}

pub(crate) struct QueueState {
    pub(crate) name: Arc<str>,
    pub(crate) len: AtomicUsize,
    pub(crate) capacity: Option<usize>,
    /// Closed: a getter of an empty queue goes on, with nothing.
    pub(crate) closed: AtomicBool,
}

/// A FIFO queue (`queue.Queue`), bounded or not.
pub struct Queue<T> {
    state: Arc<QueueState>,
    items: Mutex<VecDeque<T>>,
}

impl<T> Queue<T> {
    /// A queue holding at most `capacity` items (`None`: unbounded).
    pub fn new(name: impl Into<Arc<str>>, capacity: Option<usize>) -> Queue<T> {
        Queue {
            state: Arc::new(QueueState {
                name: name.into(),
                len: AtomicUsize::new(0),
                capacity,
                closed: AtomicBool::new(false),
            }),
            items: Mutex::new(VecDeque::new()),
        }
    }

    /// Puts an item, waiting while the queue is full; the queue's length after it.
    pub async fn put(&self, ctx: &Ctx, item: T) -> usize {
        let s = &self.state;
        ctx.point(Wait::QueuePut(s.clone()), "put", s.name.clone())
            .await;
        locked(&self.items).push_back(item);
        s.len.fetch_add(1, Relaxed) + 1
    }

    /// Takes the oldest item, waiting while the queue is empty, with the queue's length after
    /// it; `None` once the queue is closed and empty.
    pub async fn get(&self, ctx: &Ctx) -> Option<(T, usize)> {
        let s = &self.state;
        ctx.point(Wait::QueueGet(s.clone()), "get", s.name.clone())
            .await;
        let item = locked(&self.items).pop_front()?;
        Some((item, s.len.fetch_sub(1, Relaxed) - 1))
    }

    /// Closes the queue (not a step): getters take what is left, then get `None`.
    pub fn close(&self) {
        self.state.closed.store(true, Relaxed);
    }

    /// Takes everything left (not a step).
    pub fn drain(&self) -> Vec<T> {
        self.state.len.store(0, Relaxed);
        locked(&self.items).drain(..).collect()
    }
}

pub(crate) struct CondState {
    pub(crate) name: Arc<str>,
    /// Threads inside `wait`.
    waiting: AtomicUsize,
    /// Notifications counted out and not yet taken: exactly that many waiters go on.
    pub(crate) releasable: AtomicUsize,
}

/// A condition variable with its lock (`threading.Condition`): `wait` lets the lock go, waits
/// for a notification and takes the lock back; `notify(n)` releases exactly `n` waiters.
#[derive(Clone)]
pub struct Condition {
    lock: Lock,
    state: Arc<CondState>,
}

impl Condition {
    /// A condition and its lock, both named `name`.
    pub fn new(name: impl Into<Arc<str>>) -> Condition {
        let name = name.into();
        Condition {
            lock: Lock::new(name.clone()),
            state: Arc::new(CondState {
                name,
                waiting: AtomicUsize::new(0),
                releasable: AtomicUsize::new(0),
            }),
        }
    }

    /// Its lock (`with cond:` takes it).
    pub fn lock(&self) -> &Lock {
        &self.lock
    }

    /// Threads waiting now.
    pub fn waiters(&self) -> usize {
        self.state.waiting.load(Relaxed)
    }

    /// Lets the lock go, waits until a notification is counted out to this thread, and takes
    /// the lock back (three steps). The caller holds the lock.
    pub async fn wait(&self, ctx: &Ctx) {
        let s = &self.state;
        s.waiting.fetch_add(1, Relaxed);
        self.lock.release(ctx).await;
        ctx.point(Wait::Notified(s.clone()), "wait", s.name.clone())
            .await;
        s.releasable.fetch_sub(1, Relaxed);
        s.waiting.fetch_sub(1, Relaxed);
        self.lock.acquire(ctx).await;
    }

    /// Releases up to `n` waiters (a step; the caller holds the lock); how many it released.
    pub async fn notify(&self, ctx: &Ctx, n: usize) -> usize {
        let s = &self.state;
        ctx.point(Wait::Go, "notify", s.name.clone()).await;
        let waiting = s.waiting.load(Relaxed);
        let counted = s.releasable.load(Relaxed).min(waiting);
        let n = n.min(waiting - counted);
        s.releasable.fetch_add(n, Relaxed);
        n
    }
}
