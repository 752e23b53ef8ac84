//! What the demo does when a worker is killed from outside (`kill -9`), through the
//! `Cluster` API it uses: the exit is reaped and said plainly, a worker started again under
//! the same name waits out the lease and then takes runs, the run the dead one held among
//! them.

use conlab_cluster::{sleep_job, Cluster, ClusterError, ClusterOptions};
use std::time::{Duration, Instant};

#[test]
fn a_worker_killed_from_outside_is_started_again_under_its_name() {
    let binary = conlab_cluster::conlab_binary().unwrap_or_else(|e| panic!("{e}"));
    let mut options = ClusterOptions::new(binary);
    options.lease = Duration::from_secs(1);
    // What the workers' checks give asyncio-two-tasks as its longest run, whatever its sleep.
    options.max_run = Duration::from_secs(60);
    let mut cluster = match Cluster::start(options) {
        Ok(cluster) => cluster,
        Err(ClusterError::Servers(e @ conlab_servers::ServerError::Missing { .. })) => {
            eprintln!("skipped: {e}");
            return;
        }
        Err(e) => panic!("{e}"),
    };
    cluster.start_worker("demo-1").unwrap();
    cluster
        .wait_workers_alive(1, Duration::from_secs(30))
        .unwrap();
    // A run long enough to be held when the kill comes.
    cluster.enqueue(&sleep_job("held", 3000)).unwrap();
    let log = cluster.worker_log("demo-1").unwrap();
    wait_for(&log, "run held started", Duration::from_secs(10), &cluster);
    let pid = cluster.worker_pid("demo-1").unwrap();
    // SAFETY: a signal to a child of this test, not reaped yet, as a user's `kill -9` is.
    unsafe {
        libc::kill(pid as i32, libc::SIGKILL);
    }
    let deadline = Instant::now() + Duration::from_secs(5);
    let exited = loop {
        let exited = cluster.reap_exited_workers();
        if !exited.is_empty() {
            break exited;
        }
        assert!(Instant::now() < deadline, "the kill was not seen");
        std::thread::sleep(Duration::from_millis(20));
    };
    assert_eq!(exited.len(), 1);
    let exited = &exited[0];
    assert_eq!(exited.name, "demo-1");
    assert_eq!(exited.pid, pid);
    assert_eq!(exited.how, "killed by signal 9 (SIGKILL)");
    assert!(exited.by_signal);
    assert_eq!(exited.running.as_deref(), Some("held"));
    assert!(cluster.worker_names().is_empty());
    // The name is taken for a fresh start, free for a start again.
    assert!(cluster.start_worker("demo-1").is_err());
    cluster.start_worker_again("demo-1").unwrap();
    let again = cluster.worker_log("demo-1").unwrap();
    assert_ne!(again, log, "a log of its own");
    wait_for(
        &again,
        "taking runs from",
        Duration::from_secs(10),
        &cluster,
    );
    // The held run is taken over a lease later and ends once.
    let deadline = Instant::now() + Duration::from_secs(12);
    while cluster.ended(&["held".to_string()]).unwrap() < 1 {
        assert!(
            Instant::now() < deadline,
            "the held run did not end\n{}",
            cluster.log_tails(20)
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    let row = cluster
        .rows(&["held".to_string()])
        .unwrap()
        .remove("held")
        .unwrap();
    assert_eq!(row.status, conlab_queue::RunStatus::Done, "{row:?}");
    assert!(cluster.reap_exited_workers().is_empty());
}

#[track_caller]
fn wait_for(log: &std::path::Path, text: &str, limit: Duration, cluster: &Cluster) {
    let deadline = Instant::now() + limit;
    while !std::fs::read_to_string(log).is_ok_and(|t| t.contains(text)) {
        assert!(
            Instant::now() < deadline,
            "no `{text}` in {} after {limit:?}\n{}",
            log.display(),
            cluster.log_tails(20)
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}
