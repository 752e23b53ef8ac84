//! Chapter 1: threads, on real OS threads with the traced toolkit.

pub mod condition_notify;
pub mod condition_wait_for;
pub mod cpu_bound_gil;
pub mod event;
pub mod io_bound_threads;
pub mod lock;
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

use crate::traced_threads::ThreadScenarioFn;
use conlab_core::ChecksFn;

/// The code and checks of the thread scenario with this id.
pub(crate) fn find(id: &str) -> Option<(ThreadScenarioFn, ChecksFn)> {
    macro_rules! table {
        ($($id:literal => $m:ident),* $(,)?) => {
            match id {
                $($id => Some(($m::run as ThreadScenarioFn, $m::checks as ChecksFn)),)*
                _ => None,
            }
        };
    }
    table! {
        "thread-start" => thread_start,
        "thread-main-waits" => thread_main_waits,
        "thread-daemon" => thread_daemon,
        "thread-join-timeout" => thread_join_timeout,
        "thread-names" => thread_names,
        "cpu-bound-gil" => cpu_bound_gil,
        "io-bound-threads" => io_bound_threads,
        "race-condition" => race_condition,
        "lock" => lock,
        "rlock" => rlock,
        "semaphore" => semaphore,
        "condition-notify" => condition_notify,
        "condition-wait-for" => condition_wait_for,
        "event" => event,
        "thread-local" => thread_local,
        "thread-pool" => thread_pool,
        "producer-consumer" => producer_consumer,
    }
}
