//! conlab's thread scenarios: chapter 1 (threads and their primitives, written on the thread
//! seam `conlab-threads` or with the traced toolkit `conlab-traced-threads`) and the chapter 4
//! scenarios that need OS threads next to the event loop (an executor, a loop in a thread).
//! Without the feature `native`, only the seam's scenarios are built, for the scheduler. Each scenario is one
//! module (one file) with its `run` and its `checks`; the registry (`conlab-scenarios`) maps
//! ids to them.
#![deny(missing_docs)]

#[cfg(feature = "native")]
pub mod asyncio;
pub mod threads;
