//! web-api through the `conlab` binary, against real Redis and MariaDB servers (found or
//! started privately): the async endpoints serve users together, the blocking one serializes.

mod support;

use std::process::Command;
use support::{failure, number_after, run_trace, text};

/// The runs take turns: their checks measure time, and one's burst of thousands of users
/// would slow another's.
fn one_at_a_time() -> std::sync::MutexGuard<'static, ()> {
    static LOCK: std::sync::Mutex<()> = std::sync::Mutex::new(());
    LOCK.lock().unwrap_or_else(|p| p.into_inner())
}

#[test]
fn async_endpoints_serve_users_together_and_the_blocking_one_does_not() {
    let _turn = one_at_a_time();
    for users in ["6", "15"] {
        let o = Command::new(env!("CARGO_BIN_EXE_conlab"))
            .args([
                "run",
                "web-api",
                "-p",
                &format!("users={users}"),
                "-p",
                "handler_ms=120",
                "--format",
                "json",
            ])
            .output()
            .unwrap();
        let out = String::from_utf8_lossy(&o.stdout);
        assert_eq!(
            o.status.code(),
            Some(0),
            "{out}{}",
            String::from_utf8_lossy(&o.stderr)
        );
        let trace = conlab_core::Trace::from_json(&out).unwrap();
        assert!(trace.passed());
        let redis = trace.metrics.extra("requests_per_s_redis").unwrap();
        let plain = trace.metrics.extra("requests_per_s_plain").unwrap();
        assert!(
            redis > 2.0 * plain,
            "async {redis:.1} req/s vs blocking {plain:.1} req/s"
        );
        let handlers = trace
            .lanes
            .iter()
            .filter(|l| l.kind == conlab_core::LaneKind::Server)
            .count();
        assert_eq!(
            handlers,
            3 * users.parse::<usize>().unwrap(),
            "one server-side handler lane per request"
        );
    }
}

#[test]
fn many_users_are_served_or_refused_up_front_naming_the_open_files_limit() {
    let _turn = one_at_a_time();
    // Each user holds two open files (its socket and the server's side): with 10,000 users a
    // hard limit of 20,000 ran out, and some requests failed with no reason given. Under a hard
    // limit of 4,096 the run is refused before it starts, naming the limit and what fits.
    let limited = |users: &str| {
        Command::new("sh")
            .args([
                "-c",
                "ulimit -S -n 1024 && ulimit -H -n 4096 && exec \"$0\" \"$@\"",
            ])
            .arg(env!("CARGO_BIN_EXE_conlab"))
            .args(["run", "web-api", "-p", users, "-p", "handler_ms=0"])
            .args(["--format", "json"])
            .output()
            .unwrap()
    };
    let o = limited("users=10000");
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    let why = String::from_utf8_lossy(&o.stderr).to_string();
    assert!(
        why.contains("users=10000")
            && why.contains("at most 4,096")
            && why.contains("RLIMIT_NOFILE"),
        "{why}"
    );
    assert!(o.stdout.is_empty(), "refused before it ran");
    // The number of users it suggests is served under the same limit.
    let most = number_after(&why, "Run with users=").expect("a suggested number of users");
    assert!((1..2048).contains(&most), "{why}");
    let users = format!("users={most}");
    let o = limited(&users);
    let trace = conlab_core::Trace::from_json(&String::from_utf8_lossy(&o.stdout))
        .unwrap_or_else(|e| panic!("{users}: {e} {}", text(&o)));
    assert!(trace.passed(), "{users}: {} {}", failure(&trace), text(&o));
}

#[test]
fn a_low_soft_limit_on_open_files_is_raised_to_the_hard_limit() {
    let _turn = one_at_a_time();
    // 2,000 users need about 4,100 open files, beyond the usual soft limit of 1,024.
    let o = Command::new("sh")
        .args(["-c", "ulimit -S -n 1024 && exec \"$0\" \"$@\""])
        .arg(env!("CARGO_BIN_EXE_conlab"))
        .args(["run", "web-api", "-p", "users=2000", "-p", "handler_ms=0"])
        .args(["--format", "json"])
        .output()
        .unwrap();
    let hard = Command::new("sh")
        .args(["-c", "ulimit -H -n"])
        .output()
        .unwrap();
    let hard: u64 = String::from_utf8_lossy(&hard.stdout)
        .trim()
        .parse()
        .unwrap_or(u64::MAX);
    if hard < 4_200 {
        assert_eq!(o.status.code(), Some(2), "{}", text(&o));
        assert!(
            String::from_utf8_lossy(&o.stderr).contains("RLIMIT_NOFILE"),
            "{}",
            text(&o)
        );
    } else {
        let trace = conlab_core::Trace::from_json(&String::from_utf8_lossy(&o.stdout)).unwrap();
        assert!(trace.passed(), "{} {}", failure(&trace), text(&o));
    }
}

#[test]
fn the_mysql_endpoint_serves_more_users_than_its_pool_in_waves() {
    let _turn = one_at_a_time();
    // 66 users and a pool of 64: two waves of the handler's time (300 ms), where the check
    // used to expect one (at most 280 ms with its allowances); now it expects two, and at
    // least two handler times.
    let (o, trace) = run_trace(&["web-api", "-p", "users=66", "-p", "handler_ms=150"], &[]);
    assert!(trace.passed(), "{} {}", failure(&trace), text(&o));
}
