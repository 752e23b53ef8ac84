//! Chapter 4 scenarios that need OS threads.

pub mod event_loop_choice;
pub mod loop_in_thread;
pub mod run_in_executor;
