//! The parent's side: starting children (the running executable again, as a worker), a lane
//! for each labelled with its PID, a thread per child that replays its events into the run's
//! recording and tells the watchdog what it waits for, and reaping, with a clear reason when a
//! child ends badly. [`Processes`] owns a run's children: when it is dropped, none is left.

use crate::exit::Exit;
use crate::frame::{FrameError, FrameReader, ToChild, ToParent, NO_LANE};
use crate::inbox::{Inbox, Received};
use crate::live;
use crate::worker;
use conlab_core::{EventWriter, LaneId, LaneKind, Metric, Nanos, Params, SpanState, Text};
use conlab_native::NativeClock;
use conlab_traced_threads::{wait_in_slices, Aborted, ThreadCtx, Watchdog};
use parking_lot::{Condvar, Mutex};
use std::os::fd::{AsRawFd, RawFd};
use std::os::unix::net::UnixStream;
use std::os::unix::process::CommandExt;
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// How long a child may take to give up after it was told the run is over, before it is
/// killed.
const ABORT_GRACE: Duration = Duration::from_millis(500);

/// How long a reader waits for a frame before it looks at the run again.
const READ_SLICE: Duration = Duration::from_millis(20);

/// The most lanes (threads) one child may start: beyond it, what it sends is garbage.
const MAX_CHILD_LANES: usize = 100_000;

/// A run's child processes. Dropping it ends them: each is told the run is over, then killed
/// if it does not exit within half a second, and reaped.
pub struct Processes {
    run: Arc<Run>,
}

/// What the children of one run share on the parent's side.
struct Run {
    scenario: &'static str,
    params: String,
    clock: NativeClock,
    watchdog: Arc<Watchdog>,
    children: Mutex<Vec<Arc<ChildState>>>,
    /// The index the next child gets (taken atomically: children may be started from
    /// several threads at once).
    next_index: AtomicU32,
    /// Set when the run's code is done with its children: they are no longer waited for.
    closing: AtomicBool,
}

/// How to start one child.
pub struct Spawn {
    role: &'static str,
    name: Option<String>,
    arg: String,
    daemon: bool,
    inbox: Option<Inbox>,
    shared: Vec<(&'static str, RawFd)>,
    /// The line of the scenario's code that starts it, which what it records is placed at.
    site: Option<conlab_core::Site>,
}

impl Spawn {
    /// A child that runs the scenario's child code in `role`.
    pub fn new(role: &'static str) -> Spawn {
        Spawn {
            role,
            name: None,
            arg: String::new(),
            daemon: false,
            inbox: None,
            shared: Vec::new(),
            site: None,
        }
    }

    /// Places what the child records at `site`, the line of the scenario's code that starts
    /// it (a child's events carry no lines of their own).
    pub fn at(mut self, site: conlab_core::Site) -> Spawn {
        self.site = Some(site);
        self
    }

    /// Its name (`Process-<n>` by default, counting from 1).
    pub fn name(mut self, name: impl Into<String>) -> Spawn {
        self.name = Some(name.into());
        self
    }

    /// A value for this child alone (its item, its address).
    pub fn arg(mut self, arg: impl Into<String>) -> Spawn {
        self.arg = arg.into();
        self
    }

    /// A daemon child: killed when the run's code is done, as Python kills daemon processes
    /// when the parent exits, without that being a failure.
    pub fn daemon(mut self) -> Spawn {
        self.daemon = true;
        self
    }

    /// Where its messages arrive (its own inbox by default).
    pub fn inbox(mut self, inbox: &Inbox) -> Spawn {
        self.inbox = Some(inbox.clone());
        self
    }

    /// Shares an object living in a file descriptor (a [`crate::ProcessLock`]) under `name`.
    pub fn share(mut self, name: &'static str, fd: &impl AsRawFd) -> Spawn {
        self.shared.push((name, fd.as_raw_fd()));
        self
    }
}

/// One child, as the parent sees it.
#[derive(Clone)]
pub struct Process {
    state: Arc<ChildState>,
}

struct ChildState {
    index: u32,
    name: String,
    pid: i32,
    lane: LaneId,
    daemon: bool,
    inbox: Inbox,
    channel: Mutex<UnixStream>,
    exit: Mutex<Option<Exit>>,
    exited: Condvar,
    /// The parent ended it on purpose (terminate, or the end of the run): not a failure.
    ended_on_purpose: AtomicBool,
}

impl Processes {
    /// The children of the run `main` belongs to: they run the child code of its scenario,
    /// and report their waits to its watchdog.
    pub fn new(main: &ThreadCtx) -> Processes {
        Processes::with_watchdog(
            main.scenario(),
            main.params(),
            main.clock(),
            main.watchdog().clone(),
        )
    }

    /// The children of a run whose code is not on the thread toolkit (async code): `watchdog`
    /// is told what they wait for and aborting it ends them.
    pub fn with_watchdog(
        scenario: &'static str,
        params: &Params,
        clock: NativeClock,
        watchdog: Arc<Watchdog>,
    ) -> Processes {
        // Each child holds a few descriptors of this process (its channel, its reader's):
        // 64 children would not fit a soft limit of 64.
        conlab_native::open_files::raise_to_hard_limit();
        let params = params
            .to_map()
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join("&");
        Processes {
            run: Arc::new(Run {
                scenario,
                params,
                clock,
                watchdog,
                children: Mutex::new(Vec::new()),
                next_index: AtomicU32::new(0),
                closing: AtomicBool::new(false),
            }),
        }
    }

    /// Starts a child from a scenario thread. Its lane, `Process-n (pid N)`, starts at the
    /// moment the parent asked the OS for it, with a `spawned` mark: nothing the child records
    /// can come earlier. A child that cannot be started fails the run.
    pub fn spawn(&self, main: &ThreadCtx, spawn: Spawn) -> Result<Process, Aborted> {
        main.check()?;
        let child = self
            .start(main.writer(), main.name(), spawn)
            .map_err(|why| main.fail(why))?;
        // The test fault of processes run one after the other: starting one waits for it.
        if conlab_core::faults::active(conlab_core::Fault::SerialProcesses) {
            child.join(main)?;
        }
        Ok(child)
    }

    /// Starts a child, recording with `writer`; `by` names who started it. The error says why
    /// it could not be started.
    pub fn start(&self, writer: &EventWriter, by: &str, spawn: Spawn) -> Result<Process, String> {
        let run = &self.run;
        let index = run.next_index.fetch_add(1, Ordering::Relaxed);
        let name = spawn
            .name
            .clone()
            .unwrap_or_else(|| format!("Process-{}", index + 1));
        let (ours, theirs) =
            UnixStream::pair().map_err(|e| format!("could not make a channel for {name}: {e}"))?;
        let exe = worker::worker_exe()
            .map_err(|e| format!("could not find conlab's own executable: {e}"))?;
        let mut command = Command::new(exe);
        let shared_names: Vec<&str> = spawn.shared.iter().map(|(n, _)| *n).collect();
        command
            .arg(worker::WORKER_ARG)
            .env(worker::ENV_SCENARIO, run.scenario)
            .env(worker::ENV_ROLE, spawn.role)
            .env(worker::ENV_INDEX, index.to_string())
            .env(worker::ENV_NAME, &name)
            .env(worker::ENV_ARG, &spawn.arg)
            .env(worker::ENV_PARAMS, &run.params)
            .env(worker::ENV_CLOCK, run.clock.start_instant().to_string())
            .env(worker::ENV_PARENT, std::process::id().to_string())
            .env(worker::ENV_SHARED, shared_names.join(","))
            .env_remove(conlab_core::faults::FAULT_ENV)
            // The channel is the child's standard input: the one descriptor it inherits, so
            // the child can be started with posix_spawn (no fork of this process).
            .stdin(Stdio::from(std::os::fd::OwnedFd::from(theirs)))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .process_group(0);
        // A test fault switched on here is on in the child too.
        if let Some(fault) = conlab_core::faults::current() {
            command.env(conlab_core::faults::FAULT_ENV, fault.name());
        }
        let t = run.clock.now();
        let child = live::spawn(command).map_err(|e| format!("could not start {name}: {e}"))?;
        let pid = child.id() as i32;
        if !spawn.shared.is_empty() {
            let fds: Vec<RawFd> = spawn.shared.iter().map(|(_, fd)| *fd).collect();
            if let Err(e) = crate::fds::send_fds(&ours, &fds) {
                live::kill(pid, libc::SIGKILL);
                return Err(format!("could not hand {name} its shared objects: {e}"));
            }
        }
        let label = format!("{name} (pid {pid})");
        let lane = writer.new_lane(t, LaneKind::Process, label.clone());
        writer.mark(t, lane, "spawned", Text::from(format!("by {by}")));
        run.watchdog.register(lane, &label);
        let writable = match ours.try_clone() {
            Ok(w) => w,
            Err(e) => {
                live::kill(pid, libc::SIGKILL);
                return Err(format!("could not share the channel of {label}: {e}"));
            }
        };
        let state = Arc::new(ChildState {
            index,
            name: label,
            pid,
            lane,
            daemon: spawn.daemon,
            inbox: spawn.inbox.unwrap_or_default(),
            channel: Mutex::new(writable),
            exit: Mutex::new(None),
            exited: Condvar::new(),
            ended_on_purpose: AtomicBool::new(false),
        });
        run.children.lock().push(state.clone());
        let (reader_run, reader_state) = (run.clone(), state.clone());
        let reader_writer = writer.sibling();
        reader_writer.pin_site(spawn.site);
        let started = std::thread::Builder::new()
            .name(format!("conlab-child-{pid}"))
            .spawn(move || read_child(&reader_run, &reader_state, child, ours, reader_writer));
        if let Err(e) = started {
            live::kill(pid, libc::SIGKILL);
            return Err(format!("could not watch {}: {e}", state.name));
        }
        Ok(Process { state })
    }

    /// Every child started so far.
    pub fn all(&self) -> Vec<Process> {
        self.run
            .children
            .lock()
            .iter()
            .map(|state| Process {
                state: state.clone(),
            })
            .collect()
    }

    /// Ends every child still running (daemons are cut off this way) and waits until all are
    /// reaped. Returns how many had to be ended.
    pub fn close(&self) -> usize {
        self.run.closing.store(true, Ordering::Release);
        let children: Vec<Arc<ChildState>> = self.run.children.lock().clone();
        let mut ended = 0;
        for child in &children {
            if child.exit.lock().is_none() {
                ended += 1;
                child.ended_on_purpose.store(true, Ordering::Release);
                child.tell(&ToChild::Abort);
            }
        }
        let deadline = Instant::now() + ABORT_GRACE;
        for child in &children {
            let mut exit = child.exit.lock();
            while exit.is_none() && Instant::now() < deadline {
                child.exited.wait_for(&mut exit, Duration::from_millis(10));
            }
            if exit.is_none() {
                live::kill(child.pid, libc::SIGKILL);
            }
        }
        // Killed children are reaped by their readers within a moment.
        for child in &children {
            let mut exit = child.exit.lock();
            while exit.is_none() {
                child.exited.wait_for(&mut exit, Duration::from_millis(10));
            }
        }
        ended
    }
}

impl Drop for Processes {
    fn drop(&mut self) {
        self.close();
    }
}

impl ChildState {
    /// Sends a frame; a child that is gone cannot be told anything, which is not an error here
    /// (its reader reports how it ended).
    fn tell(&self, frame: &ToChild) -> bool {
        let mut bytes = Vec::new();
        frame.encode(&mut bytes);
        crate::fds::send_all(&self.channel.lock(), &bytes).is_ok()
    }
}

impl Process {
    /// Its index in the run (0 for the first child).
    pub fn index(&self) -> u32 {
        self.state.index
    }

    /// Its PID.
    pub fn pid(&self) -> i32 {
        self.state.pid
    }

    /// Its lane.
    pub fn lane(&self) -> LaneId {
        self.state.lane
    }

    /// `Process-n (pid N)`, as its lane is named.
    pub fn label(&self) -> &str {
        &self.state.name
    }

    /// Where its messages arrive.
    pub fn inbox(&self) -> &Inbox {
        &self.state.inbox
    }

    /// Whether it has not exited yet.
    pub fn is_alive(&self) -> bool {
        self.state.exit.lock().is_none()
    }

    /// How it ended, once it has.
    pub fn exit(&self) -> Option<Exit> {
        *self.state.exit.lock()
    }

    /// Sends its code a message (a task, a reply). Returns false if it is gone.
    pub fn send(&self, bytes: &[u8]) -> bool {
        self.state.tell(&ToChild::Message(bytes.to_vec()))
    }

    /// Ends it now (SIGTERM), as Python's `terminate()`: not a failure of the run.
    pub fn terminate(&self) {
        self.state.ended_on_purpose.store(true, Ordering::Release);
        live::kill(self.state.pid, libc::SIGTERM);
    }

    /// Waits for it to exit without recording anything (for a thread outside the run's
    /// toolkit, such as a blocking task of async code). Bounded: when the run ends, its
    /// children are ended.
    pub fn wait(&self) -> Exit {
        let mut exit = self.state.exit.lock();
        loop {
            if let Some(e) = *exit {
                return e;
            }
            self.state
                .exited
                .wait_for(&mut exit, Duration::from_millis(20));
        }
    }

    /// Waits for it to exit, recorded as `waiting_join`; returns how it ended.
    pub fn join(&self, ctx: &ThreadCtx) -> Result<Exit, Aborted> {
        if let Some(exit) = self.exit() {
            return Ok(exit);
        }
        let _wait = ctx.waiting(
            SpanState::WaitingJoin,
            format!("{} to exit", self.state.name),
            None,
            false,
        );
        wait_in_slices(ctx.watchdog(), |slice| {
            let mut exit = self.state.exit.lock();
            if exit.is_none() {
                self.state.exited.wait_for(&mut exit, slice);
            }
            *exit
        })
    }
}

/// Names for marks sent by children: the recorder keeps mark names as `&'static str`, so each
/// distinct name is stored once for the life of the program (children of a run send a
/// handful). More than this many is garbage.
fn mark_name(name: &str) -> Option<&'static str> {
    static NAMES: Mutex<Vec<&'static str>> = Mutex::new(Vec::new());
    let mut names = NAMES.lock();
    if let Some(n) = names.iter().find(|n| **n == name) {
        return Some(n);
    }
    if names.len() >= 256 || name.len() > 64 {
        return None;
    }
    let leaked: &'static str = Box::leak(name.to_string().into_boxed_str());
    names.push(leaked);
    Some(leaked)
}

/// Replays one child's frames into the run's recording until its channel closes, then reaps
/// it and records how it ended. Runs on a thread of its own per child.
fn read_child(
    run: &Run,
    state: &ChildState,
    mut child: std::process::Child,
    channel: UnixStream,
    writer: EventWriter,
) {
    let _ = channel.set_read_timeout(Some(READ_SLICE));
    let mut reader = FrameReader::new(channel);
    let mut replay = Replay {
        run,
        state,
        writer: &writer,
        lanes: vec![Some(state.lane)],
        done: false,
        failure: None,
        waiting: None,
        stopped: false,
    };
    let mut told_to_stop: Option<Instant> = None;
    let problem: Option<String> = loop {
        match reader.next() {
            Ok(payload) => match ToParent::decode(payload).and_then(|f| replay.apply(f)) {
                Ok(()) => {}
                Err(e) => break Some(garbage(e)),
            },
            Err(FrameError::Closed) => break None,
            Err(FrameError::Io(e)) if crate::frame::is_timeout(&e) => replay.look_if_stopped(),
            // A child killed with data unread resets the connection: how it ended is told by
            // its exit status, reaped next, not by the channel.
            Err(FrameError::Io(_)) => break None,
            Err(e) => break Some(garbage(e)),
        }
        if run.watchdog.is_aborted() {
            let since = *told_to_stop.get_or_insert_with(|| {
                state.tell(&ToChild::Abort);
                Instant::now()
            });
            if since.elapsed() > ABORT_GRACE {
                live::kill(state.pid, libc::SIGKILL);
            }
        }
    };
    if problem.is_some() {
        live::kill(state.pid, libc::SIGKILL);
    }
    let exit = reap(state.pid, &mut child, run);
    let t = run.clock.now();
    writer.mark(t, state.lane, "exit", Text::from(exit.to_string()));
    for lane in replay.lanes.iter().skip(1).flatten() {
        writer.end_lane(t, *lane);
    }
    writer.end_lane(t, state.lane);
    run.watchdog.unregister(state.lane);
    let on_purpose = state.ended_on_purpose.load(Ordering::Acquire)
        || (state.daemon && run.closing.load(Ordering::Acquire));
    let reason = match (problem, replay.failure.take()) {
        (Some(p), _) => Some(format!("{} {p}", state.name)),
        (None, Some(f)) => Some(format!("{}: {f}", state.name)),
        (None, None) if on_purpose || run.watchdog.is_aborted() => None,
        (None, None) if !exit.is_success() => Some(format!("{} {exit}", state.name)),
        (None, None) if !replay.done => Some(format!(
            "{} exited without reporting the end of its work",
            state.name
        )),
        (None, None) => None,
    };
    if let Some(reason) = reason {
        writer.mark(t, state.lane, "failure", Text::from(reason.clone()));
        run.watchdog.fail(reason);
    }
    *state.exit.lock() = Some(exit);
    state.exited.notify_all();
}

fn garbage(e: FrameError) -> String {
    match e {
        FrameError::Garbage(what) => format!("wrote garbage to its event channel ({what})"),
        other => format!("broke its event channel ({other})"),
    }
}

/// Waits for the child to exit (it closed its channel, or was killed), killing it if the run
/// is over and it lingers, then reaps it.
fn reap(pid: i32, child: &mut std::process::Child, run: &Run) -> Exit {
    let since = Instant::now();
    // The channel closes as the child exits, a moment before it can be waited for: look again
    // soon at first, then less often (a child that closed its channel and lives on is killed
    // once the run is over).
    let mut pause = Duration::from_micros(10);
    loop {
        // SAFETY: waitid with WNOWAIT only looks: the child stays a zombie, so its PID cannot
        // be reused until it is reaped below, and `live::kill` never hits another process.
        let exited = unsafe {
            let mut info: libc::siginfo_t = std::mem::zeroed();
            libc::waitid(
                libc::P_PID,
                pid as libc::id_t,
                &mut info,
                libc::WEXITED | libc::WNOHANG | libc::WNOWAIT,
            ) == 0
                && info.si_pid() != 0
        };
        if exited {
            break;
        }
        if (run.watchdog.is_aborted() || run.closing.load(Ordering::Acquire))
            && since.elapsed() > ABORT_GRACE
        {
            live::kill(pid, libc::SIGKILL);
        }
        std::thread::sleep(pause);
        pause = (pause * 2).min(Duration::from_millis(2));
    }
    live::forget(pid);
    match child.wait() {
        Ok(status) => Exit::from_status(status),
        Err(_) => Exit::Code(-1),
    }
}

/// The state letter of a process (`R`, `S`, `T` stopped …), from `/proc/<pid>/stat`.
fn process_state(pid: i32) -> Option<char> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // The command name may hold spaces and parentheses: fields resume after the last ')'.
    stat.get(stat.rfind(')')? + 2..)?.chars().next()
}

/// Turns a child's frames into events of the run.
struct Replay<'a> {
    run: &'a Run,
    state: &'a ChildState,
    writer: &'a EventWriter,
    /// The run's lane for each of the child's lanes.
    lanes: Vec<Option<LaneId>>,
    done: bool,
    failure: Option<String>,
    /// What the child last said it waits for (what, holder, timed).
    waiting: Option<(String, Option<LaneId>, bool)>,
    /// The child is stopped (SIGSTOP, a debugger): not waiting on anything of the run's.
    stopped: bool,
}

impl Replay<'_> {
    /// A stopped child (SIGSTOP, a debugger) waits for nobody in the run, so it is not part of
    /// a deadlock however its last wait reads: the watchdog is told it runs until it goes on.
    fn look_if_stopped(&mut self) {
        let stopped = process_state(self.state.pid).is_some_and(|s| s == 'T' || s == 't');
        if stopped == self.stopped {
            return;
        }
        self.stopped = stopped;
        let dog = &self.run.watchdog;
        match (&self.waiting, stopped) {
            (_, true) => dog.clear_waiting(self.state.lane),
            (Some((what, holder, timed)), false) => {
                dog.set_waiting(self.state.lane, what.clone(), *holder, *timed)
            }
            (None, false) => {}
        }
    }

    fn lane(&self, lane: u32) -> Result<LaneId, FrameError> {
        self.lanes
            .get(lane as usize)
            .copied()
            .flatten()
            .ok_or_else(|| {
                FrameError::Garbage(format!("an event on lane {lane}, which it never started"))
            })
    }

    /// A time the child stamped: never before its lane started (a child's clock is the
    /// parent's, so only garbage can).
    fn time(&self, t: Nanos) -> Result<Nanos, FrameError> {
        if t > self.run.clock.now() + 1_000_000_000 {
            return Err(FrameError::Garbage(format!(
                "a time stamp in the future ({t} ns)"
            )));
        }
        Ok(t)
    }

    fn apply(&mut self, frame: ToParent) -> Result<(), FrameError> {
        let w = self.writer;
        match frame {
            ToParent::LaneStart {
                lane,
                parent,
                kind,
                t,
                name,
            } => {
                let parent = self.lane(parent)?;
                if lane as usize != self.lanes.len() || self.lanes.len() >= MAX_CHILD_LANES {
                    return Err(FrameError::Garbage(format!(
                        "a lane numbered {lane} out of turn"
                    )));
                }
                let id = w.new_lane_under(self.time(t)?, kind, name, parent);
                self.lanes.push(Some(id));
            }
            ToParent::LaneEnd { lane, t } => {
                let id = self.lane(lane)?;
                if lane == 0 {
                    return Err(FrameError::Garbage("the end of its own lane".into()));
                }
                w.end_lane(self.time(t)?, id);
                self.lanes[lane as usize] = None;
            }
            ToParent::Begin {
                lane,
                t,
                state,
                label,
            } => w.begin(self.time(t)?, self.lane(lane)?, state, label),
            ToParent::End { lane, t } => w.end(self.time(t)?, self.lane(lane)?),
            ToParent::Span {
                lane,
                start,
                end,
                state,
                label,
            } => {
                if start > end {
                    return Err(FrameError::Garbage(
                        "a span that ends before it starts".into(),
                    ));
                }
                w.span(self.lane(lane)?, state, start, self.time(end)?, label)
            }
            ToParent::Mark {
                lane,
                t,
                name,
                detail,
            } => {
                let name = mark_name(&name)
                    .ok_or_else(|| FrameError::Garbage("too many kinds of mark".into()))?;
                w.mark(self.time(t)?, self.lane(lane)?, name, detail)
            }
            ToParent::Output { lane, t, text } => w.output(self.time(t)?, self.lane(lane)?, text),
            ToParent::Metric { key, value, unit } => w.metric(Metric { key, value, unit }),
            ToParent::Waiting {
                holder,
                timed,
                what,
            } => {
                let holder = (holder != NO_LANE)
                    .then(|| {
                        let children = self.run.children.lock();
                        children.iter().find(|c| c.index == holder).map(|c| c.lane)
                    })
                    .flatten();
                self.waiting = Some((what.clone(), holder, timed));
                self.run
                    .watchdog
                    .set_waiting(self.state.lane, what, holder, timed);
            }
            ToParent::Ready => {
                self.waiting = None;
                self.run.watchdog.clear_waiting(self.state.lane)
            }
            ToParent::Message(bytes) => self.state.inbox.push(Received {
                from: self.state.index,
                lane: self.state.lane,
                bytes,
            }),
            ToParent::Failure(reason) => {
                self.failure.get_or_insert(reason);
            }
            ToParent::Done => self.done = true,
        }
        Ok(())
    }
}
