//! Native runs through the queue: recorded and enqueued for `conlab worker`s, listed here as
//! queued, followed in the record (every [`FOLLOW_EVERY`]) until they end, and then kept in the
//! store as a local run is. While one runs, its live view is rebuilt from the events its
//! worker publishes in Redis (`relay.rs`: the last snapshot, then the deltas after it), so the
//! page's stream, the list and `GET /api/runs/<id>/trace` see no difference from a run of
//! this machine but the follow's delay (a quarter of a second to see it start).

use super::{Busy, Entry, Live, Runs};
use crate::relay;
use crate::start::Prepared;
use conlab_core::{Status, Trace};
use conlab_queue::{Job, QueueError, RunRow, RunStatus};
use conlab_wire::{RunState, RunSummary};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::watch;

/// How often the record is read for the runs this server enqueued.
const FOLLOW_EVERY: Duration = Duration::from_millis(250);

/// How often the server looks whether Redis lost the queue (and then re-enqueues).
const RECOVER_EVERY: Duration = Duration::from_secs(2);

/// Why a run was not enqueued.
pub enum Refused {
    /// The queue is full (429 with Retry-After).
    Busy(Busy),
    /// A server of the queue did not take it (503).
    Unavailable(String),
}

impl Runs {
    /// Whether native runs go through a queue.
    pub fn has_queue(&self) -> bool {
        self.queue.is_some()
    }

    /// Records and enqueues a native run for the workers.
    pub async fn submit_remote(
        self: &Arc<Self>,
        prepared: Prepared,
    ) -> Result<RunSummary, Refused> {
        let Some(queue) = self.queue.clone() else {
            return Err(Refused::Unavailable("this server has no queue".into()));
        };
        let id = self.new_id();
        let job = Job {
            run: id.clone(),
            scenario: prepared.info.id.to_string(),
            params: prepared.params.to_map(),
        };
        match queue.enqueue(&job).await {
            Ok(_) => {}
            Err(e) => {
                return Err(match e {
                    QueueError::Full { retry_after, .. } => Refused::Busy(Busy {
                        retry_after,
                        message: e.to_string(),
                    }),
                    e => Refused::Unavailable(format!("the run was not enqueued: {e}")),
                })
            }
        }
        let summary = prepared.summary(&id, RunState::Queued);
        eprintln!(
            "conlab serve: run {id} enqueued: {} {}",
            summary.scenario,
            super::params_line(&summary)
        );
        self.book.lock().push(Entry {
            summary: summary.clone(),
            remote: true,
            prepared: Some(prepared),
            live: None,
            started: None,
            expected: Duration::ZERO,
            stop_asked: false,
        });
        Ok(summary)
    }

    /// Asks the worker running `id` to stop it (it looks every `conlab_queue::STOP_POLL`); a
    /// queued one ends stopped in the record at once, and here at the next follow.
    pub(super) fn ask_remote_stop(self: &Arc<Self>, id: &str) {
        let Some(queue) = self.queue.clone() else {
            return;
        };
        let id = id.to_string();
        self.handle.spawn(async move {
            if let Err(e) = queue.record().ask_stop(&id).await {
                eprintln!("conlab serve: could not ask run {id} to stop: {e}");
            }
        });
    }

    /// A live view of run `id`, running on a worker: rebuilt from the events it publishes by
    /// a follower that ends when the view is dropped. `None` without a queue.
    pub(crate) fn relayed_view(&self, id: &str) -> Option<Arc<Live>> {
        let queue = self.queue.as_ref()?;
        let live = Arc::new(Live::relayed());
        self.handle.spawn(relay::follow(
            queue.stream().clone(),
            id.to_string(),
            Arc::downgrade(&live),
        ));
        Some(live)
    }

    /// Follows the enqueued runs until the server stops: their state from the record, their
    /// traces kept once they end; and re-enqueues what a Redis that lost its data dropped.
    pub async fn follow_queue(self: Arc<Self>, mut shutdown: watch::Receiver<bool>) {
        let Some(queue) = self.queue.clone() else {
            return;
        };
        let mut recovered = Instant::now();
        let mut said: Option<String> = None;
        loop {
            tokio::select! {
                _ = tokio::time::sleep(FOLLOW_EVERY) => {}
                _ = shutdown.changed() => {}
            }
            if *shutdown.borrow() {
                return;
            }
            let ids: Vec<String> = self
                .book
                .lock()
                .iter()
                .filter(|e| e.remote && e.summary.state != RunState::Ended)
                .map(|e| e.summary.id.clone())
                .collect();
            let mut trouble = None;
            if !ids.is_empty() {
                match queue.record().rows(&ids).await {
                    Ok(rows) => {
                        for row in rows {
                            self.follow(&queue, row).await;
                        }
                    }
                    Err(e) => trouble = Some(e.to_string()),
                }
            }
            if recovered.elapsed() >= RECOVER_EVERY {
                recovered = Instant::now();
                match queue.recover().await {
                    Ok(0) => {}
                    Ok(n) => eprintln!(
                        "conlab serve: the queue's Redis had lost its data: {n} runs enqueued again"
                    ),
                    Err(e) => trouble = Some(e.to_string()),
                }
            }
            // Said once per change, not four times a second.
            if trouble != said {
                match &trouble {
                    Some(why) => eprintln!("conlab serve: {why}; trying again"),
                    None => eprintln!("conlab serve: the queue's servers answer again"),
                }
                said = trouble;
            }
        }
    }

    async fn follow(self: &Arc<Self>, queue: &conlab_queue::Queue, row: RunRow) {
        match row.status {
            RunStatus::Queued => {}
            RunStatus::Running => {
                let mut book = self.book.lock();
                if let Some(entry) = book.iter_mut().find(|e| e.summary.id == row.id) {
                    if entry.summary.state == RunState::Queued {
                        entry.summary.state = RunState::Running;
                        entry.started = Some(Instant::now());
                        // Its live view, rebuilt from the events its worker publishes until
                        // the run ends here (`finish` drops the view, and the follower with it).
                        entry.live = self.relayed_view(&row.id);
                    }
                }
            }
            RunStatus::Done | RunStatus::Failed | RunStatus::Stopped => {
                let stored = match row.has_trace {
                    true => queue.record().trace(&row.id).await.ok().flatten(),
                    false => None,
                };
                let trace = stored.and_then(|json| Trace::from_json(&json).ok());
                let trace = match trace {
                    Some(trace) => trace,
                    None => {
                        let prepared = self
                            .book
                            .lock()
                            .iter()
                            .find(|e| e.summary.id == row.id)
                            .and_then(|e| e.prepared.clone());
                        let Some(prepared) = prepared else { return };
                        let reason = row
                            .reason
                            .clone()
                            .unwrap_or_else(|| "the worker stored no trace".into());
                        // Stopped while queued (or its worker lost after the ask): as a local
                        // queued run stopped, a trace that says so.
                        let status = match row.status {
                            RunStatus::Stopped => Status::Stopped { after_ms: 0 },
                            _ => Status::Failed { reason },
                        };
                        conlab_tokio::NativeStart::new(
                            prepared.info,
                            prepared.params,
                            prepared.limit,
                        )
                        .without_recording(status)
                    }
                };
                let (runs, id) = (self.clone(), row.id.clone());
                let worker = row.worker.unwrap_or_else(|| "no worker".into());
                eprintln!("conlab serve: run {id} was run by {worker}");
                let _ = tokio::task::spawn_blocking(move || runs.finish(&id, trace)).await;
            }
        }
    }
}

/// Eight hex digits no other server is likely to make in the same second.
pub(super) fn random_tag() -> String {
    use std::hash::{BuildHasher, Hasher};
    let mut hasher = std::collections::hash_map::RandomState::new().build_hasher();
    hasher.write_u32(std::process::id());
    hasher.write_u128(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos()),
    );
    format!("{:08x}", hasher.finish() as u32)
}
