//! What became of a set of runs, from the record (status, attempts, traces stored) and from
//! the workers' logs (each start and each stored end is a line). Executions are counted from
//! the logs, not from the record's `attempts`: an attempt is a claim, and a claim need not be
//! followed by a run (see [`Outcomes::attempts_without_start`]).

use crate::cluster::Cluster;
use crate::error::ClusterError;
use conlab_queue::RunStatus;
use std::collections::BTreeMap;
use std::path::Path;

/// Starts and stored ends per run, as the workers' logs say them
/// (`conlab worker w1: run r-7 started: …`, `… run r-7 ended: done (…)`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LogCounts {
    /// Starts per run.
    pub started: BTreeMap<String, u32>,
    /// Ends stored per run (a worker logs its end once the record took it and the stream
    /// acknowledged it).
    pub ended: BTreeMap<String, u32>,
    /// The run of the last start logged.
    pub last_started: Option<String>,
}

impl LogCounts {
    /// Reads the logs (a missing one counts nothing).
    pub fn read(logs: &[&Path]) -> LogCounts {
        let mut counts = LogCounts::default();
        for log in logs {
            counts.add(&std::fs::read_to_string(log).unwrap_or_default());
        }
        counts
    }

    fn add(&mut self, text: &str) {
        for line in text.lines() {
            let Some((_, rest)) = line.split_once(": run ") else {
                continue;
            };
            let mut words = rest.split_whitespace();
            let (Some(run), Some(what)) = (words.next(), words.next()) else {
                continue;
            };
            let counter = match what {
                "started:" => {
                    self.last_started = Some(run.to_string());
                    &mut self.started
                }
                "ended:" => &mut self.ended,
                _ => continue,
            };
            *counter.entry(run.to_string()).or_default() += 1;
        }
    }

    /// The run of the last start logged, unless its end was logged too: in one worker's
    /// log, the run it was running. (An earlier start without an end is a run whose end
    /// was stored but not acknowledged while Redis was away: not running any more.)
    pub fn running(&self) -> Option<&str> {
        self.last_started
            .as_deref()
            .filter(|run| !self.ended.contains_key(*run))
    }
}

/// What the record says became of a set of runs.
#[derive(Debug, Clone, Default)]
pub struct Outcomes {
    /// Runs asked about.
    pub enqueued: usize,
    /// Ended done.
    pub done: usize,
    /// Parked as failed after losing their worker twice (the dead-letter stream has them).
    pub parked: Vec<String>,
    /// Ended failed otherwise (refused, or the run itself failed), with the reason.
    pub failed: Vec<(String, String)>,
    /// Ended stopped.
    pub stopped: usize,
    /// Not ended (queued or running), or not in the record at all.
    pub not_ended: Vec<String>,
    /// Runs with more than one trace stored, or whose end more than one worker logged.
    pub stored_twice: Vec<String>,
    /// Runs executed more than once, with how many times: a worker logs each start right
    /// before it runs the scenario, so the logs count executions.
    pub executed_again: Vec<(String, u32)>,
    /// Runs whose record counts more attempts than starts were logged, with both: a claim
    /// no worker went on to run (a worker killed between its claim and its start, or a claim
    /// whose answer was lost while MariaDB restarted). An attempt so counted brings the run
    /// nearer to being parked although it ran no more often.
    pub attempts_without_start: Vec<(String, u32, u32)>,
}

/// Counts what became of `ids`, from the record and the workers' logs.
pub fn count_outcomes(cluster: &Cluster, ids: &[String]) -> Result<Outcomes, ClusterError> {
    let rows = cluster.rows(ids)?;
    let logs = cluster.worker_logs();
    let logs = LogCounts::read(&logs.iter().map(|p| p.as_path()).collect::<Vec<_>>());
    let mut outcomes = Outcomes {
        enqueued: ids.len(),
        ..Outcomes::default()
    };
    for id in ids {
        let Some(row) = rows.get(id) else {
            outcomes.not_ended.push(id.clone());
            continue;
        };
        match row.status {
            RunStatus::Done => outcomes.done += 1,
            RunStatus::Stopped => outcomes.stopped += 1,
            RunStatus::Failed => {
                let reason = row.reason.clone().unwrap_or_default();
                if reason.contains("lost its worker") {
                    outcomes.parked.push(id.clone());
                } else {
                    outcomes.failed.push((id.clone(), reason));
                }
            }
            _ => outcomes.not_ended.push(id.clone()),
        }
        let traces = if row.has_trace {
            cluster.block_on(cluster.queue().record().trace_count(id))?
        } else {
            0
        };
        let logged_ends = logs.ended.get(id).copied().unwrap_or(0);
        if traces > 1 || logged_ends > 1 {
            outcomes.stored_twice.push(id.clone());
        }
        let starts = logs.started.get(id).copied().unwrap_or(0);
        if starts > 1 {
            outcomes.executed_again.push((id.clone(), starts));
        }
        if row.attempts > starts {
            outcomes
                .attempts_without_start
                .push((id.clone(), row.attempts, starts));
        }
    }
    Ok(outcomes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn logs_count_starts_and_ends_per_run() {
        let mut counts = LogCounts::default();
        counts.add(
            "conlab worker w1: taking runs from redis://127.0.0.1:1/0 (lease 2000 ms)\n\
             conlab worker w1: run r-1 started: asyncio-two-tasks sleep_ms=50 (attempt 1)\n\
             conlab worker w1: run r-1 ended: done (ok in 60 ms)\n\
             conlab worker w1: run r-2 started: asyncio-two-tasks sleep_ms=50 (attempt 1)\n\
             conlab worker w1: run r-2: stop asked; stopping it\n\
             conlab worker w2: run r-2 started: asyncio-two-tasks sleep_ms=50 (attempt 2)\n",
        );
        assert_eq!(counts.started.get("r-1"), Some(&1));
        assert_eq!(counts.started.get("r-2"), Some(&2));
        assert_eq!(counts.ended.get("r-1"), Some(&1));
        assert_eq!(counts.running(), Some("r-2"));
    }
}
