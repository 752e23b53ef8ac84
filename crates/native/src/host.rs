//! Describing where and when a native trace was recorded.

use std::time::SystemTime;

/// The current wall-clock time as RFC 3339 (UTC, seconds).
pub fn rfc3339_now() -> String {
    humantime::format_rfc3339_seconds(SystemTime::now()).to_string()
}

/// How many cores this process may compute on.
pub fn cores() -> u32 {
    std::thread::available_parallelism().map_or(1, |n| n.get() as u32)
}

/// A short description of this machine: OS, architecture, cores.
pub fn host_description() -> String {
    let cores = cores();
    format!(
        "{} {}, {} cores",
        std::env::consts::OS,
        std::env::consts::ARCH,
        cores
    )
}
