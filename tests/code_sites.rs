//! Every event a scenario records points at the line of scenario code that recorded it: a
//! printed line at a `print`, a sleep at a `sleep`, a wait for a task at its `join`. The
//! playground highlights these lines as it steps through a run, so a wrong line teaches the
//! wrong thing.

use conlab_core::{CodeSite, SpanState, Trace};
use conlab_scenarios::RuntimeChoice::{Tokio, Virtual};
use conlab_tests::{generic_ids, run};
use std::collections::HashMap;
use std::path::Path;

/// The text of every file the trace's sites name, by file, read from the workspace.
fn sources(trace: &Trace) -> HashMap<String, Vec<String>> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let mut files = HashMap::new();
    for site in &trace.sites {
        files.entry(site.file.clone()).or_insert_with(|| {
            let text = std::fs::read_to_string(root.join(&site.file))
                .unwrap_or_else(|e| panic!("{}: site file {}: {e}", trace.scenario, site.file));
            text.lines().map(String::from).collect()
        });
    }
    files
}

fn line_at<'a>(files: &'a HashMap<String, Vec<String>>, site: &CodeSite) -> &'a str {
    files[&site.file]
        .get(site.line as usize - 1)
        .unwrap_or_else(|| panic!("{} has no line {}", site.file, site.line))
}

/// Asserts that every line printed, every sleep and every wait for a task points at a line of
/// scenario code that does that.
fn assert_sites_name_the_calls(trace: &Trace) {
    let id = &trace.scenario;
    let files = sources(trace);
    let site = |n: Option<u16>, what: &str| -> &CodeSite {
        let n = n.unwrap_or_else(|| panic!("{id}: {what} has no code site"));
        &trace.sites[n as usize]
    };
    for o in &trace.output {
        let s = site(o.site, &format!("the line {:?}", o.text));
        let code = line_at(&files, s);
        assert!(
            code.contains("print"),
            "{id}: {:?} points at {}:{}: {code:?}",
            o.text,
            s.file,
            s.line
        );
    }
    for span in &trace.spans {
        let word = match span.state {
            SpanState::Sleeping => "sleep",
            SpanState::WaitingJoin => "join",
            _ => continue,
        };
        let s = site(span.site, &format!("a {:?} span", span.state));
        let code = line_at(&files, s);
        assert!(
            code.contains(word) || code.contains("during"),
            "{id}: a {:?} span points at {}:{}: {code:?}",
            span.state,
            s.file,
            s.line
        );
    }
    for s in &trace.sites {
        assert!(
            s.file.starts_with("crates/") && !s.file.contains('\\'),
            "{id}: site file {} is not relative to the workspace",
            s.file
        );
    }
}

#[test]
fn every_event_points_at_the_line_that_recorded_it_on_virtual_time() {
    for id in generic_ids() {
        let trace = run(id, Virtual, &["time-scale=0.05"]);
        assert!(!trace.sites.is_empty(), "{id}: no code sites recorded");
        assert_sites_name_the_calls(&trace);
        let source = conlab_scenarios::registry::find(id)
            .and_then(|s| s.generic)
            .map(|g| g.source)
            .unwrap_or_else(|| panic!("{id} has no source"));
        assert!(
            trace.sites.iter().any(|s| s.file == source),
            "{id}: none of its events points into its own file {source}: {:?}",
            trace.sites
        );
    }
}

#[test]
fn native_runs_point_at_the_same_lines() {
    for id in ["asyncio-two-tasks", "gather-vs-wait", "create-task"] {
        let on_tokio = run(id, Tokio, &["time-scale=0.05"]);
        assert_sites_name_the_calls(&on_tokio);
        let on_virtual = run(id, Virtual, &["time-scale=0.05"]);
        let printed_at = |t: &Trace| -> Vec<(String, u32)> {
            let mut v: Vec<(String, u32)> = t
                .output
                .iter()
                .filter_map(|o| o.site)
                .map(|n| (t.sites[n as usize].file.clone(), t.sites[n as usize].line))
                .collect();
            v.sort();
            v
        };
        assert_eq!(printed_at(&on_tokio), printed_at(&on_virtual), "{id}");
    }
}

#[test]
fn sites_survive_the_json_round_trip_and_bad_ones_are_refused() {
    let trace = run("asyncio-two-tasks", Virtual, &[]);
    let back = Trace::from_json(&trace.to_json()).expect("reads back");
    assert_eq!(back.sites, trace.sites);
    assert_eq!(back.output, trace.output);
    let mut broken = trace.clone();
    broken.output[0].site = Some(broken.sites.len() as u16);
    let err = Trace::from_json(&broken.to_json()).expect_err("a site past the list");
    assert!(err.to_string().contains("output[0]"), "{err}");
}

#[test]
fn native_runs_of_thread_scenarios_on_the_seam_point_into_their_own_files() {
    let seam = conlab_scenarios::registry::all()
        .iter()
        .filter_map(|s| s.scheduled.map(|code| (s.id, code.source)));
    for (id, source) in seam {
        let trace = run(id, Tokio, &["time-scale=0.05"]);
        assert!(!trace.sites.is_empty(), "{id}: no code sites recorded");
        let elsewhere: Vec<_> = trace.sites.iter().filter(|s| s.file != source).collect();
        assert!(
            elsewhere.is_empty(),
            "{id}: events placed outside {source}: {elsewhere:?}"
        );
        let files = sources(&trace);
        for o in &trace.output {
            let s = &trace.sites[o.site.expect("a printed line has a site") as usize];
            let code = line_at(&files, s);
            // A child process's events reach the parent without lines of their own: natively
            // they are placed at the line that started the child.
            let child = trace.lanes[o.lane as usize].kind == conlab_core::LaneKind::Process;
            let expected = if child { ".start(" } else { "print" };
            assert!(code.contains(expected), "{id}: {:?} at {code:?}", o.text);
        }
    }
}
