//! A global interpreter lock, as CPython's: a thread holds it to run Python code and lets go of
//! it while it waits on IO. On OS threads it is the traced toolkit's simulated GIL; on the
//! scheduler, a lock whose taking and letting go are steps.

use crate::thread::Kind;
use crate::{Aborted, Thread};
use std::future::Future;
use std::panic::Location;
use std::time::Duration;

/// The GIL of a run.
#[derive(Clone)]
pub struct Gil {
    kind: GilKind,
}

#[derive(Clone)]
enum GilKind {
    #[cfg(feature = "native")]
    Os(std::sync::Arc<conlab_traced_threads::Gil>),
    Sched(conlab_sched::Lock),
}

impl Gil {
    /// The GIL of the run `me` belongs to, handed over every `switch_interval` to a thread
    /// that waits for it (`sys.setswitchinterval`).
    pub fn new(me: &Thread, switch_interval: Duration) -> Gil {
        let kind = match &me.kind {
            #[cfg(feature = "native")]
            Kind::Os(_) => GilKind::Os(std::sync::Arc::new(conlab_traced_threads::Gil::new(
                switch_interval,
            ))),
            Kind::Sched(_) => {
                let _ = switch_interval;
                GilKind::Sched(conlab_sched::Lock::new("the GIL"))
            }
        };
        Gil { kind }
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
                    gil.acquire(&s.ctx).await;
                    gil.release(&s.ctx).await;
                    me.request_here(d).await?;
                    gil.acquire(&s.ctx).await;
                    gil.release(&s.ctx).await;
                    Ok(())
                }
                #[cfg(feature = "native")]
                _ => unreachable!("a GIL belongs to one run"),
            }
        }
    }
}
