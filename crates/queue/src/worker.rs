//! The worker's loop, one run at a time (native runs measure time: two sharing the cores
//! would distort each other's checks):
//!
//! 1. reclaim an entry whose worker has not touched it for a lease (it died), else read a
//!    new one;
//! 2. verify its signature and check the job as the server does ([`Executor::check`]);
//!    refuse and log anything else, never running it;
//! 3. claim the run in the record (queued, or running with a lapsed lease); a run that lost
//!    its worker twice is parked as failed instead, on the dead-letter stream;
//! 4. run it, renewing the lease (the record's) and touching the entry (the stream's idle
//!    time) every third of a lease; a lease lost means another worker took over: the run is
//!    stopped and its result dropped; every [`STOP_POLL`] it reads whether Stop was asked
//!    (the page's, through any server), and then stops the run through the executor's stop,
//!    so it ends `stopped` with its partial trace;
//! 5. store the trace and the end in one transaction, then acknowledge and delete the entry.
//!
//! Asked to stop (SIGTERM, Ctrl-C), it takes nothing new, lets the current run finish within
//! its grace period, else stops it and gives it back to the queue.

use crate::error::QueueError;
use crate::events::{EventSettings, EventSink, EventWriter};
use crate::job::Job;
use crate::record::{Claim, Record, Renewal, RunStatus};
use crate::secret::Secret;
use crate::stream::{Entry, Stream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::time::{Duration, Instant};

/// A worker whose secret is not the one the queue's servers sign with.
fn wrong_secret() -> QueueError {
    QueueError::Secret(
        "this worker's secret is not the one the queue's servers sign with, so every run it \
         took would be refused; give it the servers' --secret-file (or CONLAB_QUEUE_SECRET)"
            .into(),
    )
}

/// How long a worker keeps trying to store a run's end while the record does not answer
/// (a MySQL restart or outage), before it gives the run up to be run again.
const STORE_PATIENCE: Duration = Duration::from_secs(120);

/// What a worker runs jobs with: the same checks and caps as a server's own runs.
pub trait Executor: Send + Sync + 'static {
    /// Whether `job` may run here; `Err` says why not (a scenario outside the catalog, a
    /// parameter outside its range, a cap).
    fn check(&self, job: &Job) -> Result<(), String>;
    /// Runs `job` to its end; `stop` set asks it to end soon (stopped). While it runs it may
    /// hand its live events to `events` (a snapshot or a delta whenever the sink wants one),
    /// which never waits on Redis.
    fn run(&self, job: &Job, stop: Arc<AtomicBool>, events: EventSink) -> Outcome;
}

/// How a run ended.
#[derive(Debug, Clone)]
pub struct Outcome {
    /// Done, failed, or stopped (its stop was set and the run ended by it).
    pub status: RunStatus,
    /// Why it failed.
    pub reason: Option<String>,
    /// Its trace (`conlab.trace/1` JSON).
    pub trace_json: String,
    /// One line for the worker's log ("ok in 212 ms, 3 of 3 checks passed").
    pub summary: String,
    /// The run as the front ends list it (a JSON object the record keeps as given, so a
    /// list of past runs needs no trace).
    pub summary_json: Option<String>,
}

/// A worker's settings.
#[derive(Debug, Clone)]
pub struct WorkerOptions {
    /// Its name, unique among the workers (the consumer's name in the group).
    pub name: String,
    /// How long its hold on a run lasts without a heartbeat; another worker reclaims the run
    /// after that.
    pub lease: Duration,
    /// Starts a run may have; one that lost its worker this many times is parked.
    pub max_attempts: u32,
    /// How long the current run may go on once the worker is asked to stop.
    pub grace: Duration,
    /// What the queue's keys begin with.
    pub prefix: String,
    /// How a run's live events are kept in Redis.
    pub events: EventSettings,
}

impl WorkerOptions {
    /// Defaults: a 10 s lease, parked after 2 lost workers, 10 s of grace.
    pub fn new(name: impl Into<String>) -> WorkerOptions {
        WorkerOptions {
            name: name.into(),
            lease: Duration::from_secs(10),
            max_attempts: 2,
            grace: Duration::from_secs(10),
            prefix: crate::PREFIX.to_string(),
            events: EventSettings::default(),
        }
    }
}

/// Asks a worker to stop, and waits until it has.
#[derive(Clone, Default)]
pub struct WorkerStop(Arc<StopState>);

#[derive(Default)]
struct StopState {
    asked: AtomicBool,
    finished: Mutex<bool>,
    ended: Condvar,
}

impl WorkerStop {
    /// Asks it to stop: nothing new is taken; the current run finishes within the grace
    /// period or is given back.
    pub fn ask(&self) {
        self.0.asked.store(true, Ordering::SeqCst);
    }

    /// Whether stopping was asked.
    pub fn asked(&self) -> bool {
        self.0.asked.load(Ordering::SeqCst)
    }

    /// Waits (at most `limit`) until the worker's loop has ended; whether it has.
    pub fn wait(&self, limit: Duration) -> bool {
        let finished = self.0.finished.lock().unwrap_or_else(|e| e.into_inner());
        let (finished, _) = self
            .0
            .ended
            .wait_timeout_while(finished, limit, |f| !*f)
            .unwrap_or_else(|e| e.into_inner());
        *finished
    }

    fn set_finished(&self) {
        *self.0.finished.lock().unwrap_or_else(|e| e.into_inner()) = true;
        self.0.ended.notify_all();
    }
}

/// A worker: its connections, its executor, its settings.
pub struct Worker {
    stream: Stream,
    redis_url: String,
    record: Record,
    secret: Secret,
    executor: Arc<dyn Executor>,
    options: WorkerOptions,
    stop: WorkerStop,
    host: String,
    done: u64,
    /// Why it stopped by itself (its secret is not the servers').
    fatal: Option<QueueError>,
}

/// How long a read waits for a new entry before the loop looks around again.
const READ_BLOCK: Duration = Duration::from_millis(500);

/// How often a worker reads whether its run was asked to stop: a Stop lands within about
/// this much (one small indexed read per running worker, apart from the heartbeat's).
pub const STOP_POLL: Duration = Duration::from_millis(250);

impl Worker {
    /// Connects to the queue's Redis and the record's MySQL (bringing its tables up to date).
    pub async fn connect(
        redis_url: &str,
        mysql_url: &str,
        secret: Secret,
        executor: Arc<dyn Executor>,
        options: WorkerOptions,
    ) -> Result<Worker, QueueError> {
        let stream = Stream::connect_with_prefix(redis_url, &options.prefix).await?;
        let record = Record::open(mysql_url).await?;
        stream.ensure_group().await?;
        let host = format!(
            "{} pid {}",
            std::fs::read_to_string("/proc/sys/kernel/hostname")
                .map(|h| h.trim().to_string())
                .unwrap_or_else(|_| "?".into()),
            std::process::id()
        );
        if let Some(theirs) = stream.secret_fingerprint().await? {
            if theirs != secret.fingerprint() {
                return Err(wrong_secret());
            }
        }
        // A name is one worker's. One that died (restarted under the same name) stops
        // counting as alive a lease after its last beat: wait that out, once.
        if let Some((other, left)) = stream.alive(&options.name).await? {
            eprintln!(
                "conlab worker {}: a worker of this name ({other}) looks alive; waiting {} ms \
                 to see whether it is gone (a worker that died stops counting a lease after \
                 its last beat)",
                options.name,
                left.as_millis()
            );
            tokio::time::sleep(left + Duration::from_millis(100)).await;
            if let Some((other, _)) = stream.alive(&options.name).await? {
                return Err(QueueError::NameTaken {
                    name: options.name.clone(),
                    host: other,
                });
            }
        }
        Ok(Worker {
            stream,
            redis_url: redis_url.to_string(),
            record,
            secret,
            executor,
            options,
            stop: WorkerStop::default(),
            host,
            done: 0,
            fatal: None,
        })
    }

    /// The handle that stops it.
    pub fn stopper(&self) -> WorkerStop {
        self.stop.clone()
    }

    fn say(&self, what: std::fmt::Arguments<'_>) {
        eprintln!("conlab worker {}: {what}", self.options.name);
    }

    /// Takes and runs entries until asked to stop; returns how many runs it ended, or why it
    /// stopped by itself.
    pub async fn run(mut self) -> Result<u64, QueueError> {
        self.say(format_args!(
            "taking runs from {} (lease {} ms), recording them in {}",
            self.stream.url(),
            self.options.lease.as_millis(),
            self.record.url()
        ));
        while !self.stop.asked() {
            if let Err(e) = self.step().await {
                self.say(format_args!("{e}; trying again in a second"));
                tokio::time::sleep(Duration::from_secs(1)).await;
                if let QueueError::Redis { why, .. } = &e {
                    if why.contains("NOGROUP") {
                        let _ = self.stream.ensure_group().await;
                    } else if let Ok(stream) =
                        Stream::connect_with_prefix(&self.redis_url, &self.options.prefix).await
                    {
                        self.stream = stream;
                    }
                }
            }
        }
        let _ = self.stream.gone(&self.options.name).await;
        self.say(format_args!("stopped after {} runs", self.done));
        let done = self.done;
        self.record.clone().close().await;
        self.stop.set_finished();
        match self.fatal.take() {
            Some(why) => Err(why),
            None => Ok(done),
        }
    }

    /// One entry, if there is one.
    async fn step(&mut self) -> Result<(), QueueError> {
        let name = self.options.name.clone();
        self.stream
            .beat(&name, "-", &self.host, self.options.lease)
            .await?;
        let entry = match self.stream.reclaim(&name, self.options.lease).await? {
            Some(entry) => Some(entry),
            None => self.stream.read(&name, READ_BLOCK).await?,
        };
        if let Some(entry) = entry {
            if !self.stop.asked() {
                self.handle(entry).await?;
            }
        }
        Ok(())
    }

    async fn refuse(&self, entry: &Entry, run: &str, why: &str) -> Result<(), QueueError> {
        self.say(format_args!(
            "refused entry {} (run {}): {why}; not run",
            entry.id,
            if run.is_empty() { "?" } else { run }
        ));
        self.stream
            .dead_letter(&[
                ("entry", &entry.id),
                ("run", run),
                ("worker", &self.options.name),
                ("reason", why),
            ])
            .await?;
        self.stream.done(&entry.id).await
    }

    async fn handle(&mut self, entry: Entry) -> Result<(), QueueError> {
        let job = match Job::from_fields(&entry.fields, &self.secret) {
            Ok(job) => job,
            Err(why) => {
                // This worker's secret may be the wrong one (the servers' changed since it
                // started): then the entry is left for a worker that can read it, and this
                // one stops rather than refuse every run it takes.
                if let Ok(Some(theirs)) = self.stream.secret_fingerprint().await {
                    if theirs != self.secret.fingerprint() {
                        self.say(format_args!(
                            "entry {} does not verify with this worker's secret, which is not \
                             the one the queue's servers sign with; leaving it to the other \
                             workers and stopping",
                            entry.id
                        ));
                        self.stop.ask();
                        self.fatal = Some(wrong_secret());
                        return Ok(());
                    }
                }
                // Nothing of a forged entry is trusted: the record is not touched.
                let run: String = entry
                    .fields
                    .get("run")
                    .map(|r| r.chars().filter(|c| !c.is_control()).take(64).collect())
                    .unwrap_or_default();
                return self.refuse(&entry, &run, &format!("refused: {why}")).await;
            }
        };
        if let Err(why) = self.executor.check(&job) {
            let why = format!("refused by the worker's checks: {why}");
            self.record.refuse(&job.run, &why).await?;
            return self.refuse(&entry, &job.run, &why).await;
        }
        let claim = self.claim(&entry, &job).await?;
        let attempt = match claim {
            Claim::Claimed { attempt } => attempt,
            Claim::Ended => return self.stream.done(&entry.id).await,
            // Its holder's next heartbeat takes the entry back.
            Claim::Held => return Ok(()),
            Claim::Parked { reason } => return self.refuse(&entry, &job.run, &reason).await,
            Claim::Unknown => {
                return self
                    .refuse(&entry, &job.run, "the record has no such run")
                    .await
            }
        };
        self.run_claimed(&entry, job, attempt).await
    }

    /// Claims `job`'s run in the record, trying again while the record does not answer (as
    /// storing does), the entry touched meanwhile. A claim that committed but whose answer was
    /// lost (MySQL went down between the two) is found again by the record: the run is then
    /// this worker's at the same attempt, not a second one.
    async fn claim(&mut self, entry: &Entry, job: &Job) -> Result<Claim, QueueError> {
        let waiting_since = Instant::now();
        let mut pause = Duration::from_millis(250).min(self.options.lease / 3);
        let mut said = false;
        loop {
            match self
                .record
                .claim(
                    &job.run,
                    &self.options.name,
                    self.options.lease,
                    self.options.max_attempts,
                )
                .await
            {
                Ok(claim) => return Ok(claim),
                Err(e) if waiting_since.elapsed() < STORE_PATIENCE && e.is_connection() => {
                    if !said {
                        said = true;
                        self.say(format_args!(
                            "claiming run {}: {e}; trying again for up to {} s",
                            job.run,
                            STORE_PATIENCE.as_secs()
                        ));
                    }
                    let _ = self.stream.touch(&self.options.name, &entry.id).await;
                    tokio::time::sleep(pause).await;
                    pause = (pause * 2)
                        .min(self.options.lease / 3)
                        .max(Duration::from_millis(251));
                }
                Err(e) => return Err(e),
            }
        }
    }

    /// Says in Redis that this worker is alive and runs `job` (best effort: the lease in
    /// MySQL is what holds the run).
    async fn beat(&mut self, job: &Job) {
        let doing = format!("{} {}", job.run, job.scenario);
        let _ = self
            .stream
            .beat(&self.options.name, &doing, &self.host, self.options.lease)
            .await;
    }

    fn stop_asked_of(&self, run: &str, stop: &AtomicBool, stopped: &mut bool) {
        self.say(format_args!("run {run}: stop asked; stopping it"));
        *stopped = true;
        stop.store(true, Ordering::SeqCst);
    }

    async fn run_claimed(
        &mut self,
        entry: &Entry,
        job: Job,
        attempt: u32,
    ) -> Result<(), QueueError> {
        let name = self.options.name.clone();
        self.say(format_args!(
            "run {} started: {} {} (attempt {attempt})",
            job.run,
            job.scenario,
            params_line(&job)
        ));
        self.beat(&job).await;
        let stop = Arc::new(AtomicBool::new(false));
        let events = EventWriter::start(self.stream.clone(), &job.run, self.options.events, &name);
        let mut running = {
            let (executor, job, stop) = (self.executor.clone(), job.clone(), stop.clone());
            let sink = events.sink();
            tokio::task::spawn_blocking(move || executor.run(&job, stop, sink))
        };
        let mut beat = tokio::time::interval(self.options.lease / 3);
        beat.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        let mut poll = tokio::time::interval(STOP_POLL);
        poll.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        let mut lost = false;
        let mut released = false;
        // Stop asked from the page: the run ends stopped here and is stored, never given back.
        let mut stopped = false;
        let mut grace_ends: Option<Instant> = None;
        let outcome = loop {
            tokio::select! {
                ended = &mut running => break ended,
                _ = beat.tick() => {}
                _ = poll.tick() => {
                    if !stopped && matches!(self.record.stop_asked(&job.run).await, Ok(true)) {
                        self.stop_asked_of(&job.run, &stop, &mut stopped);
                    }
                    continue;
                }
            }
            match self
                .record
                .renew(&job.run, &name, attempt, self.options.lease)
                .await
            {
                Ok(Renewal::Held { stop_asked }) => {
                    if stop_asked && !stopped {
                        self.stop_asked_of(&job.run, &stop, &mut stopped);
                    }
                }
                Ok(Renewal::Lost) => {
                    if !lost {
                        self.say(format_args!(
                            "lost the lease of run {}: another worker took it over; stopping it, its result will be dropped",
                            job.run
                        ));
                    }
                    lost = true;
                    stop.store(true, Ordering::SeqCst);
                }
                // The run goes on; if the record stays out of reach the lease lapses and
                // another worker takes over.
                Err(e) => self.say(format_args!("heartbeat of run {}: {e}", job.run)),
            }
            let _ = self.stream.touch(&name, &entry.id).await;
            self.beat(&job).await;
            if self.stop.asked() && !released && !stopped {
                let ends = *grace_ends.get_or_insert_with(|| Instant::now() + self.options.grace);
                if Instant::now() >= ends {
                    self.say(format_args!(
                        "asked to stop: run {} did not finish within {} s; stopping it and giving it back to the queue",
                        job.run,
                        self.options.grace.as_secs()
                    ));
                    released = true;
                    stop.store(true, Ordering::SeqCst);
                }
            }
        };
        let outcome = match outcome {
            Ok(outcome) => outcome,
            Err(e) => Outcome {
                status: RunStatus::Failed,
                reason: Some(format!("the worker's run panicked: {e}")),
                trace_json: "{}".into(),
                summary: "panicked".into(),
                summary_json: None,
            },
        };
        if lost {
            // The run goes on elsewhere: its next worker's events start with a snapshot.
            events.abandon();
            return Ok(());
        }
        if released && !stopped {
            events.abandon();
            // Its entry stays pending: another worker reclaims it once a lease has passed.
            let back = self.record.release(&job.run, &name, attempt).await?;
            self.say(format_args!(
                "run {} {}",
                job.run,
                if back {
                    "given back to the queue"
                } else {
                    "was taken over meanwhile"
                }
            ));
            return Ok(());
        }
        // The end and the trace, in one transaction; tried again while the record does not
        // answer. Nobody can take the run over meanwhile (the lease is in the record), and
        // the fence decides once it answers again, so waiting is safe and loses no run.
        let waiting_since = Instant::now();
        let mut pause = Duration::from_millis(250).min(self.options.lease / 3);
        let mut failed = false;
        let stored = loop {
            match self.record.finish(&job.run, &name, attempt, &outcome).await {
                Ok(stored) => {
                    if failed {
                        self.say(format_args!(
                            "run {} stored after the record answered again ({} ms)",
                            job.run,
                            waiting_since.elapsed().as_millis()
                        ));
                    }
                    break stored;
                }
                Err(e) if waiting_since.elapsed() < STORE_PATIENCE => {
                    if !failed {
                        failed = true;
                        self.say(format_args!(
                            "storing run {}: {e}; trying again for up to {} s",
                            job.run,
                            STORE_PATIENCE.as_secs()
                        ));
                    }
                    // The entry stays this worker's meanwhile: no other worker reclaims it and
                    // runs the run again once the record answers.
                    let _ = self.stream.touch(&name, &entry.id).await;
                    self.beat(&job).await;
                    tokio::time::sleep(pause).await;
                    pause = (pause * 2).min(self.options.lease / 3);
                }
                Err(e) => return Err(e),
            }
        };
        if !stored {
            events.abandon();
            self.say(format_args!(
                "run {} was taken over by another worker before it ended here; its result is dropped",
                job.run
            ));
            return Ok(());
        }
        events.end(outcome.status.as_str()).await;
        self.stream.done(&entry.id).await?;
        self.done += 1;
        let _ = self.stream.count_done(&name).await;
        self.say(format_args!(
            "run {} ended: {} ({})",
            job.run,
            outcome.status.as_str(),
            outcome.summary
        ));
        Ok(())
    }
}

/// A job's parameters as `-p` would give them: `tasks=3 sleep_ms=200`.
fn params_line(job: &Job) -> String {
    job.params
        .iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join(" ")
}
