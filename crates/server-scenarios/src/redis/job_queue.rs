//! job-queue: a master loop reads jobs from a Redis list and hands them to event loops running
//! in worker threads, with Redis's reliable-queue pattern: a job moves atomically from the
//! queue to the worker's processing list (BLMOVE), is marked done in an idempotency set and
//! acknowledged (LREM) when finished, and the jobs of a worker that stops are moved back to the
//! queue. Worker-1 stops mid-run: once `crash_after` jobs have been handed out, the next one
//! goes to worker-1, which stops holding it. No job is lost or run twice.
//!
//! The stop is placed by the master rather than counted by worker-1 among its own jobs: the
//! workers take turns, so worker-1 gets only about half of the jobs, and with `crash_after` at
//! half of `jobs` or more it would never reach its count (the run would show no stop at all).

use super::{command, connect, connection_config, delete_run_keys, COMMAND_TIMEOUT};
use conlab_core::{Checks, LaneCtx, LaneKind, ScenarioError, SpanState, Text};
use conlab_tokio::{ScenarioFuture, TokioRuntime};
use redis::AsyncCommands;
use std::collections::BTreeMap;
use std::time::Duration;

const WORKERS: usize = 2;

/// What the master hands a worker: a job, and whether the worker stops holding it (the
/// simulated crash).
struct Order {
    job: String,
    stop_holding_it: bool,
}

/// A worker: an event loop on a thread of its own, fed through a channel.
struct Worker {
    name: String,
    orders: Option<tokio::sync::mpsc::UnboundedSender<Order>>,
    thread: std::thread::JoinHandle<()>,
    processing: String,
}

fn start_worker(
    main: &LaneCtx<TokioRuntime>,
    index: usize,
    url: String,
    run_id: String,
) -> Result<Worker, ScenarioError> {
    let name = format!("worker-{}", index + 1);
    let lane = main.new_lane(LaneKind::Thread, name.clone()).lane();
    let (writer, clock) = (main.writer().clone(), *main.runtime().clock());
    let job_time = main.params().duration("job_ms");
    let processing = format!("conlab:{run_id}:processing:{}", index + 1);
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel::<Order>();
    let my_processing = processing.clone();
    let done_set = done_set(&run_id);
    let thread = conlab_tokio::spawn_loop_thread(name.clone(), move || async move {
        let Ok(client) = redis::Client::open(url.as_str()) else {
            return;
        };
        // Its commands are quick: each gets the usual slack as its limit.
        let config = connection_config(Some(COMMAND_TIMEOUT));
        let Ok(mut con) = client
            .get_multiplexed_async_connection_with_config(&config)
            .await
        else {
            return;
        };
        while let Some(Order {
            job,
            stop_holding_it,
        }) = rx.recv().await
        {
            if stop_holding_it {
                // The worker dies holding this job: it is in its processing list,
                // never acknowledged.
                writer.mark(clock.now(), lane, "worker_stopped", Text::from(job));
                break;
            }
            let start = clock.now();
            // Idempotency: a job that was already run (and then recovered before its
            // acknowledgement) is not run again.
            let first: bool = con.sadd(&done_set, &job).await.unwrap_or(false);
            if first {
                // tokio's timers tick in milliseconds: even a zero sleep would wait for the
                // next tick, a millisecond per job that the job does not take.
                if !job_time.is_zero() {
                    tokio::time::sleep(job_time).await;
                }
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
        }
        writer.end_lane(clock.now(), lane);
    })
    .map_err(|e| ScenarioError::failed(format!("could not start {name}'s thread: {e}")))?;
    Ok(Worker {
        name,
        orders: Some(tx),
        thread,
        processing,
    })
}

/// The set of jobs that have run (the idempotency record).
fn done_set(run_id: &str) -> String {
    format!("conlab:{run_id}:done")
}

/// Runs the scenario.
pub fn run(main: LaneCtx<TokioRuntime>, urls: Vec<String>, run_id: String) -> ScenarioFuture {
    Box::pin(async move {
        let jobs = main.params().usize("jobs");
        let crash_after = main.params().usize("crash_after");
        let job_time = main.params().duration("job_ms");
        let mut con = connect(&main, &urls[0]).await?;
        let queue = format!("conlab:{run_id}:queue");
        let done_set = done_set(&run_id);
        let ids: Vec<String> = (0..jobs).map(|i| i.to_string()).collect();
        let _: () = command(&main, "LPUSH jobs", Duration::ZERO, con.lpush(&queue, &ids)).await?;
        main.print(format!(
            "queued {}",
            conlab_core::count_of(jobs, "job", "jobs")
        ));

        let mut workers: Vec<Worker> = (0..WORKERS)
            .map(|i| start_worker(&main, i, urls[0].clone(), run_id.clone()))
            .collect::<Result<_, _>>()?;
        // Worker-1 stops holding the job handed out after the first `crash_after`.
        let mut stop_at = (crash_after > 0 && crash_after < jobs).then_some(crash_after);
        // However the jobs fall, no worker runs more than all of them one after another.
        let limit =
            job_time * jobs as u32 + Duration::from_secs(30) + Duration::from_millis(jobs as u64);
        let deadline = main.now() + limit.as_nanos() as u64;
        let (mut next, mut handed_out) = (0usize, 0usize);
        loop {
            // A worker whose thread ended without being told to: recover its jobs.
            for w in workers
                .iter_mut()
                .filter(|w| w.orders.is_some() && w.thread.is_finished())
            {
                w.orders = None;
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
            if main.now() > deadline {
                return Err(ScenarioError::failed(format!(
                    "jobs were still unfinished after {}",
                    conlab_core::ms(limit.as_nanos() as u64)
                )));
            }
            let live: Vec<usize> = (0..workers.len())
                .filter(|i| workers[*i].orders.is_some())
                .collect();
            if live.is_empty() {
                return Err(ScenarioError::failed("every worker stopped"));
            }
            let stop = stop_at == Some(handed_out) && live.contains(&0);
            let w = if stop {
                0
            } else {
                next += 1;
                live[(next - 1) % live.len()]
            };
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
            let Some(job) = moved else {
                // The queue is empty: finished when every job has run and been acknowledged.
                let done: usize =
                    command(&main, "SCARD", Duration::ZERO, con.scard(&done_set)).await?;
                let mut held = 0;
                for w in workers.iter().filter(|w| w.orders.is_some()) {
                    held += command(
                        &main,
                        "LLEN",
                        Duration::ZERO,
                        con.llen::<_, usize>(&w.processing),
                    )
                    .await?;
                }
                if done == jobs && held == 0 {
                    break;
                }
                continue;
            };
            main.mark(
                "dispatched",
                Text::from(format!("{job} {}", workers[w].name)),
            );
            handed_out += 1;
            if stop {
                stop_at = None;
            }
            if let Some(tx) = &workers[w].orders {
                let _ = tx.send(Order {
                    job,
                    stop_holding_it: stop,
                });
            }
        }
        for w in &mut workers {
            w.orders = None;
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
        format!(
            "run twice: {}; never run: {}",
            conlab_core::list(&twice),
            conlab_core::list(&missing)
        ),
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
        if stopped.is_empty() && !expect_stop {
            "no worker stopped (crash_after is 0: never)".to_string()
        } else {
            format!(
                "stopped holding {}, recovered {}",
                few(&stopped),
                few(&recovered)
            )
        },
    );
}

/// A list for a check's detail: all of a short one, the start and the count of a long one.
fn few(items: &[&str]) -> String {
    const SHOWN: usize = 10;
    if items.len() <= SHOWN {
        conlab_core::quoted(items)
    } else {
        format!(
            "{} … ({} in all)",
            conlab_core::quoted(&items[..SHOWN]),
            items.len()
        )
    }
}

/// About how long a run takes: the jobs shared by two workers (or left to one when the other
/// stops), and the stuck job's recovery.
pub fn expected(p: &conlab_core::Params) -> std::time::Duration {
    use conlab_core::estimate::{times, waves, ROUND_TRIP};
    let jobs = p.usize("jobs");
    // When worker-1 stops mid-run, worker-2 may be left with nearly all the jobs.
    let sharing = if p.usize("crash_after") > 0 { 1 } else { 2 };
    waves(jobs, sharing, p.duration("job_ms")) + times(jobs, ROUND_TRIP) + Duration::from_secs(1)
}
