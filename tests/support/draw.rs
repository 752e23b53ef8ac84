//! Drawing random valid parameters for a scenario from its catalog entry: each value inside
//! its documented range, edges drawn often, bounded by a [`Budget`] so every run stays short.

use conlab_core::catalog::ScenarioInfo;
use conlab_core::{ParamBound, ParamKind};

/// A small, seedable generator (SplitMix64): the seed printed on a failure replays it.
pub struct Rng(u64);

impl Rng {
    /// A generator that starts from `seed`.
    pub fn new(seed: u64) -> Rng {
        Rng(seed)
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A whole number in `lo..=hi`.
    pub fn between(&mut self, lo: i64, hi: i64) -> i64 {
        if hi <= lo {
            return lo;
        }
        lo + (self.next_u64() % ((hi - lo) as u64 + 1)) as i64
    }

    /// A number in `lo..=hi`: the low edge, the high edge, or spread evenly over the orders of
    /// magnitude between them (so small values are drawn as often as large ones).
    pub fn edge_or_spread(&mut self, lo: i64, hi: i64) -> i64 {
        match self.next_u64() % 10 {
            0 | 1 => lo,
            2 | 3 => hi,
            _ => {
                let (a, b) = ((lo.max(0) + 1) as f64, (hi.max(0) + 1) as f64);
                let unit = (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64;
                let v = (a.ln() + unit * (b.ln() - a.ln())).exp() - 1.0;
                (v.round() as i64).clamp(lo, hi)
            }
        }
    }
}

/// How large drawn values may be: a run's length grows with counts and durations, and a
/// property test must finish. Values above the budget are not drawn (they stay valid; the
/// larger budget of `just fuzz` reaches further).
#[derive(Debug, Clone, Copy)]
pub struct Budget {
    /// The largest count drawn.
    pub count: i64,
    /// The largest duration drawn, in milliseconds.
    pub millis: i64,
    /// The largest time-scale drawn.
    pub time_scale: f64,
    /// The longest native run started: a draw whose estimate is longer is not run.
    pub run: std::time::Duration,
}

impl Budget {
    /// What every change runs in CI: small values, short runs.
    pub const CI: Budget = Budget {
        count: 32,
        millis: 120,
        time_scale: 1.0,
        run: std::time::Duration::from_secs(5),
    };
    /// What `just fuzz` runs: values up to hundreds of threads and seconds of sleep.
    pub const FUZZ: Budget = Budget {
        count: 512,
        millis: 1500,
        time_scale: 4.0,
        run: std::time::Duration::from_secs(30),
    };
}

/// One random valid parameter set for `info` within `budget`, as `name=value` assignments.
pub fn draw(info: &ScenarioInfo, rng: &mut Rng, budget: Budget) -> Vec<String> {
    let mut out = Vec::new();
    for p in info.params {
        let value = match p.kind {
            ParamKind::Count { min, max, .. } => rng
                .edge_or_spread(min, max.min(budget.count.max(min)))
                .to_string(),
            ParamKind::Millis { min, max, .. } => rng
                .edge_or_spread(min as i64, (max as i64).min(budget.millis.max(min as i64)))
                .to_string(),
            ParamKind::List {
                min,
                max,
                max_len,
                millis,
                ..
            } => {
                let cap = if millis { budget.millis } else { budget.count };
                let len = rng.between(1, max_len as i64);
                (0..len)
                    .map(|_| rng.edge_or_spread(min, max.min(cap.max(min))).to_string())
                    .collect::<Vec<_>>()
                    .join(",")
            }
            ParamKind::Choice { options, .. } => {
                options[rng.between(0, options.len() as i64 - 1) as usize].to_string()
            }
            ParamKind::Flag { .. } => (rng.next_u64() % 2 == 0).to_string(),
            // The user's own server is theirs to test; drawn runs use conlab's.
            ParamKind::Url => String::new(),
        };
        out.push(format!("{}={value}", p.name));
    }
    // A value bounded by another one is drawn within that bound (a value beyond it is
    // refused up front, which a CLI test covers).
    for (i, p) in info.params.iter().enumerate() {
        let Some(ParamBound::ItemsOf(list)) = p.bound else {
            continue;
        };
        let items = out
            .iter()
            .find_map(|a| a.strip_prefix(&format!("{list}=")))
            .map_or(1, |v| v.split(',').count() as i64);
        let value: i64 = out[i]
            .split_once('=')
            .and_then(|(_, v)| v.parse().ok())
            .unwrap_or(0);
        out[i] = format!("{}={}", p.name, value.min(items));
    }
    // time-scale: 0.01 (the smallest, where timers' granularity shows) up to the budget.
    let scales = [0.01, 0.1, 0.5, 1.0, budget.time_scale];
    let scale = scales[rng.between(0, scales.len() as i64 - 1) as usize];
    out.push(format!("time-scale={scale}"));
    out
}
