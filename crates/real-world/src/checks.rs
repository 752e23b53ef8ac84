//! Checks shared by several real-world scenarios.

use conlab_core::{Checks, Nanos, SpanState, Trace};
use std::time::Duration;

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

/// Several servers did the same work at once (each recorded as a `running` span labelled
/// `work`): together they took about as long as the slowest, clearly less than the sum.
pub(crate) fn servers_together(c: &mut Checks, servers: usize) {
    let work: Vec<(Nanos, Nanos)> = c
        .trace
        .spans
        .iter()
        .filter(|s| s.state == SpanState::Running && s.label == "work")
        .map(|s| (s.start, s.end))
        .collect();
    let first = work.iter().map(|w| w.0).min().unwrap_or(0);
    let last = work.iter().map(|w| w.1).max().unwrap_or(0);
    let slowest = work.iter().map(|w| w.1 - w.0).max().unwrap_or(0);
    let sum: Nanos = work.iter().map(|w| w.1 - w.0).sum();
    c.about(
        "slowest-not-sum",
        "together they take ~ the slowest server's time",
        last - first,
        Duration::from_nanos(slowest),
    );
    c.check(
        "less-than-sum",
        "clearly less than the sum when there are several servers",
        servers < 2 || ((last - first) as f64) < 0.8 * sum as f64,
        format!(
            "together {}, sum {}",
            conlab_core::ms(last - first),
            conlab_core::ms(sum)
        ),
    );
}
