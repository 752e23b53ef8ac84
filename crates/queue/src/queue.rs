//! The server's side: a run is recorded `queued` in MySQL, then added to the stream, signed;
//! a full queue is refused with a time to retry after. When Redis has lost what the server set
//! up (restarted without its append-only file, flushed), the group is made again and every
//! run the record holds as queued, or as running without a live lease, is added again:
//! duplicates are harmless, as a worker claims a run in the record before it runs it.

use crate::error::QueueError;
use crate::job::Job;
use crate::record::Record;
use crate::secret::Secret;
use crate::stream::Stream;

/// How the server reaches the queue.
#[derive(Debug, Clone)]
pub struct QueueSettings {
    /// The queue's Redis (`redis://host:port/db`).
    pub redis_url: String,
    /// The record's MySQL (`mysql://user:password@host:port/database`).
    pub mysql_url: String,
    /// The secret shared with the workers.
    pub secret: Secret,
    /// Runs waiting or running at most; one more is refused (429).
    pub max_length: u64,
    /// What the queue's keys begin with ([`crate::PREFIX`] unless a test keeps its own).
    pub prefix: String,
}

/// The server's handle on the queue.
#[derive(Clone)]
pub struct Queue {
    stream: Stream,
    record: Record,
    secret: Secret,
    max_length: u64,
}

/// A run accepted by the queue.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Enqueued {
    /// Its stream entry's id.
    pub entry: String,
}

impl Queue {
    /// Connects to both servers, brings the record's tables up to date and recovers what a
    /// lost Redis dropped.
    pub async fn open(settings: &QueueSettings) -> Result<Queue, QueueError> {
        let stream = Stream::connect_with_prefix(&settings.redis_url, &settings.prefix).await?;
        let record = Record::open(&settings.mysql_url).await?;
        let queue = Queue {
            stream,
            record,
            secret: settings.secret.clone(),
            max_length: settings.max_length,
        };
        // A server that stopped between recording a run and adding it left it undelivered:
        // whatever Redis holds, every undelivered run is added again at start.
        queue.redeliver().await?;
        Ok(queue)
    }

    /// The record.
    pub fn record(&self) -> &Record {
        &self.record
    }

    /// The stream.
    pub fn stream(&self) -> &Stream {
        &self.stream
    }

    /// Records `job` as queued and adds it to the stream, unless the queue is full.
    pub async fn enqueue(&self, job: &Job) -> Result<Enqueued, QueueError> {
        // Read first, so a full queue costs the record nothing; the add checks again.
        let length = self.stream.length().await?;
        if length >= self.max_length {
            return Err(self.full(length).await);
        }
        self.record.insert_queued(job).await?;
        match self
            .stream
            .add_capped(job, &self.secret, self.max_length)
            .await
        {
            Ok(Some(entry)) => Ok(Enqueued { entry }),
            // Filled by other starts since the length was read: this one never was.
            Ok(None) => {
                let _ = self.record.forget_queued(&job.run).await;
                Err(self.full(self.max_length).await)
            }
            Err(e) => {
                // Not delivered: it ends failed at once rather than wait for nobody.
                let why = format!("the queue did not take it: {e}");
                let _ = self.record.refuse(&job.run, &why).await;
                Err(e)
            }
        }
    }

    /// The refusal of a full queue, with a hint of when to try again: about a second of each
    /// live worker's time per run ahead.
    async fn full(&self, length: u64) -> QueueError {
        let workers = self
            .stream
            .workers()
            .await
            .map(|w| w.iter().filter(|w| w.alive).count() as u64)
            .unwrap_or(0)
            .max(1);
        QueueError::Full {
            length,
            cap: self.max_length,
            retry_after: length.div_ceil(workers).clamp(1, 600),
        }
    }

    /// If Redis lost the queue's set-up: makes the group again and adds every undelivered
    /// run of the record again. Returns how many runs it added.
    pub async fn recover(&self) -> Result<usize, QueueError> {
        if self.stream.epoch_present().await? {
            return Ok(0);
        }
        self.redeliver().await
    }

    /// Makes the group if missing and adds every undelivered run of the record again.
    async fn redeliver(&self) -> Result<usize, QueueError> {
        self.stream.ensure_group().await?;
        self.stream
            .set_secret_fingerprint(&self.secret.fingerprint())
            .await?;
        let jobs = self.record.undelivered().await?;
        for job in &jobs {
            self.stream.add(job, &self.secret).await?;
        }
        self.stream.set_epoch().await?;
        Ok(jobs.len())
    }
}
