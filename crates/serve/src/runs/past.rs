//! With a queue, the past is the record's: the page's list of runs, one run's summary and an
//! ended run's trace come from MySQL when this server does not hold the run itself, so every
//! server of one queue lists the same runs, a restarted server still has them, and what the
//! record's retention deleted is gone everywhere at once.

use super::Runs;
use conlab_core::Status;
use conlab_queue::{RunRow, RunStatus};
use conlab_wire::{RunList, RunState, RunSummary, WireRuntime};
use std::collections::HashSet;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::watch;

/// How often the server deletes what the record keeps no longer.
const TRIM_EVERY: Duration = Duration::from_secs(60);

/// What became of a trace asked of the record.
pub enum StoredTrace {
    /// Its JSON text.
    Found(String),
    /// The run has not ended yet.
    NotEnded,
    /// The record holds the run but no trace (it ended without one).
    Missing,
    /// The record does not hold the run (never, or deleted by retention).
    Unknown,
}

impl Runs {
    /// Deletes the ended runs the record keeps no longer (`Config::record_retention`), at
    /// start and every [`TRIM_EVERY`], until the server stops. Every server of a queue may:
    /// a run deleted twice is deleted once.
    pub async fn trim_record(self: Arc<Self>, mut shutdown: watch::Receiver<bool>) {
        let Some(queue) = self.queue.clone() else {
            return;
        };
        let keep = self.config.record_retention;
        loop {
            let pruned = match keep == conlab_queue::Retention::default() {
                true => Ok(0),
                false => queue.record().prune(&keep).await,
            };
            match pruned {
                Ok(0) => {}
                Ok(n) => eprintln!(
                    "conlab serve: {n} ended runs deleted from the record, with their traces ({})",
                    retention_words(&keep)
                ),
                Err(e) => eprintln!("conlab serve: old runs not deleted this time: {e}"),
            }
            // What any server of the queue deleted goes from this one's list and store too.
            match self.forget_deleted(&queue).await {
                Ok(0) | Err(_) => {}
                Ok(n) => eprintln!(
                    "conlab serve: {n} runs the record no longer keeps are gone from this server too"
                ),
            }
            tokio::select! {
                _ = tokio::time::sleep(TRIM_EVERY) => {}
                _ = shutdown.changed() => {}
            }
            if *shutdown.borrow() {
                return;
            }
        }
    }

    /// Forgets the ended native runs this server kept that the record no longer holds (its
    /// retention, or another server's, deleted them): with a queue every native run is the
    /// record's. How many went.
    pub(crate) async fn forget_deleted(
        &self,
        queue: &conlab_queue::Queue,
    ) -> Result<usize, String> {
        let kept: Vec<String> = self
            .book
            .lock()
            .iter()
            .filter(|e| {
                e.summary.state == RunState::Ended && e.summary.runtime == WireRuntime::Native
            })
            .map(|e| e.summary.id.clone())
            .collect();
        let mut gone = Vec::new();
        for chunk in kept.chunks(500) {
            let held: HashSet<String> = queue
                .record()
                .rows(chunk)
                .await
                .map_err(|e| e.to_string())?
                .into_iter()
                .map(|row| row.id)
                .collect();
            gone.extend(chunk.iter().filter(|id| !held.contains(*id)).cloned());
        }
        if gone.is_empty() {
            return Ok(0);
        }
        self.book.lock().retain(|e| !gone.contains(&e.summary.id));
        for id in &gone {
            self.store.forget(id);
        }
        Ok(gone.len())
    }

    /// Whether the record no longer holds run `id` (then this server forgets it too).
    async fn deleted_from_record(&self, queue: &conlab_queue::Queue, id: &str) -> bool {
        let held = queue.record().rows(&[id.to_string()]).await;
        if !matches!(&held, Ok(rows) if rows.is_empty()) {
            return false;
        }
        self.book.lock().retain(|e| e.summary.id != id);
        self.store.forget(id);
        true
    }

    /// This server's runs and, with a queue, the record's latest ones (as many as the server
    /// keeps), newest first. A record that does not answer leaves its runs out, said once in
    /// the log.
    pub async fn list_everywhere(&self) -> RunList {
        let Some(queue) = self.queue.as_ref() else {
            return self.list();
        };
        // Runs the record deleted (any server's retention) are not listed here either.
        let _ = self.forget_deleted(queue).await;
        let mut list = self.list();
        let rows = match queue.record().recent(self.config.max_kept as u32).await {
            Ok(rows) => rows,
            Err(e) => {
                eprintln!("conlab serve: the list of runs leaves the record out: {e}");
                return list;
            }
        };
        let here: HashSet<String> = list.runs.iter().map(|r| r.id.clone()).collect();
        list.runs.extend(
            rows.into_iter()
                .filter(|row| !here.contains(&row.id))
                .map(summary_of),
        );
        // Newest first; RFC 3339 in UTC sorts as text.
        list.runs.sort_by(|a, b| b.created.cmp(&a.created));
        list
    }

    /// One run: this server's, else the record's; with a queue, an ended native run only
    /// while the record still holds it.
    pub async fn summary_everywhere(&self, id: &str) -> Option<RunSummary> {
        let here = self.summary(id);
        let Some(queue) = self.queue.as_ref() else {
            return here;
        };
        if let Some(summary) = here {
            let record_only =
                summary.state == RunState::Ended && summary.runtime == WireRuntime::Native;
            if !record_only || !self.deleted_from_record(queue, id).await {
                return Some(summary);
            }
            return None;
        }
        let rows = queue.record().rows(&[id.to_string()]).await.ok()?;
        rows.into_iter().next().map(summary_of)
    }

    /// Stops a run: this server's, else one the record holds (enqueued by another server of
    /// the queue, or by this one before it restarted): its worker reads the ask.
    pub async fn stop_everywhere(self: &Arc<Self>, id: &str) -> Option<RunSummary> {
        if let Some(summary) = self.stop(id) {
            return Some(summary);
        }
        let queue = self.queue.as_ref()?;
        let summary = self.summary_everywhere(id).await?;
        if summary.state != RunState::Ended {
            if let Err(e) = queue.record().ask_stop(id).await {
                eprintln!("conlab serve: could not ask run {id} to stop: {e}");
            }
        }
        Some(summary)
    }

    /// The trace of a run this server does not hold, from the record.
    pub async fn record_trace(&self, id: &str) -> Result<StoredTrace, String> {
        let Some(queue) = self.queue.as_ref() else {
            return Ok(StoredTrace::Unknown);
        };
        let record = queue.record();
        let rows = record
            .rows(&[id.to_string()])
            .await
            .map_err(|e| e.to_string())?;
        let Some(row) = rows.into_iter().next() else {
            return Ok(StoredTrace::Unknown);
        };
        if !row.status.ended() {
            return Ok(StoredTrace::NotEnded);
        }
        match record.trace(id).await.map_err(|e| e.to_string())? {
            Some(json) => Ok(StoredTrace::Found(json)),
            None => Ok(StoredTrace::Missing),
        }
    }
}

/// "kept: 30 days, 100,000 runs".
fn retention_words(keep: &conlab_queue::Retention) -> String {
    let mut parts = vec![];
    if let Some(age) = keep.max_age {
        parts.push(format!("{} days", age.as_secs_f64() / 86_400.0));
    }
    if let Some(runs) = keep.max_runs {
        parts.push(format!("the newest {runs} runs"));
    }
    format!("kept: {}", parts.join(", at most "))
}

/// A run as the record holds it, in the list's shape: the worker's own summary once it ended
/// with one, else what the row says.
fn summary_of(row: RunRow) -> RunSummary {
    let created = rfc3339(&row.enqueued);
    let state = match row.status {
        RunStatus::Queued => RunState::Queued,
        RunStatus::Running => RunState::Running,
        RunStatus::Done | RunStatus::Failed | RunStatus::Stopped => RunState::Ended,
    };
    let told = row
        .summary
        .as_deref()
        .and_then(|json| serde_json::from_str::<RunSummary>(json).ok());
    if let Some(told) = told.filter(|_| state == RunState::Ended) {
        return RunSummary {
            id: row.id,
            state,
            created,
            ..told
        };
    }
    let status = match row.status {
        RunStatus::Stopped => Some(Status::Stopped {
            after_ms: row.ran_ms.unwrap_or(0),
        }),
        RunStatus::Failed | RunStatus::Done => Some(Status::Failed {
            reason: row
                .reason
                .clone()
                .unwrap_or_else(|| "its worker stored no summary".into()),
        }),
        _ => None,
    };
    RunSummary {
        id: row.id,
        scenario: row.scenario,
        runtime: WireRuntime::Native,
        params: serde_json::from_str(&row.params).unwrap_or_default(),
        state,
        created,
        status,
        makespan: None,
        checks_passed: 0,
        checks_not_judged: 0,
        checks_total: 0,
        limit_ms: 0,
    }
}

/// `YYYY-MM-DD HH:MM:SS` (UTC) as RFC 3339, the shape of a local run's `created`.
fn rfc3339(utc: &str) -> String {
    format!("{}Z", utc.replacen(' ', "T", 1))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(status: RunStatus, summary: Option<&str>) -> RunRow {
        RunRow {
            id: "20261207-120000-abcd0123-1".into(),
            scenario: "lock".into(),
            params: r#"{"threads":"4"}"#.into(),
            status,
            worker: Some("w1".into()),
            enqueued: "2026-12-07 12:00:00".into(),
            waited_ms: Some(3),
            ran_ms: Some(200),
            attempts: 1,
            reason: Some("timed out after 100 ms".into()),
            has_trace: true,
            summary: summary.map(str::to_string),
        }
    }

    #[test]
    fn an_ended_run_is_listed_as_its_worker_summed_it_up() {
        let told = RunSummary {
            id: "ignored".into(),
            scenario: "lock".into(),
            runtime: WireRuntime::Native,
            params: [("threads".to_string(), "4".to_string())].into(),
            state: RunState::Running,
            created: String::new(),
            status: Some(Status::Ok),
            makespan: Some(200_000_000),
            checks_passed: 3,
            checks_not_judged: 1,
            checks_total: 4,
            limit_ms: 30_000,
        };
        let json = serde_json::to_string(&told).unwrap();
        let listed = summary_of(row(RunStatus::Done, Some(&json)));
        assert_eq!(listed.id, "20261207-120000-abcd0123-1");
        assert_eq!(listed.state, RunState::Ended);
        assert_eq!(listed.created, "2026-12-07T12:00:00Z");
        assert_eq!((listed.checks_passed, listed.checks_total), (3, 4));
        assert!(listed.passed());
    }

    #[test]
    fn a_run_without_a_summary_says_what_the_row_says() {
        let failed = summary_of(row(RunStatus::Failed, None));
        assert_eq!(
            failed.status,
            Some(Status::Failed {
                reason: "timed out after 100 ms".into()
            })
        );
        assert!(!failed.passed());
        let queued = summary_of(row(RunStatus::Queued, Some("{}")));
        assert_eq!((queued.state, queued.status), (RunState::Queued, None));
        assert_eq!(queued.params["threads"], "4");
    }
}
