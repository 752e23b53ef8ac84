//! What the page and its scheduler Worker say to each other: the page asks for a run of a
//! thread scenario on the deterministic scheduler, or a search for a schedule that breaks one
//! of its properties; the Worker answers with progress, findings and traces.

use conlab_core::thousands;
use serde::{Deserialize, Serialize};

/// A request to the scheduler Worker, externally tagged (`{"run": {...}}`): an internally
/// tagged enum would buffer the request whole before reading it, which costs the Worker's
/// download about 10 KB.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SchedRequest {
    /// One run: choices drawn from the default seed, or replaying `schedule`. An async
    /// scenario runs on the virtual-time executor instead (it takes no schedule).
    Run {
        /// The scenario id.
        scenario: String,
        /// Parameter values by name (each name once); missing ones take their defaults.
        params: Vec<(String, String)>,
        /// A schedule to replay (as `conlab run --schedule` takes it).
        schedule: Option<String>,
    },
    /// A run the learner schedules: their `choices` so far (a position among the threads that
    /// can step, at each point where more than one can), then stopped at the next choice.
    Steer {
        /// The scenario id.
        scenario: String,
        /// Parameter values by name (each name once); missing ones take their defaults.
        params: Vec<(String, String)>,
        /// The choices made so far.
        choices: Vec<u32>,
    },
    /// A live run of an async scenario on the Worker's own event loop (real time, drawn as it
    /// goes): the Worker answers with [`SchedMessage::Live`], then [`SchedMessage::Delta`]s,
    /// then the judged trace ([`SchedMessage::Ran`]).
    Live {
        /// The scenario id.
        scenario: String,
        /// Parameter values by name (each name once); missing ones take their defaults.
        params: Vec<(String, String)>,
    },
    /// Stops the Worker's live run: it ends *stopped*, with the trace so far.
    Stop,
    /// A search for a schedule that breaks each of the scenario's properties.
    Find {
        /// The scenario id.
        scenario: String,
        /// Parameter values by name (each name once); missing ones take their defaults.
        params: Vec<(String, String)>,
        /// How to search.
        strategy: SearchStrategy,
        /// The seed random and PCT searches draw from.
        seed: u64,
        /// At most this many schedules a property.
        budget: u64,
    },
}

/// How a search picks its schedules (`"random"`, `{"pct": 3}`, `{"dfs": 2}`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SearchStrategy {
    /// Uniformly random choices.
    Random,
    /// Priority change points, at this depth.
    Pct(u32),
    /// Every interleaving, depth-first, with at most this many preemptions (`None`: none).
    Dfs(Option<u32>),
}

/// What the scheduler Worker says: externally tagged tuple variants (`{"progress": ["with the
/// lock", 256]}`), the cheapest shape for the page to read; an internally tagged enum would
/// buffer, and named fields would add a reader of their own to the page's download.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SchedMessage {
    /// A search's progress: the property searched now, and the schedules run for it so far.
    Progress(String, u64),
    /// What a search found: one [`Finding::line`] per property, in the scenario's order; the
    /// same in words, a line each ([`Finding::words`], and notes); and whether a
    /// [`SchedMessage::Ran`] follows (the shortest failing schedule, or a run of the
    /// parameters searched when nothing broke).
    Searched(String, String, bool),
    /// A run's trace, judged by the scenario's checks, and the schedule that replays it (empty
    /// for an async scenario on the virtual-time executor, which needs none). The
    /// trace is `conlab.trace/1` JSON text: the page reads it as it reads a trace file
    /// ([`conlab_core::Trace::from_json`]).
    Ran(String, String),
    /// Where a learner's run stopped: its trace so far and its schedule (as in
    /// [`SchedMessage::Ran`]), who can take the next step and what step (`read \`counter\``),
    /// and every other unfinished thread with why it waits, each as [`pairs`] writes them. No
    /// one to choose: the run ended, and its trace is judged.
    Steered(String, String, String, String),
    /// A live run's first snapshot: its trace so far (`conlab.trace/1` JSON text).
    Live(String),
    /// What a live run recorded since the last message (see [`crate::DeltaTracker`]).
    Delta(crate::Delta),
    /// Why the request could not be carried out, in words.
    Error(String),
}

/// What a search found for one property. On the wire, one line of tab-separated fields
/// ([`Finding::line`]), which the page reads with less code than JSON.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Finding {
    /// The property, as the scenario names it ("with the lock").
    pub property: String,
    /// Schedules run.
    pub tried: u64,
    /// Whether those were every schedule the strategy allows.
    pub exhaustive: bool,
    /// The shortest failing schedule found, if one broke it (shrunk to the fewest preemptions
    /// found).
    pub schedule: Option<String>,
    /// Why that schedule breaks the property, in words.
    pub reason: String,
    /// Its preemptions.
    pub preemptions: u32,
}

impl Finding {
    /// Its line: property, schedules run, `1` if exhaustive, schedule (empty: none), reason,
    /// preemptions, split by tabs (tabs and line breaks inside a field become spaces).
    pub fn line(&self) -> String {
        let clean = |s: &str| s.replace(['\t', '\n'], " ");
        format!(
            "{}\t{}\t{}\t{}\t{}\t{}",
            clean(&self.property),
            self.tried,
            u8::from(self.exhaustive),
            self.schedule.as_deref().unwrap_or(""),
            clean(&self.reason),
            self.preemptions
        )
    }

    /// What it found, in words (the page says them in Chinese by the sentence shapes of its
    /// Chinese texts, as it does a check's detail).
    pub fn words(&self) -> String {
        let (p, n, k) = (&self.property, thousands(self.tried), self.preemptions);
        match (&self.schedule, self.exhaustive) {
            (Some(_), _) if k == 0 => format!(
                "{p}: schedule {n} broke it ({}), with no preemption at all; shown below.",
                self.reason
            ),
            (Some(_), _) => format!(
                "{p}: schedule {n} broke it ({}); shrunk to {k} preemption{}, shown below.",
                self.reason,
                if k == 1 { "" } else { "s" }
            ),
            (None, true) if self.tried == 1 => {
                format!("{p}: this run has a single interleaving, and it does not break it.")
            }
            (None, true) => format!("{p}: all {n} schedules tried, none breaks it."),
            (None, false) => format!("{p}: {n} schedules tried, none breaks it."),
        }
    }

    /// The finding of a line [`Finding::line`] wrote (fields it lacks are empty or zero).
    pub fn from_line(line: &str) -> Finding {
        let mut f = line.split('\t');
        let mut next = || f.next().unwrap_or("").to_string();
        Finding {
            property: next(),
            tried: next().parse().unwrap_or(0),
            exhaustive: next() == "1",
            schedule: Some(next()).filter(|s| !s.is_empty()),
            reason: next(),
            preemptions: next().parse().unwrap_or(0),
        }
    }
}

/// Pairs of words as one text, for the page to read with little code: one line a pair, its two
/// parts split by a tab (tabs and line breaks inside a part become spaces).
pub fn pairs(items: &[(String, String)]) -> String {
    let clean = |s: &str| s.replace(['\t', '\n'], " ");
    items
        .iter()
        .map(|(a, b)| format!("{}\t{}", clean(a), clean(b)))
        .collect::<Vec<_>>()
        .join("\n")
}

/// The pairs of a text [`pairs`] wrote.
pub fn read_pairs(text: &str) -> Vec<(String, String)> {
    text.lines()
        .filter_map(|l| l.split_once('\t'))
        .map(|(a, b)| (a.to_string(), b.to_string()))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn findings_and_pairs_survive_their_lines() {
        let f = Finding {
            property: "with\tthe lock".into(),
            tried: 10_000,
            exhaustive: true,
            schedule: Some("s1.ab.1.01".into()),
            reason: "counter 3\nof 4".into(),
            preemptions: 2,
        };
        let back = Finding::from_line(&f.line());
        assert_eq!(back.property, "with the lock");
        assert_eq!(back.reason, "counter 3 of 4");
        assert_eq!(
            (back.tried, back.exhaustive, back.preemptions),
            (10_000, true, 2)
        );
        assert_eq!(back.schedule, f.schedule);
        let none = Finding::from_line(&Finding::default().line());
        assert_eq!(none.schedule, None);
        assert!(
            f.words().contains("shrunk to 2 preemptions"),
            "{}",
            f.words()
        );
        let p = vec![("Thread-1".to_string(), "read `a\tb`".to_string())];
        assert_eq!(
            read_pairs(&pairs(&p)),
            vec![("Thread-1".into(), "read `a b`".into())]
        );
    }
}
