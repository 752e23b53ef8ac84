//! What the server lets in, each through real HTTP on loopback: targets a run may reach,
//! event streams under their caps, virtual-time runs under the caps and Stop, the Host
//! guard on the whole authority, and tokens every path carries.

mod support;

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};
use support::*;

/// A service on this machine's loopback that is not conlab's: it answers every request with
/// a secret.
struct Secret {
    addr: SocketAddr,
    done: Arc<AtomicBool>,
    asked: Arc<std::sync::atomic::AtomicUsize>,
}

const SECRET: &str = "the-secret-of-another-service";

impl Secret {
    fn start() -> Secret {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        listener.set_nonblocking(true).unwrap();
        let addr = listener.local_addr().unwrap();
        let done = Arc::new(AtomicBool::new(false));
        let asked = Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let (stop, count) = (done.clone(), asked.clone());
        std::thread::spawn(move || {
            while !stop.load(Ordering::Relaxed) {
                match listener.accept() {
                    Ok((mut socket, _)) => {
                        count.fetch_add(1, Ordering::Relaxed);
                        let _ = socket.set_nonblocking(false);
                        let _ = socket.set_read_timeout(Some(Duration::from_secs(2)));
                        let mut buf = [0u8; 4096];
                        let _ = socket.read(&mut buf);
                        let answer = format!(
                            "HTTP/1.0 200 OK\r\nContent-Length: {}\r\n\r\n{SECRET}",
                            SECRET.len()
                        );
                        let _ = socket.write_all(answer.as_bytes());
                    }
                    Err(_) => std::thread::sleep(Duration::from_millis(5)),
                }
            }
        });
        Secret { addr, done, asked }
    }
}

impl Drop for Secret {
    fn drop(&mut self) {
        self.done.store(true, Ordering::Relaxed);
    }
}

#[test]
fn a_run_may_reach_only_conlabs_own_servers_and_those_the_operator_allowed() {
    let secret = Secret::start();
    let url = format!("http://{}/secret.txt", secret.addr);
    let (plain, _store) = server(|_| {});
    let addr = plain.addr();
    for scenario in ["raw-http", "load-test"] {
        let body =
            format!(r#"{{"scenario":"{scenario}","params":{{"url":"{url}","requests":"1"}}}}"#);
        let body = if scenario == "raw-http" {
            body.replace(r#","requests":"1""#, "")
        } else {
            body
        };
        let refused = post_json(addr, "/api/runs", &body);
        assert_eq!(refused.status, 403, "{scenario}: {}", refused.body);
        let error = refused.error();
        assert!(
            error.contains(&format!("url={url}"))
                && error.contains("conlab's own test servers")
                && error.contains("--allow-target"),
            "{error}"
        );
    }
    // Other spellings of the same place are refused as well: nothing was asked of it.
    for other in [
        format!("http://localhost:{}/", secret.addr.port()),
        format!("http://[::1]:{}/", secret.addr.port()),
        format!("HTTP://127.0.0.1:{}", secret.addr.port()),
    ] {
        let body = format!(r#"{{"scenario":"raw-http","params":{{"url":"{other}"}}}}"#);
        assert_eq!(post_json(addr, "/api/runs", &body).status, 403, "{other}");
    }
    assert_eq!(secret.asked.load(Ordering::Relaxed), 0);
    // conlab's own server, as ever.
    let own = start(addr, r#"{"scenario":"raw-http","params":{}}"#);
    assert_eq!(wait_ended(addr, &own)["status"]["kind"], "ok");
    drop(plain);

    // Allowed by the operator: that server, and only it.
    let allowed = format!("http://{}", secret.addr);
    let (allowing, _store) = server(|c| c.allow_targets = vec![allowed.clone()]);
    let addr = allowing.addr();
    let id = start(
        addr,
        &format!(r#"{{"scenario":"raw-http","params":{{"url":"{url}"}}}}"#),
    );
    let summary = wait_ended(addr, &id);
    assert_eq!(summary["status"]["kind"], "ok", "{summary}");
    assert!(secret.asked.load(Ordering::Relaxed) >= 1);
    let next_port = format!("http://127.0.0.1:{}/", secret.addr.port() ^ 1);
    let refused = post_json(
        addr,
        "/api/runs",
        &format!(r#"{{"scenario":"raw-http","params":{{"url":"{next_port}"}}}}"#),
    );
    assert_eq!(refused.status, 403);
    assert!(refused.error().contains(&allowed), "{}", refused.error());
}

#[test]
fn an_allowed_target_that_is_not_a_server_address_is_refused_before_listening() {
    let store = tempfile::tempdir().unwrap();
    for bad in [
        "127.0.0.1:8080",
        "https://127.0.0.1",
        "http://127.0.0.1:8080/admin",
        "http://",
        "http://127.0.0.1:99999",
    ] {
        let mut config = conlab_serve::Config::new(store.path().join("runs"));
        config.bind = SocketAddr::from(([127, 0, 0, 1], 0));
        config.allow_targets = vec![bad.into()];
        let error = conlab_serve::Server::start(config)
            .err()
            .unwrap_or_else(|| panic!("{bad} was accepted"))
            .to_string();
        assert!(
            error.contains("--allow-target") && error.contains(bad),
            "{bad}: {error}"
        );
    }
}

/// An event stream held open: the socket and what it sent first (its head and first event).
struct Held {
    _socket: TcpStream,
    first: String,
}

/// Opens run `id`'s event stream and reads until its first event.
fn hold(addr: SocketAddr, id: &str) -> Held {
    let mut socket = TcpStream::connect(addr).unwrap();
    socket
        .set_read_timeout(Some(Duration::from_secs(30)))
        .unwrap();
    write!(
        socket,
        "GET /api/runs/{id}/events HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut first = Vec::new();
    let mut buf = [0u8; 8192];
    loop {
        let n = socket.read(&mut buf).expect("the stream answers");
        first.extend_from_slice(&buf[..n]);
        let text = String::from_utf8_lossy(&first);
        let body = text.split_once("\r\n\r\n").map_or("", |(_, b)| b);
        if n == 0 || body.contains("\n\n") {
            break;
        }
    }
    Held {
        _socket: socket,
        first: String::from_utf8_lossy(&first).into_owned(),
    }
}

impl Held {
    /// The name of the first event.
    fn event(&self) -> &str {
        self.first
            .lines()
            .find_map(|l| l.strip_prefix("event: "))
            .unwrap_or("")
    }

    fn refusal(&self) -> serde_json::Value {
        let data = self
            .first
            .lines()
            .find_map(|l| l.strip_prefix("data: "))
            .expect("a refusal's data");
        serde_json::from_str(data).unwrap()
    }
}

/// Tries for up to 20 s to open a stream of `id` that is not refused.
fn hold_when_free(addr: SocketAddr, id: &str) -> (Held, Duration) {
    let began = Instant::now();
    loop {
        let held = hold(addr, id);
        if held.event() != "refused" {
            return (held, began.elapsed());
        }
        assert!(
            began.elapsed() < Duration::from_secs(20),
            "no slot was freed: {}",
            held.first
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

const LONG_RUN: &str =
    r#"{"scenario":"io-bound-threads","params":{"downloads":"2","latency_ms":"30000"}}"#;

#[test]
fn event_streams_are_capped_per_run_and_per_server_and_a_closed_one_frees_its_slot() {
    let (server, _store) = server(|c| {
        c.max_running = 1;
        c.max_streams = 3;
        c.max_streams_per_run = 2;
    });
    let addr = server.addr();
    let running = start(addr, LONG_RUN);
    // Queued behind it: its stream says so once, then has nothing to send for a long time.
    let queued = start(addr, LONG_RUN);
    let a = hold(addr, &running);
    let b = hold(addr, &running);
    assert!(a.event() == "start" && b.event() == "start", "{}", a.first);
    let c = hold(addr, &running);
    assert_eq!(c.event(), "refused", "{}", c.first);
    let why = c.refusal();
    assert_eq!(why["per_run"], true);
    assert_eq!(why["limit"], 2);
    assert!(
        why["error"]
            .as_str()
            .unwrap()
            .contains("--max-streams-per-run 2"),
        "{why}"
    );
    let q = hold(addr, &queued);
    assert_eq!(q.event(), "queued", "{}", q.first);
    let full = hold(addr, &queued);
    assert_eq!(full.event(), "refused");
    let why = full.refusal();
    assert_eq!(why["per_run"], false, "{why}");
    assert!(
        why["error"].as_str().unwrap().contains("--max-streams 3"),
        "{why}"
    );
    // A stream of a running run closed: its slot is free again.
    drop(a);
    let (_again, waited) = hold_when_free(addr, &queued);
    assert!(waited < Duration::from_secs(3), "freed after {waited:?}");
    // An idle stream closed (nothing to send it): its slot is free as soon.
    drop(q);
    let (_again, waited) = hold_when_free(addr, &running);
    assert!(waited < Duration::from_secs(3), "freed after {waited:?}");
    for id in [&running, &queued] {
        post_json(addr, &format!("/api/runs/{id}/stop"), "");
    }
}

#[test]
fn virtual_runs_obey_the_event_cap_and_stop() {
    let (capped, _store) = server(|c| c.max_events = 20_000);
    let addr = capped.addr();
    let refused = post_json(
        addr,
        "/api/runs",
        r#"{"scenario":"event-loop-choice","params":{"tasks":"100000"},"runtime":"virtual"}"#,
    );
    assert_eq!(refused.status, 400, "refused up front by its estimate");
    assert!(
        refused.error().contains("--max-events"),
        "{}",
        refused.error()
    );
    let id = start(
        addr,
        r#"{"scenario":"async-iterator","params":{"items":"100000","item_ms":"0"},"runtime":"virtual"}"#,
    );
    let summary = wait_ended(addr, &id);
    assert_eq!(summary["status"]["kind"], "refused", "{summary}");
    assert!(
        summary["status"]["reason"]
            .as_str()
            .unwrap()
            .contains("--max-events"),
        "{summary}"
    );
    drop(capped);

    // Stop asked at once of a run of a second or so: it ends stopped. (Should it have
    // ended before the stop arrived, on a machine slowed down, it is tried again.)
    let (roomy, _store) = server(|c| c.max_events = 10_000_000);
    let addr = roomy.addr();
    let mut outcomes = Vec::new();
    for _ in 0..3 {
        let id = start(
            addr,
            r#"{"scenario":"event-loop-choice","params":{"tasks":"200000"},"runtime":"virtual"}"#,
        );
        let asked = post_json(addr, &format!("/api/runs/{id}/stop"), "");
        assert_eq!(asked.status, 200, "{}", asked.body);
        let summary = wait_ended(addr, &id);
        outcomes.push(summary["status"]["kind"].as_str().unwrap().to_string());
        if outcomes.last().unwrap() == "stopped" {
            assert_eq!(summary["checks_total"], 0);
            return;
        }
    }
    panic!("Stop was not obeyed: {outcomes:?}");
}

#[test]
fn the_host_guard_reads_the_whole_authority() {
    let (server, _store) = server(|_| {});
    let addr = server.addr();
    for host in [
        "127.0.0.1:80@evil.example",
        "localhost:evil",
        "127.0.0.1:7878.evil.example",
        "[::1]evil.example",
        "localhost.evil.example",
    ] {
        let answer = call(addr, "GET", "/api/runs", &[("Host", host)], None);
        assert_eq!(answer.status, 403, "{host}");
    }
    for host in ["localhost", "127.0.0.1:7878", "[::1]:80", "LOCALHOST:1"] {
        let answer = call(addr, "GET", "/api/runs", &[("Host", host)], None);
        assert_eq!(answer.status, 200, "{host}");
    }
}

#[test]
fn tokens_are_only_what_every_path_carries_and_every_path_carries_them() {
    let store = tempfile::tempdir().unwrap();
    for bad in [
        "0123456789abcdef;x=1",
        "0123456789abcdef%41",
        "0123456789abcdef&b=c",
        "0123456789abcdef+/=",
        "0123456789abcdef\"",
    ] {
        let mut config = conlab_serve::Config::new(store.path().join("runs"));
        config.bind = SocketAddr::from(([127, 0, 0, 1], 0));
        config.token = Some(bad.into());
        let error = conlab_serve::Server::start(config)
            .err()
            .unwrap_or_else(|| panic!("{bad} was accepted"))
            .to_string();
        assert!(
            error.contains("would not carry unchanged"),
            "{bad}: {error}"
        );
    }
    // A token of every allowed kind of character goes through the header, the query (as a
    // browser may write it, escaped) and the cookie that query sets.
    let token = "Ab9.-_~0123456789zz";
    let (server, _store) = server(|c| c.token = Some(token.into()));
    let addr = server.addr();
    let bearer = format!("Bearer {token}");
    let header = call(
        addr,
        "GET",
        "/api/runs",
        &[("Authorization", bearer.as_str())],
        None,
    );
    assert_eq!(header.status, 200);
    let escaped = token.replace('~', "%7E").replace('.', "%2e");
    let query = get(addr, &format!("/api/runs?token={escaped}"));
    assert_eq!(query.status, 200, "{}", query.body);
    let page = get(addr, &format!("/?token={escaped}"));
    let cookie = page.header("set-cookie").expect("a cookie").to_string();
    let pair = cookie.split(';').next().unwrap();
    assert_eq!(pair, format!("conlab_token={token}"));
    let with_cookie = call(addr, "GET", "/api/runs", &[("Cookie", pair)], None);
    assert_eq!(with_cookie.status, 200);
}

#[test]
fn cpython_runs_are_judged_capped_and_stopped_like_the_others() {
    let (capped, _store) = server(|c| c.max_events = 2_000);
    let addr = capped.addr();
    let id = start(
        addr,
        r#"{"scenario":"gather-vs-wait","params":{"sleeps_ms":"200,50"},"runtime":"cpython"}"#,
    );
    let summary = wait_ended(addr, &id);
    assert_eq!(summary["runtime"], "cpython");
    assert_eq!(summary["status"]["kind"], "ok", "{summary}");
    assert_eq!(
        summary["checks_passed"].as_u64().unwrap()
            + summary["checks_not_judged"].as_u64().unwrap_or(0),
        summary["checks_total"].as_u64().unwrap(),
        "{summary}"
    );
    let trace = get(addr, &format!("/api/runs/{id}/trace"));
    let trace = conlab_core::Trace::from_json(&trace.body).unwrap();
    assert_eq!(trace.runtime, conlab_core::RuntimeKind::Cpython);
    assert!(trace.interpreter.is_some());
    // The server's event cap holds as the tracer records.
    let id = start(
        addr,
        r#"{"scenario":"create-task","params":{"tasks":"5000","sleep_ms":"10"},"runtime":"cpython"}"#,
    );
    let summary = wait_ended(addr, &id);
    assert_eq!(summary["status"]["kind"], "refused", "{summary}");
    assert_eq!(summary["checks_total"], 0);
    // A lesson without a program is refused up front, naming those with one.
    let refused = post_json(
        addr,
        "/api/runs",
        r#"{"scenario":"sync-vs-async-requests","runtime":"cpython"}"#,
    );
    assert_eq!(refused.status, 400);
    assert!(
        refused.error().contains("no Python program"),
        "{}",
        refused.error()
    );
    // A program against databases reaches the same servers as conlab's own run: refused on a
    // server not started with --allow-databases.
    let refused = post_json(
        addr,
        "/api/runs",
        r#"{"scenario":"redis-pool","runtime":"cpython"}"#,
    );
    assert_eq!(refused.status, 403);
    assert!(
        refused.error().contains("--allow-databases"),
        "{}",
        refused.error()
    );
    // Stop: the program ends stopped, with what it recorded and no verdict.
    let id = start(
        addr,
        r#"{"scenario":"asyncio-two-tasks","params":{"sleep_ms":"10000"},"runtime":"cpython"}"#,
    );
    std::thread::sleep(Duration::from_millis(800));
    let asked = post_json(addr, &format!("/api/runs/{id}/stop"), "");
    assert_eq!(asked.status, 200, "{}", asked.body);
    let started = std::time::Instant::now();
    let summary = wait_ended(addr, &id);
    assert_eq!(summary["status"]["kind"], "stopped", "{summary}");
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "stopped in {:?}",
        started.elapsed()
    );
}
