//! process-queue: children put values into an inter-process queue (their channel to the
//! parent); the parent takes them off one by one, waiting while it is empty, and gets every
//! value exactly once.

use conlab_core::{Checks, SpanState};
use conlab_processes::{Inbox, ProcessCtx, Processes, Spawn};
use conlab_traced_threads::{Aborted, ThreadCtx};

/// Runs the parent: starts the children, then gets n values from the queue.
pub fn run(main: &ThreadCtx) -> Result<(), Aborted> {
    let n = main.params().usize("processes");
    let queue = Inbox::new();
    let processes = Processes::new(main);
    for i in 0..n {
        processes.spawn(main, Spawn::new("worker").arg(i.to_string()).inbox(&queue))?;
    }
    for _ in 0..n {
        let got = queue.recv(main, SpanState::WaitingQueue, "an item on the queue")?;
        let value = String::from_utf8_lossy(&got.bytes).into_owned();
        main.print(format!("parent: got {value} from the queue"));
    }
    for child in processes.all() {
        child.join(main)?;
    }
    Ok(())
}

/// A child: puts its value on the queue.
pub fn child(ctx: &ProcessCtx) -> Result<(), Aborted> {
    ctx.mark("put", ctx.arg().to_string());
    ctx.print(format!(
        "process {} (pid {}): put {}",
        ctx.arg(),
        ctx.pid(),
        ctx.arg()
    ));
    ctx.send_message(ctx.arg().as_bytes());
    Ok(())
}

/// Checks: the parent received exactly the set 0..n-1, each value after a child put it.
pub fn checks(c: &mut Checks) {
    let n = c.params.usize("processes");
    let t = c.trace;
    let got: Vec<(u64, conlab_core::Nanos)> = t
        .output
        .iter()
        .filter_map(|l| {
            let v = l.text.strip_prefix("parent: got ")?.split(' ').next()?;
            Some((v.parse().ok()?, l.t))
        })
        .collect();
    let mut values: Vec<u64> = got.iter().map(|g| g.0).collect();
    values.sort_unstable();
    let expected: Vec<u64> = (0..n as u64).collect();
    c.check(
        "every-value-once",
        "the parent receives exactly the values 0..n-1",
        values == expected,
        format!(
            "{} received, {} distinct",
            conlab_core::count_of(values.len(), "value", "values"),
            {
                let mut d = values.clone();
                d.dedup();
                d.len()
            }
        ),
    );
    let before_put: Vec<u64> = got
        .iter()
        .filter(|(v, at)| {
            !t.marks_named("put")
                .any(|m| m.detail.parse::<u64>().ok() == Some(*v) && m.t <= *at)
        })
        .map(|g| g.0)
        .collect();
    c.check(
        "got-after-put",
        "each value reaches the parent after a child put it",
        before_put.is_empty(),
        if before_put.is_empty() {
            String::new()
        } else {
            format!(
                "received before any child put them: {}",
                before_put
                    .iter()
                    .map(u64::to_string)
                    .collect::<Vec<_>>()
                    .join(", ")
            )
        },
    );
    let lines = super::child_lines(t, "process ");
    super::check_own_pids(c, &lines, n);
}

/// About how long a run takes.
pub fn expected(p: &conlab_core::Params) -> std::time::Duration {
    super::per_process(p.usize("processes"))
}
