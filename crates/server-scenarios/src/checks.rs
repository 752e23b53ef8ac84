//! Checks shared by several real-world scenarios.

use conlab_core::{Nanos, Trace};

/// The `phase_done` marks of a run: (phase, operations that succeeded, nanoseconds taken).
/// The phases as a person reads them: `sequential: 1000 in 31 ms; pipelined: …`.
pub(crate) fn phases_text(phases: &[(String, usize, Nanos)]) -> String {
    if phases.is_empty() {
        return "no phase finished".to_string();
    }
    phases
        .iter()
        .map(|(name, done, took)| {
            format!(
                "{name}: {} in {}",
                conlab_core::thousands(*done as u64),
                conlab_core::ms(*took)
            )
        })
        .collect::<Vec<_>>()
        .join("; ")
}

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
