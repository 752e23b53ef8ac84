//! Child code that misbehaves on purpose, for the process toolkit's fault tests: each role
//! `fault-*` is one way a child can go wrong. `conlab-test-worker` runs it; the tests start
//! it through the toolkit, as scenarios start theirs.

use conlab_core::{catalog, Checks, Params, SpanState, Trace};
use conlab_processes::{ChildFn, ProcessCtx, ProcessLock, WorkerSpec};
use conlab_tokio::NativeStart;
use conlab_traced_threads::{run_thread_scenario, Aborted, ThreadScenarioFn};
use std::io::Write;
use std::os::fd::FromRawFd;
use std::time::Duration;

/// The child code for a `fault-*` role.
pub fn child_for(spec: &WorkerSpec) -> Option<ChildFn> {
    Some(match spec.role.as_str() {
        "fault-ok" => |_| Ok(()),
        "fault-abort" => |_| std::process::abort(),
        "fault-exit-3" => |_| std::process::exit(3),
        "fault-exit-silently" => |_| std::process::exit(0),
        "fault-panic" => |_| panic!("a child gave up"),
        "fault-garbage" => |_| {
            // SAFETY: descriptor 0 is this worker's channel to the parent, where the toolkit
            // put it (its own handle on it stays open; this one is never closed).
            let mut channel = std::mem::ManuallyDrop::new(unsafe { std::fs::File::from_raw_fd(0) });
            let _ = channel.write_all(&[9, 0, 0, 0, 200, 1, 2, 3, 4, 5, 6, 7, 8]);
            std::thread::sleep(Duration::from_secs(30));
            Ok(())
        },
        "report-strays" => |ctx| {
            // Every open descriptor that names a test's stray file: none should be here.
            for fd in std::fs::read_dir("/proc/self/fd")
                .into_iter()
                .flatten()
                .flatten()
            {
                let target = std::fs::read_link(fd.path()).unwrap_or_default();
                if target.to_string_lossy().contains("conlab-stray-") {
                    ctx.print(format!("inherited {}", target.display()));
                }
            }
            ctx.print("looked");
            Ok(())
        },
        "fault-ignore-abort" => |_| {
            // Never looks at the run: only being killed ends it.
            std::thread::sleep(Duration::from_secs(3600));
            Ok(())
        },
        "fault-sleep" => |ctx| ctx.sleep(Duration::from_secs(3600)),
        "fault-two-locks" => two_locks,
        _ => return None,
    })
}

/// Takes lock `a` or `b` (its argument says which first), waits for the go, then takes the
/// other: two such children deadlock.
fn two_locks(ctx: &ProcessCtx) -> Result<(), Aborted> {
    let a = ProcessLock::open(ctx, "a").expect("lock a was shared");
    let b = ProcessLock::open(ctx, "b").expect("lock b was shared");
    let (first, second) = if ctx.arg() == "a" { (&a, &b) } else { (&b, &a) };
    let _held = first.acquire(ctx)?;
    ctx.send_message(b"holding");
    ctx.recv(SpanState::WaitingEvent, "the go")?;
    let _both = second.acquire(ctx)?;
    Ok(())
}

/// Runs `parent` on the thread toolkit as a native run of `process-start` (its catalog entry
/// only lends the run a name), for at most `limit`.
pub fn run_parent(parent: ThreadScenarioFn, limit: Duration) -> Trace {
    crate::use_test_worker();
    let info = catalog::find("process-start").expect("process-start is in the catalog");
    let start = NativeStart::new(info, Params::defaults(info.params), limit);
    run_thread_scenario(&start, parent, |c: &mut Checks| {
        conlab_processes::no_process_outlives(c)
    })
}

/// The PIDs of this process's children that are still alive (zombies included), counted by
/// the OS: every `/proc/<pid>/stat` whose parent is us.
pub fn os_children() -> Vec<i32> {
    let me = std::process::id() as i32;
    let Ok(dir) = std::fs::read_dir("/proc") else {
        return Vec::new();
    };
    dir.filter_map(|e| e.ok()?.file_name().to_str()?.parse::<i32>().ok())
        .filter(|pid| parent_of(*pid) == Some(me))
        .collect()
}

/// The parent PID of `pid`, from `/proc/<pid>/stat`.
pub fn parent_of(pid: i32) -> Option<i32> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // The command name may hold spaces and parentheses: fields resume after the last ')'.
    let rest = &stat[stat.rfind(')')? + 2..];
    rest.split(' ').nth(1)?.parse().ok()
}
