//! The table of async scenarios: id to code and checks, for any runtime.

use crate::{asyncio, coroutines};
use conlab_core::catalog::{self, ScenarioInfo};
use conlab_core::{ChecksFn, Runtime, ScenarioFn};

/// An async scenario ready to run on runtime `R`.
pub struct Scenario<R: Runtime> {
    /// Its catalog entry.
    pub info: &'static ScenarioInfo,
    /// Its code.
    pub run: ScenarioFn<R>,
    /// Its checks.
    pub checks: ChecksFn,
}

macro_rules! registry {
    ($($id:literal => $module:path),* $(,)?) => {
        /// The ids of every scenario in this crate, in catalog order.
        pub const IDS: &[&str] = &[$($id),*];

        /// The scenario with this id, ready to run on `R`.
        pub fn find<R: Runtime>(id: &str) -> Option<Scenario<R>> {
            use $crate::registry::entry;
            match id {
                $($id => {
                    use $module as m;
                    entry(id, |ctx| Box::pin(m::run(ctx)), m::checks)
                })*
                _ => None,
            }
        }

        /// The checks of the scenario with this id (to re-check a loaded trace).
        pub fn checks_for(id: &str) -> Option<ChecksFn> {
            match id {
                $($id => { use $module as m; Some(m::checks as ChecksFn) })*
                _ => None,
            }
        }
    };
}

pub(crate) fn entry<R: Runtime>(
    id: &str,
    run: ScenarioFn<R>,
    checks: ChecksFn,
) -> Option<Scenario<R>> {
    Some(Scenario {
        info: catalog::find(id)?,
        run,
        checks,
    })
}

registry! {
    "coroutine-switch" => coroutines::coroutine_switch,
    "generator-delegation" => coroutines::generator_delegation,
    "io-switch" => coroutines::io_switch,
    "coroutine-cpu" => coroutines::coroutine_cpu,
    "asyncio-two-tasks" => asyncio::two_tasks,
    "coroutine-lifecycle" => asyncio::coroutine_lifecycle,
    "await-sequential" => asyncio::await_sequential,
    "create-task" => asyncio::create_task,
    "gather-vs-wait" => asyncio::gather_vs_wait,
    "wait-timeout" => asyncio::wait_timeout,
    "as-completed" => asyncio::as_completed,
    "future-set-result" => asyncio::future_set_result,
    "done-callback" => asyncio::done_callback,
    "blocking-in-async" => asyncio::blocking_in_async,
    "async-iterator" => asyncio::async_iterator,
    "async-context-manager" => asyncio::async_context_manager,
    "cancel-all" => asyncio::cancel_all,
    "event-loop-choice" => asyncio::event_loop_choice,
    "sync-vs-async-requests" => asyncio::sync_vs_async_requests,
}
