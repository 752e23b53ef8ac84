//! The seeded kill campaign (`just chaos`): short runs enqueued at the pace the workers take
//! them, a worker killed with SIGKILL every few seconds (seeded times and victims) and
//! replaced, Redis restarted once and MariaDB restarted once along the way; then what became
//! of every run, counted from the record.
//!
//! Targets: none lost (every run ended within the deadline: the end of enqueueing + the run
//! limit + 2 leases), none stored twice, and runs executed more than once only among those
//! whose worker was killed. The seed replays the kill plan (when, whom) and the runs'
//! parameters; the machine's timing decides the rest, so which run a kill hits may differ.

use crate::cluster::{sleep_job, Cluster, ClusterOptions, KilledWorker};
use crate::error::ClusterError;
use crate::interrupt;
use crate::numbers::{counted, thousands};
use crate::outcomes::{count_outcomes, Outcomes};
use crate::seeded::SeededRng;
use std::collections::BTreeSet;
use std::path::PathBuf;
use std::time::{Duration, Instant};

/// A campaign's settings.
#[derive(Debug, Clone)]
pub struct Campaign {
    /// The seed of the kill plan and the runs' sleeps.
    pub seed: u64,
    /// Runs to enqueue.
    pub runs: usize,
    /// Workers alive at once.
    pub workers: usize,
    /// A kill every this long, drawn between the two (inclusive).
    pub kill_every: (Duration, Duration),
    /// Kills at most (`None`: as many as the campaign's length allows).
    pub max_kills: Option<usize>,
    /// Each run sleeps this many ms, drawn between the two.
    pub sleep_ms: (u64, u64),
    /// Restart Redis once, a third of the way through.
    pub restart_redis: bool,
    /// Restart MariaDB once, two thirds of the way through.
    pub restart_mysql: bool,
    /// The workers' lease (how soon a killed worker's run is taken over).
    pub lease: Duration,
    /// The longest a run may take (the workers' `--max-run-seconds`).
    pub max_run: Duration,
}

impl Campaign {
    /// The default campaign: 2,000 runs of 20 to 100 ms on 4 workers, a kill every 2 to 5 s,
    /// Redis and MariaDB restarted once each, a 2 s lease.
    pub fn new(seed: u64) -> Campaign {
        Campaign {
            seed,
            runs: 2000,
            workers: 4,
            kill_every: (Duration::from_secs(2), Duration::from_secs(5)),
            max_kills: None,
            sleep_ms: (20, 100),
            restart_redis: true,
            restart_mysql: true,
            lease: Duration::from_secs(2),
            // What the workers' checks give asyncio-two-tasks as its longest run, whatever
            // its sleep (a shorter cap refuses it).
            max_run: Duration::from_secs(60),
        }
    }

    /// The command line that replays it.
    pub fn replay_line(&self) -> String {
        format!(
            "just chaos --seed {} --runs {} --workers {}",
            self.seed, self.runs, self.workers
        )
    }
}

/// A kill of the campaign.
#[derive(Debug, Clone)]
pub struct Kill {
    /// When, from the campaign's start.
    pub at: Duration,
    /// The worker killed and the runs it held.
    pub worker: KilledWorker,
    /// Its replacement's name.
    pub replacement: String,
}

/// Runs executed more than once (each with its starts), split by whether a kill explains it.
#[derive(Debug, Clone)]
pub struct ExecutedAgain<'a> {
    /// Runs a killed worker held.
    pub after_kill: Vec<&'a (String, u32)>,
    /// Runs no kill explains (a target missed).
    pub without_kill: Vec<&'a (String, u32)>,
}

/// What a campaign came to.
#[derive(Debug, Clone)]
pub struct CampaignReport {
    /// Its settings (the seed among them).
    pub campaign: Campaign,
    /// What became of its runs.
    pub outcomes: Outcomes,
    /// The kills, in order.
    pub kills: Vec<Kill>,
    /// How long Redis's restart took, if it was restarted.
    pub redis_restart: Option<Duration>,
    /// How long MariaDB's restart took, if it was restarted.
    pub mysql_restart: Option<Duration>,
    /// From the first enqueue to the last.
    pub enqueueing: Duration,
    /// From the last enqueue to the last end (or the deadline).
    pub draining: Duration,
    /// The deadline after the last enqueue.
    pub deadline: Duration,
    /// Processes that died without being killed (should be none).
    pub died: Vec<String>,
    /// Every process the campaign started (all stopped once it returns).
    pub pids: Vec<u32>,
    /// The cluster's temporary folder (removed once it returns).
    pub folder: PathBuf,
    /// For each run executed again without a kill, what the workers' logs say of it.
    pub evidence: Vec<String>,
}

impl CampaignReport {
    /// Runs whose worker was killed while it held them.
    pub fn killed_runs(&self) -> BTreeSet<&str> {
        self.kills
            .iter()
            .flat_map(|k| k.worker.held.iter().map(String::as_str))
            .collect()
    }

    /// Runs executed more than once, split by whether a kill explains it.
    pub fn executed_again(&self) -> ExecutedAgain<'_> {
        let killed = self.killed_runs();
        let (after_kill, without_kill) = self
            .outcomes
            .executed_again
            .iter()
            .partition(|(id, _)| killed.contains(id.as_str()));
        ExecutedAgain {
            after_kill,
            without_kill,
        }
    }

    /// Runs the workers refused to run (a campaign set up wrong: its runs must be valid).
    pub fn refused(&self) -> usize {
        self.outcomes
            .failed
            .iter()
            .filter(|(_, why)| why.contains("refused"))
            .count()
    }

    /// Whether every target is met: none lost, none stored twice, none executed again
    /// without a kill, none refused, no process died by itself.
    pub fn targets_met(&self) -> bool {
        self.outcomes.not_ended.is_empty()
            && self.refused() == 0
            && self.outcomes.stored_twice.is_empty()
            && self.executed_again().without_kill.is_empty()
            && self.died.is_empty()
    }

    /// The executed-again line's explanation: how many of the runs executed more than once a
    /// killed worker held (`after_kill` of them), beside how many runs the killed workers
    /// held in all.
    fn executed_again_explained(&self, after_kill: usize) -> String {
        let again = self.outcomes.executed_again.len();
        let held = counted(self.killed_runs().len(), "run", "runs");
        let held = match self.kills.len() {
            0 => "no worker was killed".to_string(),
            1 => format!("the killed worker held {held}"),
            kills => format!("the {} killed workers held {held} in all", thousands(kills)),
        };
        let explained = match (again, after_kill) {
            (0, _) => "none".to_string(),
            (1, 1) => "it was held by a killed worker".to_string(),
            (1, _) => "it was not held by a killed worker".to_string(),
            (_, 0) => format!(
                "none of the {} was held by a killed worker",
                thousands(again)
            ),
            (_, k) if k == again => {
                format!("all {} were held by a killed worker", thousands(again))
            }
            (_, 1) => format!("1 of the {} was held by a killed worker", thousands(again)),
            (_, k) => format!(
                "{} of the {} were held by a killed worker",
                thousands(k),
                thousands(again)
            ),
        };
        format!("{explained} ({held})")
    }

    /// The report, as `just chaos` prints it.
    pub fn summary(&self) -> String {
        let o = &self.outcomes;
        let ExecutedAgain {
            after_kill,
            without_kill: unexplained,
        } = self.executed_again();
        let mark = |ok: bool| if ok { "ok" } else { "MISSED" };
        let list = |ids: &[String]| -> String {
            if ids.is_empty() {
                String::new()
            } else {
                let shown: Vec<&str> = ids.iter().take(10).map(String::as_str).collect();
                format!(
                    ": {}{}",
                    shown.join(", "),
                    if ids.len() > 10 { ", …" } else { "" }
                )
            }
        };
        let restart = |d: Option<Duration>| {
            d.map_or("not restarted".to_string(), |d| {
                format!("restarted once ({} ms)", thousands(d.as_millis() as usize))
            })
        };
        // A count in the report's column.
        let n = |n: usize| format!("{:>9}", thousands(n));
        let mut lines = vec![
            format!(
                "chaos campaign, seed {}: {} on {} (lease {} s), {}, Redis {}, MariaDB {}",
                self.campaign.seed,
                counted(self.campaign.runs, "run", "runs"),
                counted(self.campaign.workers, "worker", "workers"),
                self.campaign.lease.as_secs_f64(),
                counted(self.kills.len(), "kill", "kills"),
                restart(self.redis_restart),
                restart(self.mysql_restart),
            ),
            format!(
                "  enqueueing took {:.1} s, the rest ended {:.1} s later (deadline {:.0} s)",
                self.enqueueing.as_secs_f64(),
                self.draining.as_secs_f64(),
                self.deadline.as_secs_f64()
            ),
            format!("  runs enqueued             {}", n(o.enqueued)),
            format!("  done                      {}", n(o.done)),
            format!(
                "  lost                      {}   target 0: {}{}",
                n(o.not_ended.len()),
                mark(o.not_ended.is_empty()),
                list(&o.not_ended)
            ),
            format!(
                "  stored twice              {}   target 0: {}{}",
                n(o.stored_twice.len()),
                mark(o.stored_twice.is_empty()),
                list(&o.stored_twice)
            ),
            format!(
                "  executed more than once   {}   {}; without a kill: {} (target 0: {}){}",
                n(o.executed_again.len()),
                self.executed_again_explained(after_kill.len()),
                thousands(unexplained.len()),
                mark(unexplained.is_empty()),
                list(
                    &unexplained
                        .iter()
                        .map(|(id, n)| format!("{id} ×{n}"))
                        .collect::<Vec<_>>()
                )
            ),
            format!(
                "  parked failed             {}   (lost their worker twice){}",
                n(o.parked.len()),
                list(&o.parked)
            ),
        ];
        let killed = self.killed_runs();
        let (claims_killed, claims_other): (Vec<_>, Vec<_>) = o
            .attempts_without_start
            .iter()
            .partition(|(id, _, _)| killed.contains(id.as_str()));
        if !o.attempts_without_start.is_empty() {
            lines.push(format!(
                "  attempts without a start  {}   (the record counts a claim no worker ran: {} by a worker killed before it started, {} otherwise{}; not a target)",
                n(o.attempts_without_start.len()),
                thousands(claims_killed.len()),
                thousands(claims_other.len()),
                list(
                    &claims_other
                        .iter()
                        .map(|(id, attempts, starts)| format!(
                            "{id} {}, {} started",
                            counted(*attempts as usize, "attempt", "attempts"),
                            thousands(*starts as usize)
                        ))
                        .collect::<Vec<_>>()
                )
            ));
        }
        if !o.failed.is_empty() {
            lines.push(format!(
                "  failed otherwise          {}   ({} refused, target 0: {}) e.g. {}: {}",
                n(o.failed.len()),
                thousands(self.refused()),
                mark(self.refused() == 0),
                o.failed[0].0,
                o.failed[0].1
            ));
        }
        if o.stopped > 0 {
            lines.push(format!("  stopped                   {}", n(o.stopped)));
        }
        if !self.died.is_empty() {
            lines.push(format!(
                "  processes that died unkilled: {} (target none): MISSED",
                self.died.join("; ")
            ));
        }
        for evidence in &self.evidence {
            lines.push(format!("  what the workers' logs say of {evidence}"));
        }
        lines.push(format!(
            "  targets {}; replay: {}",
            if self.targets_met() { "met" } else { "MISSED" },
            self.campaign.replay_line()
        ));
        lines.join("\n")
    }
}

/// Runs `campaign` on a cluster of `binary`, saying its progress through `progress`.
pub fn run_campaign(
    campaign: &Campaign,
    binary: PathBuf,
    progress: &mut dyn FnMut(&str),
) -> Result<CampaignReport, ClusterError> {
    // Two streams from the seed: the kill plan draws from its own, so the runs' sleeps (drawn
    // as the workers take runs, a number the machine's speed decides) never shift it.
    let mut rng = SeededRng::new(campaign.seed);
    let mut sleeps = SeededRng::new(campaign.seed ^ 0x5EED_5EED_5EED_5EED);
    interrupt::note_status(format!(
        "chaos campaign interrupted while starting its servers and workers (replay: {})",
        campaign.replay_line()
    ));
    let mut options = ClusterOptions::new(binary);
    options.lease = campaign.lease;
    options.max_run = campaign.max_run;
    let mut cluster = Cluster::start(options)?;
    let mut next_name = 0;
    let mut new_name = || {
        next_name += 1;
        format!("w{next_name}")
    };
    for _ in 0..campaign.workers {
        cluster.start_worker(&new_name())?;
    }
    cluster.wait_workers_alive(campaign.workers, Duration::from_secs(30))?;
    progress(&format!(
        "{} up ({}); enqueueing {} of {} with sleep_ms {} to {}",
        counted(campaign.workers, "worker", "workers"),
        cluster.worker_names().join(", "),
        counted(campaign.runs, "run", "runs"),
        crate::cluster::SCENARIO,
        campaign.sleep_ms.0,
        campaign.sleep_ms.1
    ));

    let draw_kill = |rng: &mut SeededRng| {
        let (lo, hi) = campaign.kill_every;
        Duration::from_millis(rng.between(lo.as_millis() as u64, hi.as_millis() as u64))
    };
    let started = Instant::now();
    let mut next_kill = draw_kill(&mut rng);
    let mut kills = Vec::new();
    let mut redis_restart = None;
    let mut mysql_restart = None;
    // Runs not seen ended yet; the campaign keeps about two per worker waiting, so the queue
    // never holds more than the workers take within a couple of runs.
    let mut open: Vec<String> = Vec::new();
    let backlog = campaign.workers * 2;
    let mut enqueued = 0;
    let mut last_look = Instant::now();
    let mut last_progress = Instant::now();
    let mut died = Vec::new();

    while enqueued < campaign.runs {
        if last_look.elapsed() >= Duration::from_millis(50) || open.len() >= backlog {
            let rows = cluster.rows(&open)?;
            open.retain(|id| !rows.get(id).is_some_and(|r| r.status.ended()));
            last_look = Instant::now();
        }
        while open.len() < backlog && enqueued < campaign.runs {
            let id = format!("chaos-{enqueued:05}");
            let sleep = sleeps.between(campaign.sleep_ms.0, campaign.sleep_ms.1);
            cluster.enqueue(&sleep_job(&id, sleep))?;
            open.push(id);
            enqueued += 1;
        }
        if campaign.restart_redis && redis_restart.is_none() && enqueued >= campaign.runs / 3 {
            let took = cluster.restart_redis()?;
            progress(&format!(
                "[{:>5.1} s] Redis restarted in {} ms",
                started.elapsed().as_secs_f64(),
                took.as_millis()
            ));
            redis_restart = Some(took);
        }
        if campaign.restart_mysql && mysql_restart.is_none() && enqueued >= campaign.runs * 2 / 3 {
            let took = cluster.restart_mysql()?;
            progress(&format!(
                "[{:>5.1} s] MariaDB restarted in {} ms",
                started.elapsed().as_secs_f64(),
                took.as_millis()
            ));
            mysql_restart = Some(took);
        }
        let kills_left = campaign.max_kills.is_none_or(|max| kills.len() < max);
        if kills_left && started.elapsed() >= next_kill {
            let names = cluster.worker_names();
            let victim = names[rng.below(names.len() as u64) as usize].clone();
            let killed = cluster.kill_worker(&victim)?;
            let replacement = new_name();
            cluster.start_worker(&replacement)?;
            progress(&format!(
                "[{:>5.1} s] killed {} (pid {}) holding {}; started {}",
                started.elapsed().as_secs_f64(),
                killed.name,
                killed.pid,
                if killed.held.is_empty() {
                    "no run".to_string()
                } else {
                    killed.held.join(", ")
                },
                replacement
            ));
            kills.push(Kill {
                at: started.elapsed(),
                worker: killed,
                replacement,
            });
            next_kill += draw_kill(&mut rng);
        }
        let so_far = format!(
            "{} of {} enqueued, {} waiting or running, {}",
            thousands(enqueued),
            counted(campaign.runs, "run", "runs"),
            thousands(open.len()),
            counted(kills.len(), "kill", "kills")
        );
        if last_progress.elapsed() >= Duration::from_secs(2) {
            progress(&format!(
                "[{:>5.1} s] {so_far}",
                started.elapsed().as_secs_f64()
            ));
            last_progress = Instant::now();
        }
        interrupt::note_status(format!(
            "chaos campaign interrupted after {:.1} s: {so_far}; no verdict on an unfinished campaign (replay: {})",
            started.elapsed().as_secs_f64(),
            campaign.replay_line()
        ));
        std::thread::sleep(Duration::from_millis(5));
    }

    let enqueueing = started.elapsed();
    let deadline = campaign.max_run + campaign.lease * 2;
    let last_enqueue = Instant::now();
    progress(&format!(
        "[{:>5.1} s] all {} enqueued; waiting up to {:.0} s for the last {} to end",
        started.elapsed().as_secs_f64(),
        counted(campaign.runs, "run", "runs"),
        deadline.as_secs_f64(),
        thousands(open.len())
    ));
    let ids = cluster.enqueued().to_vec();
    while last_enqueue.elapsed() < deadline {
        let rows = cluster.rows(&open)?;
        open.retain(|id| !rows.get(id).is_some_and(|r| r.status.ended()));
        interrupt::note_status(format!(
            "chaos campaign interrupted after {:.1} s: all {} enqueued, {} still waiting or running, {}; no verdict on an unfinished campaign (replay: {})",
            started.elapsed().as_secs_f64(),
            counted(campaign.runs, "run", "runs"),
            thousands(open.len()),
            counted(kills.len(), "kill", "kills"),
            campaign.replay_line()
        ));
        if open.is_empty() {
            break;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let draining = last_enqueue.elapsed();
    interrupt::note_status(format!(
        "chaos campaign interrupted while counting what became of its runs (replay: {})",
        campaign.replay_line()
    ));
    died.extend(cluster.exited());
    died.sort();
    died.dedup();
    let outcomes = count_outcomes(&cluster, &ids)?;
    let killed: BTreeSet<&str> = kills
        .iter()
        .flat_map(|k| k.worker.held.iter().map(String::as_str))
        .collect();
    let evidence = outcomes
        .executed_again
        .iter()
        .filter(|(id, _)| !killed.contains(id.as_str()))
        .map(|(id, _)| log_lines_of(&cluster, id))
        .collect();
    if !outcomes.not_ended.is_empty() {
        progress(&format!(
            "runs not ended within the deadline: {:?}\n{}",
            outcomes.not_ended,
            cluster.log_tails(15)
        ));
    }
    Ok(CampaignReport {
        campaign: campaign.clone(),
        outcomes,
        kills,
        redis_restart,
        mysql_restart,
        enqueueing,
        draining,
        deadline,
        died,
        pids: cluster.pids().to_vec(),
        folder: cluster.dir().to_path_buf(),
        evidence,
    })
}

/// Every line of the workers' logs that names run `id`, with the worker's name.
fn log_lines_of(cluster: &Cluster, id: &str) -> String {
    let needle = format!("run {id} ");
    let mut lines = vec![format!("{id}:")];
    for log in cluster.worker_logs() {
        let text = std::fs::read_to_string(&log).unwrap_or_default();
        lines.extend(
            text.lines()
                .filter(|l| l.contains(&needle) || l.ends_with(&format!("run {id}")))
                .map(|l| format!("    {l}")),
        );
    }
    lines.join("\n")
}
