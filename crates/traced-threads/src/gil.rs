//! A simulated global interpreter lock. "Interpreted" CPU work must hold it to compute; the
//! holder hands it over every switch interval when another thread waits, as CPython does.
//! Work is a calibrated number of loop iterations, not a wall-clock duration, so threads that
//! share a core really do take longer.

use super::ctx::{Aborted, ThreadCtx};
use super::slices::wait_in_slices;
use conlab_core::{LaneId, SpanState, Text};
use parking_lot::Mutex;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

/// Iterations of work done between checks of the switch interval.
const BATCH: u64 = 2_000;

/// A calibrated amount of CPU work per millisecond on this machine.
#[derive(Debug, Clone, Copy)]
pub struct Work {
    iterations_per_ms: f64,
}

#[inline(never)]
fn burn(iterations: u64) -> u64 {
    let mut x = 0x9E37_79B9_7F4A_7C15u64;
    for i in 0..iterations {
        x = std::hint::black_box(x.rotate_left(5) ^ i).wrapping_mul(0x2545_F491_4F6C_DD1D);
    }
    x
}

impl Work {
    /// Measures how much work one core does in a millisecond (takes about 30 ms).
    pub fn calibrate() -> Work {
        let mut best = 0.0f64;
        for _ in 0..3 {
            let start = Instant::now();
            let mut n = 0u64;
            while start.elapsed() < Duration::from_millis(10) {
                std::hint::black_box(burn(BATCH));
                n += BATCH;
            }
            best = best.max(n as f64 / start.elapsed().as_secs_f64() / 1000.0);
        }
        Work {
            iterations_per_ms: best.max(1.0),
        }
    }

    /// How many cores the machine lends right now: two plain threads spin for `d` and their CPU
    /// time is divided by the wall time (about 2 on an idle 2-core machine, about 1 when another
    /// program keeps a core busy).
    pub fn cores_available(d: Duration) -> f64 {
        let start = Instant::now();
        let cpu: Vec<Duration> = std::thread::scope(|s| {
            let spinners: Vec<_> = (0..2)
                .map(|_| {
                    s.spawn(move || {
                        let cpu = cpu_time::ThreadTime::now();
                        while start.elapsed() < d {
                            std::hint::black_box(burn(BATCH));
                        }
                        cpu.elapsed()
                    })
                })
                .collect();
            spinners
                .into_iter()
                .map(|h| h.join().unwrap_or_default())
                .collect()
        });
        cpu.iter().sum::<Duration>().as_secs_f64() / start.elapsed().as_secs_f64().max(1e-9)
    }

    /// Work done by a core in a millisecond, as calibrated (what a parent hands its child
    /// processes, so they need not calibrate again).
    pub fn per_ms(&self) -> f64 {
        self.iterations_per_ms
    }

    /// Work calibrated elsewhere: `per_ms` from [`Work::per_ms`].
    pub fn from_per_ms(per_ms: f64) -> Work {
        Work {
            iterations_per_ms: per_ms.max(1.0),
        }
    }

    /// Does `d` worth of work on this thread, giving up with [`Aborted`] when `aborted` says
    /// so (asked between batches of about a millisecond). Records nothing: for code that
    /// records in its own way (a child process).
    pub fn burn(&self, d: Duration, mut aborted: impl FnMut() -> bool) -> Result<(), Aborted> {
        let mut left = self.iterations(d);
        while left > 0 {
            if aborted() {
                return Err(Aborted);
            }
            let n = left.min(BATCH * 50);
            std::hint::black_box(burn(n));
            left -= n;
        }
        Ok(())
    }

    /// Iterations in `d` of single-core work.
    pub fn iterations(&self, d: Duration) -> u64 {
        (self.iterations_per_ms * d.as_secs_f64() * 1000.0) as u64
    }

    /// Does `d` worth of work (without any GIL), recorded as `computing`, with a `cpu_time`
    /// mark of the CPU time the thread actually got (a busy machine grants less than the wall
    /// time); returns that CPU time, in nanoseconds.
    pub fn compute(&self, ctx: &ThreadCtx, d: Duration) -> Result<u64, Aborted> {
        let span = ctx.begin_whole(SpanState::Computing);
        let cpu = cpu_time::ThreadTime::now();
        let burnt = self.burn(d, || ctx.check().is_err());
        ctx.end_whole(span, Text::None);
        burnt?;
        let got = cpu.elapsed().as_nanos() as u64;
        ctx.mark("cpu_time", Text::from(got.to_string()));
        Ok(got)
    }
}

/// The simulated GIL.
pub struct Gil {
    lock: Mutex<()>,
    waiting: AtomicUsize,
    switch_interval: Duration,
    handovers: AtomicU64,
    /// The lane that shows who holds it, if it is drawn.
    lane: Option<LaneId>,
}

impl Gil {
    /// A GIL handed over every `switch_interval`.
    pub fn new(switch_interval: Duration) -> Gil {
        Gil {
            lock: Mutex::new(()),
            waiting: AtomicUsize::new(0),
            switch_interval,
            handovers: AtomicU64::new(0),
            lane: None,
        }
    }

    /// The GIL drawn on `lane` too: a span for each hold, labelled with its holder.
    pub fn drawn_on(mut self, lane: LaneId) -> Gil {
        self.lane = Some(lane);
        self
    }

    /// How many times the GIL passed from one thread to a waiting one.
    pub fn handovers(&self) -> u64 {
        self.handovers.load(Ordering::Relaxed)
    }

    fn acquire<'a>(&'a self, ctx: &ThreadCtx) -> Result<parking_lot::MutexGuard<'a, ()>, Aborted> {
        if let Some(g) = self.lock.try_lock() {
            return Ok(g);
        }
        self.waiting.fetch_add(1, Ordering::AcqRel);
        let result = {
            let _wait = ctx.waiting(SpanState::WaitingGil, "the GIL".into(), None, false);
            wait_in_slices(ctx.watchdog(), |slice| self.lock.try_lock_for(slice))
        };
        self.waiting.fetch_sub(1, Ordering::AcqRel);
        result
    }

    /// Does `d` worth of interpreted work: only while holding the GIL, handing it over every
    /// switch interval if another thread waits for it. Returns the CPU time the thread got,
    /// in nanoseconds.
    pub fn compute(&self, ctx: &ThreadCtx, work: &Work, d: Duration) -> Result<u64, Aborted> {
        let cpu = cpu_time::ThreadTime::now();
        let result = self.compute_under_gil(ctx, work, d);
        let got = cpu.elapsed().as_nanos() as u64;
        ctx.mark("cpu_time", Text::from(got.to_string()));
        result.map(|()| got)
    }

    fn compute_under_gil(&self, ctx: &ThreadCtx, work: &Work, d: Duration) -> Result<(), Aborted> {
        // The test fault of a GIL never handed over: the holder keeps it to the end.
        let hands_over = !conlab_core::faults::active(conlab_core::Fault::GilNeverHandedOver);
        let mut left = work.iterations(d);
        while left > 0 {
            let guard = self.acquire(ctx)?;
            let held_since = Instant::now();
            let start = ctx.now();
            while left > 0 {
                let n = left.min(BATCH);
                std::hint::black_box(burn(n));
                left -= n;
                if hands_over
                    && held_since.elapsed() >= self.switch_interval
                    && self.waiting.load(Ordering::Acquire) > 0
                {
                    break;
                }
            }
            ctx.span(SpanState::Computing, start, Text::Static("holding the GIL"));
            if let Some(lane) = self.lane {
                let holder = Text::from(ctx.name().to_string());
                let writer = ctx.writer();
                writer.span(lane, SpanState::HoldingLock, start, ctx.now(), holder);
            }
            if hands_over && left > 0 && self.waiting.load(Ordering::Acquire) > 0 {
                self.handovers.fetch_add(1, Ordering::Relaxed);
                ctx.mark("gil_handover", "");
                // Fair unlock hands the GIL straight to a waiting thread.
                parking_lot::MutexGuard::unlock_fair(guard);
            } else {
                drop(guard);
            }
            ctx.check()?;
        }
        Ok(())
    }

    /// Blocking IO: the GIL is released while waiting (as CPython does), taken briefly before
    /// and after.
    pub fn io(&self, ctx: &ThreadCtx, d: Duration) -> Result<(), Aborted> {
        drop(self.acquire(ctx)?);
        ctx.request_as(SpanState::BlockedIo, d)?;
        drop(self.acquire(ctx)?);
        Ok(())
    }
}
