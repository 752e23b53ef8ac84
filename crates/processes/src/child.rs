//! The child's side: what a child process's code sees ([`ProcessCtx`]: the run's clock, its
//! parameters, printing and recording on its lane, messages to and from the parent, threads
//! of its own as lanes nested under it), and [`child_main`], a worker's whole life.
//!
//! Events are encoded into a buffer and sent when the child is about to wait (or the buffer
//! fills, or it ends), so a child records at the cost of a copy; whatever it does next, the
//! parent has seen everything up to its wait.

use crate::frame::{FrameError, FrameReader, ToChild, ToParent, NO_LANE};
use crate::worker::{WorkerSpec, CHANNEL_FD};
use conlab_core::{LaneKind, Nanos, Params, SpanState};
use conlab_native::NativeClock;
use conlab_traced_threads::{Aborted, Work, SLICE};
use parking_lot::{Condvar, Mutex};
use std::collections::VecDeque;
use std::io::Write;
use std::os::fd::{AsFd, BorrowedFd, FromRawFd, OwnedFd};
use std::os::unix::net::UnixStream;
use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Sent as soon as this much is buffered.
const FLUSH_AT: usize = 16 * 1024;

/// The code of a scenario's child processes; `ctx.role()` says which part to play.
pub type ChildFn = fn(&ProcessCtx) -> Result<(), Aborted>;

/// What a child process's code sees. Each of its threads has one (its own lane).
#[derive(Clone)]
pub struct ProcessCtx {
    shared: Arc<ChildShared>,
    lane: u32,
}

struct ChildShared {
    spec: WorkerSpec,
    /// The shared objects the parent handed over, by name.
    shared_fds: Vec<(String, OwnedFd)>,
    params: Params,
    clock: NativeClock,
    out: Mutex<Outgoing>,
    inbox: Mutex<VecDeque<Vec<u8>>>,
    arrived: Condvar,
    aborted: AtomicBool,
    next_lane: AtomicU32,
}

struct Outgoing {
    channel: UnixStream,
    buf: Vec<u8>,
    /// Writing failed: the parent is gone. Nothing more is sent.
    broken: bool,
}

impl Outgoing {
    fn flush(&mut self) {
        if !self.broken && !self.buf.is_empty() && self.channel.write_all(&self.buf).is_err() {
            self.broken = true;
        }
        self.buf.clear();
    }
}

impl ProcessCtx {
    fn send(&self, frame: ToParent, flush: bool) {
        let mut out = self.shared.out.lock();
        frame.encode(&mut out.buf);
        if flush || out.buf.len() >= FLUSH_AT {
            out.flush();
        }
    }

    /// Sends everything recorded so far to the parent.
    pub fn flush(&self) {
        self.shared.out.lock().flush();
    }

    /// Time on the run's clock (the parent's).
    #[inline]
    pub fn now(&self) -> Nanos {
        self.shared.clock.now()
    }

    /// The run's parameters.
    pub fn params(&self) -> &Params {
        &self.shared.params
    }

    /// The part this child plays (`worker`, `manager`, …).
    pub fn role(&self) -> &str {
        &self.shared.spec.role
    }

    /// Its index among the run's processes (the first child is 0).
    pub fn index(&self) -> u32 {
        self.shared.spec.index
    }

    /// Its name (`Process-3`).
    pub fn name(&self) -> &str {
        &self.shared.spec.name
    }

    /// The value the parent gave this child alone.
    pub fn arg(&self) -> &str {
        &self.shared.spec.arg
    }

    /// Its PID, as the OS reports it.
    pub fn pid(&self) -> u32 {
        std::process::id()
    }

    /// The descriptor of the shared object the parent passed under `name`.
    pub fn shared_fd(&self, name: &str) -> Option<BorrowedFd<'_>> {
        self.shared
            .shared_fds
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, fd)| fd.as_fd())
    }

    /// Prints a line of output on this lane.
    pub fn print(&self, text: impl Into<String>) {
        let t = self.now();
        self.send(
            ToParent::Output {
                lane: self.lane,
                t,
                text: text.into(),
            },
            false,
        );
    }

    /// Records a point event on this lane.
    pub fn mark(&self, name: &str, detail: impl Into<String>) {
        let t = self.now();
        self.send(
            ToParent::Mark {
                lane: self.lane,
                t,
                name: name.to_string(),
                detail: detail.into(),
            },
            false,
        );
    }

    /// Records a scenario-specific figure.
    pub fn metric(&self, key: &str, value: f64, unit: &str) {
        self.send(
            ToParent::Metric {
                key: key.to_string(),
                value,
                unit: unit.to_string(),
            },
            false,
        );
    }

    /// Opens a span on this lane; [`ProcessCtx::end`] closes it.
    pub fn begin(&self, state: SpanState, label: impl Into<String>) {
        let t = self.now();
        self.send(
            ToParent::Begin {
                lane: self.lane,
                t,
                state,
                label: label.into(),
            },
            state.is_waiting(),
        );
    }

    /// Closes the innermost open span of this lane.
    pub fn end(&self) {
        let t = self.now();
        self.send(ToParent::End { lane: self.lane, t }, false);
    }

    /// Records a whole span that began at `start` and ends now.
    pub fn span(&self, state: SpanState, start: Nanos, label: impl Into<String>) {
        self.span_until(state, start, self.now(), label);
    }

    /// Records a whole span from `start` to `end` (read earlier).
    pub fn span_until(&self, state: SpanState, start: Nanos, end: Nanos, label: impl Into<String>) {
        self.send(
            ToParent::Span {
                lane: self.lane,
                start,
                end,
                state,
                label: label.into(),
            },
            false,
        );
    }

    /// `Err(Aborted)` once the parent said the run is over.
    pub fn check(&self) -> Result<(), Aborted> {
        if self.shared.aborted.load(Ordering::Acquire) {
            Err(Aborted)
        } else {
            Ok(())
        }
    }

    /// Tells the parent's watchdog this process waits for `what` (held by the process with
    /// index `holder`, if known; only untimed waits can be part of a deadlock), and records
    /// the wait as a span; the guard ends both. Everything recorded so far is sent first.
    pub fn waiting(
        &self,
        state: SpanState,
        label: impl Into<String>,
        what: impl Into<String>,
        holder: Option<u32>,
        timed: bool,
    ) -> Waiting<'_> {
        // Begun now and ended when the guard drops: a child killed while it waits still shows
        // what it was waiting for, up to its end.
        self.begin(state, label);
        self.send(
            ToParent::Waiting {
                holder: holder.unwrap_or(NO_LANE),
                timed,
                what: what.into(),
            },
            true,
        );
        Waiting { ctx: self }
    }

    /// Waits until `done(slice)` (which blocks at most `slice`) returns `Some`, giving up with
    /// [`Aborted`] once the parent says the run is over; `deadline` bounds the wait (`None` on
    /// reaching it).
    pub fn wait_in_slices<R>(
        &self,
        deadline: Option<Instant>,
        mut done: impl FnMut(Duration) -> Option<R>,
    ) -> Result<Option<R>, Aborted> {
        loop {
            self.check()?;
            let slice = match deadline {
                Some(d) => {
                    let left = d.saturating_duration_since(Instant::now());
                    if left.is_zero() {
                        return Ok(None);
                    }
                    left.min(SLICE)
                }
                None => SLICE,
            };
            if let Some(r) = done(slice) {
                return Ok(Some(r));
            }
        }
    }

    /// Sleeps, recorded as `state` (`sleeping`, or `blocked_io` for a simulated download).
    pub fn sleep_as(&self, state: SpanState, d: Duration) -> Result<(), Aborted> {
        // Begun (and sent) before the sleep, ended after it however it ends: a child killed
        // or cut off while it sleeps still shows the sleep, up to its end.
        self.begin(state, String::new());
        self.flush();
        let until = Instant::now() + d;
        let slept = self.wait_in_slices(Some(until), |slice| {
            std::thread::sleep(slice);
            None::<()>
        });
        self.end();
        slept.map(|_| ())
    }

    /// Sleeps, recorded as `sleeping`.
    pub fn sleep(&self, d: Duration) -> Result<(), Aborted> {
        self.sleep_as(SpanState::Sleeping, d)
    }

    /// Does `d` worth of CPU work (calibrated as `work`), recorded as `computing` with a
    /// `cpu_time` mark of the CPU time this thread got.
    pub fn compute(&self, work: &Work, d: Duration) -> Result<(), Aborted> {
        self.begin(SpanState::Computing, String::new());
        self.flush();
        let cpu = conlab_native::thread_cpu_ns();
        let burnt = work.burn(d, || self.check().is_err());
        self.end();
        self.mark(
            "cpu_time",
            (conlab_native::thread_cpu_ns() - cpu).to_string(),
        );
        burnt
    }

    /// Ends this child's work with a failure: the run fails with `reason`, naming this child
    /// (for what went wrong outside conlab's control, such as a server process that went
    /// away; a bug panics instead). Propagate the result with `?`.
    pub fn fail(&self, reason: impl Into<String>) -> Aborted {
        self.send(ToParent::Failure(reason.into()), true);
        Aborted
    }

    /// Sends the parent's code a message (an item for its queue, a result).
    pub fn send_message(&self, bytes: &[u8]) {
        self.send(ToParent::Message(bytes.to_vec()), true);
    }

    /// The next message from the parent, waiting for it recorded as `state` with `label`
    /// (`waiting_queue`, "waiting for a task").
    pub fn recv(&self, state: SpanState, label: &str) -> Result<Vec<u8>, Aborted> {
        if let Some(m) = self.shared.inbox.lock().pop_front() {
            return Ok(m);
        }
        let _wait = self.waiting(state, label, label, None, false);
        let got = self.wait_in_slices(None, |slice| {
            let mut inbox = self.shared.inbox.lock();
            if inbox.is_empty() {
                self.shared.arrived.wait_for(&mut inbox, slice);
            }
            inbox.pop_front()
        })?;
        Ok(got.unwrap_or_default())
    }

    /// Starts a thread of this process: its lane is nested under the process's.
    pub fn spawn_thread(
        &self,
        name: impl Into<String>,
        body: impl FnOnce(&ProcessCtx) -> Result<(), Aborted> + Send + 'static,
    ) -> std::io::Result<ChildThread> {
        let lane = self.shared.next_lane.fetch_add(1, Ordering::Relaxed);
        let name = name.into();
        self.send(
            ToParent::LaneStart {
                lane,
                parent: 0,
                kind: LaneKind::Thread,
                t: self.now(),
                name: name.clone(),
            },
            false,
        );
        let ctx = ProcessCtx {
            shared: self.shared.clone(),
            lane,
        };
        let handle = std::thread::Builder::new().name(name).spawn(move || {
            let result = body(&ctx);
            if result.is_err() {
                ctx.mark("cut_off", "the run was aborted while this thread waited");
            }
            let t = ctx.now();
            ctx.send(ToParent::LaneEnd { lane, t }, false);
        })?;
        Ok(ChildThread { handle })
    }
}

/// A thread of a child process.
pub struct ChildThread {
    handle: std::thread::JoinHandle<()>,
}

impl ChildThread {
    /// Waits for it (it gives up within a slice once the run is aborted).
    pub fn join(self) {
        let _ = self.handle.join();
    }
}

/// Ends a wait: its span, and the watchdog's entry.
pub struct Waiting<'a> {
    ctx: &'a ProcessCtx,
}

impl Drop for Waiting<'_> {
    fn drop(&mut self) {
        self.ctx.send(ToParent::Ready, false);
        self.ctx.end();
    }
}

/// A worker's whole life: connects to the parent, marks its start, runs `run`, reports how it
/// ended and exits. Never returns.
///
/// # Safety
///
/// Only in a process the toolkit started as a worker ([`crate::is_worker`]), first thing:
/// it takes ownership of descriptor 0, where the parent put the worker's channel, so nothing
/// else in the process may own or use that descriptor.
pub unsafe fn child_main(spec: WorkerSpec, params: Params, run: ChildFn) -> ! {
    // Descriptors conlab itself was started with and did not mark close-on-exec (a build
    // tool's jobserver pipe, a shell's extra descriptors) would otherwise live on in every
    // worker: closed before anything here opens one.
    // SAFETY: close_range only closes descriptors 3 and up, none of which this process has
    // opened yet.
    unsafe {
        libc::syscall(libc::SYS_close_range, 3u32, u32::MAX, 0u32);
    }
    // SAFETY: the caller promises this is a worker, whose descriptor 0 is the channel the
    // parent put there before exec, owned by nothing else.
    let channel = unsafe { UnixStream::from_raw_fd(CHANNEL_FD) };
    let Ok(reading) = channel.try_clone() else {
        std::process::exit(2)
    };
    let shared_fds = if spec.shared.is_empty() {
        Vec::new()
    } else {
        match crate::fds::receive_fds(&channel) {
            Ok(fds) if fds.len() == spec.shared.len() => {
                spec.shared.iter().cloned().zip(fds).collect()
            }
            _ => std::process::exit(2),
        }
    };
    let shared = Arc::new(ChildShared {
        shared_fds,
        clock: NativeClock::from_start_instant(spec.clock),
        spec,
        params,
        out: Mutex::new(Outgoing {
            channel,
            buf: Vec::with_capacity(FLUSH_AT),
            broken: false,
        }),
        inbox: Mutex::new(VecDeque::new()),
        arrived: Condvar::new(),
        aborted: AtomicBool::new(false),
        next_lane: AtomicU32::new(1),
    });
    let ctx = ProcessCtx {
        shared: shared.clone(),
        lane: 0,
    };
    ctx.mark("started", format!("pid {}", std::process::id()));
    let listener = shared.clone();
    let _ = std::thread::Builder::new()
        .name("conlab-parent".into())
        .spawn(move || listen_to_parent(&listener, reading));
    install_panic_report(shared.clone());
    let result = run(&ctx);
    match result {
        Ok(()) => ctx.send(ToParent::Done, true),
        Err(Aborted) => {
            ctx.mark("cut_off", "the run was aborted while this process waited");
            ctx.send(ToParent::Done, true);
        }
    }
    std::process::exit(0)
}

/// Reads what the parent sends: messages into the inbox; an abort, or the parent gone,
/// aborts every wait of this process.
fn listen_to_parent(shared: &ChildShared, channel: UnixStream) {
    let mut reader = FrameReader::new(channel);
    loop {
        match reader.next().and_then(ToChild::decode) {
            Ok(ToChild::Message(bytes)) => {
                shared.inbox.lock().push_back(bytes);
                shared.arrived.notify_all();
            }
            Ok(ToChild::Abort) | Err(FrameError::Closed) | Err(_) => {
                shared.aborted.store(true, Ordering::Release);
                shared.arrived.notify_all();
                return;
            }
        }
    }
}

/// A panic in a child's code ends the run with its message and place, as a thread's does.
fn install_panic_report(shared: Arc<ChildShared>) {
    std::panic::set_hook(Box::new(move |info| {
        let message = info
            .payload()
            .downcast_ref::<&str>()
            .map(|s| s.to_string())
            .or_else(|| info.payload().downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "a panic".to_string());
        let place = info
            .location()
            .map(|l| format!(" at {}:{}", l.file(), l.line()))
            .unwrap_or_default();
        let mut out = shared.out.lock();
        ToParent::Failure(format!("panicked: {message}{place}")).encode(&mut out.buf);
        out.flush();
        drop(out);
        std::process::exit(101);
    }));
}
