//! How much CPU time the whole machine left idle, so a check can tell how many cores a run
//! *could* have had over a phase: its own CPU time plus what nobody used. (Its own CPU time
//! alone is the very thing a parallelism check judges, so it cannot also say how many cores
//! were lent.)

/// The machine's idle time so far, summed over its CPUs, and how finely it is counted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MachineIdle {
    /// Idle time since boot, in nanoseconds, summed over every CPU.
    pub idle_ns: u64,
    /// The step in which it is counted, per CPU, in nanoseconds (1 µs from `cpuidle`, a clock
    /// tick from `/proc/stat`).
    pub resolution_ns: u64,
}

impl MachineIdle {
    /// Reads it now: from the kernel's `cpuidle` statistics (microseconds) where the machine
    /// has them, else from `/proc/stat` (clock ticks); `None` where neither can be read.
    pub fn now() -> Option<MachineIdle> {
        cpuidle().or_else(proc_stat)
    }
}

/// The sum of every idle state's time of every CPU, in microseconds.
fn cpuidle() -> Option<MachineIdle> {
    let cpus = std::fs::read_dir("/sys/devices/system/cpu").ok()?;
    let mut total_us = 0u64;
    let mut found = false;
    for cpu in cpus.flatten() {
        let name = cpu.file_name();
        let name = name.to_string_lossy();
        if !name
            .strip_prefix("cpu")
            .is_some_and(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()))
        {
            continue;
        }
        let Ok(states) = std::fs::read_dir(cpu.path().join("cpuidle")) else {
            continue;
        };
        for state in states.flatten() {
            if let Some(us) = std::fs::read_to_string(state.path().join("time"))
                .ok()
                .and_then(|t| t.trim().parse::<u64>().ok())
            {
                total_us += us;
                found = true;
            }
        }
    }
    found.then_some(MachineIdle {
        idle_ns: total_us.saturating_mul(1_000),
        resolution_ns: 1_000,
    })
}

/// Idle and IO-wait time of the machine from the first line of `/proc/stat`.
fn proc_stat() -> Option<MachineIdle> {
    let text = std::fs::read_to_string("/proc/stat").ok()?;
    let line = text.lines().next()?.strip_prefix("cpu ")?;
    let fields: Vec<u64> = line
        .split_whitespace()
        .filter_map(|f| f.parse().ok())
        .collect();
    let ticks = fields.get(3)? + fields.get(4).copied().unwrap_or(0);
    // SAFETY: sysconf has no preconditions.
    let per_second = unsafe { libc::sysconf(libc::_SC_CLK_TCK) };
    let tick_ns = if per_second > 0 {
        1_000_000_000 / per_second as u64
    } else {
        10_000_000
    };
    Some(MachineIdle {
        idle_ns: ticks.saturating_mul(tick_ns),
        resolution_ns: tick_ns,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn idle_time_is_read_and_grows_while_the_machine_waits() {
        let before = MachineIdle::now().expect("this machine reports its idle time");
        std::thread::sleep(std::time::Duration::from_millis(200));
        let after = MachineIdle::now().expect("read again");
        assert!(after.idle_ns >= before.idle_ns);
        assert!(before.resolution_ns > 0);
    }
}
