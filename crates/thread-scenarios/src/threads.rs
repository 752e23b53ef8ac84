//! Chapter 1: threads, every one written on the thread seam: it runs on OS threads (feature
//! `native`) and on the deterministic scheduler.

pub mod condition_notify;
pub mod condition_wait_for;
pub mod cpu_bound_gil;
pub mod event;
pub mod io_bound_threads;
pub mod lock;
pub mod lock_order;
pub mod producer_consumer;
pub mod race_condition;
pub mod rlock;
pub mod semaphore;
pub mod thread_daemon;
pub mod thread_join_timeout;
pub mod thread_local;
pub mod thread_main_waits;
pub mod thread_names;
pub mod thread_pool;
pub mod thread_start;
