//! process-shared-dict: a manager process owns a dict; children update it over IPC, each
//! update a round trip to the manager, served there by a thread per connection, and the
//! parent reads the final dict from the manager. Natively the connections are Unix sockets;
//! on the scheduler every request and answer is a step.

use conlab_core::{Checks, LaneKind, SpanState};
use conlab_threads::{Aborted, Child, Manager, ProcessSpec, Processes, Thread};
use std::collections::BTreeMap;
use std::future::Future;
use std::pin::Pin;

/// The value process `i` writes in its update `u`: the last is `i * updates + updates - 1`
/// (with one update each, `d[i] = i`).
fn value(i: u64, updates: u64, u: u64) -> u64 {
    i * updates + u
}

/// Runs the parent: starts the manager, then the children, then reads the dict and stops
/// the manager.
pub fn run(main: Thread) -> Pin<Box<dyn Future<Output = Result<(), Aborted>>>> {
    Box::pin(async move {
        let n = main.params().usize("processes");
        let processes = Processes::new(&main);
        let manager = Manager::start(&processes, &main).await?; // with Manager() as manager:
        main.print(format!("parent: the manager runs as pid {}", manager.pid()))
            .await;
        let d = manager.dict(); // d = manager.dict()
        let mut children = Vec::with_capacity(n);
        for i in 0..n {
            let spec = ProcessSpec::new(update).arg(i.to_string()).dict(&d);
            children.push(processes.start(&main, spec).await?);
        }
        for child in &children {
            child.join(&main).await?;
        }
        let items = d.items(&main).await?; // dict(d)
        let shown: Vec<String> = items.iter().map(|(k, v)| format!("{k}: {v}")).collect();
        main.print(format!(
            "parent: the final dict is {{{}}}",
            shown.join(", ")
        ))
        .await;
        manager.shutdown(&main).await
    })
}

/// A child: updates its key `updates` times, each a round trip to the manager.
fn update(me: Child) -> Pin<Box<dyn Future<Output = Result<(), Aborted>>>> {
    Box::pin(async move {
        let updates = me.params().count("updates").max(1) as u64;
        let i: u64 = me.arg().parse().unwrap_or(0);
        for u in 0..updates {
            me.dict_set(i, value(i, updates, u)).await?; // d[i] = value
        }
        me.print(format!(
            "process {i} (pid {}): set d[{i}] = {} ({})",
            me.pid(),
            value(i, updates, updates - 1),
            conlab_core::count_of(updates as usize, "update", "updates")
        ))
        .await;
        Ok(())
    })
}

/// The code of the child processes a native run starts (the manager's too).
#[cfg(feature = "native")]
pub fn child(ctx: &conlab_processes::ProcessCtx) -> Result<(), conlab_traced_threads::Aborted> {
    conlab_threads::run_child(ctx, update)
}

/// Checks: the final dict the parent read from the manager has every key with the value its
/// process wrote last, and every update was answered.
pub fn checks(c: &mut Checks) {
    let n = c.params.usize("processes") as u64;
    let updates = c.params.count("updates").max(1) as u64;
    let t = c.trace;
    let dict: Option<BTreeMap<u64, u64>> = t
        .output
        .iter()
        .find_map(|l| l.text.strip_prefix("parent: the final dict is {"))
        .map(|rest| {
            rest.trim_end_matches('}')
                .split(", ")
                .filter_map(|kv| {
                    let (k, v) = kv.split_once(": ")?;
                    Some((k.parse().ok()?, v.parse().ok()?))
                })
                .collect()
        });
    let expected: BTreeMap<u64, u64> = (0..n)
        .map(|i| (i, value(i, updates, updates - 1)))
        .collect();
    let missing = dict.as_ref().map_or(n as usize, |d| {
        expected.iter().filter(|(k, v)| d.get(k) != Some(v)).count()
    });
    c.check(
        "every-key",
        "the final dict has every key with its value",
        dict.as_ref() == Some(&expected),
        match &dict {
            Some(d) => format!(
                "{} in the dict; {missing} missing or wrong",
                conlab_core::count_of(d.len(), "key", "keys")
            ),
            None => "the parent never read the dict".to_string(),
        },
    );
    // The children's updates: the parent's own reads of the dict are round trips too.
    let round_trips = t
        .spans
        .iter()
        .filter(|s| s.state == SpanState::InFlight)
        .filter(|s| {
            t.lanes
                .get(s.lane as usize)
                .is_some_and(|l| l.kind != LaneKind::Main)
        })
        .count() as u64;
    c.check(
        "every-update-answered",
        "every update is a round trip to the manager, and each was answered",
        round_trips == n * updates,
        format!(
            "{} updates answered",
            conlab_core::of(round_trips, n * updates)
        ),
    );
    let lines = super::child_lines(t, "process ");
    super::check_own_pids(c, &lines, n as usize);
}

/// About how long a run takes: the manager and the processes, and the round trips.
pub fn expected(p: &conlab_core::Params) -> std::time::Duration {
    let n = p.usize("processes");
    let updates = p.count("updates").max(1) as u32;
    // About 7 µs an update on this 2-core machine with 64 processes; room for a busy one.
    super::per_process(n + 1) + std::time::Duration::from_micros(25) * updates * n as u32
}

/// About how many events a native run records: a span on each side of every update, and a
/// few for each process.
pub fn trace_events(p: &conlab_core::Params) -> u64 {
    let n = p.usize("processes") as u64;
    n * p.count("updates").max(1) as u64 * 2 + 16 * n + 64
}

/// The most steps a run may take on the scheduler, which steps through every one.
const MOST_SCHEDULED_STEPS: u64 = 1_000_000;

/// Why a run with `p` is too large to step through on the scheduler, if it is: four steps an
/// update (the request put and taken, the answer put and taken) and a dozen a process.
pub fn too_large_to_schedule(p: &conlab_core::Params) -> Option<String> {
    let n = p.usize("processes") as u64;
    let updates = p.count("updates").max(1) as u64;
    let steps = n * (updates * 4 + 12) + 16;
    // The most updates that many processes may make here.
    let most = (MOST_SCHEDULED_STEPS.saturating_sub(16) / n.max(1)).saturating_sub(12) / 4;
    (steps > MOST_SCHEDULED_STEPS).then(|| {
        format!(
            "with processes={n} and updates={updates}, process-shared-dict would take about {} \
             steps on the scheduler, more than the {} it steps through; with {n} processes \
             choose at most updates={most}, or fewer processes",
            conlab_core::thousands(steps),
            conlab_core::thousands(MOST_SCHEDULED_STEPS)
        )
    })
}

/// What a search tries to break: nothing (every update is a round trip the manager answers
/// alone, in every interleaving).
pub fn properties(_: &Checks) -> Vec<(&'static str, Option<String>)> {
    Vec::new()
}

/// This file, which the playground shows beside the run.
pub const SOURCE: &str = "crates/process-scenarios/src/processes/process_shared_dict.rs";

/// A hash of this file, made when conlab is built: a schedule found on other code is refused.
pub const CODE: u64 = conlab_sched::code_hash(include_bytes!("process_shared_dict.rs"));
