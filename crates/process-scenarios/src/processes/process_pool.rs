//! process-pool: a pool of k long-lived worker processes takes tasks: each worker asks for
//! the next task when it finishes one, so equal tasks run in waves of k, and never more than
//! k at once.

use conlab_core::{Checks, Nanos, SpanState};
use conlab_processes::{Inbox, Process, ProcessCtx, Processes, Spawn};
use conlab_traced_threads::{Aborted, ThreadCtx};
use std::time::Duration;

/// What the parent may spend handing out one task and taking its result on a busy 2-core
/// machine (two messages and two context switches, recorded).
const PER_TASK: Duration = Duration::from_micros(300);

const STOP: &[u8] = b"stop";

/// Runs the parent: starts k workers, hands out every task (the next to whichever worker
/// reports a result), then stops the workers.
pub fn run(main: &ThreadCtx) -> Result<(), Aborted> {
    let workers = main.params().usize("workers");
    let tasks = main.params().usize("tasks");
    let results = Inbox::new();
    let processes = Processes::new(main);
    let pool: Vec<Process> = (0..workers)
        .map(|i| {
            processes.spawn(
                main,
                Spawn::new("worker")
                    .name(format!("PoolWorker-{}", i + 1))
                    .inbox(&results),
            )
        })
        .collect::<Result<_, _>>()?;
    main.print(format!(
        "parent: a pool of {} for {}",
        conlab_core::count_of(workers, "worker", "workers"),
        conlab_core::count_of(tasks, "task", "tasks")
    ));
    let mut next = 0;
    for worker in pool.iter().take(tasks) {
        worker.send(next.to_string().as_bytes());
        next += 1;
    }
    for _ in 0..tasks {
        let result = results.recv(main, SpanState::WaitingQueue, "a task's result")?;
        if next < tasks {
            pool[result.from as usize].send(next.to_string().as_bytes());
            next += 1;
        }
    }
    main.print(format!(
        "parent: all {} done",
        conlab_core::count_of(tasks, "task", "tasks")
    ));
    for worker in &pool {
        worker.send(STOP);
    }
    for worker in &pool {
        worker.join(main)?;
    }
    Ok(())
}

/// A pool worker: takes tasks until told to stop; a task sleeps task_ms.
pub fn child(ctx: &ProcessCtx) -> Result<(), Aborted> {
    let task = ctx.params().duration("task_ms");
    let mut done = 0u64;
    loop {
        let message = ctx.recv(SpanState::WaitingQueue, "waiting for a task")?;
        if message == STOP {
            break;
        }
        let id = String::from_utf8_lossy(&message).into_owned();
        let start = ctx.now();
        ctx.sleep(task)?;
        ctx.span(SpanState::Running, start, format!("task {id}"));
        ctx.send_message(id.as_bytes());
        done += 1;
    }
    ctx.print(format!(
        "{} (pid {}): ran {done} tasks",
        ctx.name(),
        ctx.pid()
    ));
    Ok(())
}

/// The task spans: (start, end, lane).
fn task_spans(t: &conlab_core::Trace) -> Vec<(Nanos, Nanos, u32)> {
    let mut spans: Vec<_> = t
        .spans
        .iter()
        .filter(|s| s.state == SpanState::Running && s.label.starts_with("task "))
        .map(|s| (s.start, s.end, s.lane))
        .collect();
    spans.sort_unstable();
    spans
}

/// The most spans open at one instant.
fn peak(spans: &[(Nanos, Nanos, u32)]) -> usize {
    let mut edges: Vec<(Nanos, i32)> = spans.iter().flat_map(|s| [(s.0, 1), (s.1, -1)]).collect();
    // Ends before starts at the same instant: a worker that hands over is not counted twice.
    edges.sort_unstable();
    let mut open = 0i32;
    let mut most = 0i32;
    for (_, d) in edges {
        open += d;
        most = most.max(open);
    }
    most as usize
}

/// Checks: every task ran once; at most k worker PIDs, at most k tasks at once; the tasks
/// take about ceil(tasks/k) task lengths, plus the cost of handing each out.
pub fn checks(c: &mut Checks) {
    let workers = c.params.usize("workers");
    let tasks = c.params.usize("tasks");
    let task = c.params.duration("task_ms");
    let t = c.trace;
    let spans = task_spans(t);
    let mut ids: Vec<u64> = t
        .spans
        .iter()
        .filter(|s| s.state == SpanState::Running)
        .filter_map(|s| s.label.strip_prefix("task ")?.parse().ok())
        .collect();
    ids.sort_unstable();
    let expected: Vec<u64> = (0..tasks as u64).collect();
    c.check(
        "every-task-once",
        "every task runs exactly once",
        ids == expected,
        format!("{} of {tasks} ran", ids.len()),
    );
    let mut pids: Vec<Option<u64>> = spans.iter().map(|s| super::lane_pid(t, s.2)).collect();
    pids.sort_unstable();
    pids.dedup();
    let most = peak(&spans);
    c.check(
        "at-most-k-busy",
        "at most k worker processes (PIDs) run tasks, at most k at once",
        pids.len() <= workers && pids.iter().all(Option::is_some) && most <= workers,
        format!(
            "{} ran tasks; at most {most} at once (k = {workers})",
            conlab_core::count_of(pids.len(), "PID", "PIDs")
        ),
    );
    let first = spans.iter().map(|s| s.0).min().unwrap_or(0);
    let last = spans.iter().map(|s| s.1).max().unwrap_or(0);
    let waves = tasks.div_ceil(workers) as u32;
    let handing_out = PER_TASK * tasks as u32;
    c.about_plus(
        "makespan-waves",
        "the tasks take about ceil(tasks/k) task lengths: they run in waves of k",
        last.saturating_sub(first),
        task * waves,
        handing_out.as_nanos() as Nanos,
        &format!(
            "handing out {}",
            conlab_core::count_of(tasks, "task", "tasks")
        ),
    );
}

/// About how long a run takes: starting the pool, the waves, handing out the tasks.
pub fn expected(p: &conlab_core::Params) -> Duration {
    let workers = p.usize("workers");
    let tasks = p.usize("tasks");
    super::per_process(workers)
        + p.duration("task_ms") * tasks.div_ceil(workers) as u32
        + PER_TASK * tasks as u32
}
