//! Child processes, as `multiprocessing.Process` starts them, written once: natively a worker
//! process (conlab's own executable again) runs the scenario's child code, reporting on the
//! run's clock; on the scheduler the child is a thread on a lane of kind process, with a
//! PID of its own, whose code shares nothing with its parent's but what it was handed (its
//! argument, a queue) and keeps its globals apart from every other process's.

use crate::cpu::Cpu;
#[cfg(feature = "native")]
use crate::cpu::CpuKind;
use crate::manager::{Connection, DictAddress, SharedDict};
use crate::scheduled::{SchedThread, Start};
use crate::thread::{HandleKind, Kind};
use crate::{Aborted, Thread};
use conlab_core::{LaneKind, Nanos, SpanState, Text};
use std::any::Any;
use std::cell::RefCell;
use std::future::Future;
use std::panic::Location;
use std::pin::Pin;
use std::rc::Rc;
use std::sync::Arc;
use std::time::Duration;

/// A child process's code: what it does with what it was handed ([`Child::arg`]).
pub type ChildBody = fn(Child) -> Pin<Box<dyn Future<Output = Result<(), Aborted>>>>;

/// The PID the scheduler gives the main process; its children count on from it.
pub const VIRTUAL_PARENT_PID: u32 = 1000;

/// What to start: a child's code and what it is handed (`Process(target=…, args=…)`).
pub struct ProcessSpec {
    body: ChildBody,
    arg: String,
    name: Option<String>,
    daemon: bool,
    queue: Option<ProcessQueue>,
    lock: Option<ProcessLock>,
    dict: Option<SharedDict>,
}

impl ProcessSpec {
    /// A child running `body`. Natively `body` must be what the scenario's `child` runs
    /// ([`run_child`]).
    pub fn new(body: ChildBody) -> ProcessSpec {
        ProcessSpec {
            body,
            arg: String::new(),
            name: None,
            daemon: false,
            queue: None,
            lock: None,
            dict: None,
        }
    }

    /// The value it is handed.
    pub fn arg(mut self, arg: impl Into<String>) -> ProcessSpec {
        self.arg = arg.into();
        self
    }

    /// Its name (`Process-<n>` by default, counting from 1).
    pub fn name(mut self, name: impl Into<String>) -> ProcessSpec {
        self.name = Some(name.into());
        self
    }

    /// A daemon (`daemon=True`): ended when the parent's code is done, if it still runs.
    pub fn daemon(mut self, daemon: bool) -> ProcessSpec {
        self.daemon = daemon;
        self
    }

    /// The queue it may put on ([`Child::put`]).
    pub fn queue(mut self, queue: &ProcessQueue) -> ProcessSpec {
        self.queue = Some(queue.clone());
        self
    }

    /// The lock it may take ([`Child::with_lock`]).
    pub fn lock(mut self, lock: &ProcessLock) -> ProcessSpec {
        self.lock = Some(lock.clone());
        self
    }

    /// The manager's dict it may update ([`Child::dict_set`]).
    pub fn dict(mut self, dict: &SharedDict) -> ProcessSpec {
        self.dict = Some(dict.clone());
        self
    }
}

/// A run's child processes. Natively, none outlives this value: dropping it ends them.
pub struct Processes {
    pub(crate) kind: ProcessesKind,
    /// Natively, the calibration children are handed (on the scheduler work needs none).
    #[cfg_attr(not(feature = "native"), allow(dead_code))]
    cpu: Option<Cpu>,
    /// Python's names: Process-1, Process-2, …
    next: std::cell::Cell<u32>,
    /// On the scheduler, processes started (a manager's too), which number their PIDs.
    pids: std::cell::Cell<u32>,
}

pub(crate) enum ProcessesKind {
    #[cfg(feature = "native")]
    Os(conlab_processes::Processes),
    Sched,
}

/// A started child, to join.
pub struct ProcessHandle {
    kind: ProcessHandleKind,
    pid: u32,
}

enum ProcessHandleKind {
    #[cfg(feature = "native")]
    Os(conlab_processes::Process),
    Sched {
        thread: crate::Handle,
        /// What the parent sends it ([`ProcessHandle::send`]).
        inbox: Inbox,
        /// How it ended, once it has: "exited with code 0".
        ended: Rc<RefCell<String>>,
    },
}

/// A scheduled child's messages from its parent.
type Inbox = Arc<conlab_sched::Queue<String>>;

/// Under what name a native child finds the lock it was handed.
#[cfg(feature = "native")]
const LOCK_KEY: &str = "lock";

/// A native child's dict address when it was handed none.
#[cfg(feature = "native")]
const NO_DICT: &str = "-";

impl Processes {
    /// The children of the run `me` belongs to.
    pub fn new(me: &Thread) -> Processes {
        let kind = match &me.kind {
            #[cfg(feature = "native")]
            Kind::Os(c) => ProcessesKind::Os(conlab_processes::Processes::new(c)),
            Kind::Sched(_) => ProcessesKind::Sched,
        };
        Processes {
            kind,
            cpu: None,
            next: std::cell::Cell::new(0),
            pids: std::cell::Cell::new(0),
        }
    }

    /// The number of the next process started on the scheduler, from 1.
    pub(crate) fn next_pid(&self) -> u32 {
        let n = self.pids.get() + 1;
        self.pids.set(n);
        n
    }

    /// Children that compute with `cpu` ([`Child::compute`]; natively handed its
    /// calibration, so they need not calibrate again).
    pub fn computing(mut self, cpu: &Cpu) -> Processes {
        self.cpu = Some(*cpu);
        self
    }

    /// Starts a child process (`Process(…).start()`).
    #[track_caller]
    pub fn start<'a>(
        &'a self,
        me: &'a Thread,
        spec: ProcessSpec,
    ) -> impl Future<Output = Result<ProcessHandle, Aborted>> + 'a {
        let site = Location::caller();
        me.at(site);
        let n = self.next.get() + 1;
        self.next.set(n);
        let name = spec.name.clone().unwrap_or_else(|| format!("Process-{n}"));
        async move {
            match (&self.kind, &me.kind) {
                #[cfg(feature = "native")]
                (ProcessesKind::Os(procs), Kind::Os(c)) => {
                    let per_ms = self.cpu.map_or(0.0, |cpu| cpu.per_ms());
                    let dict = match spec.dict.as_ref().map(|d| d.address()) {
                        Some(DictAddress::Os(address)) => address,
                        _ => NO_DICT.into(),
                    };
                    let mut spawn = conlab_processes::Spawn::new("worker")
                        .name(name)
                        .arg(format!("{per_ms} {dict} {}", spec.arg))
                        .at(site);
                    if spec.daemon {
                        spawn = spawn.daemon();
                    }
                    if let Some(ProcessQueue {
                        kind: QueueKind::Os(inbox),
                    }) = &spec.queue
                    {
                        spawn = spawn.inbox(inbox);
                    }
                    if let Some(ProcessLock {
                        kind: LockKind::Os(lock),
                    }) = &spec.lock
                    {
                        spawn = spawn.share(LOCK_KEY, &**lock);
                    }
                    let child = procs.spawn(c, spawn)?;
                    Ok(ProcessHandle {
                        pid: child.pid() as u32,
                        kind: ProcessHandleKind::Os(child),
                    })
                }
                (ProcessesKind::Sched, Kind::Sched(s)) => {
                    let pid = VIRTUAL_PARENT_PID + self.next_pid();
                    let name_again = name.clone();
                    let inbox: Inbox = Arc::new(conlab_sched::Queue::new("messages", None));
                    let messages = inbox.clone();
                    let ended = Rc::new(RefCell::new(String::new()));
                    let exit = ended.clone();
                    let run = move |me: Thread| async move {
                        let Kind::Sched(s) = &me.kind else {
                            unreachable!("a scheduled child runs on the scheduler")
                        };
                        let child = Child {
                            kind: ChildKind::Sched(s.clone()),
                            arg: spec.arg.into(),
                            name: name_again.into(),
                            pid,
                            #[cfg(feature = "native")]
                            cpu: None,
                            queue: spec.queue,
                            lock: spec.lock,
                            inbox: Some(messages),
                            globals: RefCell::new(Vec::new()),
                            dict: spec.dict.map(|d| d.address()),
                            connection: RefCell::new(None),
                        };
                        let result = (spec.body)(child).await;
                        let code = if result.is_ok() { 0 } else { 1 };
                        *exit.borrow_mut() = format!("exited with code {code}");
                        s.mark("exit", Text::from(exit.borrow().clone()));
                        result
                    };
                    let how = if spec.daemon {
                        Start::Daemon
                    } else {
                        Start::Plain
                    };
                    let lane = format!("{name} (pid {pid})");
                    let thread = s.spawn_as(lane, how, LaneKind::Process, run).await;
                    Ok(ProcessHandle {
                        pid,
                        kind: ProcessHandleKind::Sched {
                            thread,
                            inbox,
                            ended,
                        },
                    })
                }
                #[cfg(feature = "native")]
                _ => unreachable!("processes belong to one run"),
            }
        }
    }
}

impl ProcessHandle {
    /// Its PID (on the scheduler, one the scheduler gave it).
    pub fn pid(&self) -> u32 {
        self.pid
    }

    /// Waits for the child to exit (`join()`), drawn as waiting for it; how it ended, in
    /// words ("exited with code 0").
    #[track_caller]
    pub fn join<'a>(
        &'a self,
        me: &'a Thread,
    ) -> impl Future<Output = Result<String, Aborted>> + 'a {
        me.at(Location::caller());
        async move {
            match (&self.kind, &me.kind) {
                #[cfg(feature = "native")]
                (ProcessHandleKind::Os(p), Kind::Os(c)) => Ok(p.join(c)?.to_string()),
                (ProcessHandleKind::Sched { thread, ended, .. }, Kind::Sched(s)) => {
                    let HandleKind::Sched { handle, name } = &thread.kind else {
                        unreachable!("a scheduled child has a scheduled handle")
                    };
                    s.join(*handle, name).await;
                    // A child cut off (a daemon at the run's end) never said how it ended.
                    Ok(match ended.borrow().as_str() {
                        "" => "was ended by its parent".to_string(),
                        how => how.to_string(),
                    })
                }
                #[cfg(feature = "native")]
                _ => unreachable!("a process is joined by its own run"),
            }
        }
    }
}

impl ProcessHandle {
    /// Sends the child a message (a step on the scheduler), which it takes with
    /// [`Child::recv`].
    #[track_caller]
    pub fn send<'a>(&'a self, me: &'a Thread, text: &'a str) -> impl Future<Output = ()> + 'a {
        me.at(Location::caller());
        async move {
            match (&self.kind, &me.kind) {
                #[cfg(feature = "native")]
                (ProcessHandleKind::Os(p), Kind::Os(_)) => {
                    p.send(text.as_bytes());
                }
                (ProcessHandleKind::Sched { inbox, .. }, Kind::Sched(s)) => {
                    inbox.put(&s.ctx, text.to_string()).await;
                    s.ctx.placed_here();
                }
                #[cfg(feature = "native")]
                _ => unreachable!("a process is told by its own run"),
            }
        }
    }
}

/// A lock processes share (`multiprocessing.Lock`): natively a semaphore in shared memory
/// handed to each child, on the scheduler a lock whose every acquire and release is a step.
/// Clones are the same lock.
#[derive(Clone)]
pub struct ProcessLock {
    kind: LockKind,
}

#[derive(Clone)]
enum LockKind {
    #[cfg(feature = "native")]
    Os(Arc<conlab_processes::ProcessLock>),
    Sched(crate::Lock),
}

impl ProcessLock {
    /// A lock of the run `me` belongs to, named as waits for it say (`the shared lock`);
    /// natively fails the run, with the reason, when shared memory cannot be had.
    pub fn new(me: &Thread, name: &'static str) -> Result<ProcessLock, Aborted> {
        let kind = match &me.kind {
            #[cfg(feature = "native")]
            Kind::Os(c) => {
                let lock = conlab_processes::ProcessLock::new(name)
                    .map_err(|e| c.fail(format!("could not make a lock in shared memory: {e}")))?;
                LockKind::Os(Arc::new(lock))
            }
            Kind::Sched(_) => LockKind::Sched(crate::Lock::new(me, name)),
        };
        Ok(ProcessLock { kind })
    }
}

/// A queue children put on and the parent gets from (`multiprocessing.Queue`): natively the
/// children's channels to the parent, on the scheduler a queue whose every put and get is a
/// step. Clones are the same queue.
#[derive(Clone)]
pub struct ProcessQueue {
    kind: QueueKind,
}

#[derive(Clone)]
enum QueueKind {
    #[cfg(feature = "native")]
    Os(conlab_processes::Inbox),
    Sched(Arc<conlab_sched::Queue<String>>),
}

impl ProcessQueue {
    /// A queue of the run `me` belongs to.
    pub fn new(me: &Thread, name: &'static str) -> ProcessQueue {
        let kind = match &me.kind {
            #[cfg(feature = "native")]
            Kind::Os(_) => QueueKind::Os(conlab_processes::Inbox::new()),
            Kind::Sched(_) => QueueKind::Sched(Arc::new(conlab_sched::Queue::new(name, None))),
        };
        ProcessQueue { kind }
    }

    /// Takes the oldest item, waiting (drawn as `waiting_queue`) while the queue is empty.
    #[track_caller]
    pub fn get<'a>(&'a self, me: &'a Thread) -> impl Future<Output = Result<String, Aborted>> + 'a {
        me.at(Location::caller());
        async move {
            match (&self.kind, &me.kind) {
                #[cfg(feature = "native")]
                (QueueKind::Os(inbox), Kind::Os(c)) => {
                    let got = inbox.recv(c, SpanState::WaitingQueue, "an item on the queue")?;
                    Ok(String::from_utf8_lossy(&got.bytes).into_owned())
                }
                (QueueKind::Sched(q), Kind::Sched(s)) => {
                    let waiting = s.begin_wait(SpanState::WaitingQueue);
                    let got = q.get(&s.ctx).await;
                    waiting.end(false, || Text::None);
                    Ok(got.map(|(item, _)| item).unwrap_or_default())
                }
                #[cfg(feature = "native")]
                _ => unreachable!("a queue belongs to one run"),
            }
        }
    }
}

/// A child process, as its own code sees it.
pub struct Child {
    pub(crate) kind: ChildKind,
    arg: Rc<str>,
    pub(crate) name: Rc<str>,
    pid: u32,
    /// Natively, the calibration its parent handed it.
    #[cfg(feature = "native")]
    cpu: Option<Cpu>,
    queue: Option<ProcessQueue>,
    lock: Option<ProcessLock>,
    /// On the scheduler, its messages from the parent.
    inbox: Option<Inbox>,
    /// This process's module globals, by name ([`Child::global`]).
    globals: RefCell<Vec<(&'static str, Rc<dyn Any>)>>,
    /// The manager's dict it was handed ([`Child::dict_set`]), and its connection to it.
    pub(crate) dict: Option<DictAddress>,
    pub(crate) connection: RefCell<Option<Connection>>,
}

pub(crate) enum ChildKind {
    #[cfg(feature = "native")]
    Os(conlab_processes::ProcessCtx),
    Sched(Rc<SchedThread>),
}

impl Child {
    /// The value its parent handed it.
    pub fn arg(&self) -> &str {
        &self.arg
    }

    /// The run's parameters.
    pub fn params(&self) -> &conlab_core::Params {
        match &self.kind {
            #[cfg(feature = "native")]
            ChildKind::Os(c) => c.params(),
            ChildKind::Sched(s) => &s.run.params,
        }
    }

    /// Its name (`multiprocessing.current_process().name`).
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Its PID (`os.getpid()`; on the scheduler, one the scheduler gave it).
    pub fn pid(&self) -> u32 {
        self.pid
    }

    /// A global of this process named `name` (a module-level variable), made with `first`
    /// the first time this process uses it. Each process has its own, as each has its own
    /// memory: natively because it is another OS process, on the scheduler because its
    /// globals live here.
    pub fn global<T: 'static>(
        &self,
        name: &'static str,
        first: impl FnOnce() -> T,
    ) -> Rc<RefCell<T>> {
        let mut globals = self.globals.borrow_mut();
        if let Some((_, g)) = globals.iter().find(|(n, _)| *n == name) {
            if let Ok(g) = g.clone().downcast::<RefCell<T>>() {
                return g;
            }
        }
        let g = Rc::new(RefCell::new(first()));
        globals.push((name, g.clone()));
        g
    }

    /// Prints a line (on the scheduler a step).
    #[track_caller]
    pub fn print(&self, text: impl Into<String>) -> impl Future<Output = ()> + '_ {
        let site = Location::caller();
        let text: String = text.into();
        async move {
            match &self.kind {
                #[cfg(feature = "native")]
                ChildKind::Os(c) => c.print(text),
                ChildKind::Sched(s) => {
                    s.site.set(Some(site));
                    s.step_print().await;
                    s.output(Text::from(text));
                }
            }
        }
    }

    /// Time since the run's start (virtual on the scheduler).
    pub fn now(&self) -> Nanos {
        match &self.kind {
            #[cfg(feature = "native")]
            ChildKind::Os(c) => c.now(),
            ChildKind::Sched(s) => s.ctx.now(),
        }
    }

    /// Records a whole span on this process, from `start` to now (a pool's chunk of tasks).
    #[track_caller]
    pub fn span(&self, state: SpanState, start: Nanos, label: impl Into<String>) {
        let label: String = label.into();
        match &self.kind {
            #[cfg(feature = "native")]
            ChildKind::Os(c) => c.span(state, start, label),
            ChildKind::Sched(s) => {
                s.site.set(Some(Location::caller()));
                s.span(state, start, s.ctx.now(), Text::from(label));
            }
        }
    }

    /// Records a point event on this process.
    pub fn mark(&self, name: &'static str, detail: impl Into<String>) {
        match &self.kind {
            #[cfg(feature = "native")]
            ChildKind::Os(c) => c.mark(name, detail),
            ChildKind::Sched(s) => s.mark(name, Text::from(detail.into())),
        }
    }

    /// Sleeps `d` (`time.sleep`).
    #[track_caller]
    pub fn sleep(&self, d: Duration) -> impl Future<Output = Result<(), Aborted>> + '_ {
        let site = Location::caller();
        async move {
            match &self.kind {
                #[cfg(feature = "native")]
                ChildKind::Os(c) => Ok(c.sleep(d)?),
                ChildKind::Sched(s) => {
                    s.site.set(Some(site));
                    let _slept = s.spend(SpanState::Sleeping);
                    s.ctx.sleep(d).await;
                    Ok(())
                }
            }
        }
    }

    /// Puts `item` on the queue it was handed (a step on the scheduler).
    #[track_caller]
    pub fn put(&self, item: impl Into<String>) -> impl Future<Output = ()> + '_ {
        let site = Location::caller();
        let item: String = item.into();
        async move {
            match (&self.kind, self.queue.as_ref().map(|q| &q.kind)) {
                #[cfg(feature = "native")]
                (ChildKind::Os(c), _) => c.send_message(item.as_bytes()),
                (ChildKind::Sched(s), Some(QueueKind::Sched(q))) => {
                    s.site.set(Some(site));
                    q.put(&s.ctx, item).await;
                    s.ctx.placed_here();
                }
                (ChildKind::Sched(_), _) => {
                    debug_assert!(false, "a child puts only on a queue it was handed")
                }
            }
        }
    }

    /// Waits for the next message from its parent ([`ProcessHandle::send`]), drawn as
    /// `state` (`label`).
    #[track_caller]
    pub fn recv<'a>(
        &'a self,
        state: SpanState,
        label: &'static str,
    ) -> impl Future<Output = Result<String, Aborted>> + 'a {
        let site = Location::caller();
        async move {
            match (&self.kind, &self.inbox) {
                #[cfg(feature = "native")]
                (ChildKind::Os(c), _) => {
                    let got = c.recv(state, label)?;
                    Ok(String::from_utf8_lossy(&got).into_owned())
                }
                (ChildKind::Sched(s), Some(inbox)) => {
                    s.site.set(Some(site));
                    let waiting = s.begin_wait(state);
                    let got = inbox.get(&s.ctx).await;
                    waiting.end(false, || Text::Static(label));
                    Ok(got.map(|(m, _)| m).unwrap_or_default())
                }
                (ChildKind::Sched(_), None) => unreachable!("a scheduled child has an inbox"),
            }
        }
    }

    /// Runs `section` holding the lock it was handed (`with lock:`), waiting for it while
    /// another process holds it; drawn as waiting for and holding the lock.
    #[track_caller]
    pub fn with_lock<'a, F, Fut, T>(
        &'a self,
        section: F,
    ) -> impl Future<Output = Result<T, Aborted>> + 'a
    where
        F: FnOnce() -> Fut + 'a,
        Fut: Future<Output = Result<T, Aborted>> + 'a,
    {
        let site = Location::caller();
        async move {
            match (&self.kind, self.lock.as_ref().map(|l| &l.kind)) {
                #[cfg(feature = "native")]
                (ChildKind::Os(c), _) => {
                    let lock = conlab_processes::ProcessLock::open(c, LOCK_KEY)
                        .map_err(|e| c.fail(format!("the shared lock could not be opened: {e}")))?;
                    let guard = lock.acquire(c)?;
                    let done = section().await;
                    drop(guard);
                    done
                }
                (ChildKind::Sched(s), Some(LockKind::Sched(lock))) => {
                    s.site.set(Some(site));
                    let me = Thread {
                        kind: Kind::Sched(s.clone()),
                    };
                    let held = lock.acquire_here(&me).await?;
                    let done = section().await;
                    let release = held.release();
                    s.site.set(Some(site));
                    release.await;
                    done
                }
                #[cfg(feature = "native")]
                (ChildKind::Sched(_), _) => unreachable!("a child takes only a lock it was handed"),
                #[cfg(not(feature = "native"))]
                (ChildKind::Sched(_), None) => {
                    unreachable!("a child takes only a lock it was handed")
                }
            }
        }
    }

    /// Computes `d` of single-core work (a process has its own interpreter and GIL, so
    /// nobody else's GIL stops it), drawn as computing, with a `cpu_time` mark of the CPU
    /// time it got, which it returns.
    pub async fn compute(&self, d: Duration) -> Result<Nanos, Aborted> {
        match &self.kind {
            #[cfg(feature = "native")]
            ChildKind::Os(c) => {
                let work = match self.cpu.map(|cpu| cpu.kind()) {
                    Some(CpuKind::Os(work)) => work,
                    _ => conlab_traced_threads::Work::calibrate(),
                };
                let cpu = conlab_native::thread_cpu_ns();
                c.compute(&work, d)?;
                Ok(conlab_native::thread_cpu_ns().saturating_sub(cpu))
            }
            ChildKind::Sched(s) => Ok(crate::cpu::on_a_core(s, d).await),
        }
    }
}

/// Runs a child process's code natively: the scenario's `child` is
/// `|ctx| conlab_threads::run_child(ctx, body)`, with the `body` its parent starts.
#[cfg(feature = "native")]
pub fn run_child(
    ctx: &conlab_processes::ProcessCtx,
    body: ChildBody,
) -> Result<(), conlab_traced_threads::Aborted> {
    if ctx.role() == crate::manager::os::MANAGER_ROLE {
        return crate::manager::os::serve_manager(ctx);
    }
    // What its parent's start wrote: its calibration, its dict's address, its argument.
    let mut fields = ctx.arg().splitn(3, ' ');
    let per_ms: f64 = fields.next().unwrap_or("0").parse().unwrap_or(0.0);
    let dict = fields.next().filter(|d| *d != NO_DICT);
    let arg = fields.next().unwrap_or("");
    let child = Child {
        kind: ChildKind::Os(ctx.clone()),
        arg: arg.into(),
        name: ctx.name().into(),
        pid: ctx.pid(),
        cpu: (per_ms > 0.0).then(|| Cpu::from_per_ms(per_ms)),
        queue: None,
        lock: None,
        inbox: None,
        globals: RefCell::new(Vec::new()),
        dict: dict.map(|d| DictAddress::Os(d.into())),
        connection: RefCell::new(None),
    };
    crate::block_on(body(child)).map_err(|_| conlab_traced_threads::Aborted)
}
