//! coroutine-switch: two coroutines hand control to each other explicitly, greenlet style.
//! Each one runs until it switches; only one ever runs at a time, so the output interleaves
//! 1 3 2 4 on every runtime.

use conlab_core::sync::{channel, Receiver, Sender};
use conlab_core::{Checks, LaneCtx, Runtime, ScenarioError, SpanState, Text};

/// The baton: a coroutine switches by handing it to the other and waiting to get it back.
struct Baton {
    give: Sender<()>,
    take: Receiver<()>,
}

impl Baton {
    async fn switch<R: Runtime>(&mut self, me: &LaneCtx<R>, to: &'static str) {
        me.mark("switch", Text::Static(to));
        self.give.send(());
        me.during(SpanState::WaitingFuture, "switched out", self.take.recv())
            .await;
    }
}

/// Runs the scenario.
pub async fn run<R: Runtime>(main: LaneCtx<R>) -> Result<(), ScenarioError> {
    let (to_gr1, gr1_rx) = channel();
    let (to_gr2, gr2_rx) = channel();
    let mut baton1 = Baton {
        give: to_gr2,
        take: gr1_rx,
    };
    let mut baton2 = Baton {
        give: to_gr1,
        take: gr2_rx,
    };
    let gr1 = main.spawn_named("gr1", |me| async move {
        me.print("1");
        baton1.switch(&me, "gr2").await;
        me.print("2");
        baton1.switch(&me, "gr2").await;
    });
    let gr2 = main.spawn_named("gr2", |me| async move {
        // gr2 starts only when gr1 first hands over.
        me.during(SpanState::WaitingFuture, "not started", baton2.take.recv())
            .await;
        me.print("3");
        baton2.switch(&me, "gr1").await;
        me.print("4");
        // Hand the baton back so gr1 can finish.
        baton2.give.send(());
    });
    main.join(gr1)
        .await
        .map_err(|e| ScenarioError::failed(e.to_string()))?;
    main.join(gr2)
        .await
        .map_err(|e| ScenarioError::failed(e.to_string()))?;
    Ok(())
}

/// Checks: the output interleaves 1 3 2 4, and the two coroutines never print while the other
/// holds control (each line comes from the lane that last received the baton).
pub fn checks(c: &mut Checks) {
    c.output_is(
        "order",
        "output order is 1 3 2 4",
        &["1", "3", "2", "4"].map(String::from),
    );
    let lanes: Vec<&str> = c
        .trace
        .output
        .iter()
        .map(|l| c.trace.lanes[l.lane as usize].name.as_str())
        .collect();
    c.check(
        "alternates",
        "control alternates gr1, gr2, gr1, gr2",
        lanes == ["gr1", "gr2", "gr1", "gr2"],
        format!("printed by {}", conlab_core::list(&lanes)),
    );
    let switches = c.trace.marks_named("switch").count();
    c.check(
        "switches",
        "three explicit switches hand control over",
        switches == 3,
        conlab_core::count_of(switches, "switch", "switches"),
    );
}

/// About how long a run takes: moments.
pub fn expected(p: &conlab_core::Params) -> std::time::Duration {
    use std::time::Duration;
    let _ = p;
    Duration::from_millis(10)
}

/// This file: the code that runs, shown beside its timeline on the playground.
pub const SOURCE: &str = file!();
