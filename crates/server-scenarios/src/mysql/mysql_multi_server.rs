//! mysql-multi-server: the same query against several MySQL servers at once; server i sleeps
//! (i + 1) x the base time server-side. Together they take as long as the slowest.

use super::{connect, query};
use crate::multi_server::{on_every_server, together_like_the_slowest};
use conlab_core::{Checks, LaneCtx};
use conlab_tokio::{ScenarioFuture, TokioRuntime};
use mysql_async::prelude::Queryable;
use std::time::Duration;

/// (Two servers wait 200 and 400 ms: their sum, 600 ms, lies beyond what the slowest may
/// stray on a busy machine, so "the slowest, not the sum" is measured at the defaults.)
const BASE_MS: i64 = 200;

/// Runs the scenario.
pub fn run(main: LaneCtx<TokioRuntime>, urls: Vec<String>, _run_id: String) -> ScenarioFuture {
    Box::pin(async move {
        let base = main.params().scale_ms(BASE_MS);
        on_every_server(&main, "mysql", urls, move |i, url, lane| async move {
            let sleep = base * (i as u32 + 1);
            let mut conn = connect(&lane, &url).await?;
            let slept: Option<i64> = query(
                &lane,
                "SELECT SLEEP(?)",
                sleep,
                conn.exec_first("SELECT SLEEP(?)", (sleep.as_secs_f64(),)),
            )
            .await?;
            query(&lane, "disconnect", Duration::ZERO, conn.disconnect()).await?;
            Ok(slept.unwrap_or(-1).to_string())
        })
        .await
    })
}

/// Checks: every server answered (SLEEP returns 0 when it was not interrupted); together
/// they took about as long as the slowest, clearly less than the sum.
pub fn checks(c: &mut Checks) {
    let t = c.trace;
    let n = c.params.usize("servers");
    let done = t
        .marks_named("server_done")
        .filter(|m| m.detail.ends_with(" 0"))
        .count();
    c.check(
        "all-complete",
        "every server completes its query",
        done == n,
        format!("{} servers", conlab_core::of(done as u64, n as u64)),
    );
    together_like_the_slowest(c, n);
}

/// About how long a run takes: the slowest server's query.
pub fn expected(p: &conlab_core::Params) -> std::time::Duration {
    p.scale_ms(BASE_MS) * p.usize("servers") as u32 + Duration::from_millis(300)
}
