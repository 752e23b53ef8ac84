//! A suite: many scenarios run natively one after the other with their default parameters,
//! every trace saved as `<id>.json` beside an `index.json` that lists them. `conlab
//! run-native` is its front end; the server and the workers reuse it.

use crate::native::{run, time_limit, RunError, RuntimeChoice};
use conlab_core::catalog;
use conlab_core::{Params, Status, Trace};
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};
use std::time::Duration;

/// The name of a suite's index file.
pub const INDEX_FILE: &str = "index.json";

/// One run of a suite, as `index.json` lists it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SuiteEntry {
    /// The scenario id.
    pub scenario: String,
    /// Its trace file, relative to the suite's folder.
    pub file: String,
    /// How the run ended (`ok`, `failed`, `timed out`, `skipped`).
    pub status: String,
    /// Whether it completed and every check passed.
    pub passed: bool,
    /// Its makespan in milliseconds.
    pub makespan_ms: f64,
}

impl SuiteEntry {
    fn of(trace: &Trace) -> SuiteEntry {
        SuiteEntry {
            scenario: trace.scenario.clone(),
            file: format!("{}.json", trace.scenario),
            status: trace.status.label().to_string(),
            passed: trace.passed(),
            makespan_ms: trace.metrics.makespan as f64 / 1e6,
        }
    }
}

/// Why a suite stopped before its end.
#[derive(Debug, thiserror::Error)]
pub enum SuiteError {
    /// A scenario could not be run at all.
    #[error(transparent)]
    Run(#[from] RunError),
    /// A file could not be written.
    #[error("could not write {path}: {source}")]
    Write {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
}

/// Runs `ids` natively with default parameters, each for at most `limit`, saving every trace
/// in `dir` and `index.json` last. `on_run` hears of each run as it starts (its position and
/// id) so a front end can show progress. Returns the traces in order.
pub fn run_suite(
    ids: &[&'static str],
    limit: Duration,
    dir: &Path,
    mut on_run: impl FnMut(usize, &'static str),
) -> Result<Vec<Trace>, SuiteError> {
    let write = |path: PathBuf, text: String| {
        conlab_core::files::write_atomically(&path, text.as_bytes())
            .map_err(|source| SuiteError::Write { path, source })
    };
    let mut traces = Vec::with_capacity(ids.len());
    for (i, id) in ids.iter().enumerate() {
        on_run(i, id);
        let info = catalog::lookup(id).map_err(RunError::from)?;
        let params = Params::defaults(info.params);
        // The suite's limit holds for every run: one whose estimate is longer is refused, as
        // `conlab run` refuses it, and one that runs longer is cut off at it.
        // A run refused before it starts (longer than the limit, more open files than this
        // process may have) is listed as refused, saying why, and the suite goes on.
        let refused = |reason: String| {
            conlab_tokio::NativeStart::new(info, params.clone(), limit)
                .without_recording(Status::Refused { reason })
        };
        let trace = match time_limit(id, RuntimeChoice::Tokio, &params, Some(limit)) {
            Ok(limit) => match run(id, RuntimeChoice::Tokio, &params, limit) {
                Ok(trace) => trace,
                Err(RunError::Unavailable { reason, .. }) => refused(reason),
                Err(e) => return Err(e.into()),
            },
            Err(RunError::TooLong { reason, .. }) => refused(reason.to_string()),
            Err(e) => return Err(e.into()),
        };
        write(dir.join(format!("{id}.json")), trace.to_json())?;
        traces.push(trace);
    }
    let index: Vec<SuiteEntry> = traces.iter().map(SuiteEntry::of).collect();
    let text = serde_json::to_string_pretty(&index).unwrap_or_else(|_| "[]".to_string());
    write(dir.join(INDEX_FILE), text)?;
    Ok(traces)
}

/// Reads a suite's `index.json`. An index naming a file outside the suite's folder (a path,
/// `..`, a hidden name) is refused whole: a suite's traces are plain files beside it.
pub fn read_index(dir: &Path) -> std::io::Result<Vec<SuiteEntry>> {
    // An index lists runs in a few hundred bytes each.
    let text = conlab_core::files::read_text_at_most(&dir.join(INDEX_FILE), 16 << 20)?;
    let index: Vec<SuiteEntry> = serde_json::from_str(&text).map_err(std::io::Error::other)?;
    if let Some(outside) = index.iter().find(|e| !plain_file_name(&e.file)) {
        let shown: String = outside
            .file
            .chars()
            .take(80)
            .flat_map(char::escape_debug)
            .collect();
        return Err(std::io::Error::other(format!(
            "it names `{shown}` as a run's file, which is not a file in the suite's folder \
             (a suite names its traces by plain names, such as lock.json)"
        )));
    }
    Ok(index)
}

/// A name of a file in the folder itself: no separators, not `.`-led (`..`, hidden), not
/// empty, no control characters.
fn plain_file_name(name: &str) -> bool {
    !name.is_empty()
        && !name.starts_with('.')
        && !name.contains(['/', '\\'])
        && !name.chars().any(char::is_control)
}

/// Whether a suite's run counts as a failure (it did not pass and was not skipped).
pub fn failed(trace: &Trace) -> bool {
    !trace.passed() && !matches!(trace.status, Status::Skipped { .. })
}
