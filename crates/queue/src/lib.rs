//! conlab's run queue across machines. MySQL is the record of every run, a Redis stream the
//! delivery:
//!
//! - `job`: what one entry carries (run id, scenario, parameters) and its signature;
//! - `secret`: the key server and workers share, read from a file;
//! - `record`: the runs and traces tables in MySQL (migrations, claims, leases, ends, what is
//!   kept and for how long);
//! - `stream`: the stream, its consumer group, the dead-letter stream and workers' presence
//!   in Redis, every key under [`PREFIX`];
//! - `queue`: the server's side (enqueue under a length cap, re-enqueue after Redis lost data);
//! - `worker`: the worker's loop (read or reclaim, verify, claim, run under a lease, store, ack);
//! - `events`: a running job's live events, in a capped stream per run with periodic
//!   snapshots, so a reader that comes late rebuilds the run so far.
//!
//! It knows no scenario: what a run may be and how it runs is the [`Executor`] its user gives
//! it (`conlab-serve`'s, with the checks and caps of a local run).
#![deny(missing_docs)]

mod error;
mod events;
mod job;
mod queue;
mod record;
mod secret;
mod stream;
mod worker;

pub use error::QueueError;
pub use events::{EventKind, EventReader, EventSettings, EventSink, EventWriter, RunEvent};
pub use job::Job;
pub use queue::{Enqueued, Queue, QueueSettings};
pub use record::{Record, Retention, RunRow, RunStatus};
pub use secret::Secret;
pub use stream::{Stream, WorkerRow, PREFIX};
pub use worker::{Executor, Outcome, Worker, WorkerOptions, WorkerStop, STOP_POLL};
