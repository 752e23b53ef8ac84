//! conlab's chapter 5: scenarios against real servers (Redis, MySQL, an HTTP API in front of
//! them). Each scenario is one module (one file) with its `run`, which gets the servers' URLs
//! from the registry (`conlab-scenarios`, which finds them with `conlab-servers`), and its
//! `checks`.
//!
//! Scenarios touch only keys under `conlab:<run-id>:` and tables named `conlab_*_<run-id>`,
//! and remove them; passwords never appear in output or traces (URLs are redacted).
#![deny(missing_docs)]

mod calls;
mod checks;
pub mod http;
pub mod http_api;
mod multi_server;
pub mod mysql;
pub mod redis;

use conlab_core::LaneCtx;
use conlab_tokio::{ScenarioFuture, TokioRuntime};

/// The entry point of a scenario against servers: the main lane, the servers' URLs (in the
/// order the registry's `Needs` lists them), and a run id for the names of everything it
/// creates.
pub type ServerScenarioFn = fn(LaneCtx<TokioRuntime>, Vec<String>, String) -> ScenarioFuture;
