//! The one rule every blocking wait of this toolkit follows: wait in slices of at most
//! [`SLICE`], and between slices give up with [`Aborted`] once the run is aborted.
//!
//! Why slices: a thread parked on a lock, a condition variable or a timer cannot be woken by
//! the watchdog, which does not know what the thread is parked on. Waking at least once a slice
//! to look bounds how long an aborted run (a deadlock, the time limit, daemons cut off at the
//! end) keeps any of its threads; 20 ms keeps that prompt for 50 wake-ups a second per blocked
//! thread.

use super::ctx::Aborted;
use super::watchdog::Watchdog;
use std::time::{Duration, Instant};

/// How long a blocked wait sleeps before checking whether the run was aborted.
pub const SLICE: Duration = Duration::from_millis(20);

/// Waits until `wait_at_most` reports that what it waits for happened, giving up with
/// [`Aborted`] once `watchdog` aborts the run.
///
/// `wait_at_most(d)` blocks for at most `d` (on a condition variable, a timed lock, a sleep)
/// and returns `Some` once it is done; it is called with [`SLICE`] each time, after checking
/// for an abort. A caller that can tell without waiting that it is done checks before calling
/// (and before recording a wait), so that an uncontended path records no wait and never reads
/// the abort flag.
#[inline]
pub fn wait_in_slices<R>(
    watchdog: &Watchdog,
    mut wait_at_most: impl FnMut(Duration) -> Option<R>,
) -> Result<R, Aborted> {
    loop {
        if watchdog.is_aborted() {
            return Err(Aborted);
        }
        if let Some(done) = wait_at_most(SLICE) {
            // Aborted meanwhile (another thread of a deadlock gave up and let go of what this
            // one waited for): give up too, and let it go again.
            if watchdog.is_aborted() {
                return Err(Aborted);
            }
            return Ok(done);
        }
    }
}

/// [`wait_in_slices`] that also stops once `deadline` has passed: `Ok(None)` then. The last
/// slice is cut short to end at the deadline, and `wait_at_most` gets one last look (with a
/// zero duration) when the deadline has already passed.
pub fn wait_in_slices_until<R>(
    watchdog: &Watchdog,
    deadline: Instant,
    mut wait_at_most: impl FnMut(Duration) -> Option<R>,
) -> Result<Option<R>, Aborted> {
    wait_in_slices(watchdog, |slice| {
        let left = deadline.saturating_duration_since(Instant::now());
        match wait_at_most(left.min(slice)) {
            Some(done) => Some(Some(done)),
            None if left.is_zero() => Some(None),
            None => None,
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;

    /// A watchdog with nobody registered: its monitor never finds a deadlock, so only
    /// `abort` ends a wait early. The monitor thread stops with the test.
    struct Dog(Arc<Watchdog>);

    impl std::ops::Deref for Dog {
        type Target = Watchdog;
        fn deref(&self) -> &Watchdog {
            &self.0
        }
    }

    impl Drop for Dog {
        fn drop(&mut self) {
            self.0.stop();
        }
    }

    fn watchdog() -> Dog {
        Dog(Watchdog::start("slices-test"))
    }

    #[test]
    fn a_wait_ends_when_done_and_gets_whole_slices() {
        let dog = watchdog();
        let mut calls = Vec::new();
        let r = wait_in_slices(&dog, |d| {
            calls.push(d);
            (calls.len() == 3).then_some("done")
        });
        assert_eq!(r, Ok("done"));
        assert_eq!(calls, vec![SLICE; 3]);
    }

    #[test]
    fn an_aborted_run_ends_the_wait_before_the_next_slice() {
        let dog = watchdog();
        let mut calls = 0;
        let r: Result<(), Aborted> = wait_in_slices(&dog, |_| {
            calls += 1;
            if calls == 2 {
                dog.abort();
            }
            None
        });
        assert_eq!(r, Err(Aborted));
        assert_eq!(calls, 2);
        // Already aborted: not even one slice.
        assert_eq!(wait_in_slices(&dog, |_| Some(())), Err(Aborted));
    }

    #[test]
    fn a_deadline_cuts_the_last_slice_short_and_ends_the_wait() {
        let dog = watchdog();
        let deadline = Instant::now() + SLICE * 2 + SLICE / 2;
        let mut calls = Vec::new();
        let r: Result<Option<()>, Aborted> = wait_in_slices_until(&dog, deadline, |d| {
            calls.push(d);
            std::thread::sleep(d);
            None
        });
        assert_eq!(r, Ok(None));
        assert!(Instant::now() >= deadline);
        // Never longer than a slice, never past the deadline, and a last zero-length look.
        assert!(calls.iter().all(|d| *d <= SLICE), "{calls:?}");
        assert!(calls.len() >= 3, "{calls:?}");
        assert_eq!(calls.last(), Some(&Duration::ZERO), "{calls:?}");
        let total: Duration = calls.iter().sum();
        assert!(total <= SLICE * 2 + SLICE / 2, "{calls:?}");
    }

    #[test]
    fn a_deadline_wait_reports_done_before_the_deadline() {
        let dog = watchdog();
        let deadline = Instant::now() + Duration::from_secs(60);
        assert_eq!(
            wait_in_slices_until(&dog, deadline, |_| Some(7)),
            Ok(Some(7))
        );
        dog.abort();
        assert_eq!(
            wait_in_slices_until(&dog, deadline, |_| Some(7)),
            Err(Aborted)
        );
    }
}
