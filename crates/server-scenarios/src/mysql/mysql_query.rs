//! mysql-query: connect, create a table of the run's own, insert rows with bound parameters,
//! query them back, drop the table, close.

use super::{connect, query};
use conlab_core::{Checks, LaneCtx, LaneKind, Text};
use conlab_tokio::{ScenarioFuture, TokioRuntime};
use mysql_async::prelude::Queryable;
use std::time::Duration;

const ROWS: [(u32, &str); 3] = [(1, "threads"), (2, "processes"), (3, "coroutines")];

/// Runs the scenario.
pub fn run(main: LaneCtx<TokioRuntime>, urls: Vec<String>, run_id: String) -> ScenarioFuture {
    Box::pin(async move {
        let lane = main.new_lane(LaneKind::Connection, "mysql-1");
        let mut conn = connect(&lane, &urls[0]).await?;
        // The table name is ours (hex run id), never user input; values are bound parameters.
        let table = format!("conlab_items_{run_id}");
        let z = Duration::ZERO;
        query(
            &lane,
            "CREATE TABLE",
            z,
            conn.query_drop(format!(
                "CREATE TABLE {table} (id INT PRIMARY KEY, name VARCHAR(64) NOT NULL)"
            )),
        )
        .await?;
        let insert = format!("INSERT INTO {table} (id, name) VALUES (?, ?)");
        query(
            &lane,
            "INSERT (bound)",
            z,
            conn.exec_batch(insert, ROWS.iter().map(|(id, name)| (*id, *name))),
        )
        .await?;
        let rows: Vec<(u32, String)> = query(
            &lane,
            "SELECT",
            z,
            conn.query(format!("SELECT id, name FROM {table} ORDER BY id")),
        )
        .await?;
        for (id, name) in &rows {
            main.print(format!("row {id}: {name}"));
        }
        lane.mark("rows", Text::from(rows_text(&rows)));
        query(
            &lane,
            "DROP TABLE",
            z,
            conn.query_drop(format!("DROP TABLE {table}")),
        )
        .await?;
        query(&lane, "disconnect", z, conn.disconnect()).await?;
        lane.end();
        Ok(())
    })
}

/// Checks: the rows inserted come back, in order, and the table was dropped afterwards.
pub fn checks(c: &mut Checks) {
    let expected: Vec<(u32, String)> = ROWS.iter().map(|(i, n)| (*i, n.to_string())).collect();
    let got = c.trace.marks_named("rows").next().map(|m| m.detail.clone());
    c.check(
        "rows",
        "the expected rows are returned",
        got.as_deref() == Some(rows_text(&expected).as_str()),
        match &got {
            Some(rows) => format!("got {rows}"),
            None => "no rows were recorded".to_string(),
        },
    );
    let dropped = c.trace.spans.iter().any(|s| s.label == "DROP TABLE");
    c.check("cleaned-up", "the run's table is dropped", dropped, "");
}

/// About how long a run takes: a few queries.
pub fn expected(p: &conlab_core::Params) -> std::time::Duration {
    let _ = p;
    Duration::from_millis(300)
}

/// Rows as a person reads them: `1 "threads", 2 "processes"`.
fn rows_text(rows: &[(u32, String)]) -> String {
    conlab_core::list(rows.iter().map(|(id, name)| format!("{id} \"{name}\"")))
}
