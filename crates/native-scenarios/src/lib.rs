//! Native conlab: scenarios that need OS threads or a multi-threaded runtime, and the dispatch
//! that runs any scenario of the catalog on the virtual-time executor or natively.
#![deny(missing_docs)]

mod asyncio;
mod dispatch;
mod threads;
pub mod traced_threads;

pub use conlab_realworld::stop_private_servers;
pub use dispatch::{native_ids, run, RunError, RuntimeChoice};
