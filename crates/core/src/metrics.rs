//! Figures computed from a recording: makespan, busy time per lane, sequential sum, speedup,
//! peak concurrency and request latency.

use crate::trace::{LaneBusy, LatencySummary, Metrics, Nanos, Span, SpanState};

/// Computes the standard metrics of a recording that ended at `end`.
///
/// `cores`: how many cores the run computed on, where it ran on real ones. Computation then
/// counts in the sequential sum at most that many lanes at once: sixteen threads computing on
/// two cores each take eight times as long as alone, and done one after the other they would
/// take the sixteen times alone, not the sixteen stretched times. `None` where computation is
/// simulated (the virtual runtime) or runs on one thread (the browser).
///
/// Works on one sorted list of busy intervals rather than a list per lane, so a trace with a
/// million lanes costs a few flat allocations, not a million small ones.
pub fn compute(spans: &[Span], end: Nanos, cores: Option<u32>) -> Metrics {
    let intervals = lane_unions(spans, SpanState::is_busy);
    let mut busy: Vec<LaneBusy> = Vec::new();
    for &(lane, a, b) in &intervals {
        match busy.last_mut() {
            Some(last) if last.lane == lane => last.busy += b - a,
            _ => busy.push(LaneBusy { lane, busy: b - a }),
        }
    }
    let edges = edges(&intervals);
    drop(intervals);
    let mut level = 0i64;
    let mut peak = 0i64;
    for (_, d) in edges {
        level += d as i64;
        peak = peak.max(level);
    }
    let sequential_sum = sequential(spans, busy.iter().map(|b| b.busy).sum(), cores);
    let speedup = if end > 0 {
        sequential_sum as f64 / end as f64
    } else {
        0.0
    };
    Metrics {
        makespan: end,
        busy,
        peak_concurrency: peak as u32,
        sequential_sum,
        speedup,
        latency: latency(spans),
        extra: Vec::new(),
    }
}

/// The intervals during which each lane was in a state `counts`, as (lane, start, end), sorted
/// by lane then start, each lane's overlapping spans (nested ones) joined.
fn lane_unions(spans: &[Span], counts: fn(SpanState) -> bool) -> Vec<(u32, Nanos, Nanos)> {
    let mut intervals: Vec<(u32, Nanos, Nanos)> = spans
        .iter()
        .filter(|s| counts(s.state) && s.end > s.start)
        .map(|s| (s.lane, s.start, s.end))
        .collect();
    crate::sort::sort_unstable(&mut intervals);
    // Union each lane's intervals in place; what is left no longer overlaps within a lane.
    let mut merged = 0usize;
    for i in 0..intervals.len() {
        let (lane, a, b) = intervals[i];
        if merged > 0 {
            let last = &mut intervals[merged - 1];
            if last.0 == lane && a <= last.2 {
                last.2 = last.2.max(b);
                continue;
            }
        }
        intervals[merged] = (lane, a, b);
        merged += 1;
    }
    intervals.truncate(merged);
    intervals
}

/// What everything would take one after the other: the busy time, with computation counted at
/// most `cores` lanes at once.
#[cfg(not(target_arch = "wasm32"))]
fn sequential(spans: &[Span], busy: Nanos, cores: Option<u32>) -> Nanos {
    let Some(cores) = cores else {
        return busy;
    };
    // A lane's computing time is part of its busy time: take it out at wall-clock length and
    // put it back at what the cores could have done.
    let computing = lane_unions(spans, |s| s == SpanState::Computing);
    let wall: Nanos = computing.iter().map(|&(_, a, b)| b - a).sum();
    busy - wall + at_most(&computing, cores)
}

/// The page computes metrics only for its own runs, whose computation shares its one thread
/// (`cores` is `None` there): the cap stays out of its download.
#[cfg(target_arch = "wasm32")]
fn sequential(_: &[Span], busy: Nanos, _: Option<u32>) -> Nanos {
    busy
}

/// Where `intervals` begin (+1) and end (-1), in time order for a sweep. Ends sort before
/// starts at the same instant, so back-to-back intervals do not count as overlapping.
fn edges(intervals: &[(u32, Nanos, Nanos)]) -> Vec<(Nanos, i8)> {
    let mut edges: Vec<(Nanos, i8)> = Vec::with_capacity(intervals.len() * 2);
    for &(_, a, b) in intervals {
        edges.push((a, 1));
        edges.push((b, -1));
    }
    crate::sort::sort_unstable(&mut edges);
    edges
}

/// The time covered by `intervals` (each lane's own, not overlapping within a lane) with at
/// most `cores` of them counted at any instant.
#[cfg(not(target_arch = "wasm32"))]
fn at_most(intervals: &[(u32, Nanos, Nanos)], cores: u32) -> Nanos {
    let (mut total, mut level, mut since) = (0, 0i64, 0);
    for (t, d) in edges(intervals) {
        total += (t - since) * level.clamp(0, i64::from(cores)) as Nanos;
        level += i64::from(d);
        since = t;
    }
    total
}

/// The most intervals open at one instant. Back-to-back intervals (one ends where the next
/// starts) do not overlap.
pub fn peak_overlap(intervals: &[(Nanos, Nanos)]) -> usize {
    let mut edges: Vec<(Nanos, i8)> = Vec::with_capacity(intervals.len() * 2);
    for &(a, b) in intervals.iter().filter(|(a, b)| b > a) {
        edges.push((a, 1));
        edges.push((b, -1));
    }
    crate::sort::sort_unstable(&mut edges);
    let (mut level, mut peak) = (0i64, 0i64);
    for (_, d) in edges {
        level += d as i64;
        peak = peak.max(level);
    }
    peak as usize
}

/// Latency over the outermost `in_flight` spans (requests, commands, queries), if any.
fn latency(spans: &[Span]) -> Option<LatencySummary> {
    let requests: Vec<&Span> = spans
        .iter()
        .filter(|s| s.state == SpanState::InFlight && s.depth == 0 && !s.open)
        .collect();
    let first = requests.iter().map(|s| s.start).min()?;
    let last = requests.iter().map(|s| s.end).max()?;
    let samples: Vec<Nanos> = requests.iter().map(|s| s.duration()).collect();
    Some(summarize(&samples, last.saturating_sub(first)))
}

/// Summarizes latency samples measured over a window of `window` nanoseconds.
/// Percentiles are nearest-rank.
pub fn summarize(samples: &[Nanos], window: Nanos) -> LatencySummary {
    let mut sorted = samples.to_vec();
    crate::sort::sort_unstable(&mut sorted);
    let count = sorted.len() as u64;
    let rank = |p: f64| -> Nanos {
        if sorted.is_empty() {
            return 0;
        }
        let idx = ((p / 100.0) * count as f64).ceil() as usize;
        sorted[idx.clamp(1, sorted.len()) - 1]
    };
    let sum: u128 = sorted.iter().map(|v| *v as u128).sum();
    LatencySummary {
        count,
        min: sorted.first().copied().unwrap_or(0),
        mean: if count > 0 {
            (sum / count as u128) as Nanos
        } else {
            0
        },
        p50: rank(50.0),
        p90: rank(90.0),
        p99: rank(99.0),
        p999: rank(99.9),
        measured: false,
        max: sorted.last().copied().unwrap_or(0),
        throughput_per_s: if window > 0 {
            count as f64 / (window as f64 / 1e9)
        } else {
            0.0
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn span(lane: u32, state: SpanState, start: Nanos, end: Nanos) -> Span {
        Span {
            lane,
            state,
            start,
            end,
            depth: 0,
            label: String::new(),
            open: false,
            order: (0, 0),
            site: None,
        }
    }

    #[test]
    fn busy_peak_and_speedup() {
        let spans = vec![
            span(0, SpanState::Sleeping, 0, 100),
            span(0, SpanState::Running, 50, 150), // overlaps: counted once
            span(1, SpanState::Sleeping, 0, 100),
            span(2, SpanState::WaitingJoin, 0, 100), // waiting: not busy
            span(2, SpanState::Computing, 150, 200), // starts after lane 1 ended
        ];
        let m = compute(&spans, 200, None);
        assert_eq!(m.makespan, 200);
        assert_eq!(m.sequential_sum, 150 + 100 + 50);
        assert_eq!(m.peak_concurrency, 2);
        assert!((m.speedup - 1.5).abs() < 1e-9);
        assert!(m.latency.is_none());
    }

    #[test]
    fn computation_counts_at_most_the_cores_at_once_in_the_sequential_sum() {
        // Four threads computing side by side on two cores, and one waiting on IO meanwhile.
        let mut spans: Vec<Span> = (0..4)
            .map(|lane| span(lane, SpanState::Computing, 0, 400))
            .collect();
        spans.push(span(4, SpanState::BlockedIo, 0, 400));
        // A fifth computes alone afterwards: the cores are not all taken then.
        spans.push(span(5, SpanState::Computing, 400, 500));
        let on_two = compute(&spans, 500, Some(2));
        assert_eq!(on_two.sequential_sum, 2 * 400 + 400 + 100);
        assert!((on_two.speedup - 2.6).abs() < 1e-9, "{}", on_two.speedup);
        // Simulated computation is not held to any number of cores.
        let simulated = compute(&spans, 500, None);
        assert_eq!(simulated.sequential_sum, 4 * 400 + 400 + 100);
        // Busy time per lane and peak concurrency stay what the lanes did.
        assert_eq!(on_two.busy, simulated.busy);
        assert_eq!(on_two.peak_concurrency, 5);
    }

    #[test]
    fn latency_percentiles_nearest_rank() {
        let samples: Vec<Nanos> = (1..=100).collect();
        let s = summarize(&samples, 1_000_000_000);
        assert_eq!(
            (s.min, s.p50, s.p90, s.p99, s.max, s.mean),
            (1, 50, 90, 99, 100, 50)
        );
        assert_eq!(s.throughput_per_s, 100.0);
        let empty = summarize(&[], 0);
        assert_eq!(empty.count, 0);
    }
}
