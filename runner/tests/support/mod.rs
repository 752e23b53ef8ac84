//! Helpers shared by the binary's integration tests.

// Each test binary includes these helpers and uses some of them.
#![allow(dead_code)]

pub mod cluster;

use std::net::TcpListener;
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

/// A loopback port nothing listens on (right now).
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// Runs `conlab` with `args`, without the server variables of the caller's environment, plus
/// `env`.
#[track_caller]
pub fn conlab(args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_conlab"));
    cmd.args(args);
    for var in [
        "CONLAB_REDIS_URL",
        "CONLAB_REDIS_URL_2",
        "CONLAB_MYSQL_URL",
        "CONLAB_MYSQL_URL_2",
    ] {
        cmd.env_remove(var);
    }
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.output().expect("the conlab binary runs")
}

/// Standard output and error together.
pub fn text(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

/// Runs `conlab run <args> --format json` (environment as for [`conlab`]) and returns the
/// output and the trace it printed, which every run prints, failed or not.
#[track_caller]
pub fn run_trace(args: &[&str], env: &[(&str, &str)]) -> (Output, conlab_core::Trace) {
    let mut all = vec!["run"];
    all.extend(args);
    all.extend(["--format", "json"]);
    let o = conlab(&all, env);
    let trace = conlab_core::Trace::from_json(&String::from_utf8_lossy(&o.stdout))
        .unwrap_or_else(|e| panic!("no trace ({e}): {}", text(&o)));
    (o, trace)
}

/// Why a run failed, from its trace (empty if it did not fail).
pub fn failure(trace: &conlab_core::Trace) -> &str {
    match &trace.status {
        conlab_core::Status::Failed { reason } => reason,
        _ => "",
    }
}

/// The number right after `prefix` in `text` ("… Run with pool=150 or less" → 150).
pub fn number_after(text: &str, prefix: &str) -> Option<usize> {
    let rest = &text[text.find(prefix)? + prefix.len()..];
    let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
    digits.parse().ok()
}

/// A redis-server a test starts on a free loopback port (with a password, if given), killed
/// when dropped.
pub struct TestRedis {
    pub child: Child,
    pub port: u16,
    password: Option<String>,
}

impl TestRedis {
    #[track_caller]
    pub fn start(password: Option<&str>) -> TestRedis {
        let port = free_port();
        let mut cmd = Command::new("redis-server");
        cmd.args(["--bind", "127.0.0.1", "--port", &port.to_string()])
            .args(["--save", "", "--appendonly", "no"]);
        if let Some(pw) = password {
            cmd.args(["--requirepass", pw]);
        }
        let child = cmd
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("redis-server is installed (scripts/setup-servers.sh)");
        let server = TestRedis {
            child,
            port,
            password: password.map(str::to_string),
        };
        let deadline = Instant::now() + Duration::from_secs(5);
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(Instant::now() < deadline, "redis-server did not start");
            std::thread::sleep(Duration::from_millis(20));
        }
        server
    }

    /// Its URL, database 0, with its password.
    pub fn url(&self) -> String {
        match &self.password {
            Some(pw) => format!("redis://:{pw}@127.0.0.1:{}/0", self.port),
            None => format!("redis://127.0.0.1:{}/0", self.port),
        }
    }

    /// What `redis-cli` answers to `args` (authenticated).
    pub fn cli(&self, args: &[&str]) -> String {
        let mut cmd = Command::new("redis-cli");
        cmd.args(["-p", &self.port.to_string()]);
        if let Some(pw) = &self.password {
            cmd.args(["-a", pw, "--no-auth-warning"]);
        }
        let out = cmd.args(args).output().expect("redis-cli is installed");
        String::from_utf8_lossy(&out.stdout).trim().to_string()
    }
}

impl Drop for TestRedis {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A value drawn in `range` from the clock (each run of the tests draws others).
pub fn drawn(range: std::ops::RangeInclusive<u64>) -> u64 {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos() as u64)
        .unwrap_or(7);
    range.start() + nanos % (range.end() - range.start() + 1)
}
