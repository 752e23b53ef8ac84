//! `just cluster-demo`: private Redis and MariaDB, `conlab serve --queue … --db …` with the
//! page, and four workers, until Ctrl-C (the interrupt handler then stops and removes it all).

use crate::cluster::{Cluster, ClusterOptions};
use crate::error::ClusterError;
use std::path::PathBuf;
use std::time::Duration;

/// The demo's settings.
#[derive(Debug, Clone)]
pub struct Demo {
    /// The `conlab` binary (built with the web app, as `just serve` builds it).
    pub binary: PathBuf,
    /// Where the page is served; a busy port falls back to any free one.
    pub bind: String,
    /// Workers to start.
    pub workers: usize,
}

/// Starts the demo and waits until the process is interrupted (or the server exits: then
/// everything is stopped and the error says why).
pub fn run_demo(demo: &Demo) -> Result<(), ClusterError> {
    let mut options = ClusterOptions::new(demo.binary.clone());
    // The page's own runs: up to a minute each, a dead worker's run taken over within 5 s.
    options.lease = Duration::from_secs(5);
    options.max_run = Duration::from_secs(60);
    options.max_queue = 100;
    println!("conlab cluster demo: starting a private Redis and MariaDB …");
    let mut cluster = Cluster::start(options)?;
    println!("  queue:   {} (append-only file on)", cluster.redis_url());
    println!(
        "  record:  {}",
        conlab_servers::redact_url(cluster.mysql_url())
    );
    let names: Vec<String> = (1..=demo.workers).map(|i| format!("demo-{i}")).collect();
    for name in &names {
        cluster.start_worker(name)?;
    }
    cluster.wait_workers_alive(demo.workers, Duration::from_secs(30))?;
    let bind = if std::net::TcpListener::bind(&demo.bind).is_ok() {
        demo.bind.clone()
    } else {
        println!("  {} is taken; serving on a free port instead", demo.bind);
        "127.0.0.1:0".to_string()
    };
    let url = cluster.serve(&bind)?;
    println!(
        "  workers: {} (one run at a time each; `conlab workers --queue {}` lists them)",
        names.join(", "),
        cluster.redis_url()
    );
    println!("  logs:    {}", cluster.dir().display());
    println!();
    println!("  the page: {url}   (Run natively goes through the queue to a worker)");
    println!();
    println!(
        "Ctrl-C stops the server, the workers and the private servers, and removes their files."
    );
    loop {
        std::thread::sleep(Duration::from_millis(500));
        let exited = cluster.exited();
        if !exited.is_empty() {
            return Err(ClusterError::Process(format!(
                "a process of the demo exited: {}\n{}",
                exited.join("; "),
                cluster.log_tails(20)
            )));
        }
    }
}
