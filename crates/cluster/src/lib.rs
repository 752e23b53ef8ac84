//! conlab's queue on one machine, for the kill campaign, the demo, the queue's benchmark and
//! tests: a private Redis (append-only file on) and a private MariaDB from `conlab-servers`,
//! `conlab serve --queue … --db …` and `conlab worker` processes of the built `conlab` binary,
//! workers killed with SIGKILL and replaced, servers restarted in place, runs enqueued as the
//! server enqueues them, and what became of them counted from the record.
//!
//! - `cluster`: [`Cluster`], the servers and processes, stopped and removed when dropped;
//! - `interrupt`: Ctrl-C and SIGTERM, which stop and remove everything started;
//! - `folder`: the cluster's temporary folder, and the sweep of those a killed harness left;
//! - `outcomes`: what the record (and the workers' logs) say became of a set of runs;
//! - `chaos`: the seeded kill campaign of `just chaos`;
//! - `demo`: `just cluster-demo`, the page on a server with four workers until Ctrl-C, a
//!   worker that exits started again;
//! - `numbers`: counts as the output says them (`2,000 runs`, `1 kill`).
//!
//! It knows no scenario beyond the one short, sleep-dominated scenario its runs use
//! ([`SCENARIO`]); it drives the binary from outside, as a user would.
#![deny(missing_docs)]

mod chaos;
mod cluster;
mod demo;
mod error;
mod folder;
mod interrupt;
mod numbers;
mod outcomes;
mod seeded;

pub use chaos::{run_campaign, Campaign, CampaignReport, ExecutedAgain, Kill};
pub use cluster::{
    conlab_binary, sleep_job, Cluster, ClusterOptions, ExitedWorker, KilledWorker, SCENARIO,
};
pub use demo::{parse_bind, run_demo, Demo};
pub use error::ClusterError;
pub use interrupt::{
    install_interrupt_handler, interrupted, stop_everything, wait_for_the_interrupt,
};
pub use numbers::{counted, thousands};
pub use outcomes::{count_outcomes, LogCounts, Outcomes};
pub use seeded::SeededRng;
