//! The async scenarios of conlab's catalog (chapters 3 and 4), written once against
//! [`conlab_core::Runtime`] so the same code runs on the virtual-time executor, on tokio and in
//! the browser. Each scenario is one file with its `run` and its `checks`.
#![deny(missing_docs)]

mod asyncio;
mod coroutines;
mod loop_monitor;
mod registry;

pub use registry::{checks_for, find, Scenario, IDS};
