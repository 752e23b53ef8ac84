//! The scenarios of chapter 2, one per file.

pub mod process_info;
pub mod process_isolation;
pub mod process_lock;
pub mod process_pool;
pub mod process_queue;
pub mod process_shared_dict;
pub mod process_start;

use conlab_core::{Checks, LaneId, LaneKind, Trace};
use std::time::Duration;

/// A line printed by a child process.
pub(crate) struct ChildLine<'a> {
    /// The child's lane.
    pub lane: LaneId,
    /// The PID in the lane's name (`Process-3 (pid 4242)`).
    pub lane_pid: Option<u64>,
    /// The line.
    pub text: &'a str,
    /// When it was printed.
    pub t: conlab_core::Nanos,
}

impl ChildLine<'_> {
    /// The `i`-th number in the line.
    pub fn number(&self, i: usize) -> Option<u64> {
        numbers(self.text).nth(i)
    }

    /// The number after `word ` in the line (`pid 4242`).
    pub fn after(&self, word: &str) -> Option<u64> {
        let rest = self.text.split(word).nth(1)?;
        numbers(rest).next()
    }
}

fn numbers(text: &str) -> impl Iterator<Item = u64> + '_ {
    text.split(|c: char| !c.is_ascii_digit())
        .filter(|w| !w.is_empty())
        .filter_map(|w| w.parse().ok())
}

/// The PID in a process lane's name.
pub(crate) fn lane_pid(trace: &Trace, lane: LaneId) -> Option<u64> {
    let l = trace.lanes.get(lane as usize)?;
    if l.kind != LaneKind::Process {
        return None;
    }
    let rest = l.name.rsplit("(pid ").next()?;
    rest.trim_end_matches(')').parse().ok()
}

/// Lines printed on process lanes that start with `prefix`.
pub(crate) fn child_lines<'a>(trace: &'a Trace, prefix: &str) -> Vec<ChildLine<'a>> {
    trace
        .output
        .iter()
        .filter(|l| l.text.starts_with(prefix))
        .filter(|l| {
            trace
                .lanes
                .get(l.lane as usize)
                .is_some_and(|lane| lane.kind == LaneKind::Process)
        })
        .map(|l| ChildLine {
            lane: l.lane,
            lane_pid: lane_pid(trace, l.lane),
            text: &l.text,
            t: l.t,
        })
        .collect()
}

/// Checks that `lines` came from `n` different processes, each naming its own PID.
pub(crate) fn check_own_pids(c: &mut Checks, lines: &[ChildLine<'_>], n: usize) {
    let mut lanes: Vec<LaneId> = lines.iter().map(|l| l.lane).collect();
    conlab_core::sort::sort_unstable(&mut lanes);
    lanes.dedup();
    let wrong: Vec<&str> = lines
        .iter()
        .filter(|l| l.lane_pid.is_none() || l.after("pid ") != l.lane_pid)
        .map(|l| l.text)
        .collect();
    c.check(
        "own-pids",
        "each line comes from a different process, which names its own PID",
        lanes.len() == n && lines.len() == n && wrong.is_empty(),
        if wrong.is_empty() {
            format!(
                "{} from {}",
                conlab_core::count_of(lines.len(), "line", "lines"),
                conlab_core::count_of(lanes.len(), "process", "processes")
            )
        } else {
            format!("a PID that is not the lane's: {}", wrong.join("; "))
        },
    );
}

/// About how long starting `n` processes one after the other and reaping them takes on a
/// busy 2-core machine.
pub(crate) fn per_process(n: usize) -> Duration {
    Duration::from_millis(150) + Duration::from_millis(10) * n as u32
}
