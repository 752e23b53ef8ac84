//! sync-vs-async-requests: slow requests made one after the other add up; made concurrently,
//! they take about one latency.

use conlab_core::{
    Checks, Fault, LaneCtx, LaneKind, Nanos, Runtime, ScenarioError, SpanState, TaskGroup,
};

/// Runs the scenario.
pub async fn run<R: Runtime>(main: LaneCtx<R>) -> Result<(), ScenarioError> {
    let n = main.params().usize("requests");
    let latency = main.params().duration("latency_ms");

    main.mark_io_kind();
    let start = main.now();
    main.phase_start("sequential");
    for i in 0..n {
        main.request_as(SpanState::InFlight, latency).await;
        main.print(format!("sequential: response {i}"));
    }
    main.phase_end("sequential");
    let sequential = main.now() - start;
    main.metric("makespan_sequential_ms", sequential as f64 / 1e6, "ms");

    let start = main.now();
    main.phase_start("concurrent");
    let group = TaskGroup::new();
    for i in 0..n {
        main.spawn_into(&group, move |me| async move {
            me.request_as(SpanState::InFlight, latency).await;
            me.print(format!("concurrent: response {i}"));
        });
    }
    main.during(SpanState::WaitingJoin, "gather", group.join_all())
        .await;
    main.phase_end("concurrent");
    let concurrent = main.now() - start;
    main.metric("makespan_concurrent_ms", concurrent as f64 / 1e6, "ms");
    main.metric("speedup", sequential as f64 / concurrent.max(1) as f64, "x");
    main.print(format!(
        "sequential {} vs concurrent {}",
        conlab_core::ms(sequential),
        conlab_core::ms(concurrent)
    ));
    Ok(())
}

/// Checks, from the recorded request spans: sequential requests never overlap and take about
/// n x latency; concurrent ones all overlap and take about one latency, not n.
pub fn checks(c: &mut Checks) {
    let n = c.params.count("requests") as u32;
    let latency = c.params.duration("latency_ms");
    let (Some((seq_start, _)), Some((conc_start, _))) =
        (c.phase("sequential"), c.phase("concurrent"))
    else {
        c.check("phases", "both phases ran", false, "missing phase marks");
        return;
    };
    // Sequential requests are made by main itself, concurrent ones by tasks: told apart by
    // lane, as with no latency both phases happen at the same instant.
    let t = c.trace;
    let main = t
        .lanes
        .iter()
        .find(|l| l.kind == LaneKind::Main)
        .map(|l| l.id);
    let in_flight = || t.spans.iter().filter(|s| s.state == SpanState::InFlight);
    let seq: Vec<(Nanos, Nanos)> = in_flight()
        .filter(|s| Some(s.lane) == main)
        .map(|s| (s.start, s.end))
        .collect();
    let conc: Vec<(Nanos, Nanos)> = in_flight()
        .filter(|s| Some(s.lane) != main)
        .map(|s| (s.start, s.end))
        .collect();
    c.check(
        "all-answered",
        "every request got a response in both modes",
        seq.len() == n as usize && conc.len() == n as usize,
        format!("{} sequential, {} concurrent", seq.len(), conc.len()),
    );
    let seq_end = seq.iter().map(|r| r.1).max().unwrap_or(seq_start);
    let conc_end = conc.iter().map(|r| r.1).max().unwrap_or(conc_start);
    // One after the other, the requests add up: the phase lasts as long as its requests
    // together (each at least the latency; a short sleep may take a timer tick longer), with
    // nothing but the loop's own work in between.
    let phase = seq_end - seq_start;
    let sum: Nanos = seq.iter().map(|r| r.1 - r.0).sum();
    let least = (latency * n).as_nanos() as Nanos;
    let slack = c.tolerance.late + c.tolerance.per_task * Nanos::from(n);
    let detail = format!(
        "the phase took {}; its {} took {} together (at least {})",
        conlab_core::ms(phase),
        conlab_core::count_of(n as usize, "request", "requests"),
        conlab_core::ms(sum),
        conlab_core::ms(least)
    );
    // Made at once, the requests would take one latency: within the slack of n of them, the
    // two cannot be told apart.
    if n < 2 || least.saturating_sub(latency.as_nanos() as Nanos) <= slack {
        c.not_judged(
            "sequential-sum",
            "sequential requests take ~ n x latency",
            format!(
                "{detail}; made at once they would take {}, too close to tell",
                conlab_core::ms(latency.as_nanos() as Nanos)
            ),
        );
    } else {
        c.check(
            "sequential-sum",
            "sequential requests take ~ n x latency",
            phase + c.tolerance.early >= least.max(sum) && phase <= sum + slack,
            detail,
        );
    }
    c.time(
        "concurrent-one",
        "concurrent requests take ~ one latency",
        conc_end - conc_start,
    )
    .about(latency)
    .waits(1)
    .tasks(n as usize)
    .real_requests(n as usize)
    .unlike(latency * n, "the requests one after the other")
    .guards(&[Fault::SerialTasks])
    .judge();
}

/// About how long a run takes: every request one by one, then one more for all of them together.
pub fn expected(p: &conlab_core::Params) -> std::time::Duration {
    use conlab_core::estimate::{sleeps, times, PER_TASK};
    let n = p.usize("requests");
    let latency = p.duration("latency_ms");
    sleeps(n + 1, latency) + times(n, PER_TASK)
}

/// This file: the code that runs, shown beside its timeline on the playground.
pub const SOURCE: &str = file!();
