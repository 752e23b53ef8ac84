//! Starting runs and what the API says about them.

use conlab_core::{Nanos, Status};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// `POST /api/runs`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StartRun {
    /// The scenario id.
    pub scenario: String,
    /// Parameter values by name (strings, or JSON numbers and booleans); missing ones take
    /// their defaults. A name given twice is refused.
    #[serde(default, deserialize_with = "param_values")]
    pub params: BTreeMap<String, String>,
    /// Where to run it (native by default).
    #[serde(default)]
    pub runtime: WireRuntime,
}

/// Where a run goes.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum WireRuntime {
    /// Natively: tokio, OS threads and processes.
    #[default]
    Native,
    /// The deterministic virtual-time executor.
    Virtual,
    /// The lesson's Python program under CPython, traced by conlab's tracer.
    Cpython,
}

/// Where a run is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RunState {
    /// Waiting for a free slot.
    Queued,
    /// Running now.
    Running,
    /// Ended; its trace can be fetched.
    Ended,
}

/// A run, as lists and answers show it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RunSummary {
    /// Its id (letters, digits and `-`): `/api/runs/{id}`.
    pub id: String,
    /// The scenario.
    pub scenario: String,
    /// Where it runs.
    pub runtime: WireRuntime,
    /// Every parameter value it runs with.
    pub params: BTreeMap<String, String>,
    /// Queued, running or ended.
    pub state: RunState,
    /// When it was asked for, RFC 3339.
    pub created: String,
    /// How it ended, once it has.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<Status>,
    /// Its makespan, once it has ended.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub makespan: Option<Nanos>,
    /// Checks passed, once it has ended.
    #[serde(default)]
    pub checks_passed: u32,
    /// Checks not judged (their effect could not be measured in this run), once it has ended.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub checks_not_judged: u32,
    /// Checks run, once it has ended (0 for a run stopped or refused: it is not judged).
    #[serde(default)]
    pub checks_total: u32,
    /// The time limit it runs under, in milliseconds.
    pub limit_ms: u64,
}

impl RunSummary {
    /// Whether it ended with no check failing (checks not judged fail nothing).
    pub fn passed(&self) -> bool {
        self.status == Some(Status::Ok)
            && self.checks_passed + self.checks_not_judged == self.checks_total
    }
}

fn is_zero(n: &u32) -> bool {
    *n == 0
}

/// `GET /api/runs`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RunList {
    /// Running, queued and ended runs, newest first.
    pub runs: Vec<RunSummary>,
    /// How many may run at once.
    pub max_running: usize,
    /// How many may wait.
    pub max_queued: usize,
}

/// Every refusal: a sentence a person reads, naming the parameter, value and range where
/// those are the reason.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApiError {
    /// What went wrong and what to do.
    pub error: String,
}

/// The one event (`refused`) of a stream the server would not open: it follows as many
/// streams as it allows, on this run or in all. The stream then closes; the run goes on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StreamRefused {
    /// Why, in a sentence naming the limit.
    pub error: String,
    /// Whether the limit is the run's (`--max-streams-per-run`), not the server's.
    pub per_run: bool,
    /// The limit reached.
    pub limit: usize,
}

/// Parameter values as a JSON object of strings, numbers or booleans, each name once.
fn param_values<'de, D: serde::Deserializer<'de>>(
    d: D,
) -> Result<BTreeMap<String, String>, D::Error> {
    struct Values;
    impl<'de> serde::de::Visitor<'de> for Values {
        type Value = BTreeMap<String, String>;

        fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
            f.write_str("an object of parameter values, such as {\"threads\": \"8\"}")
        }

        fn visit_map<A: serde::de::MapAccess<'de>>(
            self,
            mut map: A,
        ) -> Result<Self::Value, A::Error> {
            let mut out = BTreeMap::new();
            while let Some((name, value)) = map.next_entry::<String, serde_json::Value>()? {
                let text = match value {
                    serde_json::Value::String(s) => s,
                    serde_json::Value::Number(n) => n.to_string(),
                    serde_json::Value::Bool(b) => b.to_string(),
                    _ => {
                        return Err(serde::de::Error::custom(format!(
                            "parameter `{name}`: give its value as a string or a number"
                        )))
                    }
                };
                if out.insert(name.clone(), text).is_some() {
                    return Err(serde::de::Error::custom(format!(
                        "parameter `{name}` is given twice"
                    )));
                }
            }
            Ok(out)
        }
    }
    d.deserialize_map(Values)
}
