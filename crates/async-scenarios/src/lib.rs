//! The async scenarios of conlab's catalog (chapters 3 and 4), written once against
//! [`conlab_core::Runtime`] so the same code runs on the virtual-time executor, on tokio and in
//! the browser. Each scenario is one module (one file) with its `run` and its `checks`; the
//! registry (`conlab-scenarios`) maps ids to them.
#![deny(missing_docs)]

pub mod asyncio;
pub mod coroutines;
mod loop_monitor;
