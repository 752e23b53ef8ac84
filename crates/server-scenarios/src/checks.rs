//! Checks shared by several real-world scenarios.

use conlab_core::{Nanos, Trace};

/// The `phase_done` marks of a run: (phase, operations that succeeded, nanoseconds taken).
pub(crate) fn phases(t: &Trace) -> Vec<(String, usize, Nanos)> {
    t.marks_named("phase_done")
        .filter_map(|m| {
            let mut p = m.detail.split(' ');
            Some((
                p.next()?.to_string(),
                p.next()?.parse().ok()?,
                p.next()?.parse().ok()?,
            ))
        })
        .collect()
}
