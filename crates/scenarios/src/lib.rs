//! conlab's scenario registry — an API boundary every front end (the CLI, the playground,
//! the tests, the server and the workers) goes through:
//!
//! - [`registry`]: one table mapping every catalog id this build can run to how it runs
//!   (virtual, tokio, browser, threads, servers) and how it is checked; a catalog id without
//!   a row is *planned*;
//! - [`recheck`]: a loaded trace's checks computed again;
//! - with the `native` feature, the one way to start a run outside the browser ([`run`],
//!   [`start_native`], and [`cpython`] for a lesson's Python program), a suite of runs with its `index.json` ([`suite`]), and the entry of
//!   the worker processes that process scenarios start ([`worker`]).
//!
//! The browser build (feature `browser`) has the same table, without the native code.
#![deny(missing_docs)]

#[cfg(feature = "native")]
pub mod cpython;
#[cfg(feature = "native")]
mod native;
mod recheck;
pub mod registry;
#[cfg(feature = "scheduler")]
pub mod scheduled;
#[cfg(feature = "native")]
pub mod suite;
#[cfg(feature = "native")]
pub mod worker;

/// What may end a virtual run early (see [`run_virtual_bounded`]).
#[cfg(feature = "native")]
pub use conlab_virtual::Bounds;
#[cfg(feature = "native")]
pub use native::{
    allow_remote_targets, native_ids, native_refusal, needs_databases, run, run_virtual_bounded,
    start_native, time_limit, too_many_events, trace_too_large, NativeRun, RunError, RuntimeChoice,
    MAX_EVENTS_WRITTEN, TOO_MANY_EVENTS_TO_WRITE,
};
pub use recheck::{recheck, Recheck, RecheckError};
pub use registry::{checks_for, find, is_planned, Scenario};
