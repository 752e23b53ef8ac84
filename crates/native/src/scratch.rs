//! Temporary folders a run writes into (the crawler's downloads): removed when dropped, and
//! by the Ctrl-C handler ([`remove_all`]), where destructors do not run.

use std::path::{Path, PathBuf};
use std::sync::Mutex;

static LIVE: Mutex<Vec<PathBuf>> = Mutex::new(Vec::new());

fn live() -> std::sync::MutexGuard<'static, Vec<PathBuf>> {
    LIVE.lock().unwrap_or_else(|p| p.into_inner())
}

/// A fresh folder in the system's temporary folder, named `prefix` and a unique suffix.
pub struct ScratchDir {
    path: PathBuf,
}

impl ScratchDir {
    /// Creates it (registered from the moment it exists).
    pub fn create(prefix: &str) -> std::io::Result<ScratchDir> {
        let base = std::env::temp_dir();
        let pid = std::process::id();
        for attempt in 0u32..1000 {
            let nanos = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.subsec_nanos())
                .unwrap_or(0);
            let path = base.join(format!("{prefix}{pid}-{nanos:x}-{attempt}"));
            let mut registry = live();
            match std::fs::create_dir(&path) {
                Ok(()) => {
                    registry.push(path.clone());
                    return Ok(ScratchDir { path });
                }
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => continue,
                Err(e) => return Err(e),
            }
        }
        Err(std::io::Error::other("no free temporary folder name"))
    }

    /// The folder.
    pub fn path(&self) -> &Path {
        &self.path
    }
}

impl Drop for ScratchDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.path);
        live().retain(|p| p != &self.path);
    }
}

/// Removes every scratch folder of this process; returns how many there were.
pub fn remove_all() -> usize {
    let folders = std::mem::take(&mut *live());
    for folder in &folders {
        let _ = std::fs::remove_dir_all(folder);
    }
    folders.len()
}
