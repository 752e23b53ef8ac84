//! A run's live events across machines. The worker running it appends them to a Redis stream
//! of the run's own (`{prefix}ev:{run}`); whoever shows the run reads them there, from the
//! last full snapshot on, however late it comes. What a snapshot and a delta hold is the
//! executor's business (for `conlab-serve`: a trace and a `conlab_wire::Delta`, as JSON);
//! here they are text.
//!
//! - The executor hands events to an [`EventSink`], which never waits on Redis: it takes one
//!   event while the one before is being written and says which kind it wants next (a
//!   snapshot first, after every [`EventSettings::snapshot_every`] deltas, and after a write
//!   failed), so a slow or absent Redis costs the run nothing and the next delta the
//!   executor makes simply covers more.
//! - The stream is capped: a snapshot trims everything before the previous snapshot
//!   (`XADD … MINID`), a delta trims to about [`EventSettings::cap`] entries (`MAXLEN ~`), so
//!   it holds at most two snapshots. It expires [`EventSettings::linger`] after its last
//!   entry: a run that ended, or whose worker died, leaves nothing behind for long.
//! - Every entry carries its number in its writer's sequence (`n`). An [`EventReader`] gives
//!   a snapshot first and then only deltas that follow on without a gap; on a gap (entries
//!   trimmed under a reader that fell behind, a write lost, a second worker on the run) it
//!   starts again from the last snapshot.

use crate::error::QueueError;
use crate::stream::{entry, Entry, Stream};
use redis::Value;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::mpsc;

/// How a run's event stream is kept.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EventSettings {
    /// Deltas between two snapshots, about (a write in flight may add one or two).
    pub snapshot_every: u64,
    /// The stream's length, about, should snapshots stop coming (they trim it themselves).
    pub cap: u64,
    /// How long the stream stays after its last entry.
    pub linger: Duration,
}

impl Default for EventSettings {
    /// A snapshot every 64 deltas (about 3 s at the server's 50 ms), at most 256 entries, kept
    /// five minutes after the last.
    fn default() -> EventSettings {
        EventSettings {
            snapshot_every: 64,
            cap: 256,
            linger: Duration::from_secs(300),
        }
    }
}

/// What an event is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EventKind {
    /// Everything the run recorded so far: a reader starts from the last one.
    Snapshot,
    /// What it recorded since the entry before.
    Delta,
    /// The run has ended here; its data is the status (`done`, `failed`, `stopped`).
    End,
}

impl EventKind {
    fn as_str(self) -> &'static str {
        match self {
            EventKind::Snapshot => "snapshot",
            EventKind::Delta => "delta",
            EventKind::End => "end",
        }
    }

    fn parse(text: &str) -> Option<EventKind> {
        match text {
            "snapshot" => Some(EventKind::Snapshot),
            "delta" => Some(EventKind::Delta),
            "end" => Some(EventKind::End),
            _ => None,
        }
    }
}

/// One event as read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RunEvent {
    /// Its stream id.
    pub id: String,
    /// What it is.
    pub kind: EventKind,
    /// Its number in its writer's sequence.
    pub n: u64,
    /// What the executor gave.
    pub data: String,
}

impl RunEvent {
    fn from_entry(entry: Entry) -> Option<RunEvent> {
        Some(RunEvent {
            kind: EventKind::parse(entry.fields.get("k")?)?,
            n: entry.fields.get("n")?.parse().ok()?,
            data: entry.fields.get("data").cloned().unwrap_or_default(),
            id: entry.id,
        })
    }
}

enum Message {
    Event(EventKind, String),
    End(String),
}

/// Where an executor hands the events of the run it runs. Cheap to clone; dropping it says
/// nothing (the worker writes the end).
#[derive(Clone)]
pub struct EventSink {
    /// `None`: the events go nowhere.
    tx: Option<mpsc::Sender<Message>>,
    snapshot_due: Arc<AtomicBool>,
}

impl EventSink {
    /// A sink that takes nothing (a run nobody watches: tests, a local executor).
    pub fn nowhere() -> EventSink {
        EventSink {
            tx: None,
            snapshot_due: Arc::new(AtomicBool::new(true)),
        }
    }

    /// Whether it takes an event now, and which kind: `None` while the one before is still
    /// being written (make nothing now: the next delta covers this moment too).
    pub fn wants(&self) -> Option<EventKind> {
        let tx = self.tx.as_ref()?;
        if tx.capacity() == 0 || tx.is_closed() {
            return None;
        }
        Some(if self.snapshot_due.load(Ordering::SeqCst) {
            EventKind::Snapshot
        } else {
            EventKind::Delta
        })
    }

    /// Hands over an event of the kind [`EventSink::wants`] said; never waits. A delta it
    /// could not take breaks the chain, so a snapshot is asked for next.
    pub fn send(&self, kind: EventKind, data: String) {
        let Some(tx) = &self.tx else { return };
        if kind == EventKind::Snapshot {
            self.snapshot_due.store(false, Ordering::SeqCst);
        }
        if tx.try_send(Message::Event(kind, data)).is_err() {
            self.snapshot_due.store(true, Ordering::SeqCst);
        }
    }
}

/// The worker's side of one run's events: a task writing what its sink takes, in order, on
/// the worker's connection.
pub struct EventWriter {
    tx: mpsc::Sender<Message>,
    snapshot_due: Arc<AtomicBool>,
    task: tokio::task::JoinHandle<()>,
}

/// How long the end of a run's events may wait for what is still being written.
const END_PATIENCE: Duration = Duration::from_secs(2);

impl EventWriter {
    /// Starts writing run `run`'s events (on a tokio runtime); `worker` names the worker in
    /// its log.
    pub fn start(stream: Stream, run: &str, settings: EventSettings, worker: &str) -> EventWriter {
        // One event waits while one is written: enough to keep Redis busy, and nothing piles
        // up when it is slow.
        let (tx, rx) = mpsc::channel(1);
        let snapshot_due = Arc::new(AtomicBool::new(true));
        let task = tokio::spawn(write(
            stream,
            run.to_string(),
            settings,
            rx,
            snapshot_due.clone(),
            worker.to_string(),
        ));
        EventWriter {
            tx,
            snapshot_due,
            task,
        }
    }

    /// The executor's end.
    pub fn sink(&self) -> EventSink {
        EventSink {
            tx: Some(self.tx.clone()),
            snapshot_due: self.snapshot_due.clone(),
        }
    }

    /// Writes the end (`status`) after what is still waiting, giving up after a moment: a
    /// Redis that does not answer must not hold up the worker's next run.
    pub async fn end(self, status: &str) {
        let EventWriter { tx, task, .. } = self;
        let ended = async {
            let _ = tx.send(Message::End(status.to_string())).await;
            drop(tx);
            let _ = task.await;
        };
        let _ = tokio::time::timeout(END_PATIENCE, ended).await;
    }

    /// Stops writing, with no end: the run goes on elsewhere (given back, or taken over).
    pub fn abandon(self) {
        self.task.abort();
    }
}

async fn write(
    stream: Stream,
    run: String,
    settings: EventSettings,
    mut rx: mpsc::Receiver<Message>,
    snapshot_due: Arc<AtomicBool>,
    worker: String,
) {
    let key = stream.key(&format!("ev:{run}"));
    let mut n = 0u64;
    let mut deltas = 0u64;
    let mut last_snapshot: Option<String> = None;
    // A delta means something only after the entry before it: after a failed write, none
    // until a snapshot is written.
    let mut broken = true;
    let mut said = false;
    while let Some(message) = rx.recv().await {
        let (kind, data) = match message {
            Message::Event(kind, data) => (kind, data),
            Message::End(status) => (EventKind::End, status),
        };
        if kind == EventKind::Delta && broken {
            continue;
        }
        n += 1;
        let mut pipe = redis::pipe();
        {
            let add = pipe.cmd("XADD").arg(&key);
            match (kind, &last_snapshot) {
                (EventKind::Snapshot, Some(previous)) => add.arg("MINID").arg(previous),
                (EventKind::Snapshot, None) => add,
                _ => add.arg("MAXLEN").arg("~").arg(settings.cap),
            };
            add.arg("*")
                .arg("k")
                .arg(kind.as_str())
                .arg("n")
                .arg(n)
                .arg("data")
                .arg(&data);
        }
        pipe.cmd("PEXPIRE")
            .arg(&key)
            .arg(settings.linger.as_millis() as u64)
            .ignore();
        match stream.pipeline::<(String,)>(&pipe).await {
            Ok((id,)) => match kind {
                EventKind::Snapshot => {
                    last_snapshot = Some(id);
                    deltas = 0;
                    broken = false;
                }
                EventKind::Delta => {
                    deltas += 1;
                    if deltas >= settings.snapshot_every {
                        snapshot_due.store(true, Ordering::SeqCst);
                    }
                }
                EventKind::End => return,
            },
            Err(e) => {
                broken = true;
                snapshot_due.store(true, Ordering::SeqCst);
                if !said {
                    said = true;
                    eprintln!(
                        "conlab worker {worker}: run {run}'s live events were not published \
                         ({e}); the run goes on, and its live view resumes from a snapshot \
                         once Redis answers"
                    );
                }
                if kind == EventKind::End {
                    return;
                }
            }
        }
    }
}

impl Stream {
    /// How many entries run `run`'s event stream holds now.
    pub async fn event_count(&self, run: &str) -> Result<u64, QueueError> {
        self.query(redis::cmd("XLEN").arg(self.key(&format!("ev:{run}"))))
            .await
    }
}

/// Reads one run's events: a snapshot first, then the deltas that follow it without a gap,
/// and the end. Reads on a connection of its own, as it blocks.
pub struct EventReader {
    stream: Stream,
    key: String,
    /// The id it has read up to.
    last_id: String,
    /// The number of the last event it gave; `None` until it gave a snapshot.
    last_n: Option<u64>,
    /// Whether its next read starts from the last snapshot.
    from_snapshot: bool,
}

/// How many entries a look back for the last snapshot reads at once.
const LOOK_BACK: u32 = 16;

/// The most entries one read gives.
const READ_COUNT: u32 = 512;

impl EventReader {
    /// A reader of run `run`'s events on `stream`'s Redis (a connection of its own).
    pub async fn open(stream: &Stream, run: &str) -> Result<EventReader, QueueError> {
        Ok(EventReader {
            key: stream.key(&format!("ev:{run}")),
            stream: stream.own_connection().await?,
            last_id: "0-0".into(),
            last_n: None,
            from_snapshot: true,
        })
    }

    /// Starts again from the last snapshot at its next read (after an error).
    pub fn restart(&mut self) {
        self.from_snapshot = true;
    }

    /// The next events, waiting at most `block` when there are none. After opening (or a
    /// gap, or [`EventReader::restart`]) the first is the last snapshot; a snapshot among
    /// them replaces what came before it; deltas follow on from the event before.
    pub async fn next(&mut self, block: Duration) -> Result<Vec<RunEvent>, QueueError> {
        if self.from_snapshot {
            self.from_snapshot = false;
            let events = self.read_from_last_snapshot().await?;
            if !events.is_empty() {
                return Ok(events);
            }
        }
        let mut cmd = redis::cmd("XREAD");
        cmd.arg("COUNT")
            .arg(READ_COUNT)
            .arg("BLOCK")
            .arg(block.as_millis() as u64)
            .arg("STREAMS")
            .arg(&self.key)
            .arg(&self.last_id);
        let reply: Value = self.stream.query(&cmd).await?;
        // [[key, [[id, [f, v, …]], …]]] or nil
        let Value::Array(streams) = reply else {
            return Ok(Vec::new());
        };
        let entries = streams.into_iter().find_map(|s| match s {
            Value::Array(mut kv) if kv.len() == 2 => kv.pop(),
            _ => None,
        });
        let Some(Value::Array(entries)) = entries else {
            return Ok(Vec::new());
        };
        let mut out = Vec::new();
        for entry in entries.into_iter().filter_map(entry) {
            self.last_id = entry.id.clone();
            let Some(event) = RunEvent::from_entry(entry) else {
                continue;
            };
            match (event.kind, self.last_n) {
                (EventKind::Snapshot, _) => {
                    out.clear();
                    self.last_n = Some(event.n);
                }
                (EventKind::End, _) => {}
                // Waiting for a snapshot; or an entry sent twice (a command resent after a
                // lost connection).
                (EventKind::Delta, None) => continue,
                (EventKind::Delta, Some(last)) if event.n <= last => continue,
                (EventKind::Delta, Some(last)) if event.n == last + 1 => {
                    self.last_n = Some(event.n);
                }
                (EventKind::Delta, Some(_)) => return self.read_from_last_snapshot().await,
            }
            out.push(event);
        }
        Ok(out)
    }

    /// The last snapshot and what follows it on; nothing (and waiting for the next
    /// snapshot) when the stream holds none yet.
    async fn read_from_last_snapshot(&mut self) -> Result<Vec<RunEvent>, QueueError> {
        self.last_n = None;
        let mut newest_first = Vec::new();
        let mut newest = None;
        let mut before = "+".to_string();
        let found = loop {
            let reply: Value = self
                .stream
                .query(
                    redis::cmd("XREVRANGE")
                        .arg(&self.key)
                        .arg(&before)
                        .arg("-")
                        .arg("COUNT")
                        .arg(LOOK_BACK),
                )
                .await?;
            let Value::Array(entries) = reply else {
                break false;
            };
            if entries.is_empty() {
                break false;
            }
            let mut found = false;
            for entry in entries.into_iter().filter_map(entry) {
                before = format!("({}", entry.id);
                // The newest entry: reading goes on after it.
                newest.get_or_insert_with(|| entry.id.clone());
                let Some(event) = RunEvent::from_entry(entry) else {
                    continue;
                };
                found = event.kind == EventKind::Snapshot;
                newest_first.push(event);
                if found {
                    break;
                }
            }
            if found {
                break true;
            }
        };
        if let Some(newest) = newest {
            self.last_id = newest;
        }
        if !found {
            return Ok(Vec::new());
        }
        let mut out: Vec<RunEvent> = Vec::new();
        for event in newest_first.into_iter().rev() {
            match (event.kind, self.last_n) {
                (EventKind::Snapshot, _) => self.last_n = Some(event.n),
                (EventKind::End, _) => {}
                (EventKind::Delta, Some(last)) if event.n <= last => continue,
                (EventKind::Delta, Some(last)) if event.n == last + 1 => {
                    self.last_n = Some(event.n)
                }
                // A gap after the snapshot: what follows it cannot be applied; the next
                // snapshot starts over.
                (EventKind::Delta, _) => {
                    self.last_n = None;
                    break;
                }
            }
            out.push(event);
        }
        Ok(out)
    }
}
