//! The HTTP scenarios with other parameters than their defaults, against conlab's own test
//! server and against a server this test runs (as a user's own would be): failures on purpose
//! counted exactly, a duration on a fixed schedule, latencies from intended send times under a
//! stall, every request accounted for when the server is killed mid-run, and URLs refused.

use conlab_core::{Params, Trace};
use conlab_http::TestServer;
use conlab_scenarios::RuntimeChoice::Tokio;
use conlab_tests::{assert_passed, exclusive, run, LIMIT};
use std::time::Duration;

fn metric(t: &Trace, key: &str) -> f64 {
    t.metrics
        .extra(key)
        .unwrap_or_else(|| panic!("no metric {key}"))
}

fn error_kinds(t: &Trace) -> Vec<String> {
    t.marks_named("errors").map(|m| m.detail.clone()).collect()
}

#[test]
fn load_test_counts_failures_on_purpose_exactly_and_checks_uploads() {
    let _one = exclusive();
    let t = run(
        "load-test",
        Tokio,
        &[
            "clients=7",
            "requests=333",
            "payload_kb=3",
            "fail_percent=10",
        ],
    );
    assert_passed(&t);
    assert_eq!(metric(&t, "sent"), 333.0);
    assert_eq!(metric(&t, "failed"), 33.0);
    assert_eq!(metric(&t, "server_uploads_intact"), 300.0);
    assert_eq!(error_kinds(&t), ["33\tHTTP 500"]);
    assert_eq!(t.metrics.latency.unwrap().count, 333);
    for key in ["latency_histogram", "requests_per_second", "p99_per_second"] {
        assert!(t.charts.iter().any(|c| c.key == key), "no chart {key}");
    }
    let bars: f64 = t.charts[0].points.iter().map(|p| p[1]).sum();
    assert_eq!(bars, 333.0, "the histogram's bars add up to the responses");
}

#[test]
fn load_test_for_a_duration_at_a_rate_sends_its_schedule() {
    let _one = exclusive();
    let t = run(
        "load-test",
        Tokio,
        &["clients=3", "duration_ms=1500", "rate=400", "payload_kb=0"],
    );
    assert_passed(&t);
    assert_eq!(metric(&t, "sent"), 600.0);
    let series = t
        .charts
        .iter()
        .find(|c| c.key == "requests_per_second")
        .unwrap();
    assert!(series.points.len() >= 2, "{:?}", series.points);
    // The makespan covers the schedule: the last request was due at 1.4975 s.
    assert!(
        t.metrics.makespan >= 1_490_000_000,
        "{}",
        t.metrics.makespan
    );
}

#[test]
fn at_a_fixed_rate_a_stall_shows_in_latencies_from_intended_send_times() {
    let _one = exclusive();
    let server = TestServer::start().unwrap();
    let url = server.url("/hello");
    let stall = std::thread::scope(|s| {
        s.spawn(|| {
            std::thread::sleep(Duration::from_millis(700));
            server.stall_for(Duration::from_secs(1));
        });
        run(
            "load-test",
            Tokio,
            &[
                &format!("url={url}"),
                "clients=4",
                "duration_ms=3000",
                "rate=200",
                "payload_kb=0",
            ],
        )
    });
    assert_passed(&stall);
    let latency = stall.metrics.latency.unwrap();
    // A second of requests was due while the server stood still: each waited for it.
    assert!(
        latency.p99 >= 500_000_000,
        "p99 from intended send times {}",
        latency.p99
    );
    assert!(latency.max >= 800_000_000, "max {}", latency.max);
    // Measured from when they were actually sent, only the 4 stuck requests were slow: the
    // naive p99 hides the stall.
    let naive_p99_ms = metric(&stall, "service_p99_ms");
    assert!(naive_p99_ms < 200.0, "naive p99 {naive_p99_ms} ms");
}

#[test]
fn every_request_is_accounted_for_when_the_server_is_killed_mid_run() {
    let _one = exclusive();
    let server = TestServer::start().unwrap();
    let url = server.url("/upload");
    let t = std::thread::scope(|s| {
        let killer = s.spawn(move || {
            std::thread::sleep(Duration::from_millis(600));
            server.kill();
        });
        let t = run(
            "load-test",
            Tokio,
            &[
                &format!("url={url}"),
                "clients=16",
                "duration_ms=1500",
                "payload_kb=16",
            ],
        );
        killer.join().unwrap();
        t
    });
    assert_passed(&t);
    let (sent, ok, failed) = (
        metric(&t, "sent"),
        metric(&t, "succeeded"),
        metric(&t, "failed"),
    );
    assert!(ok > 0.0 && failed > 0.0, "{ok} ok, {failed} failed");
    assert_eq!(sent, ok + failed);
    let kinds = error_kinds(&t);
    assert!(
        kinds
            .iter()
            .any(|k| k.contains("connect: Connection refused")),
        "{kinds:?}"
    );
    let by_kind: f64 = kinds
        .iter()
        .map(|k| k.split('\t').next().unwrap().parse::<f64>().unwrap())
        .sum();
    assert_eq!(by_kind, failed);
}

#[test]
fn the_crawler_verifies_every_file_with_other_parameters() {
    let _one = exclusive();
    for params in [
        ["files=23", "latency_ms=120", "size_kb=7"],
        ["files=150", "latency_ms=60", "size_kb=1"],
        ["files=2", "latency_ms=0", "size_kb=3000"],
    ] {
        let t = run("crawler", Tokio, &params);
        assert_passed(&t);
        let files: usize = params[0][6..].parse().unwrap();
        assert_eq!(t.marks_named("verified").count(), files * 4, "{params:?}");
        // Each download has its three steps on its own lane.
        let lane = t.lane_named("async file-1.txt").unwrap();
        let states: Vec<_> = t
            .spans
            .iter()
            .filter(|s| s.lane == lane.id)
            .map(|s| s.state)
            .collect();
        assert!(
            states.ends_with(&[
                conlab_core::SpanState::InFlight,
                conlab_core::SpanState::BlockedIo
            ]),
            "{states:?}"
        );
    }
    // The temporary folder is gone.
    let left: Vec<_> = std::fs::read_dir(std::env::temp_dir())
        .unwrap()
        .flatten()
        .filter(|e| {
            e.file_name()
                .to_string_lossy()
                .starts_with(&format!("conlab-crawler-{}-", std::process::id()))
        })
        .collect();
    assert!(left.is_empty(), "{left:?}");
}

#[test]
fn raw_http_reads_both_versions_and_a_users_server() {
    let _one = exclusive();
    let t = run("raw-http", Tokio, &["version=1.1", "size_kb=70"]);
    assert_passed(&t);
    assert!(t
        .output_texts()
        .contains(&"> GET /files/hello.txt?size=71680 HTTP/1.1"));
    let server = TestServer::start().unwrap();
    let url = server.url("/files/page.txt?size=5000");
    let t = run("raw-http", Tokio, &[&format!("url={url}"), "version=1.0"]);
    assert_passed(&t);
    assert!(t.output_texts().iter().any(|l| l.starts_with("< HTTP/1.")));
    assert_eq!(
        t.marks_named("header").count(),
        3,
        "content-type, content-length, date"
    );
}

#[test]
fn urls_that_leave_the_machine_or_are_not_http_are_refused_in_words() {
    let info = conlab_core::catalog::find("load-test").unwrap();
    let params = Params::from_assignments(
        "load-test",
        info.params,
        ["url=http://192.0.2.1:8080/upload"],
    )
    .unwrap();
    let e = conlab_scenarios::run("load-test", Tokio, &params, LIMIT)
        .err()
        .unwrap()
        .to_string();
    assert!(
        e.contains("not this machine") && e.contains("--allow-remote"),
        "{e}"
    );
    let e = Params::from_assignments("load-test", info.params, ["url=https://127.0.0.1/"])
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("url") && e.contains("https is not supported"),
        "{e}"
    );
    let params = Params::from_assignments(
        "load-test",
        info.params,
        ["url=http://127.0.0.1:1/", "fail_percent=5"],
    )
    .unwrap();
    let e = conlab_scenarios::run("load-test", Tokio, &params, LIMIT)
        .err()
        .unwrap()
        .to_string();
    assert!(e.contains("fail_percent"), "{e}");
}

#[test]
fn the_io_scenarios_make_real_requests_natively_and_say_so() {
    let _one = exclusive();
    let io = |t: &Trace| {
        t.marks_named("io")
            .map(|m| m.detail.clone())
            .collect::<Vec<_>>()
    };
    for (id, params) in [
        ("io-switch", ["fetches=40", "latency_ms=70"]),
        ("sync-vs-async-requests", ["requests=6", "latency_ms=30"]),
        ("io-bound-threads", ["downloads=9", "latency_ms=50"]),
        ("run-in-executor", ["calls=5", "block_ms=60"]),
    ] {
        let t = run(id, Tokio, &params);
        assert_passed(&t);
        let marks = io(&t);
        assert!(
            marks.len() == 1 && marks[0].starts_with("real: ") && marks[0].contains("127.0.0.1:"),
            "{id}: {marks:?}"
        );
    }
    let t = run(
        "run-in-executor",
        Tokio,
        &["calls=2", "pool=process", "block_ms=10"],
    );
    assert_eq!(io(&t), [conlab_core::SIMULATED_IO], "a pool process sleeps");
    let t = run(
        "io-switch",
        conlab_scenarios::RuntimeChoice::Virtual,
        &["fetches=4"],
    );
    assert_eq!(io(&t), [conlab_core::SIMULATED_IO]);
}

#[test]
fn more_real_requests_at_once_than_open_files_allow_are_refused_naming_the_parameter() {
    let info = conlab_core::catalog::find("io-switch").unwrap();
    let hard = conlab_tokio::open_files::raise_to_hard_limit().unwrap();
    if hard >= 2 * 10_000 + 200 {
        return; // this machine allows every value in the range
    }
    let params = Params::from_assignments("io-switch", info.params, ["fetches=10000"]).unwrap();
    let e = conlab_scenarios::run("io-switch", Tokio, &params, LIMIT)
        .err()
        .unwrap()
        .to_string();
    assert!(e.contains("fetches=10000") && e.contains("or fewer"), "{e}");
}

#[test]
fn a_run_for_a_duration_ends_with_it_and_a_run_without_answers_fails() {
    let _one = exclusive();
    // Two clients cannot send 200,000 requests a second: what they fell behind on is counted.
    let t = run(
        "load-test",
        Tokio,
        &[
            "clients=2",
            "duration_ms=800",
            "rate=200000",
            "payload_kb=0",
        ],
    );
    assert_passed(&t);
    let (sent, unsent) = (metric(&t, "sent"), metric(&t, "unsent"));
    assert!(unsent > 0.0, "{sent} sent, {unsent} unsent");
    assert_eq!(sent + unsent, 160_000.0);
    assert!(t.metrics.makespan < 3_000_000_000, "{}", t.metrics.makespan);
    // A rate over a duration is measured over the duration.
    let t = run(
        "load-test",
        Tokio,
        &["clients=2", "duration_ms=1000", "rate=5", "payload_kb=0"],
    );
    assert_passed(&t);
    let per_s = metric(&t, "requests_per_s");
    assert!((4.0..=5.5).contains(&per_s), "{per_s} answers/s");
    // A duration shorter than connecting takes: each client still sends its first request,
    // so the run measures something instead of passing on nothing.
    let clients = 1 + std::process::id() as usize % 300;
    let t = run(
        "load-test",
        Tokio,
        &[
            "duration_ms=1",
            &format!("clients={clients}"),
            "payload_kb=0",
        ],
    );
    assert_passed(&t);
    assert!(
        metric(&t, "sent") >= clients as f64,
        "{}",
        metric(&t, "sent")
    );
    assert_eq!(t.metrics.latency.unwrap().count as f64, metric(&t, "sent"));
    // Nobody listens on port 1: no request is answered, and the run says so.
    let t = run(
        "load-test",
        Tokio,
        &[
            "url=http://127.0.0.1:1/",
            "requests=3",
            "clients=1",
            "payload_kb=0",
        ],
    );
    match &t.status {
        conlab_core::Status::Failed { reason } => assert!(
            reason.contains("no request got an answer") && reason.contains("connect: "),
            "{reason}"
        ),
        other => panic!("{other:?}"),
    }
}

/// A server on loopback that answers every connection with `response` (after reading the
/// request), then, if `endless`, sends bytes until the client goes away.
fn hostile_server(response: &'static [u8], endless: bool) -> std::net::SocketAddr {
    use std::io::{Read, Write};
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    std::thread::spawn(move || {
        for conn in listener.incoming().flatten().take(4) {
            std::thread::spawn(move || {
                let mut conn = conn;
                let mut request = [0u8; 4096];
                let _ = conn.read(&mut request);
                if conn.write_all(response).is_err() {
                    return;
                }
                let block = vec![b'x'; 64 * 1024];
                while endless && conn.write_all(&block).is_ok() {}
            });
        }
    });
    addr
}

#[test]
fn raw_http_reads_no_more_than_it_can_hold_and_judges_the_framing_it_is_sent() {
    let _one = exclusive();
    // A body that never ends: the run fails naming the limit, without growing without bound.
    let addr = hostile_server(b"HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\n\r\n", true);
    let t = run("raw-http", Tokio, &[&format!("url=http://{addr}/infinite")]);
    match &t.status {
        conlab_core::Status::Failed { reason } => {
            assert!(reason.contains("64 MiB"), "{reason}")
        }
        other => panic!("an endless body was read: {other:?}"),
    }
    // A line that never ends.
    let addr = hostile_server(b"HTTP/1.0 200 OK\r\nX-Long: ", true);
    let t = run("raw-http", Tokio, &[&format!("url=http://{addr}/")]);
    match &t.status {
        conlab_core::Status::Failed { reason } => {
            assert!(reason.contains("64 KiB"), "{reason}")
        }
        other => panic!("an endless header line was read: {other:?}"),
    }
    // Lengths that are not lengths, or that disagree: the framing check fails naming them.
    for (response, says) in [
        (
            &b"HTTP/1.1 200 OK\r\nContent-Length: -1\r\nConnection: close\r\n\r\nhello"[..],
            "Content-Length \"-1\" is not a length",
        ),
        (
            b"HTTP/1.1 200 OK\r\nContent-Length: 99999999999999999999\r\nConnection: close\r\n\r\nhello",
            "Content-Length 99999999999999999999 is larger than any body can be",
        ),
        (
            b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\nContent-Length: 7\r\nConnection: close\r\n\r\nhello",
            "Content-Length headers disagree: 5, 7",
        ),
        (
            b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n5\r\nhello\r\n0\r\n\r\n",
            "Transfer-Encoding: chunked and Content-Length both",
        ),
    ] {
        let addr = hostile_server(response, false);
        let t = run("raw-http", Tokio, &[&format!("url=http://{addr}/")]);
        let framing = t
            .checks
            .iter()
            .find(|c| c.id == "framing-valid")
            .unwrap_or_else(|| panic!("no framing check: {:?}", t.status));
        assert!(
            !framing.passed && framing.detail.contains(says),
            "{says}: {}",
            framing.detail
        );
    }
}
