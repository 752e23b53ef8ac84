//! The one table: every scenario id of the catalog that this build can run, mapped to how it
//! runs and how it is checked. Each row has the same shape, so adding a scenario is one row.
//!
//! A row names one module, and the kind of code in it:
//! - `generic`: an async module written against `Runtime` (its `run` and `checks`); it runs on
//!   the virtual-time executor, natively on tokio and in the browser;
//! - `generic … native multi_thread`: the same, with a native variant that replaces it on
//!   tokio (its own `run` and `checks`);
//! - `tokio`: an async module that runs natively only (it needs OS threads next to the loop);
//! - `threads`: a module of the traced thread toolkit (`run(&ThreadCtx)`, `checks`);
//!   `threads … child` (or `tokio … child`) also has `child(&ProcessCtx)`, the code of the
//!   OS processes it starts (the process toolkit runs it in a worker);
//! - `servers(…)`: a module run against servers found for it (`run(main, urls, run_id)`,
//!   `checks`), with the servers it needs for given parameters; `servers(…, refuses)` also
//!   asks its `unavailable(params)` before anything starts.

use conlab_core::catalog::{self, ScenarioInfo};
#[cfg(feature = "native")]
use conlab_core::estimate::ExpectedFn;
#[cfg(any(feature = "native", feature = "browser"))]
use conlab_core::ScenarioFn;
use conlab_core::{ChecksFn, RuntimeKind};
#[cfg(all(feature = "native", not(feature = "browser")))]
use conlab_virtual::VirtualRuntime;
#[cfg(feature = "native")]
use std::time::Duration;

#[cfg(feature = "browser")]
use conlab_browser::PageRuntime;
#[cfg(feature = "native")]
use conlab_core::Params;
#[cfg(feature = "native")]
use conlab_servers::Needs;
#[cfg(feature = "native")]
use conlab_tokio::TokioRuntime;

/// One scenario of the catalog that this build can run.
pub struct Scenario {
    /// The catalog id.
    pub id: &'static str,
    /// Whether its native runs have checks of their own (a native variant), which a browser
    /// build does not carry.
    pub native_checks_apart: bool,
    /// Its async code for every runtime, if it has such code.
    pub generic: Option<Generic>,
    /// The checks of the generic code (or, for native-only scenarios, of the native code).
    pub checks: ChecksFn,
    /// About how long a run of that code takes with given parameters (what native front ends
    /// give a run as its time limit).
    #[cfg(feature = "native")]
    pub expected: ExpectedFn,
    /// Checks that follow them however the run ended (the thread toolkit's guarantee that no
    /// thread outlives its run), where the code's runtime adds such checks.
    pub always: Option<ChecksFn>,
    /// How it runs natively.
    #[cfg(feature = "native")]
    pub native: Native,
    /// The code its child processes run (a worker started for this scenario runs it), if it
    /// starts any.
    #[cfg(feature = "native")]
    pub child: Option<conlab_processes::ChildFn>,
    /// Whether its slow requests are real natively (the run gets conlab's test server, and
    /// `Runtime::slow_request` / `ThreadCtx::request_as` send it HTTP requests): the count
    /// parameter saying how many may be in flight at once.
    #[cfg(feature = "native")]
    pub real_io: Option<&'static str>,
    /// About how many events it records with given parameters, where they can make its trace
    /// larger than conlab reads back (more than `MAX_EVENTS_WRITTEN`): such a run that writes
    /// its trace is refused up front.
    #[cfg(feature = "native")]
    pub trace_events: Option<fn(&Params) -> u64>,
    /// Its code on the thread seam, which also runs on the deterministic scheduler, if it is
    /// written against it.
    #[cfg(feature = "scheduler")]
    pub scheduled: Option<SeamCode>,
}

/// A thread scenario written against the thread seam (`conlab-threads`): OS threads natively,
/// the deterministic scheduler on `--runtime virtual` and in searches.
#[cfg(feature = "scheduler")]
#[derive(Clone, Copy)]
pub struct SeamCode {
    /// The main thread's code.
    pub run: conlab_threads::ThreadFn,
    /// Its source file, relative to the workspace.
    pub source: &'static str,
    /// What a search tries to break: each property's name, and why a run broke it, if it did.
    pub properties: conlab_threads::PropertiesFn,
    /// A hash of its code, which a schedule's fingerprint includes.
    pub code: u64,
    /// Why a run with these parameters is too large to step through, for a scenario whose
    /// parameters can make it so.
    pub too_large: Option<fn(&conlab_core::Params) -> Option<String>>,
    /// The marks its properties read, where it says: a search's runs keep only these
    /// (`None`: every mark).
    pub searched: Option<&'static [&'static str]>,
}

impl Scenario {
    /// This row, with an estimate of the events it records (see [`Scenario::trace_events`]);
    /// `events` is `None` where the scenario's crate is not built (the page).
    const fn with_trace_events(self, events: Option<fn(&conlab_core::Params) -> u64>) -> Scenario {
        #[cfg(feature = "native")]
        {
            let mut row = self;
            row.trace_events = events;
            row
        }
        #[cfg(not(feature = "native"))]
        {
            let _ = events;
            self
        }
    }

    /// This row, whose search runs keep only the marks `marks` (those its properties read).
    const fn searching(self, marks: &'static [&'static str]) -> Scenario {
        #[cfg(feature = "scheduler")]
        {
            let mut row = self;
            if let Some(code) = &mut row.scheduled {
                code.searched = Some(marks);
            }
            row
        }
        #[cfg(not(feature = "scheduler"))]
        {
            let _ = marks;
            self
        }
    }

    /// This row, which refuses to run on the scheduler where `too_large` says why (`None`
    /// where the scheduler is not built).
    const fn too_large_to_schedule(
        self,
        too_large: Option<fn(&conlab_core::Params) -> Option<String>>,
    ) -> Scenario {
        #[cfg(feature = "scheduler")]
        {
            let mut row = self;
            if let Some(code) = &mut row.scheduled {
                code.too_large = too_large;
            }
            row
        }
        #[cfg(not(feature = "scheduler"))]
        {
            let _ = too_large;
            self
        }
    }

    /// This row, its slow requests real natively, at most `in_flight` (a count parameter) at
    /// once.
    const fn with_real_io(self, in_flight: &'static str) -> Scenario {
        #[cfg(feature = "native")]
        {
            let mut row = self;
            row.real_io = Some(in_flight);
            row
        }
        #[cfg(not(feature = "native"))]
        {
            let _ = in_flight;
            self
        }
    }
}

/// Async code written once against `Runtime`, instantiated for each runtime of this build.
#[derive(Clone, Copy)]
pub struct Generic {
    /// About how long a run takes (the page's runs get their time limit from it).
    pub expected: conlab_core::estimate::ExpectedFn,
    /// Its source file, relative to the workspace (the playground shows it).
    pub source: &'static str,
    /// On the virtual-time executor, natively (the page's async Worker runs its one copy,
    /// `on_browser`, there instead: see [`Scenario::run_virtual`]; the page itself runs no
    /// scenario code: it has only the checks, to judge loaded traces again).
    #[cfg(all(feature = "native", not(feature = "browser")))]
    pub on_virtual: ScenarioFn<VirtualRuntime>,
    /// On tokio.
    #[cfg(feature = "native")]
    pub on_tokio: ScenarioFn<TokioRuntime>,
    /// On a page: live on its event loop, or on the virtual-time executor.
    #[cfg(feature = "browser")]
    pub on_browser: ScenarioFn<PageRuntime>,
}

/// How a scenario runs natively.
#[cfg(feature = "native")]
#[derive(Clone, Copy)]
pub enum Native {
    /// Its generic code, on tokio.
    Generic,
    /// Async code of its own on tokio, with its own checks.
    Tokio {
        /// The code.
        run: ScenarioFn<TokioRuntime>,
        /// The checks.
        checks: ChecksFn,
        /// Why it cannot run with these parameters in this build, if it cannot.
        unavailable: fn(&Params) -> Option<String>,
        /// About how long a run takes.
        expected: ExpectedFn,
    },
    /// Code on the thread seam, on OS threads.
    Seam(conlab_threads::ThreadFn),
    /// Async code on tokio against servers found for the run.
    Servers {
        /// The servers it needs with these parameters.
        needs: fn(&Params) -> Needs,
        /// Why this machine cannot run it with these parameters, if it cannot (asked before
        /// any server is found).
        unavailable: fn(&Params) -> Option<String>,
        /// The code.
        run: conlab_server_scenarios::ServerScenarioFn,
    },
}

impl Scenario {
    /// Its catalog entry.
    pub fn info(&self) -> &'static ScenarioInfo {
        // Every row's id is in the catalog: `tests/registry.rs` checks it.
        catalog::find(self.id).unwrap_or_else(|| panic!("{} is not in the catalog", self.id))
    }

    /// About how long a run on `runtime` with `params` takes.
    #[cfg(feature = "native")]
    pub fn expected_on(&self, runtime: RuntimeKind, params: &conlab_core::Params) -> Duration {
        if runtime == RuntimeKind::Tokio {
            if let Native::Tokio { expected, .. } = self.native {
                return expected(params);
            }
        }
        (self.expected)(params)
    }

    /// Whether this build carries the checks of a run on `runtime`, so a loaded trace of it
    /// can be checked again here (a browser build has no native-only checks).
    pub fn can_recheck(&self, runtime: RuntimeKind) -> bool {
        if cfg!(feature = "native") {
            return true;
        }
        self.generic.is_some() && !(runtime == RuntimeKind::Tokio && self.native_checks_apart)
    }

    /// Runs its async code on the virtual-time executor, if it has such code (on a page only
    /// with the feature `page-virtual`: the page runs it in its scheduler Worker).
    #[cfg(any(
        all(feature = "native", not(feature = "browser")),
        feature = "page-virtual"
    ))]
    pub fn run_virtual(
        &self,
        params: &conlab_core::Params,
        limit: std::time::Duration,
    ) -> Option<conlab_core::Trace> {
        let generic = self.generic?;
        #[cfg(not(feature = "browser"))]
        let trace = conlab_virtual::run_scenario(
            self.info(),
            generic.on_virtual,
            self.checks,
            params,
            limit,
        );
        #[cfg(feature = "browser")]
        let trace = conlab_virtual::run_scenario_on(
            self.info(),
            PageRuntime::Virtual,
            generic.on_browser,
            self.checks,
            params,
            limit,
        );
        Some(trace)
    }

    /// Runs its async code on the virtual-time executor within `bounds` (a stop asked from
    /// elsewhere, a cap on what it records), if it has such code.
    #[cfg(any(
        all(feature = "native", not(feature = "browser")),
        feature = "page-virtual"
    ))]
    pub fn run_virtual_bounded(
        &self,
        params: &conlab_core::Params,
        bounds: &conlab_virtual::Bounds,
    ) -> Option<conlab_core::Trace> {
        let generic = self.generic?;
        #[cfg(not(feature = "browser"))]
        let trace = conlab_virtual::run_scenario_bounded(
            self.info(),
            generic.on_virtual,
            self.checks,
            params,
            bounds,
        );
        #[cfg(feature = "browser")]
        let trace = conlab_virtual::run_scenario_bounded_on(
            self.info(),
            PageRuntime::Virtual,
            generic.on_browser,
            self.checks,
            params,
            bounds,
        );
        Some(trace)
    }

    /// The checks that apply to a run on `runtime`.
    pub fn checks_on(&self, runtime: RuntimeKind) -> ChecksFn {
        // A lesson's Python program is judged as a native run is: real threads, processes
        // and timers.
        #[cfg(feature = "native")]
        if matches!(runtime, RuntimeKind::Tokio | RuntimeKind::Cpython) {
            if let Native::Tokio { checks, .. } = self.native {
                return checks;
            }
        }
        let _ = runtime;
        self.checks
    }
}

/// The scenario with this id, if this build can run it (a catalog id without a row is
/// *planned*).
pub fn find(id: &str) -> Option<&'static Scenario> {
    TABLE.iter().find(|s| s.id == id)
}

/// Every scenario this build can run, in table order (the catalog's).
pub fn all() -> &'static [Scenario] {
    TABLE
}

/// The checks of scenario `id` for a run on `runtime` (to check a loaded trace again).
pub fn checks_for(id: &str, runtime: RuntimeKind) -> Option<ChecksFn> {
    find(id).map(|s| s.checks_on(runtime))
}

/// Whether the catalog scenario `id` is planned: in the catalog, not yet runnable.
pub fn is_planned(id: &str) -> bool {
    catalog::find(id).is_some() && find(id).is_none()
}

/// One row of [`TABLE`]; see the module's documentation for the kinds.
/// `Some(f)` where native scenarios are built, `None` on the page (whose build lacks them).
macro_rules! native_only {
    ($f:path) => {{
        #[cfg(feature = "native")]
        let f: Option<fn(&conlab_core::Params) -> u64> = Some($f);
        #[cfg(not(feature = "native"))]
        let f: Option<fn(&conlab_core::Params) -> u64> = None;
        f
    }};
}

/// `Some($f)` where the scheduler is built, else `None`.
macro_rules! scheduler_only {
    ($f:path) => {{
        #[cfg(feature = "scheduler")]
        let f: Option<fn(&conlab_core::Params) -> Option<String>> = Some($f);
        #[cfg(not(feature = "scheduler"))]
        let f: Option<fn(&conlab_core::Params) -> Option<String>> = None;
        f
    }};
}

macro_rules! row {
    (@generic $m:path) => {{
        use $m as m;
        Generic {
            expected: m::expected,
            source: m::SOURCE,
            #[cfg(all(feature = "native", not(feature = "browser")))]
            on_virtual: |ctx| Box::pin(m::run(ctx)),
            #[cfg(feature = "native")]
            on_tokio: |ctx| Box::pin(m::run(ctx)),
            #[cfg(feature = "browser")]
            on_browser: |ctx| Box::pin(m::run(ctx)),
        }
    }};
    ($id:literal, generic $m:path) => {{
        #[cfg(feature = "asyncio")]
        use $m as m;
        Scenario {
            id: $id,
            native_checks_apart: false,
            #[cfg(feature = "asyncio")]
            generic: Some(row!(@generic $m)),
            #[cfg(feature = "asyncio")]
            checks: m::checks,
            #[cfg(not(feature = "asyncio"))]
            generic: None,
            #[cfg(not(feature = "asyncio"))]
            checks: |_| {},
            #[cfg(feature = "native")]
            expected: m::expected,
            always: None,
            #[cfg(feature = "native")]
            native: Native::Generic,
            #[cfg(feature = "native")]
            child: None,
            #[cfg(feature = "native")]
            real_io: None,
            #[cfg(feature = "native")]
            trace_events: None,
            #[cfg(feature = "scheduler")]
            scheduled: None,
        }
    }};
    ($id:literal, generic $m:path, native $n:ident) => {{
        #[cfg(feature = "asyncio")]
        use $m as m;
        Scenario {
            id: $id,
            native_checks_apart: true,
            #[cfg(feature = "asyncio")]
            generic: Some(row!(@generic $m)),
            #[cfg(feature = "asyncio")]
            checks: m::checks,
            #[cfg(not(feature = "asyncio"))]
            generic: None,
            #[cfg(not(feature = "asyncio"))]
            checks: |_| {},
            #[cfg(feature = "native")]
            expected: m::expected,
            always: None,
            #[cfg(feature = "native")]
            native: Native::Tokio {
                run: |ctx| Box::pin(m::$n::run(ctx)),
                checks: m::$n::checks,
                unavailable: |_| None,
                expected: m::$n::expected,
            },
            #[cfg(feature = "native")]
            child: None,
            #[cfg(feature = "native")]
            real_io: None,
            #[cfg(feature = "native")]
            trace_events: None,
            #[cfg(feature = "scheduler")]
            scheduled: None,
        }
    }};
    ($id:literal, tokio $m:path $(, $child:ident)?) => {{
        #[cfg(feature = "native")]
        use $m as m;
        Scenario {
            id: $id,
            native_checks_apart: false,
            generic: None,
            #[cfg(feature = "native")]
            checks: m::checks,
            #[cfg(not(feature = "native"))]
            checks: |_| {},
            #[cfg(feature = "native")]
            expected: m::expected,
            #[cfg(feature = "native")]
            always: row!(@tokio_always $($child)?),
            #[cfg(not(feature = "native"))]
            always: None,
            #[cfg(feature = "native")]
            native: Native::Tokio {
                run: |ctx| Box::pin(m::run(ctx)),
                checks: m::checks,
                unavailable: m::unavailable,
                expected: m::expected,
            },
            #[cfg(feature = "native")]
            child: row!(@child $($child)?),
            #[cfg(feature = "native")]
            real_io: None,
            #[cfg(feature = "native")]
            trace_events: None,
            #[cfg(feature = "scheduler")]
            scheduled: None,
        }
    }};
    ($id:literal, seam $m:path $(, $child:ident)?) => {{
        #[cfg(feature = "scheduler")]
        use $m as m;
        Scenario {
            id: $id,
            native_checks_apart: false,
            generic: None,
            #[cfg(feature = "scheduler")]
            checks: m::checks,
            #[cfg(feature = "scheduler")]
            always: Some(row!(@seam_lifetimes $($child)?)),
            #[cfg(not(feature = "scheduler"))]
            checks: |_| {},
            #[cfg(not(feature = "scheduler"))]
            always: None,
            #[cfg(feature = "native")]
            expected: m::expected,
            #[cfg(feature = "native")]
            native: Native::Seam(m::run),
            #[cfg(feature = "native")]
            child: row!(@child $($child)?),
            #[cfg(feature = "native")]
            real_io: None,
            #[cfg(feature = "native")]
            trace_events: None,
            #[cfg(feature = "scheduler")]
            scheduled: Some(SeamCode {
                run: m::run,
                source: m::SOURCE,
                properties: m::properties,
                code: m::CODE,
                too_large: None,
                searched: None,
            }),
        }
    }};
    ($id:literal, servers($needs:expr $(, $refuses:ident)?) $m:path) => {{
        #[cfg(feature = "native")]
        use $m as m;
        Scenario {
            id: $id,
            native_checks_apart: false,
            generic: None,
            #[cfg(feature = "native")]
            checks: m::checks,
            #[cfg(not(feature = "native"))]
            checks: |_| {},
            #[cfg(feature = "native")]
            expected: m::expected,
            always: None,
            #[cfg(feature = "native")]
            native: Native::Servers {
                needs: $needs,
                unavailable: row!(@unavailable $($refuses)?),
                run: m::run,
            },
            #[cfg(feature = "native")]
            child: None,
            #[cfg(feature = "native")]
            real_io: None,
            #[cfg(feature = "native")]
            trace_events: None,
            #[cfg(feature = "scheduler")]
            scheduled: None,
        }
    }};
    // What every run of a `seam` row ends with, on either runtime.
    (@seam_lifetimes) => {
        |c| c.no_thread_outlives()
    };
    (@seam_lifetimes child) => {
        |c| {
            c.no_thread_outlives();
            c.no_process_outlives();
        }
    };
    // What a `tokio` row's runs end with: nothing, or no child process outliving them.
    (@tokio_always) => {
        None
    };
    (@tokio_always child) => {
        Some(conlab_processes::no_process_outlives)
    };
    // `child`: the module's `child`, the code of the processes it starts.
    (@child) => {
        None
    };
    (@child child) => {
        Some(m::child)
    };
    // `refuses`: the module's own `unavailable(params)`; otherwise it can always run.
    (@unavailable) => {
        |_| None
    };
    (@unavailable refuses) => {
        m::unavailable
    };
}

#[cfg(feature = "asyncio")]
use conlab_async_scenarios::{asyncio, coroutines};
#[cfg(feature = "scheduler")]
use conlab_process_scenarios::processes;
#[cfg(feature = "native")]
use conlab_server_scenarios::{http, http_api, mysql, redis};
#[cfg(feature = "native")]
use conlab_thread_scenarios::asyncio as executors;
#[cfg(feature = "scheduler")]
use conlab_thread_scenarios::threads;

/// The table, in catalog order. Native-only rows exist in every build (a browser build knows
/// them, without their code, to tell them from planned ones).
static TABLE: &[Scenario] = &[
    // Chapter 1: threads.
    row!("thread-start", seam threads::thread_start),
    row!("thread-main-waits", seam threads::thread_main_waits),
    row!("thread-daemon", seam threads::thread_daemon),
    row!("thread-join-timeout", seam threads::thread_join_timeout),
    row!("thread-names", seam threads::thread_names),
    row!("cpu-bound-gil", seam threads::cpu_bound_gil, child),
    row!("io-bound-threads", seam threads::io_bound_threads).with_real_io("downloads"),
    row!("race-condition", seam threads::race_condition).searching(&[
        "phase_start",
        "phase_end",
        "counter",
        "locked_read",
        "unlocked_read",
    ]),
    row!("lock", seam threads::lock),
    row!("rlock", seam threads::rlock),
    row!("lock-order", seam threads::lock_order),
    row!("semaphore", seam threads::semaphore),
    row!("condition-notify", seam threads::condition_notify),
    row!("condition-wait-for", seam threads::condition_wait_for),
    row!("event", seam threads::event),
    row!("thread-local", seam threads::thread_local),
    row!("thread-pool", seam threads::thread_pool),
    row!("producer-consumer", seam threads::producer_consumer)
        .with_trace_events(native_only!(threads::producer_consumer::trace_events))
        .too_large_to_schedule(scheduler_only!(
            threads::producer_consumer::too_large_to_schedule
        )),
    // Chapter 2: processes.
    row!("process-start", seam processes::process_start, child),
    row!("process-isolation", seam processes::process_isolation, child),
    row!("process-info", seam processes::process_info, child),
    row!("process-queue", seam processes::process_queue, child),
    row!("process-shared-dict", seam processes::process_shared_dict, child)
        .with_trace_events(native_only!(processes::process_shared_dict::trace_events))
        .too_large_to_schedule(scheduler_only!(
            processes::process_shared_dict::too_large_to_schedule
        )),
    row!("process-lock", seam processes::process_lock, child),
    row!("process-pool", seam processes::process_pool, child),
    // Chapter 3: coroutines.
    row!("coroutine-switch", generic coroutines::coroutine_switch),
    row!("generator-delegation", generic coroutines::generator_delegation),
    row!("io-switch", generic coroutines::io_switch).with_real_io("fetches"),
    row!("coroutine-cpu", generic coroutines::coroutine_cpu),
    // Chapter 4: asyncio and the event loop.
    row!("asyncio-two-tasks", generic asyncio::two_tasks),
    row!("coroutine-lifecycle", generic asyncio::coroutine_lifecycle),
    row!("await-sequential", generic asyncio::await_sequential),
    row!("create-task", generic asyncio::create_task),
    row!("gather-vs-wait", generic asyncio::gather_vs_wait),
    row!("wait-timeout", generic asyncio::wait_timeout),
    row!("as-completed", generic asyncio::as_completed),
    row!("future-set-result", generic asyncio::future_set_result),
    row!("done-callback", generic asyncio::done_callback),
    row!("run-in-executor", tokio executors::run_in_executor, child).with_real_io("calls"),
    row!("blocking-in-async", generic asyncio::blocking_in_async),
    row!("async-iterator", generic asyncio::async_iterator),
    row!("async-context-manager", generic asyncio::async_context_manager),
    row!("cancel-all", generic asyncio::cancel_all),
    row!("loop-in-thread", tokio executors::loop_in_thread),
    row!("event-loop-choice", generic asyncio::event_loop_choice, native multi_thread)
        .with_trace_events(native_only!(asyncio::event_loop_choice::trace_events)),
    row!("sync-vs-async-requests", generic asyncio::sync_vs_async_requests)
        .with_real_io("requests"),
    // Chapter 5: against real servers.
    row!("redis-hash", servers(|_| Needs::Redis(1)) redis::redis_hash),
    row!(
        "redis-multi-server",
        servers(|p| Needs::Redis(p.usize("servers"))) redis::redis_multi_server
    ),
    row!("redis-pool", servers(|_| Needs::Redis(1)) redis::redis_pool)
        .with_trace_events(native_only!(redis::redis_pool::trace_events)),
    row!("mysql-query", servers(|_| Needs::Mysql(1)) mysql::mysql_query),
    row!(
        "mysql-multi-server",
        servers(|p| Needs::Mysql(p.usize("servers"))) mysql::mysql_multi_server
    ),
    row!("mysql-pool", servers(|_| Needs::Mysql(1)) mysql::mysql_pool),
    row!(
        "web-api",
        servers(|_| Needs::RedisAndMysql, refuses) http_api::web_api
    ),
    row!("crawler", tokio http::crawler),
    row!("raw-http", tokio http::raw_http),
    row!("load-test", tokio http::load_test)
        .with_trace_events(native_only!(http::load_test::trace_events)),
    row!("job-queue", servers(|_| Needs::Redis(1)) redis::job_queue),
];
