//! Finished runs on disk: `<id>.trace.json` (the trace, as `conlab show` reads it) and
//! `<id>.run.json` (its summary), each written to a temporary file, synced, then renamed
//! over its name, so a crash leaves either the whole file or none. The summary is written
//! last: a run is listed at start only when both are whole.

use conlab_core::Trace;
use conlab_wire::RunSummary;
use std::fs;
use std::path::{Path, PathBuf};

/// The folder of finished runs, held by one server at a time.
pub struct Store {
    dir: PathBuf,
    /// Locked (`flock`) while the server runs; the kernel lets go when the process ends.
    _lock: fs::File,
}

/// Why a folder cannot hold runs.
pub enum OpenError {
    /// Another server holds it.
    Busy,
    /// It cannot be made or used.
    Io(std::io::Error),
}

const TRACE: &str = ".trace.json";
const SUMMARY: &str = ".run.json";

impl Store {
    /// Opens (creating) `dir`, unless another server holds it.
    pub fn open(dir: &Path) -> Result<Store, OpenError> {
        use std::os::fd::AsRawFd;
        if dir.exists() && !dir.is_dir() {
            return Err(OpenError::Io(std::io::Error::other(
                "it is a file, not a folder",
            )));
        }
        fs::create_dir_all(dir).map_err(OpenError::Io)?;
        let lock = fs::OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(dir.join(".lock"))
            .map_err(OpenError::Io)?;
        // SAFETY: flock on a descriptor this function owns; no memory is involved.
        if unsafe { libc::flock(lock.as_raw_fd(), libc::LOCK_EX | libc::LOCK_NB) } != 0 {
            return Err(OpenError::Busy);
        }
        // Leftovers of writes a crash interrupted.
        for entry in fs::read_dir(dir).map_err(OpenError::Io)?.flatten() {
            let name = entry.file_name();
            if name.to_string_lossy().starts_with(".tmp-") {
                let _ = fs::remove_file(entry.path());
            }
        }
        Ok(Store {
            dir: dir.to_path_buf(),
            _lock: lock,
        })
    }

    /// Removes a kept run's files.
    pub fn forget(&self, id: &str) {
        let _ = fs::remove_file(self.dir.join(format!("{id}{SUMMARY}")));
        let _ = fs::remove_file(self.trace_path(id));
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
                let text = conlab_core::files::read_text_at_most(&entry.path(), 1 << 20).ok()?;
                let summary: RunSummary = serde_json::from_str(&text).ok()?;
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
        conlab_core::files::write_atomically(&self.dir.join(name), bytes)
    }
}
