//! A global interpreter lock, as CPython's: a thread holds it to run Python code and lets go of
//! it while it waits on IO; a thread computing with it hands it over each switch interval to a
//! thread that asked for it. On OS threads it is the traced toolkit's simulated GIL; on the
//! scheduler, a lock whose taking and letting go are steps, handed straight to the thread that
//! asked first.

use crate::cpu::{Cpu, CpuKind};
use crate::thread::Kind;
use crate::{Aborted, Thread};
use conlab_core::{LaneId, LaneKind, Nanos, SpanState, Text};
use std::collections::VecDeque;
use std::future::Future;
use std::panic::Location;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// The GIL of a run.
#[derive(Clone)]
pub struct Gil {
    kind: GilKind,
}

#[derive(Clone)]
enum GilKind {
    #[cfg(feature = "native")]
    Os(Arc<OsGil>),
    Sched(Arc<SchedGil>),
}

/// The GIL on OS threads, and its lane if it is drawn, which ends when the GIL is dropped.
#[cfg(feature = "native")]
struct OsGil {
    gil: conlab_traced_threads::Gil,
    drawn: Option<(conlab_core::EventWriter, conlab_native::NativeClock, LaneId)>,
}

#[cfg(feature = "native")]
impl std::ops::Deref for OsGil {
    type Target = conlab_traced_threads::Gil;

    fn deref(&self) -> &conlab_traced_threads::Gil {
        &self.gil
    }
}

#[cfg(feature = "native")]
impl Drop for OsGil {
    fn drop(&mut self) {
        if let Some((writer, clock, lane)) = &self.drawn {
            writer.end_lane(clock.now(), *lane);
        }
    }
}

/// The GIL on the scheduler.
struct SchedGil {
    lock: conlab_sched::Lock,
    switch_interval: Duration,
    /// The threads that asked for it and do not have it yet, first come first.
    asking: Mutex<VecDeque<conlab_sched::ThreadId>>,
    handovers: AtomicU64,
    /// The lane that shows who holds it, if it is drawn.
    lane: Option<LaneId>,
}

impl SchedGil {
    fn asking(&self) -> std::sync::MutexGuard<'_, VecDeque<conlab_sched::ThreadId>> {
        self.asking.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Takes the GIL, drawn as waiting for it while another thread holds it.
    async fn take(&self, s: &crate::scheduled::SchedThread) {
        let asked = s.ctx.now();
        self.asking().push_back(s.ctx.id());
        self.lock.acquire(&s.ctx).await;
        self.asking().retain(|t| *t != s.ctx.id());
        if s.ctx.now() > asked {
            s.span(
                SpanState::WaitingGil,
                asked,
                s.ctx.now(),
                Text::Static("the GIL"),
            );
        }
    }

    /// Computes `d` holding the GIL: each time the switch interval is up while another thread
    /// asked for it, the holder hands it to the first that asked and asks again.
    async fn compute(&self, s: &crate::scheduled::SchedThread, d: Duration) {
        // The test fault of a GIL never handed over: the holder keeps it to the end.
        let hands_over = !conlab_core::faults::active(conlab_core::Fault::GilNeverHandedOver);
        let mut left = d;
        while !left.is_zero() {
            self.take(s).await;
            let start = s.ctx.now();
            loop {
                let slice = left.min(self.switch_interval.max(LEAST_SLICE));
                s.ctx.compute(slice).await;
                left -= slice;
                if left.is_zero() || (hands_over && !self.asking().is_empty()) {
                    break;
                }
            }
            let end = s.ctx.now();
            s.span(
                SpanState::Computing,
                start,
                end,
                Text::Static("holding the GIL"),
            );
            if let Some(lane) = self.lane {
                s.span_on(
                    lane,
                    SpanState::HoldingLock,
                    start,
                    end,
                    s.ctx.name().to_string(),
                );
            }
            let next = self.asking().front().copied();
            match next {
                Some(to) if !left.is_zero() => {
                    self.handovers.fetch_add(1, Relaxed);
                    let words = format!("to {}", s.ctx.name_of(to));
                    s.mark("gil_handover", Text::from(words));
                    self.lock.hand_over(&s.ctx, to).await;
                }
                _ => self.lock.release(&s.ctx).await,
            }
        }
    }
}

/// The shortest slice a GIL holder computes before it looks whether to hand over: a switch
/// interval of zero would never let time move.
const LEAST_SLICE: Duration = Duration::from_micros(100);

impl Gil {
    /// The GIL of the run `me` belongs to, handed over every `switch_interval` to a thread
    /// that waits for it (`sys.setswitchinterval`).
    pub fn new(me: &Thread, switch_interval: Duration) -> Gil {
        Gil::make(me, switch_interval, false)
    }

    /// A GIL drawn on a lane of its own, `GIL`: who holds it when, and each hand-over.
    pub fn drawn(me: &Thread, switch_interval: Duration) -> Gil {
        Gil::make(me, switch_interval, true)
    }

    fn make(me: &Thread, switch_interval: Duration, drawn: bool) -> Gil {
        let kind = match &me.kind {
            #[cfg(feature = "native")]
            Kind::Os(c) => {
                let gil = conlab_traced_threads::Gil::new(switch_interval);
                let lane = drawn.then(|| c.writer().new_lane(c.now(), LaneKind::Lock, "GIL"));
                GilKind::Os(Arc::new(OsGil {
                    gil: match lane {
                        Some(lane) => gil.drawn_on(lane),
                        None => gil,
                    },
                    drawn: lane.map(|lane| (c.writer().clone(), c.clock(), lane)),
                }))
            }
            Kind::Sched(s) => {
                // Ended with the run's main thread (`SchedThread::new_lane`).
                let lane = drawn.then(|| s.new_lane(LaneKind::Lock, "GIL"));
                GilKind::Sched(Arc::new(SchedGil {
                    lock: conlab_sched::Lock::new("the GIL"),
                    switch_interval,
                    asking: Mutex::new(VecDeque::new()),
                    handovers: AtomicU64::new(0),
                    lane,
                }))
            }
        };
        Gil { kind }
    }

    /// How many times the GIL passed from a thread computing to one that asked for it.
    pub fn handovers(&self) -> u64 {
        match &self.kind {
            #[cfg(feature = "native")]
            GilKind::Os(gil) => gil.handovers(),
            GilKind::Sched(gil) => gil.handovers.load(Relaxed),
        }
    }

    /// Computes `d` of interpreted work on thread `me`, only while holding the GIL, handing it
    /// over each switch interval to a thread that asked for it; a `cpu_time` mark of the CPU
    /// time the thread got, which it returns.
    #[track_caller]
    pub fn compute<'a>(
        &'a self,
        me: &'a Thread,
        cpu: &'a Cpu,
        d: Duration,
    ) -> impl Future<Output = Result<Nanos, Aborted>> + 'a {
        me.at(Location::caller());
        async move {
            match (&self.kind, &me.kind, cpu.kind()) {
                #[cfg(feature = "native")]
                (GilKind::Os(gil), Kind::Os(c), CpuKind::Os(work)) => Ok(gil.compute(c, &work, d)?),
                (GilKind::Sched(gil), Kind::Sched(s), CpuKind::Sched) => {
                    gil.compute(s, d).await;
                    let got = d.as_nanos() as Nanos;
                    s.mark("cpu_time", Text::from(got.to_string()));
                    Ok(got)
                }
                #[cfg(feature = "native")]
                _ => unreachable!("a GIL belongs to one run"),
            }
        }
    }

    /// A blocking IO call of `d` (a request to a slow server): the thread takes the GIL to
    /// make the call, lets go of it while it waits, and takes it again for the answer.
    #[track_caller]
    pub fn io<'a>(
        &'a self,
        me: &'a Thread,
        d: Duration,
    ) -> impl Future<Output = Result<(), Aborted>> + 'a {
        me.at(Location::caller());
        async move {
            match (&self.kind, &me.kind) {
                #[cfg(feature = "native")]
                (GilKind::Os(gil), Kind::Os(c)) => Ok(gil.io(c, d)?),
                (GilKind::Sched(gil), Kind::Sched(s)) => {
                    gil.take(s).await;
                    gil.lock.release(&s.ctx).await;
                    me.request_here(d).await?;
                    gil.take(s).await;
                    gil.lock.release(&s.ctx).await;
                    Ok(())
                }
                #[cfg(feature = "native")]
                _ => unreachable!("a GIL belongs to one run"),
            }
        }
    }
}
