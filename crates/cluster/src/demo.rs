//! `just cluster-demo`: private Redis and MariaDB, `conlab serve --queue … --db …` with the
//! page, and four workers, until Ctrl-C (the interrupt handler then stops and removes it all).
//!
//! It is where a user watches a takeover: a worker killed (`kill -9`) is said plainly, with
//! the run it held, and started again under its name; the page shows the run taken over a
//! lease later. Only what the demo cannot go on without ends it: the server exiting, or the
//! private Redis or MariaDB no longer answering.

use crate::cluster::{Cluster, ClusterOptions, ExitedWorker};
use crate::error::ClusterError;
use crate::interrupt;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::{Duration, Instant};

/// The demo's settings.
#[derive(Debug, Clone)]
pub struct Demo {
    /// The `conlab` binary (built with the web app, as `just serve` builds it).
    pub binary: PathBuf,
    /// Where the page is served; a busy port falls back to any free one.
    pub bind: SocketAddr,
    /// Workers to start.
    pub workers: usize,
}

/// The demo's `--bind`, read as `conlab serve` reads its own.
pub fn parse_bind(text: &str) -> Result<SocketAddr, String> {
    conlab_core::url::bind_address(text)
}

/// A worker that ends with an error this soon after its start is not started again: it would
/// only end the same way (its log says why).
const EARLY_EXIT: Duration = Duration::from_secs(10);

/// How often the demo asks Redis and MariaDB whether they answer, and how many misses in a
/// row end it.
const SERVER_CHECK: Duration = Duration::from_secs(2);
const SERVER_MISSES: u32 = 3;

/// Starts the demo and waits until the process is interrupted, starting again every worker
/// that exits; the server exiting, or Redis or MariaDB not answering, stops everything, and
/// the error says why.
pub fn run_demo(demo: &Demo) -> Result<(), ClusterError> {
    let mut options = ClusterOptions::new(demo.binary.clone());
    // The page's own runs: up to a minute each, a dead worker's run taken over within 5 s.
    options.lease = Duration::from_secs(5);
    options.max_run = Duration::from_secs(60);
    options.max_queue = 100;
    let lease = options.lease;
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
    let bind = if std::net::TcpListener::bind(demo.bind).is_ok() {
        demo.bind
    } else {
        println!("  {} is taken; serving on a free port instead", demo.bind);
        SocketAddr::new(demo.bind.ip(), 0)
    };
    let url = cluster.serve(&bind.to_string())?;
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
        "Kill a worker (`kill -9 <pid>`, pids: {}) to watch another take its run over; it is \
         started again.",
        names
            .iter()
            .filter_map(|n| cluster.worker_pid(n).map(|p| format!("{n} {p}")))
            .collect::<Vec<_>>()
            .join(", ")
    );
    println!(
        "Ctrl-C stops the server, the workers and the private servers, and removes their files."
    );
    // Workers started again and not yet taking runs: their names and pids.
    let mut restarting: Vec<(String, u32)> = Vec::new();
    let mut last_check = Instant::now();
    let mut misses = (0, 0);
    loop {
        std::thread::sleep(Duration::from_millis(500));
        let server_exit = cluster.server_exit();
        let exited_workers = cluster.reap_exited_workers();
        if interrupt::interrupted() {
            // Ctrl-C: the handler kills everything (so what exited, exited by its hand),
            // says so and ends the process.
            interrupt::wait_for_the_interrupt();
        }
        if let Some(how) = server_exit {
            return Err(ClusterError::Process(format!(
                "conlab serve {how}; the demo cannot go on without its server, so everything \
                 is stopped\n{}",
                cluster.log_tails(20)
            )));
        }
        for exited in exited_workers {
            if !exited.by_signal && exited.lived < EARLY_EXIT {
                return Err(ClusterError::Process(format!(
                    "worker {} {} {:.1} s after it started; starting it again would end the \
                     same way, so everything is stopped\n{}",
                    exited.name,
                    exited.how,
                    exited.lived.as_secs_f64(),
                    cluster.log_tails(20)
                )));
            }
            println!("{}", takeover_line(&exited, lease));
            cluster.start_worker_again(&exited.name)?;
            if let Some(pid) = cluster.worker_pid(&exited.name) {
                restarting.push((exited.name.clone(), pid));
            }
        }
        restarting.retain(|(name, pid)| {
            let log = cluster.worker_log(name).unwrap_or_default();
            let up = std::fs::read_to_string(log).is_ok_and(|t| t.contains("taking runs from"));
            if up {
                println!("  {name} (pid {pid}) is taking runs again");
            }
            !up
        });
        if last_check.elapsed() >= SERVER_CHECK {
            last_check = Instant::now();
            check_servers(&cluster, &mut misses)?;
        }
    }
}

/// What the demo says of a worker that exited: how, the run it held and who takes it over.
fn takeover_line(exited: &ExitedWorker, lease: Duration) -> String {
    let held = match &exited.running {
        Some(run) => format!(
            " while running {run}; a worker takes that run over once its {} s lease lapses \
             (the page shows it)",
            lease.as_secs_f64()
        ),
        None => " holding no run".to_string(),
    };
    format!(
        "  {name} (pid {pid}) {how}{held}; starting {name} again (it waits out the lease to \
         see the old one gone)",
        name = exited.name,
        pid = exited.pid,
        how = exited.how,
    )
}

/// Asks Redis and MariaDB whether they answer: `SERVER_MISSES` misses in a row end the demo.
fn check_servers(cluster: &Cluster, misses: &mut (u32, u32)) -> Result<(), ClusterError> {
    let redis = cluster.block_on(async {
        let stream = conlab_queue::Stream::connect(cluster.redis_url()).await?;
        stream.length().await
    });
    let mysql = cluster.block_on(cluster.queue().record().recent(1));
    for (result, missed, what) in [
        (redis.map(|_| ()), &mut misses.0, "Redis"),
        (mysql.map(|_| ()), &mut misses.1, "MariaDB"),
    ] {
        match result {
            Ok(()) => *missed = 0,
            Err(e) => {
                *missed += 1;
                if *missed >= SERVER_MISSES {
                    return Err(ClusterError::Process(format!(
                        "the demo's private {what} stopped answering ({e}); the workers and the \
                         server cannot go on without it, so everything is stopped"
                    )));
                }
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bind_is_an_address_and_port() {
        let check = |text: &str, expected: Result<&str, &str>| {
            let got = parse_bind(text).map(|a| a.to_string());
            match expected {
                Ok(addr) => assert_eq!(got, Ok(addr.to_string()), "{text}"),
                Err(why) => assert!(
                    got.as_ref().is_err_and(|e| e.starts_with(why)),
                    "{text}: {got:?}"
                ),
            }
        };
        let shape = "not an address and port such as 127.0.0.1:7878";
        check("127.0.0.1:7878", Ok("127.0.0.1:7878"));
        check("0.0.0.0:0", Ok("0.0.0.0:0"));
        check("[::1]:8000", Ok("[::1]:8000"));
        check("localhost:8000", Ok("127.0.0.1:8000"));
        check("nonsense", Err(shape));
        check("127.0.0.1", Err(shape));
        check("127.0.0.1:", Err(shape));
        check("127.0.0.1:99999", Err(shape));
        check(":7878", Err(shape));
        check("", Err(shape));
    }

    #[test]
    fn a_killed_worker_is_said_plainly() {
        let exited = ExitedWorker {
            name: "demo-1".into(),
            pid: 4242,
            how: "killed by signal 9 (SIGKILL)".into(),
            by_signal: true,
            lived: Duration::from_secs(30),
            running: Some("r-7".into()),
        };
        assert_eq!(
            takeover_line(&exited, Duration::from_secs(5)),
            "  demo-1 (pid 4242) killed by signal 9 (SIGKILL) while running r-7; a worker takes \
             that run over once its 5 s lease lapses (the page shows it); starting demo-1 again \
             (it waits out the lease to see the old one gone)"
        );
    }
}
