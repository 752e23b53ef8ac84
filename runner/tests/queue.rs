//! The queue on real servers: a private Redis and a private MariaDB (started by
//! `conlab-servers`, as their own users, never as root), `conlab worker` processes of the
//! built binary, runs enqueued as the server enqueues them. Every run ends exactly once in
//! MySQL, none lost, none stored twice; a worker killed mid-run has its run reclaimed and
//! completed; forged and out-of-range entries are refused, never run; a run that lost its
//! worker twice is parked failed on the dead-letter stream; SIGTERM stops a worker cleanly;
//! Stop asked of `conlab serve --queue` reaches the worker running the run.

use conlab_queue::{Job, Queue, QueueSettings, RunRow, RunStatus, Secret, Stream};
use std::collections::BTreeMap;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// The workers' lease: short, so a dead worker's run is taken over within about a second.
const LEASE_SECONDS: &str = "1";

struct Cluster {
    redis: String,
    mysql: String,
    dir: tempfile::TempDir,
    rt: tokio::runtime::Runtime,
    queue: Queue,
    secret: Secret,
    workers: Vec<(String, Child)>,
    // Dropped last: the servers outlive the workers.
    servers: conlab_servers::Servers,
}

impl Cluster {
    /// Private servers and a queue on them; `None` (said why) where Redis or MariaDB is not
    /// installed.
    fn start() -> Option<Cluster> {
        let servers = match conlab_servers::start_private(conlab_servers::Needs::RedisAndMysql) {
            Ok(servers) => servers,
            Err(e @ conlab_servers::ServerError::Missing { .. }) => {
                eprintln!("skipped: {e}");
                return None;
            }
            Err(e) => panic!("{e}"),
        };
        let (redis, mysql) = (servers.urls()[0].clone(), servers.urls()[1].clone());
        let dir = tempfile::tempdir().unwrap();
        let secret_text = "a test secret, long enough to sign with";
        std::fs::write(dir.path().join("queue.secret"), format!("{secret_text}\n")).unwrap();
        let secret = Secret::new(secret_text).unwrap();
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        let queue = rt
            .block_on(Queue::open(&QueueSettings {
                redis_url: redis.clone(),
                mysql_url: mysql.clone(),
                secret: secret.clone(),
                max_length: 1000,
                prefix: conlab_queue::PREFIX.into(),
            }))
            .unwrap();
        Some(Cluster {
            redis,
            mysql,
            dir,
            rt,
            queue,
            secret,
            workers: Vec::new(),
            servers,
        })
    }

    /// Starts `conlab worker --name name`, its output in `<name>.log`.
    fn worker(&mut self, name: &str) {
        let mut command = Command::new(env!("CARGO_BIN_EXE_conlab"));
        let (redis, mysql) = (self.redis.clone(), self.mysql.clone());
        self.spawn_worker(
            name,
            command.args(["worker", "--queue", &redis, "--db", &mysql]),
        );
    }

    /// Starts `conlab worker` in network namespace `netns`, reaching the queue's servers at
    /// `redis` and `mysql`.
    fn worker_in(&mut self, netns: &str, name: &str, redis: &str, mysql: &str) {
        let mut command = Command::new("ip");
        command.args(["netns", "exec", netns, env!("CARGO_BIN_EXE_conlab")]);
        self.spawn_worker(
            name,
            command.args(["worker", "--queue", redis, "--db", mysql]),
        );
    }

    fn spawn_worker(&mut self, name: &str, command: &mut Command) {
        let log = std::fs::File::create(self.dir.path().join(format!("{name}.log"))).unwrap();
        let child = command
            .arg("--secret-file")
            .arg(self.dir.path().join("queue.secret"))
            .args(["--name", name, "--lease-seconds", LEASE_SECONDS])
            .args(["--grace-seconds", "5"])
            .env_remove("CONLAB_QUEUE_SECRET")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .unwrap();
        self.workers.push((name.to_string(), child));
    }

    fn pid(&self, name: &str) -> i32 {
        let (_, child) = self.workers.iter().find(|(n, _)| n == name).unwrap();
        child.id() as i32
    }

    fn signal(&self, name: &str, signal: i32) {
        // SAFETY: a signal to a child this test started and has not reaped.
        unsafe {
            libc::kill(self.pid(name), signal);
        }
    }

    /// Waits (at most `limit`) for worker `name` to exit; its exit code.
    fn wait_exit(&mut self, name: &str, limit: Duration) -> Option<i32> {
        let (_, child) = self.workers.iter_mut().find(|(n, _)| n == name).unwrap();
        let deadline = Instant::now() + limit;
        loop {
            if let Some(status) = child.try_wait().unwrap() {
                use std::os::unix::process::ExitStatusExt;
                return status.code().or(status.signal().map(|s| 128 + s));
            }
            if Instant::now() > deadline {
                return None;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    fn job(run: &str, params: &[(&str, &str)]) -> Job {
        Job {
            run: run.to_string(),
            scenario: "asyncio-two-tasks".into(),
            params: params
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
        }
    }

    /// Enqueues a run as the server does, trying again for up to 15 s while a server of the
    /// queue does not answer (as a page does after a 503).
    fn enqueue(&self, run: &str, params: &[(&str, &str)]) -> String {
        let deadline = Instant::now() + Duration::from_secs(15);
        while let Err(e) = self
            .rt
            .block_on(self.queue.enqueue(&Cluster::job(run, params)))
        {
            assert!(Instant::now() < deadline, "{run} not enqueued: {e}");
            std::thread::sleep(Duration::from_millis(100));
        }
        run.to_string()
    }

    fn rows(&self, ids: &[String]) -> BTreeMap<String, RunRow> {
        self.rt
            .block_on(self.queue.record().rows(ids))
            .unwrap()
            .into_iter()
            .map(|r| (r.id.clone(), r))
            .collect()
    }

    fn row(&self, id: &str) -> RunRow {
        self.rows(&[id.to_string()]).remove(id).expect("recorded")
    }

    /// Waits until `done` holds, looking every 20 ms; fails with the workers' logs after
    /// `limit`.
    #[track_caller]
    fn wait_until(&self, limit: Duration, what: &str, mut done: impl FnMut(&Cluster) -> bool) {
        let deadline = Instant::now() + limit;
        while !done(self) {
            assert!(
                Instant::now() < deadline,
                "{what}: not within {limit:?}\n{}",
                self.logs()
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    fn stream(&self) -> &Stream {
        self.queue.stream()
    }

    fn dead_letters(&self) -> Vec<BTreeMap<String, String>> {
        self.rt
            .block_on(self.stream().dead_letters(100))
            .unwrap()
            .into_iter()
            .map(|e| e.fields)
            .collect()
    }

    fn logs(&self) -> String {
        self.workers
            .iter()
            .map(|(name, _)| {
                let text = std::fs::read_to_string(self.dir.path().join(format!("{name}.log")))
                    .unwrap_or_default();
                let tail: Vec<&str> = text.lines().rev().take(40).collect();
                let tail: Vec<&str> = tail.into_iter().rev().collect();
                format!("--- {name}\n{}", tail.join("\n"))
            })
            .collect::<Vec<_>>()
            .join("\n")
    }

    fn cli(&self, args: &[&str]) -> String {
        let out = Command::new(env!("CARGO_BIN_EXE_conlab"))
            .args(args)
            .output()
            .unwrap();
        assert!(out.status.success(), "{args:?}: {out:?}");
        String::from_utf8_lossy(&out.stdout).into_owned()
    }
}

impl Cluster {
    /// Restarts the private server at `url` in place (same port, same data), down for
    /// `down` in between.
    fn restart(&mut self, url: &str, down: Duration) {
        let url = url.to_string();
        if let Err(e) = self.servers.restart_after(&url, down) {
            panic!("{e}\n{}", self.logs());
        }
    }

    /// How many runs of `ids` have ended.
    fn ended(&self, ids: &[String]) -> usize {
        self.rows(ids).values().filter(|r| r.status.ended()).count()
    }

    /// The workers that exited, with their exit status.
    fn exited(&mut self) -> Vec<String> {
        self.workers
            .iter_mut()
            .filter_map(|(name, child)| {
                child
                    .try_wait()
                    .unwrap()
                    .map(|status| format!("{name}: {status}"))
            })
            .collect()
    }
}

/// A `conlab serve --queue` of the cluster, stopped (SIGTERM) when dropped.
struct Front {
    child: Child,
    addr: String,
}

impl Cluster {
    /// Starts `conlab serve --queue … --db …` with `args`, its store in `<name>-store`.
    fn serve(&self, name: &str, args: &[&str]) -> Front {
        let mut child = Command::new(env!("CARGO_BIN_EXE_conlab"))
            .args(["serve", "--bind", "127.0.0.1:0"])
            .args(["--queue", &self.redis, "--db", &self.mysql])
            .arg("--secret-file")
            .arg(self.dir.path().join("queue.secret"))
            .arg("--store")
            .arg(self.dir.path().join(format!("{name}-store")))
            .args(args)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(std::fs::File::create(self.dir.path().join(format!("{name}.log"))).unwrap())
            .spawn()
            .unwrap();
        let addr = {
            use std::io::BufRead;
            let mut out = std::io::BufReader::new(child.stdout.take().unwrap());
            let mut line = String::new();
            out.read_line(&mut line).unwrap();
            // The rest is read too: a closed pipe would end the server at its next line.
            std::thread::spawn(move || std::io::copy(&mut out, &mut std::io::sink()));
            line.trim()
                .trim_start_matches("conlab serve: http://")
                .trim_end_matches('/')
                .to_string()
        };
        assert!(addr.contains(':'), "{name} did not start: {addr:?}");
        Front { child, addr }
    }

    /// What server `name` said.
    fn front_log(&self, name: &str) -> String {
        std::fs::read_to_string(self.dir.path().join(format!("{name}.log"))).unwrap_or_default()
    }
}

impl Front {
    /// Starts a native run of asyncio-two-tasks; its id.
    fn start(&self, sleep_ms: u32) -> String {
        let body = format!(
            r#"{{"scenario": "asyncio-two-tasks", "params": {{"sleep_ms": "{sleep_ms}"}}}}"#
        );
        let (status, _, answer) = http(&self.addr, "POST", "/api/runs", Some(&body));
        assert_eq!(status, 202, "{answer}");
        let summary: serde_json::Value = serde_json::from_str(&answer).unwrap();
        summary["id"].as_str().unwrap().to_string()
    }

    /// `GET path` as JSON (status 200 asserted).
    fn json(&self, path: &str) -> serde_json::Value {
        let (status, _, body) = http(&self.addr, "GET", path, None);
        assert_eq!(status, 200, "GET {path}: {body}");
        serde_json::from_str(&body).unwrap()
    }

    /// The ids its list shows.
    fn listed(&self) -> Vec<String> {
        self.json("/api/runs")["runs"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["id"].as_str().unwrap().to_string())
            .collect()
    }
}

impl Drop for Front {
    fn drop(&mut self) {
        // SAFETY: a signal to a child this test started and has not reaped.
        unsafe {
            libc::kill(self.child.id() as i32, libc::SIGTERM);
        }
        let deadline = Instant::now() + Duration::from_secs(15);
        while self.child.try_wait().ok().flatten().is_none() && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(20));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        for (_, child) in &mut self.workers {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

/// The issue's campaign in small: 300 short runs enqueued at a steady pace onto three
/// workers; a worker SIGKILLed mid-run twice (each replaced), Redis restarted once (the
/// queue's Redis keeps its append-only file), MariaDB down for 4 s once, longer than a
/// worker's first retries: every run ends exactly once in the record, done with one trace,
/// within its deadline (enqueued + its time limit + two reclaim intervals); the killed runs
/// are taken over and completed on attempt 2; the stream ends empty; no other worker dies.
#[test]
fn three_hundred_runs_end_exactly_once_across_kills_and_restarts() {
    let started = Instant::now();
    let Some(mut cluster) = Cluster::start() else {
        return;
    };
    eprintln!("servers up in {:?}", started.elapsed());
    for name in ["w1", "w2", "w3"] {
        cluster.worker(name);
    }
    let mut ids: Vec<String> = Vec::new();
    let mut killed: Vec<(String, String)> = Vec::new();
    let mut replacements = ["w4", "w5"].into_iter();
    for i in 0..300usize {
        let sleep = (30 + (i * 37) % 120).to_string();
        ids.push(cluster.enqueue(&format!("r-{i}"), &[("sleep_ms", &sleep)]));
        std::thread::sleep(Duration::from_millis(40));
        match i {
            50 | 170 => {
                // A worker in the middle of a run, killed without a word.
                let mut victim = None;
                cluster.wait_until(Duration::from_secs(10), "a run is under way", |c| {
                    victim = c
                        .rows(&ids)
                        .into_values()
                        .find(|r| r.status == RunStatus::Running && r.attempts == 1)
                        .map(|r| (r.id, r.worker.unwrap()));
                    victim.is_some()
                });
                let (run, worker) = victim.unwrap();
                cluster.signal(&worker, libc::SIGKILL);
                assert_eq!(
                    cluster.wait_exit(&worker, Duration::from_secs(5)),
                    Some(128 + 9)
                );
                eprintln!("killed {worker} running {run} at {:?}", started.elapsed());
                killed.push((run, worker));
                cluster.worker(replacements.next().unwrap());
            }
            110 => {
                let redis = cluster.redis.clone();
                let t = Instant::now();
                cluster.restart(&redis, Duration::ZERO);
                eprintln!(
                    "Redis restarted in {:?} at {:?}, {} runs ended",
                    t.elapsed(),
                    started.elapsed(),
                    cluster.ended(&ids)
                );
            }
            230 => {
                let mysql = cluster.mysql.clone();
                let t = Instant::now();
                cluster.restart(&mysql, Duration::from_secs(4));
                eprintln!(
                    "MariaDB down and up again in {:?} at {:?}, {} runs ended",
                    t.elapsed(),
                    started.elapsed(),
                    cluster.ended(&ids)
                );
            }
            _ => {}
        }
    }
    eprintln!("300 runs enqueued at {:?}", started.elapsed());
    cluster.wait_until(Duration::from_secs(60), "every run ends", |c| {
        c.ended(&ids) == ids.len()
    });
    eprintln!("300 runs ended at {:?}", started.elapsed());
    let rows = cluster.rows(&ids);
    assert_eq!(rows.len(), ids.len(), "a run was lost");
    let reclaim = Duration::from_secs_f64(LEASE_SECONDS.parse().unwrap());
    let mut again = Vec::new();
    let mut slowest = (Duration::ZERO, String::new());
    for (id, row) in &rows {
        assert_eq!(
            row.status,
            RunStatus::Done,
            "{id}: {row:?}\n{}",
            cluster.logs()
        );
        let stored = cluster
            .rt
            .block_on(cluster.queue.record().trace_count(id))
            .unwrap();
        assert_eq!(stored, 1, "{id} stored {stored} times");
        // The worker's summary says the time limit it ran under.
        let summary: serde_json::Value =
            serde_json::from_str(row.summary.as_deref().expect("a summary")).unwrap();
        let limit = Duration::from_millis(summary["limit_ms"].as_u64().unwrap());
        let took = Duration::from_millis(row.waited_ms.unwrap() + row.ran_ms.unwrap());
        let deadline = limit + 2 * reclaim;
        assert!(
            took <= deadline,
            "{id} ended {took:?} after it was enqueued, past its deadline {deadline:?}: {row:?}"
        );
        if took > slowest.0 {
            slowest = (took, id.clone());
        }
        if row.attempts > 1 {
            again.push(id.clone());
        }
    }
    // Only the killed runs ran twice, and each was completed by another worker.
    let mut killed_runs: Vec<String> = killed.iter().map(|(run, _)| run.clone()).collect();
    killed_runs.sort();
    again.sort();
    assert_eq!(again, killed_runs, "runs started more than once");
    for (run, worker) in &killed {
        let row = &rows[run];
        assert_eq!(row.attempts, 2, "{row:?}");
        assert_ne!(row.worker.as_deref(), Some(worker.as_str()), "{row:?}");
    }
    eprintln!("slowest from enqueue to end: {slowest:?}");
    cluster.wait_until(Duration::from_secs(10), "the stream empties", |c| {
        c.rt.block_on(c.stream().length()).unwrap() == 0
    });
    let exited: Vec<String> = cluster
        .exited()
        .into_iter()
        .filter(|line| {
            !killed
                .iter()
                .any(|(_, w)| line.starts_with(&format!("{w}:")))
        })
        .collect();
    assert!(
        exited.is_empty(),
        "workers died: {exited:?}\n{}",
        cluster.logs()
    );
    let workers = cluster.cli(&["workers", "--queue", &cluster.redis]);
    assert_eq!(
        workers.lines().filter(|l| l.contains(" yes ")).count(),
        3,
        "{workers}"
    );
    eprintln!("in {:?}", started.elapsed());
}

#[test]
fn runs_end_exactly_once_across_workers_killed_forged_and_parked() {
    let started = Instant::now();
    let Some(mut cluster) = Cluster::start() else {
        return;
    };
    eprintln!("servers up in {:?}", started.elapsed());

    // 1. Sixty short runs and one long one onto three workers; the long one's worker is
    // killed mid-run: its run is taken over and completed, and nothing is lost or doubled.
    let mut ids = Vec::new();
    for i in 0..60 {
        if i == 6 {
            ids.push(cluster.enqueue("long-1", &[("sleep_ms", "1500")]));
        }
        let sleep = (20 + (i * 7) % 60).to_string();
        ids.push(cluster.enqueue(&format!("short-{i}"), &[("sleep_ms", &sleep)]));
    }
    for name in ["w1", "w2", "w3"] {
        cluster.worker(name);
    }
    let mut killed = String::new();
    cluster.wait_until(Duration::from_secs(30), "the long run starts", |c| {
        let row = c.row("long-1");
        if row.status == RunStatus::Running {
            killed = row.worker.clone().unwrap();
            true
        } else {
            false
        }
    });
    std::thread::sleep(Duration::from_millis(300));
    cluster.signal(&killed, libc::SIGKILL);
    assert_eq!(
        cluster.wait_exit(&killed, Duration::from_secs(5)),
        Some(128 + 9)
    );
    eprintln!("killed {killed} running long-1 at {:?}", started.elapsed());
    let alive = if killed == "w1" { "w2" } else { "w1" };
    // A second worker under a living worker's name is refused (exit 2), after waiting a
    // lease to see whether the first is gone.
    cluster.wait_until(Duration::from_secs(10), "the living worker beats", |c| {
        c.cli(&["workers", "--queue", &c.redis])
            .lines()
            .any(|l| l.starts_with(&format!("{alive} ")) && l.contains(" yes "))
    });
    let mut twin = Command::new(env!("CARGO_BIN_EXE_conlab"))
        .args(["worker", "--queue", &cluster.redis, "--db", &cluster.mysql])
        .arg("--secret-file")
        .arg(cluster.dir.path().join("queue.secret"))
        .args(["--name", alive])
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(10);
    while twin.try_wait().unwrap().is_none() {
        if Instant::now() > deadline {
            let _ = twin.kill();
            panic!("a worker under a living worker's name was not refused within 10 s");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let twin = twin.wait_with_output().unwrap();
    let said = String::from_utf8_lossy(&twin.stderr);
    assert_eq!(twin.status.code(), Some(2), "{said}");
    assert!(
        said.contains(&format!(
            "a worker named `{alive}` is already taking runs from this queue"
        )),
        "{said}"
    );

    cluster.wait_until(Duration::from_secs(60), "every run ends", |c| {
        c.rows(&ids).values().all(|r| r.status.ended())
    });
    eprintln!("{} runs ended at {:?}", ids.len(), started.elapsed());
    let rows = cluster.rows(&ids);
    assert_eq!(rows.len(), ids.len(), "a run was lost");
    for (id, row) in &rows {
        assert_eq!(
            row.status,
            RunStatus::Done,
            "{id}: {row:?}\n{}",
            cluster.logs()
        );
        assert!(row.has_trace, "{id} has no trace");
        let stored = cluster
            .rt
            .block_on(cluster.queue.record().trace_count(id))
            .unwrap();
        assert_eq!(stored, 1, "{id} stored {stored} times");
        let expected_attempts = if id == "long-1" { 2 } else { 1 };
        assert_eq!(row.attempts, expected_attempts, "{id}: {row:?}");
    }
    let long = &rows["long-1"];
    assert_ne!(long.worker.as_deref(), Some(killed.as_str()), "{long:?}");
    let trace = cluster
        .rt
        .block_on(cluster.queue.record().trace("long-1"))
        .unwrap()
        .unwrap();
    let trace = conlab_core::Trace::from_json(&trace).unwrap();
    assert_eq!(trace.status, conlab_core::Status::Ok);
    assert!(trace.tally().failed == 0, "{:?}", trace.checks);
    // Every entry acknowledged and deleted.
    cluster.wait_until(Duration::from_secs(5), "the stream empties", |c| {
        c.rt.block_on(c.stream().length()).unwrap() == 0
    });
    let runs = cluster.cli(&["runs", "--db", &cluster.mysql, "--limit", "100"]);
    assert_eq!(
        runs.lines().filter(|l| l.contains(" done ")).count(),
        61,
        "{runs}"
    );
    eprintln!("{}", runs.lines().take(4).collect::<Vec<_>>().join("\n"));
    let workers = cluster.cli(&["workers", "--queue", &cluster.redis]);
    let alive = workers.lines().filter(|l| l.contains(" yes ")).count();
    assert_eq!(alive, 2, "{workers}");
    eprintln!("{workers}");

    // 2. Entries not signed with the secret, or outside the catalog's ranges, are refused
    // and logged, never run; the forged one leaves the record untouched.
    cluster.rt.block_on(async {
        let record = cluster.queue.record();
        record
            .insert_queued(&Cluster::job("forged-1", &[("sleep_ms", "10")]))
            .await
            .unwrap();
        let stream = cluster.queue.stream();
        let zeros = "0".repeat(64);
        stream
            .add_raw(&[
                ("run", "forged-1"),
                ("scenario", "asyncio-two-tasks"),
                ("params", r#"{"sleep_ms":"10"}"#),
                ("sig", &zeros),
            ])
            .await
            .unwrap();
        stream
            .add_raw(&[
                ("run", "forged-1"),
                ("scenario", "asyncio-two-tasks"),
                ("params", "{}"),
            ])
            .await
            .unwrap();
    });
    // Signed (the test has the secret), but beyond the parameter's range: the worker checks
    // it again as the server would.
    cluster.enqueue("out-of-range-1", &[("sleep_ms", "999999999")]);
    let unknown = Job {
        scenario: "no-such-scenario".into(),
        ..Cluster::job("unknown-1", &[])
    };
    cluster
        .rt
        .block_on(cluster.stream().add(&unknown, &cluster.secret))
        .unwrap();
    cluster.wait_until(Duration::from_secs(20), "four refusals", |c| {
        c.dead_letters().len() >= 4
    });
    let dead = cluster.dead_letters();
    let reasons: Vec<&str> = dead.iter().map(|f| f["reason"].as_str()).collect();
    assert!(
        reasons
            .iter()
            .any(|r| r.contains("signature does not match")),
        "{reasons:?}"
    );
    assert!(
        reasons.iter().any(|r| r.contains("not signed")),
        "{reasons:?}"
    );
    assert!(
        reasons.iter().any(|r| r.contains("sleep_ms")),
        "{reasons:?}"
    );
    assert!(
        reasons.iter().any(|r| r.contains("no-such-scenario")),
        "{reasons:?}"
    );
    let forged = cluster.row("forged-1");
    assert_eq!(
        (forged.status, forged.attempts),
        (RunStatus::Queued, 0),
        "{forged:?}"
    );
    let out_of_range = cluster.row("out-of-range-1");
    assert_eq!(out_of_range.status, RunStatus::Failed);
    assert!(
        !out_of_range.has_trace && out_of_range.attempts == 0,
        "{out_of_range:?}"
    );
    assert!(out_of_range
        .reason
        .as_deref()
        .unwrap_or("")
        .contains("sleep_ms"));

    // forged-1 was recorded but never enqueued: a server would enqueue it at its start.
    cluster
        .rt
        .block_on(
            cluster
                .queue
                .record()
                .refuse("forged-1", "never enqueued (a test's run)"),
        )
        .unwrap();

    // 3. SIGTERM: the workers stop cleanly (exit 130) and say they are gone.
    let alive: Vec<String> = ["w1", "w2", "w3"]
        .into_iter()
        .filter(|n| *n != killed)
        .map(String::from)
        .collect();
    for name in &alive {
        cluster.signal(name, libc::SIGTERM);
    }
    for name in &alive {
        assert_eq!(
            cluster.wait_exit(name, Duration::from_secs(20)),
            Some(130),
            "{}",
            cluster.logs()
        );
    }
    let workers = cluster.cli(&["workers", "--queue", &cluster.redis]);
    assert_eq!(
        workers.lines().filter(|l| l.contains(" yes ")).count(),
        0,
        "{workers}"
    );

    // 4. A run whose worker dies twice is parked as failed, on the dead-letter stream.
    cluster.enqueue("doomed-1", &[("sleep_ms", "5000")]);
    for (attempt, name) in [(1, "a1"), (2, "a2")] {
        cluster.worker(name);
        cluster.wait_until(Duration::from_secs(20), "doomed-1 starts", |c| {
            let row = c.row("doomed-1");
            row.status == RunStatus::Running && row.attempts == attempt
        });
        cluster.signal(name, libc::SIGKILL);
        cluster.wait_exit(name, Duration::from_secs(5));
    }
    cluster.worker("a3");
    cluster.wait_until(Duration::from_secs(20), "doomed-1 is parked", |c| {
        c.row("doomed-1").status == RunStatus::Failed
    });
    let doomed = cluster.row("doomed-1");
    assert_eq!(doomed.attempts, 2);
    assert!(!doomed.has_trace);
    let reason = doomed.reason.unwrap_or_default();
    assert!(reason.contains("lost its worker 2 times"), "{reason}");
    assert!(
        cluster
            .dead_letters()
            .iter()
            .any(|f| f["run"] == "doomed-1"),
        "{:?}",
        cluster.dead_letters()
    );
    cluster.signal("a3", libc::SIGTERM);
    assert_eq!(cluster.wait_exit("a3", Duration::from_secs(20)), Some(130));

    let undelivered = cluster
        .rt
        .block_on(cluster.queue.record().undelivered())
        .unwrap();
    assert!(undelivered.is_empty(), "{undelivered:?}");
    let left = cluster.rt.block_on(cluster.stream().length()).unwrap();
    assert_eq!(left, 0, "entries left in the stream");

    // 5. `conlab serve --queue`: native runs are enqueued (429 with Retry-After once the
    // queue holds --max-queue), run by a worker, and kept as the server's own runs.
    let serve_dir = cluster.dir.path().join("served");
    let mut serve = Command::new(env!("CARGO_BIN_EXE_conlab"))
        .args(["serve", "--bind", "127.0.0.1:0", "--max-queue", "2"])
        .args(["--queue", &cluster.redis, "--db", &cluster.mysql])
        .arg("--secret-file")
        .arg(cluster.dir.path().join("queue.secret"))
        .arg("--store")
        .arg(&serve_dir)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let addr = {
        use std::io::BufRead;
        let mut out = std::io::BufReader::new(serve.stdout.take().unwrap());
        let mut line = String::new();
        out.read_line(&mut line).unwrap();
        // The rest is read too: a closed pipe would end the server at its next line.
        std::thread::spawn(move || std::io::copy(&mut out, &mut std::io::sink()));
        line.trim()
            .trim_start_matches("conlab serve: http://")
            .trim_end_matches('/')
            .to_string()
    };
    let start = r#"{"scenario": "asyncio-two-tasks", "params": {"sleep_ms": "30"}}"#;
    let mut served = Vec::new();
    for _ in 0..2 {
        let (status, _, body) = http(&addr, "POST", "/api/runs", Some(start));
        assert_eq!(status, 202, "{body}");
        let summary: serde_json::Value = serde_json::from_str(&body).unwrap();
        assert_eq!(summary["state"], "queued", "{body}");
        served.push(summary["id"].as_str().unwrap().to_string());
    }
    let (status, head, body) = http(&addr, "POST", "/api/runs", Some(start));
    assert_eq!(status, 429, "{body}");
    assert!(
        head.to_ascii_lowercase().contains("retry-after: "),
        "{head}"
    );
    assert!(body.contains("--max-queue 2"), "{body}");
    cluster.worker("s1");
    for id in &served {
        cluster.wait_until(Duration::from_secs(20), "a served run ends", |_| {
            let (_, _, body) = http(&addr, "GET", &format!("/api/runs/{id}"), None);
            body.contains(r#""state":"ended""#)
        });
        let (status, _, body) = http(&addr, "GET", &format!("/api/runs/{id}"), None);
        assert_eq!(status, 200);
        assert!(
            body.contains(r#""kind":"ok""#) || body.contains(r#""ok""#),
            "{body}"
        );
        let (status, _, trace) = http(&addr, "GET", &format!("/api/runs/{id}/trace"), None);
        assert_eq!(status, 200);
        let trace = conlab_core::Trace::from_json(&trace).unwrap();
        assert_eq!(trace.status, conlab_core::Status::Ok);
        assert_eq!(cluster.row(id).worker.as_deref(), Some("s1"));
    }
    // 6. Stop from the page reaches the worker running the run: a long run started through
    // the server ends `stopped` in the record within 3 s of the ask, with its partial trace
    // (status stopped), run by one worker only; a run stopped while queued never runs.
    let section = Instant::now();
    let long = r#"{"scenario": "asyncio-two-tasks", "params": {"sleep_ms": "5000"}}"#;
    let submit = |what: &str| {
        let (status, _, body) = http(&addr, "POST", "/api/runs", Some(long));
        assert_eq!(status, 202, "{what}: {body}");
        let summary: serde_json::Value = serde_json::from_str(&body).unwrap();
        summary["id"].as_str().unwrap().to_string()
    };
    let long_id = submit("the long run");
    cluster.wait_until(Duration::from_secs(20), "the long run starts", |c| {
        c.row(&long_id).status == RunStatus::Running
    });
    // s1 is busy with the long run: this one waits in the queue, and is stopped there.
    let queued_id = submit("the run stopped while queued");
    let (status, _, body) = http(&addr, "POST", &format!("/api/runs/{queued_id}/stop"), None);
    assert_eq!(status, 200, "{body}");
    cluster.wait_until(Duration::from_secs(3), "the queued run ends stopped", |c| {
        c.row(&queued_id).status == RunStatus::Stopped
    });
    // Another worker, free to take anything left: the queued run's entry, and the long run
    // should it ever be given up.
    cluster.worker("s2");
    std::thread::sleep(Duration::from_millis(200));
    let asked = Instant::now();
    let (status, _, body) = http(&addr, "POST", &format!("/api/runs/{long_id}/stop"), None);
    assert_eq!(status, 200, "{body}");
    cluster.wait_until(Duration::from_secs(3), "the long run ends stopped", |c| {
        c.row(&long_id).status.ended()
    });
    eprintln!("the long run stopped {:?} after the ask", asked.elapsed());
    let row = cluster.row(&long_id);
    assert_eq!(
        row.status,
        RunStatus::Stopped,
        "{row:?}\n{}",
        cluster.logs()
    );
    assert_eq!(
        (row.attempts, row.worker.as_deref()),
        (1, Some("s1")),
        "{row:?}"
    );
    assert!(row.ran_ms.unwrap() < 4000, "{row:?}");
    let stored = cluster
        .rt
        .block_on(cluster.queue.record().trace_count(&long_id));
    assert_eq!(stored.unwrap(), 1);
    let trace = cluster.rt.block_on(cluster.queue.record().trace(&long_id));
    let trace = conlab_core::Trace::from_json(&trace.unwrap().unwrap()).unwrap();
    assert!(
        matches!(trace.status, conlab_core::Status::Stopped { .. }),
        "{:?}",
        trace.status
    );
    // Both entries acknowledged (the queued one skipped by whichever worker read it): none
    // is left for a worker to reclaim and run again.
    cluster.wait_until(Duration::from_secs(5), "the stream empties", |c| {
        c.rt.block_on(c.stream().length()).unwrap() == 0
    });
    let row = cluster.row(&long_id);
    assert_eq!(
        (row.status, row.attempts),
        (RunStatus::Stopped, 1),
        "{row:?}"
    );
    let queued = cluster.row(&queued_id);
    assert_eq!(
        (
            queued.status,
            queued.attempts,
            queued.worker.as_deref(),
            queued.has_trace
        ),
        (RunStatus::Stopped, 0, None, false),
        "{queued:?}"
    );
    let logs = cluster.logs();
    assert_eq!(
        logs.matches(&format!("run {long_id} started")).count(),
        1,
        "{logs}"
    );
    assert!(
        !logs.contains(&format!("run {queued_id} started")),
        "{logs}"
    );
    // The server lists both as ended stopped, the long one with the worker's trace.
    for id in [&long_id, &queued_id] {
        cluster.wait_until(Duration::from_secs(5), "the server sees the stop", |_| {
            let (_, _, body) = http(&addr, "GET", &format!("/api/runs/{id}"), None);
            body.contains(r#""state":"ended""#)
        });
        let (_, _, trace) = http(&addr, "GET", &format!("/api/runs/{id}/trace"), None);
        let trace = conlab_core::Trace::from_json(&trace).unwrap();
        assert!(
            matches!(trace.status, conlab_core::Status::Stopped { .. }),
            "{id}: {:?}",
            trace.status
        );
    }
    let (_, _, trace) = http(&addr, "GET", &format!("/api/runs/{long_id}/trace"), None);
    let trace = conlab_core::Trace::from_json(&trace).unwrap();
    assert!(
        trace.end > 0,
        "the long run's trace is the worker's, not an empty one"
    );
    eprintln!("stops checked in {:?}", section.elapsed());

    // SAFETY: a signal to a child this test started and has not reaped.
    unsafe {
        libc::kill(serve.id() as i32, libc::SIGTERM);
    }
    let deadline = Instant::now() + Duration::from_secs(15);
    let status = loop {
        if let Some(status) = serve.try_wait().unwrap() {
            break status;
        }
        if Instant::now() > deadline {
            let _ = serve.kill();
            let _ = serve.wait();
            panic!("conlab serve did not stop within 15 s of SIGTERM");
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    assert_eq!(status.code(), Some(130), "{status:?}");
    eprintln!("done in {:?}", started.elapsed());
}

/// One HTTP/1.1 request to `addr` (`host:port`): status, head, body.
fn http(addr: &str, method: &str, path: &str, body: Option<&str>) -> (u16, String, String) {
    use std::io::{Read, Write};
    let mut conn = std::net::TcpStream::connect(addr).unwrap();
    conn.set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    let body = body.unwrap_or("");
    write!(
        conn,
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\
         Content-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    )
    .unwrap();
    let mut answer = String::new();
    conn.read_to_string(&mut answer).unwrap();
    let (head, body) = answer.split_once("\r\n\r\n").unwrap_or((&answer, ""));
    let status = head
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    (status, head.to_string(), body.to_string())
}

/// The record is the list: two servers of one queue list the same runs, and one that did not
/// enqueue a run shows its summary and trace from MySQL; runs enqueued before Redis lost its
/// data (FLUSHALL) are enqueued again by the server and run once; the record's retention
/// (`--keep-runs`) deletes the oldest ended runs with their traces, for every server.
#[test]
fn the_record_lists_runs_for_every_server_survives_a_flush_and_keeps_what_it_is_told() {
    let started = Instant::now();
    let Some(mut cluster) = Cluster::start() else {
        return;
    };
    let keep_all = ["--keep-runs", "0", "--keep-days", "0"];
    let a = cluster.serve("a", &keep_all);
    let b = cluster.serve("b", &keep_all);

    // Four runs through A while no worker runs; then Redis loses everything.
    let first: Vec<String> = (0..4).map(|i| a.start(30 + 10 * i)).collect();
    let client = redis::Client::open(cluster.redis.as_str()).unwrap();
    let mut conn = client.get_connection().unwrap();
    let _: () = redis::cmd("FLUSHALL").query(&mut conn).unwrap();
    cluster.worker("w1");
    // A server (either: each looks every 2 s) finds the queue's set-up gone and enqueues
    // the record's queued runs again.
    cluster.wait_until(Duration::from_secs(20), "the flushed runs end", |c| {
        c.ended(&first) == first.len()
    });
    let said = format!("{}{}", cluster.front_log("a"), cluster.front_log("b"));
    assert!(
        said.contains("had lost its data: 4 runs enqueued again"),
        "{said}"
    );
    for id in &first {
        let row = cluster.row(id);
        assert_eq!((row.status, row.attempts), (RunStatus::Done, 1), "{row:?}");
        let stored = cluster.rt.block_on(cluster.queue.record().trace_count(id));
        assert_eq!(stored.unwrap(), 1, "{id}");
    }
    // B never saw them: it lists them, ended and judged, as the worker summed them up, and
    // serves their traces from the record.
    cluster.wait_until(Duration::from_secs(5), "A's runs are listed by B", |_| {
        let listed = b.listed();
        first.iter().all(|id| listed.contains(id))
    });
    for id in &first {
        let summary = b.json(&format!("/api/runs/{id}"));
        assert_eq!(summary["state"], "ended", "{summary}");
        assert_eq!(summary["scenario"], "asyncio-two-tasks", "{summary}");
        let total = summary["checks_total"].as_u64().unwrap();
        assert!(total > 0, "{summary}");
        assert_eq!(
            summary["checks_passed"].as_u64().unwrap()
                + summary["checks_not_judged"].as_u64().unwrap_or(0),
            total,
            "{summary}"
        );
        assert!(
            summary["created"].as_str().unwrap().ends_with('Z'),
            "{summary}"
        );
        let (status, _, trace) = http(&b.addr, "GET", &format!("/api/runs/{id}/trace"), None);
        assert_eq!(status, 200, "{trace}");
        let trace = conlab_core::Trace::from_json(&trace).unwrap();
        assert_eq!(trace.status, conlab_core::Status::Ok);
    }
    // Three through B; A lists them too, newest first.
    let second: Vec<String> = (0..3).map(|i| b.start(20 + 10 * i)).collect();
    cluster.wait_until(Duration::from_secs(20), "B's runs end", |c| {
        c.ended(&second) == second.len()
    });
    cluster.wait_until(Duration::from_secs(5), "A lists B's runs", |_| {
        let listed = a.listed();
        second.iter().all(|id| listed.contains(id))
    });
    let listed = a.listed();
    let position = |id: &String| listed.iter().position(|l| l == id).unwrap();
    assert!(position(&second[2]) < position(&first[0]), "{listed:?}");
    // An unknown run is still unknown, on either server.
    let (status, _, body) = http(&b.addr, "GET", "/api/runs/no-such-run/trace", None);
    assert_eq!(status, 404, "{body}");

    // A server that keeps 5 ended runs deletes the two oldest, with their traces; B's list
    // and `conlab runs` follow.
    drop(a);
    let c = cluster.serve("c", &["--keep-runs", "5", "--keep-days", "0"]);
    let all: Vec<String> = first.iter().chain(&second).cloned().collect();
    cluster.wait_until(
        Duration::from_secs(10),
        "the oldest runs are deleted",
        |cl| cl.rows(&all).len() == 5,
    );
    let kept = cluster.rows(&all);
    for gone in &first[..2] {
        assert!(!kept.contains_key(gone), "{gone} kept: {kept:?}");
        let stored = cluster
            .rt
            .block_on(cluster.queue.record().trace_count(gone));
        assert_eq!(stored.unwrap(), 0, "{gone}'s trace kept");
        let (status, _, body) = http(&c.addr, "GET", &format!("/api/runs/{gone}/trace"), None);
        assert_eq!(status, 404, "{body}");
    }
    let listed = b.listed();
    assert!(
        !listed.contains(&first[0]) && listed.contains(&first[2]),
        "{listed:?}"
    );
    assert!(
        cluster.front_log("c").contains("2 ended runs deleted"),
        "{}",
        cluster.front_log("c")
    );
    let runs = cluster.cli(&["runs", "--db", &cluster.mysql]);
    assert_eq!(
        runs.lines().filter(|l| l.contains(" done ")).count(),
        5,
        "{runs}"
    );
    eprintln!("in {:?}", started.elapsed());
}

/// A network namespace of this test, joined to this one by a veth pair: its own loopback,
/// and this side's end at `host`, the namespace's at `inside`. Deleted (with the pair) when
/// dropped.
struct Netns {
    name: String,
    host_link: String,
    host: String,
}

impl Netns {
    /// Namespace number `k` of this test process; `None` (said why) where the machine does
    /// not allow it (not root, no `ip`, no veth).
    fn create(k: u32) -> Option<Netns> {
        let tag = std::process::id() % 100_000;
        let name = format!("conlab-q-{tag}-{k}");
        let host_link = format!("cq{tag}h{k}");
        let inside_link = format!("cq{tag}n{k}");
        // One /30 per namespace: 10.231.<n>.1 this side, .2 inside.
        let third = (tag % 100) * 2 + k;
        let (host, inside) = (format!("10.231.{third}.1"), format!("10.231.{third}.2"));
        let made = Netns {
            name: name.clone(),
            host_link: host_link.clone(),
            host: host.clone(),
        };
        let steps: [&[&str]; 8] = [
            &["netns", "add", &name],
            &[
                "link",
                "add",
                &host_link,
                "type",
                "veth",
                "peer",
                "name",
                &inside_link,
            ],
            &["link", "set", &inside_link, "netns", &name],
            &["addr", "add", &format!("{host}/30"), "dev", &host_link],
            &["link", "set", &host_link, "up"],
            &[
                "netns",
                "exec",
                &name,
                "ip",
                "addr",
                "add",
                &format!("{inside}/30"),
                "dev",
                &inside_link,
            ],
            &[
                "netns",
                "exec",
                &name,
                "ip",
                "link",
                "set",
                &inside_link,
                "up",
            ],
            &["netns", "exec", &name, "ip", "link", "set", "lo", "up"],
        ];
        for step in steps {
            let out = Command::new("ip").args(step).output();
            match out {
                Ok(out) if out.status.success() => {}
                Ok(out) => {
                    eprintln!(
                        "skipped: this machine does not let the test make network namespaces \
                         (`ip {}`: {})",
                        step.join(" "),
                        String::from_utf8_lossy(&out.stderr).trim()
                    );
                    return None;
                }
                Err(e) => {
                    eprintln!("skipped: no `ip` to make network namespaces with ({e})");
                    return None;
                }
            }
        }
        Some(made)
    }
}

impl Drop for Netns {
    fn drop(&mut self) {
        let _ = Command::new("ip")
            .args(["netns", "del", &self.name])
            .output();
        let _ = Command::new("ip")
            .args(["link", "del", &self.host_link])
            .output();
    }
}

/// Forwards connections to `listen`:0 on to `to` (the private servers listen on loopback
/// only; a namespace reaches them through its veth). Returns the port it listens on.
fn forward(listen: &str, to: std::net::SocketAddr) -> u16 {
    let listener = std::net::TcpListener::bind((listen, 0)).unwrap();
    let port = listener.local_addr().unwrap().port();
    std::thread::spawn(move || {
        for from in listener.incoming().flatten() {
            let Ok(onto) = std::net::TcpStream::connect(to) else {
                continue;
            };
            for (mut a, mut b) in [
                (from.try_clone().unwrap(), onto.try_clone().unwrap()),
                (onto, from),
            ] {
                std::thread::spawn(move || {
                    let _ = std::io::copy(&mut a, &mut b);
                    let _ = b.shutdown(std::net::Shutdown::Write);
                });
            }
        }
    });
    port
}

/// `scheme://[user@]host:port/...` with its host and port put to `host:port`.
fn url_at(url: &str, host: &str, port: u16) -> String {
    let (scheme, rest) = url.split_once("://").unwrap();
    let (authority, path) = rest.split_once('/').unwrap_or((rest, ""));
    let user = authority.rsplit_once('@').map(|(u, _)| format!("{u}@"));
    format!(
        "{scheme}://{}{host}:{port}/{path}",
        user.unwrap_or_default()
    )
}

fn port_of(url: &str) -> std::net::SocketAddr {
    let rest = url.split_once("://").unwrap().1;
    let authority = rest.split('/').next().unwrap();
    let hostport = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
    hostport.parse().unwrap()
}

/// Workers on other "machines": two network namespaces, each with its own loopback, reach
/// the queue's servers only through a veth pair the test makes. Runs spread over both, one
/// worker is SIGKILLed mid-run and the other takes its run over; every run ends done once.
/// Skipped, saying why, where the machine does not allow namespaces (not root).
#[test]
fn workers_in_their_own_network_namespaces_share_the_queue() {
    let started = Instant::now();
    let Some(mut cluster) = Cluster::start() else {
        return;
    };
    let Some(first) = Netns::create(1) else {
        return;
    };
    let Some(second) = Netns::create(2) else {
        return;
    };
    let mut long = String::new();
    for (ns, name) in [(&first, "far-1"), (&second, "far-2")] {
        let redis = url_at(
            &cluster.redis,
            &ns.host,
            forward(&ns.host, port_of(&cluster.redis)),
        );
        let mysql = url_at(
            &cluster.mysql,
            &ns.host,
            forward(&ns.host, port_of(&cluster.mysql)),
        );
        // The namespace's own loopback is not this machine's: the servers are not there.
        let local = Command::new("ip")
            .args(["netns", "exec", &ns.name, "bash", "-c"])
            .arg(format!(
                "exec 3<>/dev/tcp/127.0.0.1/{}",
                port_of(&cluster.redis).port()
            ))
            .output()
            .unwrap();
        assert!(
            !local.status.success(),
            "the namespace reaches this machine's loopback"
        );
        cluster.worker_in(&ns.name, name, &redis, &mysql);
    }
    let mut ids = Vec::new();
    for i in 0..30 {
        if i == 4 {
            long = cluster.enqueue("far-long", &[("sleep_ms", "1500")]);
            ids.push(long.clone());
        }
        let sleep = (20 + (i * 13) % 60).to_string();
        ids.push(cluster.enqueue(&format!("far-{i}"), &[("sleep_ms", &sleep)]));
    }
    let mut victim = String::new();
    cluster.wait_until(Duration::from_secs(30), "the long run starts", |c| {
        let row = c.row(&long);
        victim = row.worker.clone().unwrap_or_default();
        row.status == RunStatus::Running
    });
    std::thread::sleep(Duration::from_millis(300));
    cluster.signal(&victim, libc::SIGKILL);
    assert_eq!(
        cluster.wait_exit(&victim, Duration::from_secs(5)),
        Some(128 + 9)
    );
    cluster.wait_until(Duration::from_secs(60), "every run ends", |c| {
        c.ended(&ids) == ids.len()
    });
    let rows = cluster.rows(&ids);
    let mut by = BTreeMap::<String, usize>::new();
    for (id, row) in &rows {
        assert_eq!(
            row.status,
            RunStatus::Done,
            "{id}: {row:?}\n{}",
            cluster.logs()
        );
        let stored = cluster.rt.block_on(cluster.queue.record().trace_count(id));
        assert_eq!(stored.unwrap(), 1, "{id}");
        let expected = if *id == long { 2 } else { 1 };
        assert_eq!(row.attempts, expected, "{id}: {row:?}");
        *by.entry(row.worker.clone().unwrap()).or_default() += 1;
    }
    assert_ne!(rows[&long].worker.as_deref(), Some(victim.as_str()));
    assert_eq!(by.len(), 2, "both namespaces' workers ran runs: {by:?}");
    eprintln!("runs by worker: {by:?}, in {:?}", started.elapsed());
}
