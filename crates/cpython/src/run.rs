//! One lesson run under CPython: the Python files written to a scratch folder, the tracer
//! started on the lesson's program in a process group of its own, its trace read back.

use crate::python::{find_python, NoPython, Python};
use conlab_core::{RuntimeKind, Status, Trace};
use std::collections::BTreeMap;
use std::io::{BufRead, BufReader};
use std::os::unix::process::CommandExt;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// What to run.
#[derive(Debug, Clone)]
pub struct Launch {
    /// The lesson.
    pub scenario: String,
    /// Every parameter, as conlab writes it (`sleeps_ms` = `300,100,200`).
    pub params: BTreeMap<String, String>,
    /// How long it may take: past it the tracer ends the run *timed out*, and a program that
    /// does not let it is killed a grace period later.
    pub limit: Duration,
    /// The most events it may record before the tracer ends it *refused*.
    pub max_events: Option<usize>,
    /// Where its slow requests go (conlab's test server, `127.0.0.1:port`), for lessons that
    /// send them.
    pub test_server: Option<String>,
    /// More of the program's environment: where the servers of a lesson against Redis or
    /// MySQL are (`CONLAB_REDIS_URLS`, `CONLAB_MYSQL_URLS`) and the run id the names of what
    /// it creates there carry (`CONLAB_RUN_ID`).
    pub env: Vec<(String, String)>,
}

/// Why a run could not start.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    /// No Python to run it.
    #[error(transparent)]
    NoPython(#[from] NoPython),
    /// The lesson has no Python program.
    #[error("`{0}` has no Python program yet")]
    NoProgram(String),
    /// Its files or its process could not be made.
    #[error("could not start the Python run: {0}")]
    Io(String),
}

/// How long a program may outlive its time limit before it is killed: the tracer ends it at
/// the limit, and writing a large trace takes a while.
const GRACE: Duration = Duration::from_secs(15);

/// A lesson running under CPython.
pub struct CpythonRun {
    child: Child,
    // Removed, with everything the run wrote, when the run is dropped.
    _dir: tempfile::TempDir,
    out: PathBuf,
    stderr: Option<JoinHandle<Vec<String>>>,
    launch: Launch,
    python: Python,
    started: Instant,
}

impl CpythonRun {
    /// Starts `launch` with the Python [`find_python`] finds.
    pub fn start(launch: Launch) -> Result<CpythonRun, StartError> {
        let python = find_python()?;
        CpythonRun::start_with(python, launch)
    }

    /// Starts `launch` with `python`.
    pub fn start_with(python: Python, launch: Launch) -> Result<CpythonRun, StartError> {
        let program = crate::program(&launch.scenario)
            .ok_or_else(|| StartError::NoProgram(launch.scenario.clone()))?;
        let io = |e: std::io::Error| StartError::Io(e.to_string());
        let dir = tempfile::Builder::new()
            .prefix("conlab-cpython-")
            .tempdir()
            .map_err(io)?;
        // As `python/` in the repository, so the trace's lines of code name the files the
        // page and the repository show.
        let root = dir.path().join("python");
        for (path, text) in crate::files::FILES {
            let file = root.join(path);
            if let Some(folder) = file.parent() {
                std::fs::create_dir_all(folder).map_err(io)?;
            }
            std::fs::write(&file, text).map_err(io)?;
        }
        let out = dir.path().join("trace.json");
        let mut command = Command::new(&python.program);
        command
            .arg("-m")
            .arg("conlab_trace")
            .arg(root.join(program))
            .args(["--scenario", &launch.scenario])
            .arg("--out")
            .arg(&out)
            .arg("--limit-ms")
            .arg(launch.limit.as_millis().max(1).to_string());
        for (name, value) in &launch.params {
            command.arg("--param").arg(format!("{name}={value}"));
        }
        if let Some(max) = launch.max_events {
            command.arg("--max-events").arg(max.to_string());
        }
        if let Some(server) = &launch.test_server {
            command.env("CONLAB_TEST_SERVER", server);
        }
        command.envs(launch.env.iter().map(|(k, v)| (k, v)));
        let mut child = command
            .current_dir(dir.path())
            .env("PYTHONPATH", &root)
            .env("PYTHONDONTWRITEBYTECODE", "1")
            // Its own group: a terminal's Ctrl-C reaches conlab, which stops the run
            // (the tracer then writes what it recorded); the group is ended at the end, so
            // no child process of the program outlives the run.
            .process_group(0)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .map_err(|e| StartError::Io(format!("{}: {e}", python.program.display())))?;
        let stderr = child.stderr.take().map(|pipe| {
            std::thread::spawn(move || {
                // The last lines are what says why a run failed.
                let mut last = Vec::new();
                for line in BufReader::new(pipe).lines().map_while(Result::ok) {
                    if last.len() == 20 {
                        last.remove(0);
                    }
                    last.push(line);
                }
                last
            })
        });
        Ok(CpythonRun {
            child,
            _dir: dir,
            out,
            stderr,
            launch,
            python,
            started: Instant::now(),
        })
    }

    /// The Python running it.
    pub fn python(&self) -> &Python {
        &self.python
    }

    /// Asks it to stop: the tracer ends the run *stopped* and writes what it recorded.
    pub fn stop(&self) {
        terminate(self.child.id());
    }

    /// What stops it from another thread (a Ctrl-C handler), as [`CpythonRun::stop`] does.
    pub fn stopper(&self) -> impl FnOnce() + Send + 'static {
        let pid = self.child.id();
        move || terminate(pid)
    }

    /// Whether it has ended.
    pub fn is_finished(&mut self) -> bool {
        !matches!(self.child.try_wait(), Ok(None))
    }

    /// Waits for its end and returns its trace as the tracer wrote it (no checks yet), or a
    /// failed one that says why there is none.
    pub fn wait(mut self) -> Trace {
        let deadline = self.launch.limit + GRACE;
        let status = loop {
            match self.child.try_wait() {
                Ok(Some(status)) => break Some(status),
                Ok(None) if self.started.elapsed() > deadline => {
                    kill_group(self.child.id());
                    break self.child.wait().ok();
                }
                Ok(None) => std::thread::sleep(Duration::from_millis(20)),
                Err(_) => break None,
            }
        };
        // Whatever the program started and left behind goes with it.
        kill_group(self.child.id());
        let stderr = self
            .stderr
            .take()
            .and_then(|h| h.join().ok())
            .unwrap_or_default();
        let text = std::fs::read_to_string(&self.out);
        match text.map(|t| Trace::from_json(&t)) {
            Ok(Ok(trace)) => trace,
            Ok(Err(e)) => self.failed(format!("its trace could not be read: {e}")),
            Err(_) => {
                let why = stderr
                    .iter()
                    .rev()
                    .find(|l| !l.trim().is_empty())
                    .cloned()
                    .unwrap_or_else(|| match status {
                        Some(s) => format!("the Python run ended ({s}) without a trace"),
                        None => "the Python run ended without a trace".into(),
                    });
                self.failed(why)
            }
        }
    }

    fn failed(&self, reason: String) -> Trace {
        Trace {
            schema: conlab_core::SCHEMA.to_string(),
            scenario: self.launch.scenario.clone(),
            runtime: RuntimeKind::Cpython,
            params: self.launch.params.clone(),
            recorded_at: None,
            host: None,
            cores: None,
            interpreter: None,
            status: Status::Failed { reason },
            end: self.started.elapsed().as_nanos() as u64,
            lanes: Vec::new(),
            spans: Vec::new(),
            marks: Vec::new(),
            output: Vec::new(),
            metrics: Default::default(),
            checks: Vec::new(),
            sites: Vec::new(),
            charts: Vec::new(),
        }
    }
}

impl Drop for CpythonRun {
    fn drop(&mut self) {
        if matches!(self.child.try_wait(), Ok(None)) {
            kill_group(self.child.id());
            let _ = self.child.wait();
        }
    }
}

fn terminate(pid: u32) {
    // SAFETY: kill(2) with a pid this run started; it does not touch memory.
    unsafe {
        libc::kill(pid as libc::pid_t, libc::SIGTERM);
    }
}

fn kill_group(pid: u32) {
    // SAFETY: as above, for the process group the run's process leads.
    unsafe {
        libc::kill(-(pid as libc::pid_t), libc::SIGKILL);
    }
}
