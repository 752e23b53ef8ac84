//! conlab scenarios on tokio: a current-thread runtime with a `LocalSet`, so the same
//! `!Send` scenario code that runs in the browser runs here unchanged. Each run happens on a
//! thread of its own under a watchdog: a run past its limit ends as "timed out" with its
//! partial trace, even if the scenario is stuck in a blocking call.
#![deny(missing_docs)]

mod loop_thread;
mod panics;
mod run;
mod runtime;

// What every native run stands on lives in `conlab-native`; tokio's users find it here too.
pub use conlab_native::panic_text;
pub use conlab_native::{
    host_description, open_files, rfc3339_now, scratch, thread_cpu_ns, watch, watch_until,
    MachineIdle, NativeClock, NativeStart, SlowLink, SlowServer, StopSignal, WatchEnd,
};
pub use loop_thread::spawn_loop_thread;
pub use run::{run_scenario, ScenarioFuture};
pub use runtime::{TokioRuntime, TokioSleep, STOP_GRACE};
