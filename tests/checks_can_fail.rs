//! The checks are computed from the trace, so a trace that contradicts the idea must fail
//! them. Each case takes a real virtual run, breaks one fact in it, and expects that check to
//! fail while the untouched trace passes.

use conlab_core::{SpanState, Trace};
use conlab_scenarios::RuntimeChoice::Virtual;
use conlab_tests::{failed_ids, recheck, run};

fn broken(id: &str, params: &[&str], breaks: impl FnOnce(&mut Trace)) -> Vec<String> {
    let mut t = run(id, Virtual, params);
    assert!(
        failed_ids(&recheck(&t)).is_empty(),
        "{id} should pass before it is broken"
    );
    breaks(&mut t);
    failed_ids(&recheck(&t))
}

#[test]
fn reordered_output_fails_the_order_checks() {
    let failed = broken("asyncio-two-tasks", &[], |t| t.output.swap(1, 2));
    assert!(
        failed.contains(&"order".to_string()) && failed.contains(&"interleaved".to_string()),
        "{failed:?}"
    );
    let failed = broken("coroutine-switch", &[], |t| t.output.swap(0, 1));
    assert!(failed.contains(&"order".to_string()), "{failed:?}");
    let failed = broken("as-completed", &[], |t| t.output.swap(0, 2));
    assert!(
        failed.contains(&"completion-order".to_string()),
        "{failed:?}"
    );
    let failed = broken("gather-vs-wait", &[], |t| {
        let i = t
            .output
            .iter()
            .position(|l| l.text.starts_with("gather[0]"))
            .unwrap();
        t.output.swap(i, i + 1);
    });
    assert!(failed.contains(&"gather-order".to_string()), "{failed:?}");
}

#[test]
fn a_sequential_makespan_fails_the_concurrency_checks() {
    let failed = broken("asyncio-two-tasks", &[], |t| t.metrics.makespan *= 2);
    assert_eq!(failed, ["makespan-one-sleep"]);
    let failed = broken("create-task", &["tasks=5"], |t| t.metrics.makespan *= 5);
    assert_eq!(failed, ["makespan-one-sleep"]);
    let failed = broken("coroutine-cpu", &[], |t| t.metrics.makespan /= 2);
    assert_eq!(failed, ["no-gain"]);
}

#[test]
fn overlapping_blocking_calls_fail_the_frozen_loop_check() {
    let failed = broken("blocking-in-async", &[], |t| {
        for s in t
            .spans
            .iter_mut()
            .filter(|s| s.state == SpanState::Blocking)
        {
            s.end -= s.start;
            s.start = 0;
        }
    });
    assert!(failed.contains(&"serialized".to_string()), "{failed:?}");
    let failed = broken("blocking-in-async", &[], |t| {
        t.marks.retain(|m| m.name != "loop_blocked")
    });
    assert_eq!(failed, ["warned"]);
}

#[test]
fn a_task_left_running_fails_cancel_all() {
    let failed = broken("cancel-all", &[], |t| {
        if let Some(l) = t.lanes.iter_mut().find(|l| l.name == "task-2") {
            l.end = None;
        }
        t.marks.pop();
    });
    assert!(
        failed.contains(&"none-left".to_string()) && failed.contains(&"all-cancelled".to_string()),
        "{failed:?}"
    );
}

#[test]
fn a_wrong_done_pending_split_fails_wait_timeout() {
    let failed = broken("wait-timeout", &[], |t| {
        for l in t.output.iter_mut() {
            if l.text.starts_with("done:") {
                l.text = "done: [0, 1, 2]".into();
            } else if l.text.starts_with("pending:") {
                l.text = "pending: []".into();
            }
        }
    });
    assert!(failed.contains(&"split".to_string()), "{failed:?}");
}

#[test]
fn a_failed_run_fails_its_completed_check_and_skips_the_rest() {
    let mut t = run("await-sequential", Virtual, &[]);
    t.status = conlab_core::Status::Failed {
        reason: "test".into(),
    };
    let results = recheck(&t);
    assert_eq!(results.len(), 1);
    assert_eq!(failed_ids(&results), ["completed"]);
}
