//! Thread scenarios on the deterministic scheduler (issue 24): every scenario written against
//! the thread seam passes on it with drawn parameters and gives the same trace twice; the
//! search finds the failure each lesson is about and none in its guarded form; a schedule
//! replays its run exactly and one made for something else is refused whole.

use conlab_core::{Params, SpanState, Verdict};
use conlab_scenarios::scheduled::{self, PropertyResult};
use conlab_sched::search::Method;
use conlab_tests::draw::{draw, Budget, Rng};

fn scheduled_rows() -> Vec<&'static conlab_scenarios::Scenario> {
    let rows: Vec<_> = conlab_scenarios::registry::all()
        .iter()
        .filter(|r| r.scheduled.is_some())
        .collect();
    assert!(!rows.is_empty(), "no scenario runs on the scheduler");
    rows
}

fn params(id: &str, assignments: &[String]) -> Params {
    let info = conlab_core::catalog::find(id).unwrap();
    Params::from_assignments(id, info.params, assignments.iter().map(String::as_str)).unwrap()
}

#[test]
fn every_scheduled_scenario_passes_with_drawn_parameters_and_runs_the_same_twice() {
    let seed = conlab_tests::drawn::seed();
    println!("scheduled runs: seed {seed} (CONLAB_FUZZ_SEED={seed} replays)");
    let mut rng = Rng::new(seed);
    for row in scheduled_rows() {
        let mut sets = vec![Vec::new()];
        for _ in 0..12 {
            sets.push(draw(row.info(), &mut rng, Budget::CI));
        }
        for assignments in sets {
            let p = params(row.id, &assignments);
            let a = scheduled::run(row, &p, None).unwrap();
            let b = scheduled::run(row, &p, None).unwrap();
            let place = format!("seed {seed}: {} {}", row.id, assignments.join(" "));
            assert!(
                a.trace.passed(),
                "{place}: {} {:?}",
                a.trace.status.label(),
                a.trace
                    .checks
                    .iter()
                    .filter(|c| c.verdict() == Verdict::Failed)
                    .map(|c| format!("{}: {}", c.id, c.detail))
                    .collect::<Vec<_>>()
            );
            assert_eq!(
                a.trace.to_json(),
                b.trace.to_json(),
                "{place}: not deterministic"
            );
            assert_eq!(a.schedule, b.schedule, "{place}");
            // Its schedule replays it exactly.
            let again = scheduled::run(row, &p, Some(&a.schedule)).unwrap();
            assert_eq!(
                again.trace.to_json(),
                a.trace.to_json(),
                "{place}: replay differs"
            );
        }
    }
}

fn explore(assignments: &[&str], method: Method, budget: u64) -> Vec<PropertyResult> {
    let row = conlab_scenarios::find("race-condition").unwrap();
    let a: Vec<String> = assignments.iter().map(|s| s.to_string()).collect();
    scheduled::explore(row, &params(row.id, &a), method, 7, budget, &mut |_, _| {}).unwrap()
}

#[test]
fn the_search_finds_a_lost_update_without_the_lock_and_none_with_it() {
    for threads in [2, 3, 4] {
        for hold in ["0", "20"] {
            let t = format!("threads={threads}");
            let h = format!("hold_ms={hold}");
            let set = ["op=increment", "increments=2", t.as_str(), h.as_str()];
            // Depth-first search spends its budget on the last steps' alternatives first: it
            // is asked to find the failure where the run is small.
            let dfs = (threads <= 3).then_some(Method::Dfs(Some(1)));
            for method in [Method::Random, Method::Pct(2)].into_iter().chain(dfs) {
                let found = explore(&set, method, 3_000);
                let place = format!("{set:?} {method:?}");
                assert_eq!(found.len(), 2, "{place}");
                let (schedule, reason, preemptions) = found[0]
                    .broken
                    .clone()
                    .unwrap_or_else(|| panic!("{place}: no lost update found"));
                assert!(reason.contains("an update was lost"), "{place}: {reason}");
                assert!(preemptions <= 1, "{place}: not shrunk: {preemptions}");
                assert!(
                    found[1].broken.is_none(),
                    "{place}: the lock lost an update: {:?}",
                    found[1].broken
                );
                // The schedule replays the failure, and its checks say what happened.
                let row = conlab_scenarios::find("race-condition").unwrap();
                let owned: Vec<String> = set.iter().map(|s| s.to_string()).collect();
                let run = scheduled::run(row, &params(row.id, &owned), Some(&schedule)).unwrap();
                let lost = run
                    .trace
                    .checks
                    .iter()
                    .find(|c| c.id == "update-lost")
                    .unwrap();
                assert_eq!(lost.verdict(), Verdict::Passed, "{place}: {}", lost.detail);
                assert!(run.trace.passed(), "{place}");
            }
        }
    }
    // Every interleaving of the guarded form, within two preemptions: none loses an update.
    let all = explore(
        &["op=increment", "increments=2", "threads=2", "hold_ms=0"],
        Method::Dfs(Some(2)),
        100_000,
    );
    assert!(all[1].exhaustive && all[1].broken.is_none() && all[1].tried > 100);
}

/// The search on scenario `id` with `assignments`.
fn explore_in(id: &str, assignments: &[String], method: Method) -> Vec<PropertyResult> {
    let row = conlab_scenarios::find(id).unwrap();
    scheduled::explore(
        row,
        &params(id, assignments),
        method,
        7,
        3_000,
        &mut |_, _| {},
    )
    .unwrap()
}

/// Scenario `id` run again with `assignments` on the `schedule` a search found.
fn replayed(
    id: &str,
    assignments: &[String],
    schedule: &str,
    place: &str,
) -> scheduled::ScheduledRun {
    let row = conlab_scenarios::find(id).unwrap();
    scheduled::run(row, &params(id, assignments), Some(schedule))
        .unwrap_or_else(|e| panic!("{place}: the schedule found does not replay: {e}"))
}

/// Asserts that check `id` of `trace` passed.
fn assert_check_passed(trace: &conlab_core::Trace, id: &str, place: &str) {
    let check = trace.checks.iter().find(|c| c.id == id);
    let check = check.unwrap_or_else(|| panic!("{place}: no check {id}"));
    assert_eq!(
        check.verdict(),
        Verdict::Passed,
        "{place}: {}",
        check.detail
    );
}

#[test]
fn the_search_finds_the_deadlock_of_opposite_lock_orders_and_none_in_one_order() {
    let seed = conlab_tests::drawn::seed();
    let mut rng = Rng::new(seed);
    let info = conlab_core::catalog::find("lock-order").unwrap();
    let mut sets = vec![vec!["hold_ms=0".to_string()], Vec::new()];
    sets.extend((0..3).map(|_| draw(info, &mut rng, Budget::CI)));
    for set in sets {
        for method in [Method::Random, Method::Pct(2)] {
            let place = format!("seed {seed}: lock-order {set:?} {method:?}");
            let found = explore_in("lock-order", &set, method);
            let (schedule, reason, preemptions) = found[0]
                .broken
                .clone()
                .unwrap_or_else(|| panic!("{place}: no deadlock found"));
            assert!(
                reason.contains("Thread-1 waits for lock `b` held by Thread-2")
                    && reason.contains("Thread-2 waits for lock `a` held by Thread-1"),
                "{place}: {reason}"
            );
            assert!(preemptions <= 1, "{place}: not shrunk: {preemptions}");
            assert!(found[1].broken.is_none(), "{place}: {:?}", found[1].broken);
            // Replayed, the run shows the cycle, and its checks judge both lessons.
            let row = conlab_scenarios::find("lock-order").unwrap();
            let run = scheduled::run(row, &params(row.id, &set), Some(&schedule)).unwrap();
            assert!(run.trace.passed(), "{place}");
            for id in ["opposite-deadlock", "same-order-no-deadlock"] {
                let check = run.trace.checks.iter().find(|c| c.id == id).unwrap();
                assert_eq!(check.verdict(), Verdict::Passed, "{place}: {id}");
            }
            assert_eq!(run.trace.marks_named("waits_for").count(), 2, "{place}");
        }
    }
    // Every interleaving of one order within two preemptions: none deadlocks.
    let row = conlab_scenarios::find("lock-order").unwrap();
    let p = params(row.id, &["hold_ms=0".to_string()]);
    let all =
        scheduled::explore(row, &p, Method::Dfs(Some(2)), 7, 100_000, &mut |_, _| {}).unwrap();
    assert!(all[1].exhaustive && all[1].broken.is_none() && all[1].tried > 10);
}

#[test]
fn the_search_finds_an_item_taken_twice_from_an_unguarded_list_and_none_from_the_queue() {
    let seed = conlab_tests::drawn::seed();
    let mut rng = Rng::new(seed);
    let info = conlab_core::catalog::find("producer-consumer").unwrap();
    let small = ["duration_ms=300", "produce_ms=50", "consume_ms=20"].map(String::from);
    let mut sets = vec![small.to_vec()];
    // Drawn sets, kept to small runs: at most 30 items, 1,000 steps and 4 consumers (a search,
    // and the shrinking of what it found, run each many times, and tests run unoptimized).
    while sets.len() < 4 {
        let set = draw(info, &mut rng, Budget::CI);
        let p = params(info.id, &set);
        let each = p.duration("produce_ms").max(conlab_threads::LEAST_WORK);
        let items = p.usize("producers") as u128
            * (p.duration("duration_ms").as_nanos() / each.as_nanos() + 1);
        let polls = p.usize("consumers") as u128 * (p.duration("duration_ms").as_millis() / 10 + 1);
        if items <= 30 && items * 6 + polls * 3 <= 1_000 && p.usize("consumers") <= 4 {
            sets.push(set);
        }
    }
    for set in sets {
        let keep: Vec<String> = set
            .into_iter()
            .filter(|a| !a.starts_with("queue="))
            .collect();
        // The lesson shows where two consumers can look at an item at once: two of them, and
        // producing that goes on for several of their polls (10 ms apart) and makes several
        // items meanwhile. Elsewhere the search need not find it; in the queue, never.
        let p = params(info.id, &keep);
        let (duration, produce) = (p.duration("duration_ms"), p.duration("produce_ms"));
        let can = p.usize("consumers") >= 2
            && duration.as_millis() >= 200
            && produce.max(conlab_threads::LEAST_WORK) * 4 <= duration;
        for queue in ["unguarded", "queue"] {
            let mut with = keep.clone();
            with.push(format!("queue={queue}"));
            let place = format!("seed {seed}: producer-consumer {with:?}");
            // Where nothing can break, a few hundred schedules say enough.
            let budget = if queue == "queue" { 200 } else { 1_000 };
            let row = conlab_scenarios::find("producer-consumer").unwrap();
            let found = scheduled::explore(
                row,
                &params(row.id, &with),
                Method::Random,
                7,
                budget,
                &mut |_, _| {},
            )
            .unwrap();
            match &found[0].broken {
                Some((schedule, reason, _)) if queue == "unguarded" => {
                    assert!(reason.contains("taken twice"), "{place}: {reason}");
                    // Replayed, its check says what happened.
                    let run = replayed(info.id, &with, schedule, &place);
                    assert_check_passed(&run.trace, "unguarded-taken-twice", &place);
                }
                None if queue == "queue" || !can => {}
                broken => panic!("{place}: {broken:?}"),
            }
        }
    }
}

#[test]
fn the_search_finds_a_thread_that_waited_with_if_going_on_with_no_item_and_none_with_while() {
    let seed = conlab_tests::drawn::seed();
    let mut rng = Rng::new(seed);
    let info = conlab_core::catalog::find("condition-notify").unwrap();
    let mut sets = vec![
        Vec::new(),
        vec!["threads=2".to_string(), "notify_plan=1".to_string()],
    ];
    // Drawn sets, kept to 24 threads: each schedule runs every thread's steps.
    while sets.len() < 5 {
        let set = draw(info, &mut rng, Budget::CI);
        if params(info.id, &set).usize("threads") <= 24 {
            sets.push(
                set.into_iter()
                    .filter(|a| !a.starts_with("wait="))
                    .collect(),
            );
        }
    }
    for set in sets {
        let p = params(info.id, &set);
        // A thread can come in between the first notify and the waiter it woke, and take that
        // waiter's item, only if some thread is left out of the first batch. Later batches
        // find every thread left waiting.
        let can = p.usize("threads") > p.list("notify_plan")[0] as usize;
        for wait in ["if", "while"] {
            let mut with = set.clone();
            with.push(format!("wait={wait}"));
            let place = format!("seed {seed}: condition-notify {with:?}");
            let found = explore_in(info.id, &with, Method::Random);
            match &found[0].broken {
                Some((schedule, reason, preemptions)) if wait == "if" => {
                    assert!(
                        reason.contains("found no item, and went on"),
                        "{place}: {reason}"
                    );
                    assert!(*preemptions <= 2, "{place}: not shrunk: {preemptions}");
                    // Replayed, its check says what happened, and the batches still add up.
                    let run = replayed(info.id, &with, schedule, &place);
                    assert!(run.trace.passed(), "{place}");
                    assert_check_passed(&run.trace, "if-goes-on", &place);
                }
                None if wait == "while" => {}
                None if !can => {}
                broken => panic!("{place}: {broken:?}"),
            }
            if wait == "if" && can {
                assert!(found[0].broken.is_some(), "{place}: not found");
            }
        }
    }
}

#[test]
fn the_search_finds_a_plain_lock_taken_twice_and_never_an_rlock() {
    for threads in ["threads=1", "threads=3"] {
        let found = explore_in("rlock", &[threads.to_string()], Method::Random);
        assert!(
            found[0].broken.is_none(),
            "{threads}: {:?}",
            found[0].broken
        );
        let (_, reason, _) = found[1].broken.clone().expect("no deadlock found");
        assert_eq!(reason, "Thread-plain waits for lock `plain` held by itself");
    }
    // Shown, the plain lock's thread waits (for the watchdog's 150 ms) inside its hold of the
    // lock it waits for: the wait is drawn on top, though both begin at one instant.
    let row = conlab_scenarios::find("rlock").unwrap();
    let run = scheduled::run(row, &params("rlock", &[]), None).unwrap();
    let t = &run.trace;
    let plain = t
        .lanes
        .iter()
        .position(|l| l.name == "Thread-plain")
        .unwrap() as u32;
    let of = |state| {
        t.spans
            .iter()
            .find(|s| s.lane == plain && s.state == state)
            .unwrap_or_else(|| panic!("no {state:?} span"))
    };
    let (hold, wait) = (
        of(conlab_core::SpanState::HoldingLock),
        of(conlab_core::SpanState::WaitingLock),
    );
    assert_eq!((wait.start, wait.end), (hold.start, 150_000_000));
    assert!(wait.depth > hold.depth, "{wait:?} under {hold:?}");
}

#[test]
fn assign_without_the_lock_reads_a_foreign_value_in_some_interleaving() {
    let found = explore(
        &["op=assign", "threads=2", "hold_ms=0"],
        Method::Random,
        3_000,
    );
    let (_, reason, _) = found[0].broken.clone().expect("no foreign read found");
    assert!(reason.contains("not its own value"), "{reason}");
    assert!(found[1].broken.is_none(), "{:?}", found[1].broken);
}

#[test]
fn a_schedule_made_for_something_else_is_refused_whole() {
    let row = conlab_scenarios::find("race-condition").unwrap();
    let two = params(row.id, &["op=increment".into(), "threads=2".into()]);
    let three = params(row.id, &["op=increment".into(), "threads=3".into()]);
    let schedule = scheduled::run(row, &two, None).unwrap().schedule;
    let refused = scheduled::run(row, &three, Some(&schedule)).err().unwrap();
    assert!(
        refused.to_string().contains("other parameters"),
        "{refused}"
    );
    // The same parameters, the choices damaged: refused, never half-replayed.
    let (head, _) = schedule.rsplit_once('.').unwrap();
    for bad in [
        format!("{head}.z"),
        format!("{head}.0"),
        "s1.nonsense".to_string(),
    ] {
        let e = scheduled::run(row, &two, Some(&bad))
            .err()
            .map(|e| e.to_string());
        assert!(e.is_some(), "{bad} was replayed");
    }
}

#[test]
fn lines_keep_the_order_their_steps_happened_in_even_at_one_instant() {
    // With no time between them, every step shares one instant of virtual time: only the
    // order of recording tells a worker's last line from the join that waited for it.
    let join_timeout = conlab_scenarios::find("thread-join-timeout").unwrap();
    let event = conlab_scenarios::find("event").unwrap();
    for seed in 0..20u64 {
        let p = params(
            join_timeout.id,
            &["work_ms=0".into(), format!("timeout_ms={}", 1 + seed % 3)],
        );
        let run = scheduled::run(join_timeout, &p, None).unwrap();
        let lines = run.trace.output_texts();
        let at = |prefix: &str| lines.iter().position(|l| l.starts_with(prefix));
        assert!(
            at("Thread-1 worked") < at("join() returned; Thread-1 finished"),
            "{lines:?}"
        );
        let p = params(
            event.id,
            &["threads=3".into(), format!("rounds={}", 1 + seed % 3)],
        );
        let run = scheduled::run(event, &p, None).unwrap();
        let lines = run.trace.output_texts();
        for (i, line) in lines.iter().enumerate() {
            if let Some(round) = line
                .strip_prefix("round ")
                .and_then(|r| r.split(':').next())
            {
                if line.ends_with("released") {
                    let set = format!("round {round}: set()");
                    assert!(
                        lines[..i].contains(&set.as_str()),
                        "{line} before its set(): {lines:?}"
                    );
                }
            }
        }
    }
}

#[test]
fn a_learner_who_schedules_by_hand_can_lose_an_update_and_share_it() {
    let row = conlab_scenarios::find("race-condition").unwrap();
    let p = params(
        row.id,
        &["op=increment", "threads=2", "increments=1", "hold_ms=0"].map(String::from),
    );
    // Both threads read the counter before either writes it back.
    let mut plan = vec![
        ("Thread-1", "read"),
        ("Thread-2", "read"),
        ("Thread-1", "write"),
        ("Thread-2", "write"),
    ];
    plan.reverse();
    let mut choices = Vec::new();
    let mut steered = scheduled::steer(row, &p, &choices).unwrap();
    let mut decisions = 0;
    while !steered.options.is_empty() {
        decisions += 1;
        assert!(decisions < 500, "the run never ended");
        assert!(steered.trace.checks.is_empty(), "judged before its end");
        let at = |who: &str, verb: &str| {
            steered
                .options
                .iter()
                .position(|(t, step)| t == who && step.starts_with(verb))
        };
        let i = match plan.last() {
            Some(&(who, verb)) => match at(who, verb) {
                Some(i) => {
                    plan.pop();
                    i
                }
                // Not there yet: a step that touches no counter.
                None => steered
                    .options
                    .iter()
                    .position(|(_, s)| !s.starts_with("read") && !s.starts_with("write"))
                    .unwrap_or(0),
            },
            None => 0,
        };
        choices.push(i as u32);
        steered = scheduled::steer(row, &p, &choices).unwrap();
    }
    assert!(plan.is_empty(), "the plan was not followed: {plan:?} left");
    let lost = steered
        .trace
        .checks
        .iter()
        .find(|c| c.id == "update-lost")
        .unwrap();
    assert!(lost.detail.contains("counter 1 of 2"), "{}", lost.detail);
    // Its schedule replays the same run.
    let replayed = scheduled::run(row, &p, Some(&steered.schedule)).unwrap();
    assert_eq!(replayed.trace.to_json(), steered.trace.to_json());
    // A choice that fits no run is refused.
    assert!(scheduled::steer(row, &p, &[99]).is_err());
}

#[test]
fn a_release_that_wakes_a_waiting_thread_is_a_wake_link_in_the_trace() {
    let row = conlab_scenarios::find("lock").unwrap();
    let run = scheduled::run(row, &params(row.id, &["threads=3".to_string()]), None).unwrap();
    let t = &run.trace;
    let wakes: Vec<&conlab_core::Mark> = t.marks_named("wakes").collect();
    assert!(!wakes.is_empty(), "no wake links");
    for m in wakes {
        let mut parts = m.detail.splitn(3, ' ');
        let from: u32 = parts.next().unwrap().parse().unwrap();
        let to: u32 = parts.next().unwrap().parse().unwrap();
        let words = parts.next().unwrap();
        let (waker, woken) = (&t.lanes[from as usize].name, &t.lanes[to as usize].name);
        assert_eq!(m.lane, from);
        assert!(
            words.starts_with(&format!("{waker} "))
                && words.ends_with(&format!(", which woke {woken}")),
            "{words}"
        );
        // The woken thread was waiting until that moment.
        assert!(
            t.spans
                .iter()
                .any(|s| s.lane == to && s.state.is_waiting() && s.end == m.t),
            "{words}: {woken} did not wait until {}",
            m.t
        );
    }
}

#[test]
fn a_wake_is_told_right_after_the_release_even_when_the_waker_goes_on_first() {
    // The scheduler knows who was woken once the woken thread steps (of several threads a
    // release lets try for a lock, only the one that gets it was woken). A learner who lets
    // the releasing thread go on first still sees the wake right after the release, before
    // what the waker did next.
    use conlab_core::replay::StepKind;
    let row = conlab_scenarios::find("lock").unwrap();
    let p = params(row.id, &["threads=2".to_string(), "hold_ms=0".to_string()]);
    // Thread-1 takes the lock and is about to release it; the others then go as far as they
    // can (Thread-2 to wait for the lock); from then on Thread-1 goes first whenever it can.
    let mut choices = Vec::new();
    let mut others_done = false;
    let t = loop {
        let run = scheduled::steer(row, &p, &choices).unwrap();
        if run.options.is_empty() {
            break run.trace;
        }
        let first = run.options.iter().position(|(who, _)| who == "Thread-1");
        let other = run.options.iter().position(|(who, _)| who != "Thread-1");
        let releasing = run
            .options
            .iter()
            .any(|(who, step)| who == "Thread-1" && step.starts_with("release"));
        others_done |= releasing && other.is_none();
        let pick = match (releasing && !others_done, first) {
            (true, _) | (false, None) => other.unwrap_or(0),
            (false, Some(first)) => first,
        };
        choices.push(pick as u32);
    };
    let steps = conlab_core::replay::steps(&t);
    let at = |what: &dyn Fn(&StepKind) -> bool| {
        steps
            .iter()
            .position(|s| what(&s.kind))
            .expect("the step is in the run")
    };
    let wake =
        at(&|k| matches!(k, StepKind::Mark(i) if t.marks[*i].detail.contains("Thread-1 released")));
    let release = at(
        &|k| matches!(k, StepKind::End(i) if t.spans[*i].state == SpanState::HoldingLock && t.lanes[t.spans[*i].lane as usize].name == "Thread-1"),
    );
    let print = at(
        &|k| matches!(k, StepKind::Print(i) if t.lanes[t.output[*i].lane as usize].name == "Thread-1"),
    );
    let woken = at(
        &|k| matches!(k, StepKind::End(i) if t.spans[*i].state == SpanState::WaitingLock && t.lanes[t.spans[*i].lane as usize].name == "Thread-2"),
    );
    assert!(
        release < wake && wake < print && print < woken,
        "release {release}, wake {wake}, Thread-1's print {print}, Thread-2 goes on {woken}"
    );
}

#[test]
fn what_a_scheduled_run_records_is_placed_at_the_line_of_the_scenario_that_did_it() {
    // What the code view shows beside each thread in a step-through: the line of the
    // scenario's own file, not of the seam that carried it out. (Wake links are arrows
    // between lanes, drawn at no line.)
    for row in scheduled_rows() {
        let p = Params::defaults(row.info().params);
        let run = scheduled::run(row, &p, None).unwrap();
        let t = &run.trace;
        let source = row.scheduled.as_ref().unwrap().source;
        let at = |site: Option<u16>| site.and_then(|s| t.sites.get(s as usize));
        let elsewhere: Vec<String> = t
            .spans
            .iter()
            .map(|s| (format!("{:?} span", s.state), at(s.site)))
            .chain(
                t.output
                    .iter()
                    .map(|o| (format!("line {:?}", o.text), at(o.site))),
            )
            .chain(
                t.marks
                    .iter()
                    .filter(|m| m.name != "wakes")
                    .map(|m| (format!("mark {}", m.name), at(m.site))),
            )
            .filter(|(_, site)| site.is_none_or(|s| s.file != source))
            .map(|(what, site)| format!("{what} at {site:?}"))
            .collect();
        assert!(elsewhere.is_empty(), "{}: {elsewhere:#?}", row.id);
    }
}

#[test]
fn a_seeded_run_s_schedule_is_short_however_many_threads_and_replays_it() {
    let row = conlab_scenarios::find("race-condition").unwrap();
    let p = params(
        row.id,
        &["op=increment", "threads=64", "increments=5"].map(String::from),
    );
    let first = scheduled::run(row, &p, None).unwrap();
    assert!(first.schedule.ends_with(".*"), "{}", first.schedule);
    assert!(first.schedule.len() < 40, "{}", first.schedule);
    let again = scheduled::run(row, &p, Some(&first.schedule)).unwrap();
    assert_eq!(again.trace.to_json(), first.trace.to_json());
    assert_eq!(again.schedule, first.schedule);
    // Made for other parameters, it is refused.
    let other = params(
        row.id,
        &["op=increment", "threads=63", "increments=5"].map(String::from),
    );
    assert!(scheduled::run(row, &other, Some(&first.schedule)).is_err());
}

#[test]
fn a_learner_s_run_so_far_shares_as_a_whole_run_that_begins_with_their_choices() {
    let row = conlab_scenarios::find("race-condition").unwrap();
    let p = params(
        row.id,
        &["op=increment", "threads=3", "hold_ms=0"].map(String::from),
    );
    // The last thread that can step, three times.
    let mut choices = Vec::new();
    for _ in 0..3 {
        let so_far = scheduled::steer(row, &p, &choices).unwrap();
        choices.push(so_far.options.len() as u32 - 1);
    }
    let so_far = scheduled::steer(row, &p, &choices).unwrap();
    assert!(!so_far.options.is_empty(), "the run ended already");
    assert!(so_far.schedule.ends_with('*'), "{}", so_far.schedule);
    // Opened, the link runs to the end: the learner's choices first, then the seed's.
    let whole = scheduled::run(row, &p, Some(&so_far.schedule)).unwrap();
    assert!(whole.trace.status.is_judged(), "{:?}", whole.trace.status);
    assert_eq!(whole.schedule, so_far.schedule);
    let again = scheduled::run(row, &p, Some(&whole.schedule)).unwrap();
    assert_eq!(again.trace.to_json(), whole.trace.to_json());
    let steered_prefix = scheduled::steer(row, &p, &choices).unwrap().trace;
    for line in &steered_prefix.output {
        assert!(
            whole.trace.output.contains(line),
            "{line:?} is not in the whole run"
        );
    }
}

#[test]
fn a_condition_wait_is_recorded_where_it_began_even_when_it_takes_no_virtual_time() {
    let row = conlab_scenarios::find("condition-notify").unwrap();
    let p = params(row.id, &["threads=3", "notify_plan=1,2"].map(String::from));
    let run = scheduled::run(row, &p, None).unwrap();
    let t = &run.trace;
    let waits: Vec<_> = t
        .spans
        .iter()
        .filter(|s| s.state == conlab_core::SpanState::WaitingCondition)
        .collect();
    // Every thread that marked a wait has its wait drawn, begun before it was woken.
    assert_eq!(waits.len(), t.marks_named("wait").count(), "{waits:?}");
    let first_notify = t
        .marks_named("notify")
        .map(|m| (m.t, m.order))
        .min()
        .unwrap();
    for w in &waits {
        if w.start == first_notify.0 && w.end == w.start {
            assert!(w.order.0 < first_notify.1, "{w:?} begins after the notify");
        }
    }
}

#[test]
fn every_scenario_a_search_holds_for_no_time_has_something_to_search() {
    // A search holds for no time unless a hold is given, and the page sets the form's
    // hold_ms to 0 when the learner asks it to find a failing schedule: only worth it where
    // there is a property to break.
    for row in scheduled_rows() {
        if !row.info().params.iter().any(|p| p.name == "hold_ms") {
            continue;
        }
        let p = Params::defaults(row.info().params);
        let run = scheduled::run(row, &p, None).unwrap();
        let properties =
            (row.scheduled.as_ref().unwrap().properties)(&conlab_core::Checks::new(&run.trace, &p));
        assert!(!properties.is_empty(), "{}: nothing to search", row.id);
    }
}

#[test]
fn no_interleaving_lets_two_processes_into_a_section_under_their_shared_lock() {
    let row = conlab_scenarios::find("process-lock").unwrap();
    let p = params(
        row.id,
        &["processes=3".to_string(), "hold_ms=0".to_string()],
    );
    let all =
        scheduled::explore(row, &p, Method::Dfs(Some(2)), 7, 200_000, &mut |_, _| {}).unwrap();
    assert_eq!(all.len(), 1);
    assert!(
        all[0].exhaustive && all[0].broken.is_none() && all[0].tried > 10,
        "{} tried, exhaustive {}, {:?}",
        all[0].tried,
        all[0].exhaustive,
        all[0].broken
    );
}

#[test]
fn a_wake_comes_right_after_the_operation_that_woke_not_after_the_rest_of_its_step() {
    // A step runs the thread's code up to its next scheduling point: after a release, the
    // scenario's own marks, even the process's exit. The wake is told right after the release.
    use conlab_core::replay::StepKind;
    let cases = [
        ("lock", vec!["threads=2", "hold_ms=10"], "released `list`"),
        (
            "process-lock",
            vec!["processes=2", "hold_ms=50"],
            "released `the shared lock`",
        ),
    ];
    for (id, assignments, words) in cases {
        let row = conlab_scenarios::find(id).unwrap();
        let assignments: Vec<String> = assignments.iter().map(|a| a.to_string()).collect();
        let t = scheduled::run(row, &params(id, &assignments), None)
            .unwrap()
            .trace;
        let steps = conlab_core::replay::steps(&t);
        let mut seen = 0;
        for (i, step) in steps.iter().enumerate() {
            let StepKind::Mark(m) = step.kind else {
                continue;
            };
            let wake = &t.marks[m];
            if wake.name != "wakes" || !wake.detail.contains(words) {
                continue;
            }
            seen += 1;
            let before = &steps[i - 1];
            assert!(
                matches!(before.kind, StepKind::End(s) if t.spans[s].lane == wake.lane
                    && t.spans[s].state == SpanState::HoldingLock),
                "{id}: \"{}\" follows {before:?}, not the end of its waker's hold",
                wake.detail
            );
        }
        assert!(seen > 0, "{id}: no wake by a release");
    }
}

#[test]
fn a_lock_taken_after_a_wait_is_held_before_the_sleep_inside_it_begins() {
    use conlab_core::replay::StepKind;
    let row = conlab_scenarios::find("lock").unwrap();
    let p = params(row.id, &["threads=2".to_string(), "hold_ms=10".to_string()]);
    let t = scheduled::run(row, &p, None).unwrap().trace;
    let steps = conlab_core::replay::steps(&t);
    for lane in 1..t.lanes.len() as u32 {
        let begun = |state: SpanState| {
            steps.iter().position(|s| {
                matches!(s.kind, StepKind::Begin(i) if t.spans[i].lane == lane && t.spans[i].state == state)
            })
        };
        if let (Some(hold), Some(sleep)) =
            (begun(SpanState::HoldingLock), begun(SpanState::Sleeping))
        {
            assert!(
                hold < sleep,
                "lane {lane}: sleeps (step {sleep}) before it holds the lock (step {hold})"
            );
        }
    }
}

#[test]
fn a_search_that_keeps_only_some_marks_judges_every_run_as_a_full_run_does() {
    // A scenario may say which marks its properties read, and its search's runs then keep
    // only those: what the search concludes of a run must be what its full run shows.
    let seed = conlab_tests::drawn::seed();
    let mut rng = Rng::new(seed);
    for row in scheduled_rows() {
        if row.scheduled.as_ref().unwrap().searched.is_none() {
            continue;
        }
        let mut sets = vec![Vec::new(), vec!["op=increment".to_string()]];
        sets.extend((0..6).map(|_| draw(row.info(), &mut rng, Budget::CI)));
        for set in sets {
            let p = params(row.id, &set);
            // The default seed's run, and the failing runs a search finds.
            let mut schedules = vec![None];
            for found in explore_in(row.id, &set, Method::Random) {
                schedules.push(found.broken.map(|(schedule, ..)| schedule));
            }
            for schedule in schedules {
                let place = format!("seed {seed}: {} {set:?} {schedule:?}", row.id);
                let searched = scheduled::searched_properties(row, &p, schedule.as_deref())
                    .unwrap_or_else(|e| panic!("{place}: {e}"));
                let full = scheduled::run(row, &p, schedule.as_deref()).unwrap().trace;
                let shown: Vec<_> = match &full.status {
                    conlab_core::Status::Failed { reason } => searched
                        .iter()
                        .map(|(n, _)| (*n, Some(reason.clone())))
                        .collect(),
                    _ => (row.scheduled.as_ref().unwrap().properties)(&conlab_core::Checks::new(
                        &full, &p,
                    )),
                };
                assert_eq!(searched, shown, "{place}");
            }
        }
    }
}

/// A run that took no virtual time (starting processes, naming threads) is drawn step by step:
/// every output line at a step of its own, in the order it was printed, inside its lane's
/// life, and every span as wide as the steps it lasted.
#[test]
fn a_run_that_takes_no_time_is_laid_out_in_the_order_of_its_steps() {
    use conlab_core::replay::{on_step_axis, steps, STEP_WIDTH};
    let mut laid_out = Vec::new();
    for row in scheduled_rows() {
        let t = scheduled::run(row, &params(row.id, &[]), None)
            .unwrap()
            .trace;
        let Some(stepped) = on_step_axis(&t) else {
            assert!(t.end > 0, "{}: took no time, yet has no step axis", row.id);
            continue;
        };
        laid_out.push(row.id);
        assert_eq!(
            stepped.end,
            steps(&t).len() as u64 * STEP_WIDTH + STEP_WIDTH / 2
        );
        let mut last = 0;
        for line in &stepped.output {
            assert!(line.t > last, "{}: {:?} shares a step", row.id, line.text);
            last = line.t;
            let lane = &stepped.lanes[line.lane as usize];
            assert!(
                lane.start < line.t && lane.end.is_none_or(|e| e > line.t),
                "{}: {:?} printed outside its lane's life",
                row.id,
                line.text
            );
        }
        for s in &stepped.spans {
            assert!(s.end > s.start, "{}: a span without width", row.id);
        }
    }
    for id in ["process-start", "process-queue", "thread-names"] {
        assert!(laid_out.contains(&id), "{id} took time: {laid_out:?}");
    }
}
