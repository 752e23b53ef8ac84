//! conlab scenarios on the browser's own event loop: tasks are `spawn_local`ed promises,
//! sleeps wait in one timer queue serviced by a single `setTimeout`, the clock is `performance.now()`. Blocking calls and
//! CPU work busy-wait, which freezes the page's loop exactly as they would freeze asyncio's.
#![deny(missing_docs)]

mod page;
mod run;
mod runtime;
mod stop;
mod timers;

pub use page::{PageRuntime, PageSleep};
pub use run::{run_scenario, start_scenario, LiveRun};
pub use runtime::{before_blocking, BrowserRuntime};
pub use stop::StopHandle;
pub use timers::BrowserSleep;
