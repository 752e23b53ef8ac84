//! process-queue: children put values into an inter-process queue (their channel to the
//! parent); the parent takes them off one by one, waiting while it is empty, and gets every
//! value exactly once.

use conlab_core::Checks;
use conlab_threads::{Aborted, Child, ProcessQueue, ProcessSpec, Processes, Thread};
use std::future::Future;
use std::pin::Pin;

/// Runs the parent: starts the children, then gets n values from the queue.
pub fn run(main: Thread) -> Pin<Box<dyn Future<Output = Result<(), Aborted>>>> {
    Box::pin(async move {
        let n = main.params().usize("processes");
        let queue = ProcessQueue::new(&main, "queue");
        let processes = Processes::new(&main);
        let mut children = Vec::with_capacity(n);
        for i in 0..n {
            let spec = ProcessSpec::new(put).arg(i.to_string()).queue(&queue);
            children.push(processes.start(&main, spec).await?);
        }
        for _ in 0..n {
            let value = queue.get(&main).await?; // queue.get()
            main.print(format!("parent: got {value} from the queue"))
                .await;
        }
        for child in &children {
            child.join(&main).await?;
        }
        Ok(())
    })
}

/// A child: puts its value on the queue.
fn put(me: Child) -> Pin<Box<dyn Future<Output = Result<(), Aborted>>>> {
    Box::pin(async move {
        me.mark("put", me.arg().to_string());
        me.print(format!(
            "process {} (pid {}): put {}",
            me.arg(),
            me.pid(),
            me.arg()
        ))
        .await;
        me.put(me.arg()).await; // queue.put(i)
        Ok(())
    })
}

/// The code of the child processes a native run starts.
#[cfg(feature = "native")]
pub fn child(ctx: &conlab_processes::ProcessCtx) -> Result<(), conlab_traced_threads::Aborted> {
    conlab_threads::run_child(ctx, put)
}

/// Checks: the parent received exactly the set 0..n-1, each value after a child put it.
pub fn checks(c: &mut Checks) {
    let n = c.params.usize("processes");
    let t = c.trace;
    // When each value was got: its time, and where it stands in the order the run recorded
    // events (on virtual time a put and its get may share an instant).
    let got: Vec<(u64, (conlab_core::Nanos, u64))> = t
        .output
        .iter()
        .filter_map(|l| {
            let v = l.text.strip_prefix("parent: got ")?.split(' ').next()?;
            Some((v.parse().ok()?, (l.t, l.order)))
        })
        .collect();
    let mut values: Vec<u64> = got.iter().map(|g| g.0).collect();
    conlab_core::sort::sort_unstable(&mut values);
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
            !t.marks_named("put").any(|m| {
                let before = match (m.order, at.1) {
                    (0, _) | (_, 0) => m.t <= at.0,
                    (put, got) => (m.t, put) < (at.0, got),
                };
                m.detail.parse::<u64>().ok() == Some(*v) && before
            })
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

/// What a search tries to break: nothing (a queue hands every value over once in every
/// interleaving; the checks read output, which a search does not keep).
pub fn properties(_: &Checks) -> Vec<(&'static str, Option<String>)> {
    Vec::new()
}

/// This file, which the playground shows beside the run.
pub const SOURCE: &str = "crates/process-scenarios/src/processes/process_queue.rs";

/// A hash of this file, made when conlab is built: a schedule found on other code is refused.
pub const CODE: u64 = conlab_sched::code_hash(include_bytes!("process_queue.rs"));
