//! job-queue: a master loop reads jobs from a Redis list and hands them to event loops running
//! in worker threads, with Redis's reliable-queue pattern: a job moves atomically from the
//! queue to the worker's processing list (BLMOVE), is marked done under an idempotency key and
//! acknowledged (LREM) when finished, and the jobs of a worker that stops are moved back to the
//! queue. Worker-1 stops mid-run (after `crash_after` jobs, holding one); no job is lost or run
//! twice.

use super::{command, connect, delete_run_keys};
use conlab_core::{Checks, LaneCtx, LaneKind, ScenarioError, SpanState, Text};
use conlab_tokio::{ScenarioFuture, TokioRuntime};
use redis::AsyncCommands;
use std::collections::BTreeMap;
use std::time::Duration;

const WORKERS: usize = 2;

/// A worker: an event loop on a thread of its own, fed through a channel.
struct Worker {
    name: String,
    jobs: Option<tokio::sync::mpsc::UnboundedSender<String>>,
    thread: std::thread::JoinHandle<()>,
    processing: String,
}

fn start_worker(
    main: &LaneCtx<TokioRuntime>,
    index: usize,
    url: String,
    run_id: String,
    crash_after: usize,
) -> Result<Worker, ScenarioError> {
    let name = format!("worker-{}", index + 1);
    let lane = main.new_lane(LaneKind::Thread, name.clone()).lane();
    let (writer, clock) = (main.writer().clone(), main.runtime().clock().clone());
    let job_time = main.params().duration("job_ms");
    let processing = format!("conlab:{run_id}:processing:{}", index + 1);
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel::<String>();
    let my_processing = processing.clone();
    let stops = index == 0 && crash_after > 0;
    let thread = conlab_tokio::spawn_loop_thread(name.clone(), move || async move {
        let Ok(client) = redis::Client::open(url.as_str()) else {
            return;
        };
        let Ok(mut con) = client.get_multiplexed_async_connection().await else {
            return;
        };
        let mut done = 0usize;
        while let Some(job) = rx.recv().await {
            if stops && done == crash_after {
                // The worker dies holding this job: it is in its processing list,
                // never acknowledged.
                writer.mark(clock.now(), lane, "worker_stopped", Text::from(job));
                break;
            }
            let start = clock.now();
            // Idempotency key: a job that was already run (and then recovered before
            // its acknowledgement) is not run again.
            let first: bool = con
                .set_nx(format!("conlab:{run_id}:done:{job}"), 1)
                .await
                .unwrap_or(false);
            if first {
                tokio::time::sleep(job_time).await;
                writer.mark(clock.now(), lane, "ran", Text::from(job.clone()));
            }
            let _: Result<(), _> = con.lrem(&my_processing, 1, &job).await;
            writer.span(
                lane,
                SpanState::Running,
                start,
                clock.now(),
                Text::from(format!("job {job}")),
            );
            done += 1;
        }
        writer.end_lane(clock.now(), lane);
    })
    .map_err(|e| ScenarioError::failed(format!("could not start {name}'s thread: {e}")))?;
    Ok(Worker {
        name,
        jobs: Some(tx),
        thread,
        processing,
    })
}

/// Runs the scenario.
pub fn run(main: LaneCtx<TokioRuntime>, urls: Vec<String>, run_id: String) -> ScenarioFuture {
    Box::pin(async move {
        let jobs = main.params().usize("jobs");
        let crash_after = main.params().usize("crash_after");
        let mut con = connect(&main, &urls[0]).await?;
        let queue = format!("conlab:{run_id}:queue");
        let ids: Vec<String> = (0..jobs).map(|i| i.to_string()).collect();
        let _: () = command(&main, "LPUSH jobs", Duration::ZERO, con.lpush(&queue, &ids)).await?;
        main.print(format!("queued {jobs} jobs"));

        let mut workers: Vec<Worker> = (0..WORKERS)
            .map(|i| start_worker(&main, i, urls[0].clone(), run_id.clone(), crash_after))
            .collect::<Result<_, _>>()?;
        let done_pattern = format!("conlab:{run_id}:done:*");
        let mut next = 0usize;
        let deadline = main.now() + Duration::from_secs(60).as_nanos() as u64;
        loop {
            // A worker whose thread ended without being told to: recover its jobs.
            for w in workers
                .iter_mut()
                .filter(|w| w.jobs.is_some() && w.thread.is_finished())
            {
                w.jobs = None;
                main.print(format!(
                    "{} stopped; moving its unacknowledged jobs back to the queue",
                    w.name
                ));
                while let Some(job) = command(
                    &main,
                    "LMOVE back",
                    Duration::ZERO,
                    con.lmove::<_, _, Option<String>>(
                        &w.processing,
                        &queue,
                        redis::Direction::Right,
                        redis::Direction::Right,
                    ),
                )
                .await?
                {
                    main.mark("recovered", Text::from(job.clone()));
                    main.print(format!("recovered job {job}"));
                }
            }
            let done: Vec<String> = redis::cmd("KEYS")
                .arg(&done_pattern)
                .query_async(&mut con)
                .await
                .unwrap_or_default();
            let pending: usize = con.llen(&queue).await.unwrap_or(0);
            let held: usize = {
                let mut n = 0;
                for w in workers.iter().filter(|w| w.jobs.is_some()) {
                    n += con.llen::<_, usize>(&w.processing).await.unwrap_or(0);
                }
                n
            };
            if done.len() == jobs && pending == 0 && held == 0 {
                break;
            }
            if main.now() > deadline {
                return Err(ScenarioError::failed(
                    "jobs were still unfinished after 60 s",
                ));
            }
            let live: Vec<usize> = (0..workers.len())
                .filter(|i| workers[*i].jobs.is_some())
                .collect();
            if live.is_empty() {
                return Err(ScenarioError::failed("every worker stopped"));
            }
            let w = live[next % live.len()];
            next += 1;
            let moved = command(
                &main,
                "BLMOVE",
                Duration::from_millis(100),
                con.blmove::<_, _, Option<String>>(
                    &queue,
                    &workers[w].processing,
                    redis::Direction::Right,
                    redis::Direction::Left,
                    0.05,
                ),
            )
            .await?;
            if let Some(job) = moved {
                main.mark(
                    "dispatched",
                    Text::from(format!("{job} {}", workers[w].name)),
                );
                if let Some(tx) = &workers[w].jobs {
                    let _ = tx.send(job);
                }
            }
        }
        for w in &mut workers {
            w.jobs = None;
        }
        for w in workers {
            let _ = w.thread.join();
        }
        delete_run_keys(&mut con, &run_id)
            .await
            .map_err(|e| ScenarioError::failed(format!("cleaning up failed: {e}")))?;
        main.print("all jobs done");
        Ok(())
    })
}

/// Checks: every job ran exactly once, even though a worker stopped holding one; the job it
/// held was recovered.
pub fn checks(c: &mut Checks) {
    let t = c.trace;
    let jobs = c.params.usize("jobs");
    let mut runs: BTreeMap<usize, usize> = BTreeMap::new();
    for m in t.marks_named("ran") {
        if let Ok(j) = m.detail.parse::<usize>() {
            *runs.entry(j).or_default() += 1;
        }
    }
    let twice: Vec<usize> = runs
        .iter()
        .filter(|(_, n)| **n > 1)
        .map(|(j, _)| *j)
        .collect();
    let missing: Vec<usize> = (0..jobs).filter(|j| !runs.contains_key(j)).collect();
    c.check(
        "exactly-once",
        "every job runs exactly once",
        twice.is_empty() && missing.is_empty(),
        format!("run twice: {twice:?}; never run: {missing:?}"),
    );
    let stopped: Vec<&str> = t
        .marks_named("worker_stopped")
        .map(|m| m.detail.as_str())
        .collect();
    let recovered: Vec<&str> = t
        .marks_named("recovered")
        .map(|m| m.detail.as_str())
        .collect();
    let crash_after = c.params.usize("crash_after");
    let expect_stop = crash_after > 0 && crash_after < jobs;
    c.check(
        "recovered",
        "the job a stopped worker held is moved back and run by another",
        !expect_stop || (!stopped.is_empty() && stopped.iter().all(|j| recovered.contains(j))),
        format!("stopped holding {stopped:?}, recovered {recovered:?}"),
    );
}
