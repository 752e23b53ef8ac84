//! loop-in-thread: an event loop runs in a background thread; the main thread submits
//! coroutines to it thread-safely (asyncio's `run_coroutine_threadsafe`), and every one of
//! them runs on the loop's thread.

use conlab_core::{Checks, LaneCtx, LaneKind, Runtime, ScenarioError, SpanState, Text};
use conlab_tokio::TokioRuntime;

const LOOP_THREAD: &str = "loop-thread";

fn thread_name() -> String {
    std::thread::current()
        .name()
        .unwrap_or("unnamed")
        .to_string()
}

/// Why it cannot run with these parameters: it always can.
pub fn unavailable(_: &conlab_core::Params) -> Option<String> {
    None
}

/// Runs the scenario.
pub async fn run(main: LaneCtx<TokioRuntime>) -> Result<(), ScenarioError> {
    let jobs = main.params().usize("jobs");
    let job_time = main.params().scale_ms(100);
    let rt = main.runtime().clone();
    let writer = main.writer().clone();
    let loop_lane = main.new_lane(LaneKind::Thread, LOOP_THREAD).lane();
    let (handle_tx, handle_rx) = std::sync::mpsc::channel();
    let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
    let (loop_writer, loop_rt) = (writer.clone(), rt.clone());
    let thread = std::thread::Builder::new()
        .name(LOOP_THREAD.into())
        .spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_time()
                .build();
            let runtime = match runtime {
                Ok(r) => r,
                Err(e) => return Err(e.to_string()),
            };
            let _ = handle_tx.send(runtime.handle().clone());
            loop_writer.begin(
                loop_rt.now(),
                loop_lane,
                SpanState::Running,
                Text::Static("run_forever"),
            );
            let _ = runtime.block_on(stop_rx);
            loop_writer.end(loop_rt.now(), loop_lane);
            loop_writer.end_lane(loop_rt.now(), loop_lane);
            Ok(())
        })
        .map_err(|e| ScenarioError::failed(format!("could not start the loop thread: {e}")))?;
    let handle = handle_rx
        .recv()
        .map_err(|_| ScenarioError::failed("the loop thread did not start"))?;
    main.mark("submitted_from", Text::from(thread_name()));
    let mut pending = Vec::with_capacity(jobs);
    for i in 0..jobs {
        let lane = main
            .new_lane(LaneKind::Task, format!("job-{}", i + 1))
            .lane();
        let (w, rt) = (writer.clone(), rt.clone());
        pending.push(handle.spawn(async move {
            w.mark(rt.now(), lane, "ran_on", Text::from(thread_name()));
            let start = rt.now();
            tokio::time::sleep(job_time).await;
            w.span(lane, SpanState::Sleeping, start, rt.now(), Text::None);
            w.output(rt.now(), lane, format!("job {i} ran on {}", thread_name()));
            w.end_lane(rt.now(), lane);
            i * i
        }));
    }
    main.print(format!(
        "submitted {} from {}",
        conlab_core::count_of(jobs, "job", "jobs"),
        thread_name()
    ));
    let mut total = 0;
    for job in pending {
        total += main
            .during(SpanState::WaitingFuture, "future.result()", job)
            .await
            .map_err(|e| ScenarioError::failed(format!("a job failed: {e}")))?;
    }
    main.print(format!("all jobs done, sum of results {total}"));
    let _ = stop_tx.send(());
    match thread.join() {
        Ok(Ok(())) => Ok(()),
        Ok(Err(e)) => Err(ScenarioError::failed(format!(
            "the loop thread failed: {e}"
        ))),
        Err(_) => Err(ScenarioError::failed("the loop thread panicked")),
    }
}

/// Checks: every submitted job ran on the loop's thread, which is not the submitting thread,
/// and the loop thread ended cleanly after the jobs.
pub fn checks(c: &mut Checks) {
    let jobs = c.params.usize("jobs");
    let on_loop = c
        .trace
        .marks_named("ran_on")
        .filter(|m| m.detail == LOOP_THREAD)
        .count();
    let ran = c.trace.marks_named("ran_on").count();
    c.check(
        "on-loop-thread",
        "every submitted job runs on the loop's thread",
        on_loop == jobs && ran == jobs,
        format!(
            "{} jobs on {LOOP_THREAD}",
            conlab_core::of(on_loop as u64, jobs as u64)
        ),
    );
    let from = c
        .trace
        .marks_named("submitted_from")
        .next()
        .map(|m| m.detail.clone())
        .unwrap_or_default();
    c.check(
        "other-thread",
        "jobs were submitted from another thread",
        !from.is_empty() && from != LOOP_THREAD,
        format!("submitted from \"{from}\""),
    );
    let ended = c
        .trace
        .lane_named(LOOP_THREAD)
        .and_then(|l| l.end)
        .is_some();
    c.check(
        "loop-stopped",
        "the loop thread stops cleanly at the end",
        ended,
        "",
    );
}

/// About how long a run takes: one job (they run side by side on the loop).
pub fn expected(p: &conlab_core::Params) -> std::time::Duration {
    use conlab_core::estimate::times;
    use std::time::Duration;
    p.scale_ms(100) + times(p.usize("jobs"), Duration::from_millis(1)) + Duration::from_millis(50)
}
