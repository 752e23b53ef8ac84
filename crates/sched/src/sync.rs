//! The primitives thread code uses on the scheduler, each operation one scheduling point, as in
//! CPython where `counter += 1` is a read and a write another thread may come between.

use crate::run::{Ctx, ThreadId, Wait};
use std::cell::{Cell, RefCell};
use std::collections::VecDeque;
use std::rc::Rc;

pub(crate) struct LockState {
    pub(crate) name: Rc<str>,
    pub(crate) owner: Cell<Option<ThreadId>>,
    depth: Cell<u32>,
    reentrant: bool,
}

impl LockState {
    pub(crate) fn can_take(&self, me: ThreadId) -> bool {
        match self.owner.get() {
            None => true,
            Some(o) => self.reentrant && o == me,
        }
    }
}

/// A lock (`threading.Lock`), or with [`Lock::reentrant`] an `RLock`.
#[derive(Clone)]
pub struct Lock {
    state: Rc<LockState>,
}

impl Lock {
    /// A lock named as the scenario's code names it.
    pub fn new(name: impl Into<Rc<str>>) -> Lock {
        Lock::make(name.into(), false)
    }

    /// A reentrant lock: its holder may take it again, and releases it as often.
    pub fn reentrant(name: impl Into<Rc<str>>) -> Lock {
        Lock::make(name.into(), true)
    }

    fn make(name: Rc<str>, reentrant: bool) -> Lock {
        Lock {
            state: Rc::new(LockState {
                name,
                owner: Cell::new(None),
                depth: Cell::new(0),
                reentrant,
            }),
        }
    }

    /// Takes the lock, waiting while another thread holds it (a plain lock taken again by its
    /// holder waits forever: a deadlock, as in Python).
    pub async fn acquire(&self, ctx: &Ctx) {
        let s = &self.state;
        ctx.point(Wait::Lock(s.clone()), "acquire", s.name.clone())
            .await;
        s.owner.set(Some(ctx.id()));
        s.depth.set(s.depth.get() + 1);
    }

    /// Releases the lock, which this thread holds.
    pub async fn release(&self, ctx: &Ctx) {
        let s = &self.state;
        ctx.point(Wait::Go, "release", s.name.clone()).await;
        debug_assert_eq!(s.owner.get(), Some(ctx.id()), "released by its holder");
        s.depth.set(s.depth.get().saturating_sub(1));
        if s.depth.get() == 0 {
            s.owner.set(None);
        }
    }

    /// Who holds it now.
    pub fn holder(&self) -> Option<ThreadId> {
        self.state.owner.get()
    }
}

/// A variable threads share, whose read and write are separate steps.
pub struct SharedCell<T> {
    name: Rc<str>,
    value: RefCell<T>,
}

impl<T: Clone> SharedCell<T> {
    /// A variable with its first value.
    pub fn new(name: impl Into<Rc<str>>, value: T) -> SharedCell<T> {
        SharedCell {
            name: name.into(),
            value: RefCell::new(value),
        }
    }

    /// Reads it (a step).
    pub async fn get(&self, ctx: &Ctx) -> T {
        ctx.point(Wait::Go, "read", self.name.clone()).await;
        self.value.borrow().clone()
    }

    /// Writes it (a step).
    pub async fn set(&self, ctx: &Ctx, value: T) {
        ctx.point(Wait::Go, "write", self.name.clone()).await;
        *self.value.borrow_mut() = value;
    }

    /// Its value, read outside the run (by a check, once the run ended).
    pub fn value(&self) -> T {
        self.value.borrow().clone()
    }
}

pub(crate) struct SemState {
    pub(crate) name: Rc<str>,
    pub(crate) permits: Cell<usize>,
}

/// A counting semaphore.
#[derive(Clone)]
pub struct Semaphore {
    state: Rc<SemState>,
}

impl Semaphore {
    /// A semaphore with `permits` permits.
    pub fn new(name: impl Into<Rc<str>>, permits: usize) -> Semaphore {
        Semaphore {
            state: Rc::new(SemState {
                name: name.into(),
                permits: Cell::new(permits),
            }),
        }
    }

    /// Takes a permit, waiting while none is free.
    pub async fn acquire(&self, ctx: &Ctx) {
        let s = &self.state;
        ctx.point(Wait::Permit(s.clone()), "acquire", s.name.clone())
            .await;
        s.permits.set(s.permits.get() - 1);
    }

    /// Gives a permit back.
    pub async fn release(&self, ctx: &Ctx) {
        let s = &self.state;
        ctx.point(Wait::Go, "release", s.name.clone()).await;
        s.permits.set(s.permits.get() + 1);
    }
}

pub(crate) struct EventState {
    pub(crate) name: Rc<str>,
    pub(crate) set: Cell<bool>,
}

/// An event (`threading.Event`): waiters go on once it is set.
#[derive(Clone)]
pub struct Event {
    state: Rc<EventState>,
}

impl Event {
    /// An event, not set.
    pub fn new(name: impl Into<Rc<str>>) -> Event {
        Event {
            state: Rc::new(EventState {
                name: name.into(),
                set: Cell::new(false),
            }),
        }
    }

    /// Sets it (a step), letting every waiter go on.
    pub async fn set(&self, ctx: &Ctx) {
        ctx.point(Wait::Go, "set", self.state.name.clone()).await;
        self.state.set.set(true);
    }

    /// Waits until it is set.
    pub async fn wait(&self, ctx: &Ctx) {
        let s = &self.state;
        ctx.point(Wait::Event(s.clone()), "wait", s.name.clone())
            .await;
    }
}

pub(crate) struct QueueState {
    pub(crate) name: Rc<str>,
    pub(crate) len: Cell<usize>,
    pub(crate) capacity: Option<usize>,
}

/// A FIFO queue (`queue.Queue`), bounded or not.
pub struct Queue<T> {
    state: Rc<QueueState>,
    items: RefCell<VecDeque<T>>,
}

impl<T> Queue<T> {
    /// A queue holding at most `capacity` items (`None`: unbounded).
    pub fn new(name: impl Into<Rc<str>>, capacity: Option<usize>) -> Queue<T> {
        Queue {
            state: Rc::new(QueueState {
                name: name.into(),
                len: Cell::new(0),
                capacity,
            }),
            items: RefCell::new(VecDeque::new()),
        }
    }

    /// Puts an item, waiting while the queue is full.
    pub async fn put(&self, ctx: &Ctx, item: T) {
        let s = &self.state;
        ctx.point(Wait::QueuePut(s.clone()), "put", s.name.clone())
            .await;
        self.items.borrow_mut().push_back(item);
        s.len.set(s.len.get() + 1);
    }

    /// Takes the oldest item, waiting while the queue is empty.
    pub async fn get(&self, ctx: &Ctx) -> T {
        let s = &self.state;
        ctx.point(Wait::QueueGet(s.clone()), "get", s.name.clone())
            .await;
        s.len.set(s.len.get() - 1);
        self.items
            .borrow_mut()
            .pop_front()
            .expect("a queue that let a getter step holds an item")
    }
}
