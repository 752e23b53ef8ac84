//! conlab's HTTP toolkit, used by the HTTP scenarios and by the web API's server.
//!
//! - [`server`]: the local test server, axum on a loop thread of its own on a free loopback
//!   port: generated files of any size after any latency, uploads checked byte for byte,
//!   failures on purpose, a stall on demand. [`serve`] is the part every in-process server
//!   shares (the listener, the thread, starting and ending it).
//! - [`content`]: the files' bytes, generated from their name, so a client can verify what it
//!   received without asking the server.
//! - [`response`]: reading an HTTP/1.x response without doing IO (head, then a body framed by
//!   length, chunks or the connection closing), shared by the blocking client ([`blocking`])
//!   and the async keep-alive connection ([`conn`]) with its pool ([`pool`]).
//! - [`target`]: where a scenario sends its requests, and the loopback-only rule.
#![deny(missing_docs)]

pub mod blocking;
pub mod conn;
pub mod content;
pub mod pool;
pub mod response;
pub mod serve;
pub mod server;
pub mod target;
pub mod upload;

pub use server::{ServerStats, TestServer};
