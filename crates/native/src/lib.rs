//! What every native run stands on, whatever runs its code: tokio (`conlab-tokio`), OS
//! threads (the traced thread toolkit and the thread seam) or child processes.
//! - `clock`: the run's monotonic clock, the same in every thread and child process, and a
//!   thread's CPU clock;
//! - `start`: a native run's start (metadata, the recorder every thread writes into, the
//!   clock, the limit, the stop signal, the slow server of its real requests);
//! - `watch`: the watchdog that runs a run's code on a thread of its own and bounds it;
//! - `stop`: the stop signal a page's Stop button sends;
//! - `open_files`: the open-files limit, raised, and what a run needs of it;
//! - `machine_idle`: the whole machine's idle time, for judging parallelism;
//! - `scratch`: temporary folders a run writes into; `slow_server`: the link to the server a
//!   run's slow requests go to; `host`: the machine, in words.

#![deny(missing_docs)]

mod clock;
mod host;
mod machine_idle;
pub mod open_files;
pub mod scratch;
mod slow_server;
mod start;
mod stop;
mod watch;

pub use clock::{thread_cpu_ns, NativeClock};
pub use host::{cores, host_description, rfc3339_now};
pub use machine_idle::MachineIdle;
pub use slow_server::{SlowLink, SlowServer};
pub use start::NativeStart;
pub use stop::StopSignal;
pub use watch::{panic_text, watch, watch_until, WatchEnd};
