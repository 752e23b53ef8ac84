//! Locks and shared variables on either runtime.

use crate::thread::{Kind, Thread};
use crate::Aborted;
use conlab_core::{Nanos, Site, SpanState, Text};
use std::future::Future;
use std::panic::Location;
use std::sync::Arc;
use std::time::Duration;

/// A lock (`threading.Lock`, or with [`Lock::reentrant`] an `RLock`), named as the scenario's
/// code names it. Clones are the same lock.
#[derive(Clone)]
pub struct Lock {
    kind: LockKind,
}

#[derive(Clone)]
enum LockKind {
    #[cfg(feature = "native")]
    Os(Arc<conlab_traced_threads::TracedMutex<()>>),
    #[cfg(feature = "native")]
    OsReentrant(Arc<conlab_traced_threads::ReentrantLock>),
    Sched(conlab_sched::Lock, &'static str),
}

/// A held lock (inside `with lock:`); [`Held::release`] lets it go.
pub struct Held<'a> {
    kind: HeldKind<'a>,
}

enum HeldKind<'a> {
    #[cfg(feature = "native")]
    Os(conlab_traced_threads::TracedGuard<'a, ()>),
    #[cfg(feature = "native")]
    OsReentrant(conlab_traced_threads::ReentrantGuard<'a>),
    Sched(&'a conlab_sched::Lock, Hold<'a>),
}

/// A lock or permit held on the scheduler: its holding span is begun when it is taken (so a
/// wait while holding it, at the same instant of virtual time, nests inside it) and recorded
/// whole when it is let go.
struct Hold<'a> {
    name: &'static str,
    me: &'a Thread,
    /// False under the test fault of a lock that does not exclude (nothing was taken).
    taken: bool,
    released: bool,
    /// The holding span, begun at the line that took it (none in a marks-only run).
    span: Option<conlab_core::WholeSpan>,
}

impl<'a> Hold<'a> {
    fn new(name: &'static str, me: &'a Thread, since: Nanos, taken: bool) -> Hold<'a> {
        let mut hold = Hold {
            name,
            me,
            taken,
            released: false,
            span: None,
        };
        hold.restart(since);
        hold
    }

    /// Notes the line of the scenario's code the holder's operation is at.
    fn at(&self, site: Site) {
        self.me.at(site);
    }

    /// The scheduled thread holding it.
    fn thread(&self) -> Option<&'a crate::scheduled::SchedThread> {
        match &self.me.kind {
            Kind::Sched(s) => Some(s.as_ref()),
            #[cfg(feature = "native")]
            Kind::Os(_) => None,
        }
    }

    /// Held (again: a condition's lock, taken back after a wait) from `since`.
    fn restart(&mut self, since: Nanos) {
        self.span = self
            .thread()
            .and_then(|s| s.begin_whole(SpanState::HoldingLock, since));
        self.released = false;
    }

    /// Records the holding span up to `end`, once.
    fn record(&mut self, end: Nanos) {
        if let (Some(s), Some(span)) = (self.thread(), self.span.take()) {
            s.end_whole(span, end, Text::Static(self.name));
        }
        self.released = true;
    }
}

impl Lock {
    /// A lock for the run `me` belongs to.
    pub fn new(me: &Thread, name: &'static str) -> Lock {
        let kind = match &me.kind {
            #[cfg(feature = "native")]
            Kind::Os(_) => {
                LockKind::Os(Arc::new(conlab_traced_threads::TracedMutex::new(name, ())))
            }
            Kind::Sched(_) => LockKind::Sched(conlab_sched::Lock::new(name), name),
        };
        Lock { kind }
    }

    /// A re-entrant lock (`threading.RLock`): its holder may take it again, and lets it go
    /// once as often.
    pub fn reentrant(me: &Thread, name: &'static str) -> Lock {
        let kind = match &me.kind {
            #[cfg(feature = "native")]
            Kind::Os(_) => {
                LockKind::OsReentrant(Arc::new(conlab_traced_threads::ReentrantLock::new(name)))
            }
            Kind::Sched(_) => LockKind::Sched(conlab_sched::Lock::reentrant(name), name),
        };
        Lock { kind }
    }

    /// Takes the lock, waiting (recorded as `waiting_lock`) while another thread holds it.
    #[track_caller]
    pub fn acquire<'a>(
        &'a self,
        me: &'a Thread,
    ) -> impl Future<Output = Result<Held<'a>, Aborted>> + 'a {
        me.at(Location::caller());
        self.acquire_here(me)
    }

    /// [`Lock::acquire`], for an operation of this crate that noted its line already.
    pub(crate) async fn acquire_here<'a>(&'a self, me: &'a Thread) -> Result<Held<'a>, Aborted> {
        match (&self.kind, &me.kind) {
            #[cfg(feature = "native")]
            (LockKind::Os(l), Kind::Os(c)) => Ok(Held {
                kind: HeldKind::Os(l.lock(c)?),
            }),
            #[cfg(feature = "native")]
            (LockKind::OsReentrant(l), Kind::Os(c)) => Ok(Held {
                kind: HeldKind::OsReentrant(l.lock(c)?),
            }),
            (LockKind::Sched(lock, name), Kind::Sched(s)) => {
                let asked = s.ctx.now();
                if conlab_core::faults::active(conlab_core::Fault::LockNotExclusive) {
                    // The test fault of a lock that does not exclude: nobody waits for it.
                    return Ok(Held {
                        kind: HeldKind::Sched(lock, Hold::new(name, me, asked, false)),
                    });
                }
                // Recorded up to the cut-off if the thread is cut off in a deadlock here.
                let waiting = s.begin_wait(SpanState::WaitingLock);
                let waited = lock.acquire(&s.ctx).await;
                // A wait on virtual time may take none, and is a wait all the same.
                waiting.end(waited, || Text::None);
                let since = s.ctx.now();
                Ok(Held {
                    kind: HeldKind::Sched(lock, Hold::new(name, me, since, true)),
                })
            }
            #[cfg(feature = "native")]
            _ => unreachable!("a lock is taken by threads of its own run"),
        }
    }
}

impl<'a> Held<'a> {
    /// Notes the line of the scenario's code the holder's operation is at.
    fn at(&self, site: Site) {
        if let HeldKind::Sched(_, hold) = &self.kind {
            hold.at(site);
        }
    }

    /// Sleeps holding the lock (`with lock: … time.sleep(d)`): nobody else gets in meanwhile.
    #[track_caller]
    pub fn sleep(
        &mut self,
        d: Duration,
    ) -> impl Future<Output = Result<(), Aborted>> + use<'_, 'a> {
        self.at(Location::caller());
        async move {
            match &mut self.kind {
                #[cfg(feature = "native")]
                HeldKind::Os(g) => Ok(g.sleep(d)?),
                #[cfg(feature = "native")]
                HeldKind::OsReentrant(g) => Ok(g.sleep(d)?),
                HeldKind::Sched(_, hold) => hold.me.sleep_here(d).await,
            }
        }
    }

    /// Releases the lock (on the scheduler a step: who gets it next is a choice).
    #[track_caller]
    pub fn release(mut self) -> impl Future<Output = ()> + 'a {
        self.at(Location::caller());
        async move {
            if let HeldKind::Sched(lock, hold) = &mut self.kind {
                if let (Some(s), false) = (hold.thread(), hold.released) {
                    let end = s.ctx.now();
                    if hold.taken {
                        lock.release(&s.ctx).await;
                    }
                    hold.record(end);
                    s.ctx.placed_here();
                }
            }
            // Natively the guard's drop releases it and records the hold.
        }
    }
}

impl Drop for Held<'_> {
    fn drop(&mut self) {
        // Let go without a step (code that returned early with `?`).
        if let HeldKind::Sched(lock, hold) = &mut self.kind {
            if let (Some(s), false) = (hold.thread(), hold.released) {
                if hold.taken {
                    lock.release_without_step(&s.ctx);
                }
                hold.record(s.ctx.now());
            }
        }
    }
}

/// A variable threads share. On the scheduler its read and its write are separate steps, as in
/// CPython, where `counter += 1` is a read and a write another thread may come between.
pub struct Shared<T> {
    cell: Arc<conlab_sched::SharedCell<T>>,
    scheduled: bool,
}

impl<T> Clone for Shared<T> {
    fn clone(&self) -> Self {
        Shared {
            cell: self.cell.clone(),
            scheduled: self.scheduled,
        }
    }
}

impl<T: Clone> Shared<T> {
    /// A variable of the run `me` belongs to, with its first value.
    pub fn new(me: &Thread, name: &'static str, value: T) -> Shared<T> {
        Shared {
            cell: Arc::new(conlab_sched::SharedCell::new(name, value)),
            scheduled: matches!(me.kind, Kind::Sched(_)),
        }
    }

    /// Reads it.
    #[track_caller]
    pub fn get<'s>(&'s self, me: &'s Thread) -> impl Future<Output = T> + 's {
        let read = self.get_numbered(me);
        async move { read.await.0 }
    }

    /// Writes it.
    #[track_caller]
    pub fn set<'s>(&'s self, me: &'s Thread, value: T) -> impl Future<Output = ()> + 's {
        let write = self.set_numbered(me, value);
        async move {
            write.await;
        }
    }

    /// Reads it, with the access's number in the one order every access to it happened.
    #[track_caller]
    pub fn get_numbered<'s>(&'s self, me: &'s Thread) -> impl Future<Output = (T, u64)> + 's {
        me.at(Location::caller());
        async move {
            match &me.kind {
                Kind::Sched(s) if self.scheduled => self.cell.get_numbered(&s.ctx).await,
                _ => self.cell.read_now(),
            }
        }
    }

    /// Changes it in one step (`items.append(x)`, `del items[0]`: one operation under the
    /// GIL); the access's number.
    #[track_caller]
    pub fn update<'s>(
        &'s self,
        me: &'s Thread,
        change: impl FnOnce(&mut T) + 's,
    ) -> impl Future<Output = u64> + 's {
        me.at(Location::caller());
        async move {
            match &me.kind {
                Kind::Sched(s) if self.scheduled => self.cell.update_numbered(&s.ctx, change).await,
                _ => self.cell.update_now(change),
            }
        }
    }

    /// Writes it; the access's number.
    #[track_caller]
    pub fn set_numbered<'s>(&'s self, me: &'s Thread, value: T) -> impl Future<Output = u64> + 's {
        me.at(Location::caller());
        async move {
            match &me.kind {
                Kind::Sched(s) if self.scheduled => self.cell.set_numbered(&s.ctx, value).await,
                _ => self.cell.write_now(value),
            }
        }
    }
}

/// A counting semaphore (`threading.BoundedSemaphore`). Clones are the same semaphore.
#[derive(Clone)]
pub struct Semaphore {
    kind: SemKind,
}

#[derive(Clone)]
enum SemKind {
    #[cfg(feature = "native")]
    Os(Arc<conlab_traced_threads::Semaphore>),
    Sched(conlab_sched::Semaphore, &'static str),
}

/// A permit of a [`Semaphore`], held until [`Permit::release`].
pub struct Permit<'a> {
    kind: PermitKind<'a>,
}

enum PermitKind<'a> {
    #[cfg(feature = "native")]
    Os(#[allow(dead_code)] conlab_traced_threads::Permit<'a>),
    Sched(&'a conlab_sched::Semaphore, Hold<'a>),
}

impl Semaphore {
    /// A semaphore with `permits` permits, for the run `me` belongs to.
    pub fn new(me: &Thread, name: &'static str, permits: usize) -> Semaphore {
        let kind = match &me.kind {
            #[cfg(feature = "native")]
            Kind::Os(_) => SemKind::Os(Arc::new(conlab_traced_threads::Semaphore::new(
                name, permits,
            ))),
            Kind::Sched(_) => SemKind::Sched(conlab_sched::Semaphore::new(name, permits), name),
        };
        Semaphore { kind }
    }

    /// Takes a permit, waiting (recorded as `waiting_semaphore`) while none is free; the
    /// holding is recorded as the permit's span until it is released.
    #[track_caller]
    pub fn acquire<'a>(
        &'a self,
        me: &'a Thread,
    ) -> impl Future<Output = Result<Permit<'a>, Aborted>> + 'a {
        me.at(Location::caller());
        async move {
            match (&self.kind, &me.kind) {
                #[cfg(feature = "native")]
                (SemKind::Os(s), Kind::Os(c)) => Ok(Permit {
                    kind: PermitKind::Os(s.acquire(c)?),
                }),
                (SemKind::Sched(sem, name), Kind::Sched(s)) => {
                    let limits = !conlab_core::faults::active(conlab_core::Fault::LockNotExclusive);
                    let waiting = s.begin_wait(SpanState::WaitingSemaphore);
                    if limits {
                        sem.acquire(&s.ctx).await;
                    }
                    waiting.end(false, || Text::None);
                    let since = s.ctx.now();
                    Ok(Permit {
                        kind: PermitKind::Sched(sem, Hold::new(name, me, since, limits)),
                    })
                }
                #[cfg(feature = "native")]
                _ => unreachable!("a semaphore is taken by threads of its own run"),
            }
        }
    }
}

impl<'a> Permit<'a> {
    /// Notes the line of the scenario's code the holder's operation is at.
    fn at(&self, site: Site) {
        if let PermitKind::Sched(_, hold) = &self.kind {
            hold.at(site);
        }
    }

    /// Gives the permit back (on the scheduler a step: who gets it next is a choice).
    #[track_caller]
    pub fn release(mut self) -> impl Future<Output = ()> + 'a {
        self.at(Location::caller());
        async move {
            if let PermitKind::Sched(sem, hold) = &mut self.kind {
                if let (Some(s), false) = (hold.thread(), hold.released) {
                    let end = s.ctx.now();
                    if hold.taken {
                        sem.release(&s.ctx).await;
                    }
                    hold.record(end);
                    s.ctx.placed_here();
                }
            }
            // Natively the permit's drop gives it back and records the hold.
        }
    }
}

impl Drop for Permit<'_> {
    fn drop(&mut self) {
        // Given back without a step (code that returned early with `?`).
        if let PermitKind::Sched(sem, hold) = &mut self.kind {
            if let (Some(s), false) = (hold.thread(), hold.released) {
                if hold.taken {
                    sem.release_without_step();
                }
                hold.record(s.ctx.now());
            }
        }
    }
}

/// An event (`threading.Event`): `set` lets every waiter go on, `clear` re-arms it. Clones are
/// the same event.
#[derive(Clone)]
pub struct Event {
    kind: EventKind,
}

#[derive(Clone)]
enum EventKind {
    #[cfg(feature = "native")]
    Os(Arc<conlab_traced_threads::Event>),
    Sched(conlab_sched::Event),
}

impl Event {
    /// An event, not set, for the run `me` belongs to.
    pub fn new(me: &Thread, name: &'static str) -> Event {
        let kind = match &me.kind {
            #[cfg(feature = "native")]
            Kind::Os(_) => EventKind::Os(Arc::new(conlab_traced_threads::Event::new(name))),
            Kind::Sched(_) => EventKind::Sched(conlab_sched::Event::new(name)),
        };
        Event { kind }
    }

    /// Sets it, waking every waiter.
    #[track_caller]
    pub fn set<'a>(&'a self, me: &'a Thread) -> impl Future<Output = ()> + 'a {
        me.at(Location::caller());
        async move {
            match (&self.kind, &me.kind) {
                #[cfg(feature = "native")]
                (EventKind::Os(e), _) => e.set(),
                (EventKind::Sched(e), Kind::Sched(s)) => {
                    e.set(&s.ctx).await;
                    s.ctx.placed_here();
                }
                #[cfg(feature = "native")]
                _ => unreachable!("an event is set by threads of its own run"),
            }
        }
    }

    /// Clears it.
    #[track_caller]
    pub fn clear<'a>(&'a self, me: &'a Thread) -> impl Future<Output = ()> + 'a {
        me.at(Location::caller());
        async move {
            match (&self.kind, &me.kind) {
                #[cfg(feature = "native")]
                (EventKind::Os(e), _) => e.clear(),
                (EventKind::Sched(e), Kind::Sched(s)) => e.clear(&s.ctx).await,
                #[cfg(feature = "native")]
                _ => unreachable!("an event is cleared by threads of its own run"),
            }
        }
    }

    /// Waits (recorded as `waiting_event`) until it is set.
    #[track_caller]
    pub fn wait<'a>(&'a self, me: &'a Thread) -> impl Future<Output = Result<(), Aborted>> + 'a {
        me.at(Location::caller());
        async move {
            match (&self.kind, &me.kind) {
                #[cfg(feature = "native")]
                (EventKind::Os(e), Kind::Os(c)) => Ok(e.wait(c)?),
                (EventKind::Sched(e), Kind::Sched(s)) => {
                    let waiting = s.begin_wait(SpanState::WaitingEvent);
                    e.wait(&s.ctx).await;
                    waiting.end(false, || Text::None);
                    Ok(())
                }
                #[cfg(feature = "native")]
                _ => unreachable!("an event is waited for by threads of its own run"),
            }
        }
    }
}

/// A condition variable with its lock (`threading.Condition`). Clones are the same condition.
#[derive(Clone)]
pub struct Condition {
    kind: CondKind,
}

#[derive(Clone)]
enum CondKind {
    #[cfg(feature = "native")]
    Os(Arc<conlab_traced_threads::Condition<()>>),
    Sched(conlab_sched::Condition, &'static str),
}

/// A condition's lock, held (inside `with cond:`); [`CondHeld::release`] lets it go.
pub struct CondHeld<'a> {
    kind: CondHeldKind<'a>,
}

enum CondHeldKind<'a> {
    #[cfg(feature = "native")]
    Os(conlab_traced_threads::CondGuard<'a, ()>),
    Sched(&'a conlab_sched::Condition, Hold<'a>),
}

impl Condition {
    /// A condition for the run `me` belongs to.
    pub fn new(me: &Thread, name: &'static str) -> Condition {
        let kind = match &me.kind {
            #[cfg(feature = "native")]
            Kind::Os(_) => CondKind::Os(Arc::new(conlab_traced_threads::Condition::new(name, ()))),
            Kind::Sched(_) => CondKind::Sched(conlab_sched::Condition::new(name), name),
        };
        Condition { kind }
    }

    /// Takes the condition's lock (`with cond:`), waiting while another thread holds it.
    #[track_caller]
    pub fn lock<'a>(
        &'a self,
        me: &'a Thread,
    ) -> impl Future<Output = Result<CondHeld<'a>, Aborted>> + 'a {
        me.at(Location::caller());
        async move {
            match (&self.kind, &me.kind) {
                #[cfg(feature = "native")]
                (CondKind::Os(c), Kind::Os(ctx)) => Ok(CondHeld {
                    kind: CondHeldKind::Os(c.lock(ctx)?),
                }),
                (CondKind::Sched(cond, name), Kind::Sched(s)) => {
                    let waiting = s.begin_wait(SpanState::WaitingLock);
                    let waited = cond.lock().acquire(&s.ctx).await;
                    waiting.end(waited, || Text::None);
                    let since = s.ctx.now();
                    Ok(CondHeld {
                        kind: CondHeldKind::Sched(cond, Hold::new(name, me, since, true)),
                    })
                }
                #[cfg(feature = "native")]
                _ => unreachable!("a condition is used by threads of its own run"),
            }
        }
    }
}

impl<'a> CondHeld<'a> {
    /// Notes the line of the scenario's code the holder's operation is at.
    fn at(&self, site: Site) {
        if let CondHeldKind::Sched(_, hold) = &self.kind {
            hold.at(site);
        }
    }

    /// How many threads wait on the condition now.
    pub fn waiters(&self) -> usize {
        match &self.kind {
            #[cfg(feature = "native")]
            CondHeldKind::Os(g) => g.waiters(),
            CondHeldKind::Sched(cond, _) => cond.waiters(),
        }
    }

    /// Lets the lock go, waits (recorded as `waiting_condition`) for a notification, and takes
    /// the lock back.
    #[track_caller]
    pub fn wait(&mut self) -> impl Future<Output = Result<(), Aborted>> + use<'_, 'a> {
        self.at(Location::caller());
        async move {
            match &mut self.kind {
                #[cfg(feature = "native")]
                CondHeldKind::Os(g) => Ok(g.wait()?),
                CondHeldKind::Sched(cond, hold) => {
                    if let Some(s) = hold.thread() {
                        hold.record(s.ctx.now());
                        let waiting = s.spend(SpanState::WaitingCondition);
                        cond.wait(&s.ctx).await;
                        drop(waiting);
                        hold.restart(s.ctx.now());
                    }
                    Ok(())
                }
            }
        }
    }

    /// Releases up to `n` waiters; how many it released.
    #[track_caller]
    pub fn notify(&mut self, n: usize) -> impl Future<Output = usize> + use<'_, 'a> {
        self.at(Location::caller());
        async move {
            match &mut self.kind {
                #[cfg(feature = "native")]
                CondHeldKind::Os(g) => g.notify(n),
                CondHeldKind::Sched(cond, hold) => match hold.thread() {
                    Some(s) => {
                        let n = cond.notify(&s.ctx, n).await;
                        s.ctx.placed_here();
                        n
                    }
                    None => 0,
                },
            }
        }
    }

    /// Releases every waiter; how many it released.
    #[track_caller]
    pub fn notify_all(&mut self) -> impl Future<Output = usize> + use<'_, 'a> {
        let n = self.waiters();
        self.notify(n)
    }

    /// Lets the lock go (on the scheduler a step).
    #[track_caller]
    pub fn release(mut self) -> impl Future<Output = ()> + 'a {
        self.at(Location::caller());
        async move {
            if let CondHeldKind::Sched(cond, hold) = &mut self.kind {
                if let (Some(s), false) = (hold.thread(), hold.released) {
                    let end = s.ctx.now();
                    cond.lock().release(&s.ctx).await;
                    hold.record(end);
                    s.ctx.placed_here();
                }
            }
            // Natively the guard's drop lets it go and records the hold.
        }
    }
}

impl Drop for CondHeld<'_> {
    fn drop(&mut self) {
        if let CondHeldKind::Sched(cond, hold) = &mut self.kind {
            if let (Some(s), false) = (hold.thread(), hold.released) {
                cond.lock().release_without_step(&s.ctx);
                hold.record(s.ctx.now());
            }
        }
    }
}
