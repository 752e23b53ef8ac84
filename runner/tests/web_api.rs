//! web-api through the `conlab` binary, against real Redis and MariaDB servers (found or
//! started privately): the async endpoints serve users together, the blocking one serializes.

use std::process::Command;

#[test]
fn async_endpoints_serve_users_together_and_the_blocking_one_does_not() {
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
