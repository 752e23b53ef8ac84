//! The timeline's arithmetic and index, and step-through, in headless Chromium: zoom keeps the
//! time under the pointer, panning and scrolling stay inside the run, the index finds exactly
//! the spans a brute-force scan finds, and stepping replays lanes' states event by event.
#![cfg(target_arch = "wasm32")]

use conlab_core::{Params, Trace};
use conlab_web::{
    fmt_time, lane_states, steps, tick_step, Replay, StepKind, TimelineModel, Viewport,
};
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

fn virtual_trace(id: &str, assignments: &[&str]) -> Trace {
    let info = conlab_core::catalog::find(id).unwrap();
    let params = Params::from_assignments(id, info.params, assignments.iter().copied()).unwrap();
    let s = conlab_scenarios::find(id).unwrap();
    s.run_virtual(&params, std::time::Duration::from_secs(600))
        .unwrap()
}

#[wasm_bindgen_test]
fn zooming_keeps_the_time_under_the_pointer_and_stays_inside_the_run() {
    for (end, at, factor) in [
        (1_000_000_000u64, 0.25, 2.0),
        (5_000_000, 0.9, 7.5),
        (123_456_789, 0.0, 1.3),
    ] {
        let v = Viewport::whole(end, 10);
        let pivot = v.t_of(at * 800.0, 800.0);
        let z = v.zoom(factor, at);
        assert!((z.window() - end as f64 / factor).abs() < 1.0, "{z:?}");
        assert!(
            (z.t_of(at * 800.0, 800.0) - pivot).abs() < 1.0,
            "pivot moved: {z:?}"
        );
        // Zooming out past the whole run stops at the whole run.
        let out = z.zoom(1.0 / (factor * 10.0), at);
        assert!(out.is_whole(), "{out:?}");
        // Panning never leaves the run.
        let right = z.pan(1e6);
        assert!(
            (right.t1 - end as f64).abs() < 1.0 && right.t0 > 0.0,
            "{right:?}"
        );
        let left = z.pan(-1e6);
        assert_eq!(left.t0, 0.0);
        // Zooming in stops at a microsecond window.
        let deep = (0..100).fold(v, |v, _| v.zoom(10.0, at));
        assert!(deep.window() >= 999.0, "{deep:?}");
    }
}

#[wasm_bindgen_test]
fn scrolling_stays_inside_the_lanes_and_zooming_keeps_the_scroll() {
    let v = Viewport::whole(1_000, 100).scroll(1e9, 20);
    assert_eq!(v.row0, 80.0);
    assert_eq!(v.scroll(-1e9, 20).row0, 0.0);
    assert_eq!(v.zoom(2.0, 0.5).row0, 80.0, "zoom keeps the rows");
    assert_eq!(
        Viewport::whole(1_000, 5).scroll(3.0, 20).row0,
        0.0,
        "all rows fit"
    );
}

#[wasm_bindgen_test]
fn tick_steps_are_round() {
    for window in [1e3, 3.7e5, 1e6, 2.5e8, 9.9e9] {
        let step = tick_step(window, 8.0);
        let mantissa = step / 10f64.powf(step.log10().floor());
        assert!(
            [1.0, 2.0, 5.0, 10.0]
                .iter()
                .any(|m| (mantissa - m).abs() < 1e-9),
            "{step}"
        );
        let ticks = window / step;
        assert!((3.0..=17.0).contains(&ticks), "{window}: {ticks} ticks");
    }
}

#[wasm_bindgen_test]
fn the_index_finds_what_a_scan_finds() {
    let t = virtual_trace("wait-timeout", &[]);
    let t2 = virtual_trace("create-task", &["tasks=40", "sleep_ms=30"]);
    for t in [t, t2] {
        let model = TimelineModel::new(&t);
        let end = t.end;
        for (lo, hi) in [
            (0, end),
            (end / 3, end / 2),
            (end, end),
            (end / 7, end / 7 + 1),
        ] {
            for row in 0..t.lanes.len() {
                let mut got: Vec<u32> = model.visible(row, lo, hi).map(|b| b.index).collect();
                let mut want: Vec<u32> = t
                    .spans
                    .iter()
                    .enumerate()
                    .filter(|(_, s)| s.lane as usize == row && s.start <= hi && s.end >= lo)
                    .map(|(i, _)| i as u32)
                    .collect();
                got.sort_unstable();
                want.sort_unstable();
                assert_eq!(got, want, "row {row} in {lo}..{hi}");
            }
        }
    }
}

#[wasm_bindgen_test]
fn stepping_replays_every_event_and_ends_with_every_lane_idle() {
    let t = virtual_trace("create-task", &["tasks=5", "sleep_ms=50"]);
    let all = steps(&t);
    assert_eq!(
        all.len(),
        t.spans.len() * 2 + t.output.len() + t.marks.len()
    );
    assert!(all.windows(2).all(|w| w[0].t <= w[1].t));
    // Halfway through the sleeps every task is sleeping; after the last step nobody is busy.
    let mid = t.end / 2;
    let upto = all.iter().take_while(|s| s.t <= mid).count();
    let states = lane_states(&t, &all, upto);
    let sleeping = states
        .iter()
        .filter(|s| s.is_some_and(|i| t.spans[i].state == conlab_core::SpanState::Sleeping))
        .count();
    assert_eq!(sleeping, 5);
    assert!(lane_states(&t, &all, all.len()).iter().all(Option::is_none));
    // A span's end never comes before its beginning.
    for (i, _) in t.spans.iter().enumerate() {
        let b = all
            .iter()
            .position(|s| s.kind == StepKind::Begin(i))
            .unwrap();
        let e = all.iter().position(|s| s.kind == StepKind::End(i)).unwrap();
        assert!(b < e, "span {i}");
    }
}

#[wasm_bindgen_test]
fn alike_lanes_fold_into_one_row_open_again_and_filter_by_name() {
    use conlab_web::{RowChoice, Rows};
    let t = virtual_trace("event-loop-choice", &["tasks=1000", "sleep_ms=10"]);
    let model = TimelineModel::new(&t);
    let all = Rows::new(&t, &model, &RowChoice::default());
    assert_eq!(all.count(), t.lanes.len(), "one row per lane unfolded");

    // Every task slept once: they fold into one row; main keeps its own.
    let folded = RowChoice {
        fold: true,
        ..RowChoice::default()
    };
    let rows = Rows::new(&t, &model, &folded);
    assert!(rows.count() < 5, "{} rows", rows.count());
    let big = (0..rows.count())
        .find(|&r| rows.lanes_of(r).len() > 1)
        .expect("a folded row");
    assert_eq!(rows.lanes_of(big).len(), 1000);
    for (i, lane) in t.lanes.iter().enumerate() {
        let row = rows.row_of(i).expect("every lane has a row");
        assert!(rows.lanes_of(row).contains(&(i as u32)), "{}", lane.name);
    }

    // Opening it gives each lane its row back.
    let first = rows.lanes_of(big)[0];
    let opened = RowChoice {
        opened: vec![first],
        ..folded.clone()
    };
    assert_eq!(Rows::new(&t, &model, &opened).count(), t.lanes.len());

    // A filter keeps the lanes whose name contains it, in any case.
    let name = &t.lanes[first as usize].name;
    let needle = name.to_uppercase();
    let filtered = Rows::new(
        &t,
        &model,
        &RowChoice {
            filter: needle.clone(),
            ..RowChoice::default()
        },
    );
    let expected = t
        .lanes
        .iter()
        .filter(|l| l.name.to_lowercase().contains(&needle.to_lowercase()))
        .count();
    assert!(expected >= 1);
    assert_eq!(filtered.lane_count(), expected);
    assert_eq!(filtered.count(), expected);
    let hidden = t
        .lanes
        .iter()
        .position(|l| !l.name.to_lowercase().contains(&needle.to_lowercase()))
        .unwrap();
    assert_eq!(filtered.row_of(hidden), None);
}

#[wasm_bindgen_test]
fn lanes_that_did_different_things_or_have_other_names_are_not_folded_together() {
    use conlab_core::{Lane, LaneKind, SpanState};
    use conlab_web::{RowChoice, Rows};
    // task-0..2 sleep, task-3..5 compute, worker-6..8 sleep, task-9 sleeps alone.
    let mut t = virtual_trace("create-task", &["tasks=1"]);
    t.lanes.clear();
    t.spans.clear();
    t.marks.clear();
    t.output.clear();
    for i in 0..10u32 {
        let name = if (6..9).contains(&i) {
            "worker"
        } else {
            "task"
        };
        t.lanes.push(Lane {
            id: i,
            kind: LaneKind::Task,
            name: format!("{name}-{i}"),
            start: 0,
            end: Some(100),
            parent: None,
        });
        let mut span = t_span(i, SpanState::Sleeping, u64::from(i) * 3);
        if (3..6).contains(&i) {
            span.state = SpanState::Computing;
        }
        t.spans.push(span);
    }
    let model = TimelineModel::new(&t);
    let rows = Rows::new(
        &t,
        &model,
        &RowChoice {
            fold: true,
            ..RowChoice::default()
        },
    );
    let sizes: Vec<usize> = (0..rows.count()).map(|r| rows.lanes_of(r).len()).collect();
    assert_eq!(sizes, vec![3, 3, 3, 1]);
    assert_eq!(rows.lanes_of(2), &[6, 7, 8]);
}

fn t_span(lane: u32, state: conlab_core::SpanState, start: u64) -> conlab_core::Span {
    conlab_core::Span {
        lane,
        state,
        start,
        end: start + 10,
        depth: 0,
        label: String::new(),
        open: false,
        order: (0, 0),
        site: None,
    }
}

#[wasm_bindgen_test]
fn stepping_forward_one_step_at_a_time_places_lanes_as_a_replay_from_the_start() {
    let t = virtual_trace("gather-vs-wait", &[]);
    let all = steps(&t);
    let mut stepping = Replay::new(&t);
    for upto in 0..=all.len() {
        stepping.seek(&t, &all, upto);
        let mut fresh = Replay::new(&t);
        fresh.seek(&t, &all, upto);
        let now = all.get(upto.saturating_sub(1)).map_or(0, |s| s.t);
        assert_eq!(
            stepping.places(&t, now),
            fresh.places(&t, now),
            "step {upto}"
        );
    }
    // Going back replays from the start and agrees too.
    stepping.seek(&t, &all, 2);
    let mut fresh = Replay::new(&t);
    fresh.seek(&t, &all, 2);
    assert_eq!(stepping.places(&t, 0), fresh.places(&t, 0));
    // Lanes alive at the end of the run that recorded something are somewhere in the code.
    let places = stepping.places(&t, all[1].t);
    assert!(places.iter().all(|p| (p.site as usize) < t.sites.len()));
}

#[wasm_bindgen_test]
fn times_read_as_people_write_them() {
    assert_eq!(fmt_time(0), "0 ms");
    assert_eq!(fmt_time(150_000_000), "150 ms");
    assert_eq!(fmt_time(150_250_000), "150 ms");
    assert_eq!(fmt_time(12_340_000), "12.3 ms");
    assert_eq!(fmt_time(1_500_000_000), "1,500 ms");
    assert_eq!(fmt_time(56_700), "57 µs");
    assert_eq!(fmt_time(999), "999 ns");
}

#[wasm_bindgen_test]
fn a_child_processs_threads_follow_its_lane_unless_a_filter_picks_lanes() {
    use conlab_core::{Lane, LaneKind, SpanState};
    use conlab_web::{RowChoice, Rows};
    // main, P1, P2, then P2's thread, P1's two threads, and a thread of a thread (shown in
    // its own place: one level of nesting).
    let mut t = virtual_trace("create-task", &["tasks=1"]);
    t.lanes.clear();
    t.spans.clear();
    t.marks.clear();
    t.output.clear();
    let parents = [None, None, None, Some(2), Some(1), Some(1), Some(5)];
    for (i, parent) in parents.into_iter().enumerate() {
        t.lanes.push(Lane {
            id: i as u32,
            kind: LaneKind::Process,
            name: format!("lane-{i}"),
            start: 0,
            end: Some(100),
            parent,
        });
        t.spans
            .push(t_span(i as u32, SpanState::Sleeping, i as u64));
    }
    let model = TimelineModel::new(&t);
    let rows = Rows::new(&t, &model, &RowChoice::default());
    let order: Vec<u32> = (0..rows.count())
        .flat_map(|r| rows.lanes_of(r).to_vec())
        .collect();
    assert_eq!(order, [0, 1, 4, 5, 2, 3, 6]);
    let filtered = Rows::new(
        &t,
        &model,
        &RowChoice {
            filter: "lane-".into(),
            ..RowChoice::default()
        },
    );
    let order: Vec<u32> = (0..filtered.count())
        .flat_map(|r| filtered.lanes_of(r).to_vec())
        .collect();
    assert_eq!(
        order,
        [0, 1, 2, 3, 4, 5, 6],
        "a filter keeps the trace's order"
    );
}

#[wasm_bindgen_test]
fn every_span_state_has_a_swatch_of_its_own() {
    // The legend tells states apart by colour and pattern together: no two alike.
    let all = conlab_core::SpanState::ALL;
    for (i, a) in all.iter().enumerate() {
        for b in &all[i + 1..] {
            assert_ne!(
                conlab_web::state_style(*a),
                conlab_web::state_style(*b),
                "{a:?} and {b:?} look the same"
            );
        }
    }
}
