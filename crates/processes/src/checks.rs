//! The check every process scenario ends with.

use conlab_core::{Checks, LaneKind};

/// Every child process's lane ended, with an `exit` mark, by the end of the trace: no child
/// outlived its run.
pub fn no_process_outlives(c: &mut Checks) {
    let t = c.trace;
    let alive: Vec<&str> = t
        .lanes
        .iter()
        .filter(|l| l.kind == LaneKind::Process)
        .filter(|l| {
            l.end.is_none_or(|e| e > t.end) || !t.marks_named("exit").any(|m| m.lane == l.id)
        })
        .map(|l| l.name.as_str())
        .collect();
    c.check(
        "no-process-outlives",
        "every child process exited and was reaped before the run ended",
        alive.is_empty(),
        if alive.is_empty() {
            String::new()
        } else {
            format!("not reaped: {}", alive.join(", "))
        },
    );
}
