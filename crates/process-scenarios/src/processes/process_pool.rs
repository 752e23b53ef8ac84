//! process-pool: a pool of k long-lived worker processes takes tasks in chunks, as
//! `Pool.map` hands them out: the pool starts its workers and waits until each is up (as
//! `Pool(k)` does before `map`), then sends each chunk with its inputs, and a worker asks for
//! more when it finishes a chunk (holding one more in reserve, so it never idles waiting for
//! the parent), so equal tasks run in waves of k, never more than k at once. Each chunk is one
//! span (`task 7`, or `tasks 7–13`), as the worker runs it in one go.

use conlab_core::{Checks, Nanos, SpanState};
use conlab_threads::{Aborted, Child, ProcessQueue, ProcessSpec, Processes, Thread};
use std::future::Future;
use std::pin::Pin;
use std::time::Duration;

/// What the parent may spend handing out one task and taking its result on a busy 2-core
/// machine, when each is a chunk of its own (two messages and two context switches, recorded).
const PER_CHUNK: Duration = Duration::from_micros(300);

/// What recording one task of a chunk may cost on a busy machine.
const PER_TASK: Duration = Duration::from_micros(5);

/// What handing out a chunk and taking its results back takes, for the estimate of a run's
/// length (about 12 µs here; the checks allow far more).
const ESTIMATE_PER_CHUNK: Duration = Duration::from_micros(40);

/// Chunks a worker holds at once: the one it runs and one in reserve.
const AHEAD: usize = 2;

const STOP: &str = "stop";

/// The chunk size: as given, or as `Pool.map` chooses (tasks / (4 × workers), rounded up).
fn chunk_size(p: &conlab_core::Params) -> usize {
    match p.usize("chunksize") {
        0 => p.usize("tasks").div_ceil(4 * p.usize("workers")).max(1),
        c => c,
    }
}

/// The numbers in a message (`<worker> <first task> <results…>`, `<first task> <inputs…>`).
fn numbers(message: &str) -> impl Iterator<Item = u64> + '_ {
    message.split(' ').filter_map(|w| w.parse().ok())
}

/// Runs the parent: starts k workers, hands out every chunk (the next to whichever worker
/// reports one done), then stops the workers.
pub fn run(main: Thread) -> Pin<Box<dyn Future<Output = Result<(), Aborted>>>> {
    Box::pin(async move {
        let workers = main.params().usize("workers");
        let tasks = main.params().usize("tasks");
        let chunk = chunk_size(main.params());
        let results = ProcessQueue::new(&main, "results");
        let processes = Processes::new(&main);
        let mut pool = Vec::with_capacity(workers);
        for i in 0..workers {
            let spec = ProcessSpec::new(worker)
                .name(format!("PoolWorker-{}", i + 1))
                .arg(i.to_string())
                .queue(&results);
            pool.push(processes.start(&main, spec).await?);
        }
        main.print(format!(
            "parent: a pool of {} for {}, {} at a time",
            conlab_core::count_of(workers, "worker", "workers"),
            conlab_core::count_of(tasks, "task", "tasks"),
            conlab_core::count_of(chunk.min(tasks), "task", "tasks"),
        ))
        .await;
        // Every worker says when it is up, before any task is handed out.
        for _ in 0..workers {
            results.get(&main).await?;
        }
        // The inputs: task i's input is i (`Pool.map(f, range(tasks))`), sent with its chunk.
        let mut chunks = (0..tasks)
            .step_by(chunk)
            .map(|from| (from, (from + chunk).min(tasks)));
        main.phase_start("tasks");
        // Each task's result, in task order, as Pool.map returns them.
        let mut results_in_order: Vec<Option<u64>> = vec![None; tasks];
        let mut out = 0;
        for _ in 0..AHEAD {
            for worker in &pool {
                if let Some((from, to)) = chunks.next() {
                    worker.send(&main, &chunk_message(from, to)).await;
                    out += 1;
                }
            }
        }
        while out > 0 {
            let done = results.get(&main).await?;
            out -= 1;
            // `<worker> <from>` then one result per task.
            let mut words = numbers(&done);
            let by = words.next().unwrap_or(0) as usize;
            if let (Some((from, to)), Some(worker)) = (chunks.next(), pool.get(by)) {
                worker.send(&main, &chunk_message(from, to)).await;
                out += 1;
            }
            let from = words.next().unwrap_or(0) as usize;
            for (slot, result) in results_in_order.iter_mut().skip(from).zip(words) {
                *slot = Some(result);
            }
        }
        main.phase_end("tasks");
        let back = results_in_order.iter().flatten().count();
        let sum: u64 = results_in_order.iter().flatten().sum();
        main.print(format!(
            "parent: all {} done; {} back, adding up to {sum}",
            conlab_core::count_of(tasks, "task", "tasks"),
            conlab_core::count_of(back, "result", "results")
        ))
        .await;
        for worker in &pool {
            worker.send(&main, STOP).await;
        }
        for worker in &pool {
            worker.join(&main).await?;
        }
        Ok(())
    })
}

/// A chunk as the parent sends it: the index of its first task, then each task's input, as
/// `Pool.map` pickles a chunk of its iterable.
fn chunk_message(from: usize, to: usize) -> String {
    let mut message = from.to_string();
    for input in from..to {
        message.push(' ');
        message.push_str(&input.to_string());
    }
    message
}

/// A pool worker: says it is up, then takes chunks until told to stop; a task sleeps task_ms
/// and returns its input (`f(x) = x`).
fn worker(me: Child) -> Pin<Box<dyn Future<Output = Result<(), Aborted>>>> {
    Box::pin(async move {
        let task = me.params().duration("task_ms");
        let mut done = 0u64;
        me.put(format!("{} up", me.arg())).await;
        loop {
            let message = me
                .recv(SpanState::WaitingQueue, "waiting for a task")
                .await?;
            if message == STOP {
                break;
            }
            let mut words = numbers(&message);
            let from = words.next().unwrap_or(0);
            let start = me.now();
            let mut results = format!("{} {from}", me.arg());
            let mut to = from;
            for input in words {
                if !task.is_zero() {
                    me.sleep(task).await?;
                }
                results.push(' ');
                results.push_str(&input.to_string()); // f(x) = x
                to += 1;
                done += 1;
            }
            me.span(SpanState::Running, start, chunk_label(from, to));
            me.put(results).await;
        }
        me.print(format!(
            "{} (pid {}): ran {}",
            me.name(),
            me.pid(),
            conlab_core::count_of(done as usize, "task", "tasks")
        ))
        .await;
        Ok(())
    })
}

/// The code of the child processes a native run starts.
#[cfg(feature = "native")]
pub fn child(ctx: &conlab_processes::ProcessCtx) -> Result<(), conlab_traced_threads::Aborted> {
    conlab_threads::run_child(ctx, worker)
}

/// How a worker labels the span of a chunk of tasks `from..to`: `task 7`, `tasks 7–13`.
fn chunk_label(from: u64, to: u64) -> String {
    if to == from + 1 {
        format!("task {from}")
    } else {
        format!("tasks {from}–{}", to.saturating_sub(1))
    }
}

/// The tasks a chunk's span covers, from its label.
fn chunk_tasks(label: &str) -> Option<std::ops::RangeInclusive<u64>> {
    if let Some(one) = label.strip_prefix("task ") {
        let id = one.parse().ok()?;
        return Some(id..=id);
    }
    let (first, last) = label.strip_prefix("tasks ")?.split_once('–')?;
    Some(first.parse().ok()?..=last.parse().ok()?)
}

/// The chunk spans: (start, end, lane, tasks).
fn chunk_spans(t: &conlab_core::Trace) -> Vec<(Nanos, Nanos, u32, std::ops::RangeInclusive<u64>)> {
    let mut spans: Vec<_> = t
        .spans
        .iter()
        .filter(|s| s.state == SpanState::Running)
        .filter_map(|s| Some((s.start, s.end, s.lane, chunk_tasks(&s.label)?)))
        .collect();
    conlab_core::sort::sort_unstable_by_key(&mut spans, |s| (s.0, s.1, s.2));
    spans
}

/// The most spans open at one instant.
fn peak(spans: &[(Nanos, Nanos, u32, std::ops::RangeInclusive<u64>)]) -> usize {
    let mut edges: Vec<(Nanos, i32)> = spans.iter().flat_map(|s| [(s.0, 1), (s.1, -1)]).collect();
    // Ends before starts at the same instant: a worker that moves on is not counted twice.
    conlab_core::sort::sort_unstable(&mut edges);
    let mut open = 0i32;
    let mut most = 0i32;
    for (_, d) in edges {
        open += d;
        most = most.max(open);
    }
    most as usize
}

/// How long the tasks take when chunks of equal tasks go, in order, to whichever of `workers`
/// is free first (how the pool hands them out), in task lengths.
fn task_lengths(tasks: usize, workers: usize, chunk: usize) -> usize {
    let mut free = vec![0usize; workers];
    let mut from = 0;
    while from < tasks {
        let size = chunk.min(tasks - from);
        let first = free
            .iter_mut()
            .min()
            .expect("a pool has at least one worker");
        *first += size;
        from += size;
    }
    free.into_iter().max().unwrap_or(0)
}

/// Checks: every task ran once and its result came back; at most k worker PIDs, at most k tasks at once; the tasks
/// take as long as equal chunks handed to whichever worker is free (ceil(tasks/k) task
/// lengths when a chunk is one task), plus the cost of handing them out.
pub fn checks(c: &mut Checks) {
    let workers = c.params.usize("workers");
    let tasks = c.params.usize("tasks");
    let task = c.params.duration("task_ms");
    let chunk = chunk_size(c.params);
    let t = c.trace;
    let spans = chunk_spans(t);
    let mut ids: Vec<u64> = spans.iter().flat_map(|s| s.3.clone()).collect();
    conlab_core::sort::sort_unstable(&mut ids);
    let expected: Vec<u64> = (0..tasks as u64).collect();
    c.check(
        "every-task-once",
        "every task runs exactly once",
        ids == expected,
        format!("{} ran", conlab_core::of(ids.len() as u64, tasks as u64)),
    );
    let n = tasks as u64;
    let said = t
        .output
        .iter()
        .filter(|l| l.text.starts_with("parent: all "))
        .find_map(|l| l.text.split_once("; ").map(|(_, r)| r.to_string()))
        .unwrap_or_default();
    let expected_said = format!(
        "{} back, adding up to {}",
        conlab_core::count_of(tasks, "result", "results"),
        n * (n - 1) / 2
    );
    c.check(
        "every-result-back",
        "every task's result comes back to the parent",
        said == expected_said,
        format!("the parent says: {said}"),
    );
    let mut pids: Vec<Option<u64>> = spans.iter().map(|s| super::lane_pid(t, s.2)).collect();
    conlab_core::sort::sort_unstable(&mut pids);
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
    let lengths = task_lengths(tasks, workers, chunk) as u32;
    let chunks = tasks.div_ceil(chunk) as u32;
    let handing_out = PER_CHUNK * chunks + PER_TASK * tasks as u32;
    // From the tasks phase's start, once every worker is up: handing out begins there.
    let first = c
        .phase("tasks")
        .map_or(first, |(start, _)| start.min(first));
    c.time(
        "makespan-waves",
        "the tasks run in waves of k: about ceil(tasks/k) task lengths, or as many as their chunks take",
        last.saturating_sub(first),
    )
    .about(task * lengths)
    .plus(
        handing_out.as_nanos() as Nanos,
        format!(
            "handing out {}",
            conlab_core::count_of(tasks, "task", "tasks")
        ),
    )
    .unlike(task * tasks as u32, "the tasks one after the other")
    .judge();
}

/// About how long a run takes: starting the pool, the waves, handing out the tasks.
pub fn expected(p: &conlab_core::Params) -> Duration {
    let workers = p.usize("workers");
    let tasks = p.usize("tasks");
    let chunk = chunk_size(p);
    super::per_process(workers)
        + p.duration("task_ms") * task_lengths(tasks, workers, chunk) as u32
        + ESTIMATE_PER_CHUNK * tasks.div_ceil(chunk) as u32
}

/// What a search tries to break: nothing (its checks read the chunks' spans, which a search
/// does not keep; a pool hands every task out once in every interleaving).
pub fn properties(_: &Checks) -> Vec<(&'static str, Option<String>)> {
    Vec::new()
}

/// This file, which the playground shows beside the run.
pub const SOURCE: &str = "crates/process-scenarios/src/processes/process_pool.rs";

/// A hash of this file, made when conlab is built: a schedule found on other code is refused.
pub const CODE: u64 = conlab_sched::code_hash(include_bytes!("process_pool.rs"));

#[cfg(test)]
mod tests {
    use super::task_lengths;

    #[test]
    fn chunks_go_to_the_worker_free_first() {
        assert_eq!(task_lengths(12, 4, 1), 3);
        assert_eq!(task_lengths(10, 5, 1), 2);
        assert_eq!(task_lengths(7, 3, 1), 3);
        // 100 tasks in chunks of 7 on 4 workers: 15 chunks (14 of 7, one of 2), 4 rounds.
        assert_eq!(task_lengths(100, 4, 7), 28);
        assert_eq!(task_lengths(1, 8, 1), 1);
    }
}
