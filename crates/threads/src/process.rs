//! Child processes, as `multiprocessing.Process` starts them, written once: natively a worker
//! process (conlab's own executable again) runs the scenario's child code, reporting on the
//! run's clock; on the scheduler the child is a thread on a lane of kind process, whose code
//! shares nothing with its parent's but the value it was handed.

use crate::cpu::Cpu;
#[cfg(feature = "native")]
use crate::cpu::CpuKind;
use crate::scheduled::{SchedThread, Start};
use crate::thread::{HandleKind, Kind};
use crate::{Aborted, Thread};
use conlab_core::{LaneKind, Nanos, Text};
use std::future::Future;
use std::panic::Location;
use std::pin::Pin;
use std::rc::Rc;
use std::time::Duration;

/// A child process's code: what it does with the value it was handed ([`Child::arg`]).
pub type ChildBody = fn(Child) -> Pin<Box<dyn Future<Output = Result<(), Aborted>>>>;

/// A run's child processes. Natively, none outlives this value: dropping it ends them.
pub struct Processes {
    kind: ProcessesKind,
    cpu: Cpu,
    /// Python's names: Process-1, Process-2, …
    next: std::cell::Cell<u32>,
}

enum ProcessesKind {
    #[cfg(feature = "native")]
    Os(conlab_processes::Processes),
    Sched,
}

/// A started child, to join.
pub struct ProcessHandle {
    kind: ProcessHandleKind,
}

enum ProcessHandleKind {
    #[cfg(feature = "native")]
    Os(conlab_processes::Process),
    Sched(crate::Handle),
}

impl Processes {
    /// The children of the run `me` belongs to; each computes with `cpu` (natively handed
    /// its calibration, so it need not calibrate again).
    pub fn new(me: &Thread, cpu: &Cpu) -> Processes {
        let kind = match &me.kind {
            #[cfg(feature = "native")]
            Kind::Os(c) => ProcessesKind::Os(conlab_processes::Processes::new(c)),
            Kind::Sched(_) => ProcessesKind::Sched,
        };
        Processes {
            kind,
            cpu: *cpu,
            next: std::cell::Cell::new(0),
        }
    }

    /// Starts a child process running `body` with `arg` (`Process(target=…, args=…).start()`).
    /// Natively `body` must be what the scenario's `child` runs ([`run_child`]).
    #[track_caller]
    pub fn start<'a>(
        &'a self,
        me: &'a Thread,
        body: ChildBody,
        arg: impl Into<String>,
    ) -> impl Future<Output = Result<ProcessHandle, Aborted>> + 'a {
        let site = Location::caller();
        me.at(site);
        let arg: String = arg.into();
        let n = self.next.get() + 1;
        self.next.set(n);
        let name = format!("Process-{n}");
        async move {
            match (&self.kind, &me.kind) {
                #[cfg(feature = "native")]
                (ProcessesKind::Os(procs), Kind::Os(c)) => {
                    let _ = body;
                    let handed = format!("{} {arg}", self.cpu.per_ms());
                    let spawn = conlab_processes::Spawn::new("worker")
                        .name(name)
                        .arg(handed)
                        .at(site);
                    let child = procs.spawn(c, spawn)?;
                    Ok(ProcessHandle {
                        kind: ProcessHandleKind::Os(child),
                    })
                }
                (ProcessesKind::Sched, Kind::Sched(s)) => {
                    let cpu = self.cpu;
                    let run = move |me: Thread| async move {
                        let Kind::Sched(s) = &me.kind else {
                            unreachable!("a scheduled child runs on the scheduler")
                        };
                        let child = Child {
                            kind: ChildKind::Sched(s.clone()),
                            arg: arg.into(),
                            cpu,
                        };
                        let ended = body(child).await;
                        let code = if ended.is_ok() { 0 } else { 1 };
                        s.mark("exit", Text::from(format!("exited with code {code}")));
                        ended
                    };
                    let handle = s.spawn_as(name, Start::Plain, LaneKind::Process, run).await;
                    Ok(ProcessHandle {
                        kind: ProcessHandleKind::Sched(handle),
                    })
                }
                #[cfg(feature = "native")]
                _ => unreachable!("processes belong to one run"),
            }
        }
    }
}

impl ProcessHandle {
    /// Waits for the child to exit (`join()`), drawn as waiting for it.
    #[track_caller]
    pub fn join<'a>(&'a self, me: &'a Thread) -> impl Future<Output = Result<(), Aborted>> + 'a {
        me.at(Location::caller());
        async move {
            match (&self.kind, &me.kind) {
                #[cfg(feature = "native")]
                (ProcessHandleKind::Os(p), Kind::Os(c)) => {
                    p.join(c).map(|_| ()).map_err(Aborted::from)
                }
                (ProcessHandleKind::Sched(h), Kind::Sched(s)) => {
                    let HandleKind::Sched { handle, name } = &h.kind else {
                        unreachable!("a scheduled child has a scheduled handle")
                    };
                    s.join(*handle, name).await;
                    Ok(())
                }
                #[cfg(feature = "native")]
                _ => unreachable!("a process is joined by its own run"),
            }
        }
    }
}

/// A child process, as its own code sees it.
pub struct Child {
    kind: ChildKind,
    arg: Rc<str>,
    cpu: Cpu,
}

enum ChildKind {
    #[cfg(feature = "native")]
    Os(conlab_processes::ProcessCtx),
    Sched(Rc<SchedThread>),
}

impl Child {
    /// The value its parent handed it.
    pub fn arg(&self) -> &str {
        &self.arg
    }

    /// Prints a line (on the scheduler a step).
    pub async fn print(&self, text: impl Into<String>) {
        let text: String = text.into();
        match &self.kind {
            #[cfg(feature = "native")]
            ChildKind::Os(c) => c.print(text),
            ChildKind::Sched(s) => {
                s.step_print().await;
                s.output(Text::from(text));
            }
        }
    }

    /// Computes `d` of single-core work (a process has its own interpreter and GIL, so
    /// nobody else's GIL stops it), drawn as computing, with a `cpu_time` mark of the CPU
    /// time it got, which it returns.
    pub async fn compute(&self, d: Duration) -> Result<Nanos, Aborted> {
        match (&self.kind, self.cpu.kind()) {
            #[cfg(feature = "native")]
            (ChildKind::Os(c), CpuKind::Os(work)) => {
                let cpu = conlab_native::thread_cpu_ns();
                c.compute(&work, d)?;
                Ok(conlab_native::thread_cpu_ns().saturating_sub(cpu))
            }
            (ChildKind::Sched(s), _) => Ok(crate::cpu::on_a_core(s, d).await),
            #[cfg(feature = "native")]
            _ => unreachable!("a child computes on its own runtime"),
        }
    }
}

/// Runs a child process's code natively: the scenario's `child` is
/// `|ctx| conlab_threads::run_child(ctx, body)`, with the `body` its parent starts.
#[cfg(feature = "native")]
pub fn run_child(
    ctx: &conlab_processes::ProcessCtx,
    body: ChildBody,
) -> Result<(), conlab_traced_threads::Aborted> {
    let (per_ms, arg) = ctx.arg().split_once(' ').unwrap_or((ctx.arg(), ""));
    let child = Child {
        kind: ChildKind::Os(ctx.clone()),
        arg: arg.into(),
        cpu: Cpu::from_per_ms(per_ms.parse().unwrap_or(1.0)),
    };
    crate::block_on(body(child)).map_err(|_| conlab_traced_threads::Aborted)
}
