//! The delivery: one Redis stream of signed entries read by one consumer group, a dead-letter
//! stream, and the workers' presence. Every key is under [`PREFIX`], which no scenario's
//! cleanup matches (their keys are under their run's id).
//!
//! An entry stays in the stream until its run has ended: a worker acknowledges it and deletes
//! it then, so the stream's length is the queue's (waiting and running), which the server caps.

use crate::error::QueueError;
use crate::job::Job;
use crate::secret::Secret;
use conlab_core::url::redact_url as redact;
use redis::Value;
use std::collections::BTreeMap;
use std::time::Duration;

/// What every key of the queue begins with.
pub const PREFIX: &str = "conlab:q:";

/// The consumer group every worker reads in.
const GROUP: &str = "workers";

/// How long one command may take (a blocking read's own wait comes on top).
const COMMAND_LIMIT: Duration = Duration::from_secs(5);

/// The dead-letter stream's length, about.
const DEAD_LENGTH: u64 = 10_000;

/// One entry read from the stream.
#[derive(Debug, Clone)]
pub struct Entry {
    /// Its stream id.
    pub id: String,
    /// Its fields.
    pub fields: BTreeMap<String, String>,
}

/// A worker as its presence key says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WorkerRow {
    /// Its name.
    pub name: String,
    /// Whether its presence key is there (it beat within its time to live).
    pub alive: bool,
    /// The run it runs now (`-`: none), and the scenario.
    pub running: String,
    /// Runs it ended.
    pub done: u64,
    /// Its machine and process.
    pub host: String,
}

/// The queue's Redis.
#[derive(Clone)]
pub struct Stream {
    /// The connection, replaced by a new one when it is lost (a Redis restart).
    conn: std::sync::Arc<std::sync::Mutex<redis::aio::MultiplexedConnection>>,
    client: redis::Client,
    url: String,
    prefix: String,
}

impl Stream {
    /// Connects to `url` (`redis://host:port/db`) with keys under [`PREFIX`].
    pub async fn connect(url: &str) -> Result<Stream, QueueError> {
        Stream::connect_with_prefix(url, PREFIX).await
    }

    /// Connects with keys under `prefix` (tests keep theirs apart).
    pub async fn connect_with_prefix(url: &str, prefix: &str) -> Result<Stream, QueueError> {
        let bad = |why: String| QueueError::BadUrl {
            what: "--queue",
            url: redact(url),
            why,
            shape: "redis://[:password@]host:port/db",
        };
        if !(url.starts_with("redis://") || url.starts_with("rediss://")) {
            return Err(bad("it does not start with redis://".into()));
        }
        let client = redis::Client::open(url).map_err(|e| bad(e.to_string()))?;
        let config = redis::AsyncConnectionConfig::new()
            .set_connection_timeout(Some(COMMAND_LIMIT))
            .set_response_timeout(Some(COMMAND_LIMIT + Duration::from_secs(2)));
        let conn = client
            .get_multiplexed_async_connection_with_config(&config)
            .await
            .map_err(|e| QueueError::Redis {
                url: redact(url),
                why: in_words(&e),
            })?;
        let stream = Stream {
            conn: std::sync::Arc::new(std::sync::Mutex::new(conn)),
            client,
            url: redact(url),
            prefix: prefix.to_string(),
        };
        stream.ping().await?;
        Ok(stream)
    }

    /// The same Redis on a connection of its own: for blocking reads, which would hold up
    /// every other command sent on a shared connection while they wait.
    pub async fn own_connection(&self) -> Result<Stream, QueueError> {
        let config = redis::AsyncConnectionConfig::new()
            .set_connection_timeout(Some(COMMAND_LIMIT))
            .set_response_timeout(Some(COMMAND_LIMIT + Duration::from_secs(2)));
        let conn = self
            .client
            .get_multiplexed_async_connection_with_config(&config)
            .await
            .map_err(|e| self.error(in_words(&e)))?;
        Ok(Stream {
            conn: std::sync::Arc::new(std::sync::Mutex::new(conn)),
            client: self.client.clone(),
            url: self.url.clone(),
            prefix: self.prefix.clone(),
        })
    }

    /// Its URL, redacted.
    pub fn url(&self) -> &str {
        &self.url
    }

    pub(crate) fn key(&self, name: &str) -> String {
        format!("{}{name}", self.prefix)
    }

    fn error(&self, e: impl std::fmt::Display) -> QueueError {
        QueueError::Redis {
            url: self.url.clone(),
            why: e.to_string(),
        }
    }

    fn connection(&self) -> redis::aio::MultiplexedConnection {
        self.conn.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }

    /// After a command failed with `e`: whether its connection was lost (Redis restarted)
    /// and a new one is made, on which the command may be sent again.
    async fn reconnected(&self, e: &redis::RedisError) -> bool {
        if !(e.is_io_error() || e.is_connection_dropped() || e.is_connection_refusal()) {
            return false;
        }
        let config = redis::AsyncConnectionConfig::new()
            .set_connection_timeout(Some(COMMAND_LIMIT))
            .set_response_timeout(Some(COMMAND_LIMIT + Duration::from_secs(2)));
        match self
            .client
            .get_multiplexed_async_connection_with_config(&config)
            .await
        {
            Ok(conn) => {
                *self.conn.lock().unwrap_or_else(|e| e.into_inner()) = conn;
                true
            }
            Err(_) => false,
        }
    }

    /// Sends `cmd`; once more on a new connection if the connection was lost (a command
    /// sent twice is harmless here: an entry added twice finds its run held or ended).
    pub(crate) async fn query<T: redis::FromRedisValue>(
        &self,
        cmd: &redis::Cmd,
    ) -> Result<T, QueueError> {
        match cmd.query_async(&mut self.connection()).await {
            Ok(value) => Ok(value),
            Err(e) if self.reconnected(&e).await => cmd
                .query_async(&mut self.connection())
                .await
                .map_err(|e| self.error(in_words(&e))),
            Err(e) => Err(self.error(in_words(&e))),
        }
    }

    /// Sends `pipe`, as [`Stream::query`] sends a command.
    pub(crate) async fn pipeline<T: redis::FromRedisValue>(
        &self,
        pipe: &redis::Pipeline,
    ) -> Result<T, QueueError> {
        match pipe.query_async::<T>(&mut self.connection()).await {
            Ok(value) => Ok(value),
            Err(e) if self.reconnected(&e).await => pipe
                .query_async::<T>(&mut self.connection())
                .await
                .map_err(|e| self.error(in_words(&e))),
            Err(e) => Err(self.error(in_words(&e))),
        }
    }

    async fn ping(&self) -> Result<(), QueueError> {
        let _: String = self.query(&redis::cmd("PING")).await?;
        Ok(())
    }

    /// Makes the consumer group (and the stream) if missing.
    pub async fn ensure_group(&self) -> Result<(), QueueError> {
        let mut cmd = redis::cmd("XGROUP");
        cmd.arg("CREATE")
            .arg(self.key("runs"))
            .arg(GROUP)
            .arg("0")
            .arg("MKSTREAM");
        match self.query::<Value>(&cmd).await {
            Ok(_) => Ok(()),
            Err(QueueError::Redis { why, .. }) if why.contains("BUSYGROUP") => Ok(()),
            Err(e) => Err(e),
        }
    }

    /// Whether the queue's Redis still holds what the server set up (`false` after it lost
    /// its data: a restart without its append-only file, a flush).
    pub async fn epoch_present(&self) -> Result<bool, QueueError> {
        let n: u64 = self
            .query(redis::cmd("EXISTS").arg(self.key("epoch")))
            .await?;
        Ok(n == 1)
    }

    /// Marks the set-up done.
    pub async fn set_epoch(&self) -> Result<(), QueueError> {
        let _: Value = self
            .query(redis::cmd("SET").arg(self.key("epoch")).arg("1"))
            .await?;
        Ok(())
    }

    /// The fingerprint of the secret the queue's servers sign with, if one said it.
    pub async fn secret_fingerprint(&self) -> Result<Option<String>, QueueError> {
        self.query(redis::cmd("GET").arg(self.key("secret"))).await
    }

    /// Says which secret the queue's servers sign with (its fingerprint).
    pub async fn set_secret_fingerprint(&self, fingerprint: &str) -> Result<(), QueueError> {
        let _: Value = self
            .query(redis::cmd("SET").arg(self.key("secret")).arg(fingerprint))
            .await?;
        Ok(())
    }

    /// Adds `job`, signed with `secret`, unless the stream already holds `cap` entries:
    /// both in one step (a script), so starts arriving together cannot all pass a length
    /// read first. The entry's id, or `None` when the queue is full.
    pub async fn add_capped(
        &self,
        job: &Job,
        secret: &Secret,
        cap: u64,
    ) -> Result<Option<String>, QueueError> {
        let mut cmd = redis::cmd("EVAL");
        cmd.arg(
            "if redis.call('XLEN', KEYS[1]) >= tonumber(ARGV[1]) then return false end \
             return redis.call('XADD', KEYS[1], '*', unpack(ARGV, 2))",
        )
        .arg(1)
        .arg(self.key("runs"))
        .arg(cap);
        for (name, value) in job.fields(secret) {
            cmd.arg(name).arg(value);
        }
        self.query(&cmd).await
    }

    /// Adds `job`, signed with `secret`; returns the entry's id.
    pub async fn add(&self, job: &Job, secret: &Secret) -> Result<String, QueueError> {
        let mut cmd = redis::cmd("XADD");
        cmd.arg(self.key("runs")).arg("*");
        for (name, value) in job.fields(secret) {
            cmd.arg(name).arg(value);
        }
        self.query(&cmd).await
    }

    /// Adds raw fields (tests: a forged entry).
    pub async fn add_raw(&self, fields: &[(&str, &str)]) -> Result<String, QueueError> {
        let mut cmd = redis::cmd("XADD");
        cmd.arg(self.key("runs")).arg("*");
        for (name, value) in fields {
            cmd.arg(*name).arg(*value);
        }
        self.query(&cmd).await
    }

    /// Entries in the stream: waiting and running.
    pub async fn length(&self) -> Result<u64, QueueError> {
        self.query(redis::cmd("XLEN").arg(self.key("runs"))).await
    }

    /// The next new entry for `consumer`, waiting at most `block`.
    pub async fn read(&self, consumer: &str, block: Duration) -> Result<Option<Entry>, QueueError> {
        let mut cmd = redis::cmd("XREADGROUP");
        cmd.arg("GROUP")
            .arg(GROUP)
            .arg(consumer)
            .arg("COUNT")
            .arg(1)
            .arg("BLOCK")
            .arg(block.as_millis() as u64)
            .arg("STREAMS")
            .arg(self.key("runs"))
            .arg(">");
        let reply: Value = self.query(&cmd).await?;
        // [[key, [[id, [f, v, …]]]]] or nil
        let Value::Array(streams) = reply else {
            return Ok(None);
        };
        let entries = streams.into_iter().find_map(|s| match s {
            Value::Array(mut kv) if kv.len() == 2 => kv.pop(),
            _ => None,
        });
        Ok(entries.and_then(first_entry))
    }

    /// An entry whose consumer has not touched it for `idle` (its worker is gone), now
    /// `consumer`'s.
    pub async fn reclaim(
        &self,
        consumer: &str,
        idle: Duration,
    ) -> Result<Option<Entry>, QueueError> {
        let mut cmd = redis::cmd("XAUTOCLAIM");
        cmd.arg(self.key("runs"))
            .arg(GROUP)
            .arg(consumer)
            .arg(idle.as_millis() as u64)
            .arg("0-0")
            .arg("COUNT")
            .arg(1);
        let reply: Value = self.query(&cmd).await?;
        // [next, [[id, [f, v, …]]], [deleted ids]]
        let Value::Array(mut parts) = reply else {
            return Ok(None);
        };
        if parts.len() < 2 {
            return Ok(None);
        }
        Ok(first_entry(parts.swap_remove(1)))
    }

    /// Resets the idle time of `consumer`'s entry `id`: the heartbeat's mark in the stream,
    /// so no other worker reclaims a run that is going on.
    pub async fn touch(&self, consumer: &str, id: &str) -> Result<(), QueueError> {
        let mut cmd = redis::cmd("XCLAIM");
        cmd.arg(self.key("runs"))
            .arg(GROUP)
            .arg(consumer)
            .arg(0)
            .arg(id)
            .arg("JUSTID");
        let _: Value = self.query(&cmd).await?;
        Ok(())
    }

    /// Acknowledges entry `id` and deletes it: its run has ended (or will never run).
    pub async fn done(&self, id: &str) -> Result<(), QueueError> {
        let mut pipe = redis::pipe();
        pipe.cmd("XACK")
            .arg(self.key("runs"))
            .arg(GROUP)
            .arg(id)
            .ignore()
            .cmd("XDEL")
            .arg(self.key("runs"))
            .arg(id)
            .ignore();
        self.pipeline(&pipe).await
    }

    /// Writes an entry on the dead-letter stream: what was refused or parked, and why.
    pub async fn dead_letter(&self, fields: &[(&str, &str)]) -> Result<(), QueueError> {
        let mut cmd = redis::cmd("XADD");
        cmd.arg(self.key("dead"))
            .arg("MAXLEN")
            .arg("~")
            .arg(DEAD_LENGTH)
            .arg("*");
        for (name, value) in fields {
            cmd.arg(*name).arg(*value);
        }
        let _: Value = self.query(&cmd).await?;
        Ok(())
    }

    /// The dead-letter stream's entries, oldest first (at most `count`).
    pub async fn dead_letters(&self, count: u32) -> Result<Vec<Entry>, QueueError> {
        let reply: Value = self
            .query(
                redis::cmd("XRANGE")
                    .arg(self.key("dead"))
                    .arg("-")
                    .arg("+")
                    .arg("COUNT")
                    .arg(count),
            )
            .await?;
        let Value::Array(entries) = reply else {
            return Ok(Vec::new());
        };
        Ok(entries.into_iter().filter_map(entry).collect())
    }

    /// Says `name` is alive for `ttl`, running `running` (`-`: nothing), on `host`.
    pub async fn beat(
        &self,
        name: &str,
        running: &str,
        host: &str,
        ttl: Duration,
    ) -> Result<(), QueueError> {
        let key = self.key(&format!("worker:{name}"));
        let mut pipe = redis::pipe();
        pipe.cmd("SADD")
            .arg(self.key("workers"))
            .arg(name)
            .ignore()
            .cmd("HSET")
            .arg(&key)
            .arg("running")
            .arg(running)
            .arg("host")
            .arg(host)
            .ignore()
            .cmd("PEXPIRE")
            .arg(&key)
            .arg(ttl.as_millis() as u64)
            .ignore();
        self.pipeline(&pipe).await
    }

    /// Where worker `name` runs (`<host> pid <pid>`) and for how much longer it counts as
    /// alive without another beat, if it is.
    pub async fn alive(&self, name: &str) -> Result<Option<(String, Duration)>, QueueError> {
        let key = self.key(&format!("worker:{name}"));
        let host: Option<String> = self.query(redis::cmd("HGET").arg(&key).arg("host")).await?;
        let left: i64 = self.query(redis::cmd("PTTL").arg(&key)).await?;
        Ok(host
            .filter(|_| left > 0)
            .map(|host| (host, Duration::from_millis(left as u64))))
    }

    /// Counts a run `name` ended.
    pub async fn count_done(&self, name: &str) -> Result<(), QueueError> {
        let _: Value = self
            .query(redis::cmd("HINCRBY").arg(self.key("done")).arg(name).arg(1))
            .await?;
        Ok(())
    }

    /// Says `name` is gone (it stopped cleanly).
    pub async fn gone(&self, name: &str) -> Result<(), QueueError> {
        let _: Value = self
            .query(redis::cmd("DEL").arg(self.key(&format!("worker:{name}"))))
            .await?;
        Ok(())
    }

    /// Every worker that ever beat here, alive ones first.
    pub async fn workers(&self) -> Result<Vec<WorkerRow>, QueueError> {
        let names: Vec<String> = self
            .query(redis::cmd("SMEMBERS").arg(self.key("workers")))
            .await?;
        let done: BTreeMap<String, u64> = self
            .query(redis::cmd("HGETALL").arg(self.key("done")))
            .await?;
        let mut rows = Vec::new();
        for name in names {
            let info: BTreeMap<String, String> = self
                .query(redis::cmd("HGETALL").arg(self.key(&format!("worker:{name}"))))
                .await?;
            rows.push(WorkerRow {
                alive: !info.is_empty(),
                running: info.get("running").cloned().unwrap_or_else(|| "-".into()),
                host: info.get("host").cloned().unwrap_or_default(),
                done: done.get(&name).copied().unwrap_or(0),
                name,
            });
        }
        rows.sort_by(|a, b| b.alive.cmp(&a.alive).then(a.name.cmp(&b.name)));
        Ok(rows)
    }
}

/// The first entry of a list of entries.
fn first_entry(entries: Value) -> Option<Entry> {
    let Value::Array(entries) = entries else {
        return None;
    };
    entries.into_iter().find_map(entry)
}

/// `[id, [f, v, …]]` as an entry (`None` for one deleted meanwhile: its fields are nil).
pub(crate) fn entry(value: Value) -> Option<Entry> {
    let Value::Array(mut parts) = value else {
        return None;
    };
    if parts.len() != 2 {
        return None;
    }
    let fields = parts.pop()?;
    let id = text(parts.pop()?)?;
    let Value::Array(flat) = fields else {
        return Some(Entry {
            id,
            fields: BTreeMap::new(),
        });
    };
    let mut fields = BTreeMap::new();
    let mut flat = flat.into_iter();
    while let (Some(name), Some(value)) = (flat.next(), flat.next()) {
        if let (Some(name), Some(value)) = (text(name), text(value)) {
            fields.insert(name, value);
        }
    }
    Some(Entry { id, fields })
}

fn text(value: Value) -> Option<String> {
    match value {
        Value::BulkString(bytes) => String::from_utf8(bytes).ok(),
        Value::SimpleString(s) => Some(s),
        _ => None,
    }
}

/// A Redis error in one line a person reads: the common ones said plainly, the rest as Redis
/// said it (its code, such as `NOGROUP`, kept first: the loop looks for it).
fn in_words(e: &redis::RedisError) -> String {
    let said = e
        .to_string()
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ");
    let lower = said.to_ascii_lowercase();
    if e.kind() == redis::ErrorKind::AuthenticationFailed
        || lower.contains("noauth")
        || lower.contains("wrongpass")
        || lower.contains("invalid password")
    {
        return format!("refused the password: check the password in the URL ({said})");
    }
    if lower.contains("db index is out of range") {
        return "has no database of that number: check the URL's /<db> (0 to 15 unless the \
                server has more)"
            .into();
    }
    if e.kind() == redis::ErrorKind::Parse {
        return "answered, but not as a Redis does: is that host and port a Redis?".into();
    }
    if e.is_io_error() || e.is_connection_refusal() || e.is_connection_dropped() || e.is_timeout() {
        return format!("does not answer ({said})");
    }
    said
}
