//! process-info: a process has a name, a PID and a daemon flag, and the parent joins it. Each
//! child says who it is; the parent says what it started and when each one was joined.

use conlab_core::Checks;
use conlab_threads::{Aborted, Child, ProcessSpec, Processes, Thread};
use std::future::Future;
use std::pin::Pin;

/// Every second child is a daemon.
fn is_daemon(i: usize) -> bool {
    i % 2 == 1
}

/// Runs the parent: starts the children, reports each, joins each.
pub fn run(main: Thread) -> Pin<Box<dyn Future<Output = Result<(), Aborted>>>> {
    Box::pin(async move {
        let n = main.params().usize("processes");
        let work = main.params().scale_ms(50);
        let processes = Processes::new(&main);
        let mut children = Vec::with_capacity(n);
        for i in 0..n {
            let spec = ProcessSpec::new(worker)
                .name(format!("worker-{}", i + 1))
                .daemon(is_daemon(i))
                .arg(format!("{} {}", is_daemon(i), work.as_micros()));
            let child = processes.start(&main, spec).await?;
            main.print(format!(
                "parent: started worker-{} with pid {}, daemon={}",
                i + 1,
                child.pid(),
                is_daemon(i)
            ))
            .await;
            children.push(child);
        }
        for (i, child) in children.iter().enumerate() {
            let exit = child.join(&main).await?;
            main.print(format!("parent: joined worker-{}, which {exit}", i + 1))
                .await;
        }
        Ok(())
    })
}

/// A child: says its name, PID and daemon flag, works a little, and ends.
fn worker(me: Child) -> Pin<Box<dyn Future<Output = Result<(), Aborted>>>> {
    Box::pin(async move {
        let mut parts = me.arg().split(' ');
        let daemon = parts.next() == Some("true");
        let micros: u64 = parts.next().and_then(|w| w.parse().ok()).unwrap_or(0);
        me.print(format!(
            "child: name={} pid {} daemon={daemon}",
            me.name(),
            me.pid()
        ))
        .await;
        me.sleep(std::time::Duration::from_micros(micros)).await
    })
}

/// The code of the child processes a native run starts.
#[cfg(feature = "native")]
pub fn child(ctx: &conlab_processes::ProcessCtx) -> Result<(), conlab_traced_threads::Aborted> {
    conlab_threads::run_child(ctx, worker)
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
        Some((pid, line.text.to_ascii_lowercase().ends_with("daemon=true")))
    };
    let mut mismatches = Vec::new();
    for line in &lines {
        let name = line
            .text
            .split("name=")
            .nth(1)
            .and_then(|r| r.split(' ').next())
            .unwrap_or("");
        let daemon = line.text.to_ascii_lowercase().ends_with("daemon=true");
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
            format!("{} joined", conlab_core::of(joined as u64, n as u64))
        } else {
            format!("joined before it exited: {}", early.join(", "))
        },
    );
}

/// About how long a run takes.
pub fn expected(p: &conlab_core::Params) -> std::time::Duration {
    super::per_process(p.usize("processes")) + p.scale_ms(50)
}

/// What a search tries to break: nothing (names, PIDs and joins hold in every interleaving;
/// the checks read output, which a search does not keep).
pub fn properties(_: &Checks) -> Vec<(&'static str, Option<String>)> {
    Vec::new()
}

/// This file, which the playground shows beside the run.
pub const SOURCE: &str = "crates/process-scenarios/src/processes/process_info.rs";

/// A hash of this file, made when conlab is built: a schedule found on other code is refused.
pub const CODE: u64 = conlab_sched::code_hash(include_bytes!("process_info.rs"));
