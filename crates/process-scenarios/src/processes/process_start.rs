//! process-start: each child is a real OS process with its own PID; the parent starts them
//! all and waits for them, and the order their lines come out in is up to the OS.

use conlab_core::Checks;
use conlab_processes::{ProcessCtx, Processes, Spawn};
use conlab_traced_threads::{Aborted, ThreadCtx};

/// Runs the parent: starts one child per argument, then joins them all.
pub fn run(main: &ThreadCtx) -> Result<(), Aborted> {
    let n = main.params().usize("processes");
    let processes = Processes::new(main);
    let mut children = Vec::with_capacity(n);
    for i in 0..n {
        children.push(processes.spawn(main, Spawn::new("worker").arg(i.to_string()))?);
    }
    main.print(format!(
        "MainThread: started {}",
        conlab_core::count_of(n, "process", "processes")
    ));
    for child in &children {
        child.join(main)?;
    }
    main.print("MainThread: every process has exited");
    Ok(())
}

/// A child: prints its argument and its PID.
pub fn child(ctx: &ProcessCtx) -> Result<(), Aborted> {
    ctx.print(format!("argument {} from pid {}", ctx.arg(), ctx.pid()));
    Ok(())
}

/// Checks: each argument printed once, each by a different process, on the lane of the PID
/// it names.
pub fn checks(c: &mut Checks) {
    let n = c.params.usize("processes");
    let lines = crate::processes::child_lines(c.trace, "argument ");
    let mut args: Vec<u64> = lines.iter().filter_map(|l| l.number(0)).collect();
    args.sort_unstable();
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
