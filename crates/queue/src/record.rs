//! The record: every run in MySQL, from `queued` to `done`, `failed` or `stopped`, and its
//! trace. Tables are made by numbered migrations the binary runs at start (each once, under a
//! named lock, so a server and its workers starting together make them once). Every statement takes its
//! values as bound parameters.
//!
//! A worker holds a run through a **lease** on the database's own clock (`lease_until`), which
//! its heartbeat renews, and a **fence**: the run's `attempts` when it claimed it. Renewing,
//! ending and releasing name both, so a worker presumed dead whose run another worker took
//! over can change nothing of it: its trace is not stored.

use crate::error::QueueError;
use crate::job::Job;
use crate::worker::Outcome;
use conlab_core::url::redact_url as redact;
use mysql_async::prelude::Queryable;
use std::collections::BTreeMap;
use std::time::Duration;

/// How long one statement may take before the server counts as not answering.
const STATEMENT_LIMIT: Duration = Duration::from_secs(10);

/// The migrations, in order: each a version and its statements (idempotent on their own too).
const MIGRATIONS: &[(u32, &[&str])] = &[
    (
        1,
        &[
            "CREATE TABLE IF NOT EXISTS runs (
            id VARCHAR(64) NOT NULL PRIMARY KEY,
            scenario VARCHAR(64) NOT NULL,
            params JSON NOT NULL,
            status ENUM('queued', 'running', 'done', 'failed') NOT NULL,
            worker VARCHAR(128) NULL,
            enqueued_at DATETIME(6) NOT NULL,
            started_at DATETIME(6) NULL,
            ended_at DATETIME(6) NULL,
            lease_until DATETIME(6) NULL,
            attempts INT UNSIGNED NOT NULL DEFAULT 0,
            reason TEXT NULL,
            stop_asked BOOLEAN NOT NULL DEFAULT FALSE,
            KEY runs_status (status, lease_until),
            KEY runs_enqueued (enqueued_at)
        )",
            "CREATE TABLE IF NOT EXISTS traces (
            run_id VARCHAR(64) NOT NULL PRIMARY KEY,
            trace LONGBLOB NOT NULL,
            stored_at DATETIME(6) NOT NULL
        )",
        ],
    ),
    (
        2,
        &["ALTER TABLE runs MODIFY status
        ENUM('queued', 'running', 'done', 'failed', 'stopped') NOT NULL"],
    ),
    (
        3,
        &[
            "ALTER TABLE runs ADD COLUMN IF NOT EXISTS summary JSON NULL",
            "ALTER TABLE runs ADD INDEX IF NOT EXISTS runs_ended (status, ended_at)",
        ],
    ),
];

/// Where a run is in the record.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RunStatus {
    /// Waiting for a worker.
    Queued,
    /// A worker runs it.
    Running,
    /// It ran to its end (its checks may still have failed: the trace says).
    Done,
    /// It could not run or did not end by itself (refused, failed, timed out, parked after
    /// losing its worker twice): `reason` says why.
    Failed,
    /// Someone asked it to stop (the page's Stop): its worker stopped it, its trace partial,
    /// or it was stopped while queued and never ran.
    Stopped,
}

impl RunStatus {
    /// Its name in the table.
    pub fn as_str(self) -> &'static str {
        match self {
            RunStatus::Queued => "queued",
            RunStatus::Running => "running",
            RunStatus::Done => "done",
            RunStatus::Failed => "failed",
            RunStatus::Stopped => "stopped",
        }
    }

    fn parse(text: &str) -> RunStatus {
        match text {
            "queued" => RunStatus::Queued,
            "running" => RunStatus::Running,
            "done" => RunStatus::Done,
            "stopped" => RunStatus::Stopped,
            _ => RunStatus::Failed,
        }
    }

    /// Whether the run has ended.
    pub fn ended(self) -> bool {
        matches!(
            self,
            RunStatus::Done | RunStatus::Failed | RunStatus::Stopped
        )
    }
}

/// One run as the record holds it.
#[derive(Debug, Clone, PartialEq)]
pub struct RunRow {
    /// Its id.
    pub id: String,
    /// Its scenario.
    pub scenario: String,
    /// Its parameters (a JSON object).
    pub params: String,
    /// Where it is.
    pub status: RunStatus,
    /// The worker that runs or ran it last.
    pub worker: Option<String>,
    /// When it was enqueued (the database's clock, in UTC: `YYYY-MM-DD HH:MM:SS`).
    pub enqueued: String,
    /// From enqueued to its (last) start, in milliseconds.
    pub waited_ms: Option<u64>,
    /// From its (last) start to its end, in milliseconds.
    pub ran_ms: Option<u64>,
    /// How many times a worker started it.
    pub attempts: u32,
    /// Why it failed.
    pub reason: Option<String>,
    /// Whether a trace is stored.
    pub has_trace: bool,
    /// What its worker said of it as it ended (a JSON object the front ends read; the
    /// record keeps it as given).
    pub summary: Option<String>,
}

/// What claiming a run came to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Claim {
    /// This worker holds it now; `attempt` is its fence.
    Claimed {
        /// The run's attempts, this one included.
        attempt: u32,
    },
    /// It has ended already (a duplicate delivery).
    Ended,
    /// Another worker holds a live lease on it.
    Held,
    /// It lost its worker `attempts` times and is now failed, with this reason.
    Parked {
        /// Why, in words.
        reason: String,
    },
    /// The record has no such run.
    Unknown,
}

/// What a heartbeat learnt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Renewal {
    /// The lease is renewed; whether someone asked the run to stop.
    Held {
        /// Stop was asked.
        stop_asked: bool,
    },
    /// The lease is gone (another worker took the run over, or it ended elsewhere).
    Lost,
}

/// How much of the past the record keeps (`conlab serve --keep-days`, `--keep-runs`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Retention {
    /// Ended runs older than this go.
    pub max_age: Option<Duration>,
    /// Beyond this many ended runs, the oldest go.
    pub max_runs: Option<u64>,
}

/// The record in MySQL.
#[derive(Clone)]
pub struct Record {
    pool: mysql_async::Pool,
    url: String,
}

type RowColumns = (
    String,
    String,
    String,
    String,
    Option<String>,
    String,
    Option<i64>,
    Option<i64>,
    u32,
    Option<String>,
    bool,
    Option<String>,
);

const ROW_COLUMNS: &str = "r.id, r.scenario, r.params, r.status, r.worker,
    DATE_FORMAT(r.enqueued_at, '%Y-%m-%d %H:%i:%s'),
    TIMESTAMPDIFF(MICROSECOND, r.enqueued_at, r.started_at),
    TIMESTAMPDIFF(MICROSECOND, r.started_at, r.ended_at),
    r.attempts, r.reason, (t.run_id IS NOT NULL), r.summary";

fn row(r: RowColumns) -> RunRow {
    let ms = |us: Option<i64>| us.map(|us| us.max(0) as u64 / 1000);
    let status = RunStatus::parse(&r.3);
    RunRow {
        id: r.0,
        scenario: r.1,
        params: r.2,
        status,
        worker: r.4,
        enqueued: r.5,
        waited_ms: ms(r.6),
        ran_ms: if status.ended() { ms(r.7) } else { None },
        attempts: r.8,
        reason: r.9,
        has_trace: r.10,
        summary: r.11,
    }
}

impl Record {
    /// Connects to `url` (`mysql://user:password@host:port/database`) and brings its tables
    /// up to date.
    pub async fn open(url: &str) -> Result<Record, QueueError> {
        let bad = |why: String| QueueError::BadUrl {
            what: "--db",
            url: redact(url),
            why,
            shape: "mysql://user:password@host:port/database",
        };
        if !url.starts_with("mysql://") {
            return Err(bad("it does not start with mysql://".into()));
        }
        let opts = mysql_async::Opts::from_url(url).map_err(|e| bad(e.to_string()))?;
        if opts.db_name().is_none() {
            return Err(bad("it names no database".into()));
        }
        let constraints = mysql_async::PoolConstraints::new(0, 4).expect("0 <= 4");
        // Times are kept and read in UTC, whatever the server's own zone.
        let opts = mysql_async::OptsBuilder::from_opts(opts)
            .init(vec!["SET time_zone = '+00:00'"])
            .pool_opts(mysql_async::PoolOpts::default().with_constraints(constraints));
        let record = Record {
            pool: mysql_async::Pool::new(opts),
            url: redact(url),
        };
        record.migrate().await?;
        Ok(record)
    }

    /// Its URL, redacted.
    pub fn url(&self) -> &str {
        &self.url
    }

    fn error(&self, e: impl std::fmt::Display) -> QueueError {
        QueueError::Mysql {
            url: self.url.clone(),
            why: e.to_string().lines().next().unwrap_or("error").to_string(),
        }
    }

    async fn conn(&self) -> Result<mysql_async::Conn, QueueError> {
        match tokio::time::timeout(STATEMENT_LIMIT, self.pool.get_conn()).await {
            Ok(Ok(conn)) => Ok(conn),
            Ok(Err(e)) => Err(self.error(conlab_mysql_line(&e))),
            Err(_) => Err(self.error(format!(
                "does not answer within {} s",
                STATEMENT_LIMIT.as_secs()
            ))),
        }
    }

    /// Runs `work` on a connection within the statement limit.
    async fn with<T>(
        &self,
        work: impl for<'c> FnOnce(
            &'c mut mysql_async::Conn,
        ) -> std::pin::Pin<
            Box<dyn std::future::Future<Output = Result<T, mysql_async::Error>> + Send + 'c>,
        >,
    ) -> Result<T, QueueError> {
        let mut conn = self.conn().await?;
        match tokio::time::timeout(STATEMENT_LIMIT, work(&mut conn)).await {
            Ok(Ok(value)) => Ok(value),
            Ok(Err(e)) => Err(self.error(conlab_mysql_line(&e))),
            Err(_) => Err(self.error(format!(
                "a statement took longer than {} s",
                STATEMENT_LIMIT.as_secs()
            ))),
        }
    }

    async fn migrate(&self) -> Result<(), QueueError> {
        self.with(|conn| {
            Box::pin(async move {
                // One process migrates at a time; the others find the work done.
                let _: Option<i64> = conn.query_first("SELECT GET_LOCK('conlab_queue_schema', 30)").await?;
                conn.query_drop(
                    "CREATE TABLE IF NOT EXISTS conlab_queue_schema (
                        version INT UNSIGNED NOT NULL PRIMARY KEY,
                        applied_at DATETIME(6) NOT NULL
                    )",
                )
                .await?;
                let applied: Vec<u32> = conn.query("SELECT version FROM conlab_queue_schema").await?;
                for (version, statements) in MIGRATIONS {
                    if applied.contains(version) {
                        continue;
                    }
                    for statement in *statements {
                        conn.query_drop(*statement).await?;
                    }
                    conn.exec_drop(
                        "INSERT IGNORE INTO conlab_queue_schema (version, applied_at) VALUES (?, NOW(6))",
                        (version,),
                    )
                    .await?;
                }
                let _: Option<i64> = conn.query_first("SELECT RELEASE_LOCK('conlab_queue_schema')").await?;
                Ok(())
            })
        })
        .await
    }

    /// Records `job` as queued.
    pub async fn insert_queued(&self, job: &Job) -> Result<(), QueueError> {
        let values = (job.run.clone(), job.scenario.clone(), job.params_json());
        self.with(|conn| {
            Box::pin(async move {
                conn.exec_drop(
                    "INSERT INTO runs (id, scenario, params, status, enqueued_at) VALUES (?, ?, ?, 'queued', NOW(6))",
                    values,
                )
                .await
            })
        })
        .await
    }

    /// Claims run `run` for `worker`: a queued run, or a running one whose lease lapsed
    /// (another worker died holding it). One that already lost its worker `max_attempts`
    /// times is parked as failed instead; one whose lost worker had been asked to stop it ends
    /// stopped, not run again.
    pub async fn claim(
        &self,
        run: &str,
        worker: &str,
        lease: Duration,
        max_attempts: u32,
    ) -> Result<Claim, QueueError> {
        let (run, worker) = (run.to_string(), worker.to_string());
        let lease_us = lease.as_micros() as u64;
        self.with(move |conn| {
            Box::pin(async move {
                for _ in 0..2 {
                    conn.exec_drop(
                        "UPDATE runs SET status = 'running', worker = ?, attempts = attempts + 1,
                            started_at = NOW(6), lease_until = NOW(6) + INTERVAL ? MICROSECOND,
                            reason = NULL
                         WHERE id = ? AND (status = 'queued'
                            OR (status = 'running' AND lease_until < NOW(6) AND attempts < ?
                                AND NOT stop_asked))",
                        (worker.clone(), lease_us, run.clone(), max_attempts),
                    )
                    .await?;
                    if conn.affected_rows() == 1 {
                        let attempt: Option<u32> = conn
                            .exec_first("SELECT attempts FROM runs WHERE id = ?", (run.clone(),))
                            .await?;
                        return Ok(Claim::Claimed {
                            attempt: attempt.unwrap_or(1),
                        });
                    }
                    let now: Option<(String, bool, u32, Option<String>, bool)> = conn
                        .exec_first(
                            "SELECT status, COALESCE(lease_until < NOW(6), TRUE), attempts, worker, stop_asked FROM runs WHERE id = ?",
                            (run.clone(),),
                        )
                        .await?;
                    let Some((status, lapsed, attempts, last, stop_asked)) = now else {
                        return Ok(Claim::Unknown);
                    };
                    match RunStatus::parse(&status) {
                        RunStatus::Done | RunStatus::Failed | RunStatus::Stopped => {
                            return Ok(Claim::Ended)
                        }
                        // This worker's own claim, committed though its answer was lost (the
                        // server went away between the two): a worker runs one run at a time
                        // and its name is its own, so it holds this one at that attempt.
                        RunStatus::Running if !lapsed && last.as_deref() == Some(worker.as_str()) => {
                            return Ok(Claim::Claimed { attempt: attempts })
                        }
                        RunStatus::Running if !lapsed => return Ok(Claim::Held),
                        RunStatus::Running if stop_asked => {
                            // Asked to stop, then its worker was lost: stopped, never run
                            // again (its partial trace went with the worker).
                            conn.exec_drop(
                                "UPDATE runs SET status = 'stopped', ended_at = NOW(6), lease_until = NULL,
                                    reason = 'stopped; its worker was lost before it could store the trace'
                                 WHERE id = ? AND status = 'running' AND lease_until < NOW(6) AND attempts = ?",
                                (run.clone(), attempts),
                            )
                            .await?;
                            if conn.affected_rows() == 1 {
                                return Ok(Claim::Ended);
                            }
                        }
                        RunStatus::Running => {
                            let reason = format!(
                                "parked: it lost its worker {attempts} times (the last one {}), \
                                 each time without a heartbeat for longer than its lease; \
                                 never retried again",
                                last.as_deref().unwrap_or("unknown")
                            );
                            conn.exec_drop(
                                "UPDATE runs SET status = 'failed', ended_at = NOW(6), lease_until = NULL, reason = ?
                                 WHERE id = ? AND status = 'running' AND lease_until < NOW(6) AND attempts = ?",
                                (reason.clone(), run.clone(), attempts),
                            )
                            .await?;
                            if conn.affected_rows() == 1 {
                                return Ok(Claim::Parked { reason });
                            }
                        }
                        // Released between the two statements: try once more.
                        RunStatus::Queued => {}
                    }
                }
                Ok(Claim::Held)
            })
        })
        .await
    }

    /// Renews `worker`'s lease on `run` (its fence `attempt`).
    pub async fn renew(
        &self,
        run: &str,
        worker: &str,
        attempt: u32,
        lease: Duration,
    ) -> Result<Renewal, QueueError> {
        let values = (
            lease.as_micros() as u64,
            run.to_string(),
            worker.to_string(),
            attempt,
        );
        let run = run.to_string();
        self.with(move |conn| {
            Box::pin(async move {
                // CLIENT_FOUND_ROWS is off: a renewal within the same microsecond would count
                // 0 rows changed, so the fence is read back rather than trusted to the count.
                conn.exec_drop(
                    "UPDATE runs SET lease_until = NOW(6) + INTERVAL ? MICROSECOND
                     WHERE id = ? AND worker = ? AND attempts = ? AND status = 'running'",
                    values.clone(),
                )
                .await?;
                let now: Option<(String, Option<String>, u32, bool)> = conn
                    .exec_first(
                        "SELECT status, worker, attempts, stop_asked FROM runs WHERE id = ?",
                        (run,),
                    )
                    .await?;
                Ok(match now {
                    Some((status, Some(w), a, stop_asked))
                        if status == "running" && w == values.2 && a == values.3 =>
                    {
                        Renewal::Held { stop_asked }
                    }
                    _ => Renewal::Lost,
                })
            })
        })
        .await
    }

    /// Ends `run` as the worker's `outcome` says, with its trace, if `worker` still holds it
    /// under fence `attempt`: both in one transaction, so a run ends once and is stored once.
    /// `false`: the run was taken over meanwhile and nothing was written.
    pub async fn finish(
        &self,
        run: &str,
        worker: &str,
        attempt: u32,
        outcome: &Outcome,
    ) -> Result<bool, QueueError> {
        let packed = compress(outcome.trace_json.as_bytes());
        let (run, worker) = (run.to_string(), worker.to_string());
        let (status, reason, summary) = (
            outcome.status,
            outcome.reason.clone(),
            outcome.summary_json.clone(),
        );
        self.with(move |conn| {
            Box::pin(async move {
                let mut tx = conn
                    .start_transaction(mysql_async::TxOpts::default())
                    .await?;
                tx.exec_drop(
                    "UPDATE runs SET status = ?, ended_at = NOW(6), lease_until = NULL, reason = ?,
                        summary = ?
                     WHERE id = ? AND worker = ? AND attempts = ? AND status = 'running'",
                    (
                        status.as_str(),
                        reason,
                        summary,
                        run.clone(),
                        worker,
                        attempt,
                    ),
                )
                .await?;
                if tx.affected_rows() != 1 {
                    tx.rollback().await?;
                    return Ok(false);
                }
                tx.exec_drop(
                    "INSERT INTO traces (run_id, trace, stored_at) VALUES (?, ?, NOW(6))",
                    (run, packed),
                )
                .await?;
                tx.commit().await?;
                Ok(true)
            })
        })
        .await
    }

    /// Gives `run` back to the queue (a worker asked to stop before it ended): queued again,
    /// its attempt not counted against it.
    pub async fn release(&self, run: &str, worker: &str, attempt: u32) -> Result<bool, QueueError> {
        let values = (run.to_string(), worker.to_string(), attempt);
        self.with(move |conn| {
            Box::pin(async move {
                conn.exec_drop(
                    "UPDATE runs SET status = 'queued', worker = NULL, lease_until = NULL,
                        started_at = NULL, attempts = attempts - 1
                     WHERE id = ? AND worker = ? AND attempts = ? AND status = 'running'",
                    values,
                )
                .await?;
                Ok(conn.affected_rows() == 1)
            })
        })
        .await
    }

    /// Deletes a queued run the queue refused as full: it never was.
    pub async fn forget_queued(&self, run: &str) -> Result<(), QueueError> {
        let run = run.to_string();
        self.with(move |conn| {
            Box::pin(async move {
                conn.exec_drop(
                    "DELETE FROM runs WHERE id = ? AND status = 'queued'",
                    (run,),
                )
                .await
            })
        })
        .await
    }

    /// Fails a queued run without running it (its entry was refused), saying why.
    pub async fn refuse(&self, run: &str, reason: &str) -> Result<bool, QueueError> {
        let values = (reason.to_string(), run.to_string());
        self.with(move |conn| {
            Box::pin(async move {
                conn.exec_drop(
                    "UPDATE runs SET status = 'failed', ended_at = NOW(6), reason = ?
                     WHERE id = ? AND status = 'queued'",
                    values,
                )
                .await?;
                Ok(conn.affected_rows() == 1)
            })
        })
        .await
    }

    /// Asks the worker running `run` to stop it (it looks every 250 ms while it runs one);
    /// a queued run ends `stopped` at once, never
    /// run: a worker that reads its entry later finds it ended and skips it. One statement, so
    /// a claim racing it either sees the run stopped or holds it with the ask set.
    pub async fn ask_stop(&self, run: &str) -> Result<(), QueueError> {
        let run = run.to_string();
        self.with(move |conn| {
            Box::pin(async move {
                // `status` set last: assignments may run left to right, and the others must
                // see the old one.
                conn.exec_drop(
                    "UPDATE runs SET stop_asked = TRUE,
                        ended_at = IF(status = 'queued', NOW(6), ended_at),
                        reason = IF(status = 'queued', 'stopped before a worker started it', reason),
                        status = IF(status = 'queued', 'stopped', status)
                     WHERE id = ? AND status IN ('queued', 'running')",
                    (run,),
                )
                .await
            })
        })
        .await
    }

    /// Whether someone asked `run` to stop (a worker polls it while it runs the run).
    pub async fn stop_asked(&self, run: &str) -> Result<bool, QueueError> {
        let run = run.to_string();
        self.with(move |conn| {
            Box::pin(async move {
                let asked: Option<bool> = conn
                    .exec_first("SELECT stop_asked FROM runs WHERE id = ?", (run,))
                    .await?;
                Ok(asked.unwrap_or(false))
            })
        })
        .await
    }

    /// The runs named, as the record holds them (unknown ids left out).
    pub async fn rows(&self, ids: &[String]) -> Result<Vec<RunRow>, QueueError> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let marks = vec!["?"; ids.len()].join(", ");
        let statement = format!(
            "SELECT {ROW_COLUMNS} FROM runs r LEFT JOIN traces t ON t.run_id = r.id WHERE r.id IN ({marks})"
        );
        let ids: Vec<mysql_async::Value> = ids.iter().map(|id| id.as_str().into()).collect();
        self.with(move |conn| {
            Box::pin(async move {
                let rows: Vec<RowColumns> = conn.exec(statement, ids).await?;
                Ok(rows.into_iter().map(row).collect())
            })
        })
        .await
    }

    /// The latest `limit` runs, newest first.
    pub async fn recent(&self, limit: u32) -> Result<Vec<RunRow>, QueueError> {
        let statement = format!(
            "SELECT {ROW_COLUMNS} FROM runs r LEFT JOIN traces t ON t.run_id = r.id
             ORDER BY r.enqueued_at DESC, r.id DESC LIMIT ?"
        );
        self.with(move |conn| {
            Box::pin(async move {
                let rows: Vec<RowColumns> = conn.exec(statement, (limit,)).await?;
                Ok(rows.into_iter().map(row).collect())
            })
        })
        .await
    }

    /// The trace stored for `run`, as JSON text.
    pub async fn trace(&self, run: &str) -> Result<Option<String>, QueueError> {
        let run = run.to_string();
        let packed: Option<Vec<u8>> = self
            .with(move |conn| {
                Box::pin(async move {
                    conn.exec_first("SELECT trace FROM traces WHERE run_id = ?", (run,))
                        .await
                })
            })
            .await?;
        packed
            .map(|bytes| {
                decompress(&bytes)
                    .map_err(|e| self.error(format!("a stored trace does not unpack: {e}")))
            })
            .transpose()
    }

    /// How many traces are stored for `run` (never more than one: the tests count).
    pub async fn trace_count(&self, run: &str) -> Result<u64, QueueError> {
        let run = run.to_string();
        self.with(move |conn| {
            Box::pin(async move {
                let n: Option<u64> = conn
                    .exec_first("SELECT COUNT(*) FROM traces WHERE run_id = ?", (run,))
                    .await?;
                Ok(n.unwrap_or(0))
            })
        })
        .await
    }

    /// The runs the stream must carry: queued ones, and running ones whose lease lapsed.
    pub async fn undelivered(&self) -> Result<Vec<Job>, QueueError> {
        let rows: Vec<(String, String, String)> = self
            .with(|conn| {
                Box::pin(async move {
                    conn.query(
                        "SELECT id, scenario, params FROM runs
                         WHERE status = 'queued' OR (status = 'running' AND lease_until < NOW(6))
                         ORDER BY enqueued_at",
                    )
                    .await
                })
            })
            .await?;
        Ok(rows
            .into_iter()
            .filter_map(|(run, scenario, params)| {
                let params: BTreeMap<String, String> = serde_json::from_str(&params).ok()?;
                Some(Job {
                    run,
                    scenario,
                    params,
                })
            })
            .collect())
    }

    /// Deletes ended runs and their traces: those that ended longer than `keep.max_age`
    /// ago, and those beyond the newest `keep.max_runs`. Queued and running runs are never
    /// touched. In batches, each one transaction, so the tables are never held long; returns
    /// how many runs went.
    pub async fn prune(&self, keep: &Retention) -> Result<u64, QueueError> {
        let mut deleted = 0;
        if let Some(age) = keep.max_age {
            let micros = age.as_micros().min(i64::MAX as u128) as i64;
            deleted += self
                .delete_ended_while(
                    "SELECT id FROM runs
                     WHERE status IN ('done', 'failed', 'stopped')
                       AND ended_at < NOW(6) - INTERVAL ? MICROSECOND
                     ORDER BY ended_at LIMIT 500",
                    micros,
                )
                .await?;
        }
        if let Some(runs) = keep.max_runs {
            deleted += self
                .delete_ended_while(
                    "SELECT id FROM runs
                     WHERE status IN ('done', 'failed', 'stopped')
                     ORDER BY ended_at DESC, id DESC LIMIT 500 OFFSET ?",
                    runs.min(i64::MAX as u64) as i64,
                )
                .await?;
        }
        Ok(deleted)
    }

    /// Deletes the ended runs `select` (taking `value`, at most 500 a time) names, a batch at
    /// a time, until it names none; how many went.
    async fn delete_ended_while(
        &self,
        select: &'static str,
        value: i64,
    ) -> Result<u64, QueueError> {
        let mut deleted = 0;
        loop {
            let ids: Vec<String> = self
                .with(move |conn| Box::pin(async move { conn.exec(select, (value,)).await }))
                .await?;
            deleted += self.delete_ended(&ids).await?;
            if ids.len() < 500 {
                return Ok(deleted);
            }
        }
    }

    /// Deletes the ended runs `ids` and their traces, in one transaction.
    async fn delete_ended(&self, ids: &[String]) -> Result<u64, QueueError> {
        if ids.is_empty() {
            return Ok(0);
        }
        let marks = vec!["?"; ids.len()].join(", ");
        let traces = format!("DELETE FROM traces WHERE run_id IN ({marks})");
        let runs = format!(
            "DELETE FROM runs WHERE id IN ({marks}) AND status IN ('done', 'failed', 'stopped')"
        );
        let ids: Vec<mysql_async::Value> = ids.iter().map(|id| id.as_str().into()).collect();
        self.with(move |conn| {
            Box::pin(async move {
                let mut tx = conn
                    .start_transaction(mysql_async::TxOpts::default())
                    .await?;
                tx.exec_drop(traces, ids.clone()).await?;
                tx.exec_drop(runs, ids).await?;
                let gone = tx.affected_rows();
                tx.commit().await?;
                Ok(gone)
            })
        })
        .await
    }

    /// Closes its connections.
    pub async fn close(self) {
        let _ = tokio::time::timeout(Duration::from_secs(2), self.pool.disconnect()).await;
    }
}

/// A MySQL error in one line (the common ones said plainly).
fn conlab_mysql_line(e: &mysql_async::Error) -> String {
    let text = e.to_string();
    if text.contains("1044") || text.contains("to database") {
        return "this user may not use that database, or it does not exist: check the \
                database in the URL (create it, or grant the user access)"
            .to_string();
    }
    if text.contains("1045") || text.contains("Access denied") {
        return "access denied: check the user and password in the URL".to_string();
    }
    if text.contains("1049") || text.contains("Unknown database") {
        return "the database does not exist: create it, or name another in the URL".to_string();
    }
    if let mysql_async::Error::Io(io) = e {
        return format!("does not answer ({io})");
    }
    text.lines().next().unwrap_or("error").to_string()
}

fn compress(bytes: &[u8]) -> Vec<u8> {
    use std::io::Write;
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    let _ = encoder.write_all(bytes);
    encoder.finish().unwrap_or_default()
}

/// At most 512 MiB unpacked: a trace conlab reads is at most 256 MB.
fn decompress(bytes: &[u8]) -> std::io::Result<String> {
    use std::io::Read;
    let mut text = String::new();
    flate2::read::GzDecoder::new(bytes)
        .take(512 << 20)
        .read_to_string(&mut text)?;
    Ok(text)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn traces_pack_and_unpack() {
        let text = "{\"schema\":\"conlab.trace/1\"}".repeat(100);
        let packed = compress(text.as_bytes());
        assert!(packed.len() < text.len() / 5);
        assert_eq!(decompress(&packed).unwrap(), text);
    }
}
