//! The cluster's temporary folder (the secret, the processes' logs, the server's store). It
//! holds an `owner` file locked for as long as its harness lives; a harness killed outright
//! (SIGKILL: no destructor, no handler) leaves its folder, so the next cluster started on the
//! machine sweeps every `conlab-cluster-…` folder whose lock is free (its workers died with
//! it: their parent-death signal; its servers with their keeper). The same scheme as the
//! private servers' folders in `conlab-servers`.

use crate::error::ClusterError;
use std::os::fd::AsRawFd;
use std::path::Path;
use std::time::Duration;

const PREFIX: &str = "conlab-cluster-";
const OWNER: &str = "owner";

/// A fresh folder, its owner file locked, after sweeping what killed harnesses left.
pub(crate) fn create() -> Result<(tempfile::TempDir, std::fs::File), ClusterError> {
    sweep_once();
    let dir = tempfile::Builder::new()
        .prefix(PREFIX)
        .tempdir()
        .map_err(ClusterError::io("making the cluster's temporary folder"))?;
    let owner = std::fs::File::create(dir.path().join(OWNER))
        .map_err(ClusterError::io("making the cluster folder's owner file"))?;
    // SAFETY: a valid descriptor of a file only this process has open; LOCK_NB never blocks.
    if unsafe { libc::flock(owner.as_raw_fd(), libc::LOCK_EX | libc::LOCK_NB) } != 0 {
        return Err(ClusterError::Io {
            what: "locking the cluster folder's owner file".into(),
            source: std::io::Error::last_os_error(),
        });
    }
    Ok((dir, owner))
}

/// Removes, once per process, the cluster folders whose harness is gone: their owner file's
/// lock is free, or they have none and are more than a minute old (one being made right now
/// has none for an instant).
fn sweep_once() {
    static SWEPT: std::sync::Once = std::sync::Once::new();
    SWEPT.call_once(|| {
        let Ok(entries) = std::fs::read_dir(std::env::temp_dir()) else {
            return;
        };
        for entry in entries.flatten() {
            if !entry.file_name().to_string_lossy().starts_with(PREFIX) {
                continue;
            }
            let path = entry.path();
            let stale = match owner_alive(&path) {
                Some(alive) => !alive,
                None => entry
                    .metadata()
                    .and_then(|m| m.modified())
                    .is_ok_and(|t| t.elapsed().is_ok_and(|age| age > Duration::from_secs(60))),
            };
            if stale {
                let _ = std::fs::remove_dir_all(&path);
            }
        }
    });
}

/// Whether the harness owning `dir` lives (it holds its owner file's lock); `None` if the
/// folder has no owner file.
fn owner_alive(dir: &Path) -> Option<bool> {
    let file = std::fs::File::open(dir.join(OWNER)).ok()?;
    // SAFETY: a valid descriptor; LOCK_NB never blocks; a lock taken goes with `file`.
    let taken = unsafe { libc::flock(file.as_raw_fd(), libc::LOCK_EX | libc::LOCK_NB) } == 0;
    Some(!taken)
}
