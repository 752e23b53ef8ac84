//! thread-pool: a pool of k worker threads takes tasks from a queue and runs them in waves of k.
//!
//! Written once against the thread seam: on OS threads and on the deterministic scheduler.

use conlab_core::{peak_overlap, Checks, Fault, LaneKind, Nanos, SpanState, Text};
use conlab_threads::{Aborted, Queue, Thread};
use std::future::Future;
use std::pin::Pin;
use std::time::Duration;

/// Runs the scenario (on OS threads, or on the deterministic scheduler).
pub fn run(main: Thread) -> Pin<Box<dyn Future<Output = Result<(), Aborted>>>> {
    Box::pin(async move {
        let workers = main.params().usize("workers");
        let tasks = main.params().usize("tasks");
        let task_time = main.params().duration("task_ms");
        let queue = Queue::new(&main, "tasks", 0);
        for i in 0..tasks {
            queue.put(&main, i).await?;
        }
        queue.close();
        let mut handles = Vec::new();
        for w in 0..workers {
            let queue = queue.clone();
            let body = move |me: Thread| async move {
                while let Some(task) = queue.get(&me).await? {
                    me.task(task_time, Text::from(format!("task {task}")))
                        .await?;
                    me.mark("task_done", Text::from(task.to_string()));
                }
                Ok(())
            };
            handles.push(main.spawn(format!("worker-{}", w + 1), body).await?);
        }
        main.print(format!(
            "submitted {} to {}",
            conlab_core::count_of(tasks, "task", "tasks"),
            conlab_core::count_of(workers, "worker", "workers")
        ))
        .await;
        for h in &handles {
            h.join(&main).await?;
        }
        main.print("all tasks done").await;
        Ok(())
    })
}

/// The tasks done, by number, in order.
fn done(c: &Checks) -> Vec<usize> {
    let mut done: Vec<usize> = c
        .trace
        .marks_named("task_done")
        .filter_map(|m| m.detail.parse().ok())
        .collect();
    conlab_core::sort::sort_unstable(&mut done);
    done
}

/// Checks: every task ran exactly once; at most k tasks ran at once (exactly min(k, tasks)
/// when tasks last long enough to overlap); makespan ~ ceil(tasks/k) x task.
pub fn checks(c: &mut Checks) {
    let workers = c.params.usize("workers");
    let tasks = c.params.usize("tasks");
    let task_time = c.params.duration("task_ms");
    let done = done(c);
    c.check(
        "each-once",
        "every task runs exactly once",
        done == (0..tasks).collect::<Vec<_>>(),
        format!(
            "{} done",
            conlab_core::count_of(done.len(), "task", "tasks")
        ),
    );
    let running = c.trace.intervals(SpanState::Running);
    let peak = peak_overlap(&running);
    // In virtual time tasks that take any time overlap exactly as planned.
    let long_enough =
        task_time >= Duration::from_millis(50) || (c.is_virtual() && !task_time.is_zero());
    // Only workers started before the first task ended can be busy together: starting
    // hundreds of threads takes longer than a short task.
    let first_end = running.iter().map(|r| r.1).min().unwrap_or(0);
    let started_in_time = c
        .trace
        .lanes
        .iter()
        .filter(|l| l.kind == LaneKind::Thread && l.start < first_end)
        .count();
    let expected = workers.min(tasks).min(started_in_time.max(1));
    c.check(
        "at-most-k",
        "at most k workers are busy at once",
        peak <= workers && (!long_enough || peak >= expected),
        format!(
            "peak {peak} busy, {} ({started_in_time} started before the first task ended)",
            conlab_core::count_of(workers, "worker", "workers")
        ),
    );
    let waves = tasks.div_ceil(workers) as u32;
    let last = running.iter().map(|r| r.1).max().unwrap_or(0);
    let starting = c.trace.start_cost(LaneKind::Thread);
    // Between its tasks a worker takes the next one from the queue, and with hundreds of
    // workers on two cores it waits its turn to run: the trace shows that time on each worker
    // (from its first task to its last, less the tasks themselves). The busiest worker's counts.
    let task_ns = task_time.as_nanos() as Nanos;
    let mut by_worker: std::collections::HashMap<u32, (Nanos, Nanos, Nanos)> = Default::default();
    for s in c
        .trace
        .spans
        .iter()
        .filter(|s| s.state == SpanState::Running)
    {
        let w = by_worker.entry(s.lane).or_insert((Nanos::MAX, 0, 0));
        w.0 = w.0.min(s.start);
        w.1 = w.1.max(s.end);
        w.2 += task_ns;
    }
    let between = by_worker
        .values()
        .map(|(first, last, tasks)| (last - first).saturating_sub(*tasks))
        .max()
        .unwrap_or(0);
    c.time("waves", "makespan ~ ceil(tasks / workers) x task", last)
        .about(task_time * waves)
        .plus(
            starting + between,
            format!(
                "{} to start the workers and {} a worker spent beyond its tasks' own time",
                conlab_core::ms(starting),
                conlab_core::ms(between)
            ),
        )
        .unlike(task_time * tasks as u32, "the tasks one after the other")
        .guards(&[Fault::SerialThreads])
        .judge();
}

/// About how long a run takes: the tasks in waves of `workers`.
pub fn expected(p: &conlab_core::Params) -> std::time::Duration {
    use conlab_core::estimate::{times, waves, PER_TASK, PER_THREAD};
    let (tasks, workers) = (p.usize("tasks"), p.usize("workers"));
    waves(tasks, workers, p.duration("task_ms"))
        + times(tasks, PER_TASK * 4)
        + times(workers, PER_THREAD)
}

/// What a search tries to break: every task runs exactly once, whatever the order the workers
/// take them in.
pub fn properties(c: &Checks) -> Vec<(&'static str, Option<String>)> {
    let done = done(c);
    let tasks = c.params.usize("tasks");
    let wrong = (done != (0..tasks).collect::<Vec<_>>()).then(|| {
        format!(
            "{} of {} done",
            done.len(),
            conlab_core::count_of(tasks, "task", "tasks")
        )
    });
    vec![("every task runs once", wrong)]
}

/// This file, which the playground shows beside the run.
pub const SOURCE: &str = "crates/thread-scenarios/src/threads/thread_pool.rs";

/// A hash of this file, made when conlab is built: a schedule found on other code is refused.
pub const CODE: u64 = conlab_sched::code_hash(include_bytes!("thread_pool.rs"));
