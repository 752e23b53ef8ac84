//! The wire types of `conlab serve`'s JSON API (`/api/...`), shared by the server, the page
//! and the tests. Paths, methods and answers:
//!
//! | call | answer |
//! |---|---|
//! | `GET /api/scenarios` | [`ScenarioList`] |
//! | `POST /api/runs` with a [`StartRun`] | 202 [`RunSummary`] (running or queued), 400/403/429 [`ApiError`] |
//! | `GET /api/runs` | [`RunList`]: running, queued and past runs, newest first |
//! | `GET /api/runs/{id}` | [`RunSummary`] |
//! | `GET /api/runs/{id}/events` | Server-Sent Events: `delta` ([`Delta`]) while it runs, then `end` ([`RunSummary`]); or only `refused` ([`StreamRefused`]) beyond the server's stream caps |
//! | `POST /api/runs/{id}/stop` | [`RunSummary`] |
//! | `GET /api/runs/{id}/trace` | the trace (`conlab.trace/1`), once the run has ended |
//!
//! A server bound to another address than loopback wants `Authorization: Bearer <token>` on
//! every call (or `?token=` where a browser cannot set headers: `EventSource`).
//!
//! The page's scheduler Worker speaks [`SchedRequest`] and [`SchedMessage`] with the page.
#![deny(missing_docs)]

mod delta;
mod run;
mod scenario;
mod scheduler;

pub use delta::{apply, Delta, DeltaTracker, OpenKey};
pub use run::{ApiError, RunList, RunState, RunSummary, StartRun, StreamRefused, WireRuntime};
pub use scenario::{ParamEntry, ScenarioEntry, ScenarioList};
pub use scheduler::{pairs, read_pairs, Finding, SchedMessage, SchedRequest, SearchStrategy};

/// What `GET /api/scenarios` and every other answer say they speak.
pub const API_VERSION: &str = "conlab.api/1";
