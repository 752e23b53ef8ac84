//! redis-hash: connect to Redis, write a hash of n fields, read it back, clean up, close.

use super::{command, connect, delete_run_keys};
use conlab_core::{Checks, LaneCtx, LaneKind, ScenarioError, SpanState, Text};
use conlab_tokio::{ScenarioFuture, TokioRuntime};
use redis::AsyncCommands;
use std::collections::BTreeMap;
use std::time::Duration;

/// Runs the scenario.
pub fn run(main: LaneCtx<TokioRuntime>, urls: Vec<String>, run_id: String) -> ScenarioFuture {
    Box::pin(async move {
        let fields = main.params().usize("fields");
        let lane = main.new_lane(LaneKind::Connection, "redis-1");
        let mut con = connect(&lane, &urls[0]).await?;
        let key = format!("conlab:{run_id}:hash");
        let written: BTreeMap<String, String> = (0..fields)
            .map(|i| (format!("field{i}"), format!("value-{i}")))
            .collect();
        let pairs: Vec<(&String, &String)> = written.iter().collect();
        let _: () = command(
            &lane,
            "HSET",
            Duration::ZERO,
            con.hset_multiple(&key, &pairs),
        )
        .await?;
        let read: BTreeMap<String, String> =
            command(&lane, "HGETALL", Duration::ZERO, con.hgetall(&key)).await?;
        lane.mark("written", Text::from(format!("{written:?}")));
        lane.mark("read", Text::from(format!("{read:?}")));
        main.print(format!(
            "wrote {fields} fields to {key}, read back {} fields",
            read.len()
        ));
        if let Some((f, v)) = read.iter().next() {
            main.print(format!("first field: {f} = {v}"));
        }
        lane.during(
            SpanState::InFlight,
            "DEL (clean up)",
            delete_run_keys(&mut con, &run_id),
        )
        .await
        .map_err(|e| ScenarioError::failed(format!("cleaning up failed: {e}")))?;
        drop(con);
        lane.end();
        Ok(())
    })
}

/// Checks: the hash read back equals the hash written; the connection was opened and used.
pub fn checks(c: &mut Checks) {
    let t = c.trace;
    let written = t.marks_named("written").next().map(|m| m.detail.clone());
    let read = t.marks_named("read").next().map(|m| m.detail.clone());
    c.check(
        "read-back",
        "the value read back equals the value written",
        written.is_some() && written == read,
        match (&written, &read) {
            (Some(w), Some(r)) if w == r => format!("read back as written: {r}"),
            (Some(w), Some(r)) => format!("written {w}, read {r}"),
            _ => "the hash written or read was not recorded".to_string(),
        },
    );
    let n = c.params.usize("fields");
    let has_n = read
        .as_deref()
        .is_some_and(|r| r.matches("field").count() == n);
    c.check(
        "all-fields",
        "every field came back",
        has_n,
        format!("{n} fields expected"),
    );
    let connected = !t.intervals(SpanState::Connecting).is_empty();
    c.check(
        "connected",
        "the connection and its commands are on the timeline",
        connected && t.intervals(SpanState::InFlight).len() >= 2,
        "",
    );
}

/// About how long a run takes: the fields, sent together.
pub fn expected(p: &conlab_core::Params) -> std::time::Duration {
    use conlab_core::estimate::{times, ROUND_TRIP};
    times(p.usize("fields"), ROUND_TRIP / 8) + ROUND_TRIP * 20
}
