//! The page's scheduler Worker, natively (its wasm build is driven by the page in headless
//! Chromium, `tests/browser`): it answers the page's JSON requests with a run's trace and its
//! schedule, a search's progress and findings followed by the failing run, and clear errors.

use conlab_core::Verdict;
use conlab_sched_worker::answer;
use conlab_wire::{SchedMessage, SchedRequest, SearchStrategy};

fn ask(request: &SchedRequest) -> Vec<SchedMessage> {
    let mut said = Vec::new();
    answer(&serde_json::to_string(request).unwrap(), &mut |m| {
        said.push(m)
    });
    said
}

fn pairs(assignments: &[&str]) -> Vec<(String, String)> {
    assignments
        .iter()
        .map(|a| {
            let (k, v) = a.split_once('=').unwrap();
            (k.to_string(), v.to_string())
        })
        .collect()
}

fn run(scenario: &str, params: &[&str], schedule: Option<String>) -> Vec<SchedMessage> {
    ask(&SchedRequest::Run {
        scenario: scenario.into(),
        params: pairs(params),
        schedule,
    })
}

fn only_ran(said: Vec<SchedMessage>) -> (conlab_core::Trace, String) {
    match <[SchedMessage; 1]>::try_from(said) {
        Ok([SchedMessage::Ran(trace, schedule)]) => {
            (conlab_core::Trace::from_json(&trace).unwrap(), schedule)
        }
        Ok([other]) => panic!("expected a run, got {other:?}"),
        Err(said) => panic!("expected one answer, got {said:?}"),
    }
}

#[test]
fn a_run_answers_its_judged_trace_and_a_schedule_that_replays_it() {
    let params = ["threads=3", "op=increment", "increments=3", "hold_ms=0"];
    let (trace, schedule) = only_ran(run("race-condition", &params, None));
    assert!(trace.passed(), "{:?}", trace.checks);
    assert_eq!(trace.scenario, "race-condition");
    assert_eq!(trace.params.get("threads").map(String::as_str), Some("3"));
    let (again, same) = only_ran(run("race-condition", &params, Some(schedule.clone())));
    assert_eq!(same, schedule);
    assert_eq!(again.to_json(), trace.to_json());
}

#[test]
fn a_search_reports_progress_then_findings_then_the_failing_run() {
    let said = ask(&SchedRequest::Find {
        scenario: "race-condition".into(),
        params: pairs(&["threads=2", "op=increment", "increments=2"]),
        strategy: SearchStrategy::Random,
        seed: 3,
        budget: 600,
    });
    let progress: Vec<u64> = said
        .iter()
        .filter_map(|m| match m {
            SchedMessage::Progress(_, tried) => Some(*tried),
            _ => None,
        })
        .collect();
    // The guarded property is searched through the whole budget, with progress on the way.
    assert!(progress.ends_with(&[256, 512, 600]), "{progress:?}");
    let findings = said
        .iter()
        .find_map(|m| match m {
            SchedMessage::Searched(lines, words, broke) => {
                assert!(*broke, "{words}");
                assert!(words.contains("without the lock: schedule"), "{words}");
                let findings: Vec<_> = lines.lines().map(conlab_wire::Finding::from_line).collect();
                // A line a property, and a note that the search held for no time.
                assert_eq!(words.lines().count(), findings.len() + 1, "{words}");
                assert!(words.contains("hold_ms=0"), "{words}");
                Some(findings)
            }
            _ => None,
        })
        .expect("no findings");
    let broken: Vec<_> = findings.iter().filter(|f| f.schedule.is_some()).collect();
    let [lost] = broken.as_slice() else {
        panic!("expected one broken property, got {findings:?}")
    };
    assert_eq!(lost.preemptions, 1, "not shrunk: {lost:?}");
    assert!(findings
        .iter()
        .any(|f| f.schedule.is_none() && f.tried == 600));
    // Last, the failing schedule, replayed with full recording.
    let Some(SchedMessage::Ran(trace, schedule)) = said.last() else {
        panic!("the search did not end with the failing run: {said:?}")
    };
    assert_eq!(Some(schedule), lost.schedule.as_ref());
    let trace = conlab_core::Trace::from_json(trace).unwrap();
    let update_lost = trace.checks.iter().find(|c| c.id == "update-lost").unwrap();
    assert_eq!(
        update_lost.verdict(),
        Verdict::Passed,
        "{}",
        update_lost.detail
    );
}

#[test]
fn bad_requests_get_an_error_in_words() {
    let error = |said: Vec<SchedMessage>| match <[SchedMessage; 1]>::try_from(said) {
        Ok([SchedMessage::Error(message)]) => message,
        other => panic!("expected an error, got {other:?}"),
    };
    let m = error(run("race-condition", &["threads=0"], None));
    assert!(m.contains("threads") && m.contains('0'), "{m}");
    let m = error(run("run-in-executor", &[], None));
    assert!(
        m.contains("run-in-executor") && m.contains("scheduler"),
        "{m}"
    );
    let m = error(run("gather-vs-wait", &[], Some("s1.00.1.0".into())));
    assert!(m.contains("no schedule"), "{m}");
    let m = error(run("race-condition", &["threads=2"], Some("s1.zz".into())));
    assert!(m.starts_with("The schedule does not fit this run: "), "{m}");
    assert!(m.contains("schedule"), "{m}");
    let mut said = Vec::new();
    answer("{\"dance\":{}}", &mut |m| said.push(m));
    let m = error(said);
    assert!(m.contains("cannot read"), "{m}");
}

#[test]
fn an_async_scenario_runs_on_the_virtual_time_executor_for_stepping_through() {
    let (trace, schedule) = only_ran(run("gather-vs-wait", &["sleeps_ms=30,10,20"], None));
    assert_eq!(schedule, "");
    assert_eq!(trace.runtime, conlab_core::RuntimeKind::Virtual);
    assert!(trace.passed(), "{:?}", trace.checks);
    let (again, _) = only_ran(run("gather-vs-wait", &["sleeps_ms=30,10,20"], None));
    assert_eq!(again.to_json(), trace.to_json());
}

#[test]
fn a_steered_run_stops_at_the_learners_next_choice() {
    let steer = |choices: Vec<u32>| {
        ask(&SchedRequest::Steer {
            scenario: "lock".into(),
            params: pairs(&["threads=3"]),
            choices,
        })
    };
    let Ok([SchedMessage::Steered(trace, _, options, waiting)]) =
        <[SchedMessage; 1]>::try_from(steer(Vec::new()))
    else {
        panic!("expected a steered run")
    };
    let trace = conlab_core::Trace::from_json(&trace).unwrap();
    assert!(trace.checks.is_empty(), "judged before its end");
    let options = conlab_wire::read_pairs(&options);
    assert!(options.len() >= 2, "{options:?}");
    assert!(
        options
            .iter()
            .all(|(who, step)| !who.is_empty() && (step == "start" || step.starts_with("spawn `"))),
        "{options:?}"
    );
    assert!(waiting.is_empty(), "{waiting:?}");
    // Always the first: the run ends, judged, with no one left to choose.
    let mut choices = Vec::new();
    loop {
        let said = steer(choices.clone());
        let Ok([SchedMessage::Steered(trace, schedule, options, _)]) =
            <[SchedMessage; 1]>::try_from(said)
        else {
            panic!("expected a steered run")
        };
        if options.is_empty() {
            let trace = conlab_core::Trace::from_json(&trace).unwrap();
            assert!(trace.passed(), "{:?}", trace.checks);
            assert!(schedule.starts_with("s1."), "{schedule}");
            break;
        }
        choices.push(0);
        assert!(choices.len() < 2000, "the run never ended");
    }
    let said = steer(vec![7; 3]);
    assert!(
        matches!(said.as_slice(), [SchedMessage::Error(m)] if m.contains("choices fit")),
        "{said:?}"
    );
}

#[test]
fn a_search_of_a_scenario_with_nothing_to_break_says_so_and_shows_a_run() {
    let said = ask(&SchedRequest::Find {
        scenario: "thread-start".into(),
        params: pairs(&["threads=3"]),
        strategy: SearchStrategy::Random,
        seed: 1,
        budget: 100,
    });
    let words = said
        .iter()
        .find_map(|m| match m {
            SchedMessage::Searched(_, words, follows) => {
                assert!(follows);
                Some(words.clone())
            }
            _ => None,
        })
        .expect("no findings");
    assert!(words.contains("nothing a schedule could break"), "{words}");
    let Some(SchedMessage::Ran(trace, _)) = said.last() else {
        panic!("no run to show after the search: {said:?}")
    };
    assert!(conlab_core::Trace::from_json(trace).unwrap().passed());
}
