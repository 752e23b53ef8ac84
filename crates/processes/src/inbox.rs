//! Messages from child processes to the parent's code: a queue the parent reads, waiting in
//! slices like every wait of the thread toolkit.

use conlab_core::{LaneId, SpanState};
use conlab_traced_threads::{wait_in_slices, Aborted, ThreadCtx};
use parking_lot::{Condvar, Mutex};
use std::collections::VecDeque;
use std::sync::Arc;

/// A message a child sent.
#[derive(Debug, Clone)]
pub struct Received {
    /// The sender's index in its run.
    pub from: u32,
    /// The sender's lane.
    pub lane: LaneId,
    /// What it sent.
    pub bytes: Vec<u8>,
}

/// Where messages from children arrive. Several children may send to one inbox (the items of
/// an inter-process queue, the results of a pool's workers). Cheap to clone.
#[derive(Clone, Default)]
pub struct Inbox {
    shared: Arc<Shared>,
}

#[derive(Default)]
struct Shared {
    queue: Mutex<VecDeque<Received>>,
    ready: Condvar,
}

impl Inbox {
    /// An empty inbox.
    pub fn new() -> Inbox {
        Inbox::default()
    }

    pub(crate) fn push(&self, message: Received) {
        self.shared.queue.lock().push_back(message);
        self.shared.ready.notify_one();
    }

    /// The next message if one is there.
    pub fn try_recv(&self) -> Option<Received> {
        self.shared.queue.lock().pop_front()
    }

    /// Waits for the next message, recorded on `ctx`'s lane as `state` (`waiting_queue` for a
    /// queue's `get`); `what` is what the watchdog says it waits for.
    pub fn recv(&self, ctx: &ThreadCtx, state: SpanState, what: &str) -> Result<Received, Aborted> {
        if let Some(m) = self.try_recv() {
            return Ok(m);
        }
        let _wait = ctx.waiting(state, what.to_string(), None, false);
        wait_in_slices(ctx.watchdog(), |slice| {
            let mut queue = self.shared.queue.lock();
            if queue.is_empty() {
                self.shared.ready.wait_for(&mut queue, slice);
            }
            queue.pop_front()
        })
    }
}
