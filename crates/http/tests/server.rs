//! The test server and the clients, over real loopback sockets.

use conlab_http::blocking::{self, Progress};
use conlab_http::conn::{Conn, Failure};
use conlab_http::response::Head;
use conlab_http::{content, upload, TestServer};
use std::sync::atomic::Ordering::Relaxed;
use std::time::{Duration, Instant};

#[derive(Default)]
struct Collect {
    connected: bool,
    status: u16,
    body: Vec<u8>,
}

impl Progress for Collect {
    fn connected(&mut self) {
        self.connected = true;
    }
    fn head(&mut self, head: &Head) {
        self.status = head.status;
        assert_eq!(head.header("content-type"), Some("text/plain"));
    }
    fn body(&mut self, bytes: &[u8]) {
        self.body.extend_from_slice(bytes);
    }
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
}

#[test]
fn files_arrive_whole_after_their_latency() {
    let server = TestServer::start().unwrap();
    for size in [0u64, 1, 64, 65_537, 3 * 1024 * 1024 + 5] {
        let mut got = Collect::default();
        let started = Instant::now();
        let path = format!("/files/f{size}.txt?size={size}&latency_ms=50");
        let (head, n) = blocking::get(
            server.addr(),
            "127.0.0.1",
            &path,
            Duration::from_secs(10),
            &mut got,
        )
        .unwrap();
        assert!(started.elapsed() >= Duration::from_millis(50));
        assert_eq!((head.status, n), (200, size));
        assert!(got.connected);
        let name = format!("f{size}.txt");
        assert_eq!(got.body, content::bytes(&name, size as usize));
        assert_eq!(crc32fast::hash(&got.body), content::crc32(&name, size));
    }
    assert_eq!(server.stats().requests.load(Relaxed), 5);
}

#[test]
fn uploads_are_checked_by_the_server_and_connections_are_kept_alive() {
    let server = TestServer::start().unwrap();
    let addr = server.addr();
    runtime().block_on(async {
        let mut conn = Conn::connect(addr).await.unwrap();
        for size in [0usize, 10, 100_000] {
            let payload = content::bytes("up.bin", size);
            let request = upload::post_request("127.0.0.1", "/upload", "up.bin", &payload);
            let mut said = Vec::new();
            let r = conn
                .exchange(&request, false, |_| {}, |b| said.extend_from_slice(b))
                .await
                .unwrap();
            assert_eq!(r.head.status, 200, "{}", String::from_utf8_lossy(&said));
            assert!(String::from_utf8_lossy(&said).contains(&format!("{size} bytes")));
            assert!(conn.is_reusable());
        }
        // A form whose file does not match what it says is refused, and counted.
        let mut bad = upload::post_request("127.0.0.1", "/upload", "up.bin", b"hello");
        let at = bad.windows(5).position(|w| w == b"hello").unwrap();
        bad[at] = b'j';
        let r = conn.exchange(&bad, false, |_| {}, |_| {}).await.unwrap();
        assert_eq!(r.head.status, 422);
    });
    let stats = server.stats();
    assert_eq!(stats.uploads_intact.load(Relaxed), 3);
    assert_eq!(stats.uploads_damaged.load(Relaxed), 1);
    assert_eq!(stats.upload_bytes.load(Relaxed), 100_015);
}

#[test]
fn the_failing_share_is_exact_over_every_prefix() {
    let server = TestServer::start().unwrap();
    server.fail_share(0.25);
    let addr = server.addr();
    let statuses = runtime().block_on(async {
        let mut conn = Conn::connect(addr).await.unwrap();
        let request = upload::get_request("127.0.0.1", "/hello");
        let mut statuses = Vec::new();
        for _ in 0..40 {
            let r = conn
                .exchange(&request, false, |_| {}, |_| {})
                .await
                .unwrap();
            statuses.push(r.head.status);
        }
        statuses
    });
    for n in [4, 8, 20, 40] {
        let failed = statuses[..n].iter().filter(|s| **s == 500).count();
        assert_eq!(failed, n / 4, "{statuses:?}");
    }
    assert_eq!(server.stats().failed_on_purpose.load(Relaxed), 10);
}

#[test]
fn a_stall_holds_requests_and_a_kill_drops_connections() {
    let server = TestServer::start().unwrap();
    let addr = server.addr();
    server.stall_for(Duration::from_millis(300));
    let rt = runtime();
    let mut conn = rt.block_on(async {
        let mut conn = Conn::connect(addr).await.unwrap();
        let started = Instant::now();
        let request = upload::get_request("127.0.0.1", "/hello");
        conn.exchange(&request, false, |_| {}, |_| {})
            .await
            .unwrap();
        assert!(started.elapsed() >= Duration::from_millis(250));
        conn
    });
    server.kill();
    rt.block_on(async {
        let request = upload::get_request("127.0.0.1", "/hello");
        let e = conn
            .exchange(&request, false, |_| {}, |_| {})
            .await
            .unwrap_err();
        assert!(
            matches!(e, Failure::Closed | Failure::Read(_) | Failure::Write(_)),
            "{e}"
        );
        let e = Conn::connect(addr).await.err().unwrap();
        assert!(e.to_string().starts_with("connect: "), "{e}");
    });
}

#[test]
fn a_blocking_request_gives_up_within_a_slice_when_asked() {
    use conlab_tokio::SlowServer;
    let server = TestServer::start().unwrap();
    let started = Instant::now();
    let give_up = || started.elapsed() >= Duration::from_millis(100);
    let answer = server.request_blocking(Duration::from_secs(20), &give_up);
    assert!(answer.is_err(), "it gave up instead of waiting 20 s");
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "gave up after {:?}",
        started.elapsed()
    );
}

#[test]
fn as_a_runs_slow_server_it_answers_after_the_latency_asked() {
    use conlab_tokio::SlowServer;
    let server = TestServer::start().unwrap();
    let started = Instant::now();
    server
        .request_blocking(Duration::from_micros(40_500), &|| false)
        .unwrap();
    assert!(started.elapsed() >= Duration::from_micros(40_500));
    let started = Instant::now();
    runtime()
        .block_on(server.request(Duration::from_millis(30)))
        .unwrap();
    assert!(started.elapsed() >= Duration::from_millis(30));
    assert_eq!(server.stats().requests.load(Relaxed), 2);
    assert!(server.describe().starts_with("real: "));
}
