//! One run on the scheduler: the threads, the pending operation each waits to perform, virtual
//! time and cores, and the loop that asks the strategy who steps next.

use crate::strategy::{ChoicePoint, Strategy};
use crate::sync::{CondState, EventState, LockState, QueueState, SemState};
use std::cell::{Cell, RefCell};
use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;
use std::sync::atomic::Ordering::Relaxed;
use std::sync::Arc;
use std::task::{Context, Poll, RawWaker, RawWakerVTable, Waker};
use std::time::Duration;

/// Virtual time in nanoseconds from the run's start.
pub type Nanos = u64;

/// A thread of a run, numbered from 0 in the order threads were created.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ThreadId(pub u32);

/// What a thread waits for before its next step can happen.
#[derive(Clone)]
pub(crate) enum Wait {
    /// Nothing: the step can happen whenever the thread is picked.
    Go,
    Lock(Arc<LockState>),
    Permit(Arc<SemState>),
    Event(Arc<EventState>),
    /// A notification counted out to one waiter of a condition.
    Notified(Arc<CondState>),
    QueueGet(Arc<QueueState>),
    QueuePut(Arc<QueueState>),
    Join(ThreadId),
    /// Virtual time reaching this instant (a sleep, the end of a computation).
    Until(Nanos),
    /// A free core, to start computing.
    Core,
}

/// The operation a step performs, as the step list and the learner read it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Op {
    /// What the thread does: "acquire", "release", "read", "write", "sleep", "compute", …
    pub verb: &'static str,
    /// What it does it to: a lock's, a variable's or a thread's name; empty when none.
    pub object: Arc<str>,
}

/// One step of a run, kept when the run records its steps.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Step {
    /// When it happened.
    pub t: Nanos,
    /// Who took it.
    pub thread: ThreadId,
    /// What it did.
    pub op: Op,
    /// How many threads could have stepped here (1: no choice was made).
    pub runnable: u32,
}

/// How a run ended.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum End {
    /// Every thread finished.
    Completed,
    /// Threads are left that can never step: each with why it waits.
    Deadlock(Vec<(String, String)>),
    /// More steps than the run's limit.
    StepLimit,
    /// A replayed schedule named a choice this run does not have, at this step.
    Misfit(u64),
    /// A thread awaited something that is not a scheduling point of this scheduler.
    Foreign(String),
    /// Asked to stop from outside (checked every 1,024 steps).
    Stopped,
}

impl End {
    /// A deadlock in words: each thread left and why it waits.
    pub fn deadlock_words(waits: &[(String, String)]) -> String {
        let each: Vec<String> = waits
            .iter()
            .map(|(who, why)| format!("{who} {why}"))
            .collect();
        format!("deadlock: {}", each.join("; "))
    }
}

/// Limits and settings of one run.
#[derive(Clone, Copy, Debug)]
pub struct RunLimits {
    /// Virtual cores: how many threads compute at once.
    pub cores: u32,
    /// Steps after which the run ends with [`End::StepLimit`].
    pub max_steps: u64,
    /// Keep every step (a replay) or only the choices (a search).
    pub record_steps: bool,
}

impl Default for RunLimits {
    fn default() -> Self {
        RunLimits {
            cores: 2,
            max_steps: 1_000_000,
            record_steps: true,
        }
    }
}

/// A thread's step that let another go on: what a wake link on the timeline and in the step
/// text shows ("Thread-2 released `value`, which woke Thread-3").
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Wake {
    /// When.
    pub t: Nanos,
    /// The thread whose step it was.
    pub waker: ThreadId,
    /// The thread that could go on after it, and could not before.
    pub woken: ThreadId,
    /// What happened, in words.
    pub words: String,
    /// Where the waker's step ended in the listener's record, as the place hook
    /// ([`Scheduler::place_wakes`]) said right after that step (0 without one): the wake is
    /// told later, once the woken thread steps, and belongs there.
    pub place: u32,
}

/// A group of threads watched for a deadlock of their own, which is a lesson rather than the
/// run's failure (a plain lock taken twice, two locks taken in opposite orders): when no thread
/// can ever step again and some belong to a group, that group's threads are cut off (their code
/// dropped, as if aborted, letting go what they held) and the others go on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Group(u32);

/// A thread of a group cut off in a deadlock, and what it waited for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Stuck {
    /// The thread.
    pub thread: ThreadId,
    /// Its name.
    pub name: Arc<str>,
    /// What it waited for, in words: "lock `plain`", "Thread-2 to finish".
    pub waits_for: String,
    /// The thread it waited for, where one did: a lock's holder, a joined thread.
    pub on: Option<ThreadId>,
}

/// Where a run stopped because its strategy had no choice to make (a learner's schedule, all
/// of it taken): who could step there, and why each other thread waits.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Decision {
    /// The threads that could step, in thread order (a choice is a position in this list),
    /// each with the step it would take.
    pub runnable: Vec<(ThreadId, Op)>,
    /// Each other unfinished thread's name, and why it waits, in words.
    pub waiting: Vec<(String, String)>,
}

/// What a run did.
#[derive(Clone, Debug)]
pub struct RunReport {
    /// How it ended.
    pub end: End,
    /// Steps taken.
    pub steps: u64,
    /// The choice made at each point where more than one thread could step: the position of
    /// the chosen thread among the runnable ones, in thread order.
    pub choices: Vec<u32>,
    /// The thread picked at each of those points.
    pub picks: Vec<ThreadId>,
    /// Choices that switched away from a thread that could have gone on.
    pub preemptions: u32,
    /// Virtual time at the end.
    pub elapsed: Nanos,
    /// Every step, when recorded.
    pub steps_taken: Vec<Step>,
    /// Lines printed, with when and by whom.
    pub output: Vec<(Nanos, ThreadId, String)>,
    /// Each thread's name, by id.
    pub threads: Vec<String>,
    /// Where it stopped for want of a choice ([`End::Misfit`]), if it did.
    pub decision: Option<Decision>,
}

type Body = Pin<Box<dyn Future<Output = ()>>>;

/// What hears a run's wakes.
type WakeHook = Box<dyn FnMut(&Wake)>;
type PlaceHook = Box<dyn FnMut() -> u32>;

struct Slot {
    name: Arc<str>,
    body: Option<Body>,
    pending: Option<(Wait, Op, Option<Nanos>)>,
    done: bool,
    group: Option<Group>,
    /// A daemon thread: cut off when every other thread has finished (Python's
    /// `daemon=True`).
    daemon: bool,
    /// It could not take its pending step at some moment since it reached it.
    blocked: Cell<bool>,
}

pub(crate) struct Inner {
    now: Cell<Nanos>,
    slots: RefCell<Vec<Slot>>,
    pub(crate) busy_cores: Cell<u32>,
    limits: RunLimits,
    output: RefCell<Vec<(Nanos, ThreadId, String)>>,
    /// Told of every wake, if anyone listens (a run recorded to show; searches do not).
    wake_hook: RefCell<Option<WakeHook>>,
    /// Asked, right after a step that may have woken threads, where that step ended.
    place_hook: RefCell<Option<PlaceHook>>,
    /// Where the step being taken said its operation was recorded up to
    /// ([`Ctx::placed_here`]): its wakes are told there, not after the code that follows.
    step_place: Cell<Option<u32>>,
    /// The operation of the step being taken, for [`Point`]s after the first to tell that
    /// their turn came.
    granted: Cell<bool>,
    /// Each group made so far: how long its deadlock takes to be noticed.
    groups: RefCell<Vec<Nanos>>,
    /// Each group cut off in a deadlock, with its threads.
    cut_off: RefCell<Vec<(Group, Vec<Stuck>)>>,
}

/// A run being set up: create its first threads, then [`run`](Scheduler::run) it.
pub struct Scheduler {
    inner: Rc<Inner>,
}

/// What a thread's code holds: its identity and the scheduler's operations.
#[derive(Clone)]
pub struct Ctx {
    pub(crate) inner: Rc<Inner>,
    me: ThreadId,
}

/// A thread to join.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct JoinHandle {
    id: ThreadId,
}

impl JoinHandle {
    /// The thread's id.
    pub fn id(&self) -> ThreadId {
        self.id
    }
}

impl Scheduler {
    /// A run with these limits, at virtual time 0 and no threads.
    pub fn new(limits: RunLimits) -> Scheduler {
        Scheduler {
            inner: Rc::new(Inner {
                now: Cell::new(0),
                slots: RefCell::new(Vec::with_capacity(8)),
                busy_cores: Cell::new(0),
                limits,
                output: RefCell::new(Vec::new()),
                wake_hook: RefCell::new(None),
                place_hook: RefCell::new(None),
                step_place: Cell::new(None),
                granted: Cell::new(false),
                groups: RefCell::new(Vec::new()),
                cut_off: RefCell::new(Vec::new()),
            }),
        }
    }

    /// Creates a thread that exists when the run starts (its first step is its start).
    pub fn spawn<F, Fut>(&self, name: impl Into<Arc<str>>, body: F) -> JoinHandle
    where
        F: FnOnce(Ctx) -> Fut,
        Fut: Future<Output = ()> + 'static,
    {
        spawn_into(&self.inner, name.into(), None, false, body)
    }

    /// Tells `hook` of every step that lets a thread go on that was waiting for another thread
    /// (a lock released, an event set, a notification, an item or room in a queue, a thread
    /// that finished). Wakes by time (a sleep's end) are not wakes by a thread.
    pub fn on_wake(&self, hook: impl FnMut(&Wake) + 'static) {
        *self.inner.wake_hook.borrow_mut() = Some(Box::new(hook));
    }

    /// Asks `place`, right after a step that woke threads (before any other step), where that
    /// step ended in the listener's record; each [`Wake`] of that step carries the answer.
    pub fn place_wakes(&self, place: impl FnMut() -> u32 + 'static) {
        *self.inner.place_hook.borrow_mut() = Some(Box::new(place));
    }

    /// Runs every thread to its end (or a deadlock, or the step limit), `strategy` choosing
    /// at every point where more than one thread can step.
    pub fn run(self, strategy: &mut dyn Strategy) -> RunReport {
        self.run_until(strategy, &|| false)
    }

    /// [`Scheduler::run`], ending [`End::Stopped`] once `stop` says so (asked every 1,024
    /// steps: a server's Stop, a real-time limit).
    pub fn run_until(self, strategy: &mut dyn Strategy, stop: &dyn Fn() -> bool) -> RunReport {
        let inner = self.inner;
        strategy.begin();
        let mut runnable: Vec<ThreadId> = Vec::new();
        let mut choices = Vec::new();
        let mut picks = Vec::new();
        let mut preemptions = 0;
        let mut steps = 0u64;
        let mut steps_taken = Vec::new();
        let mut current: Option<ThreadId> = None;
        let mut decision = None;
        // For wake links: the last step, and who was waiting for another thread before it.
        let hooked = inner.wake_hook.borrow().is_some();
        let mut last_step: Option<(ThreadId, Op)> = None;
        let mut was_waiting: Vec<Option<bool>> = Vec::new();
        // A wake is told once the woken thread takes the step it waited to take (of several
        // threads a release lets try for a lock, only the one that gets it was woken).
        let mut wakes: Vec<Option<Wake>> = Vec::new();
        let waker = noop_waker();
        let end = loop {
            runnable.clear();
            let mut next_wake: Option<Nanos> = None;
            let mut unfinished = false;
            // Whether a thread other than a daemon is left: when none is, the run ends.
            let mut kept = false;
            {
                let slots = inner.slots.borrow();
                let now = inner.now.get();
                for (i, slot) in slots.iter().enumerate() {
                    let Some((wait, _, deadline)) = &slot.pending else {
                        continue;
                    };
                    unfinished = true;
                    kept |= !slot.daemon;
                    let id = ThreadId(i as u32);
                    if inner.can_step(wait, id, &slots) || deadline.is_some_and(|d| now >= d) {
                        runnable.push(id);
                    } else {
                        slot.blocked.set(true);
                        let wake = match wait {
                            Wait::Until(t) => Some(*t),
                            _ => None,
                        };
                        for t in wake.into_iter().chain(*deadline) {
                            next_wake = Some(next_wake.map_or(t, |w: Nanos| w.min(t)));
                        }
                    }
                }
            }
            if hooked {
                inner.note_wakes(&runnable, last_step.take(), &mut was_waiting, &mut wakes);
            }
            if unfinished && !kept {
                inner.cut_off_daemons();
                break End::Completed;
            }
            if runnable.is_empty() {
                if !unfinished {
                    break End::Completed;
                }
                match next_wake {
                    Some(t) => {
                        // Who goes on now does so because time passed, not for a thread.
                        was_waiting.clear();
                        inner.now.set(t);
                        continue;
                    }
                    None if inner.cut_off_a_group() => {
                        was_waiting.clear();
                        continue;
                    }
                    None => break End::Deadlock(inner.waiting_reasons()),
                }
            }
            let pick = if runnable.len() == 1 {
                runnable[0]
            } else {
                let at = ChoicePoint {
                    runnable: &runnable,
                    current,
                    step: steps,
                };
                let Some(i) = strategy.choose(&at).filter(|&i| i < runnable.len()) else {
                    decision = Some(inner.decision(&runnable));
                    break End::Misfit(steps);
                };
                choices.push(i as u32);
                picks.push(runnable[i]);
                if current.is_some_and(|c| c != runnable[i] && runnable.contains(&c)) {
                    preemptions += 1;
                }
                runnable[i]
            };
            steps += 1;
            if steps > inner.limits.max_steps {
                break End::StepLimit;
            }
            if steps % 1024 == 0 && stop() {
                break End::Stopped;
            }
            current = Some(pick);
            let (body, op) = {
                let mut slots = inner.slots.borrow_mut();
                let slot = &mut slots[pick.0 as usize];
                let (_, op, _) = slot.pending.take().expect("a runnable thread has a step");
                (slot.body.take(), op)
            };
            if hooked {
                last_step = Some((pick, op.clone()));
                if let Some(wake) = wakes.get_mut(pick.0 as usize).and_then(Option::take) {
                    if let Some(hook) = inner.wake_hook.borrow_mut().as_mut() {
                        hook(&wake);
                    }
                }
            }
            if inner.limits.record_steps {
                steps_taken.push(Step {
                    t: inner.now.get(),
                    thread: pick,
                    op,
                    runnable: runnable.len() as u32,
                });
            }
            let Some(mut body) = body else {
                continue;
            };
            inner.step_place.set(None);
            inner.granted.set(true);
            let polled = body.as_mut().poll(&mut Context::from_waker(&waker));
            inner.granted.set(false);
            let mut slots = inner.slots.borrow_mut();
            let slot = &mut slots[pick.0 as usize];
            match polled {
                Poll::Ready(()) => slot.done = true,
                Poll::Pending if slot.pending.is_none() => {
                    break End::Foreign(format!(
                        "{} awaited something that is not a step of the scheduler",
                        slot.name
                    ));
                }
                Poll::Pending => slot.body = Some(body),
            }
        };
        let threads = inner
            .slots
            .borrow()
            .iter()
            .map(|s| s.name.to_string())
            .collect();
        RunReport {
            end,
            steps,
            choices,
            picks,
            preemptions,
            elapsed: inner.now.get(),
            steps_taken,
            output: inner.output.take(),
            threads,
            decision,
        }
    }
}

fn spawn_into<F, Fut>(
    inner: &Rc<Inner>,
    name: Arc<str>,
    group: Option<Group>,
    daemon: bool,
    body: F,
) -> JoinHandle
where
    F: FnOnce(Ctx) -> Fut,
    Fut: Future<Output = ()> + 'static,
{
    let id = ThreadId(inner.slots.borrow().len() as u32);
    let ctx = Ctx {
        inner: inner.clone(),
        me: id,
    };
    let body: Body = Box::pin(body(ctx));
    inner.slots.borrow_mut().push(Slot {
        name: name.clone(),
        body: Some(body),
        pending: Some((
            Wait::Go,
            Op {
                verb: "start",
                object: name,
            },
            None,
        )),
        done: false,
        group,
        daemon,
        blocked: Cell::new(false),
    });
    JoinHandle { id }
}

impl Inner {
    fn can_step(&self, wait: &Wait, me: ThreadId, slots: &[Slot]) -> bool {
        match wait {
            Wait::Go => true,
            Wait::Lock(l) => l.can_take(me),
            Wait::Permit(s) => s.permits.load(Relaxed) > 0,
            Wait::Event(e) => e.set.load(Relaxed),
            Wait::Notified(c) => c.releasable.load(Relaxed) > 0,
            Wait::QueueGet(q) => q.len.load(Relaxed) > 0 || q.closed.load(Relaxed),
            Wait::QueuePut(q) => q.capacity.is_none_or(|c| q.len.load(Relaxed) < c),
            Wait::Join(t) => slots[t.0 as usize].done,
            Wait::Until(t) => self.now.get() >= *t,
            Wait::Core => self.busy_cores.get() < self.limits.cores,
        }
    }

    /// In a deadlock, cuts off the first group with threads left, if any: records who was
    /// stuck on what, then drops their code (which lets go what it held) and counts them
    /// finished, so that a thread joining them goes on.
    /// Cuts off the daemon threads still running, as the interpreter does at its end: their
    /// code is dropped (outside the borrow: it may record as it unwinds).
    fn cut_off_daemons(&self) {
        let bodies: Vec<Body> = {
            let mut slots = self.slots.borrow_mut();
            slots
                .iter_mut()
                .filter(|s| s.daemon && s.pending.is_some())
                .filter_map(|s| {
                    s.pending = None;
                    s.done = true;
                    s.body.take()
                })
                .collect()
        };
        drop(bodies);
    }

    fn cut_off_a_group(&self) -> bool {
        let (group, stuck, bodies) = {
            let mut slots = self.slots.borrow_mut();
            let left = |s: &&Slot| s.pending.is_some();
            let Some(group) = slots
                .iter()
                .filter(left)
                .filter_map(|s| s.group)
                .min_by_key(|g| g.0)
            else {
                return false;
            };
            let members: Vec<usize> = (0..slots.len())
                .filter(|&i| slots[i].group == Some(group) && slots[i].pending.is_some())
                .collect();
            let stuck: Vec<Stuck> = members
                .iter()
                .filter_map(|&i| {
                    let (wait, _, _) = slots[i].pending.as_ref()?;
                    let (waits_for, on) = waited_for(wait, &slots);
                    Some(Stuck {
                        thread: ThreadId(i as u32),
                        name: slots[i].name.clone(),
                        waits_for,
                        on,
                    })
                })
                .collect();
            let mut bodies = Vec::new();
            for &i in &members {
                let slot = &mut slots[i];
                slot.pending = None;
                slot.done = true;
                bodies.extend(slot.body.take());
            }
            (group, stuck, bodies)
        };
        self.cut_off.borrow_mut().push((group, stuck));
        // Noticed after the group's delay, which the stuck threads spend waiting.
        let after = self.groups.borrow()[group.0 as usize];
        self.now.set(self.now.get().saturating_add(after));
        // Dropped outside the borrow: their code unwinds, and may record as it does.
        drop(bodies);
        true
    }

    fn name_of(&self, id: ThreadId) -> Arc<str> {
        self.slots.borrow()[id.0 as usize].name.clone()
    }

    /// After a step: notes a wake for each thread that can step now and was waiting for
    /// another thread before it (told when it takes that step), then who waits for another
    /// thread now (whose wake, if one was noted, did not happen).
    fn note_wakes(
        &self,
        runnable: &[ThreadId],
        last: Option<(ThreadId, Op)>,
        was_waiting: &mut Vec<Option<bool>>,
        wakes: &mut Vec<Option<Wake>>,
    ) {
        let slots = self.slots.borrow();
        if let Some((waker, op)) = last {
            let mut place = None;
            for &id in runnable {
                if id == waker || was_waiting.get(id.0 as usize) != Some(&Some(true)) {
                    continue;
                }
                let Some((wait, _, _)) = slots[id.0 as usize].pending.as_ref() else {
                    continue;
                };
                let (who, whom) = (&slots[waker.0 as usize].name, &slots[id.0 as usize].name);
                let closed = match wait {
                    Wait::QueueGet(q) => q.closed.load(Relaxed) && q.len.load(Relaxed) == 0,
                    _ => false,
                };
                let done = match (wait, op.verb) {
                    (Wait::Join(_), _) => "finished".to_string(),
                    (Wait::QueueGet(q), _) if closed => format!("closed `{}`", q.name),
                    (_, "release") => format!("released `{}`", op.object),
                    (_, "set") => format!("set `{}`", op.object),
                    (_, "notify") => format!("notified `{}`", op.object),
                    (_, "put") => format!("put an item into `{}`", op.object),
                    (_, "get") => format!("took an item from `{}`", op.object),
                    (_, verb) => format!("took a step ({verb})"),
                };
                let place = *place.get_or_insert_with(|| {
                    self.step_place.get().unwrap_or_else(|| {
                        self.place_hook
                            .borrow_mut()
                            .as_mut()
                            .map_or(0, |place| place())
                    })
                });
                let wake = Wake {
                    t: self.now.get(),
                    waker,
                    woken: id,
                    words: format!("{who} {done}, which woke {whom}"),
                    place,
                };
                if wakes.len() <= id.0 as usize {
                    wakes.resize(id.0 as usize + 1, None);
                }
                wakes[id.0 as usize] = Some(wake);
            }
        }
        // Runnable threads wait for nobody; marked first, so the pass below is linear.
        was_waiting.clear();
        was_waiting.resize(slots.len(), Some(false));
        for id in runnable {
            was_waiting[id.0 as usize] = None;
        }
        for (slot, waiting) in slots.iter().zip(was_waiting.iter_mut()) {
            let runnable_now = waiting.is_none();
            *waiting = slot.pending.as_ref().map(|(wait, _, _)| {
                !runnable_now
                    && matches!(
                        wait,
                        Wait::Lock(_)
                            | Wait::Permit(_)
                            | Wait::Event(_)
                            | Wait::Notified(_)
                            | Wait::QueueGet(_)
                            | Wait::QueuePut(_)
                            | Wait::Join(_)
                    )
            });
        }
        for (i, waiting) in was_waiting.iter().enumerate() {
            if *waiting == Some(true) {
                if let Some(w) = wakes.get_mut(i) {
                    *w = None;
                }
            }
        }
    }

    /// Who can step at a choice, with what step, and why every other thread waits.
    fn decision(&self, runnable: &[ThreadId]) -> Decision {
        let slots = self.slots.borrow();
        let runnable_ops = runnable
            .iter()
            .filter_map(|&id| Some((id, slots[id.0 as usize].pending.as_ref()?.1.clone())))
            .collect();
        let names: Vec<String> = runnable
            .iter()
            .map(|id| slots[id.0 as usize].name.to_string())
            .collect();
        drop(slots);
        let waiting = self
            .waiting_reasons()
            .into_iter()
            .filter(|(who, _)| !names.contains(who))
            .collect();
        Decision {
            runnable: runnable_ops,
            waiting,
        }
    }

    /// Why each thread that cannot step now waits, in words.
    fn waiting_reasons(&self) -> Vec<(String, String)> {
        let slots = self.slots.borrow();
        slots
            .iter()
            .filter_map(|s| {
                let (wait, _, _) = s.pending.as_ref()?;
                let name = |id: ThreadId| slots[id.0 as usize].name.to_string();
                let why = match wait {
                    Wait::Lock(l) => match l.holder() {
                        Some(o) => format!("waits for lock `{}`, held by {}", l.name, name(o)),
                        None => format!("waits for lock `{}`", l.name),
                    },
                    Wait::Permit(s) => format!("waits for a permit of `{}`", s.name),
                    Wait::Event(e) => format!("waits for event `{}` to be set", e.name),
                    Wait::Notified(c) => format!("waits for condition `{}` to be notified", c.name),
                    Wait::QueueGet(q) => format!("waits for an item in `{}`", q.name),
                    Wait::QueuePut(q) => format!("waits for room in `{}`", q.name),
                    Wait::Join(t) => format!("waits for {} to finish", name(*t)),
                    Wait::Until(t) => format!("sleeps until {} ms", t / 1_000_000),
                    Wait::Core => "waits for a free core".to_string(),
                    Wait::Go => "can run".to_string(),
                };
                Some((s.name.to_string(), why))
            })
            .collect()
    }
}

/// What a thread that can never step waited for, in words, and the thread it waited for.
fn waited_for(wait: &Wait, slots: &[Slot]) -> (String, Option<ThreadId>) {
    match wait {
        Wait::Lock(l) => (format!("lock `{}`", l.name), l.holder()),
        Wait::Permit(s) => (format!("a permit of `{}`", s.name), None),
        Wait::Event(e) => (format!("event `{}`", e.name), None),
        Wait::Notified(c) => (format!("condition `{}`", c.name), None),
        Wait::QueueGet(q) => (format!("an item in `{}`", q.name), None),
        Wait::QueuePut(q) => (format!("room in `{}`", q.name), None),
        Wait::Join(t) => (format!("{} to finish", slots[t.0 as usize].name), Some(*t)),
        Wait::Until(_) | Wait::Core | Wait::Go => ("its turn".to_string(), None),
    }
}

/// A scheduling point: the first poll registers what the thread waits for and yields to the
/// scheduler; the scheduler polls the thread again only once it picked that step.
pub(crate) struct Point {
    inner: Rc<Inner>,
    me: ThreadId,
    pending: Option<(Wait, Op, Option<Nanos>)>,
}

impl Future for Point {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<()> {
        match self.pending.take() {
            Some(p) => {
                let slot = &mut self.inner.slots.borrow_mut()[self.me.0 as usize];
                slot.pending = Some(p);
                slot.blocked.set(false);
                Poll::Pending
            }
            None if self.inner.granted.get() => Poll::Ready(()),
            None => Poll::Pending,
        }
    }
}

impl Ctx {
    /// This thread.
    pub fn id(&self) -> ThreadId {
        self.me
    }

    /// This thread's name.
    pub fn name(&self) -> Arc<str> {
        self.inner.name_of(self.me)
    }

    /// Another thread's name.
    pub fn name_of(&self, id: ThreadId) -> Arc<str> {
        self.inner.name_of(id)
    }

    /// Virtual time now.
    pub fn now(&self) -> Nanos {
        self.inner.now.get()
    }

    /// The step this thread is taking has recorded what its operation did (a release: the
    /// hold's end): a thread it woke is told as woken here, before what its code does next
    /// in the same step (without this, after the whole step).
    pub fn placed_here(&self) {
        if let Some(place) = self.inner.place_hook.borrow_mut().as_mut() {
            self.inner.step_place.set(Some(place()));
        }
    }

    /// Whether this thread had to wait for the step it took last: at some moment between
    /// reaching it and taking it, it could not take it (on virtual time such a wait may take
    /// no time at all).
    pub fn waited(&self) -> bool {
        self.inner.slots.borrow()[self.me.0 as usize].blocked.get()
    }

    pub(crate) fn point(&self, wait: Wait, verb: &'static str, object: Arc<str>) -> Point {
        self.point_until(wait, verb, object, None)
    }

    pub(crate) fn point_until(
        &self,
        wait: Wait,
        verb: &'static str,
        object: Arc<str>,
        deadline: Option<Nanos>,
    ) -> Point {
        Point {
            inner: self.inner.clone(),
            me: self.me,
            pending: Some((wait, Op { verb, object }, deadline)),
        }
    }

    /// Starts a thread (a step: another thread may run before or after it starts).
    pub async fn spawn<F, Fut>(&self, name: impl Into<Arc<str>>, body: F) -> JoinHandle
    where
        F: FnOnce(Ctx) -> Fut,
        Fut: Future<Output = ()> + 'static,
    {
        let name = name.into();
        self.point(Wait::Go, "spawn", name.clone()).await;
        spawn_into(&self.inner, name, None, false, body)
    }

    /// Starts a daemon thread (a step, as [`Ctx::spawn`]): when every thread that is not a
    /// daemon has finished, the run ends and daemons still running are cut off.
    pub async fn spawn_daemon<F, Fut>(&self, name: impl Into<Arc<str>>, body: F) -> JoinHandle
    where
        F: FnOnce(Ctx) -> Fut,
        Fut: Future<Output = ()> + 'static,
    {
        let name = name.into();
        self.point(Wait::Go, "spawn", name.clone()).await;
        spawn_into(&self.inner, name, None, true, body)
    }

    /// Whether `thread` has finished (or was cut off); not a step.
    pub fn finished(&self, thread: JoinHandle) -> bool {
        self.inner.slots.borrow()[thread.id.0 as usize].done
    }

    /// A new group of threads, watched for a deadlock of their own ([`Group`]), which is
    /// noticed `after` this much virtual time with nothing able to step (as a watchdog would:
    /// a deadlock noticed at once would take no time to see).
    pub fn group(&self, after: Duration) -> Group {
        let mut groups = self.inner.groups.borrow_mut();
        groups.push(nanos(after));
        Group(groups.len() as u32 - 1)
    }

    /// Starts a thread of `group` (a step, as [`Ctx::spawn`]).
    pub async fn spawn_in<F, Fut>(
        &self,
        group: Group,
        name: impl Into<Arc<str>>,
        body: F,
    ) -> JoinHandle
    where
        F: FnOnce(Ctx) -> Fut,
        Fut: Future<Output = ()> + 'static,
    {
        let name = name.into();
        self.point(Wait::Go, "spawn", name.clone()).await;
        spawn_into(&self.inner, name, Some(group), false, body)
    }

    /// The threads of `group` cut off in a deadlock, and what each waited for; `None` while
    /// the group has not deadlocked.
    pub fn deadlock_of(&self, group: Group) -> Option<Vec<Stuck>> {
        let cut = self.inner.cut_off.borrow();
        cut.iter()
            .find(|(g, _)| *g == group)
            .map(|(_, s)| s.clone())
    }

    /// Waits for a thread to finish.
    pub async fn join(&self, thread: JoinHandle) {
        let name = self.inner.name_of(thread.id);
        self.point(Wait::Join(thread.id), "join", name).await;
    }

    /// Waits for a thread to finish or for `timeout` to pass; true if it finished.
    pub async fn join_timeout(&self, thread: JoinHandle, timeout: Duration) -> bool {
        let name = self.inner.name_of(thread.id);
        let deadline = self.now().saturating_add(nanos(timeout));
        self.point_until(Wait::Join(thread.id), "join", name, Some(deadline))
            .await;
        self.inner.slots.borrow()[thread.id.0 as usize].done
    }

    /// Sleeps `d` of virtual time; a sleep of zero lets others step first.
    pub async fn sleep(&self, d: Duration) {
        let until = self.now().saturating_add(nanos(d));
        self.point(Wait::Until(until), "sleep", Arc::from("")).await;
    }

    /// Computes for `d` of virtual time on a core: waits for a free core, holds it for `d`.
    /// Returns when it got the core.
    pub async fn compute(&self, d: Duration) -> Nanos {
        self.point(Wait::Core, "compute", Arc::from("")).await;
        let cores = &self.inner.busy_cores;
        cores.set(cores.get() + 1);
        let began = self.now();
        let until = began.saturating_add(nanos(d));
        self.point(Wait::Until(until), "computed", Arc::from(""))
            .await;
        cores.set(cores.get() - 1);
        began
    }

    /// How many virtual cores the run has.
    pub fn cores(&self) -> u32 {
        self.inner.limits.cores
    }

    /// Prints a line (a step: output is where a thread's order shows).
    pub async fn print(&self, line: impl Into<String>) {
        self.point(Wait::Go, "print", Arc::from("")).await;
        self.inner
            .output
            .borrow_mut()
            .push((self.now(), self.me, line.into()));
    }
}

pub(crate) fn nanos(d: Duration) -> Nanos {
    u64::try_from(d.as_nanos()).unwrap_or(u64::MAX)
}

fn noop_waker() -> Waker {
    const VTABLE: RawWakerVTable = RawWakerVTable::new(|_| RAW, |_| {}, |_| {}, |_| {});
    const RAW: RawWaker = RawWaker::new(std::ptr::null(), &VTABLE);
    // SAFETY: every function of the table ignores the data pointer, which is never read.
    unsafe { Waker::from_raw(RAW) }
}
