//! What the page and its scheduler Worker say to each other: the page asks for a run of a
//! thread scenario on the deterministic scheduler, or a search for a schedule that breaks one
//! of its properties; the Worker answers with progress, findings and traces.

use serde::{Deserialize, Serialize};

/// A request to the scheduler Worker.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "op", rename_all = "snake_case")]
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

/// How a search picks its schedules.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum SearchStrategy {
    /// Uniformly random choices.
    Random,
    /// Priority change points, at this depth.
    Pct {
        /// The depth.
        depth: u32,
    },
    /// Every interleaving, depth-first, with at most this many preemptions.
    Dfs {
        /// The bound (`None`: none).
        preemptions: Option<u32>,
    },
}

/// What the scheduler Worker says: externally tagged tuple variants (`{"progress": ["with the
/// lock", 256]}`), the cheapest shape for the page to read; an internally tagged enum would
/// buffer, and named fields would add a reader of their own to the page's download.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SchedMessage {
    /// A search's progress: the property searched now, and the schedules run for it so far.
    Progress(String, u64),
    /// What a search found, one finding per property in the scenario's order. When one broke,
    /// a [`SchedMessage::Ran`] of its shortest failing schedule follows.
    Searched(Vec<Finding>),
    /// A run's trace, judged by the scenario's checks, and the schedule that replays it (empty
    /// for an async scenario on the virtual-time executor, which needs none). The
    /// trace is `conlab.trace/1` JSON text: the page reads it as it reads a trace file
    /// ([`conlab_core::Trace::from_json`]).
    Ran(String, String),
    /// Why the request could not be carried out, in words.
    Error(String),
}

/// What a search found for one property. On the wire, a JSON array of its fields in order (a
/// [`FindingFields`]): the page reads that with less code than an object.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(from = "FindingFields", into = "FindingFields")]
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

/// A [`Finding`]'s fields in order, as the wire carries them.
pub type FindingFields = (String, u64, bool, Option<String>, String, u32);

impl From<FindingFields> for Finding {
    fn from((property, tried, exhaustive, schedule, reason, preemptions): FindingFields) -> Self {
        Finding {
            property,
            tried,
            exhaustive,
            schedule,
            reason,
            preemptions,
        }
    }
}

impl From<Finding> for FindingFields {
    fn from(f: Finding) -> Self {
        (
            f.property,
            f.tried,
            f.exhaustive,
            f.schedule,
            f.reason,
            f.preemptions,
        )
    }
}
