//! conlab's scenarios on real OS threads: chapter 1 (threads and their primitives, written
//! with the traced toolkit `conlab-traced-threads`) and the chapter 4 scenarios that need OS
//! threads next to the event loop (an executor, a loop in a thread). Each scenario is one
//! module (one file) with its `run` and its `checks`; the registry (`conlab-scenarios`) maps
//! ids to them.
#![deny(missing_docs)]

pub mod asyncio;
pub mod threads;
