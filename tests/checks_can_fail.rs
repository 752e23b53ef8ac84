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

/// Like `broken`, for a native run (process scenarios run only natively).
fn broken_native(id: &str, params: &[&str], breaks: impl FnOnce(&mut Trace)) -> Vec<String> {
    let mut t = run(id, conlab_scenarios::RuntimeChoice::Tokio, params);
    assert!(
        failed_ids(&recheck(&t)).is_empty(),
        "{id} should pass before it is broken: {:?}",
        failed_ids(&recheck(&t))
    );
    breaks(&mut t);
    failed_ids(&recheck(&t))
}

/// The first output line starting with `prefix`.
fn line<'a>(t: &'a mut Trace, prefix: &str) -> &'a mut String {
    &mut t
        .output
        .iter_mut()
        .find(|l| l.text.starts_with(prefix))
        .unwrap_or_else(|| panic!("no line starts with {prefix}"))
        .text
}

#[test]
fn shared_memory_between_processes_fails_the_isolation_checks() {
    let failed = broken_native("process-isolation", &["processes=3"], |t| {
        let l = line(t, "process 1 ");
        *l = l.replace("(length 1)", "(length 2)");
    });
    assert_eq!(failed, ["child-lists-private"]);
    let failed = broken_native("process-isolation", &["processes=3"], |t| {
        *line(t, "parent after the processes") =
            "parent after the processes: the list has 3 items".into();
    });
    assert_eq!(failed, ["parent-untouched"]);
}

#[test]
fn a_pid_that_is_not_the_lanes_fails_own_pids() {
    let failed = broken_native("process-start", &["processes=4"], |t| {
        let l = line(t, "argument 2 ");
        *l = format!("{}9", l);
    });
    assert_eq!(failed, ["own-pids"]);
}

#[test]
fn overlapping_sections_fail_the_process_lock() {
    let failed = broken_native("process-lock", &["processes=3", "hold_ms=20"], |t| {
        let holds: Vec<usize> = (0..t.spans.len())
            .filter(|i| t.spans[*i].state == SpanState::HoldingLock)
            .collect();
        let (a, b) = (holds[0], holds[1]);
        t.spans[b].start = t.spans[a].start;
    });
    assert_eq!(failed, ["sections-never-overlap"]);
}

#[test]
fn a_task_run_twice_or_k_plus_one_at_once_fail_the_pool() {
    let failed = broken_native(
        "process-pool",
        &["workers=2", "tasks=4", "task_ms=20"],
        |t| {
            let i = t.spans.iter().position(|s| s.label == "task 0").unwrap();
            let mut again = t.spans[i].clone();
            again.label = "task 1".into();
            t.spans.push(again);
        },
    );
    assert!(
        failed.contains(&"every-task-once".to_string()),
        "{failed:?}"
    );
    let failed = broken_native(
        "process-pool",
        &["workers=2", "tasks=4", "task_ms=20"],
        |t| {
            // Every task at once on the first worker's lane: 4 > k at the same time.
            let first = t
                .spans
                .iter()
                .find(|s| s.label == "task 0")
                .unwrap()
                .clone();
            for s in t.spans.iter_mut().filter(|s| s.label.starts_with("task ")) {
                s.start = first.start;
                s.end = first.end;
            }
        },
    );
    assert!(failed.contains(&"at-most-k-busy".to_string()), "{failed:?}");
}

#[test]
fn a_lost_update_or_item_fails_the_dict_and_queue() {
    let failed = broken_native("process-shared-dict", &["processes=3"], |t| {
        let l = line(t, "parent: the final dict is");
        *l = l.replace("2: 2", "2: 7");
    });
    assert_eq!(failed, ["every-key"]);
    let failed = broken_native("process-queue", &["processes=3"], |t| {
        *line(t, "parent: got 2") = "parent: got 1 from the queue".into();
    });
    assert!(
        failed.contains(&"every-value-once".to_string()),
        "{failed:?}"
    );
}

#[test]
fn a_child_never_reaped_fails_no_process_outlives() {
    let failed = broken_native("process-start", &["processes=2"], |t| {
        let lane = t
            .lanes
            .iter()
            .find(|l| l.kind == conlab_core::LaneKind::Process)
            .unwrap()
            .id;
        t.marks.retain(|m| !(m.lane == lane && m.name == "exit"));
    });
    assert_eq!(failed, ["no-process-outlives"]);
}

/// A figure the load test recorded, changed.
fn set_metric(t: &mut Trace, key: &str, value: f64) {
    t.metrics
        .extra
        .iter_mut()
        .find(|m| m.key == key)
        .unwrap_or_else(|| panic!("no metric {key}"))
        .value = value;
}

#[test]
fn a_lost_request_or_a_damaged_upload_fails_the_load_test() {
    let params = [
        "clients=3",
        "requests=40",
        "payload_kb=1",
        "fail_percent=25",
    ];
    let failed = broken_native("load-test", &params, |t| set_metric(t, "succeeded", 29.0));
    assert!(
        failed.contains(&"every-request-accounted".to_string()),
        "{failed:?}"
    );
    let failed = broken_native("load-test", &params, |t| {
        set_metric(t, "server_requests", 39.0)
    });
    assert_eq!(failed, ["server-saw-every-request"]);
    let failed = broken_native("load-test", &params, |t| {
        set_metric(t, "server_uploads_damaged", 1.0)
    });
    assert_eq!(failed, ["uploads-intact"]);
    let failed = broken_native("load-test", &params, |t| {
        let l = t.metrics.latency.as_mut().unwrap();
        l.p99 = l.max + 1;
    });
    assert_eq!(failed, ["percentiles-ordered"]);
}

#[test]
fn a_damaged_file_or_serial_downloads_fail_the_crawler() {
    let params = ["files=6", "latency_ms=100", "size_kb=2"];
    let failed = broken_native("crawler", &params, |t| {
        let m = t.marks.iter_mut().find(|m| m.name == "verified").unwrap();
        m.name = "damaged".into();
    });
    assert!(failed.contains(&"files-intact".to_string()), "{failed:?}");
    // One download after the other; then faster than the server answers.
    let failed = broken_native("crawler", &params, |t| phase_lasts(t, "async", 600_000_000));
    assert_eq!(failed, ["async-overlaps"]);
    let failed = broken_native("crawler", &params, |t| {
        phase_lasts(t, "threads", 50_000_000)
    });
    assert_eq!(failed, ["threads-overlap"]);
}

/// Makes phase `name` of a trace last `ns`, by moving its end.
fn phase_lasts(t: &mut Trace, name: &str, ns: u64) {
    let start = t.mark_time(conlab_core::PHASE_START, name).unwrap();
    let end = t
        .marks
        .iter_mut()
        .find(|m| m.name == conlab_core::PHASE_END && m.detail == name)
        .unwrap();
    end.t = start + ns;
}

#[test]
fn steps_out_of_order_or_a_short_body_fail_raw_http() {
    let failed = broken_native("raw-http", &["size_kb=2"], |t| {
        let body = t.spans.iter().position(|s| s.label == "body").unwrap();
        let status = t
            .spans
            .iter()
            .position(|s| s.label == "status line")
            .unwrap();
        let (a, b) = (t.spans[body].start, t.spans[status].start);
        t.spans[body].start = b;
        t.spans[status].start = a;
        t.spans.swap(body, status);
    });
    assert!(failed.contains(&"steps-in-order".to_string()), "{failed:?}");
    let failed = broken_native("raw-http", &["size_kb=2"], |t| {
        let m = t.marks.iter_mut().find(|m| m.name == "body").unwrap();
        m.detail = m.detail.replacen("2048", "2047", 1);
    });
    assert_eq!(failed, ["body-received"]);
}
