//! thread-names: every thread has a name, and code can ask for the name of the thread it runs
//! on (`threading.current_thread().name`).

use conlab_core::Checks;
use conlab_threads::{Aborted, Thread};
use std::future::Future;
use std::pin::Pin;

/// Runs the scenario (on OS threads, or on the deterministic scheduler).
pub fn run(main: Thread) -> Pin<Box<dyn Future<Output = Result<(), Aborted>>>> {
    Box::pin(async move {
        let n = main.params().usize("threads");
        let mut handles = Vec::new();
        for i in 0..n {
            // The first thread gets a name of its own; the others Python's default names.
            let name = if i == 0 {
                "worker-custom".to_string()
            } else {
                main.next_thread_name()
            };
            let body = |me: Thread| async move {
                // threading.current_thread().name: the OS thread's own name natively.
                let name = me.current_name();
                me.print(format!("current thread: {name}")).await;
                Ok(())
            };
            handles.push(main.spawn(name, body).await?);
        }
        // conlab runs the scenario's main thread on a thread of its own, which plays
        // MainThread.
        main.print(format!("current thread: {}", main.name())).await;
        for h in &handles {
            h.join(&main).await?;
        }
        Ok(())
    })
}

/// Checks: each line names the thread (lane) that printed it, and every thread printed.
pub fn checks(c: &mut Checks) {
    let t = c.trace;
    let wrong: Vec<String> = t
        .output
        .iter()
        .filter(|l| {
            l.text.strip_prefix("current thread: ")
                != t.lanes.get(l.lane as usize).map(|x| x.name.as_str())
        })
        .map(|l| l.text.clone())
        .collect();
    c.check(
        "right-names",
        "each line carries the name of the thread that printed it",
        wrong.is_empty(),
        format!("mismatched: {}", conlab_core::list(&wrong)),
    );
    let n = c.params.usize("threads");
    c.check(
        "every-thread",
        "every thread reported its name",
        t.output.len() == n + 1,
        format!("{} lines", t.output.len()),
    );
}

/// About how long a run takes: starting the threads.
pub fn expected(p: &conlab_core::Params) -> std::time::Duration {
    use conlab_core::estimate::{times, PER_THREAD};
    times(p.usize("threads"), PER_THREAD)
}

/// Nothing an interleaving could break: every order of the threads teaches the same.
pub fn properties(_: &Checks) -> Vec<(&'static str, Option<String>)> {
    Vec::new()
}

/// This file, which the playground shows beside the run.
pub const SOURCE: &str = "crates/thread-scenarios/src/threads/thread_names.rs";

/// A hash of this file, made when conlab is built: a schedule found on other code is refused.
pub const CODE: u64 = conlab_sched::code_hash(include_bytes!("thread_names.rs"));
