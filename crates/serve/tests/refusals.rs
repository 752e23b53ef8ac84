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
            &["threads", "`0`", "1–4000"],
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
            r#"{"scenario":"lock","runtime":"virtual"}"#,
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
    }
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
    // Nothing was started by any of it.
    assert_eq!(
        get(addr, "/api/runs").json()["runs"]
            .as_array()
            .unwrap()
            .len(),
        0
    );
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
    let mut config = conlab_serve::Config::new(store.path().to_path_buf());
    config.bind = SocketAddr::from(([0, 0, 0, 0], 0));
    let error = conlab_serve::Server::start(config.clone())
        .err()
        .expect("refused")
        .to_string();
    assert!(
        error.contains("--token") && error.contains("0.0.0.0"),
        "{error}"
    );
    config.token = Some("short".into());
    let error = conlab_serve::Server::start(config.clone())
        .err()
        .expect("refused")
        .to_string();
    assert!(error.contains("16"), "{error}");
    config.bind = SocketAddr::from(([127, 0, 0, 1], 0));
    config.token = None;
    config.cors_origins = vec!["*".into()];
    let error = conlab_serve::Server::start(config)
        .err()
        .expect("refused")
        .to_string();
    assert!(error.contains("--cors-origin"), "{error}");
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
