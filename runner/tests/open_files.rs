//! Runs that need more open files than the process may have are refused before they start,
//! and the advice holds: the value it names is inside the range and runs under that limit.

use std::os::unix::process::CommandExt;
use std::process::{Command, Output};

/// `conlab args` with its open-files limit (soft and hard) set to `limit`.
fn conlab_limited(limit: u64, args: &[&str]) -> Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_conlab"));
    command.args(args);
    // SAFETY: only setrlimit runs between fork and exec, an async-signal-safe call.
    unsafe {
        command.pre_exec(move || {
            let rlimit = libc::rlimit {
                rlim_cur: limit as libc::rlim_t,
                rlim_max: limit as libc::rlim_t,
            };
            if libc::setrlimit(libc::RLIMIT_NOFILE, &rlimit) != 0 {
                return Err(std::io::Error::last_os_error());
            }
            Ok(())
        });
    }
    command.output().expect("the conlab binary runs")
}

fn said(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

/// The scenarios whose open files grow with a parameter, and that parameter.
const BOUND_BY_FILES: &[(&str, &str)] = &[
    ("process-start", "processes"),
    ("process-pool", "workers"),
    ("process-lock", "processes"),
    ("process-shared-dict", "processes"),
    ("load-test", "clients"),
    ("crawler", "files"),
    ("io-bound-threads", "downloads"),
    ("sync-vs-async-requests", "requests"),
    ("run-in-executor", "calls"),
];

#[test]
fn too_many_for_the_open_files_limit_is_refused_up_front_with_advice_that_works() {
    for (scenario, param) in BOUND_BY_FILES {
        let o = conlab_limited(64, &["run", scenario, "-p", &format!("{param}=64")]);
        let text = said(&o);
        assert_eq!(o.status.code(), Some(2), "{scenario}: {text}");
        assert!(
            text.contains(&format!("{param}=64 needs about")) && text.contains("RLIMIT_NOFILE"),
            "{scenario}: {text}"
        );
        let advised: u64 = text
            .split(&format!("Run with {param}="))
            .nth(1)
            .and_then(|rest| rest.split(' ').next())
            .and_then(|n| n.parse().ok())
            .unwrap_or_else(|| panic!("{scenario}: no value advised: {text}"));
        assert!(advised >= 1, "{scenario}: {text}");
        let o = conlab_limited(64, &["run", scenario, "-p", &format!("{param}={advised}")]);
        assert_eq!(
            o.status.code(),
            Some(0),
            "{scenario} with the advised {param}={advised} under the same limit: {}",
            said(&o)
        );
    }
}

#[test]
fn a_limit_too_low_for_any_value_says_so_without_naming_one_outside_the_range() {
    for (scenario, param) in BOUND_BY_FILES {
        let o = conlab_limited(24, &["run", scenario]);
        let text = said(&o);
        assert_eq!(o.status.code(), Some(2), "{scenario}: {text}");
        assert!(
            text.contains(&format!("Even {param}=1 needs about"))
                && !text.contains(&format!("{param}=0")),
            "{scenario}: {text}"
        );
    }
}

#[test]
fn run_native_lists_a_run_refused_for_open_files_and_goes_on() {
    let dir = tempfile::tempdir().unwrap();
    let suite = dir.path().join("suite");
    let report = dir.path().join("report");
    // io-bound-threads' default downloads need more than 20 files; thread-start does not.
    let o = conlab_limited(
        20,
        &[
            "run-native",
            "--only",
            "io-bound-threads",
            "--only",
            "thread-start",
            "--no-serve",
            "--out",
            suite.to_str().unwrap(),
            "--report",
            report.to_str().unwrap(),
        ],
    );
    let text = said(&o);
    assert_eq!(o.status.code(), Some(1), "{text}");
    assert!(
        text.contains("REFUSED") && text.contains("open files"),
        "{text}"
    );
    assert!(
        text.contains("1 passed, 0 failed, 1 refused"),
        "the suite stopped, or counted the refusal as a failure: {text}"
    );
    assert!(suite.join("index.json").is_file() && report.join("index.html").is_file());
}
