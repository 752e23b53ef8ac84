//! [`Thread`]: what a scenario's thread code holds, on either runtime.

use crate::scheduled::{SchedThread, Start};
use crate::Aborted;
use conlab_core::{LaneId, Nanos, Params, Site, SpanState, Text};
use std::future::Future;
use std::panic::Location;
use std::pin::Pin;
use std::rc::Rc;
use std::time::Duration;

/// The least virtual time a piece of work takes on the scheduler ([`Thread::work`]).
pub const LEAST_WORK: Duration = Duration::from_millis(1);

/// A thread scenario's code: its main thread's body.
pub type ThreadFn = fn(Thread) -> Pin<Box<dyn Future<Output = Result<(), Aborted>>>>;

/// One thread of a run, as its code sees it. Clones are the same thread.
#[derive(Clone)]
pub struct Thread {
    pub(crate) kind: Kind,
}

#[derive(Clone)]
pub(crate) enum Kind {
    #[cfg(feature = "native")]
    Os(conlab_traced_threads::ThreadCtx),
    Sched(Rc<SchedThread>),
}

/// A started thread, to join.
pub struct Handle {
    pub(crate) kind: HandleKind,
}

pub(crate) enum HandleKind {
    #[cfg(feature = "native")]
    Os(conlab_traced_threads::ThreadHandle),
    Sched {
        handle: conlab_sched::JoinHandle,
        name: String,
    },
}

impl Thread {
    /// Notes the line of the scenario's code this thread's operation is at.
    #[inline]
    pub(crate) fn at(&self, site: Site) {
        match &self.kind {
            #[cfg(feature = "native")]
            Kind::Os(c) => c.pin_site(site),
            Kind::Sched(s) => s.site.set(Some(site)),
        }
    }

    /// The run's parameters.
    pub fn params(&self) -> &Params {
        match &self.kind {
            #[cfg(feature = "native")]
            Kind::Os(c) => c.params(),
            Kind::Sched(s) => &s.run.params,
        }
    }

    /// Time since the run's start (virtual on the scheduler).
    pub fn now(&self) -> Nanos {
        match &self.kind {
            #[cfg(feature = "native")]
            Kind::Os(c) => c.now(),
            Kind::Sched(s) => s.ctx.now(),
        }
    }

    /// This thread's name.
    pub fn name(&self) -> String {
        match &self.kind {
            #[cfg(feature = "native")]
            Kind::Os(c) => c.name().to_string(),
            Kind::Sched(s) => s.ctx.name().to_string(),
        }
    }

    /// The name of the thread this code runs on, as the runtime knows it
    /// (`threading.current_thread().name`): natively the OS thread's own name.
    pub fn current_name(&self) -> String {
        match &self.kind {
            #[cfg(feature = "native")]
            Kind::Os(_) => std::thread::current().name().unwrap_or("?").to_string(),
            Kind::Sched(s) => s.ctx.name().to_string(),
        }
    }

    /// This thread's lane.
    pub fn lane(&self) -> LaneId {
        match &self.kind {
            #[cfg(feature = "native")]
            Kind::Os(c) => c.lane(),
            Kind::Sched(s) => s.lane,
        }
    }

    /// A Python-style name for the next thread: Thread-1, Thread-2, …
    pub fn next_thread_name(&self) -> String {
        match &self.kind {
            #[cfg(feature = "native")]
            Kind::Os(c) => c.next_thread_name(),
            Kind::Sched(s) => {
                let n = s.run.next_thread.get() + 1;
                s.run.next_thread.set(n);
                format!("Thread-{n}")
            }
        }
    }

    /// Prints a line (on the scheduler a step: output is where the order of threads shows).
    #[track_caller]
    pub fn print(&self, text: impl Into<Text>) -> impl Future<Output = ()> + '_ {
        self.at(Location::caller());
        let text: Text = text.into();
        async move {
            match &self.kind {
                #[cfg(feature = "native")]
                Kind::Os(c) => c.print(text),
                Kind::Sched(s) => {
                    s.step_print().await;
                    s.output(text);
                }
            }
        }
    }

    /// Records a point event on this thread.
    #[track_caller]
    pub fn mark(&self, name: &'static str, detail: impl Into<Text>) {
        self.at(Location::caller());
        match &self.kind {
            #[cfg(feature = "native")]
            Kind::Os(c) => c.mark(name, detail),
            Kind::Sched(s) => s.mark(name, detail.into()),
        }
    }

    /// Records a point event whose detail `detail` makes, only where the run keeps it (a
    /// search's run keeps only the marks its properties read): for a mark made in every step
    /// of a hot loop.
    #[track_caller]
    pub fn mark_with(&self, name: &'static str, detail: impl FnOnce() -> String) {
        self.at(Location::caller());
        match &self.kind {
            #[cfg(feature = "native")]
            Kind::Os(c) => c.mark(name, detail()),
            Kind::Sched(s) => {
                if s.keeps(name) {
                    s.mark(name, Text::from(detail()));
                }
            }
        }
    }

    /// Records a metric of the run (`key = value unit`), shown beside the timeline.
    pub fn metric(&self, key: &str, value: f64, unit: &str) {
        match &self.kind {
            #[cfg(feature = "native")]
            Kind::Os(c) => c.metric(key, value, unit),
            Kind::Sched(s) => s.metric(conlab_core::Metric {
                key: key.to_string(),
                value,
                unit: unit.to_string(),
            }),
        }
    }

    /// Begins phase `name` (natively also noting the machine's idle time).
    #[track_caller]
    pub fn phase_start(&self, name: &'static str) {
        self.at(Location::caller());
        match &self.kind {
            #[cfg(feature = "native")]
            Kind::Os(c) => c.phase_start(name),
            Kind::Sched(_) => self.mark(conlab_core::PHASE_START, name),
        }
    }

    /// Ends phase `name`.
    #[track_caller]
    pub fn phase_end(&self, name: &'static str) {
        self.at(Location::caller());
        match &self.kind {
            #[cfg(feature = "native")]
            Kind::Os(c) => c.phase_end(name),
            Kind::Sched(_) => self.mark(conlab_core::PHASE_END, name),
        }
    }

    /// Records a whole span on this thread, from `start` to now.
    #[track_caller]
    pub fn span(&self, state: SpanState, start: Nanos, label: impl Into<Text>) {
        self.at(Location::caller());
        match &self.kind {
            #[cfg(feature = "native")]
            Kind::Os(c) => c.span(state, start, label),
            Kind::Sched(s) => s.span(state, start, s.ctx.now(), label.into()),
        }
    }

    /// Sleeps `d` (`time.sleep`): virtual time on the scheduler, where it is a step.
    #[track_caller]
    pub fn sleep(&self, d: Duration) -> impl Future<Output = Result<(), Aborted>> + '_ {
        self.at(Location::caller());
        self.sleep_here(d)
    }

    /// [`Thread::sleep`], for an operation of this crate that noted its line already.
    pub(crate) async fn sleep_here(&self, d: Duration) -> Result<(), Aborted> {
        match &self.kind {
            #[cfg(feature = "native")]
            Kind::Os(c) => Ok(c.sleep(d)?),
            Kind::Sched(s) => {
                let _slept = s.spend(SpanState::Sleeping);
                s.ctx.sleep(d).await;
                Ok(())
            }
        }
    }

    /// A request to a slow server that answers after `d`, drawn as blocked on IO: natively a
    /// real request to the run's test server where it has one, else (and on the scheduler) a
    /// timer.
    #[track_caller]
    pub fn request(&self, d: Duration) -> impl Future<Output = Result<(), Aborted>> + '_ {
        self.at(Location::caller());
        self.request_here(d)
    }

    /// [`Thread::request`], for an operation of this crate that noted its line already.
    pub(crate) async fn request_here(&self, d: Duration) -> Result<(), Aborted> {
        match &self.kind {
            #[cfg(feature = "native")]
            Kind::Os(c) => Ok(c.request_as(SpanState::BlockedIo, d)?),
            Kind::Sched(s) => {
                let _waited = s.spend(SpanState::BlockedIo);
                s.ctx.sleep(d).await;
                Ok(())
            }
        }
    }

    /// How [`Thread::request`] waits in this run, in words: conlab's test server, or a timer.
    pub fn io_kind(&self) -> String {
        match &self.kind {
            #[cfg(feature = "native")]
            Kind::Os(c) => c.io_kind(),
            Kind::Sched(_) => conlab_core::SIMULATED_IO.to_string(),
        }
    }

    /// Works `d` (simulated: the thread sleeps, drawn as running), as a producer makes an item.
    /// On the scheduler, whose steps take no time, a piece of work takes at least
    /// [`LEAST_WORK`]: a producer that works no time at all would make items without end
    /// before virtual time could reach its deadline.
    #[track_caller]
    pub fn work(&self, d: Duration) -> impl Future<Output = Result<(), Aborted>> + '_ {
        self.at(Location::caller());
        async move {
            match &self.kind {
                #[cfg(feature = "native")]
                Kind::Os(c) => Ok(c.sleep_as(SpanState::Running, d)?),
                Kind::Sched(s) => {
                    let _worked = s.spend(SpanState::Running);
                    s.ctx.sleep(d.max(LEAST_WORK)).await;
                    Ok(())
                }
            }
        }
    }

    /// Runs a task of `d` (simulated: the thread sleeps), drawn as running under `label`, as a
    /// pool's worker runs what it was given. Unlike [`Thread::work`], a task may take no time.
    #[track_caller]
    pub fn task(
        &self,
        d: Duration,
        label: impl Into<Text>,
    ) -> impl Future<Output = Result<(), Aborted>> + '_ {
        self.at(Location::caller());
        let label = label.into();
        async move {
            match &self.kind {
                #[cfg(feature = "native")]
                Kind::Os(c) => {
                    c.begin(SpanState::Running, label);
                    let slept = c.sleep(d);
                    c.end();
                    Ok(slept?)
                }
                Kind::Sched(s) => {
                    let mut ran = s.spend(SpanState::Running);
                    ran.label = label;
                    s.ctx.sleep(d).await;
                    Ok(())
                }
            }
        }
    }

    /// Starts a thread running `body` (a step on the scheduler: others may run before it
    /// starts). Python's `threading.Thread(target=…).start()`.
    #[track_caller]
    pub fn spawn<F, Fut>(
        &self,
        name: String,
        body: F,
    ) -> impl Future<Output = Result<Handle, Aborted>> + '_
    where
        F: FnOnce(Thread) -> Fut + Send + 'static,
        Fut: Future<Output = Result<(), Aborted>> + 'static,
    {
        self.at(Location::caller());
        self.start(name, false, body)
    }

    /// Starts a daemon thread running `body` (`daemon=True`): nobody waits for it at the end,
    /// when it is cut off if it still runs.
    #[track_caller]
    pub fn spawn_daemon<F, Fut>(
        &self,
        name: String,
        body: F,
    ) -> impl Future<Output = Result<Handle, Aborted>> + '_
    where
        F: FnOnce(Thread) -> Fut + Send + 'static,
        Fut: Future<Output = Result<(), Aborted>> + 'static,
    {
        self.at(Location::caller());
        self.start(name, true, body)
    }

    async fn start<F, Fut>(&self, name: String, daemon: bool, body: F) -> Result<Handle, Aborted>
    where
        F: FnOnce(Thread) -> Fut + Send + 'static,
        Fut: Future<Output = Result<(), Aborted>> + 'static,
    {
        match &self.kind {
            #[cfg(feature = "native")]
            Kind::Os(c) => {
                let handle = if daemon {
                    c.spawn_daemon(name, on_os_thread(body))?
                } else {
                    c.spawn(name, on_os_thread(body))?
                };
                Ok(Handle {
                    kind: HandleKind::Os(handle),
                })
            }
            Kind::Sched(s) => {
                let how = if daemon { Start::Daemon } else { Start::Plain };
                Ok(s.spawn(name, how, body).await)
            }
        }
    }
}

/// A thread's code as an OS thread runs it: driven to its end by a `block_on` of its own.
#[cfg(feature = "native")]
pub(crate) fn on_os_thread<F, Fut>(
    body: F,
) -> impl FnOnce(&conlab_traced_threads::ThreadCtx) -> Result<(), conlab_traced_threads::Aborted>
       + Send
       + 'static
where
    F: FnOnce(Thread) -> Fut + Send + 'static,
    Fut: Future<Output = Result<(), Aborted>> + 'static,
{
    move |ctx| {
        let me = Thread {
            kind: Kind::Os(ctx.clone()),
        };
        crate::block_on(body(me)).map_err(|_| conlab_traced_threads::Aborted)
    }
}

impl Handle {
    /// Waits at most `timeout` for the thread to finish (`join(timeout)`), recorded as
    /// `waiting_join`; whether it finished.
    #[track_caller]
    pub fn join_timeout<'a>(
        &'a self,
        me: &'a Thread,
        timeout: Duration,
    ) -> impl Future<Output = Result<bool, Aborted>> + 'a {
        me.at(Location::caller());
        async move {
            match (&self.kind, &me.kind) {
                #[cfg(feature = "native")]
                (HandleKind::Os(h), Kind::Os(c)) => Ok(h.join_timeout(c, timeout)?),
                (HandleKind::Sched { handle, name }, Kind::Sched(s)) => {
                    Ok(s.join_timeout(*handle, name, timeout).await)
                }
                #[cfg(feature = "native")]
                _ => unreachable!("a thread joins threads of its own run"),
            }
        }
    }

    /// Waits for the thread to finish (`join()`), recorded as `waiting_join` while it waits.
    #[track_caller]
    pub fn join<'a>(&'a self, me: &'a Thread) -> impl Future<Output = Result<(), Aborted>> + 'a {
        me.at(Location::caller());
        async move {
            match (&self.kind, &me.kind) {
                #[cfg(feature = "native")]
                (HandleKind::Os(h), Kind::Os(c)) => Ok(h.join(c)?),
                (HandleKind::Sched { handle, name }, Kind::Sched(s)) => {
                    s.join(*handle, name).await;
                    Ok(())
                }
                #[cfg(feature = "native")]
                _ => unreachable!("a thread joins threads of its own run"),
            }
        }
    }
}
