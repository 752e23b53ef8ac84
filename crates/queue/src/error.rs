//! What can go wrong with the queue's servers, said so a person can act on it.

/// A queue error.
#[derive(Debug, thiserror::Error)]
pub enum QueueError {
    /// A URL that cannot be used (not `redis://…` or `mysql://…`, or malformed).
    #[error("{what} {url} is not a usable URL: {why}; give it as {shape}")]
    BadUrl {
        /// Which option gave it (`--queue`, `--db`).
        what: &'static str,
        /// The URL, redacted.
        url: String,
        /// Why not.
        why: String,
        /// What one looks like.
        shape: &'static str,
    },
    /// Redis did not answer or refused a command.
    #[error("the queue's Redis at {url}: {why}")]
    Redis {
        /// Its URL, redacted.
        url: String,
        /// Why, in one line.
        why: String,
    },
    /// MySQL did not answer or refused a statement.
    #[error("the record's MySQL at {url}: {why}")]
    Mysql {
        /// Its URL, redacted.
        url: String,
        /// Why, in one line.
        why: String,
    },
    /// The shared secret is missing or unusable.
    #[error("{0}")]
    Secret(String),
    /// Another worker of the same name is alive (names must be unique: each is a consumer of
    /// the group, and its runs' holder in the record).
    #[error("a worker named `{name}` is already taking runs from this queue ({host}); give this one another --name")]
    NameTaken {
        /// The name.
        name: String,
        /// Where the other one runs (`<host> pid <pid>`).
        host: String,
    },
    /// The queue holds as many runs as it may.
    #[error("the queue holds {length} runs, as many as it takes (--max-queue {cap}); try again in about {retry_after} s")]
    Full {
        /// Entries in the stream now.
        length: u64,
        /// The cap.
        cap: u64,
        /// Seconds until a place is likely free.
        retry_after: u64,
    },
}

impl QueueError {
    /// Whether the error came from a server that did not answer (worth retrying).
    pub fn is_connection(&self) -> bool {
        match self {
            QueueError::Redis { why, .. } | QueueError::Mysql { why, .. } => {
                let why = why.to_ascii_lowercase();
                [
                    "refused",
                    "broken pipe",
                    "reset",
                    "timed out",
                    "closed",
                    "eof",
                    "does not answer",
                    "io error",
                    "connection",
                    "shutdown",
                    "gone away",
                ]
                .iter()
                .any(|w| why.contains(w))
            }
            _ => false,
        }
    }
}
