//! Finished runs on disk: `<id>.trace.json` (the trace, as `conlab show` reads it) and
//! `<id>.run.json` (its summary), each written to a temporary file, synced, then renamed
//! over its name, so a crash leaves either the whole file or none. The summary is written
//! last: a run is listed at start only when both are whole.

use conlab_core::Trace;
use conlab_wire::RunSummary;
use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

/// The folder of finished runs.
pub struct Store {
    dir: PathBuf,
}

const TRACE: &str = ".trace.json";
const SUMMARY: &str = ".run.json";

impl Store {
    /// Opens (creating) `dir`.
    pub fn open(dir: &Path) -> std::io::Result<Store> {
        fs::create_dir_all(dir)?;
        // Leftovers of writes a crash interrupted.
        for entry in fs::read_dir(dir)?.flatten() {
            let name = entry.file_name();
            if name.to_string_lossy().starts_with(".tmp-") {
                let _ = fs::remove_file(entry.path());
            }
        }
        Ok(Store {
            dir: dir.to_path_buf(),
        })
    }

    /// Keeps a finished run.
    pub fn save(&self, summary: &RunSummary, trace: &Trace) -> std::io::Result<()> {
        self.write_atomically(
            &format!("{}{TRACE}", summary.id),
            trace.to_json().as_bytes(),
        )?;
        let json = serde_json::to_vec_pretty(summary).map_err(std::io::Error::other)?;
        self.write_atomically(&format!("{}{SUMMARY}", summary.id), &json)
    }

    /// Every kept run whose files are whole, oldest first.
    pub fn load(&self) -> Vec<RunSummary> {
        let mut runs: Vec<RunSummary> = fs::read_dir(&self.dir)
            .into_iter()
            .flatten()
            .flatten()
            .filter_map(|entry| {
                let name = entry.file_name().to_string_lossy().into_owned();
                let id = name.strip_suffix(SUMMARY)?;
                let text = fs::read(entry.path()).ok()?;
                let summary: RunSummary = serde_json::from_slice(&text).ok()?;
                (summary.id == id && self.trace_path(id).is_file()).then_some(summary)
            })
            .collect();
        runs.sort_by(|a, b| a.created.cmp(&b.created).then(a.id.cmp(&b.id)));
        runs
    }

    /// The trace file of run `id` (an id the server made: letters, digits and `-`).
    pub fn trace_path(&self, id: &str) -> PathBuf {
        self.dir.join(format!("{id}{TRACE}"))
    }

    fn write_atomically(&self, name: &str, bytes: &[u8]) -> std::io::Result<()> {
        let temporary = self.dir.join(format!(".tmp-{}-{name}", std::process::id()));
        let result = (|| {
            let mut file = fs::File::create(&temporary)?;
            file.write_all(bytes)?;
            file.sync_all()?;
            fs::rename(&temporary, self.dir.join(name))?;
            // The rename itself is durable once the folder is synced.
            fs::File::open(&self.dir)?.sync_all()
        })();
        if result.is_err() {
            let _ = fs::remove_file(&temporary);
        }
        result
    }
}
