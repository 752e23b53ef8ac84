//! How long a run takes, estimated from its parameters before it starts. Every scenario says
//! so (`expected(&Params) -> Duration`: its sleeps, blocking and waits as its code does them,
//! plus a generous cost per thread, task or server round trip). A front end uses the estimate
//! to give a long run a time limit long enough for it, and to refuse up front a run that could
//! not end within the limit asked for, instead of letting it time out.
//!
//! The test suites hold every estimate to the runs they make: a run never takes longer than
//! the limit [`limit_for`] gives its estimate.

use crate::params::Params;
use std::time::Duration;

/// A scenario's estimate of how long a run with these parameters takes on an idle machine.
pub type ExpectedFn = fn(&Params) -> Duration;

/// The time limit of a run whose estimate fits in it.
pub const DEFAULT_LIMIT: Duration = Duration::from_secs(60);

/// The longest time limit a run can have (the CLI's `--timeout` range ends here too).
pub const MAX_LIMIT: Duration = Duration::from_secs(3600);

/// Starting and joining one OS thread, traced, on a busy 2-core machine.
pub const PER_THREAD: Duration = Duration::from_micros(200);

/// Spawning, running and recording one task, and building its lane into the trace.
pub const PER_TASK: Duration = Duration::from_micros(5);

/// One traced command to a server on loopback, answered at once.
pub const ROUND_TRIP: Duration = Duration::from_micros(150);

/// What one sleep on tokio's timer may take beyond its length: the wheel ticks once a
/// millisecond, and a busy machine adds to that. Counted once per sleep of a chain of them.
pub const TIMER_TICK: Duration = Duration::from_millis(2);

/// `n` sleeps of `each`, one after the other, each up to a [`TIMER_TICK`] late (a zero sleep
/// only yields).
pub fn sleeps(n: usize, each: Duration) -> Duration {
    if each.is_zero() {
        times(n, PER_TASK)
    } else {
        times(n, each + TIMER_TICK)
    }
}

/// `n` times `each`, saturating.
pub fn times(n: usize, each: Duration) -> Duration {
    each.saturating_mul(u32::try_from(n).unwrap_or(u32::MAX))
}

/// `n` pieces of work `each` long, `width` at a time: how long the waves take.
pub fn waves(n: usize, width: usize, each: Duration) -> Duration {
    times(n.div_ceil(width.max(1)), each)
}

/// The limit a run with this estimate gets when none is asked for: the default, or the
/// estimate with room to spare for a busy machine.
pub fn default_limit(expected: Duration) -> Duration {
    DEFAULT_LIMIT.max(expected.saturating_mul(3) / 2 + Duration::from_secs(10))
}

/// Why a run was refused before it started: its estimate does not fit its limit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TooLong {
    /// About how long it would take.
    pub expected: Duration,
    /// The limit it would have had.
    pub limit: Duration,
    /// Whether that limit was asked for (otherwise it is the longest a run may have).
    pub asked: bool,
}

impl std::fmt::Display for TooLong {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let expected = human(self.expected);
        let limit = human(self.limit);
        if self.asked {
            write!(
                f,
                "with these parameters the run takes about {expected}, longer than its time \
                 limit of {limit}; raise --timeout (at most {}) or choose smaller values",
                human(MAX_LIMIT)
            )
        } else {
            write!(
                f,
                "with these parameters the run takes about {expected}, longer than the longest \
                 run conlab allows ({limit}); choose smaller values"
            )
        }
    }
}

/// The time limit for a run with estimate `expected`: `asked` if given and long enough, or
/// [`default_limit`] if that is within [`MAX_LIMIT`].
pub fn limit_for(expected: Duration, asked: Option<Duration>) -> Result<Duration, TooLong> {
    match asked {
        Some(limit) if expected > limit => Err(TooLong {
            expected,
            limit,
            // Asking for the longest limit there is leaves nothing to raise.
            asked: limit < MAX_LIMIT,
        }),
        Some(limit) => Ok(limit),
        None if expected > MAX_LIMIT => Err(TooLong {
            expected,
            limit: MAX_LIMIT,
            asked: false,
        }),
        None => Ok(default_limit(expected).min(MAX_LIMIT)),
    }
}

/// A duration as a person reads it: `850 ms`, `42 s`, `2 min 5 s`, `1 h`, `6 d 22 h`.
pub fn human(d: Duration) -> String {
    let s = d.as_secs();
    let two = |big: u64, big_unit: &str, small: u64, small_unit: &str| {
        if small == 0 {
            format!("{big} {big_unit}")
        } else {
            format!("{big} {big_unit} {small} {small_unit}")
        }
    };
    match s {
        0 => format!("{} ms", d.as_millis()),
        // Tenths below 10 s, so that 1.5 s and 1.4 s do not both read "1 s".
        1..=9 => format!("{:.1} s", d.as_secs_f64()),
        10..=119 => format!("{s} s"),
        120..=3599 => two(s / 60, "min", s % 60, "s"),
        3600..=172_799 => two(s / 3600, "h", s % 3600 / 60, "min"),
        _ => two(s / 86_400, "d", s % 86_400 / 3600, "h"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const fn secs(s: u64) -> Duration {
        Duration::from_secs(s)
    }

    #[test]
    fn a_short_run_keeps_the_default_limit_and_a_long_one_gets_room() {
        assert_eq!(limit_for(secs(1), None), Ok(DEFAULT_LIMIT));
        assert_eq!(limit_for(secs(100), None), Ok(secs(160)));
        assert_eq!(limit_for(secs(2000), None), Ok(secs(3010)));
        assert_eq!(limit_for(secs(3000), None), Ok(MAX_LIMIT));
    }

    #[test]
    fn a_run_longer_than_its_limit_is_refused_with_both_figures() {
        let e = limit_for(secs(120), Some(secs(30))).unwrap_err();
        assert_eq!(
            e.to_string(),
            "with these parameters the run takes about 2 min, longer than its time limit of \
             30 s; raise --timeout (at most 1 h) or choose smaller values"
        );
        assert_eq!(limit_for(secs(20), Some(secs(30))), Ok(secs(30)));
        let e = limit_for(secs(600_000), None).unwrap_err();
        assert!(e.to_string().contains("about 6 d 22 h"), "{e}");
        assert!(e.to_string().contains("(1 h)"), "{e}");
        assert_eq!(human(Duration::from_millis(850)), "850 ms");
        assert_eq!(human(secs(125)), "2 min 5 s");
        assert_eq!(human(secs(12_000)), "3 h 20 min");
    }

    #[test]
    fn waves_round_up() {
        assert_eq!(waves(10, 4, secs(1)), secs(3));
        assert_eq!(waves(10, 0, secs(1)), secs(10));
        assert_eq!(times(usize::MAX, secs(1)), secs(u64::from(u32::MAX)));
    }
}
