//! Benchmarks for the real-world chapter, side by side in one run, figures printed:
//! - redis-pool's concurrent and pipelined modes against redis-benchmark with the same number
//!   of clients and the same pipeline depth, on the same private server (target >= 0.8x);
//! - mysql-pool's concurrent makespan against the ideal ceil(queries / pool) x sleep
//!   (target <= 1.2x).

use conlab_core::{catalog, Params};
use conlab_scenarios::RuntimeChoice;
use std::net::TcpListener;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

const OPS: usize = 100_000;
const POOL: usize = 10;
/// conlab's pipeline depth (see redis_pool.rs).
const DEPTH: usize = 1000;

struct Server(Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn start_redis() -> (Server, u16) {
    let port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let child = Command::new("redis-server")
        .args([
            "--bind",
            "127.0.0.1",
            "--port",
            &port.to_string(),
            "--save",
            "",
            "--appendonly",
            "no",
        ])
        .stdout(Stdio::null())
        .spawn()
        .expect("redis-server (scripts/setup-servers.sh installs it)");
    let deadline = Instant::now() + Duration::from_secs(5);
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(20));
    }
    (Server(child), port)
}

/// redis-benchmark's SET throughput with `clients` connections and pipeline `depth`.
fn redis_benchmark(port: u16, clients: usize, depth: usize) -> f64 {
    let out = Command::new("redis-benchmark")
        .args([
            "-h",
            "127.0.0.1",
            "-p",
            &port.to_string(),
            "-t",
            "set",
            "-q",
        ])
        .args([
            "-n",
            &OPS.to_string(),
            "-c",
            &clients.to_string(),
            "-P",
            &depth.to_string(),
        ])
        .output()
        .expect("redis-benchmark (package redis-tools)");
    let text = String::from_utf8_lossy(&out.stdout);
    // "SET: 123456.79 requests per second, p50=..."; the last line holds the final figure.
    text.rsplit(['\r', '\n'])
        .find_map(|l| l.strip_prefix("SET: ")?.split(' ').next()?.parse().ok())
        .unwrap_or(f64::NAN)
}

fn run(id: &str, assignments: &[&str]) -> conlab_core::Trace {
    let info = catalog::find(id).unwrap();
    let params = Params::from_assignments(id, info.params, assignments.iter().copied()).unwrap();
    conlab_scenarios::run(id, RuntimeChoice::Tokio, &params, Duration::from_secs(300)).unwrap()
}

/// The redis crate by itself, without conlab or tracing: `ops` SETs in pipelines of `depth`
/// on one multiplexed connection, the same way redis-pool's pipelined mode sends them.
/// This is the ceiling for any client built on the crate.
fn bare_redis_crate(port: u16, ops: usize, depth: usize) -> f64 {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a runtime");
    rt.block_on(async {
        let client = redis::Client::open(format!("redis://127.0.0.1:{port}/1")).expect("url");
        let mut con = client
            .get_multiplexed_async_connection()
            .await
            .expect("connect");
        let start = Instant::now();
        for chunk in 0..ops.div_ceil(depth) {
            let mut pipe = redis::pipe();
            for i in chunk * depth..((chunk + 1) * depth).min(ops) {
                pipe.set(format!("bare:{i}"), i).ignore();
            }
            let _: () = pipe.query_async(&mut con).await.expect("pipeline");
        }
        let rate = ops as f64 / start.elapsed().as_secs_f64();
        let _: () = redis::cmd("FLUSHDB")
            .query_async(&mut con)
            .await
            .expect("flush");
        rate
    })
}

fn main() {
    let (_server, port) = start_redis();
    // Single-threaded here, before anything else runs: conlab reads the server from this.
    std::env::set_var("CONLAB_REDIS_URL", format!("redis://127.0.0.1:{port}/0"));
    println!("redis-pool vs redis-benchmark, {OPS} SETs, same private server (127.0.0.1:{port})");
    let ops = format!("ops={OPS}");
    let pool = format!("pool={POOL}");
    let mut conlab_conc = Vec::new();
    let mut conlab_pipe = Vec::new();
    for _ in 0..3 {
        let t = run("redis-pool", &[&ops, &pool]);
        assert!(t.passed(), "{:?}", t.status);
        conlab_conc.push(t.metrics.extra("ops_per_s_concurrent").unwrap_or(f64::NAN));
        conlab_pipe.push(t.metrics.extra("ops_per_s_pipelined").unwrap_or(f64::NAN));
    }
    let median = |mut v: Vec<f64>| {
        v.sort_by(f64::total_cmp);
        v[v.len() / 2]
    };
    let (conc, pipe) = (median(conlab_conc), median(conlab_pipe));
    let bench_conc = median((0..3).map(|_| redis_benchmark(port, POOL, 1)).collect());
    let bench_pipe = median((0..3).map(|_| redis_benchmark(port, 1, DEPTH)).collect());
    println!("  concurrent, {POOL} connections: conlab {conc:>9.0} ops/s, redis-benchmark -c {POOL} {bench_conc:>9.0} ops/s: {:.2}x (target >= 0.8x)", conc / bench_conc);
    println!("  pipelined, depth {DEPTH}:      conlab {pipe:>9.0} ops/s, redis-benchmark -P {DEPTH} {bench_pipe:>9.0} ops/s: {:.2}x (target >= 0.8x)", pipe / bench_pipe);
    bare_redis_crate(port, OPS, DEPTH); // warm-up
    let bare = median((0..3).map(|_| bare_redis_crate(port, OPS, DEPTH)).collect());
    println!("  pipelined, depth {DEPTH}:      the redis crate alone, no conlab, no tracing: {bare:>9.0} ops/s: {:.2}x of redis-benchmark (the crate's own ceiling)", bare / bench_pipe);
    println!("  (conlab records a span for every command; redis-benchmark is C with no tracing)");

    println!("web-api: requests per second on the Redis endpoint (handler_ms=0, fresh connection per request)");
    for users in [200usize, 1000] {
        let t = run("web-api", &[&format!("users={users}"), "handler_ms=0"]);
        println!(
            "  {users} concurrent users: {:.0} req/s on /redis, {:.0} on /mysql, {:.0} on /plain; checks {}",
            t.metrics.extra("requests_per_s_redis").unwrap_or(f64::NAN),
            t.metrics.extra("requests_per_s_mysql").unwrap_or(f64::NAN),
            t.metrics.extra("requests_per_s_plain").unwrap_or(f64::NAN),
            if t.status == conlab_core::Status::Ok { "ran" } else { "FAILED" }
        );
    }

    println!("mysql-pool: concurrent makespan against ceil(queries / pool) x sleep");
    for (queries, pool, sleep) in [(50usize, 10usize, 200u64), (20, 5, 200), (100, 25, 100)] {
        let t = run(
            "mysql-pool",
            &[
                &format!("queries={queries}"),
                &format!("pool={pool}"),
                &format!("sleep_ms={sleep}"),
            ],
        );
        let got = t
            .metrics
            .extra("makespan_concurrent_ms")
            .unwrap_or(f64::NAN);
        let ideal = queries.div_ceil(pool) as f64 * sleep as f64;
        println!("  {queries} queries, pool {pool}, sleep {sleep} ms: {got:.0} ms vs ideal {ideal:.0} ms = {:.2}x (target <= 1.2x), checks {}", got / ideal, if t.passed() { "pass" } else { "FAIL" });
    }
}
