//! Helpers shared by the binary's integration tests.

use std::net::TcpListener;
use std::process::{Command, Output};

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
