//! Benchmarks for the HTTP chapter. Each figure is printed beside the target and, in
//! the same run, the peer it is compared with:
//! - `conlab run load-test` against `wrk` (Debian's) and `oha` (`cargo install oha`, which
//!   `just bench` does) on the same endpoint of one server, with the same connections and
//!   duration: requests per second (targets >= 0.9x wrk, >= 1.0x oha) and the p99 each reports;
//! - `conlab run crawler`'s async mode against the ideal `latency + bytes / loopback bandwidth`,
//!   the bandwidth measured by one plain download in the same run.
//!
//! The server is conlab's test server, started once by this benchmark (one thread, as in
//! every run), so every tester loads the same endpoint of the same process. conlab is run as
//! a user runs it (the whole `conlab` process), its figures read from the trace it writes.

use conlab_core::Trace;
use conlab_http::TestServer;
use std::process::Command;
use std::time::Duration;

const CONLAB: &str = env!("CARGO_BIN_EXE_conlab");
/// Runs of each tester; the best of them is compared (the machine's noise only slows).
const ROUNDS: usize = 3;

struct Figure {
    per_s: f64,
    p99_ms: f64,
    /// CPU time per answered request, in microseconds: the tester's process and the server
    /// (this process, where only the server works during a run). Both share the 2 cores, so
    /// a tester that spends more CPU per request leaves less of it to the server.
    client_cpu_us: f64,
    server_cpu_us: f64,
}

/// User plus system CPU seconds of this process or of its waited-for children.
fn cpu_seconds(who: libc::c_int) -> f64 {
    let mut usage = std::mem::MaybeUninit::<libc::rusage>::zeroed();
    // SAFETY: getrusage fills the struct it is given; zeroed is a valid rusage.
    let usage = unsafe {
        libc::getrusage(who, usage.as_mut_ptr());
        usage.assume_init()
    };
    let seconds = |t: libc::timeval| t.tv_sec as f64 + t.tv_usec as f64 / 1e6;
    seconds(usage.ru_utime) + seconds(usage.ru_stime)
}

/// Runs one tester and adds the CPU each side spent per answered request.
fn with_cpu(seconds: u64, run: impl FnOnce() -> Option<Figure>) -> Option<Figure> {
    let (client0, server0) = (
        cpu_seconds(libc::RUSAGE_CHILDREN),
        cpu_seconds(libc::RUSAGE_SELF),
    );
    let mut figure = run()?;
    let answers = figure.per_s * seconds as f64;
    figure.client_cpu_us = (cpu_seconds(libc::RUSAGE_CHILDREN) - client0) / answers * 1e6;
    figure.server_cpu_us = (cpu_seconds(libc::RUSAGE_SELF) - server0) / answers * 1e6;
    Some(figure)
}

fn conlab_load(url: &str, connections: usize, seconds: u64, payload_kb: usize) -> Option<Figure> {
    let out = std::env::temp_dir().join(format!("conlab-bench-http-{}.json", std::process::id()));
    let status = Command::new(CONLAB)
        .args(["run", "load-test", "--format", "json", "--out"])
        .arg(&out)
        .args(["-p", &format!("url={url}")])
        .args(["-p", &format!("clients={connections}")])
        .args(["-p", &format!("duration_ms={}", seconds * 1000)])
        .args(["-p", &format!("payload_kb={payload_kb}")])
        .status()
        .ok()?;
    let text = std::fs::read_to_string(&out).ok()?;
    let _ = std::fs::remove_file(&out);
    let trace = Trace::from_json(&text).ok()?;
    if !status.success() {
        eprintln!("conlab load-test failed: {:?}", trace.status);
        return None;
    }
    let latency = trace.metrics.latency?;
    Some(Figure {
        per_s: trace.metrics.extra("requests_per_s")?,
        p99_ms: latency.p99 as f64 / 1e6,
        client_cpu_us: 0.0,
        server_cpu_us: 0.0,
    })
}

/// wrk's figures: `Requests/sec:` and the 99% line of `--latency`.
fn wrk(
    url: &str,
    connections: usize,
    seconds: u64,
    threads: usize,
    script: Option<&str>,
) -> Option<Figure> {
    let mut command = Command::new("wrk");
    command.args([
        "-t",
        &threads.to_string(),
        "-c",
        &connections.to_string(),
        "-d",
        &format!("{seconds}s"),
        "--latency",
    ]);
    if let Some(script) = script {
        command.args(["-s", script]);
    }
    let out = command.arg(url).output().ok()?;
    let text = String::from_utf8_lossy(&out.stdout);
    if let Some(line) = text
        .lines()
        .find(|l| l.contains("Non-2xx or 3xx responses"))
    {
        eprintln!("wrk: {}", line.trim());
        return None;
    }
    let per_s = text
        .lines()
        .find_map(|l| l.trim().strip_prefix("Requests/sec:"))?
        .trim()
        .parse()
        .ok()?;
    let p99 = text
        .lines()
        .find_map(|l| l.trim().strip_prefix("99%"))
        .map(|v| parse_wrk_time(v.trim()))?;
    Some(Figure {
        per_s,
        p99_ms: p99?,
        client_cpu_us: 0.0,
        server_cpu_us: 0.0,
    })
}

fn parse_wrk_time(v: &str) -> Option<f64> {
    let (number, factor) = if let Some(n) = v.strip_suffix("us") {
        (n, 1e-3)
    } else if let Some(n) = v.strip_suffix("ms") {
        (n, 1.0)
    } else if let Some(n) = v.strip_suffix('s') {
        (n, 1e3)
    } else {
        (v, 1.0)
    };
    number.parse::<f64>().ok().map(|n| n * factor)
}

/// oha's figures from its JSON summary.
fn oha(url: &str, connections: usize, seconds: u64, body: Option<(&str, &str)>) -> Option<Figure> {
    let mut command = Command::new(oha_path()?);
    command.args([
        "-c",
        &connections.to_string(),
        "-z",
        &format!("{seconds}s"),
        "--no-tui",
        "--output-format",
        "json",
    ]);
    if let Some((file, content_type)) = body {
        command.args(["-m", "POST", "-D", file, "-T", content_type]);
    }
    let out = command.arg(url).output().ok()?;
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).ok()?;
    let codes = json["statusCodeDistribution"].as_object()?;
    let not_ok: u64 = codes
        .iter()
        .filter(|(code, _)| !code.starts_with('2'))
        .filter_map(|(_, n)| n.as_u64())
        .sum();
    if not_ok > 0 {
        eprintln!("oha: {not_ok} responses were not 2xx: {codes:?}");
        return None;
    }
    Some(Figure {
        per_s: json["summary"]["requestsPerSec"].as_f64()?,
        p99_ms: json["latencyPercentiles"]["p99"].as_f64()? * 1e3,
        client_cpu_us: 0.0,
        server_cpu_us: 0.0,
    })
}

fn oha_path() -> Option<std::path::PathBuf> {
    let home = std::env::var_os("CARGO_HOME")
        .map(std::path::PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| std::path::Path::new(&h).join(".cargo")))?;
    let installed = home.join("bin/oha");
    if installed.exists() {
        return Some(installed);
    }
    Command::new("oha")
        .arg("--version")
        .output()
        .ok()
        .map(|_| "oha".into())
}

fn best(figures: impl Iterator<Item = Option<Figure>>) -> Option<Figure> {
    figures.flatten().max_by(|a, b| a.per_s.total_cmp(&b.per_s))
}

fn show(name: &str, f: &Option<Figure>) {
    match f {
        Some(f) => println!(
            "  {name:<28} {:>10.0} req/s   p99 {:>8.3} ms   CPU per request: tester {:>6.1} us, server {:>6.1} us",
            f.per_s, f.p99_ms, f.client_cpu_us, f.server_cpu_us
        ),
        None => println!("  {name:<28} not measured (not installed, or it failed)"),
    }
}

fn ratio(ours: &Option<Figure>, peer: &Option<Figure>, target: f64, peer_name: &str) {
    if let (Some(a), Some(b)) = (ours, peer) {
        let r = a.per_s / b.per_s;
        println!(
            "  conlab / {peer_name}: {r:.2}x (target >= {target:.1}x) {}",
            if r >= target { "ok" } else { "BELOW TARGET" }
        );
    }
}

/// The floor under the upload figures: the test server runs on one thread, so when that
/// thread is busy all the time, requests/s is one second over the server's CPU per request,
/// whoever sends. Printed beside the figures so a gap between testers reads as what it is.
fn server_floor(figures: &[(&str, &Option<Figure>)]) {
    for (name, figure) in figures {
        if let Some(f) = figure {
            let busy = f.per_s * f.server_cpu_us / 1e6;
            println!(
                "  server under {name:<6}: {busy:.2} of its one thread busy; 1 s / {:.1} us per request = {:.0} req/s at most",
                f.server_cpu_us,
                1e6 / f.server_cpu_us
            );
        }
    }
}

fn load_figures(server: &TestServer, get_part: bool, post_part: bool) {
    let (connections, seconds) = (64, 5);
    let get = server.url("/hello");
    if get_part {
        println!(
        "load test: GET {get}, {connections} connections, {seconds} s each, best of {ROUNDS} (server: conlab's test server, one thread)"
    );
        let ours = best(
            (0..ROUNDS).map(|_| with_cpu(seconds, || conlab_load(&get, connections, seconds, 0))),
        );
        let wrk1 = best(
            (0..ROUNDS).map(|_| with_cpu(seconds, || wrk(&get, connections, seconds, 1, None))),
        );
        let wrk2 = best(
            (0..ROUNDS).map(|_| with_cpu(seconds, || wrk(&get, connections, seconds, 2, None))),
        );
        let oha_get =
            best((0..ROUNDS).map(|_| with_cpu(seconds, || oha(&get, connections, seconds, None))));
        show("conlab load-test", &ours);
        show("wrk -t1", &wrk1);
        show("wrk -t2", &wrk2);
        show("oha", &oha_get);
        let wrk_best = best([wrk1, wrk2].into_iter());
        ratio(&ours, &wrk_best, 0.9, "wrk (its better thread count)");
        ratio(&ours, &oha_get, 1.0, "oha");
    }
    if !post_part {
        return;
    }

    // The same with a 64 KB upload: the form conlab posts, posted by wrk and oha too.
    let payload_kb = 64;
    let upload = server.url("/upload");
    let form = conlab_http::upload::form(
        "payload.bin",
        &conlab_http::content::bytes("payload.bin", payload_kb * 1024),
    );
    let dir = std::env::temp_dir().join(format!("conlab-bench-http-form-{}", std::process::id()));
    let _ = std::fs::create_dir_all(&dir);
    let form_file = dir.join("form.bin");
    std::fs::write(&form_file, &form).expect("the form is written");
    let script = dir.join("post.lua");
    std::fs::write(
        &script,
        format!(
            "local f = io.open({:?}, \"rb\")\nwrk.method = \"POST\"\nwrk.body = f:read(\"*all\")\nf:close()\nwrk.headers[\"Content-Type\"] = {:?}\n",
            form_file.display().to_string(),
            conlab_http::upload::content_type()
        ),
    )
    .expect("the script is written");
    println!("\nload test: POST {upload}, a {payload_kb} KB file as a form, {connections} connections, {seconds} s each");
    let ours = best((0..ROUNDS).map(|_| {
        with_cpu(seconds, || {
            conlab_load(&upload, connections, seconds, payload_kb)
        })
    }));
    let script = script.display().to_string();
    let wrk1 = best((0..ROUNDS).map(|_| {
        with_cpu(seconds, || {
            wrk(&upload, connections, seconds, 1, Some(&script))
        })
    }));
    let wrk2 = best((0..ROUNDS).map(|_| {
        with_cpu(seconds, || {
            wrk(&upload, connections, seconds, 2, Some(&script))
        })
    }));
    let content_type = conlab_http::upload::content_type();
    let form_path = form_file.display().to_string();
    let oha_post = best((0..ROUNDS).map(|_| {
        with_cpu(seconds, || {
            oha(
                &upload,
                connections,
                seconds,
                Some((&form_path, &content_type)),
            )
        })
    }));
    show("conlab load-test", &ours);
    show("wrk -t1", &wrk1);
    show("wrk -t2", &wrk2);
    show("oha", &oha_post);
    let wrk_best = best([wrk1, wrk2].into_iter());
    ratio(&ours, &wrk_best, 0.9, "wrk (its better thread count)");
    ratio(&ours, &oha_post, 1.0, "oha");
    server_floor(&[("conlab", &ours), ("wrk", &wrk_best), ("oha", &oha_post)]);
    let _ = std::fs::remove_dir_all(&dir);
}

/// Loopback bandwidth as the crawler's client sees it: one plain download of a large file
/// from the same kind of server, no latency, nothing written to disk, in bytes per second.
fn loopback_bandwidth(server: &TestServer) -> f64 {
    struct Count;
    impl conlab_http::blocking::Progress for Count {
        fn connected(&mut self) {}
        fn head(&mut self, _: &conlab_http::response::Head) {}
        fn body(&mut self, _: &[u8]) {}
    }
    // The server's largest file.
    let size = conlab_http::server::MAX_FILE;
    (0..3)
        .map(|_| {
            let start = std::time::Instant::now();
            let path = format!("/files/bandwidth?size={size}");
            let (head, got) = conlab_http::blocking::get(
                server.addr(),
                "127.0.0.1",
                &path,
                Duration::from_secs(60),
                &mut Count,
            )
            .expect("the download completes");
            assert_eq!((head.status, got), (200, size), "the whole file");
            got as f64 / start.elapsed().as_secs_f64()
        })
        .fold(0.0, f64::max)
}

fn crawler_figures(server: &TestServer) {
    let (files, latency_ms, size_kb) = (20u64, 300u64, 256u64);
    println!(
        "\ncrawler: {files} files of {size_kb} KB, each answered after {latency_ms} ms (`conlab run crawler`, its async mode)"
    );
    let bandwidth = loopback_bandwidth(server);
    let bytes = (files * size_kb * 1024) as f64;
    let ideal_ms = latency_ms as f64 + bytes / bandwidth * 1e3;
    let out =
        std::env::temp_dir().join(format!("conlab-bench-crawler-{}.json", std::process::id()));
    let runs: Vec<f64> = (0..ROUNDS)
        .filter_map(|_| {
            Command::new(CONLAB)
                .args(["run", "crawler", "--format", "json", "--out"])
                .arg(&out)
                .args([
                    "-p",
                    &format!("files={files}"),
                    "-p",
                    &format!("latency_ms={latency_ms}"),
                    "-p",
                    &format!("size_kb={size_kb}"),
                ])
                .status()
                .ok()?;
            let trace = Trace::from_json(&std::fs::read_to_string(&out).ok()?).ok()?;
            trace.metrics.extra("makespan_async_ms")
        })
        .collect();
    let _ = std::fs::remove_file(&out);
    let best = runs.iter().copied().fold(f64::INFINITY, f64::min);
    println!(
        "  loopback bandwidth (one plain 64 MB download, the floor's input): {:.0} MB/s",
        bandwidth / 1e6
    );
    println!(
        "  ideal: latency + bytes / bandwidth = {latency_ms} ms + {:.1} ms = {ideal_ms:.1} ms",
        bytes / bandwidth * 1e3
    );
    println!(
        "  conlab crawler, async mode: best {best:.1} ms of {:?} → {:.2}x the ideal (each file is also written, read back and checked)",
        runs.iter().map(|r| format!("{r:.1}")).collect::<Vec<_>>(),
        best / ideal_ms
    );
}

fn main() {
    if std::env::args().any(|a| a == "--list") {
        return;
    }
    let server = TestServer::start().expect("conlab's test server starts");
    // CONLAB_BENCH_ONLY=get|post|crawler runs one part.
    let only = std::env::var("CONLAB_BENCH_ONLY").unwrap_or_default();
    let part = |name: &str| only.is_empty() || only == name;
    if only == "serve" {
        // The server alone for a minute, to load by hand.
        println!("serving {}", server.url("/"));
        std::thread::sleep(Duration::from_secs(60));
        return;
    }
    if part("get") || part("post") {
        load_figures(&server, part("get"), part("post"));
    }
    if part("crawler") {
        crawler_figures(&server);
    }
}
