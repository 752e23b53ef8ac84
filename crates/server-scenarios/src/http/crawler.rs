//! crawler: the same files downloaded four ways from a slow server (conlab's test server,
//! which answers each after `latency_ms`): one after the other with a blocking client, a
//! thread per file with the blocking client, tasks on the event loop sharing one pool of
//! kept-alive connections (at most 100 open, as aiohttp's default), and the blocking client
//! handed to the loop's executor (`spawn_blocking`, as `run_in_executor` does). Each download
//! is a lane with its connect, request in flight and body read; each file is written to a
//! temporary folder and then read back and checked (length and CRC-32) against the file the
//! server generates.

use conlab_core::{
    Checks, EventWriter, LaneCtx, LaneId, LaneKind, Nanos, Params, ScenarioError, SpanState, Text,
};
use conlab_http::blocking::{self, Progress};
use conlab_http::pool::Pool;
use conlab_http::response::Head;
use conlab_http::{content, upload, TestServer};
use conlab_tokio::scratch::ScratchDir;
use conlab_tokio::{open_files, NativeClock, TokioRuntime};
use std::cell::Cell;
use std::io::Write;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::rc::Rc;
use std::time::Duration;

/// How the files are downloaded, in the order the run tries them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    Sequential,
    Threads,
    Async,
    Executor,
}

const MODES: [Mode; 4] = [Mode::Sequential, Mode::Threads, Mode::Async, Mode::Executor];

impl Mode {
    fn name(self) -> &'static str {
        match self {
            Mode::Sequential => "sequential",
            Mode::Threads => "threads",
            Mode::Async => "async",
            Mode::Executor => "executor",
        }
    }

    fn lane_kind(self) -> LaneKind {
        match self {
            Mode::Sequential => LaneKind::Connection,
            Mode::Threads => LaneKind::Thread,
            Mode::Async => LaneKind::Task,
            Mode::Executor => LaneKind::Worker,
        }
    }

    /// How many downloads run at once: the async pool's limit, the executor's threads.
    fn width(self, files: usize) -> usize {
        match self {
            Mode::Sequential => 1,
            Mode::Threads => files,
            Mode::Async => POOL_LIMIT,
            Mode::Executor => EXECUTOR_THREADS,
        }
    }
}

/// Connections the async mode's pool opens at most (aiohttp's default limit).
const POOL_LIMIT: usize = 100;
/// Threads of tokio's blocking pool (its default), which `spawn_blocking` runs on.
const EXECUTOR_THREADS: usize = 512;
/// Bytes a mode may write to the temporary folder (each mode's files are removed after it).
const MAX_BYTES_PER_MODE: u64 = 1 << 30;
/// How long any one step of a download may wait.
const STEP_LIMIT: Duration = Duration::from_secs(60);
/// What one download may cost beyond its latency and its bytes (a thread started, a
/// connection set up, a file created, written, read back and checked).
const PER_FILE: Nanos = 2_000_000;
/// Open files one download holds at once: its socket, the server's side, the file.
const FILES_PER_DOWNLOAD: u64 = 3;
/// Stack of a download thread (the client's buffer is on the heap).
const THREAD_STACK: usize = 256 * 1024;

struct Plan {
    files: usize,
    latency: Duration,
    size: u64,
}

impl Plan {
    fn new(p: &Params) -> Plan {
        Plan {
            files: p.usize("files"),
            latency: p.duration("latency_ms"),
            size: p.count("size_kb") as u64 * 1024,
        }
    }

    fn name(&self, i: usize) -> String {
        format!("file-{i}.txt")
    }

    /// In microseconds: a latency scaled by time-scale can be a fraction of a millisecond.
    fn path(&self, i: usize) -> String {
        format!(
            "/files/{}?size={}&latency_us={}",
            self.name(i),
            self.size,
            self.latency.as_micros()
        )
    }
}

/// Why it cannot run with these parameters: more bytes than a mode may write, or more
/// downloads at once than the process may hold files open for.
pub fn unavailable(params: &Params) -> Option<String> {
    let plan = Plan::new(params);
    let bytes = plan.files as u64 * plan.size;
    if bytes > MAX_BYTES_PER_MODE {
        return Some(format!(
            "files={} × size_kb={} is {} MB per mode, more than the {} MB a mode may write to \
             the temporary folder; lower files or size_kb",
            plan.files,
            plan.size / 1024,
            bytes >> 20,
            MAX_BYTES_PER_MODE >> 20
        ));
    }
    open_files::FilesNeed {
        param: "files",
        value: plan.files as u64,
        lowest: conlab_core::catalog::lowest("crawler", "files"),
        each: FILES_PER_DOWNLOAD,
        besides: 0,
        why: "the threads mode downloads them all at once: two sockets and the file written each",
        otherwise: None,
    }
    .refusal()
}

/// Runs the scenario.
pub async fn run(main: LaneCtx<TokioRuntime>) -> Result<(), ScenarioError> {
    let plan = Rc::new(Plan::new(main.params()));
    open_files::raise_to_hard_limit();
    let server = TestServer::start_async()
        .await
        .map_err(|e| ScenarioError::failed(format!("conlab's test server: {e}")))?;
    let folder = ScratchDir::create("conlab-crawler-")
        .map_err(|e| ScenarioError::failed(format!("no temporary folder: {e}")))?;
    main.print(format!(
        "{} of {} KB from {}, each answered after {}, saved under {}",
        conlab_core::count_of(plan.files, "file", "files"),
        plan.size / 1024,
        server.url("/files/…"),
        conlab_core::ms(plan.latency.as_nanos() as conlab_core::Nanos),
        folder.path().display()
    ));
    for mode in MODES {
        let dir = folder.path().join(mode.name());
        std::fs::create_dir(&dir)
            .map_err(|e| ScenarioError::failed(format!("{}: {e}", dir.display())))?;
        main.phase_start(mode.name());
        let lanes: Vec<LaneId> = (0..plan.files)
            .map(|i| {
                main.writer().new_lane(
                    main.now(),
                    mode.lane_kind(),
                    format!("{} {}", mode.name(), plan.name(i)),
                )
            })
            .collect();
        let start = main.now();
        let outcomes = download_all(&main, mode, &plan, server.addr(), &dir, &lanes).await;
        let took = main.now() - start;
        main.phase_end(mode.name());
        let mut ok = 0;
        let mut failures = Vec::new();
        for (i, outcome) in outcomes.into_iter().enumerate() {
            let verdict = outcome.and_then(|()| verify(&plan, i, &dir.join(plan.name(i))));
            match verdict {
                Ok(detail) => {
                    ok += 1;
                    main.writer()
                        .mark(main.now(), lanes[i], "verified", Text::from(detail));
                }
                Err(why) => {
                    main.writer()
                        .mark(main.now(), lanes[i], "damaged", Text::from(why.clone()));
                    failures.push(format!("{}: {why}", plan.name(i)));
                }
            }
            main.writer().end_lane(main.now(), lanes[i]);
        }
        main.mark(
            "phase_done",
            Text::from(format!("{} {ok} {took}", mode.name())),
        );
        main.metric(
            &format!("makespan_{}_ms", mode.name()),
            took as f64 / 1e6,
            "ms",
        );
        main.print(format!(
            "{:<10} {ok}/{} files intact in {}",
            mode.name(),
            plan.files,
            conlab_core::ms(took)
        ));
        let _ = std::fs::remove_dir_all(&dir);
        if let Some(first) = failures.first() {
            return Err(ScenarioError::failed(format!(
                "{}: {} of {} downloads failed; first: {first}",
                mode.name(),
                failures.len(),
                plan.files
            )));
        }
    }
    Ok(())
}

/// Downloads every file the way `mode` does; one outcome per file, in order.
async fn download_all(
    main: &LaneCtx<TokioRuntime>,
    mode: Mode,
    plan: &Rc<Plan>,
    addr: SocketAddr,
    dir: &Path,
    lanes: &[LaneId],
) -> Vec<Result<(), String>> {
    let clock = *main.runtime().clock();
    let job = |i: usize| Job {
        addr,
        path: plan.path(i),
        file: dir.join(plan.name(i)),
        lane: lanes[i],
        writer: main.writer().sibling(),
        clock,
    };
    match mode {
        Mode::Sequential => {
            // A program without concurrency: one thread, one download after the other.
            let jobs: Vec<Job> = (0..plan.files).map(job).collect();
            let thread = std::thread::Builder::new()
                .name("crawler-sequential".into())
                .spawn(move || jobs.into_iter().map(Job::run).collect::<Vec<_>>());
            match thread {
                Ok(thread) => {
                    off_loop(move || {
                        thread
                            .join()
                            .unwrap_or_else(|_| vec![Err("the download thread panicked".into())])
                    })
                    .await
                }
                Err(e) => vec![Err(format!("no thread: {e}"))],
            }
        }
        Mode::Threads => {
            let mut threads = Vec::with_capacity(plan.files);
            for i in 0..plan.files {
                let job = job(i);
                let started = std::thread::Builder::new()
                    .name(format!("crawler-{}", i + 1))
                    .stack_size(THREAD_STACK)
                    .spawn(move || job.run());
                threads.push(started.map_err(|e| format!("no thread: {e}")));
            }
            off_loop(move || {
                threads
                    .into_iter()
                    .map(|t| {
                        t.and_then(|t| {
                            t.join()
                                .unwrap_or_else(|_| Err("the thread panicked".into()))
                        })
                    })
                    .collect()
            })
            .await
        }
        Mode::Executor => {
            let handles: Vec<_> = (0..plan.files)
                .map(|i| {
                    let job = job(i);
                    tokio::task::spawn_blocking(move || job.run())
                })
                .collect();
            let mut outcomes = Vec::with_capacity(handles.len());
            for h in handles {
                outcomes.push(
                    h.await
                        .unwrap_or_else(|e| Err(format!("the executor call failed: {e}"))),
                );
            }
            outcomes
        }
        Mode::Async => {
            let pool = Rc::new(Pool::new(addr, POOL_LIMIT));
            let host = addr.to_string();
            let handles: Vec<_> = (0..plan.files)
                .map(|i| {
                    let (pool, host, path, file, lane) = (
                        pool.clone(),
                        host.clone(),
                        plan.path(i),
                        dir.join(plan.name(i)),
                        lanes[i],
                    );
                    let main = main.clone();
                    tokio::task::spawn_local(async move {
                        download_async(&main, &pool, &host, &path, &file, lane).await
                    })
                })
                .collect();
            let mut outcomes = Vec::with_capacity(handles.len());
            for h in handles {
                outcomes.push(
                    h.await
                        .unwrap_or_else(|e| Err(format!("the task failed: {e}"))),
                );
            }
            main.print(format!(
                "async: the pool opened {} connections",
                pool.opened()
            ));
            outcomes
        }
    }
}

/// Waits on the loop for blocking work done by `f` on a thread of its own.
async fn off_loop<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> T {
    let (tx, rx) = tokio::sync::oneshot::channel();
    std::thread::spawn(move || {
        let _ = tx.send(f());
    });
    rx.await.expect("the waiting thread sends its result")
}

/// One blocking download, recorded on its lane.
struct Job {
    addr: SocketAddr,
    path: String,
    file: PathBuf,
    lane: LaneId,
    writer: EventWriter,
    clock: NativeClock,
}

/// Records the steps of a blocking download as they happen and writes its body to the file.
struct Steps<'a> {
    job: &'a Job,
    step_start: Nanos,
    out: std::io::BufWriter<std::fs::File>,
    write_error: Option<std::io::Error>,
}

impl Progress for Steps<'_> {
    fn connected(&mut self) {
        let now = self.job.clock.now();
        self.job.writer.span(
            self.job.lane,
            SpanState::Connecting,
            self.step_start,
            now,
            "connect",
        );
        self.step_start = now;
    }
    fn head(&mut self, head: &Head) {
        let now = self.job.clock.now();
        let label = Text::from(format!("GET → {}", head.status));
        self.job.writer.span(
            self.job.lane,
            SpanState::InFlight,
            self.step_start,
            now,
            label,
        );
        self.step_start = now;
    }
    fn body(&mut self, bytes: &[u8]) {
        if self.write_error.is_none() {
            if let Err(e) = self.out.write_all(bytes) {
                self.write_error = Some(e);
            }
        }
    }
}

impl Job {
    fn run(self) -> Result<(), String> {
        let file = std::fs::File::create(&self.file)
            .map_err(|e| format!("{}: {e}", self.file.display()))?;
        let mut steps = Steps {
            job: &self,
            step_start: self.clock.now(),
            out: std::io::BufWriter::with_capacity(64 * 1024, file),
            write_error: None,
        };
        let outcome = blocking::get(
            self.addr,
            &self.addr.to_string(),
            &self.path,
            STEP_LIMIT,
            &mut steps,
        );
        let end = self.clock.now();
        self.writer.span(
            self.lane,
            SpanState::BlockedIo,
            steps.step_start,
            end,
            "body",
        );
        let (head, _) = outcome.map_err(|e| e.to_string())?;
        if let Some(e) = steps.write_error.take() {
            return Err(format!("writing the file: {e}"));
        }
        steps
            .out
            .flush()
            .map_err(|e| format!("writing the file: {e}"))?;
        match head.status {
            200 => Ok(()),
            s => Err(format!("HTTP {s}")),
        }
    }
}

/// One download on the loop: a connection from the pool (waiting while it is full), the
/// request, the body written to the file as it arrives.
async fn download_async(
    main: &LaneCtx<TokioRuntime>,
    pool: &Pool,
    host: &str,
    path: &str,
    file: &Path,
    lane: LaneId,
) -> Result<(), String> {
    let writer = main.writer();
    let mut step = main.now();
    let full = pool.is_full();
    let room = pool.wait_for_room().await;
    if full {
        let now = main.now();
        writer.span(
            lane,
            SpanState::PoolWait,
            step,
            now,
            "wait for a connection",
        );
        step = now;
    }
    let mut taken = tokio::time::timeout(STEP_LIMIT, pool.take(room))
        .await
        .map_err(|_| "connect: timed out".to_string())?
        .map_err(|e| e.to_string())?;
    if taken.opened {
        let now = main.now();
        writer.span(lane, SpanState::Connecting, step, now, "connect");
        step = now;
    }
    let out = std::fs::File::create(file).map_err(|e| format!("{}: {e}", file.display()))?;
    let mut out = std::io::BufWriter::with_capacity(64 * 1024, out);
    let mut write_error = None;
    let head_at = Cell::new(None);
    let request = upload::get_request(host, path);
    let exchange = taken.conn.exchange(
        &request,
        false,
        |head| head_at.set(Some((main.now(), head.status))),
        |bytes| {
            if write_error.is_none() {
                if let Err(e) = out.write_all(bytes) {
                    write_error = Some(e);
                }
            }
        },
    );
    let outcome = tokio::time::timeout(STEP_LIMIT, exchange).await;
    let end = main.now();
    let body_from = match head_at.get() {
        Some((at, status)) => {
            writer.span(
                lane,
                SpanState::InFlight,
                step,
                at,
                Text::from(format!("GET → {status}")),
            );
            at
        }
        None => step,
    };
    writer.span(lane, SpanState::BlockedIo, body_from, end, "body");
    let response = outcome
        .map_err(|_| "timed out".to_string())?
        .map_err(|e| e.to_string())?;
    pool.put_back(taken);
    if let Some(e) = write_error {
        return Err(format!("writing the file: {e}"));
    }
    out.flush().map_err(|e| format!("writing the file: {e}"))?;
    match response.head.status {
        200 => Ok(()),
        s => Err(format!("HTTP {s}")),
    }
}

/// Reads a saved file back and compares its length and CRC-32 with the file the server
/// generates: the detail for the `verified` mark, or why it is damaged.
fn verify(plan: &Plan, i: usize, file: &Path) -> Result<String, String> {
    let name = plan.name(i);
    let mut hasher = crc32fast::Hasher::new();
    let mut length = 0u64;
    let mut input = std::fs::File::open(file).map_err(|e| format!("{}: {e}", file.display()))?;
    let mut block = vec![0u8; 64 * 1024];
    loop {
        let n = std::io::Read::read(&mut input, &mut block)
            .map_err(|e| format!("reading it back: {e}"))?;
        if n == 0 {
            break;
        }
        hasher.update(&block[..n]);
        length += n as u64;
    }
    let (crc, expected) = (hasher.finalize(), content::crc32(&name, plan.size));
    if length == plan.size && crc == expected {
        Ok(format!("{name} {length} {crc:08x}"))
    } else {
        Err(format!(
            "{length} bytes, CRC-32 {crc:08x}; the server's file is {} bytes, CRC-32 {expected:08x}",
            plan.size
        ))
    }
}

/// Checks, from the phases and the `verified` marks: every file of every mode arrived intact;
/// the sequential mode took at least every latency one after the other; the concurrent modes
/// took a latency per wave of downloads they run at once (all at once for threads, 100 at a
/// time for the async pool, 512 for the executor), plus no more than twice the work besides
/// latency that the sequential mode did one download after the other, and a little per file.
pub fn checks(c: &mut Checks) {
    let t = c.trace;
    let plan = Plan::new(c.params);
    let phases = crate::checks::phases(t);
    let verified = t.marks_named("verified").count();
    let damaged: Vec<&str> = t
        .marks_named("damaged")
        .map(|m| m.detail.as_str())
        .take(3)
        .collect();
    c.check(
        "files-intact",
        "every file of every mode was saved whole: its length and CRC-32 match the server's file",
        verified == plan.files * MODES.len()
            && damaged.is_empty()
            && phases.iter().all(|p| p.1 == plan.files),
        format!(
            "{verified} of {} files verified; {}",
            plan.files * MODES.len(),
            if damaged.is_empty() {
                crate::checks::phases_text(&phases)
            } else {
                damaged.join("; ")
            }
        ),
    );
    // Each mode's time, from its phase (every mode must have run: a missing one reads as
    // taking forever).
    let times: Vec<Option<Nanos>> = MODES.iter().map(|m| c.phase_length(m.name())).collect();
    let took = |mode: Mode| MODES.iter().position(|m| *m == mode).and_then(|i| times[i]);
    let latency = plan.latency.as_nanos() as Nanos;
    let n = plan.files as Nanos;
    // What the downloads cost besides waiting for the server, measured one after the other:
    // the sequential mode's time beyond its latencies (connections, the server generating the
    // files, the bytes, the files written).
    let seq = took(Mode::Sequential);
    let work = seq.map_or(0, |s| s.saturating_sub(latency * n));
    c.time(
        "sequential-adds-up",
        "one after the other, the downloads take at least the sum of their latencies",
        seq.unwrap_or(0),
    )
    .at_least(plan.latency * plan.files as u32)
    .unlike(plan.latency, "the downloads at once")
    .judge();
    for mode in [Mode::Threads, Mode::Async, Mode::Executor] {
        let width = mode.width(plan.files);
        let waves = plan.files.div_ceil(width) as u32;
        let how = match waves {
            1 => String::new(),
            w => format!("{w} waves of {width} downloads, a latency each; "),
        };
        let got = took(mode).unwrap_or(Nanos::MAX);
        c.time(
            match mode {
                Mode::Threads => "threads-overlap",
                Mode::Async => "async-overlaps",
                _ => "executor-overlaps",
            },
            match mode {
                Mode::Threads => "with a thread per file the downloads overlap: ~ one latency",
                Mode::Async => "with an async client the downloads overlap: ~ one latency per 100 files (its pool's limit)",
                _ => "the blocking client in the executor overlaps too: ~ one latency per 512 files (its threads)",
            },
            got,
        )
        .about(plan.latency * waves)
        // Done at once on two cores, the work besides latency may take up to twice as long as
        // in a row.
        .plus(
            2 * work + n * PER_FILE,
            format!(
                "{how}twice the {} the downloads took besides their latency, one after the other",
                conlab_core::ms(work)
            ),
        )
        .unlike(
            plan.latency * plan.files as u32,
            "the downloads one after the other",
        )
        .judge();
    }
}

/// About how long a run takes: every latency one after the other, then a wave of latencies
/// per mode, and the bytes four times at a few hundred MB/s.
pub fn expected(p: &Params) -> Duration {
    let plan = Plan::new(p);
    let waves: u32 = [Mode::Threads, Mode::Async, Mode::Executor]
        .iter()
        .map(|m| plan.files.div_ceil(m.width(plan.files)) as u32)
        .sum();
    let bytes = plan.files as f64 * plan.size as f64 * MODES.len() as f64;
    plan.latency * (plan.files as u32 + waves)
        + Duration::from_secs_f64(bytes / 300e6)
        + Duration::from_nanos(PER_FILE * plan.files as u64 * 2)
}

/// This file: the code that runs, shown beside its timeline on the playground.
pub const SOURCE: &str = file!();
