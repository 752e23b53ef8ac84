//! [`Watch`]: threads watched for a deadlock of their own, which is a lesson rather than the
//! run's failure (rlock's plain lock taken twice, lock-order's locks taken in opposite orders).

#[cfg(feature = "native")]
use crate::thread::HandleKind;
use crate::thread::{Handle, Kind, Thread};
use crate::Aborted;
use conlab_core::{LaneId, Text};
use std::future::Future;
#[cfg(feature = "native")]
use std::sync::Arc;

/// How long watched threads' deadlock takes to be noticed on the scheduler: as long as the
/// native watchdog waits without progress before it calls one, so that the deadlock shows on
/// the timeline as the wait it is.
const NOTICED_AFTER: std::time::Duration = std::time::Duration::from_millis(150);

/// Threads watched for a deadlock of their own. When they deadlock they are cut off (their
/// waits give up, what they held is let go) and the thread that joins them goes on to report
/// it: natively a watchdog of their own notices that none of them has moved for a while; on
/// the scheduler it is the moment no thread can ever step again.
pub struct Watch {
    kind: WatchKind,
}

enum WatchKind {
    #[cfg(feature = "native")]
    Os(Arc<conlab_traced_threads::Watchdog>),
    Sched(conlab_sched::Group),
}

/// A deadlock of watched threads.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Deadlock {
    /// Who waited for what, held by whom: "Thread-1 waits for lock `a` held by Thread-2; …".
    pub words: String,
    /// Each wait for a thing another thread held, as (waiter, holder) lanes: what the
    /// timeline draws as the wait-for cycle.
    pub waits: Vec<(LaneId, LaneId)>,
}

impl Deadlock {
    /// Marks it on `me`'s lane, at the caller's line: one `waits_for` mark per wait ("waiter
    /// holder" lanes, drawn as an arrow), then the `deadlock` report.
    #[track_caller]
    pub fn mark(&self, me: &Thread) {
        for (waiter, holder) in &self.waits {
            me.mark("waits_for", Text::from(format!("{waiter} {holder}")));
        }
        me.mark("deadlock", Text::from(self.words.clone()));
    }
}

impl Watch {
    /// A new watch, named for the runtime's reports.
    pub fn new(me: &Thread, name: &str) -> Watch {
        let kind = match &me.kind {
            #[cfg(feature = "native")]
            Kind::Os(_) => WatchKind::Os(conlab_traced_threads::Watchdog::start(name)),
            Kind::Sched(s) => {
                let _ = name;
                WatchKind::Sched(s.ctx.group(NOTICED_AFTER))
            }
        };
        Watch { kind }
    }

    /// Starts a watched thread running `body` (as [`Thread::spawn`]).
    #[track_caller]
    pub fn spawn<'a, F, Fut>(
        &'a self,
        me: &'a Thread,
        name: String,
        body: F,
    ) -> impl Future<Output = Result<Handle, Aborted>> + 'a
    where
        F: FnOnce(Thread) -> Fut + Send + 'static,
        Fut: Future<Output = Result<(), Aborted>> + 'static,
    {
        me.at(std::panic::Location::caller());
        async move { self.spawn_here(me, name, body).await }
    }

    async fn spawn_here<F, Fut>(
        &self,
        me: &Thread,
        name: String,
        body: F,
    ) -> Result<Handle, Aborted>
    where
        F: FnOnce(Thread) -> Fut + Send + 'static,
        Fut: Future<Output = Result<(), Aborted>> + 'static,
    {
        match (&self.kind, &me.kind) {
            #[cfg(feature = "native")]
            (WatchKind::Os(dog), Kind::Os(c)) => {
                let handle =
                    c.spawn_watched(name, dog.clone(), crate::thread::on_os_thread(body))?;
                Ok(Handle {
                    kind: HandleKind::Os(handle),
                })
            }
            (WatchKind::Sched(group), Kind::Sched(s)) => Ok(s
                .spawn(name, crate::scheduled::Start::In(*group), body)
                .await),
            #[cfg(feature = "native")]
            _ => unreachable!("a watch is used by threads of its own run"),
        }
    }

    /// Stops watching (natively, the watchdog's thread), once the watched threads were joined.
    pub fn stop(&self) {
        #[cfg(feature = "native")]
        if let WatchKind::Os(dog) = &self.kind {
            dog.stop();
        }
    }

    /// The watched threads' deadlock, if they deadlocked. `me` is a thread of the run.
    pub fn deadlock(&self, me: &Thread) -> Option<Deadlock> {
        match (&self.kind, &me.kind) {
            #[cfg(feature = "native")]
            (WatchKind::Os(dog), _) => Some(Deadlock {
                words: dog.deadlock()?,
                waits: dog.deadlock_waits(),
            }),
            (WatchKind::Sched(group), Kind::Sched(s)) => {
                let stuck = s.ctx.deadlock_of(*group)?;
                let lane = |id: conlab_sched::ThreadId| s.run.lane_of_thread(id);
                let words = stuck
                    .iter()
                    .map(|st| {
                        // Said as the native watchdog says it.
                        let held = match st.on {
                            Some(h) if h == st.thread => " held by itself".to_string(),
                            Some(h) if st.waits_for.starts_with("lock ") => {
                                format!(" held by {}", s.ctx.name_of(h))
                            }
                            _ => String::new(),
                        };
                        format!("{} waits for {}{held}", st.name, st.waits_for)
                    })
                    .collect::<Vec<_>>()
                    .join("; ");
                let waits = stuck
                    .iter()
                    .filter_map(|st| Some((lane(st.thread)?, lane(st.on?)?)))
                    .collect();
                Some(Deadlock { words, waits })
            }
            #[cfg(feature = "native")]
            _ => unreachable!("a watch is read by threads of its own run"),
        }
    }
}
