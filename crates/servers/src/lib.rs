//! conlab's server toolkit: finds the Redis and MySQL servers a run needs — configured by URL,
//! already running locally, or private throwaway servers started for the run and removed
//! with it — and redacts their URLs so passwords never reach output or traces.
//!
//! It knows nothing about scenarios: the scenarios against servers and the registry use it.
#![deny(missing_docs)]

mod find;
pub mod keeper;
mod private;
mod private_mysql;
mod private_redis;
mod runs;

pub use conlab_core::url::redact_url;
pub use find::{find, mysql_error_line, start_private, Needs, ServerError, Servers};
pub use private::stop_private_servers;
pub use runs::{claim, release, take_unreleased, RunClaim};
