//! No scenario thread outlives its run, counted by the operating system: after each run, no
//! thread of this process carries a scenario thread's name. (A binary of its own, so that no
//! other test's threads are running meanwhile.)

use conlab_scenarios::RuntimeChoice::Tokio;
use conlab_tests::run;

fn scenario_threads() -> Vec<String> {
    let mut names = Vec::new();
    for task in std::fs::read_dir("/proc/self/task").unwrap().flatten() {
        if let Ok(name) = std::fs::read_to_string(task.path().join("comm")) {
            let name = name.trim().to_string();
            if name.starts_with("Thread-")
                || name.starts_with("worker-")
                || name.starts_with("producer-")
                || name.starts_with("consumer-")
                || name.starts_with("loop-thread")
            {
                names.push(name);
            }
        }
    }
    names
}

#[test]
fn no_thread_outlives_a_run() {
    let runs: &[(&str, &[&str])] = &[
        ("thread-daemon", &["sleep_ms=5000"]),
        ("rlock", &[]),
        ("lock-order", &[]),
        ("thread-pool", &["tasks=10", "task_ms=20"]),
        ("producer-consumer", &["duration_ms=300"]),
        ("loop-in-thread", &[]),
    ];
    for (id, params) in runs {
        let t = run(id, Tokio, params);
        assert!(t.passed(), "{id}: {:?}", t.status);
        let left = scenario_threads();
        assert!(left.is_empty(), "{id} left threads running: {left:?}");
    }
}
