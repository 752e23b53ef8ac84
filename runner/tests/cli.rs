//! The `conlab` binary as a user runs it: commands, formats, files, exit codes and error
//! messages. Text output of virtual runs is deterministic and compared with snapshots under
//! `tests/snapshots/` (regenerate with `UPDATE_SNAPSHOTS=1 cargo test -p conlab --test cli`).

use std::path::Path;
use std::process::{Command, Output};

#[track_caller]
fn conlab(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_conlab"))
        .args(args)
        .output()
        .expect("the conlab binary runs")
}

/// A suite of runs of `ids` that `run-native` saves into `dir/suite` (its report into
/// `dir/first-report`, out of the way); the suite's folder.
fn suite_of(dir: &std::path::Path, ids: &[&str]) -> std::path::PathBuf {
    let suite = dir.join("suite");
    let mut args = vec!["run-native", "--no-serve"];
    for id in ids {
        args.extend(["--only", id]);
    }
    let (out, report) = (suite.to_string_lossy(), dir.join("first-report"));
    let report = report.to_string_lossy();
    args.extend(["--out", &out, "--report", &report]);
    expect_exit(&conlab(&args), 0);
    suite
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

#[track_caller]
fn expect_exit(o: &Output, code: i32) {
    assert_eq!(
        o.status.code(),
        Some(code),
        "stdout:\n{}\nstderr:\n{}",
        stdout(o),
        stderr(o)
    );
}

#[track_caller]
fn snapshot(name: &str, actual: &str) {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/snapshots")
        .join(name);
    if std::env::var_os("UPDATE_SNAPSHOTS").is_some() {
        std::fs::write(&path, actual).unwrap();
        return;
    }
    // A missing snapshot fails: written silently, it would pass whatever the output was.
    let expected = std::fs::read_to_string(&path).unwrap_or_else(|e| {
        panic!(
            "snapshot {name} cannot be read ({e}); write it with UPDATE_SNAPSHOTS=1 and review it"
        )
    });
    assert_eq!(
        actual, expected,
        "snapshot {name} differs; rerun with UPDATE_SNAPSHOTS=1 if intended"
    );
}

#[test]
fn list_shows_every_scenario_in_text_and_json() {
    let o = conlab(&["list"]);
    expect_exit(&o, 0);
    let text = stdout(&o);
    for s in conlab_core::catalog::CATALOG {
        assert!(text.contains(s.id), "{} missing from list", s.id);
    }
    let o = conlab(&["list", "--format", "json"]);
    expect_exit(&o, 0);
    let v: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    let list = v.as_array().unwrap();
    assert_eq!(list.len(), conlab_core::catalog::CATALOG.len());
    let two = list
        .iter()
        .find(|s| s["id"] == "asyncio-two-tasks")
        .unwrap();
    assert_eq!(two["params"][0]["name"], "sleep_ms");
    assert_eq!(two["available_natively"], true);
}

#[test]
fn list_describes_one_scenario() {
    let o = conlab(&["list", "semaphore"]);
    expect_exit(&o, 0);
    let text = stdout(&o);
    assert!(
        text.contains("-p permits=3") && text.contains("1–256 permits"),
        "{text}"
    );
}

#[test]
fn run_help_lists_every_scenarios_parameters() {
    let o = conlab(&["run", "--help"]);
    expect_exit(&o, 0);
    let text = stdout(&o);
    assert!(text.contains("wait-timeout [B N V]"), "{text}");
    assert!(text.contains("return_when=all"), "{text}");
    assert!(text.contains("permits=3"), "{text}");
}

#[test]
fn virtual_text_output_is_stable() {
    let o = conlab(&["run", "asyncio-two-tasks", "--runtime", "virtual"]);
    expect_exit(&o, 0);
    snapshot("asyncio-two-tasks.virtual.txt", &stdout(&o));
    let o = conlab(&[
        "run",
        "wait-timeout",
        "--runtime",
        "virtual",
        "-p",
        "timeout_ms=150",
    ]);
    expect_exit(&o, 0);
    snapshot("wait-timeout.virtual.txt", &stdout(&o));
}

#[test]
fn a_thread_scenario_run_natively_is_not_said_to_run_on_tokio() {
    let o = conlab(&["run", "thread-start", "-p", "threads=3"]);
    expect_exit(&o, 0);
    let text = stdout(&o);
    assert!(text.contains("runtime native ·"), "{text}");
    assert!(!text.contains("tokio"), "{text}");
}

#[test]
fn native_run_prints_output_timeline_metrics_and_checks() {
    let o = conlab(&["run", "asyncio-two-tasks", "-p", "sleep_ms=50"]);
    expect_exit(&o, 0);
    let text = stdout(&o);
    for part in [
        "runtime native (tokio)",
        "Output",
        "Timeline",
        "task-1",
        "Metrics",
        "makespan",
        "Checks",
        "PASSED",
    ] {
        assert!(text.contains(part), "missing {part}:\n{text}");
    }
    assert!(
        text.lines()
            .all(|l| l.chars().count() <= 100 || !l.contains('|')),
        "timeline wider than 100 columns"
    );
}

#[test]
fn json_out_file_holds_the_trace() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("run.json");
    let o = conlab(&[
        "run",
        "gather-vs-wait",
        "-p",
        "sleeps_ms=500,100,300",
        "--format",
        "json",
        "--out",
        file.to_str().unwrap(),
    ]);
    expect_exit(&o, 0);
    let trace = conlab_core::Trace::from_json(&std::fs::read_to_string(&file).unwrap()).unwrap();
    assert!(trace.passed());
    assert_eq!(trace.params["sleeps_ms"], "500,100,300");
    let o = conlab(&["show", file.to_str().unwrap()]);
    expect_exit(&o, 0);
    assert!(stdout(&o).contains("gather[0] = task 0 (500 ms)"));
}

#[test]
fn show_checks_a_trace_again_and_says_when_its_verdict_was_tampered_with() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("run.json");
    let path = file.to_str().unwrap();
    let o = conlab(&[
        "run",
        "thread-pool",
        "-p",
        "workers=2",
        "-p",
        "tasks=6",
        "-p",
        "task_ms=40",
        "--format",
        "json",
        "--out",
        path,
    ]);
    expect_exit(&o, 0);
    // A genuine trace: computed and recorded verdicts agree.
    let o = conlab(&["show", path]);
    expect_exit(&o, 0);
    assert!(!stdout(&o).contains("differ"), "{}", stdout(&o));

    // The file now claims one worker ran them: the checks computed now fail, although the
    // file still says they passed.
    let mut trace =
        conlab_core::Trace::from_json(&std::fs::read_to_string(&file).unwrap()).unwrap();
    trace.params.insert("workers".into(), "1".into());
    assert!(trace.passed(), "the file still records a pass");
    std::fs::write(&file, trace.to_json()).unwrap();
    let o = conlab(&["show", path]);
    expect_exit(&o, 1);
    let text = stdout(&o);
    assert!(text.contains("differ from the verdict recorded"), "{text}");
    assert!(
        text.contains("the file says passed, computed: failed"),
        "{text}"
    );
}

#[test]
fn chrome_format_is_trace_event_json() {
    let o = conlab(&[
        "run",
        "create-task",
        "--runtime",
        "virtual",
        "--format",
        "chrome",
    ]);
    expect_exit(&o, 0);
    let v: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    assert!(v["traceEvents"]
        .as_array()
        .unwrap()
        .iter()
        .any(|e| e["ph"] == "X"));
}

#[test]
fn bad_input_exits_2_and_names_the_problem() {
    let cases: &[(&[&str], &[&str])] = &[
        (
            &["run", "create-task", "-p", "tasks=0"],
            &["tasks", "0", "1–100,000"],
        ),
        (
            &["run", "create-task", "-p", "tasks=many"],
            &["tasks", "many", "whole number"],
        ),
        (
            &["run", "create-task", "-p", "nope=1"],
            &["nope", "tasks, sleep_ms, time-scale"],
        ),
        (&["run", "create-task", "-p", "tasks"], &["name=value"]),
        (
            &["run", "create-task", "-p", "time-scale=0"],
            &["time-scale", "0.01 to 100"],
        ),
        (
            &["run", "semaphor"],
            &["semaphor", "did you mean semaphore"],
        ),
        (
            &["run", "create-task", "--timeout", "0"],
            &["--timeout", "0.1 to 3600"],
        ),
        (
            &["run", "run-in-executor", "--runtime", "virtual"],
            &["does not run on the virtual runtime"],
        ),
        (
            &["run-native", "--only", "nonsense"],
            &["nonsense", "neither a scenario id nor a chapter"],
        ),
        (
            &["run", "gather-vs-wait", "-p", "sleeps_ms=2,0,99999"],
            &["sleeps_ms", "item 3", "99999", "out of range"],
        ),
        (
            &["run", "create-task", "-p", "tasks=99999999999999999999999"],
            &["tasks", "out of range", "1–100,000"],
        ),
        (
            &["run", "create-task", "--out", "/nonexistent-folder/run.txt"],
            &["--out", "/nonexistent-folder", "does not exist"],
        ),
        (
            &["run", "load-test", "-p", "url=ftp://example.org/"],
            &["url", "ftp://example.org/", "does not start with http://"],
        ),
        (
            &["run", "process-start", "--timeout", "abc"],
            &["--timeout", "abc", "not a number of seconds", "0.1 to 3600"],
        ),
        (
            &["show", "/dev/zero"],
            &["/dev/zero", "does not start like a JSON trace"],
        ),
    ];
    for (args, words) in cases {
        let o = conlab(args);
        expect_exit(&o, 2);
        let err = stderr(&o);
        for w in *words {
            assert!(err.contains(w), "{args:?}: `{w}` not in {err}");
        }
    }
    // A stream that looks like JSON and never ends is read up to the size limit, no further.
    let o = Command::new("sh")
        .arg("-c")
        .arg(format!(
            "yes '{{' | {} show /dev/stdin",
            env!("CARGO_BIN_EXE_conlab")
        ))
        .output()
        .unwrap();
    expect_exit(&o, 2);
    assert!(
        stderr(&o).contains("larger than a trace may be"),
        "{}",
        stderr(&o)
    );
}

#[test]
fn a_trace_of_another_version_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("old.json");
    std::fs::write(&file, r#"{"schema":"conlab.trace/0"}"#).unwrap();
    let o = conlab(&["show", file.to_str().unwrap()]);
    expect_exit(&o, 2);
    assert!(stderr(&o).contains("conlab.trace/0"), "{}", stderr(&o));
}

#[test]
fn a_run_past_its_time_limit_exits_1_with_a_partial_trace() {
    // A million tasks on virtual time take seconds of wall time: past a 0.2 s limit.
    let o = conlab(&[
        "run",
        "event-loop-choice",
        "--runtime",
        "virtual",
        "-p",
        "tasks=1000000",
        "--timeout",
        "0.2",
    ]);
    expect_exit(&o, 1);
    let text = stdout(&o);
    assert!(
        text.contains("TIMED OUT after 200 ms") && text.contains("task-1 "),
        "{text}"
    );
}

#[test]
fn a_run_longer_than_its_limit_is_refused_up_front_with_its_estimate() {
    let started = std::time::Instant::now();
    let o = conlab(&[
        "run",
        "await-sequential",
        "-p",
        "sleep_ms=60000",
        "--timeout",
        "30",
    ]);
    expect_exit(&o, 2);
    let err = stderr(&o);
    assert!(
        err.contains("takes about 2 min") && err.contains("time limit of 30 s"),
        "{err}"
    );
    assert!(
        started.elapsed() < std::time::Duration::from_secs(5),
        "it ran"
    );
    // Without --timeout a long run gets a limit long enough; one past the longest is refused.
    let o = conlab(&[
        "run",
        "thread-pool",
        "-p",
        "workers=1",
        "-p",
        "tasks=10000",
        "-p",
        "task_ms=60000",
    ]);
    expect_exit(&o, 2);
    let err = stderr(&o);
    assert!(
        err.contains("takes about 6 d 22 h") && err.contains("longest run conlab allows (1 h)"),
        "{err}"
    );
}

#[test]
fn a_url_that_is_not_this_machine_is_refused_unless_allowed() {
    // 192.0.2.1 is TEST-NET-1: refused before any packet is sent.
    let o = conlab(&["run", "load-test", "-p", "url=http://192.0.2.1:8080/upload"]);
    expect_exit(&o, 2);
    let err = stderr(&o);
    assert!(
        err.contains("url=http://192.0.2.1:8080/upload")
            && err.contains("not this machine")
            && err.contains("--allow-remote"),
        "{err}"
    );
    let o = conlab(&["run", "--help"]);
    assert!(stdout(&o).contains("--allow-remote"), "{}", stdout(&o));
}

#[test]
fn output_into_a_closed_pipe_ends_quietly() {
    use std::io::Read;
    // Megabytes of JSON: far more than a pipe buffers, so conlab is still writing when the
    // reader goes away.
    let mut child = Command::new(env!("CARGO_BIN_EXE_conlab"))
        .args([
            "run",
            "event-loop-choice",
            "--runtime",
            "virtual",
            "-p",
            "tasks=20000",
            "--format",
            "json",
        ])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    // Read one byte, then stop reading, as `| head -c 1` does.
    let mut stdout = child.stdout.take().unwrap();
    let mut first = [0u8; 1];
    stdout.read_exact(&mut first).unwrap();
    drop(stdout);
    let mut err = String::new();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut err)
        .unwrap();
    let status = child.wait().unwrap();
    assert!(!err.contains("panicked"), "{err}");
    assert_ne!(status.code(), Some(101), "{err}");
}

#[test]
fn control_characters_in_a_trace_file_never_reach_the_terminal() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("run.json");
    let path = file.to_str().unwrap();
    let o = conlab(&[
        "run",
        "create-task",
        "--runtime",
        "virtual",
        "--format",
        "json",
        "--out",
        path,
    ]);
    expect_exit(&o, 0);
    let mut trace =
        conlab_core::Trace::from_json(&std::fs::read_to_string(&file).unwrap()).unwrap();
    trace.lanes[0].name = "main\x1b[2J".into();
    trace.output[0].text = "hello\x07\x1b]0;pwned\x07".into();
    std::fs::write(&file, trace.to_json()).unwrap();
    let o = conlab(&["show", path]);
    let text = stdout(&o);
    assert!(!text.contains('\x1b') && !text.contains('\x07'), "{text:?}");
    assert!(text.contains("main\\u{1b}[2J"), "{text}");

    // Errors echo what was given: escaped too, and so is text that reorders a line.
    for args in [
        vec!["run", "\x1b[2Jzz"],
        vec!["run", "semaphore", "-p", "threads=\x1b[2J"],
        vec!["run", "semaphore", "-p", "\u{202e}threads=1"],
    ] {
        let o = conlab(&args);
        expect_exit(&o, 2);
        let err = stderr(&o);
        assert!(
            !err.contains('\x1b') && !err.contains('\u{202e}'),
            "{err:?}"
        );
        assert!(err.contains("\\u{"), "{err:?}");
    }
}

#[test]
fn run_native_runs_saves_and_summarizes() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("runs");
    let o = conlab(&[
        "run-native",
        "--only",
        "coroutines",
        "--only",
        "asyncio-two-tasks",
        "--skip",
        "coroutine-cpu",
        "--out",
        out.to_str().unwrap(),
        "--report",
        dir.path().join("report").to_str().unwrap(),
    ]);
    expect_exit(&o, 0);
    let text = stdout(&o);
    // The report lists every run; without a terminal it is written, not served.
    let report = std::fs::read_to_string(dir.path().join("report/index.html")).unwrap();
    for id in ["asyncio-two-tasks", "coroutine-switch", "io-switch"] {
        assert!(
            report.contains(&format!("<b>{id}</b>")),
            "{id} is not in the report"
        );
    }
    assert!(text.contains("not serving it"), "{text}");
    assert!(
        text.contains("SCENARIO") && text.contains("MAKESPAN") && text.contains("io-switch"),
        "{text}"
    );
    assert!(!text.contains("coroutine-cpu"), "{text}");
    let mut saved: Vec<String> = std::fs::read_dir(&out)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    saved.sort();
    assert_eq!(
        saved,
        [
            "asyncio-two-tasks.json",
            "coroutine-switch.json",
            "generator-delegation.json",
            "index.json",
            "io-switch.json"
        ]
    );
    for f in saved.iter().filter(|f| *f != "index.json") {
        let t =
            conlab_core::Trace::from_json(&std::fs::read_to_string(out.join(f)).unwrap()).unwrap();
        assert!(t.passed(), "{f}");
    }
}

#[test]
fn serve_refuses_unsafe_settings_and_report_refuses_what_is_not_a_suite() {
    let o = conlab(&["serve", "--bind", "0.0.0.0:0"]);
    expect_exit(&o, 2);
    let err = stderr(&o);
    assert!(err.contains("--token") && err.contains("0.0.0.0"), "{err}");
    let o = conlab(&["serve", "--bind", "127.0.0.1:0", "--token", "short"]);
    expect_exit(&o, 2);
    assert!(stderr(&o).contains("16"), "{}", stderr(&o));
    let o = conlab(&["serve", "--max-running", "0"]);
    expect_exit(&o, 2);
    assert!(stderr(&o).contains("max-running"), "{}", stderr(&o));
    let dir = tempfile::tempdir().unwrap();
    let (suite, site) = (dir.path().join("suite"), dir.path().join("site"));
    std::fs::create_dir_all(&suite).unwrap();
    let report = |suite: &std::path::Path, out: &std::path::Path| {
        conlab(&[
            "report",
            suite.to_str().unwrap(),
            "--out",
            out.to_str().unwrap(),
        ])
    };
    let o = report(&suite, &site);
    expect_exit(&o, 2);
    let err = stderr(&o);
    assert!(
        err.contains("not a suite of runs") && err.contains("run-native"),
        "{err}"
    );
    // An index naming files outside the suite: refused whole, by the report and the server.
    let outside = dir.path().join("outside.json");
    std::fs::write(&outside, "{}").unwrap();
    for name in [
        "../outside.json",
        "/etc/passwd",
        ".hidden.json",
        "sub/x.json",
    ] {
        let index = format!(
            r#"[{{"scenario":"lock","file":"{name}","status":"ok","passed":true,"makespan_ms":1}}]"#
        );
        std::fs::write(suite.join("index.json"), index).unwrap();
        let o = report(&suite, &site);
        expect_exit(&o, 2);
        assert!(
            stderr(&o).contains(&format!("names `{name}` as a run's file")),
            "{name}: {}",
            stderr(&o)
        );
        assert!(!site.exists(), "{name}: a report was written");
    }
    // In a folder of its own: `--open` writes its report under ./target/conlab.
    let o = Command::new(env!("CARGO_BIN_EXE_conlab"))
        .args(["serve", "--bind", "127.0.0.1:0", "--store"])
        .arg(dir.path().join("served"))
        .arg("--open")
        .arg(&suite)
        .current_dir(dir.path())
        .output()
        .unwrap();
    expect_exit(&o, 2);
    assert!(stderr(&o).contains("as a run's file"), "{}", stderr(&o));
    std::fs::remove_file(suite.join("index.json")).unwrap();
    // Never into the suite, nor into a folder of other files.
    let o = report(&suite, &suite.join("site"));
    expect_exit(&o, 2);
    assert!(
        stderr(&o).contains("into or around the suite"),
        "{}",
        stderr(&o)
    );
    let busy = dir.path().join("busy");
    std::fs::create_dir_all(&busy).unwrap();
    std::fs::write(busy.join("notes.txt"), "mine").unwrap();
    let o = report(&suite, &busy);
    expect_exit(&o, 2);
    assert!(stderr(&o).contains("holds other files"), "{}", stderr(&o));
    assert_eq!(
        std::fs::read_to_string(busy.join("notes.txt")).unwrap(),
        "mine"
    );
    // Nor by a way round that does not exist yet.
    let o = report(&suite, &suite.join("not-yet/../x/.."));
    expect_exit(&o, 2);
    assert!(
        stderr(&o).contains("into or around the suite"),
        "{}",
        stderr(&o)
    );
    assert!(!suite.join("index.html").exists() && !suite.join("x").exists());
    // run-native refuses its --report folder before it runs anything, naming that option.
    let started = std::time::Instant::now();
    let o = conlab(&[
        "run-native",
        "--no-serve",
        "--out",
        dir.path().join("suite-2").to_str().unwrap(),
        "--report",
        busy.to_str().unwrap(),
    ]);
    expect_exit(&o, 2);
    assert!(
        stderr(&o).contains("--report") && stderr(&o).contains("holds other files"),
        "{}",
        stderr(&o)
    );
    assert!(
        started.elapsed() < std::time::Duration::from_secs(20),
        "it ran the suite first"
    );
    assert!(!dir.path().join("suite-2").exists(), "nothing is left");
}

#[test]
fn a_forged_verdict_is_checked_again_by_the_report_and_by_show() {
    // A suite of one run whose trace was edited: the tasks made to run one after the other
    // (the makespan doubled, as their spans say), and every check and the index set to passed.
    let dir = tempfile::tempdir().unwrap();
    let suite = suite_of(dir.path(), &["create-task"]);
    let file = suite.join("create-task.json");
    let mut trace =
        conlab_core::Trace::from_json(&std::fs::read_to_string(&file).unwrap()).unwrap();
    let sleep = trace.params["sleep_ms"].parse::<u64>().unwrap() * 1_000_000;
    for (i, s) in trace
        .spans
        .iter_mut()
        .filter(|s| s.state == conlab_core::SpanState::Sleeping)
        .enumerate()
    {
        s.start += i as u64 * sleep;
        s.end += i as u64 * sleep;
    }
    trace.end += sleep;
    for l in &mut trace.lanes {
        l.end = l.end.map(|e| e + sleep);
    }
    for line in &mut trace.output {
        line.t += sleep;
    }
    trace.metrics = conlab_core::compute_metrics(&trace.spans, trace.end, trace.cores);
    for c in &mut trace.checks {
        c.passed = true;
        c.verdict = Some(conlab_core::Verdict::Passed);
    }
    std::fs::write(&file, trace.to_json()).unwrap();

    let o = conlab(&["show", file.to_str().unwrap()]);
    let shown = format!("{}{}", stdout(&o), stderr(&o));
    expect_exit(&o, 1);
    assert!(
        shown.contains("makespan-one-sleep: the file says passed, computed: failed"),
        "{shown}"
    );

    let site = dir.path().join("site");
    let o = conlab(&[
        "report",
        suite.to_str().unwrap(),
        "--out",
        site.to_str().unwrap(),
    ]);
    expect_exit(&o, 0);
    let page = std::fs::read_to_string(site.join("index.html")).unwrap();
    assert!(
        page.contains("id=\"differs-a\""),
        "the report says nothing of it"
    );
    assert!(
        page.contains("makespan-one-sleep: the file says passed, computed: failed"),
        "the difference is not named"
    );
    assert!(
        page.contains("index.json says passed, the re-check: not passed"),
        "the index's verdict is believed"
    );
    assert!(
        page.contains("checks failed") && !page.contains(">passed<"),
        "the run shows as passed"
    );
}

#[test]
fn a_trace_conlab_could_not_read_back_is_refused_up_front_naming_the_estimate_and_limit() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("huge.json");
    for format in ["json", "chrome"] {
        let o = conlab(&[
            "run",
            "event-loop-choice",
            "--runtime",
            "virtual",
            "-p",
            "tasks=1000000",
            "--format",
            format,
            "--out",
            out.to_str().unwrap(),
        ]);
        expect_exit(&o, 2);
        let said = stderr(&o);
        assert!(
            said.contains("would record about 2,500,016 events")
                && said.contains("256 MB")
                && said.contains("--format text"),
            "{said}"
        );
        assert!(!out.exists(), "nothing is written");
    }
    // A producer that takes no time makes items as fast as it can: refused where that could
    // be too many, run where it cannot.
    let o = conlab(&[
        "run",
        "producer-consumer",
        "-p",
        "produce_ms=0",
        "-p",
        "consume_ms=0",
        "-p",
        "duration_ms=5000",
        "--format",
        "json",
    ]);
    expect_exit(&o, 2);
    assert!(stderr(&o).contains("producer-consumer would record about"));
}

/// A tiny disk (a tmpfs of `kib` KiB, mounted for the test and unmounted when dropped): where
/// writes run out of room.
struct TinyDisk(tempfile::TempDir);

impl TinyDisk {
    fn mount(kib: u32) -> TinyDisk {
        let dir = tempfile::tempdir().unwrap();
        let ok = Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={kib}k"), "tmpfs"])
            .arg(dir.path())
            .status()
            .is_ok_and(|s| s.success());
        assert!(
            ok,
            "mounting a tmpfs needs root, as this project's machines run"
        );
        TinyDisk(dir)
    }

    fn path(&self) -> &Path {
        self.0.path()
    }
}

impl Drop for TinyDisk {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg(self.0.path()).status();
    }
}

#[test]
fn output_that_cannot_be_written_leaves_the_old_file_whole_and_exits_4() {
    let disk = TinyDisk::mount(64);
    let keep = disk.path().join("keep.json");
    std::fs::write(&keep, "{\"mine\": true}").unwrap();
    // The rest of the disk filled: no output fits, however small.
    {
        use std::io::Write;
        let mut filler = std::fs::File::create(disk.path().join("filler")).unwrap();
        while filler.write_all(&[0; 4096]).is_ok() {}
    }
    for format in ["json", "chrome", "text"] {
        let o = conlab(&[
            "run",
            "event-loop-choice",
            "--runtime",
            "virtual",
            "-p",
            "tasks=2000",
            "--format",
            format,
            "--out",
            keep.to_str().unwrap(),
        ]);
        expect_exit(&o, 4);
        assert!(
            stderr(&o).contains("could not be written") && stderr(&o).contains("left as it was"),
            "{}",
            stderr(&o)
        );
        assert_eq!(std::fs::read_to_string(&keep).unwrap(), "{\"mine\": true}");
        let files: Vec<_> = std::fs::read_dir(disk.path())
            .unwrap()
            .flatten()
            .map(|e| e.file_name())
            .collect();
        assert_eq!(
            files.len(),
            2,
            "nothing but the old file (and the filler) is left: {files:?}"
        );
    }
    // Standard output that cannot be written: said, exit 4, no panic.
    let full = std::fs::OpenOptions::new()
        .write(true)
        .open("/dev/full")
        .unwrap();
    for args in [
        &["list"][..],
        &["run", "asyncio-two-tasks", "--runtime", "virtual"],
    ] {
        let o = Command::new(env!("CARGO_BIN_EXE_conlab"))
            .args(args)
            .stdout(full.try_clone().unwrap())
            .output()
            .unwrap();
        expect_exit(&o, 4);
        assert!(!stderr(&o).contains("panicked"), "{}", stderr(&o));
    }
}

#[test]
fn serve_open_takes_its_port_before_it_writes_the_report() {
    let dir = tempfile::tempdir().unwrap();
    let suite = suite_of(dir.path(), &["asyncio-two-tasks"]);
    // Another server's report, where `serve --open` writes its own.
    let report = dir.path().join("target/conlab/report");
    std::fs::create_dir_all(&report).unwrap();
    std::fs::write(report.join("index.html"), "theirs").unwrap();
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = taken.local_addr().unwrap().to_string();
    let o = Command::new(env!("CARGO_BIN_EXE_conlab"))
        .args(["serve", "--bind", &addr, "--open"])
        .arg(&suite)
        .current_dir(dir.path())
        .output()
        .unwrap();
    expect_exit(&o, 2);
    assert_eq!(
        std::fs::read_to_string(report.join("index.html")).unwrap(),
        "theirs",
        "the report another server serves was overwritten"
    );
}

#[test]
fn run_native_holds_its_timeout_for_every_scenario() {
    let dir = tempfile::tempdir().unwrap();
    let (suite, site) = (dir.path().join("suite"), dir.path().join("site"));
    let o = conlab(&[
        "run-native",
        "--only",
        "process-lock",
        "--only",
        "thread-names",
        "--timeout",
        "0.1",
        "--no-serve",
        "--out",
        suite.to_str().unwrap(),
        "--report",
        site.to_str().unwrap(),
    ]);
    expect_exit(&o, 1);
    // process-lock takes about half a second: refused, as `conlab run` refuses it.
    let lock = conlab_core::Trace::from_json(
        &std::fs::read_to_string(suite.join("process-lock.json")).unwrap(),
    )
    .unwrap();
    match &lock.status {
        conlab_core::Status::Refused { reason } => {
            assert!(reason.contains("raise --timeout"), "{reason}")
        }
        other => panic!("process-lock ran under a 0.1 s limit: {other:?}"),
    }
    assert!(lock.checks.is_empty());
    // thread-names (under a millisecond) fits its limit and runs.
    let names = conlab_core::Trace::from_json(
        &std::fs::read_to_string(suite.join("thread-names.json")).unwrap(),
    )
    .unwrap();
    assert!(names.passed(), "{:?}", names.status);
    assert!(stdout(&o).contains("REFUSED"), "{}", stdout(&o));
}

#[test]
fn explore_finds_the_lost_update_and_its_schedule_replays_it() {
    let set = ["-p", "op=increment", "-p", "threads=2", "-p", "hold_ms=0"];
    let o = conlab(&[&["explore", "race-condition"], &set[..]].concat());
    expect_exit(&o, 0);
    let out = stdout(&o);
    assert!(
        out.contains("without the lock: BROKEN") && out.contains("an update was lost"),
        "{out}"
    );
    assert!(out.contains("with the lock: holds"), "{out}");
    let schedule = out
        .split('\'')
        .find(|s| s.starts_with("s1."))
        .unwrap_or_else(|| panic!("no schedule printed: {out}"))
        .to_string();
    // The printed command replays it: the same lost update, every time.
    let replay = |extra: &[&str]| {
        conlab(
            &[
                &["run", "race-condition", "--runtime", "virtual"][..],
                &set[..],
                extra,
                &["--schedule", schedule.as_str()][..],
            ]
            .concat(),
        )
    };
    let a = replay(&["--format", "json"]);
    expect_exit(&a, 0);
    let trace = conlab_core::Trace::from_json(&stdout(&a)).unwrap();
    let counter = trace
        .marks_named("counter")
        .map(|m| m.detail.clone())
        .collect::<Vec<_>>();
    assert!(
        counter[0].starts_with("unlocked") && !counter[0].ends_with(" 4 4"),
        "{counter:?}"
    );
    assert_eq!(stdout(&replay(&["--format", "json"])), stdout(&a));
    assert!(stderr(&a).contains(&schedule), "{}", stderr(&a));
    // Made for other parameters, damaged, or on the wrong runtime: refused, saying why.
    let o = conlab(&[
        "run",
        "race-condition",
        "--runtime",
        "virtual",
        "-p",
        "op=increment",
        "-p",
        "threads=3",
        "--schedule",
        &schedule,
    ]);
    expect_exit(&o, 2);
    assert!(stderr(&o).contains("other parameters"), "{}", stderr(&o));
    let o = conlab(&[
        "run",
        "race-condition",
        "--runtime",
        "virtual",
        "--schedule",
        "s1.x",
    ]);
    expect_exit(&o, 2);
    assert!(
        stderr(&o).contains("not a schedule conlab wrote"),
        "{}",
        stderr(&o)
    );
    let o = conlab(&["run", "race-condition", "--schedule", &schedule]);
    expect_exit(&o, 2);
    assert!(stderr(&o).contains("--runtime virtual"), "{}", stderr(&o));
    // Searched without holds unless asked: the replay command says so.
    let o = conlab(&[
        "explore",
        "race-condition",
        "-p",
        "op=increment",
        "--budget",
        "50",
    ]);
    expect_exit(&o, 0);
    assert!(
        stdout(&o).contains("-p hold_ms=0 --schedule"),
        "{}",
        stdout(&o)
    );
    let o = conlab(&["explore", "create-task"]);
    expect_exit(&o, 2);
    assert!(stderr(&o).contains("race-condition"), "{}", stderr(&o));
    // Depth first within a bound: every interleaving of the guarded form holds.
    let o = conlab(
        &[
            &[
                "explore",
                "race-condition",
                "--strategy",
                "dfs",
                "--preemptions",
                "2",
            ][..],
            &set[..],
        ]
        .concat(),
    );
    expect_exit(&o, 0);
    assert!(
        stdout(&o).contains("explored, none breaks it"),
        "{}",
        stdout(&o)
    );
}

#[test]
fn the_report_takes_status_and_makespan_from_the_traces_not_the_index() {
    let dir = tempfile::tempdir().unwrap();
    let suite = suite_of(dir.path(), &["create-task", "asyncio-two-tasks"]);
    // One trace made a refused run; the index still says both passed, with made-up makespans.
    let file = suite.join("create-task.json");
    let mut trace =
        conlab_core::Trace::from_json(&std::fs::read_to_string(&file).unwrap()).unwrap();
    trace.status = conlab_core::Status::Refused {
        reason: "a test's refusal".into(),
    };
    trace.checks.clear();
    std::fs::write(&file, trace.to_json()).unwrap();
    let index = std::fs::read_to_string(suite.join("index.json")).unwrap();
    let forged: Vec<serde_json::Value> = serde_json::from_str::<Vec<serde_json::Value>>(&index)
        .unwrap()
        .into_iter()
        .map(|mut e| {
            e["makespan_ms"] = serde_json::json!(1.0);
            e
        })
        .collect();
    std::fs::write(
        suite.join("index.json"),
        serde_json::to_string(&forged).unwrap(),
    )
    .unwrap();
    let site = dir.path().join("site");
    let o = conlab(&[
        "report",
        suite.to_str().unwrap(),
        "--out",
        site.to_str().unwrap(),
    ]);
    expect_exit(&o, 0);
    let page = std::fs::read_to_string(site.join("index.html")).unwrap();
    assert!(
        page.contains("index.json says ok, the trace: refused"),
        "status believed"
    );
    assert!(
        page.contains("index.json gives a makespan of 1 ms"),
        "makespan believed"
    );
    assert!(
        page.contains(">refused<"),
        "the refused run is not shown as refused"
    );
}

#[test]
fn serve_logs_each_run_as_it_starts_and_ends() {
    use std::io::{Read, Write};
    let dir = tempfile::tempdir().unwrap();
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let mut server = Command::new(env!("CARGO_BIN_EXE_conlab"))
        .args(["serve", "--bind", &format!("127.0.0.1:{port}"), "--store"])
        .arg(dir.path().join("served"))
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    let mut stream = loop {
        match std::net::TcpStream::connect(("127.0.0.1", port)) {
            Ok(s) => break s,
            Err(_) if std::time::Instant::now() < deadline => {
                std::thread::sleep(std::time::Duration::from_millis(50))
            }
            Err(e) => panic!("conlab serve did not listen: {e}"),
        }
    };
    let body = r#"{"scenario":"asyncio-two-tasks","params":{"sleep_ms":"20"},"runtime":"native"}"#;
    write!(
        stream,
        "POST /api/runs HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
    .unwrap();
    let mut answer = String::new();
    stream.read_to_string(&mut answer).unwrap();
    assert!(answer.starts_with("HTTP/1.1 202"), "{answer}");
    // The run takes about 20 ms; the server logs its end, then it is stopped.
    std::thread::sleep(std::time::Duration::from_millis(1500));
    let _ = server.kill();
    let o = server.wait_with_output().unwrap();
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("started: asyncio-two-tasks") && err.contains("sleep_ms=20"),
        "{err}"
    );
    assert!(
        err.contains("ended: asyncio-two-tasks") && err.contains("checks passed"),
        "{err}"
    );
}

#[test]
fn cpython_runs_a_lesson_judges_it_and_compares_it_with_conlabs_run() {
    let o = conlab(&[
        "run",
        "gather-vs-wait",
        "--runtime",
        "cpython",
        "-p",
        "sleeps_ms=200,50",
    ]);
    expect_exit(&o, 0);
    let out = stdout(&o);
    assert!(out.contains("runtime cpython · CPython 3."), "{out}");
    assert!(out.contains("gather[0] = task 0 (200 ms)"), "{out}");
    assert!(out.contains("PASSED"), "{out}");
    let o = conlab(&[
        "run",
        "gather-vs-wait",
        "--runtime",
        "cpython",
        "--compare",
        "-p",
        "sleeps_ms=200,50",
    ]);
    expect_exit(&o, 0);
    let out = stdout(&o);
    for part in [
        "conlab's run",
        "the Python program under CPython",
        "side by side",
    ] {
        assert!(out.contains(part), "{part}: {out}");
    }
    let row = out
        .lines()
        .find(|l| l.starts_with("gather-order "))
        .unwrap_or_else(|| panic!("{out}"));
    assert_eq!(
        row.split_whitespace().collect::<Vec<_>>(),
        ["gather-order", "passed", "passed"]
    );
}

#[test]
fn cpython_says_plainly_what_is_missing() {
    let o = Command::new(env!("CARGO_BIN_EXE_conlab"))
        .env("CONLAB_PYTHON", "/nonexistent/python3")
        .args(["run", "asyncio-two-tasks", "--runtime", "cpython"])
        .output()
        .unwrap();
    expect_exit(&o, 2);
    let err = stderr(&o);
    assert!(
        err.contains("CONLAB_PYTHON=/nonexistent/python3") && err.contains("could not run it"),
        "{err}"
    );
    let o = conlab(&["run", "sync-vs-async-requests", "--runtime", "cpython"]);
    expect_exit(&o, 2);
    let err = stderr(&o);
    assert!(
        err.contains("no Python program yet") && err.contains("asyncio-two-tasks"),
        "{err}"
    );
    let o = conlab(&["run", "asyncio-two-tasks", "--compare"]);
    expect_exit(&o, 2);
    assert!(
        stderr(&o).contains("add --runtime cpython"),
        "{}",
        stderr(&o)
    );
    let o = conlab(&["list"]);
    let out = stdout(&o);
    let row = out
        .lines()
        .find(|l| l.trim_start().starts_with("gather-vs-wait "))
        .unwrap();
    assert!(row.contains("B N V P"), "{row}");
}
