//! [`Queue`]: a thread-safe FIFO queue (`queue.Queue`) on either runtime.

use crate::thread::{Kind, Thread};
use crate::Aborted;
use conlab_core::{SpanState, Text};
use std::future::Future;
use std::panic::Location;
#[cfg(feature = "native")]
use std::sync::Arc;

/// A queue between threads, bounded when its capacity is above 0. Clones are the same queue.
pub struct Queue<T> {
    kind: QueueKind<T>,
}

enum QueueKind<T> {
    #[cfg(feature = "native")]
    Os(Arc<conlab_traced_threads::Queue<T>>),
    Sched(std::sync::Arc<conlab_sched::Queue<T>>),
}

impl<T> Clone for Queue<T> {
    fn clone(&self) -> Self {
        let kind = match &self.kind {
            #[cfg(feature = "native")]
            QueueKind::Os(q) => QueueKind::Os(q.clone()),
            QueueKind::Sched(q) => QueueKind::Sched(q.clone()),
        };
        Queue { kind }
    }
}

impl<T> Queue<T> {
    /// A queue of the run `me` belongs to, holding at most `capacity` items (0: unbounded).
    pub fn new(me: &Thread, name: &'static str, capacity: usize) -> Queue<T> {
        let kind = match &me.kind {
            #[cfg(feature = "native")]
            Kind::Os(_) => {
                QueueKind::Os(Arc::new(conlab_traced_threads::Queue::new(name, capacity)))
            }
            Kind::Sched(_) => QueueKind::Sched(std::sync::Arc::new(conlab_sched::Queue::new(
                name,
                (capacity > 0).then_some(capacity),
            ))),
        };
        Queue { kind }
    }

    /// Puts an item, waiting (recorded as `waiting_queue`) while the queue is full; marks the
    /// queue's length after it (`queue_len`).
    #[track_caller]
    pub fn put<'a>(
        &'a self,
        me: &'a Thread,
        item: T,
    ) -> impl Future<Output = Result<(), Aborted>> + 'a
    where
        T: 'a,
    {
        me.at(Location::caller());
        async move {
            match (&self.kind, &me.kind) {
                #[cfg(feature = "native")]
                (QueueKind::Os(q), Kind::Os(c)) => {
                    q.put(c, item).map(|_| ()).map_err(Aborted::from)
                }
                (QueueKind::Sched(q), Kind::Sched(s)) => {
                    let waiting = s.begin_wait(SpanState::WaitingQueue);
                    let len = q.put(&s.ctx, item).await;
                    waiting.end(false, || Text::None);
                    s.mark("queue_len", Text::from(len.to_string()));
                    s.ctx.placed_here();
                    Ok(())
                }
                #[cfg(feature = "native")]
                _ => unreachable!("a queue is used by threads of its own run"),
            }
        }
    }

    /// Takes the oldest item, waiting (recorded as `waiting_queue`) while the queue is empty;
    /// `None` once it is closed and empty.
    #[track_caller]
    pub fn get<'a>(
        &'a self,
        me: &'a Thread,
    ) -> impl Future<Output = Result<Option<T>, Aborted>> + 'a {
        me.at(Location::caller());
        async move {
            match (&self.kind, &me.kind) {
                #[cfg(feature = "native")]
                (QueueKind::Os(q), Kind::Os(c)) => Ok(q.get(c)?),
                (QueueKind::Sched(q), Kind::Sched(s)) => {
                    let waiting = s.begin_wait(SpanState::WaitingQueue);
                    let got = q.get(&s.ctx).await;
                    waiting.end(false, || Text::None);
                    if let Some((_, len)) = &got {
                        s.mark("queue_len", Text::from(len.to_string()));
                    }
                    s.ctx.placed_here();
                    Ok(got.map(|(item, _)| item))
                }
                #[cfg(feature = "native")]
                _ => unreachable!("a queue is used by threads of its own run"),
            }
        }
    }

    /// Closes the queue: getters take what is left, then get `None`. Not a step.
    pub fn close(&self) {
        match &self.kind {
            #[cfg(feature = "native")]
            QueueKind::Os(q) => q.close(),
            QueueKind::Sched(q) => q.close(),
        }
    }

    /// Takes everything left. Not a step.
    pub fn drain(&self) -> Vec<T> {
        match &self.kind {
            #[cfg(feature = "native")]
            QueueKind::Os(q) => q.drain(),
            QueueKind::Sched(q) => q.drain(),
        }
    }
}
