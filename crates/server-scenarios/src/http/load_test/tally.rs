//! What the load tester counts as requests complete: latencies in HdrHistograms (the whole
//! run, and the current second for the live p99 and the per-second series), outcomes, errors
//! by kind and bytes.

use conlab_core::{Chart, ChartKind, LatencySummary, Nanos};
use hdrhistogram::Histogram;
use std::collections::BTreeMap;

/// How long the series is kept in tenths of a second, in seconds (the load test's
/// `FINE_SERIES`).
pub const FINE_SECONDS: f64 = 5.0;

/// Longest latency told apart (an hour, in nanoseconds); longer ones count as this.
const LONGEST: u64 = 3_600_000_000_000;

fn histogram() -> Histogram<u64> {
    // 3 significant figures: a latency is told to 0.1 %.
    Histogram::new_with_bounds(1, LONGEST, 3).expect("valid histogram bounds")
}

/// One interval of the run (a tenth of a second, later a second), as the series shows it.
#[derive(Debug, Clone, Copy)]
pub struct Second {
    /// When it ended, seconds after the first request.
    pub at_s: f64,
    /// Responses per second over it.
    pub per_s: f64,
    /// Its 99th percentile latency, in milliseconds (0 without responses).
    pub p99_ms: f64,
}

/// The counts of a run so far.
pub struct Tally {
    /// Latency from the intended send time (the send time when there is no rate).
    pub latency: Histogram<u64>,
    /// Latency from the actual send time (what a naive tester reports).
    pub service: Histogram<u64>,
    second: Histogram<u64>,
    second_done: u64,
    /// The same over the current whole second: the chart of a run longer than its fine
    /// start is drawn in whole seconds from its first second on, one bucket size throughout.
    whole: Histogram<u64>,
    whole_done: u64,
    /// One point per whole second.
    whole_seconds: Vec<Second>,
    /// Whether the last tick ended a whole second.
    whole_ended: bool,
    /// Requests started.
    pub sent: u64,
    /// Requests answered with a 2xx.
    pub ok: u64,
    /// Requests that failed, any way.
    pub failed: u64,
    /// Failures by kind.
    pub errors: BTreeMap<String, u64>,
    /// Request bytes written.
    pub bytes_sent: u64,
    /// Response bytes read (heads and bodies).
    pub bytes_received: u64,
    /// Connections opened.
    pub connections: u64,
    /// The per-second series so far.
    pub seconds: Vec<Second>,
    last_tick: Nanos,
}

impl Tally {
    /// Nothing counted yet; the first second starts at `start`.
    pub fn new(start: Nanos) -> Tally {
        Tally {
            latency: histogram(),
            service: histogram(),
            second: histogram(),
            second_done: 0,
            whole: histogram(),
            whole_done: 0,
            whole_seconds: Vec::new(),
            whole_ended: false,
            sent: 0,
            ok: 0,
            failed: 0,
            errors: BTreeMap::new(),
            bytes_sent: 0,
            bytes_received: 0,
            connections: 0,
            seconds: Vec::new(),
            last_tick: start,
        }
    }

    /// A response arrived: `latency` from the intended send, `service` from the actual send.
    pub fn answered(&mut self, latency: Nanos, service: Nanos) {
        self.latency.saturating_record(latency.max(1));
        self.service.saturating_record(service.max(1));
        self.second.saturating_record(latency.max(1));
        self.whole.saturating_record(latency.max(1));
    }

    /// A request succeeded.
    pub fn succeeded(&mut self) {
        self.ok += 1;
        self.second_done += 1;
        self.whole_done += 1;
    }

    /// A request failed, for this reason.
    pub fn failed(&mut self, kind: String) {
        self.failed += 1;
        self.second_done += 1;
        self.whole_done += 1;
        *self.errors.entry(kind).or_default() += 1;
    }

    /// Closes the current interval at `now` (`start` is the first request's time).
    pub fn tick(&mut self, now: Nanos, start: Nanos) {
        let length = now.saturating_sub(self.last_tick);
        if length == 0 {
            return;
        }
        let p99 = if self.second.is_empty() {
            0.0
        } else {
            self.second.value_at_quantile(0.99) as f64 / 1e6
        };
        self.seconds.push(Second {
            at_s: now.saturating_sub(start) as f64 / 1e9,
            per_s: self.second_done as f64 / (length as f64 / 1e9),
            p99_ms: p99,
        });
        self.second.reset();
        self.second_done = 0;
        // A whole second ended: its point, over the whole second.
        let whole = |t: Nanos| t.saturating_sub(start) / 1_000_000_000;
        self.whole_ended = whole(now) > whole(self.last_tick);
        if self.whole_ended {
            let from = start + whole(self.last_tick) * 1_000_000_000;
            let length = now.saturating_sub(from).max(1);
            self.whole_seconds.push(Second {
                at_s: now.saturating_sub(start) as f64 / 1e9,
                per_s: self.whole_done as f64 / (length as f64 / 1e9),
                p99_ms: if self.whole.is_empty() {
                    0.0
                } else {
                    self.whole.value_at_quantile(0.99) as f64 / 1e6
                },
            });
            self.whole.reset();
            self.whole_done = 0;
        }
        self.last_tick = now;
    }

    /// Places the points the last [`Tally::tick`] made at `at` after the start (the planned
    /// end of their interval) instead of when the tick ran.
    pub fn place_last(&mut self, at: Nanos) {
        let at_s = at as f64 / 1e9;
        if let Some(last) = self.seconds.last_mut() {
            last.at_s = at_s;
        }
        if self.whole_ended {
            if let Some(last) = self.whole_seconds.last_mut() {
                last.at_s = at_s.round();
            }
        }
    }

    /// The latency summary the trace carries, over `window` nanoseconds.
    pub fn summary(&self, window: Nanos) -> LatencySummary {
        let h = &self.latency;
        let at = |q: f64| {
            if h.is_empty() {
                0
            } else {
                h.value_at_quantile(q)
            }
        };
        LatencySummary {
            count: h.len(),
            min: if h.is_empty() { 0 } else { h.min() },
            mean: h.mean() as Nanos,
            p50: at(0.50),
            p90: at(0.90),
            p99: at(0.99),
            p999: at(0.999),
            max: if h.is_empty() { 0 } else { h.max() },
            // Answers per second: a refused connection is no answer.
            throughput_per_s: h.len() as f64 / (window.max(1) as f64 / 1e9),
            measured: true,
        }
    }

    /// The latency histogram as bars: buckets with 1-2-5 edges (0.1, 0.2, 0.5, 1, 2, 5 ms …)
    /// from the fastest response to the slowest, each bar the count below its upper edge.
    pub fn histogram_chart(&self) -> Chart {
        let mut points = Vec::new();
        if !self.latency.is_empty() {
            let (min, max) = (self.latency.min(), self.latency.max());
            let mut below = 0u64;
            for edge in nice_edges().skip_while(|e| *e <= min) {
                let count = self.latency.count_between(0, edge - 1);
                points.push([edge as f64 / 1e6, (count - below) as f64]);
                below = count;
                if edge > max {
                    break;
                }
            }
        }
        Chart {
            key: "latency_histogram".into(),
            title: "latency histogram".into(),
            kind: ChartKind::Bars,
            x_unit: "ms".into(),
            y_unit: "requests".into(),
            points,
        }
    }

    /// The per-second series: responses per second, and p99 per second.
    pub fn series_charts(&self) -> [Chart; 2] {
        // One bucket size per chart: tenths of a second for a run within its fine start,
        // whole seconds for a longer one.
        let fine = self.seconds.iter().all(|s| s.at_s <= FINE_SECONDS + 1e-9);
        let points = if fine || self.whole_seconds.is_empty() {
            &self.seconds
        } else {
            &self.whole_seconds
        };
        let line = |key: &str, title: &str, y_unit: &str, y: fn(&Second) -> f64| Chart {
            key: key.into(),
            title: title.into(),
            kind: ChartKind::Line,
            x_unit: "s".into(),
            y_unit: y_unit.into(),
            points: points.iter().map(|s| [s.at_s, y(s)]).collect(),
        };
        [
            line(
                "requests_per_second",
                "responses per second",
                "req/s",
                |s| s.per_s,
            ),
            line("p99_per_second", "p99 latency per second", "ms", |s| {
                s.p99_ms
            }),
        ]
    }
}

/// 1, 2, 5, 10, 20, 50 … nanoseconds, to past the longest latency told apart.
fn nice_edges() -> impl Iterator<Item = u64> {
    (0..13u32).flat_map(|power| [1, 2, 5].map(|m| m * 10u64.pow(power)))
}
