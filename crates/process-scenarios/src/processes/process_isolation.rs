//! process-isolation: a global list that each child appends to stays private to that child
//! (each process has its own memory, so each sees one element), while threads appending to
//! the same global in one process all share it.

use conlab_core::{Checks, LaneKind};
use conlab_threads::{Aborted, Child, ProcessSpec, Processes, Shared, Thread};
use std::future::Future;
use std::pin::Pin;

fn show(numbers: &[usize]) -> String {
    let items: Vec<String> = numbers.iter().map(usize::to_string).collect();
    format!("[{}]", items.join(", "))
}

/// Runs the parent: n processes append to their own list, then n threads to the parent's.
pub fn run(main: Thread) -> Pin<Box<dyn Future<Output = Result<(), Aborted>>>> {
    Box::pin(async move {
        let n = main.params().usize("processes");
        // The parent's global list (`numbers = []`): every thread of the parent sees this one
        // list, no child can reach it. (conlab may run many scenarios in one process, so it
        // belongs to the run rather than to a static.)
        let numbers: Shared<Vec<usize>> = Shared::new(&main, "numbers", Vec::new());
        main.phase_start("processes");
        {
            let processes = Processes::new(&main);
            let mut children = Vec::with_capacity(n);
            for i in 0..n {
                let spec = ProcessSpec::new(append).arg(i.to_string());
                children.push(processes.start(&main, spec).await?);
            }
            for child in &children {
                child.join(&main).await?;
            }
        }
        main.phase_end("processes");
        let len = numbers.get(&main).await.len();
        main.print(format!(
            "parent after the processes: the list has {}",
            conlab_core::count_of(len, "item", "items")
        ))
        .await;
        main.phase_start("threads");
        let mut threads = Vec::with_capacity(n);
        for i in 0..n {
            let numbers = numbers.clone();
            let body = move |me: Thread| async move {
                let mut seen = Vec::new();
                numbers
                    .update(&me, |list| {
                        list.push(i); // numbers.append(i)
                        seen = list.clone();
                    })
                    .await;
                me.print(format!("thread {i}: the list is {}", show(&seen)))
                    .await;
                Ok(())
            };
            threads.push(main.spawn(format!("Thread-{}", i + 1), body).await?);
        }
        for t in &threads {
            t.join(&main).await?;
        }
        main.phase_end("threads");
        let len = numbers.get(&main).await.len();
        main.print(format!(
            "parent after the threads: the list has {}",
            conlab_core::count_of(len, "item", "items")
        ))
        .await;
        Ok(())
    })
}

/// A child: appends its argument to its own copy of the global list.
fn append(me: Child) -> Pin<Box<dyn Future<Output = Result<(), Aborted>>>> {
    Box::pin(async move {
        let i: usize = me.arg().parse().unwrap_or(0);
        let numbers = me.global("numbers", Vec::<usize>::new); // this process's `numbers`
        numbers.borrow_mut().push(i);
        let seen = numbers.borrow().clone();
        me.print(format!(
            "process {i} (pid {}): the list is {} (length {})",
            me.pid(),
            show(&seen),
            seen.len()
        ))
        .await;
        Ok(())
    })
}

/// The code of the child processes a native run starts.
#[cfg(feature = "native")]
pub fn child(ctx: &conlab_processes::ProcessCtx) -> Result<(), conlab_traced_threads::Aborted> {
    conlab_threads::run_child(ctx, append)
}

/// The number in the parent's line `prefix… has N items`.
fn parent_count(c: &Checks, prefix: &str) -> Option<u64> {
    let line = c.trace.output.iter().find(|l| l.text.starts_with(prefix))?;
    line.text
        .split(|ch: char| !ch.is_ascii_digit())
        .find(|w| !w.is_empty())?
        .parse()
        .ok()
}

/// Checks: every child saw a list of length 1; the parent's list was empty after the
/// processes and held n items after the threads, and the last thread saw all n.
pub fn checks(c: &mut Checks) {
    let n = c.params.usize("processes");
    let in_phase = |phase: Option<(conlab_core::Nanos, conlab_core::Nanos)>, t| {
        phase.is_some_and(|(a, b)| t >= a && t <= b)
    };
    let processes = c.phase("processes");
    let threads = c.phase("threads");
    let lines: Vec<_> = super::child_lines(c.trace, "process ")
        .into_iter()
        .filter(|l| in_phase(processes, l.t))
        .collect();
    let lengths: Vec<u64> = lines.iter().filter_map(|l| l.after("length ")).collect();
    c.check(
        "child-lists-private",
        "each child process sees a list of length 1",
        lengths.len() == n && lengths.iter().all(|l| *l == 1),
        format!(
            "{} reported; lengths seen: {}",
            conlab_core::count_of(lengths.len(), "child", "children"),
            lengths
                .iter()
                .map(u64::to_string)
                .collect::<Vec<_>>()
                .join(", ")
        ),
    );
    super::check_own_pids(c, &lines, n);
    let after_processes = parent_count(c, "parent after the processes");
    c.check(
        "parent-untouched",
        "the children's appends never reach the parent's list",
        after_processes == Some(0),
        format!(
            "the parent's list has {} after the processes",
            after_processes.map_or("no line".into(), |k| k.to_string())
        ),
    );
    let after_threads = parent_count(c, "parent after the threads");
    let longest = c
        .trace
        .output
        .iter()
        .filter(|l| {
            in_phase(threads, l.t)
                && c.trace
                    .lanes
                    .get(l.lane as usize)
                    .is_some_and(|lane| lane.kind == LaneKind::Thread)
        })
        .map(|l| l.text.matches(',').count() + 1)
        .max()
        .unwrap_or(0);
    c.check(
        "threads-share",
        "threads append to one shared list: it ends with n items",
        after_threads == Some(n as u64) && longest == n,
        format!(
            "the parent's list has {} after the threads; the longest list a thread saw had {longest}",
            after_threads.map_or("no line".into(), |k| k.to_string())
        ),
    );
}

/// About how long a run takes: the processes one after the other, then the threads.
pub fn expected(p: &conlab_core::Params) -> std::time::Duration {
    super::per_process(p.usize("processes")) + std::time::Duration::from_millis(100)
}

/// What a search tries to break: nothing (each process's list is its own in every
/// interleaving; the checks read output, which a search does not keep).
pub fn properties(_: &Checks) -> Vec<(&'static str, Option<String>)> {
    Vec::new()
}

/// This file, which the playground shows beside the run.
pub const SOURCE: &str = "crates/process-scenarios/src/processes/process_isolation.rs";

/// A hash of this file, made when conlab is built: a schedule found on other code is refused.
pub const CODE: u64 = conlab_sched::code_hash(include_bytes!("process_isolation.rs"));
