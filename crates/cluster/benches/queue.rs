//! The queue's figures on one machine (private Redis and MariaDB, `conlab worker` processes
//! of the release binary), each printed beside its target and its floor:
//!
//! 1. throughput of runs of a sleep-dominated scenario lasting about 2 s (`asyncio-two-tasks
//!    sleep_ms=2000`: two tasks on the loop, each sleeping) with 1, 2, 4 and 8 workers, beside
//!    linear (the 1-worker figure × N); target: within 10 % of linear;
//! 2. the queue's overhead per run: enqueue to start and the worker's own time around a run
//!    (checking it, the trace to JSON, gzip, storing), from the record's timestamps, beside a
//!    bare XADD/XREADGROUP/XACK round trip on the same Redis (the floor);
//! 3. time from a worker's SIGKILL to its run's restart on another worker, beside the lease.
//!
//! `cargo bench -p conlab-cluster --bench queue` (`just bench` builds the binary first).

use conlab_cluster::{sleep_job, Cluster, ClusterOptions};
use conlab_queue::RunStatus;
use std::time::{Duration, Instant};

/// Runs of about 2 s each, almost all of it asleep.
const SLEEP_MS: u64 = 2000;
/// Each worker count runs this many rounds of runs.
const ROUNDS: usize = 3;
const LEASE: Duration = Duration::from_secs(2);
/// How long a worker's blocking read waits before it looks for entries to reclaim
/// (`conlab-queue`'s `READ_BLOCK`).
const READ_BLOCK: Duration = Duration::from_millis(500);

fn main() {
    // See `src/main.rs`: a keeper of private servers must never run the benchmark again.
    conlab_servers::keeper::run_if_asked();
    // `cargo test --all-targets` runs a bench without `--bench`: a minute of servers and
    // workers is not a test.
    if !std::env::args().any(|a| a == "--bench") {
        println!(
            "queue bench: skipped (run it with `cargo bench -p conlab-cluster --bench queue`)"
        );
        return;
    }
    let binary = match conlab_cluster::conlab_binary() {
        Ok(binary) => binary,
        Err(e) => {
            eprintln!("queue bench: {e}");
            std::process::exit(1);
        }
    };
    conlab_cluster::install_interrupt_handler();
    let mut options = ClusterOptions::new(binary);
    options.lease = LEASE;
    // What the workers' checks give asyncio-two-tasks as its longest run (a shorter cap
    // refuses it).
    options.max_run = Duration::from_secs(60);
    let started = Instant::now();
    let mut cluster = match Cluster::start(options) {
        Ok(cluster) => cluster,
        Err(e) => {
            eprintln!("queue bench: {e}");
            std::process::exit(1);
        }
    };
    println!(
        "queue bench: private Redis and MariaDB up in {:.1} s; workers with a {} s lease",
        started.elapsed().as_secs_f64(),
        LEASE.as_secs_f64()
    );
    throughput(&mut cluster);
    overhead(&mut cluster);
    takeover(&mut cluster);
    println!(
        "queue bench: done in {:.0} s",
        started.elapsed().as_secs_f64()
    );
}

/// Waits until every run of `ids` has ended; when the last did.
fn wait_ended(cluster: &Cluster, ids: &[String], limit: Duration) -> Instant {
    let deadline = Instant::now() + limit;
    loop {
        let ended = cluster.ended(ids).expect("the record answers");
        if ended == ids.len() {
            return Instant::now();
        }
        assert!(
            Instant::now() < deadline,
            "{ended} of {} runs ended within {limit:?}\n{}",
            ids.len(),
            cluster.log_tails(10)
        );
        std::thread::sleep(Duration::from_millis(5));
    }
}

fn stop_workers(cluster: &mut Cluster) {
    for name in cluster.worker_names() {
        cluster.kill_worker(&name).expect("kill an idle worker");
    }
}

fn throughput(cluster: &mut Cluster) {
    println!();
    println!(
        "1. throughput: runs of asyncio-two-tasks sleep_ms={SLEEP_MS} (~2 s, asleep), {ROUNDS} rounds per worker count"
    );
    println!(
        "   {:>7}  {:>5}  {:>8}  {:>9}  {:>14}  {:>10}  target",
        "workers", "runs", "elapsed", "runs/s", "linear runs/s", "of linear"
    );
    let mut one = None;
    for n in [1usize, 2, 4, 8] {
        for i in 0..n {
            cluster.start_worker(&format!("t{n}-{i}")).expect("worker");
        }
        cluster
            .wait_workers_alive(n, Duration::from_secs(30))
            .expect("workers up");
        let runs = n * ROUNDS;
        let ids: Vec<String> = (0..runs).map(|i| format!("tp{n}-{i}")).collect();
        let t0 = Instant::now();
        for id in &ids {
            cluster.enqueue(&sleep_job(id, SLEEP_MS)).expect("enqueue");
        }
        let t1 = wait_ended(cluster, &ids, Duration::from_secs(120));
        let elapsed = t1 - t0;
        let rate = runs as f64 / elapsed.as_secs_f64();
        let one_rate = *one.get_or_insert(rate);
        let linear = one_rate * n as f64;
        let rows = cluster.rows(&ids).expect("rows");
        let not_done: Vec<String> = rows
            .values()
            .filter(|r| r.status != RunStatus::Done)
            .map(|r| {
                format!(
                    "{} {}: {}",
                    r.id,
                    r.status.as_str(),
                    r.reason.clone().unwrap_or_default()
                )
            })
            .collect();
        assert!(not_done.is_empty(), "runs not done: {not_done:?}");
        println!(
            "   {:>7}  {:>5}  {:>6.2} s  {:>9.3}  {:>14.3}  {:>9.1} %  >= 90 %",
            n,
            runs,
            elapsed.as_secs_f64(),
            rate,
            linear,
            100.0 * rate / linear,
        );
        stop_workers(cluster);
    }
    println!(
        "   floor: one run takes {:.1} s of sleep, so N workers cannot beat N / {:.1} runs/s",
        SLEEP_MS as f64 / 1000.0,
        SLEEP_MS as f64 / 1000.0
    );
}

fn overhead(cluster: &mut Cluster) {
    const RUNS: usize = 40;
    println!();
    println!(
        "2. queue overhead per run: {RUNS} runs of asyncio-two-tasks sleep_ms=0, one at a time on one idle worker"
    );
    cluster.start_worker("ov").expect("worker");
    cluster
        .wait_workers_alive(1, Duration::from_secs(30))
        .expect("worker up");
    let mysql_url = cluster.mysql_url().to_string();
    let mut to_start = Vec::new();
    let mut around = Vec::new();
    let mut outside = Vec::new();
    for i in 0..RUNS {
        let id = format!("ov-{i}");
        let t0 = Instant::now();
        cluster.enqueue(&sleep_job(&id, 0)).expect("enqueue");
        let t1 = wait_ended(cluster, std::slice::from_ref(&id), Duration::from_secs(30));
        let trace = cluster
            .block_on(cluster.queue().record().trace(&id))
            .expect("trace")
            .expect("stored");
        let trace = conlab_core::Trace::from_json(&trace).expect("a trace");
        let run = Duration::from_nanos(trace.end);
        let (waited_us, ran_us) = stamps(cluster, &mysql_url, &id);
        if i < 3 {
            // The first runs warm the worker up (connections, calibration); not counted.
            continue;
        }
        to_start.push(Duration::from_micros(waited_us));
        around.push(Duration::from_micros(ran_us).saturating_sub(run));
        outside.push((t1 - t0).saturating_sub(run));
    }
    stop_workers(cluster);
    let floor = floor_round_trip(cluster);
    let commit = floor_commit(cluster, &mysql_url);
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    println!(
        "   enqueue → start (record: enqueued_at → started_at)   median {:>6.2} ms  p90 {:>6.2} ms   target <= 10 ms   floor {:.3} ms",
        ms(quantile(&mut to_start, 0.5)),
        ms(quantile(&mut to_start, 0.9)),
        ms(floor)
    );
    println!(
        "   end → stored (started_at → ended_at, less the run)    median {:>6.2} ms  p90 {:>6.2} ms   target <= 20 ms   (checks, trace to JSON, gzip, one transaction)",
        ms(quantile(&mut around, 0.5)),
        ms(quantile(&mut around, 0.9)),
    );
    println!(
        "   enqueue call → end seen here, less the run            median {:>6.2} ms  p90 {:>6.2} ms   target <= 40 ms   (the above + polling the record every 5 ms)",
        ms(quantile(&mut outside, 0.5)),
        ms(quantile(&mut outside, 0.9)),
    );
    println!(
        "   floor: a bare XADD + XREADGROUP + XACK round trip on the same Redis, median of 2,000: {:.3} ms",
        ms(floor)
    );
    println!(
        "   beside it: one committed single-row INSERT on the same MariaDB, median of 200: {:.3} ms (enqueue, claim and store commit once each)",
        ms(commit)
    );
}

/// One committed single-row INSERT on the cluster's MariaDB, in a table of its own.
fn floor_commit(cluster: &Cluster, mysql_url: &str) -> Duration {
    use mysql_async::prelude::Queryable;
    cluster.block_on(async {
        let pool = mysql_async::Pool::new(mysql_url);
        let mut conn = pool.get_conn().await.expect("MySQL");
        conn.query_drop(
            "CREATE TABLE IF NOT EXISTS bench_floor (id INT AUTO_INCREMENT PRIMARY KEY, t DATETIME(6) NOT NULL)",
        )
        .await
        .expect("table");
        let mut times = Vec::new();
        for _ in 0..200 {
            let t0 = Instant::now();
            conn.query_drop("INSERT INTO bench_floor (t) VALUES (NOW(6))")
                .await
                .expect("insert");
            times.push(t0.elapsed());
        }
        conn.query_drop("DROP TABLE bench_floor").await.expect("drop");
        drop(conn);
        pool.disconnect().await.ok();
        quantile(&mut times, 0.5)
    })
}

/// The record's own stamps of run `id`, in µs: enqueued → started, started → ended.
fn stamps(cluster: &Cluster, mysql_url: &str, id: &str) -> (u64, u64) {
    use mysql_async::prelude::Queryable;
    cluster.block_on(async {
        let pool = mysql_async::Pool::new(mysql_url);
        let mut conn = pool.get_conn().await.expect("MySQL");
        let row: Option<(i64, i64)> = conn
            .exec_first(
                "SELECT TIMESTAMPDIFF(MICROSECOND, enqueued_at, started_at),
                        TIMESTAMPDIFF(MICROSECOND, started_at, ended_at) FROM runs WHERE id = ?",
                (id,),
            )
            .await
            .expect("stamps");
        drop(conn);
        pool.disconnect().await.ok();
        let (a, b) = row.expect("a row");
        (a.max(0) as u64, b.max(0) as u64)
    })
}

/// A bare XADD / XREADGROUP / XACK round trip on the cluster's Redis, under a key of its own.
fn floor_round_trip(cluster: &Cluster) -> Duration {
    let url = cluster.redis_url().to_string();
    cluster.block_on(async move {
        let client = redis::Client::open(url.as_str()).expect("URL");
        let mut con = client
            .get_multiplexed_async_connection()
            .await
            .expect("Redis");
        let key = "bench:floor";
        let _: redis::Value = redis::cmd("XGROUP")
            .arg(&["CREATE", key, "g", "$", "MKSTREAM"])
            .query_async(&mut con)
            .await
            .expect("group");
        let mut times = Vec::new();
        for _ in 0..2000 {
            let t0 = Instant::now();
            let id: String = redis::cmd("XADD")
                .arg(&[key, "*", "run", "r", "scenario", "s"])
                .query_async(&mut con)
                .await
                .expect("XADD");
            let _: redis::Value = redis::cmd("XREADGROUP")
                .arg(&["GROUP", "g", "c", "COUNT", "1", "STREAMS", key, ">"])
                .query_async(&mut con)
                .await
                .expect("XREADGROUP");
            let _: i64 = redis::cmd("XACK")
                .arg(&[key, "g", &id])
                .query_async(&mut con)
                .await
                .expect("XACK");
            times.push(t0.elapsed());
        }
        let _: i64 = redis::cmd("DEL")
            .arg(key)
            .query_async(&mut con)
            .await
            .expect("DEL");
        quantile(&mut times, 0.5)
    })
}

fn takeover(cluster: &mut Cluster) {
    const KILLS: usize = 4;
    println!();
    println!(
        "3. a worker's SIGKILL → its run started again on another worker ({KILLS} kills, runs of sleep_ms=3000 killed 300 ms in)"
    );
    let mut next = 0;
    let mut fresh = |cluster: &mut Cluster| {
        next += 1;
        cluster.start_worker(&format!("k{next}")).expect("worker");
    };
    fresh(cluster);
    fresh(cluster);
    cluster
        .wait_workers_alive(2, Duration::from_secs(30))
        .expect("workers up");
    let mut times = Vec::new();
    for i in 0..KILLS {
        let id = format!("kill-{i}");
        cluster.enqueue(&sleep_job(&id, 3000)).expect("enqueue");
        let ids = [id.clone()];
        let deadline = Instant::now() + Duration::from_secs(20);
        let holder = loop {
            let row = cluster.rows(&ids).expect("rows").remove(&id).expect("row");
            if row.status == RunStatus::Running {
                break row.worker.expect("its worker");
            }
            assert!(Instant::now() < deadline, "{id} did not start");
            std::thread::sleep(Duration::from_millis(5));
        };
        std::thread::sleep(Duration::from_millis(300));
        let killed_at = Instant::now();
        cluster.kill_worker(&holder).expect("kill");
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            let row = cluster.rows(&ids).expect("rows").remove(&id).expect("row");
            if row.attempts == 2 && row.status == RunStatus::Running {
                times.push(killed_at.elapsed());
                break;
            }
            assert!(
                Instant::now() < deadline,
                "{id} was not taken over: {row:?}"
            );
            std::thread::sleep(Duration::from_millis(5));
        }
        fresh(cluster);
        wait_ended(cluster, &ids, Duration::from_secs(20));
    }
    let s = |d: Duration| d.as_secs_f64();
    times.sort();
    println!(
        "   taken over after {}   median {:.2} s   lease {:.1} s   target <= {:.1} s (the lease + one blocking read of {:.1} s)   floor {:.2} s (the lease less a heartbeat's third)",
        times
            .iter()
            .map(|t| format!("{:.2} s", s(*t)))
            .collect::<Vec<_>>()
            .join(", "),
        s(quantile(&mut times, 0.5)),
        s(LEASE),
        s(LEASE + READ_BLOCK),
        s(READ_BLOCK),
        s(LEASE * 2 / 3)
    );
    stop_workers(cluster);
}

fn quantile(times: &mut [Duration], q: f64) -> Duration {
    times.sort();
    if times.is_empty() {
        return Duration::ZERO;
    }
    times[((times.len() - 1) as f64 * q).round() as usize]
}
