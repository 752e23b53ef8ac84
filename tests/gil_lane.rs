//! cpu-bound-gil's GIL lane (issue 24): who holds the GIL, each hold a span on a lane of its
//! own, one holder at a time; on the scheduler, with drawn parameters, every hand-over
//! accounted for, every wait for the GIL covered by another thread's hold, and the phases as
//! long as the virtual cores make them; natively, the same lane from real threads.

use conlab_core::{LaneKind, Params, SpanState, Trace};
use conlab_scenarios::scheduled;
use conlab_scenarios::RuntimeChoice::Tokio;
use conlab_tests::draw::Rng;
use conlab_tests::{assert_passed, exclusive, run};

/// The GIL lane's holds, in time order: (start, end, holder).
fn holds(t: &Trace) -> Vec<(u64, u64, String)> {
    let gil = t
        .lanes
        .iter()
        .find(|l| l.name == "GIL")
        .unwrap_or_else(|| panic!("no GIL lane in {:?}", t.lanes));
    assert_eq!(gil.kind, LaneKind::Lock);
    // The lane ends (with the run's code natively, with its main thread on the scheduler),
    // after its last hold: a text timeline does not draw it alive to the end of the trace.
    let end = gil
        .end
        .unwrap_or_else(|| panic!("the GIL lane never ends: {gil:?}"));
    assert!(
        t.spans
            .iter()
            .filter(|s| s.lane == gil.id)
            .all(|s| s.end <= end),
        "a hold after the GIL lane ended at {end}"
    );
    let mut holds: Vec<_> = t
        .spans
        .iter()
        .filter(|s| s.lane == gil.id)
        .map(|s| {
            assert_eq!(s.state, SpanState::HoldingLock);
            (s.start, s.end, s.label.clone())
        })
        .collect();
    holds.sort();
    holds
}

/// Holds never overlap, and each names a thread of the run.
fn assert_one_holder_at_a_time(t: &Trace, place: &str) {
    let holds = holds(t);
    assert!(!holds.is_empty(), "{place}: the GIL was never held");
    for w in holds.windows(2) {
        assert!(w[1].0 >= w[0].1, "{place}: two holders at once: {w:?}");
    }
    for (_, _, holder) in &holds {
        assert!(
            t.lanes
                .iter()
                .any(|l| &l.name == holder && l.kind == LaneKind::Thread),
            "{place}: the GIL held by {holder}, not a thread of the run"
        );
    }
}

#[test]
fn on_the_scheduler_the_gil_lane_accounts_for_every_hold_wait_and_hand_over() {
    let seed = conlab_tests::drawn::seed();
    println!("GIL lane: seed {seed} (CONLAB_FUZZ_SEED={seed} replays)");
    let mut rng = Rng::new(seed);
    let row = conlab_scenarios::find("cpu-bound-gil").unwrap();
    let info = row.info();
    for _ in 0..8 {
        let units = rng.between(2, 6) as usize;
        let switch = [1, 2, 5, 13, 40, 150][rng.between(0, 5) as usize];
        let scale = ["1", "0.5", "0.1"][rng.between(0, 2) as usize];
        let assignments = [
            format!("units={units}"),
            format!("switch_interval_ms={switch}"),
            format!("time-scale={scale}"),
        ];
        let place = format!("seed {seed}: {}", assignments.join(" "));
        let p =
            Params::from_assignments(info.id, info.params, assignments.iter().map(|s| s.as_str()))
                .unwrap();
        let t = scheduled::run(row, &p, None).unwrap().trace;
        assert!(t.passed(), "{place}: {:?}", t.failed_checks());
        assert_one_holder_at_a_time(&t, &place);

        // Each thread's unit ends with a release; every other hold ends in a hand-over.
        let handovers = t.marks_named("gil_handover").count();
        assert_eq!(holds(&t).len(), handovers + units, "{place}");
        assert_eq!(
            t.metrics.extra("gil_handovers"),
            Some(handovers as f64),
            "{place}"
        );
        let unit = p.scale_ms(100).as_nanos() as u64;
        if unit > switch * 1_000_000 {
            assert!(
                handovers > 0,
                "{place}: units outlast the interval, no hand-over"
            );
        }

        // While a thread waits for the GIL, another holds it.
        let holds = holds(&t);
        for wait in t.spans.iter().filter(|s| s.state == SpanState::WaitingGil) {
            let mut covered = wait.start;
            for (a, b, _) in &holds {
                if *a <= covered && *b > covered {
                    covered = *b;
                }
            }
            assert!(
                covered >= wait.end,
                "{place}: a wait with no holder: {wait:?}"
            );
        }

        // The phases take what the virtual cores make them: the GIL threads all their
        // work, free threads and processes their work spread over the cores.
        let cores = u64::from(t.cores.unwrap());
        let length = |name: &str| t.phase(name).map(|(a, b)| b - a).unwrap();
        assert_eq!(length("gil_threads"), units as u64 * unit, "{place}");
        let spread = (units as u64).div_ceil(cores) * unit;
        assert_eq!(length("free_threads"), spread, "{place}");
        assert_eq!(length("processes"), spread, "{place}");

        // Each process on a lane of its own, which exits.
        let processes: Vec<_> = t
            .lanes
            .iter()
            .filter(|l| l.kind == LaneKind::Process)
            .collect();
        assert_eq!(processes.len(), units, "{place}");
        for l in processes {
            assert!(
                t.marks_named("exit").any(|m| m.lane == l.id),
                "{place}: {}",
                l.name
            );
        }
    }
}

#[test]
fn natively_the_gil_lane_shows_one_holder_at_a_time() {
    let _cpu = exclusive();
    let t = run("cpu-bound-gil", Tokio, &["units=3", "time-scale=0.5"]);
    assert_passed(&t);
    assert_one_holder_at_a_time(&t, "native");
    assert_eq!(
        t.lanes
            .iter()
            .filter(|l| l.kind == LaneKind::Process)
            .count(),
        3
    );
}
