//! The scenario catalog: id, title, chapter, explanation, typed parameters and where each
//! scenario runs. It is the single source for CLI help, web forms and docs; the runtimes look
//! scenarios up here by id.

mod entries;

use crate::params::ParamSpec;
use serde::Serialize;

pub use entries::CATALOG;

/// The chapters of the catalog, in tutorial order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Chapter {
    /// Threads, locks and friends.
    Threads,
    /// OS processes and IPC.
    Processes,
    /// Coroutines and generators.
    Coroutines,
    /// asyncio and the event loop.
    Asyncio,
    /// Real-world async: Redis, MySQL, HTTP.
    RealWorld,
}

impl Chapter {
    /// Every chapter, in order.
    pub const ALL: [Chapter; 5] = [
        Chapter::Threads,
        Chapter::Processes,
        Chapter::Coroutines,
        Chapter::Asyncio,
        Chapter::RealWorld,
    ];

    /// The chapter's id (`threads`, `real-world`).
    pub fn id(self) -> &'static str {
        match self {
            Chapter::Threads => "threads",
            Chapter::Processes => "processes",
            Chapter::Coroutines => "coroutines",
            Chapter::Asyncio => "asyncio",
            Chapter::RealWorld => "real-world",
        }
    }

    /// The chapter's title.
    pub fn title(self) -> &'static str {
        match self {
            Chapter::Threads => "Threads",
            Chapter::Processes => "Processes",
            Chapter::Coroutines => "Coroutines",
            Chapter::Asyncio => "asyncio and the event loop",
            Chapter::RealWorld => "Real-world async",
        }
    }

    /// Finds a chapter by id.
    pub fn from_id(id: &str) -> Option<Chapter> {
        Chapter::ALL.into_iter().find(|c| c.id() == id)
    }
}

/// Where a scenario can run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Platforms {
    /// Live in the browser's event loop.
    pub browser: bool,
    /// Natively: tokio, OS threads, OS processes, real servers.
    pub native: bool,
    /// On the deterministic virtual-time executor.
    pub virtual_time: bool,
}

impl Platforms {
    /// Browser, native and virtual.
    pub const ALL: Platforms = Platforms {
        browser: true,
        native: true,
        virtual_time: true,
    };
    /// Native only.
    pub const NATIVE: Platforms = Platforms {
        browser: false,
        native: true,
        virtual_time: false,
    };

    /// Natively, and on the deterministic scheduler (`--runtime virtual`): thread scenarios
    /// written against the thread seam.
    pub const SCHEDULED: Platforms = Platforms {
        browser: false,
        native: true,
        virtual_time: true,
    };

    /// `B N V` style letters: B in the page (live in its event loop, or, for a thread or
    /// process scenario, on the scheduler in a Worker: whatever runs on virtual time runs
    /// there), N natively, V on virtual time.
    pub fn letters(self) -> String {
        let mut s = Vec::new();
        if self.browser || self.virtual_time {
            s.push("B");
        }
        if self.native {
            s.push("N");
        }
        if self.virtual_time {
            s.push("V");
        }
        s.join(" ")
    }
}

/// Which of the standard figures mean something for a scenario (the makespan always does,
/// and the latency wherever a run has one). A run made of phases that compare one way with
/// another (sequential, then concurrent) has no single speed-up: its own figures say it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Shown {
    /// Busy total and the speed-up over the sequential sum.
    pub speedup: bool,
    /// The most lanes busy at once.
    pub peak: bool,
}

impl Shown {
    /// Every standard figure.
    pub const ALL: Shown = Shown {
        speedup: true,
        peak: true,
    };
    /// Everything but the speed-up: the run compares phases one after the other.
    pub const NO_SPEEDUP: Shown = Shown {
        speedup: false,
        peak: true,
    };
    /// The makespan (and latency) only.
    pub const MAKESPAN: Shown = Shown {
        speedup: false,
        peak: false,
    };
}

/// One scenario of the catalog.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct ScenarioInfo {
    /// Stable kebab-case id: the CLI, URL and embed name.
    pub id: &'static str,
    /// Title, keeping the Python names tutorial readers search for.
    pub title: &'static str,
    /// The chapter.
    pub chapter: Chapter,
    /// One paragraph: what the scenario shows.
    pub explanation: &'static str,
    /// Typed parameters with defaults and ranges.
    #[serde(serialize_with = "serialize_params")]
    pub params: &'static [ParamSpec],
    /// Where it runs.
    pub platforms: Platforms,
    /// The standard figures that mean something for it.
    pub shown: Shown,
}

impl ScenarioInfo {
    /// The same entry, showing only these standard figures.
    pub const fn showing(self, shown: Shown) -> ScenarioInfo {
        ScenarioInfo { shown, ..self }
    }

    /// The smallest value count parameter `name` allows (advice must not name less), or 0.
    pub fn lowest(&self, name: &str) -> i64 {
        self.params
            .iter()
            .find(|p| p.name == name)
            .and_then(|p| match p.kind {
                crate::ParamKind::Count { min, .. } => Some(min),
                _ => None,
            })
            .unwrap_or(0)
    }
}

/// The smallest value count parameter `param` of scenario `id` allows, or 0.
pub fn lowest(id: &str, param: &str) -> u64 {
    find(id).map_or(0, |info| info.lowest(param).max(0) as u64)
}

/// The scenarios whose native run the playground does not ship (`just record-native` skips
/// them): event-loop-choice's 10,000 tasks would make a 3 MB file. Their page offers no
/// comparison with a recorded native run.
pub const NOT_RECORDED: &[&str] = &["event-loop-choice"];

/// Whether the playground ships a recorded native run of `id`.
pub fn recorded(id: &str) -> bool {
    !NOT_RECORDED.contains(&id)
}

/// Finds a scenario by id.
pub fn find(id: &str) -> Option<&'static ScenarioInfo> {
    CATALOG.iter().find(|s| s.id == id)
}

/// Finds a scenario by id, or says that none is called so, with the closest ids.
pub fn lookup(id: &str) -> Result<&'static ScenarioInfo, UnknownScenario> {
    find(id).ok_or_else(|| UnknownScenario {
        id: id.to_string(),
        near: suggest(id),
    })
}

/// No scenario has the id asked for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnknownScenario {
    /// The id asked for.
    pub id: String,
    /// The closest ids of the catalog, best first (maybe none).
    pub near: Vec<&'static str>,
}

impl std::fmt::Display for UnknownScenario {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "no scenario is called `{}`", self.id)?;
        if !self.near.is_empty() {
            write!(f, " (did you mean {}?)", self.near.join(", "))?;
        }
        write!(f, "; `conlab list` shows them all")
    }
}

impl std::error::Error for UnknownScenario {}

/// The catalog ids closest to `id`, for "did you mean" hints.
pub fn suggest(id: &str) -> Vec<&'static str> {
    let mut scored: Vec<(usize, &'static str)> = CATALOG
        .iter()
        .map(|s| (edit_distance(id, s.id), s.id))
        .filter(|(d, s)| *d <= 3 || s.contains(id) && id.len() >= 3)
        .collect();
    scored.sort();
    scored.into_iter().take(3).map(|(_, s)| s).collect()
}

fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut cur = vec![i + 1];
        for (j, cb) in b.iter().enumerate() {
            let sub = prev[j] + usize::from(ca != *cb);
            cur.push(sub.min(prev[j + 1] + 1).min(cur[j] + 1));
        }
        prev = cur;
    }
    prev[b.len()]
}

#[derive(Serialize)]
struct ParamJson {
    name: &'static str,
    #[serde(rename = "type")]
    kind: &'static str,
    default: String,
    allowed: String,
    help: &'static str,
}

fn serialize_params<S: serde::Serializer>(
    params: &&'static [ParamSpec],
    s: S,
) -> Result<S::Ok, S::Error> {
    let out: Vec<ParamJson> = params
        .iter()
        .map(|p| ParamJson {
            name: p.name,
            kind: p.kind_name(),
            default: p.default_value().to_string(),
            allowed: p.range_text(),
            help: p.help,
        })
        .collect();
    serde::Serialize::serialize(&out, s)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::params::Params;

    #[test]
    fn ids_are_unique_kebab_case() {
        let mut ids: Vec<&str> = CATALOG.iter().map(|s| s.id).collect();
        assert!(ids.iter().all(|id| id
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')));
        let n = ids.len();
        ids.sort();
        ids.dedup();
        assert_eq!(ids.len(), n);
    }

    #[test]
    fn every_default_is_within_its_own_range() {
        for s in CATALOG {
            for p in s.params {
                let text = p.default_value().to_string();
                assert!(
                    p.parse(&text).is_ok(),
                    "{}: default {} of {} refused",
                    s.id,
                    text,
                    p.name
                );
            }
            assert!(Params::from_assignments(s.id, s.params, []).is_ok());
        }
    }

    #[test]
    fn a_parameter_bounded_by_another_is_checked_against_it() {
        let info = find("wait-timeout").unwrap();
        let parse = |a: &[&str]| Params::from_assignments(info.id, info.params, a.iter().copied());
        let e = parse(&["fail_index=4"]).unwrap_err().to_string();
        assert_eq!(
            e,
            "parameter `fail_index`: value `4` is too large for the given `sleeps_ms`; allowed: at most the number of items of `sleeps_ms` (3)"
        );
        assert!(parse(&["fail_index=4", "sleeps_ms=1,2,3,4"]).is_ok());
        assert!(parse(&["fail_index=0", "sleeps_ms=1"]).is_ok());
    }

    #[test]
    fn suggestions() {
        assert_eq!(suggest("semaphor"), vec!["semaphore"]);
        assert_eq!(suggest("zzzzzzzzzzzz"), Vec::<&str>::new());
    }
}
