//! CPU-bound work, as a pure-Python loop is: natively a calibrated number of loop iterations
//! (threads that share a core really take longer), on the scheduler `d` of virtual time on one
//! of its cores.

use crate::scheduled::SchedThread;
use crate::thread::Kind;
use crate::{Aborted, Thread};
use conlab_core::{Nanos, SpanState, Text};
use std::future::Future;
use std::panic::Location;
use std::time::Duration;

/// How a run computes: calibrated once, then shared by its threads (and handed to its child
/// processes, which need not calibrate again).
#[derive(Clone, Copy)]
pub struct Cpu {
    kind: CpuKind,
}

#[derive(Clone, Copy)]
pub(crate) enum CpuKind {
    #[cfg(feature = "native")]
    Os(conlab_traced_threads::Work),
    Sched,
}

impl Cpu {
    /// The CPU of the run `me` belongs to; natively measures how much work a core does in a
    /// millisecond (about 30 ms).
    pub fn calibrate(me: &Thread) -> Cpu {
        let kind = match &me.kind {
            #[cfg(feature = "native")]
            Kind::Os(_) => CpuKind::Os(conlab_traced_threads::Work::calibrate()),
            Kind::Sched(_) => CpuKind::Sched,
        };
        Cpu { kind }
    }

    /// Work calibrated by a parent process ([`Cpu::per_ms`]).
    #[cfg(feature = "native")]
    pub(crate) fn from_per_ms(per_ms: f64) -> Cpu {
        Cpu {
            kind: CpuKind::Os(conlab_traced_threads::Work::from_per_ms(per_ms)),
        }
    }

    /// Natively, the work a core does in a millisecond (what a child process is handed).
    #[cfg(feature = "native")]
    pub(crate) fn per_ms(&self) -> f64 {
        match self.kind {
            CpuKind::Os(work) => work.per_ms(),
            CpuKind::Sched => 1.0,
        }
    }

    pub(crate) fn kind(&self) -> CpuKind {
        self.kind
    }

    /// How many cores the run computes on: the machine's, or the scheduler's virtual ones.
    pub fn cores(&self, me: &Thread) -> u32 {
        match &me.kind {
            #[cfg(feature = "native")]
            Kind::Os(_) => std::thread::available_parallelism()
                .map(|n| n.get() as u32)
                .unwrap_or(1),
            Kind::Sched(s) => s.ctx.cores(),
        }
    }

    /// Computes `d` of single-core work on thread `me` (no GIL: a free-threaded build, or a
    /// process of its own), drawn as computing, with a `cpu_time` mark of the CPU time the
    /// thread got, which it returns (natively a busy machine grants less than the wall time;
    /// on the scheduler it waits for a free core first).
    #[track_caller]
    pub fn compute<'a>(
        &'a self,
        me: &'a Thread,
        d: Duration,
    ) -> impl Future<Output = Result<Nanos, Aborted>> + 'a {
        me.at(Location::caller());
        async move {
            match (&self.kind, &me.kind) {
                #[cfg(feature = "native")]
                (CpuKind::Os(work), Kind::Os(c)) => Ok(work.compute(c, d)?),
                (CpuKind::Sched, Kind::Sched(s)) => Ok(on_a_core(s, d).await),
                #[cfg(feature = "native")]
                _ => unreachable!("a CPU belongs to one run"),
            }
        }
    }
}

/// `d` of work on one of the scheduler's cores, drawn as computing from when a core was free,
/// with a `cpu_time` mark of `d`, which it returns.
pub(crate) async fn on_a_core(s: &SchedThread, d: Duration) -> Nanos {
    let began = s.ctx.compute(d).await;
    s.span(SpanState::Computing, began, s.ctx.now(), Text::None);
    let got = d.as_nanos() as Nanos;
    s.mark("cpu_time", Text::from(got.to_string()));
    got
}
