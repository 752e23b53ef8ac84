//! process-isolation: a global list that each child appends to stays private to that child
//! (each process has its own memory, so each sees one element), while threads appending to
//! the same global in one process all share it.

use conlab_core::{Checks, LaneKind};
use conlab_processes::{ProcessCtx, Processes, Spawn};
use conlab_traced_threads::{Aborted, ThreadCtx};
use std::sync::{Arc, Mutex};

/// The global list of a child process (a worker runs one child, so a static is its global).
static NUMBERS: Mutex<Vec<usize>> = Mutex::new(Vec::new());

/// Appends `i` to `numbers`; what the list holds then.
fn append(numbers: &Mutex<Vec<usize>>, i: usize) -> Vec<usize> {
    let mut numbers = numbers.lock().unwrap_or_else(|p| p.into_inner());
    numbers.push(i);
    numbers.clone()
}

fn len(numbers: &Mutex<Vec<usize>>) -> usize {
    numbers.lock().unwrap_or_else(|p| p.into_inner()).len()
}

fn show(numbers: &[usize]) -> String {
    let items: Vec<String> = numbers.iter().map(usize::to_string).collect();
    format!("[{}]", items.join(", "))
}

/// Runs the parent: n processes append to their own list, then n threads to the parent's.
pub fn run(main: &ThreadCtx) -> Result<(), Aborted> {
    let n = main.params().usize("processes");
    // The parent's global list. conlab may run many scenarios in one process (a suite, a
    // test), so the parent's copy belongs to the run rather than to a static; what matters
    // is unchanged: every thread of the parent sees this one list, no child can reach it.
    let numbers: Arc<Mutex<Vec<usize>>> = Arc::default();
    main.phase_start("processes");
    {
        let processes = Processes::new(main);
        let mut children = Vec::with_capacity(n);
        for i in 0..n {
            children.push(processes.spawn(main, Spawn::new("worker").arg(i.to_string()))?);
        }
        for child in &children {
            child.join(main)?;
        }
    }
    main.phase_end("processes");
    main.print(format!(
        "parent after the processes: the list has {}",
        conlab_core::count_of(len(&numbers), "item", "items")
    ));
    main.phase_start("threads");
    let mut threads = Vec::with_capacity(n);
    for i in 0..n {
        let numbers = numbers.clone();
        threads.push(main.spawn(format!("Thread-{}", i + 1), move |me| {
            let seen = append(&numbers, i);
            me.print(format!("thread {i}: the list is {}", show(&seen)));
            Ok(())
        })?);
    }
    for t in &threads {
        t.join(main)?;
    }
    main.phase_end("threads");
    main.print(format!(
        "parent after the threads: the list has {}",
        conlab_core::count_of(len(&numbers), "item", "items")
    ));
    Ok(())
}

/// A child: appends its argument to its own copy of the global list.
pub fn child(ctx: &ProcessCtx) -> Result<(), Aborted> {
    let i: usize = ctx.arg().parse().unwrap_or(0);
    let seen = append(&NUMBERS, i);
    ctx.print(format!(
        "process {i} (pid {}): the list is {} (length {})",
        ctx.pid(),
        show(&seen),
        seen.len()
    ));
    Ok(())
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
