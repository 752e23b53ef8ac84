//! The cluster: private servers, the queue on them, and the `conlab` processes that serve and
//! work it, each logging into the cluster's temporary folder. Dropped, it kills its processes,
//! then removes its folder, then stops its servers.

use crate::error::ClusterError;
use crate::{folder, interrupt};
use conlab_queue::{Job, Queue, QueueSettings, RunRow, Secret};
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// The scenario the cluster's runs use: two tasks on the event loop that each sleep
/// `sleep_ms`; a run takes about one sleep and almost no CPU, so many workers share two
/// cores without distorting each other.
pub const SCENARIO: &str = "asyncio-two-tasks";

/// A run of [`SCENARIO`] sleeping `sleep_ms`.
pub fn sleep_job(run: &str, sleep_ms: u64) -> Job {
    Job {
        run: run.to_string(),
        scenario: SCENARIO.into(),
        params: [("sleep_ms".to_string(), sleep_ms.to_string())].into(),
    }
}

/// The `conlab` binary to run: `CONLAB_BIN`, else the one beside this program (in the same
/// target folder; a benchmark's or test's `deps/` is looked through).
pub fn conlab_binary() -> Result<PathBuf, ClusterError> {
    if let Some(path) = std::env::var_os("CONLAB_BIN") {
        let path = PathBuf::from(path);
        return if path.is_file() {
            Ok(path)
        } else {
            Err(ClusterError::NoBinary {
                path,
                fix: "cargo build --release -p conlab",
            })
        };
    }
    let exe = std::env::current_exe().map_err(ClusterError::io("finding this program"))?;
    let mut dir = exe.parent().map(Path::to_path_buf).unwrap_or_default();
    if dir.ends_with("deps") {
        dir.pop();
    }
    let path = dir.join("conlab");
    let fix = if dir.ends_with("release") {
        "cargo build --release -p conlab"
    } else {
        "cargo build -p conlab"
    };
    if path.is_file() {
        Ok(path)
    } else {
        Err(ClusterError::NoBinary { path, fix })
    }
}

/// How the cluster's processes are started.
#[derive(Debug, Clone)]
pub struct ClusterOptions {
    /// The `conlab` binary.
    pub binary: PathBuf,
    /// The workers' `--lease-seconds`: how long after a worker's death its run is taken over.
    pub lease: Duration,
    /// The workers' `--grace-seconds`.
    pub grace: Duration,
    /// The workers' (and the server's) `--max-run-seconds`.
    pub max_run: Duration,
    /// Runs the queue holds at most (the server's `--max-queue`, and the cap of
    /// [`Cluster::enqueue`]).
    pub max_queue: u64,
}

impl ClusterOptions {
    /// Defaults for `binary`: a 2 s lease, 5 s of grace, runs of at most 30 s, 100,000 runs
    /// queued at most.
    pub fn new(binary: PathBuf) -> ClusterOptions {
        ClusterOptions {
            binary,
            lease: Duration::from_secs(2),
            grace: Duration::from_secs(5),
            max_run: Duration::from_secs(30),
            max_queue: 100_000,
        }
    }
}

/// A `conlab` process of the cluster.
struct Process {
    name: String,
    child: Child,
    log: PathBuf,
    started: Instant,
}

impl Process {
    fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Kills its process group and reaps it.
    fn kill(&mut self, signal: i32) {
        // SAFETY: a signal to the group of a child this process started and has not reaped.
        unsafe {
            libc::kill(-(self.pid() as i32), signal);
        }
        let _ = self.child.wait();
        interrupt::forget_group(self.pid());
    }
}

/// A worker killed by [`Cluster::kill_worker`].
#[derive(Debug, Clone)]
pub struct KilledWorker {
    /// Its name.
    pub name: String,
    /// Its process id.
    pub pid: u32,
    /// The runs it held when it died: running with its name in the record, and the last run
    /// its log says it started, if not ended.
    pub held: Vec<String>,
}

/// A worker that exited by itself (not killed by the cluster), reaped by
/// [`Cluster::reap_exited_workers`].
#[derive(Debug, Clone)]
pub struct ExitedWorker {
    /// Its name.
    pub name: String,
    /// Its process id.
    pub pid: u32,
    /// How it ended, in words: `killed by signal 9 (SIGKILL)`, `exited with code 1`.
    pub how: String,
    /// Killed by a signal, or stopped as a signal asks (exit code 130), rather than ending
    /// by itself with an error.
    pub by_signal: bool,
    /// How long it had lived.
    pub lived: Duration,
    /// The run its log says it was running when it ended, if any: the queue gives it to a
    /// worker once its lease lapses.
    pub running: Option<String>,
}

/// A worker that is gone: killed or exited, its log still read.
struct Gone {
    name: String,
    log: PathBuf,
    /// `killed`, `exited`: for the logs' headings.
    how: &'static str,
}

/// Private Redis and MariaDB, the queue on them, `conlab worker`s and maybe `conlab serve`.
pub struct Cluster {
    options: ClusterOptions,
    redis: String,
    mysql: String,
    dir: tempfile::TempDir,
    /// The folder's owner file, locked while this process lives (see `folder.rs`).
    _owner: std::fs::File,
    secret_file: PathBuf,
    rt: tokio::runtime::Runtime,
    queue: Queue,
    workers: Vec<Process>,
    /// Killed or exited workers: their logs are still read.
    gone: Vec<Gone>,
    server: Option<Process>,
    enqueued: Vec<String>,
    /// Every process id started, reaped or not.
    pids: Vec<u32>,
    // Dropped last: the servers outlive every process that uses them.
    servers: conlab_servers::Servers,
}

impl Cluster {
    /// Starts private servers (Redis with its append-only file on, so a restart keeps the
    /// stream) and opens the queue on them. No worker yet.
    pub fn start(options: ClusterOptions) -> Result<Cluster, ClusterError> {
        if !options.binary.is_file() {
            return Err(ClusterError::NoBinary {
                path: options.binary.clone(),
                fix: "cargo build --release -p conlab",
            });
        }
        // The private servers' keeper (which stops them should this process be killed
        // outright) is an executable started again with a hidden argument: `conlab` is one,
        // whatever program drives the cluster (a test harness or a benchmark is not).
        conlab_servers::keeper::set_keeper_exe(options.binary.clone());
        let servers = conlab_servers::start_private(conlab_servers::Needs::RedisAndMysql)?;
        let (redis, mysql) = (servers.urls()[0].clone(), servers.urls()[1].clone());
        let (dir, owner) = folder::create()?;
        interrupt::note_folder(dir.path());
        let secret_text = format!(
            "conlab-cluster {} {:?}",
            std::process::id(),
            std::time::SystemTime::now()
        );
        let secret_file = dir.path().join("queue.secret");
        std::fs::write(&secret_file, format!("{secret_text}\n"))
            .map_err(ClusterError::io("writing the queue's secret"))?;
        let secret = Secret::new(secret_text)?;
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(ClusterError::io("starting the cluster's loop"))?;
        let queue = rt.block_on(Queue::open(&QueueSettings {
            redis_url: redis.clone(),
            mysql_url: mysql.clone(),
            secret,
            max_length: options.max_queue,
            prefix: conlab_queue::PREFIX.into(),
        }))?;
        Ok(Cluster {
            options,
            redis,
            mysql,
            dir,
            _owner: owner,
            secret_file,
            rt,
            queue,
            workers: Vec::new(),
            gone: Vec::new(),
            server: None,
            enqueued: Vec::new(),
            pids: Vec::new(),
            servers,
        })
    }

    /// The queue's Redis URL.
    pub fn redis_url(&self) -> &str {
        &self.redis
    }

    /// The record's MySQL URL (with its password: never print it unredacted).
    pub fn mysql_url(&self) -> &str {
        &self.mysql
    }

    /// The cluster's temporary folder: the secret, the processes' logs.
    pub fn dir(&self) -> &Path {
        self.dir.path()
    }

    /// The file holding the secret the server and workers share.
    pub fn secret_file(&self) -> &Path {
        &self.secret_file
    }

    /// How its processes are started.
    pub fn options(&self) -> &ClusterOptions {
        &self.options
    }

    /// The queue, as the server holds it.
    pub fn queue(&self) -> &Queue {
        &self.queue
    }

    /// Runs `f` on the cluster's loop (for the queue's and the record's own calls).
    pub fn block_on<F: std::future::Future>(&self, f: F) -> F::Output {
        self.rt.block_on(f)
    }

    /// A `conlab` command of the cluster's binary, in a process group of its own (Ctrl-C
    /// reaches the harness only) that dies with the harness.
    fn command(&self, log: &Path) -> Result<Command, ClusterError> {
        use std::os::unix::process::CommandExt;
        let log = std::fs::File::create(log)
            .map_err(ClusterError::io(format!("creating {}", log.display())))?;
        let mut command = Command::new(&self.options.binary);
        command
            .env_remove("CONLAB_QUEUE_SECRET")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(log)
            .process_group(0);
        // SAFETY: prctl is async-signal-safe; it only sets this child's parent-death signal,
        // so a harness killed outright (SIGKILL) leaves no worker behind.
        unsafe {
            command.pre_exec(|| {
                libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL);
                Ok(())
            });
        }
        Ok(command)
    }

    fn spawn(&mut self, command: &mut Command, what: &str) -> Result<Child, ClusterError> {
        let child = command
            .spawn()
            .map_err(ClusterError::io(format!("starting {what}")))?;
        interrupt::note_group(child.id());
        self.pids.push(child.id());
        Ok(child)
    }

    /// Every process id the cluster started (workers and server), alive or not.
    pub fn pids(&self) -> &[u32] {
        &self.pids
    }

    /// Starts `conlab worker --name name`, its log in `<name>.log` in the folder.
    pub fn start_worker(&mut self, name: &str) -> Result<(), ClusterError> {
        if self.workers.iter().any(|w| w.name == name) || self.gone.iter().any(|g| g.name == name) {
            return Err(ClusterError::Process(format!(
                "a worker named {name} was started already"
            )));
        }
        self.spawn_worker(name, self.dir.path().join(format!("{name}.log")))
    }

    /// Starts a worker under the name of one that is gone (killed or exited), its log in
    /// `<name>.<n>.log` for its `n`th life. It waits out the lease before taking runs: the
    /// queue counts the dead one alive until a lease after its last beat.
    pub fn start_worker_again(&mut self, name: &str) -> Result<(), ClusterError> {
        if self.workers.iter().any(|w| w.name == name) {
            return Err(ClusterError::Process(format!(
                "worker {name} is still running"
            )));
        }
        let lives = self.gone.iter().filter(|g| g.name == name).count();
        if lives == 0 {
            return Err(ClusterError::Process(format!(
                "no worker named {name} was started before"
            )));
        }
        let log = self.dir.path().join(format!("{name}.{}.log", lives + 1));
        self.spawn_worker(name, log)
    }

    fn spawn_worker(&mut self, name: &str, log: PathBuf) -> Result<(), ClusterError> {
        let mut command = self.command(&log)?;
        command
            .args(["worker", "--queue", &self.redis, "--db", &self.mysql])
            .arg("--secret-file")
            .arg(&self.secret_file)
            .args(["--name", name])
            .args([
                "--lease-seconds",
                &self.options.lease.as_secs_f64().to_string(),
            ])
            .args(["--grace-seconds", &self.options.grace.as_secs().to_string()])
            .args([
                "--max-run-seconds",
                &self.options.max_run.as_secs().max(1).to_string(),
            ]);
        let child = self.spawn(&mut command, &format!("worker {name}"))?;
        self.workers.push(Process {
            name: name.to_string(),
            child,
            log,
            started: Instant::now(),
        });
        Ok(())
    }

    /// Worker `name`'s log (the live one's, else the last one's).
    pub fn worker_log(&self, name: &str) -> Option<PathBuf> {
        self.workers
            .iter()
            .find(|w| w.name == name)
            .map(|w| w.log.clone())
            .or_else(|| {
                self.gone
                    .iter()
                    .rev()
                    .find(|g| g.name == name)
                    .map(|g| g.log.clone())
            })
    }

    /// The names of the workers started and not killed.
    pub fn worker_names(&self) -> Vec<String> {
        self.workers.iter().map(|w| w.name.clone()).collect()
    }

    /// Worker `name`'s process id.
    pub fn worker_pid(&self, name: &str) -> Option<u32> {
        self.workers
            .iter()
            .find(|w| w.name == name)
            .map(Process::pid)
    }

    /// Waits (at most `limit`) until the queue's Redis says `n` workers are alive.
    pub fn wait_workers_alive(&self, n: usize, limit: Duration) -> Result<(), ClusterError> {
        let deadline = Instant::now() + limit;
        loop {
            let alive = self
                .rt
                .block_on(self.queue.stream().workers())
                .map(|w| {
                    w.iter()
                        .filter(|w| w.alive && self.workers.iter().any(|p| p.name == w.name))
                        .count()
                })
                .unwrap_or(0);
            if alive >= n {
                return Ok(());
            }
            if Instant::now() > deadline {
                return Err(ClusterError::Process(format!(
                    "{alive} of {n} workers alive after {limit:?}\n{}",
                    self.log_tails(20)
                )));
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// Kills worker `name` with SIGKILL, reaps it, and says which runs it held.
    pub fn kill_worker(&mut self, name: &str) -> Result<KilledWorker, ClusterError> {
        let at = self
            .workers
            .iter()
            .position(|w| w.name == name)
            .ok_or_else(|| ClusterError::Process(format!("no live worker named {name}")))?;
        let mut process = self.workers.remove(at);
        let pid = process.pid();
        process.kill(libc::SIGKILL);
        self.gone.push(Gone {
            name: process.name.clone(),
            log: process.log.clone(),
            how: "killed",
        });
        // Dead and reaped: what the record says it holds can no longer change by its hand.
        let mut held: BTreeSet<String> = self
            .rows(&self.enqueued)?
            .into_values()
            .filter(|r| {
                r.status == conlab_queue::RunStatus::Running && r.worker.as_deref() == Some(name)
            })
            .map(|r| r.id)
            .collect();
        // And the run its log says it was running: one it claimed in the record and that
        // another worker took over already (its lease had lapsed) is still one it ran.
        let log = crate::outcomes::LogCounts::read(&[process.log.as_path()]);
        held.extend(log.running().map(String::from));
        Ok(KilledWorker {
            name: name.to_string(),
            pid,
            held: held.into_iter().collect(),
        })
    }

    /// Sends `signal` to worker `name` (SIGTERM: it stops cleanly, and exits 130).
    pub fn signal_worker(&self, name: &str, signal: i32) -> Result<(), ClusterError> {
        let pid = self
            .worker_pid(name)
            .ok_or_else(|| ClusterError::Process(format!("no live worker named {name}")))?;
        // SAFETY: a signal to a child this process started and has not reaped.
        unsafe {
            libc::kill(pid as i32, signal);
        }
        Ok(())
    }

    /// Waits (at most `limit`) for worker `name` to exit and reaps it: its exit code (128 +
    /// the signal for one killed by a signal), or `None` if it still runs.
    pub fn wait_worker_exit(&mut self, name: &str, limit: Duration) -> Option<i32> {
        use std::os::unix::process::ExitStatusExt;
        let at = self.workers.iter().position(|w| w.name == name)?;
        let deadline = Instant::now() + limit;
        loop {
            if let Ok(Some(status)) = self.workers[at].child.try_wait() {
                let process = self.workers.remove(at);
                interrupt::forget_group(process.pid());
                self.gone.push(Gone {
                    name: process.name,
                    log: process.log,
                    how: "exited",
                });
                return status.code().or(status.signal().map(|s| 128 + s));
            }
            if Instant::now() > deadline {
                return None;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// Runs `conlab ARGS` (`runs --db …`, `workers --queue …`) to its end: its output.
    pub fn conlab(&self, args: &[&str]) -> Result<String, ClusterError> {
        let out = Command::new(&self.options.binary)
            .args(args)
            .stdin(Stdio::null())
            .output()
            .map_err(ClusterError::io(format!(
                "running conlab {}",
                args.join(" ")
            )))?;
        if !out.status.success() {
            return Err(ClusterError::Process(format!(
                "conlab {} ended {}: {}",
                args.first().copied().unwrap_or(""),
                out.status,
                String::from_utf8_lossy(&out.stderr).trim()
            )));
        }
        Ok(String::from_utf8_lossy(&out.stdout).into_owned())
    }

    /// Restarts the private Redis in place (same port, same append-only file).
    pub fn restart_redis(&mut self) -> Result<Duration, ClusterError> {
        let started = Instant::now();
        let url = self.redis.clone();
        self.servers.restart(&url)?;
        Ok(started.elapsed())
    }

    /// Restarts the private MariaDB in place (same port, same data).
    pub fn restart_mysql(&mut self) -> Result<Duration, ClusterError> {
        let started = Instant::now();
        let url = self.mysql.clone();
        self.servers.restart(&url)?;
        Ok(started.elapsed())
    }

    /// Starts `conlab serve --queue … --db …` on `bind` (`127.0.0.1:0`: any free port) and
    /// returns the page's URL, as the server prints it.
    pub fn serve(&mut self, bind: &str) -> Result<String, ClusterError> {
        use std::io::BufRead;
        if self.server.is_some() {
            return Err(ClusterError::Process(
                "the server is started already".into(),
            ));
        }
        let log = self.dir.path().join("serve.log");
        let mut command = self.command(&log)?;
        command
            .args(["serve", "--bind", bind])
            .args(["--queue", &self.redis, "--db", &self.mysql])
            .arg("--secret-file")
            .arg(&self.secret_file)
            .arg("--store")
            .arg(self.dir.path().join("served"))
            .args(["--max-queue", &self.options.max_queue.to_string()])
            .args([
                "--max-run-seconds",
                &self.options.max_run.as_secs().max(1).to_string(),
            ])
            .stdout(Stdio::piped());
        let mut child = self.spawn(&mut command, "conlab serve")?;
        let stdout = child.stdout.take();
        self.server = Some(Process {
            name: "serve".into(),
            child,
            log: log.clone(),
            started: Instant::now(),
        });
        let mut out = std::io::BufReader::new(
            stdout.ok_or_else(|| ClusterError::Process("conlab serve has no output".into()))?,
        );
        let mut line = String::new();
        let _ = out.read_line(&mut line);
        // The rest is read too: a closed pipe would end the server at its next line.
        std::thread::spawn(move || std::io::copy(&mut out, &mut std::io::sink()));
        match line.trim().strip_prefix("conlab serve: ") {
            Some(url) if url.starts_with("http") => Ok(url.to_string()),
            _ => Err(ClusterError::Process(format!(
                "conlab serve did not start: {}{}",
                line.trim(),
                std::fs::read_to_string(&log).unwrap_or_default()
            ))),
        }
    }

    /// The processes that exited by themselves (not killed by the cluster), with how.
    pub fn exited(&mut self) -> Vec<String> {
        self.workers
            .iter_mut()
            .chain(self.server.as_mut())
            .filter_map(|p| {
                let status = p.child.try_wait().ok()??;
                Some(format!("{}: {status}", p.name))
            })
            .collect()
    }

    /// The workers that exited by themselves (not killed by the cluster) since the last call,
    /// reaped: their names are free for [`Cluster::start_worker_again`].
    pub fn reap_exited_workers(&mut self) -> Vec<ExitedWorker> {
        let mut exited = Vec::new();
        let mut at = 0;
        while at < self.workers.len() {
            let Ok(Some(status)) = self.workers[at].child.try_wait() else {
                at += 1;
                continue;
            };
            let process = self.workers.remove(at);
            interrupt::forget_group(process.pid());
            let running = crate::outcomes::LogCounts::read(&[process.log.as_path()])
                .running()
                .map(String::from);
            let (how, by_signal) = exit_in_words(status);
            exited.push(ExitedWorker {
                name: process.name.clone(),
                pid: process.pid(),
                how,
                by_signal,
                lived: process.started.elapsed(),
                running,
            });
            self.gone.push(Gone {
                name: process.name,
                log: process.log,
                how: "exited",
            });
        }
        exited
    }

    /// How `conlab serve` ended, in words, if it has (it stays noted: it is not reaped).
    pub fn server_exit(&mut self) -> Option<String> {
        let server = self.server.as_mut()?;
        let status = server.child.try_wait().ok()??;
        Some(exit_in_words(status).0)
    }

    /// Records `job` as queued and adds it to the stream, as `conlab serve --queue` does.
    pub fn enqueue(&mut self, job: &Job) -> Result<(), ClusterError> {
        self.rt.block_on(self.queue.enqueue(job))?;
        self.enqueued.push(job.run.clone());
        Ok(())
    }

    /// Every run enqueued through [`Cluster::enqueue`], in order.
    pub fn enqueued(&self) -> &[String] {
        &self.enqueued
    }

    /// The runs named, as the record holds them, by id (unknown ones left out).
    pub fn rows(&self, ids: &[String]) -> Result<BTreeMap<String, RunRow>, ClusterError> {
        let mut rows = BTreeMap::new();
        // A few hundred bound parameters a statement.
        for chunk in ids.chunks(500) {
            for row in self.rt.block_on(self.queue.record().rows(chunk))? {
                rows.insert(row.id.clone(), row);
            }
        }
        Ok(rows)
    }

    /// How many of the runs named have ended (done, failed or stopped).
    pub fn ended(&self, ids: &[String]) -> Result<usize, ClusterError> {
        Ok(self
            .rows(ids)?
            .values()
            .filter(|r| r.status.ended())
            .count())
    }

    /// The logs of every worker started, killed ones included.
    pub fn worker_logs(&self) -> Vec<PathBuf> {
        self.gone
            .iter()
            .map(|g| g.log.clone())
            .chain(self.workers.iter().map(|w| w.log.clone()))
            .collect()
    }

    /// The last `lines` lines of every process's log, for a failure's message.
    pub fn log_tails(&self, lines: usize) -> String {
        let named = self
            .gone
            .iter()
            .map(|g| (format!("{} ({})", g.name, g.how), g.log.clone()))
            .chain(self.workers.iter().map(|w| (w.name.clone(), w.log.clone())))
            .chain(self.server.iter().map(|s| (s.name.clone(), s.log.clone())));
        named
            .map(|(name, log)| {
                let text = std::fs::read_to_string(&log).unwrap_or_default();
                let tail: Vec<&str> = text.lines().rev().take(lines).collect();
                let tail: Vec<&str> = tail.into_iter().rev().collect();
                format!("--- {name}\n{}", tail.join("\n"))
            })
            .collect::<Vec<_>>()
            .join("\n")
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        for process in self.workers.iter_mut().chain(self.server.as_mut()) {
            process.kill(libc::SIGKILL);
        }
        interrupt::forget_folder(self.dir.path());
        // Then the folder (TempDir) and the servers go, in field order.
    }
}

/// How a process ended, in words (`killed by signal 9 (SIGKILL)`, `exited with code 1`), and
/// whether a signal ended it (killed by one, or exit code 130: stopped as SIGTERM or Ctrl-C
/// asks).
pub(crate) fn exit_in_words(status: std::process::ExitStatus) -> (String, bool) {
    use std::os::unix::process::ExitStatusExt;
    if let Some(signal) = status.signal() {
        let name = match signal {
            libc::SIGHUP => " (SIGHUP)",
            libc::SIGINT => " (SIGINT)",
            libc::SIGQUIT => " (SIGQUIT)",
            libc::SIGABRT => " (SIGABRT)",
            libc::SIGKILL => " (SIGKILL)",
            libc::SIGSEGV => " (SIGSEGV)",
            libc::SIGTERM => " (SIGTERM)",
            _ => "",
        };
        return (format!("killed by signal {signal}{name}"), true);
    }
    match status.code() {
        Some(0) => ("exited with code 0".into(), false),
        Some(130) => (
            "stopped (exit code 130, as after SIGTERM or Ctrl-C)".into(),
            true,
        ),
        Some(code) => (format!("exited with code {code}"), false),
        None => (format!("ended ({status})"), false),
    }
}
