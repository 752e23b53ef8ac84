//! The queue on real servers: a private Redis and a private MariaDB (started by
//! `conlab-servers`, as their own users, never as root), `conlab worker` processes of the
//! built binary, runs enqueued as the server enqueues them. Every run ends exactly once in
//! MySQL, none lost, none stored twice; a worker killed mid-run has its run reclaimed and
//! completed; forged and out-of-range entries are refused, never run; a run that lost its
//! worker twice is parked failed on the dead-letter stream; SIGTERM stops a worker cleanly;
//! Stop asked of `conlab serve --queue` reaches the worker running the run.

mod support;

use conlab_queue::{Job, RunStatus};
use std::collections::BTreeMap;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};
use support::cluster::{forward, http, port_of, url_at, Cluster, Netns, LEASE_SECONDS};

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
    // Every worker killed, and those killed mid-run with the run they held.
    let mut shot: Vec<String> = Vec::new();
    // Workers started in place of killed ones: w4, w5, …
    let mut replacements = 3;
    for i in 0..300usize {
        let sleep = (30 + (i * 37) % 120).to_string();
        ids.push(cluster.enqueue(&format!("r-{i}"), &[("sleep_ms", &sleep)]));
        std::thread::sleep(Duration::from_millis(40));
        match i {
            50 | 170 => {
                // A worker in the middle of a run, killed without a word. Which run it held
                // is read from the record once it is dead: it may have ended the run it was
                // seen with and begun another, or be between two (then another is killed).
                loop {
                    let mut victim = None;
                    cluster.wait_until(Duration::from_secs(10), "a run is under way", |c| {
                        victim = c
                            .rows(&ids)
                            .into_values()
                            .find(|r| r.status == RunStatus::Running && r.attempts == 1)
                            .and_then(|r| r.worker);
                        victim.is_some()
                    });
                    let worker = victim.unwrap();
                    cluster.signal(&worker, libc::SIGKILL);
                    shot.push(worker.clone());
                    assert_eq!(
                        cluster.wait_exit(&worker, Duration::from_secs(5)),
                        Some(128 + 9)
                    );
                    let held = cluster.rows(&ids).into_values().find(|r| {
                        r.status == RunStatus::Running && r.worker.as_deref() == Some(&worker)
                    });
                    replacements += 1;
                    cluster.worker(&format!("w{replacements}"));
                    match held {
                        Some(row) => {
                            eprintln!(
                                "killed {worker} running {} at {:?}",
                                row.id,
                                started.elapsed()
                            );
                            killed.push((row.id, worker));
                            break;
                        }
                        None => eprintln!("{worker} was between runs when killed; again"),
                    }
                }
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
        .filter(|line| !shot.iter().any(|w| line.starts_with(&format!("{w}:"))))
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
    // A worker with another secret than the servers' is refused at its start (exit 2): it
    // would refuse every run it took.
    let other = cluster.dir.path().join("other.secret");
    std::fs::write(&other, "not the secret the server signs with\n").unwrap();
    let wrong = Command::new(env!("CARGO_BIN_EXE_conlab"))
        .args(["worker", "--queue", &cluster.redis, "--db", &cluster.mysql])
        .arg("--secret-file")
        .arg(&other)
        .args(["--name", "wrong-secret"])
        .output()
        .unwrap();
    let said = String::from_utf8_lossy(&wrong.stderr);
    assert_eq!(wrong.status.code(), Some(2), "{said}");
    assert!(
        said.contains("not the one the queue's servers sign with"),
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
    let served_by = cluster.serve("served", &["--max-queue", "2"]);
    let addr = served_by.addr.clone();
    let start = r#"{"scenario": "asyncio-two-tasks", "params": {"sleep_ms": "30"}}"#;
    // Ten starts at once on an empty queue of 2: two are taken, eight refused, none lost in
    // between (the length is checked and the entry added in one step).
    let answers: Vec<(u16, String, String)> = (0..10)
        .map(|_| {
            let addr = addr.clone();
            std::thread::spawn(move || http(&addr, "POST", "/api/runs", Some(start)))
        })
        .collect::<Vec<_>>()
        .into_iter()
        .map(|t| t.join().unwrap())
        .collect();
    let mut served = Vec::new();
    for (status, _, body) in &answers {
        if *status == 202 {
            let summary: serde_json::Value = serde_json::from_str(body).unwrap();
            assert_eq!(summary["state"], "queued", "{body}");
            served.push(summary["id"].as_str().unwrap().to_string());
        } else {
            assert_eq!(*status, 429, "{body}");
        }
    }
    assert_eq!(served.len(), 2, "{answers:?}");
    assert_eq!(cluster.rt.block_on(cluster.stream().length()).unwrap(), 2);
    let recorded = cluster.cli(&["runs", "--db", &cluster.mysql, "--limit", "1000"]);
    assert_eq!(
        recorded.lines().filter(|l| l.contains(" queued ")).count(),
        2,
        "a refused start was left in the record: {recorded}"
    );
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

    let status = served_by.stop();
    assert_eq!(status.code(), Some(130), "{status:?}");
    eprintln!("done in {:?}", started.elapsed());
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

    // A server that keeps 5 ended runs deletes the two oldest, with their traces; the other
    // servers' lists and traces and `conlab runs` follow, A's too, which had kept them.
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
        for front in [&a, &b, &c] {
            let (status, _, body) =
                http(&front.addr, "GET", &format!("/api/runs/{gone}/trace"), None);
            assert_eq!(status, 404, "{body}");
        }
    }
    let listed = a.listed();
    assert!(
        !listed.contains(&first[0]) && listed.contains(&first[2]),
        "{listed:?}"
    );
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
