//! Chapter 4 scenarios that need OS threads.

pub mod loop_in_thread;
pub mod run_in_executor;
