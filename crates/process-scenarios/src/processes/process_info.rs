//! process-info: a process has a name, a PID and a daemon flag, and the parent joins it. Each
//! child says who it is; the parent says what it started and when each one was joined.

use conlab_core::Checks;
use conlab_processes::{ProcessCtx, Processes, Spawn};
use conlab_traced_threads::{Aborted, ThreadCtx};

/// Every second child is a daemon.
fn is_daemon(i: usize) -> bool {
    i % 2 == 1
}

/// Runs the parent: starts the children, reports each, joins each.
pub fn run(main: &ThreadCtx) -> Result<(), Aborted> {
    let n = main.params().usize("processes");
    let work = main.params().scale_ms(50);
    let processes = Processes::new(main);
    let mut children = Vec::with_capacity(n);
    for i in 0..n {
        let mut spawn = Spawn::new("worker")
            .name(format!("worker-{}", i + 1))
            .arg(format!("{} {}", is_daemon(i), work.as_micros()));
        if is_daemon(i) {
            spawn = spawn.daemon();
        }
        let child = processes.spawn(main, spawn)?;
        main.print(format!(
            "parent: started worker-{} with pid {}, daemon={}",
            i + 1,
            child.pid(),
            is_daemon(i)
        ));
        children.push(child);
    }
    for (i, child) in children.iter().enumerate() {
        let exit = child.join(main)?;
        main.print(format!("parent: joined worker-{}, which {exit}", i + 1));
    }
    Ok(())
}

/// A child: says its name, PID and daemon flag, works a little, and ends.
pub fn child(ctx: &ProcessCtx) -> Result<(), Aborted> {
    let mut parts = ctx.arg().split(' ');
    let daemon = parts.next() == Some("true");
    let micros: u64 = parts.next().and_then(|w| w.parse().ok()).unwrap_or(0);
    ctx.print(format!(
        "child: name={} pid {} daemon={daemon}",
        ctx.name(),
        ctx.pid()
    ));
    ctx.sleep(std::time::Duration::from_micros(micros))
}

/// Checks: names and PIDs the children report match what the parent started (and the lanes),
/// daemon flags agree, and each join returned only after its child exited.
pub fn checks(c: &mut Checks) {
    let n = c.params.usize("processes");
    let t = c.trace;
    let lines = super::child_lines(t, "child: ");
    let parent_said = |name: &str| -> Option<(u64, bool)> {
        let line = t
            .output
            .iter()
            .find(|l| l.text.starts_with(&format!("parent: started {name} ")))?;
        let pid = line
            .text
            .split("pid ")
            .nth(1)?
            .split(',')
            .next()?
            .parse()
            .ok()?;
        Some((pid, line.text.ends_with("daemon=true")))
    };
    let mut mismatches = Vec::new();
    for line in &lines {
        let name = line
            .text
            .split("name=")
            .nth(1)
            .and_then(|r| r.split(' ').next())
            .unwrap_or("");
        let daemon = line.text.ends_with("daemon=true");
        match parent_said(name) {
            Some((pid, flag))
                if Some(pid) == line.after("pid ")
                    && Some(pid) == line.lane_pid
                    && flag == daemon => {}
            _ => mismatches.push(line.text),
        }
    }
    c.check(
        "names-and-pids-match",
        "each child's name, PID and daemon flag match what the parent started",
        lines.len() == n && mismatches.is_empty(),
        if mismatches.is_empty() {
            format!(
                "{} reported",
                conlab_core::count_of(lines.len(), "child", "children")
            )
        } else {
            format!("not what the parent started: {}", mismatches.join("; "))
        },
    );
    let joined = t
        .output
        .iter()
        .filter(|l| l.text.starts_with("parent: joined "))
        .count();
    let early: Vec<&str> = t
        .lanes
        .iter()
        .filter(|l| l.kind == conlab_core::LaneKind::Process)
        .filter(|l| {
            let name = l.name.split(' ').next().unwrap_or("");
            let said = t
                .output
                .iter()
                .find(|o| o.text.starts_with(&format!("parent: joined {name},")));
            match (said, l.end) {
                (Some(o), Some(end)) => o.t < end,
                _ => true,
            }
        })
        .map(|l| l.name.as_str())
        .collect();
    c.check(
        "join-waits",
        "the parent joins each child only after it exited",
        joined == n && early.is_empty(),
        if early.is_empty() {
            format!("{joined} of {n} joined")
        } else {
            format!("joined before it exited: {}", early.join(", "))
        },
    );
}

/// About how long a run takes.
pub fn expected(p: &conlab_core::Params) -> std::time::Duration {
    super::per_process(p.usize("processes")) + p.scale_ms(50)
}
