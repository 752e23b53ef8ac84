//! thread-names: every thread has a name, and code can ask for the name of the thread it runs
//! on (`threading.current_thread().name`).

use conlab_core::Checks;
use conlab_traced_threads::{Aborted, ThreadCtx};

/// Runs the scenario.
pub fn run(main: &ThreadCtx) -> Result<(), Aborted> {
    let n = main.params().usize("threads");
    let mut handles = Vec::new();
    for i in 0..n {
        // The first thread gets a name of its own; the others Python's default names.
        let name = if i == 0 {
            "worker-custom".to_string()
        } else {
            main.next_thread_name()
        };
        handles.push(main.spawn(name, |me| {
            let os_name = std::thread::current().name().unwrap_or("?").to_string();
            me.print(format!("current thread: {os_name}"));
            Ok(())
        })?);
    }
    // conlab runs the scenario's main thread on a thread of its own, which plays MainThread.
    main.print(format!("current thread: {}", main.name()));
    for h in &handles {
        h.join(main)?;
    }
    Ok(())
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
