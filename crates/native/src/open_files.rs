//! The open-files limit: a run that holds thousands of sockets (or starts many child
//! processes, a few descriptors each) raises the process's soft limit to its hard limit, and
//! says up front when even that is too few.

/// The most files this process may have open, after raising its soft limit to its hard limit
/// (which any process may do; Go's runtime does it for every program). `None` where the limit
/// cannot be read.
pub fn raise_to_hard_limit() -> Option<u64> {
    #[cfg(unix)]
    {
        let mut limit = libc::rlimit {
            rlim_cur: 0,
            rlim_max: 0,
        };
        // SAFETY: `limit` is a valid rlimit for the call to fill.
        if unsafe { libc::getrlimit(libc::RLIMIT_NOFILE, &mut limit) } != 0 {
            return None;
        }
        if limit.rlim_cur < limit.rlim_max {
            let raised = libc::rlimit {
                rlim_cur: limit.rlim_max,
                rlim_max: limit.rlim_max,
            };
            // SAFETY: `raised` is a valid rlimit; raising the soft limit up to the hard one
            // needs no privilege. Where the OS caps it lower (macOS), the old limit stays.
            if unsafe { libc::setrlimit(libc::RLIMIT_NOFILE, &raised) } == 0 {
                limit = raised;
            }
        }
        // `rlim_t` is a u64 on Linux, not on every unix.
        #[allow(clippy::useless_conversion)]
        Some(u64::try_from(limit.rlim_cur).unwrap_or(u64::MAX))
    }
    #[cfg(not(unix))]
    {
        None
    }
}

/// How many files this process has open now (Linux), or `None`.
pub fn open_now() -> Option<u64> {
    let entries = std::fs::read_dir("/proc/self/fd").ok()?;
    Some(entries.count() as u64)
}

/// Files a run keeps open for a while besides what it needs by count and those open before
/// it: its runtimes, a server's listener, a child being started. Measured: a run of one
/// client, download, request or child process ran within a limit of 20 files; at 64 of them
/// the most over two each was 32 (crawler, run-in-executor).
pub const RESERVE: u64 = 32;

/// What a run needs of open files, to say before it starts when this process cannot have
/// them: `each` files for every one of `value` things a parameter asks for (clients, users,
/// processes…), and `besides` more.
pub struct FilesNeed<'a> {
    /// The parameter that sets how many.
    pub param: &'a str,
    /// Its value.
    pub value: u64,
    /// The lowest value its range allows: advice never names less.
    pub lowest: u64,
    /// Files each holds.
    pub each: u64,
    /// Files the run needs besides (beyond those open now and [`RESERVE`]).
    pub besides: u64,
    /// What each holds, for the sentence (`a socket on each side of each`).
    pub why: &'a str,
    /// Another way out, said last (`run it on virtual time (--runtime virtual)`), if any.
    pub otherwise: Option<&'a str>,
}

impl FilesNeed<'_> {
    /// Why this process cannot run it, if it cannot (after raising its soft limit to its hard
    /// one): the files needed, the most it may open, and the largest value that fits.
    pub fn refusal(&self) -> Option<String> {
        let limit = raise_to_hard_limit()?;
        let open = open_now().unwrap_or(RESERVE);
        self.refusal_at(limit, open)
    }

    /// [`FilesNeed::refusal`] for a process that may open `limit` files and has `open` open.
    pub fn refusal_at(&self, limit: u64, open: u64) -> Option<String> {
        let others = open + RESERVE + self.besides;
        let needed = self.each * self.value + others;
        if needed <= limit {
            return None;
        }
        let most = limit.saturating_sub(others) / self.each.max(1);
        let way_out = match self.otherwise {
            Some(otherwise) => format!("raise the hard limit (ulimit -Hn as root; LimitNOFILE= for a service), or {otherwise}"),
            None => "raise the hard limit (ulimit -Hn as root; LimitNOFILE= for a service)".into(),
        };
        let advice = if most >= self.lowest {
            format!("Run with {}={most} or fewer, or {way_out}", self.param)
        } else {
            format!(
                "Even {}={} needs about {}: {way_out}",
                self.param,
                self.lowest,
                conlab_core::thousands(self.each * self.lowest + others)
            )
        };
        Some(format!(
            "{}={} needs about {} open files ({}), but this process may open at most {} (its \
             hard RLIMIT_NOFILE). {advice}",
            self.param,
            self.value,
            conlab_core::thousands(needed),
            self.why,
            conlab_core::thousands(limit),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::FilesNeed;

    fn need(value: u64, lowest: u64) -> FilesNeed<'static> {
        FilesNeed {
            param: "clients",
            value,
            lowest,
            each: 2,
            besides: 0,
            why: "a socket on each side of each",
            otherwise: None,
        }
    }

    #[test]
    fn advice_names_the_largest_value_that_fits_and_never_one_outside_the_range() {
        assert_eq!(need(100, 1).refusal_at(1024, 10), None);
        let said = need(1000, 1).refusal_at(1024, 10).unwrap();
        // 1024 - 10 open - 32 reserve = 982 files, 2 a client.
        assert!(said.contains("Run with clients=491 or fewer"), "{said}");
        assert!(need(491, 1).refusal_at(1024, 10).is_none());
        assert!(need(492, 1).refusal_at(1024, 10).is_some());
        // A limit too low for even the smallest value: no `clients=0`.
        for limit in [0, 16, 32, 43] {
            let said = need(50, 1).refusal_at(limit, 10).unwrap();
            assert!(
                said.contains("Even clients=1 needs about 44") && !said.contains("clients=0"),
                "{said}"
            );
        }
        let said = need(50, 5).refusal_at(51, 10).unwrap();
        assert!(said.contains("Even clients=5 needs about 52"), "{said}");
    }
}
