//! A tiny kill campaign on real servers (private Redis and MariaDB, `conlab worker`
//! processes of the built binary): 60 short runs (40 to 120 ms) on 3 workers, one worker killed with SIGKILL
//! mid-campaign and replaced, Redis and MariaDB restarted once each. None lost, none stored
//! twice, re-executed only runs whose worker was killed; and nothing of the cluster is left
//! once it is dropped.

use conlab_cluster::{Campaign, ClusterError};
use std::time::{Duration, Instant};

#[test]
fn a_small_campaign_loses_nothing_and_leaves_nothing() {
    let started = Instant::now();
    // The binary beside the test's target folder: `cargo test` of the workspace builds it.
    let binary = conlab_cluster::conlab_binary().unwrap_or_else(|e| panic!("{e}"));
    let mut campaign = Campaign::new(27);
    campaign.runs = 60;
    campaign.workers = 3;
    // 60 runs of 40 to 120 ms on 3 workers take 1.6 s at the very least: the kill at 1 s
    // always falls within the campaign.
    campaign.kill_every = (Duration::from_millis(1000), Duration::from_millis(1000));
    campaign.max_kills = Some(1);
    campaign.sleep_ms = (40, 120);
    campaign.lease = Duration::from_secs(1);
    let report = match conlab_cluster::run_campaign(&campaign, binary, &mut |l| eprintln!("{l}")) {
        Ok(report) => report,
        Err(ClusterError::Servers(e @ conlab_servers::ServerError::Missing { .. })) => {
            eprintln!("skipped: {e}");
            return;
        }
        Err(e) => panic!("{e}"),
    };
    eprintln!("{}\nin {:?}", report.summary(), started.elapsed());
    let o = &report.outcomes;
    assert_eq!(o.enqueued, 60);
    assert!(o.not_ended.is_empty(), "lost: {:?}", o.not_ended);
    assert!(
        o.stored_twice.is_empty(),
        "stored twice: {:?}",
        o.stored_twice
    );
    assert_eq!(report.kills.len(), 1, "one kill");
    let unexplained = report.executed_again().without_kill;
    assert!(
        unexplained.is_empty(),
        "re-executed without a kill: {unexplained:?}"
    );
    assert!(
        o.executed_again.len() <= report.killed_runs().len(),
        "{:?} re-executed, {:?} held by killed workers",
        o.executed_again,
        report.killed_runs()
    );
    assert_eq!(o.done + o.parked.len() + o.failed.len() + o.stopped, 60);
    assert!(report.died.is_empty(), "{:?}", report.died);
    assert!(report.redis_restart.is_some() && report.mysql_restart.is_some());
    // Everything the campaign started is gone with its cluster.
    let alive: Vec<u32> = report
        .pids
        .iter()
        .copied()
        .filter(|p| process_alive(*p))
        .collect();
    assert!(alive.is_empty(), "processes left: {alive:?}");
    assert!(!report.folder.exists(), "{} left", report.folder.display());
}

fn process_alive(pid: u32) -> bool {
    std::path::Path::new(&format!("/proc/{pid}")).exists()
}
