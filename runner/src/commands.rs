//! One module per subcommand.

pub mod explore;
pub mod list;
pub mod queue;
pub mod report;
pub mod run;
mod run_cpython;
pub mod run_native;
pub mod serve;
pub mod show;

use crate::Failure;
use anyhow::anyhow;
use std::time::Duration;

/// Checks a `--timeout` value.
pub fn timeout(seconds: f64) -> Result<Duration, Failure> {
    if seconds.is_finite() && (0.1..=3600.0).contains(&seconds) {
        Ok(Duration::from_secs_f64(seconds))
    } else {
        Err(Failure::Usage(anyhow!(
            "--timeout: value {seconds} is out of range; allowed: 0.1 to 3600 seconds"
        )))
    }
}
