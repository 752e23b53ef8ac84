//! process-start: each child is a real OS process with its own PID; the parent starts them
//! all and waits for them, and the order their lines come out in is up to the OS.

use conlab_core::Checks;
use conlab_threads::{Aborted, Child, ProcessSpec, Processes, Thread};
use std::future::Future;
use std::pin::Pin;

/// Runs the parent: starts one child per argument, then joins them all.
pub fn run(main: Thread) -> Pin<Box<dyn Future<Output = Result<(), Aborted>>>> {
    Box::pin(async move {
        let n = main.params().usize("processes");
        let processes = Processes::new(&main);
        let mut children = Vec::with_capacity(n);
        for i in 0..n {
            let spec = ProcessSpec::new(worker).arg(i.to_string());
            children.push(processes.start(&main, spec).await?); // Process(target=worker, args=(i,)).start()
        }
        main.print(format!(
            "MainThread: started {}",
            conlab_core::count_of(n, "process", "processes")
        ))
        .await;
        for child in &children {
            child.join(&main).await?;
        }
        main.print("MainThread: every process has exited").await;
        Ok(())
    })
}

/// A child: prints its argument and its PID.
fn worker(me: Child) -> Pin<Box<dyn Future<Output = Result<(), Aborted>>>> {
    Box::pin(async move {
        me.print(format!("argument {} from pid {}", me.arg(), me.pid()))
            .await;
        Ok(())
    })
}

/// The code of the child processes a native run starts.
#[cfg(feature = "native")]
pub fn child(ctx: &conlab_processes::ProcessCtx) -> Result<(), conlab_traced_threads::Aborted> {
    conlab_threads::run_child(ctx, worker)
}

/// Checks: each argument printed once, each by a different process, on the lane of the PID
/// it names.
pub fn checks(c: &mut Checks) {
    let n = c.params.usize("processes");
    let lines = crate::processes::child_lines(c.trace, "argument ");
    let mut args: Vec<u64> = lines.iter().filter_map(|l| l.number(0)).collect();
    conlab_core::sort::sort_unstable(&mut args);
    let expected: Vec<u64> = (0..n as u64).collect();
    c.check(
        "each-argument-once",
        "each argument is printed once",
        args == expected,
        format!(
            "{} printed of {n}",
            conlab_core::count_of(args.len(), "argument", "arguments")
        ),
    );
    crate::processes::check_own_pids(c, &lines, n);
}

/// About how long a run takes: starting its processes one after the other.
pub fn expected(p: &conlab_core::Params) -> std::time::Duration {
    crate::processes::per_process(p.usize("processes"))
}

/// What a search tries to break: nothing (its lesson, a PID per process and lines in any
/// order, holds in every interleaving; its checks read output, which a search does not keep).
pub fn properties(_: &Checks) -> Vec<(&'static str, Option<String>)> {
    Vec::new()
}

/// This file, which the playground shows beside the run.
pub const SOURCE: &str = "crates/process-scenarios/src/processes/process_start.rs";

/// A hash of this file, made when conlab is built: a schedule found on other code is refused.
pub const CODE: u64 = conlab_sched::code_hash(include_bytes!("process_start.rs"));
