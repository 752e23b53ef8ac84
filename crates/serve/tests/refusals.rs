//! Every refusal of `conlab serve`, each with the status a program can act on and a sentence
//! a person reads; and 200 clients at once against the caps.

mod support;

use std::net::SocketAddr;
use std::sync::Arc;
use support::*;

const TOKEN: &str = "0123456789abcdef0123";

#[test]
fn bad_starts_are_refused_naming_what_is_wrong() {
    let (server, _store) = server(|c| c.max_run = std::time::Duration::from_secs(90));
    let addr = server.addr();
    let cases: &[(&str, u16, &[&str])] = &[
        (
            r#"{"scenario":"thread-strat"}"#,
            404,
            &["thread-strat", "thread-start"],
        ),
        (
            r#"{"scenario":"thread-start","params":{"threads":"0"}}"#,
            400,
            &["threads", "`0`", "1–4,000"],
        ),
        (
            r#"{"scenario":"thread-start","params":{"colour":"red"}}"#,
            400,
            &["colour", "threads"],
        ),
        (r#"{"scenario":"redis-hash"}"#, 403, &["--allow-databases"]),
        (
            r#"{"scenario":"io-bound-threads","params":{"latency_ms":"60000"}}"#,
            400,
            &["--max-run-seconds", "90"],
        ),
        (
            r#"{"scenario":"run-in-executor","runtime":"virtual"}"#,
            400,
            &["virtual"],
        ),
        (
            r#"{"scenario":"lock","extra":1}"#,
            400,
            &["extra", "start request"],
        ),
        (r#"not json"#, 400, &["start request"]),
    ];
    for (body, status, words) in cases {
        let answer = post_json(addr, "/api/runs", body);
        assert_eq!(answer.status, *status, "{body}: {}", answer.body);
        let error = answer.error();
        for word in *words {
            assert!(error.contains(word), "{body}: `{error}` lacks `{word}`");
        }
        assert!(!error.contains("Some("), "{error}");
        assert!(!error.contains("StartRun"), "{error}");
    }
    // Numbers are values too.
    let number = post_json(
        addr,
        "/api/runs",
        r#"{"scenario":"thread-start","params":{"threads":3}}"#,
    );
    assert_eq!(number.status, 202, "{}", number.body);
    assert_eq!(number.json()["params"]["threads"], "3");
    // Wrong methods and unknown calls answer in JSON, naming the API.
    let wrong = call(addr, "DELETE", "/api/runs", &[], None);
    assert_eq!(wrong.status, 405);
    assert!(wrong.error().contains("POST /api/runs"), "{}", wrong.body);
    let unknown = get(addr, "/api/nope");
    assert_eq!(unknown.status, 404);
    assert!(
        unknown.error().contains("GET /api/scenarios"),
        "{}",
        unknown.body
    );
    // An id with a control character is shown escaped, not as another run's id.
    let nul = get(addr, "/api/runs/a%00b");
    assert_eq!(nul.status, 404);
    assert!(nul.error().contains("a\\0b"), "{}", nul.body);
    // So is an id that is not text once decoded, on every call that takes one.
    for path in [
        "/api/runs/%ff",
        "/api/runs/%ff/events",
        "/api/runs/%ff/trace",
    ] {
        let bad = get(addr, path);
        assert_eq!(bad.status, 404, "{path}: {}", bad.body);
        assert!(
            bad.error().contains("no run is called `%ff`"),
            "{}",
            bad.body
        );
    }
    let bad_stop = post_json(addr, "/api/runs/%ff/stop", "");
    assert_eq!(bad_stop.status, 404, "{}", bad_stop.body);
    // Not JSON by its type, and too large.
    let plain = call(
        addr,
        "POST",
        "/api/runs",
        &[("Content-Type", "text/plain")],
        Some("{}"),
    );
    assert_eq!(plain.status, 415, "{}", plain.body);
    let big = format!(
        r#"{{"scenario":"lock","params":{{"x":"{}"}}}}"#,
        "a".repeat(40_000)
    );
    let answer = post_json(addr, "/api/runs", &big);
    assert_eq!(answer.status, 413, "{}", answer.body);
    assert!(answer.error().contains("16 KB"));
    // Unknown runs, and ids that could name files elsewhere.
    for path in [
        "/api/runs/nope",
        "/api/runs/..%2F..%2Fetc%2Fpasswd/trace",
        "/api/runs/a.b/trace",
    ] {
        assert_eq!(get(addr, path).status, 404, "{path}");
    }
    // A body declared too large is refused before it is read, on any call.
    let stop = call(
        addr,
        "POST",
        "/api/runs/x/stop",
        &[("Content-Length", "100000")],
        None,
    );
    assert_eq!(stop.status, 413);
    // Only the run with a number for a value was started.
    let runs = get(addr, "/api/runs").json();
    assert_eq!(runs["runs"].as_array().unwrap().len(), 1);
}

#[test]
fn requests_from_other_hosts_and_origins_are_refused_unless_allowed() {
    let (server, _store) = server(|c| c.cors_origins = vec!["https://tutorial.example".into()]);
    let addr = server.addr();
    // DNS rebinding: a page of evil.example whose name now points at 127.0.0.1.
    let rebound = call(
        addr,
        "GET",
        "/api/runs",
        &[("Host", "evil.example:7878")],
        None,
    );
    assert_eq!(rebound.status, 403);
    let page = call(addr, "GET", "/", &[("Host", "evil.example")], None);
    assert_eq!(page.status, 403);
    // Another site's page calling the API.
    let foreign = call(
        addr,
        "POST",
        "/api/runs",
        &[
            ("Origin", "https://other.example"),
            ("Content-Type", "application/json"),
        ],
        Some(r#"{"scenario":"thread-start"}"#),
    );
    assert_eq!(foreign.status, 403);
    assert!(foreign.error().contains("--cors-origin"));
    assert!(foreign.header("access-control-allow-origin").is_none());
    // The allowed origin: a preflight, then the call, with CORS headers.
    let preflight = call(
        addr,
        "OPTIONS",
        "/api/runs",
        &[
            ("Origin", "https://tutorial.example"),
            ("Access-Control-Request-Method", "POST"),
        ],
        None,
    );
    assert_eq!(preflight.status, 204);
    assert_eq!(
        preflight.header("access-control-allow-origin"),
        Some("https://tutorial.example")
    );
    let allowed = call(
        addr,
        "GET",
        "/api/scenarios",
        &[("Origin", "https://tutorial.example")],
        None,
    );
    assert_eq!(allowed.status, 200);
    assert_eq!(
        allowed.header("access-control-allow-origin"),
        Some("https://tutorial.example")
    );
    // The page's own origin.
    let own = format!("http://{addr}");
    let same = call(
        addr,
        "GET",
        "/api/scenarios",
        &[("Origin", own.as_str())],
        None,
    );
    assert_eq!(same.status, 200);
}

#[test]
fn with_a_token_every_api_call_must_carry_it() {
    let (server, _store) = server(|c| c.token = Some(TOKEN.into()));
    let addr = server.addr();
    let none = get(addr, "/api/scenarios");
    assert_eq!(none.status, 401);
    assert_eq!(none.header("www-authenticate"), Some("Bearer"));
    let wrong = call(
        addr,
        "GET",
        "/api/runs",
        &[("Authorization", "Bearer 0123456789abcdef0124")],
        None,
    );
    assert_eq!(wrong.status, 401);
    let bearer = format!("Bearer {TOKEN}");
    let right = call(
        addr,
        "GET",
        "/api/runs",
        &[("Authorization", bearer.as_str())],
        None,
    );
    assert_eq!(right.status, 200);
    let lower = format!("bearer {TOKEN}");
    let lower = call(
        addr,
        "GET",
        "/api/runs",
        &[("Authorization", lower.as_str())],
        None,
    );
    assert_eq!(lower.status, 200, "the scheme's case does not matter");
    // A page opened with ?token= gets a cookie for its later calls (EventSource included).
    let page = get(addr, &format!("/?token={TOKEN}"));
    let cookie = page.header("set-cookie").expect("a cookie").to_string();
    assert!(cookie.contains("HttpOnly") && cookie.contains("SameSite=Strict"));
    let pair = cookie.split(';').next().unwrap();
    let with_cookie = call(addr, "GET", "/api/runs", &[("Cookie", pair)], None);
    assert_eq!(with_cookie.status, 200);
    // The page itself (no run data) is served without it.
    assert_eq!(get(addr, "/").status, 200);
}

#[test]
fn unsafe_settings_are_refused_before_listening() {
    let store = tempfile::tempdir().unwrap();
    let mut config = conlab_serve::Config::new(store.path().join("runs"));
    let refused = |config: &conlab_serve::Config| {
        conlab_serve::Server::start(config.clone())
            .err()
            .expect("refused")
            .to_string()
    };
    config.bind = SocketAddr::from(([0, 0, 0, 0], 0));
    let error = refused(&config);
    assert!(
        error.contains("--token") && error.contains("0.0.0.0"),
        "{error}"
    );
    for weak in [
        "short",
        "                ",
        "0123456789 abcdef0123",
        "abcdefghijklmnop\u{e9}",
    ] {
        config.token = Some(weak.into());
        let error = refused(&config);
        assert!(
            error.contains("16") && error.contains("a letter"),
            "{error}"
        );
    }
    config.bind = SocketAddr::from(([127, 0, 0, 1], 0));
    config.token = None;
    for origin in ["*", "https://a.example/path", "a.example", "https://"] {
        config.cors_origins = vec![origin.into()];
        let error = refused(&config);
        assert!(error.contains("--cors-origin"), "{origin}: {error}");
    }
    // One store, one server: a second is refused while the first runs.
    config.cors_origins.clear();
    let first = conlab_serve::Server::start(config.clone()).expect("the first starts");
    let error = refused(&config);
    assert!(error.contains("another conlab serve"), "{error}");
    drop(first);
    conlab_serve::Server::start(config.clone()).expect("free again once the first stopped");
    // A file where the store should be.
    let file = store.path().join("file");
    std::fs::write(&file, "x").unwrap();
    config.store = file;
    let error = refused(&config);
    assert!(error.contains("a file, not a folder"), "{error}");
}

#[test]
fn a_run_recording_more_than_the_server_keeps_is_stopped_and_refused_saying_why() {
    let (server, _store) = server(|c| c.max_events = 20_000);
    let addr = server.addr();
    // Where the parameters make the count large, its estimate refuses the run up front.
    let refused = post_json(
        addr,
        "/api/runs",
        r#"{"scenario":"producer-consumer","params":{"producers":"8","consumers":"8","produce_ms":"0","consume_ms":"0","duration_ms":"20000"}}"#,
    );
    assert_eq!(refused.status, 400, "{}", refused.body);
    assert!(
        refused.error().contains("20,000 events, --max-events"),
        "{}",
        refused.error()
    );
    // A run without an estimate is stopped once it has recorded more.
    let id = start(
        addr,
        r#"{"scenario":"async-iterator","params":{"items":"100000","item_ms":"0"}}"#,
    );
    let started = std::time::Instant::now();
    let summary = wait_ended(addr, &id);
    assert!(
        started.elapsed() < std::time::Duration::from_secs(10),
        "stopped early"
    );
    // Refused by the server's limit: no verdict on a run that did not happen as a whole.
    assert_eq!(summary["status"]["kind"], "refused", "{summary}");
    let reason = summary["status"]["reason"].as_str().unwrap();
    assert!(
        reason.contains("20000 events") && reason.contains("--max-events"),
        "{reason}"
    );
    assert_eq!(summary["checks_total"], 0);
}

#[test]
fn two_hundred_clients_at_once_each_get_a_run_or_a_429_and_none_is_lost() {
    let (server, _store) = server(|c| {
        c.max_running = 2;
        c.max_queued = 8;
    });
    let addr = server.addr();
    let gate = Arc::new(std::sync::Barrier::new(200));
    let clients: Vec<_> = (0..200)
        .map(|i| {
            let gate = gate.clone();
            std::thread::spawn(move || {
                gate.wait();
                let threads = 1 + i % 7;
                let answer = post_json(
                    addr,
                    "/api/runs",
                    &format!(r#"{{"scenario":"thread-start","params":{{"threads":"{threads}"}}}}"#),
                );
                (
                    answer.status,
                    answer.header("retry-after").map(str::to_string),
                    answer.body,
                )
            })
        })
        .collect();
    let answers: Vec<_> = clients.into_iter().map(|c| c.join().unwrap()).collect();
    let accepted: Vec<String> = answers
        .iter()
        .filter(|(s, _, _)| *s == 202)
        .map(|(_, _, body)| {
            serde_json::from_str::<serde_json::Value>(body).unwrap()["id"]
                .as_str()
                .unwrap()
                .to_string()
        })
        .collect();
    let refused = answers.iter().filter(|(s, _, _)| *s == 429).count();
    assert_eq!(
        accepted.len() + refused,
        200,
        "every client got a run or a 429: {:?}",
        answers
            .iter()
            .filter(|(s, _, _)| *s != 202 && *s != 429)
            .collect::<Vec<_>>()
    );
    // At least the caps' worth were taken (runs may end while others still arrive).
    assert!(accepted.len() >= 10, "{} accepted", accepted.len());
    for (status, retry, _) in &answers {
        if *status == 429 {
            let seconds: u64 = retry
                .as_deref()
                .expect("Retry-After")
                .parse()
                .expect("seconds");
            assert!((1..=600).contains(&seconds));
        }
    }
    // Every accepted run is listed, runs to its end and passes; the server still answers.
    let listed = get(addr, "/api/runs").json();
    let listed: Vec<&str> = listed["runs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["id"].as_str().unwrap())
        .collect();
    for id in &accepted {
        assert!(listed.contains(&id.as_str()), "{id} is not listed");
        let summary = wait_ended(addr, id);
        assert_eq!(summary["status"]["kind"], "ok", "{summary}");
        assert_eq!(summary["checks_passed"], summary["checks_total"]);
    }
    assert_eq!(listed.len(), accepted.len());
    assert_eq!(get(addr, "/api/scenarios").status, 200);
}

#[test]
fn a_run_whose_trace_cannot_be_kept_is_listed_as_failed_saying_why() {
    // The store on a tiny disk, filled: the run's trace cannot be written.
    let disk = tempfile::tempdir().unwrap();
    let mounted = std::process::Command::new("mount")
        .args(["-t", "tmpfs", "-o", "size=64k", "tmpfs"])
        .arg(disk.path())
        .status()
        .is_ok_and(|s| s.success());
    assert!(
        mounted,
        "mounting a tmpfs needs root, as this project's machines run"
    );
    struct Unmount<'a>(&'a std::path::Path);
    impl Drop for Unmount<'_> {
        fn drop(&mut self) {
            let _ = std::process::Command::new("umount").arg(self.0).status();
        }
    }
    let _unmount = Unmount(disk.path());
    let store = disk.path().to_path_buf();
    let (server, _unused) = server(|c| c.store = store.clone());
    {
        use std::io::Write;
        let mut filler = std::fs::File::create(disk.path().join("filler")).unwrap();
        while filler.write_all(&[0; 4096]).is_ok() {}
    }
    let addr = server.addr();
    let id = start(
        addr,
        r#"{"scenario":"asyncio-two-tasks","params":{},"runtime":"virtual"}"#,
    );
    let summary = wait_ended(addr, &id);
    assert_eq!(summary["status"]["kind"], "failed", "{summary}");
    let reason = summary["status"]["reason"].as_str().unwrap();
    assert!(
        reason.contains("its trace could not be kept") && reason.contains("No space left"),
        "{reason}"
    );
    let trace = get(addr, &format!("/api/runs/{id}/trace"));
    assert_eq!(trace.status, 410, "{}", trace.body);
    assert!(
        trace.error().contains("could not be stored"),
        "{}",
        trace.error()
    );
    drop(server);
}
