//! conlab scenarios on tokio: a current-thread runtime with a `LocalSet`, so the same
//! `!Send` scenario code that runs in the browser runs here unchanged. Each run happens on a
//! thread of its own under a watchdog: a run past its limit ends as "timed out" with its
//! partial trace, even if the scenario is stuck in a blocking call.
#![deny(missing_docs)]

mod clock;
mod host;
mod loop_thread;
mod machine_idle;
pub mod open_files;
mod panics;
mod run;
mod runtime;
pub mod scratch;
mod slow_server;
mod stop;

pub use clock::{thread_cpu_ns, NativeClock};
pub use host::{host_description, rfc3339_now};
pub use loop_thread::spawn_loop_thread;
pub use machine_idle::MachineIdle;
pub use panics::panic_text;
pub use run::{run_scenario, watch, watch_until, NativeStart, ScenarioFuture, WatchEnd};
pub use runtime::{TokioRuntime, TokioSleep, STOP_GRACE};
pub use slow_server::{SlowLink, SlowServer};
pub use stop::StopSignal;
