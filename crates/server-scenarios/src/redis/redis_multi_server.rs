//! redis-multi-server: the same work against several Redis servers at once. Each server runs a
//! slow command (BLPOP on an empty list, which waits server-side), server i for i x the base
//! time; together they take as long as the slowest, not the sum.

use super::{command, connect, delete_run_keys};
use crate::multi_server::{on_every_server, together_like_the_slowest};
use conlab_core::{Checks, LaneCtx, ScenarioError};
use conlab_tokio::{ScenarioFuture, TokioRuntime};
use redis::AsyncCommands;
use std::time::Duration;

/// The slow command of server i waits (i + 1) x this (times time-scale).
/// (Two servers wait 200 and 400 ms: their sum, 600 ms, lies beyond what the slowest may
/// stray on a busy machine, so "the slowest, not the sum" is measured at the defaults.)
const BASE_MS: i64 = 200;

/// Runs the scenario.
pub fn run(main: LaneCtx<TokioRuntime>, urls: Vec<String>, run_id: String) -> ScenarioFuture {
    Box::pin(async move {
        let base = main.params().scale_ms(BASE_MS);
        on_every_server(&main, "redis", urls, move |i, url, lane| {
            let run_id = run_id.clone();
            async move {
                let wait = base * (i as u32 + 1);
                let mut con = connect(&lane, &url).await?;
                let empty = format!("conlab:{run_id}:empty:{i}");
                // BLPOP waits server-side for up to its timeout (seconds, decimals allowed).
                let _: Option<(String, String)> = command(
                    &lane,
                    "BLPOP (slow)",
                    wait,
                    con.blpop(&empty, wait.as_secs_f64()),
                )
                .await?;
                let key = format!("conlab:{run_id}:server:{i}");
                let _: () = command(&lane, "SET", Duration::ZERO, con.set(&key, i)).await?;
                let back: usize = command(&lane, "GET", Duration::ZERO, con.get(&key)).await?;
                delete_run_keys(&mut con, &run_id)
                    .await
                    .map_err(|e| ScenarioError::failed(format!("cleaning up failed: {e}")))?;
                Ok(back.to_string())
            }
        })
        .await
    })
}

/// Checks: every server completed its work correctly; together they took about as long as
/// the slowest, clearly less than the sum.
pub fn checks(c: &mut Checks) {
    let t = c.trace;
    let n = c.params.usize("servers");
    let done: Vec<bool> = t
        .marks_named("server_done")
        .map(|m| m.detail.split_once(' ').is_some_and(|(a, b)| a == b))
        .collect();
    c.check(
        "all-complete",
        "every server completes its work",
        done.len() == n && done.iter().all(|d| *d),
        format!("{} servers", conlab_core::of(done.len() as u64, n as u64)),
    );
    together_like_the_slowest(c, n);
}

/// About how long a run takes: the slowest server's wait.
pub fn expected(p: &conlab_core::Params) -> std::time::Duration {
    p.scale_ms(BASE_MS) * p.usize("servers") as u32 + Duration::from_millis(200)
}
