//! Thread scenarios on real OS threads: the traced thread toolkit, each thread's async code
//! driven by a `block_on` of its own (nothing in it ever suspends).

use crate::thread::{Kind, Thread, ThreadFn};
use conlab_core::{ChecksFn, Trace};

/// Runs a thread scenario on OS threads (see `conlab_traced_threads::run_thread_scenario`).
pub fn run_native(start: &conlab_native::NativeStart, run: ThreadFn, checks: ChecksFn) -> Trace {
    conlab_traced_threads::run_thread_code(
        start,
        move |ctx| {
            let me = Thread {
                kind: Kind::Os(ctx.clone()),
            };
            crate::block_on(run(me)).map_err(|_| conlab_traced_threads::Aborted)
        },
        checks,
    )
}
