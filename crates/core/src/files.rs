//! Reading files whose size conlab does not control (a suite's index and traces, a report
//! folder's page, a server's store) without trusting their size: at most a limit, with an
//! error naming it beyond; and writing files whole or not at all.

use std::io::{Read, Write};
use std::path::Path;

/// Writes `bytes` to `path` whole or not at all: into a temporary file beside it, synced, then
/// renamed over it (and the folder synced). A write that fails — a full disk, a folder gone —
/// leaves an earlier file of that name as it was, and no temporary file behind.
pub fn write_atomically(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    // A link is written through, to the file it names; what is not a plain file (a device such
    // as /dev/stdout, a pipe) is written to as it is: renaming over it would replace it.
    let resolved;
    let path = match std::fs::symlink_metadata(path) {
        Ok(m) if m.file_type().is_symlink() => {
            resolved = link_target(path)?;
            resolved.as_path()
        }
        _ => path,
    };
    let existing = std::fs::metadata(path).ok();
    if let Some(m) = existing.as_ref().filter(|m| !m.is_file()) {
        if m.is_dir() {
            return Err(std::io::Error::other(format!(
                "{} is a folder",
                path.display()
            )));
        }
        let mut file = std::fs::OpenOptions::new().write(true).open(path)?;
        return file.write_all(bytes).and_then(|()| file.flush());
    }
    let folder = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    let name = path
        .file_name()
        .ok_or_else(|| std::io::Error::other(format!("{} names no file", path.display())))?;
    let temporary = folder.join(format!(
        ".{}.conlab-{}.tmp",
        name.to_string_lossy(),
        std::process::id()
    ));
    let result = (|| {
        let mut file = std::fs::File::create(&temporary)?;
        // The file it replaces keeps its permissions.
        if let Some(m) = &existing {
            file.set_permissions(m.permissions())?;
        }
        file.write_all(bytes)?;
        file.sync_all()?;
        std::fs::rename(&temporary, path)?;
        // The rename itself is durable once the folder is synced.
        std::fs::File::open(folder)?.sync_all()
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&temporary);
    }
    result
}

/// The path a symbolic link leads to, followed through further links (at most 40, as the
/// kernel does), relative to the link's folder.
fn link_target(link: &Path) -> std::io::Result<std::path::PathBuf> {
    let mut path = link.to_path_buf();
    for _ in 0..40 {
        match std::fs::symlink_metadata(&path) {
            Ok(m) if m.file_type().is_symlink() => {
                let target = std::fs::read_link(&path)?;
                path = match path.parent() {
                    Some(folder) if target.is_relative() => folder.join(target),
                    _ => target,
                };
            }
            _ => return Ok(path),
        }
    }
    Err(std::io::Error::other(format!(
        "{} is a chain of too many links",
        link.display()
    )))
}

/// Reads `path` as UTF-8 text if it holds at most `limit` bytes; a larger file is an error
/// that names the limit (only `limit + 1` bytes are ever read).
pub fn read_text_at_most(path: &Path, limit: u64) -> std::io::Result<String> {
    let mut bytes = Vec::new();
    std::fs::File::open(path)?
        .take(limit + 1)
        .read_to_end(&mut bytes)?;
    if bytes.len() as u64 > limit {
        return Err(std::io::Error::other(format!(
            "{} is larger than {}, the most conlab reads of it",
            path.display(),
            size_words(limit)
        )));
    }
    String::from_utf8(bytes).map_err(|_| {
        std::io::Error::new(
            std::io::ErrorKind::InvalidData,
            format!("{} is not text (UTF-8)", path.display()),
        )
    })
}

/// A size in the words people read: `64 KiB`, `256 MiB`.
fn size_words(bytes: u64) -> String {
    if bytes >= 1 << 20 {
        format!("{} MiB", bytes >> 20)
    } else {
        format!("{} KiB", bytes >> 10)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_file_is_replaced_whole() {
        let dir = std::env::temp_dir().join(format!("conlab-files-atomic-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let file = dir.join("keep.json");
        write_atomically(&file, b"first").unwrap();
        write_atomically(&file, b"second").unwrap();
        assert_eq!(std::fs::read(&file).unwrap(), b"second");
        // Into a folder that is gone: an error, nothing half-written.
        assert!(write_atomically(&dir.join("gone/x.json"), b"x").is_err());
        assert_eq!(std::fs::read_dir(&dir).unwrap().count(), 1);
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn links_are_written_through_devices_and_pipes_written_to_and_permissions_kept() {
        use std::os::unix::fs::{FileTypeExt, PermissionsExt};
        let dir = std::env::temp_dir().join(format!("conlab-files-kinds-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        // A link: the file it names gets the text, and the link stays a link.
        let target = dir.join("target.json");
        std::fs::write(&target, b"old").unwrap();
        let link = dir.join("link.json");
        std::os::unix::fs::symlink("target.json", &link).unwrap();
        write_atomically(&link, b"new").unwrap();
        assert!(std::fs::symlink_metadata(&link)
            .unwrap()
            .file_type()
            .is_symlink());
        assert_eq!(std::fs::read(&target).unwrap(), b"new");
        // A private file stays private.
        let private = dir.join("private.json");
        std::fs::write(&private, b"old").unwrap();
        std::fs::set_permissions(&private, std::fs::Permissions::from_mode(0o600)).unwrap();
        write_atomically(&private, b"new").unwrap();
        let mode = std::fs::metadata(&private).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
        // A device is written to, never replaced by a plain file.
        write_atomically(Path::new("/dev/null"), b"nothing").unwrap();
        assert!(std::fs::metadata("/dev/null")
            .unwrap()
            .file_type()
            .is_char_device());
        // A folder is refused.
        assert!(write_atomically(&dir, b"x").is_err());
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn a_file_over_the_limit_is_refused_naming_it() {
        let dir = std::env::temp_dir().join(format!("conlab-files-test-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let file = dir.join("big");
        std::fs::write(&file, vec![b'a'; 2048]).unwrap();
        assert_eq!(read_text_at_most(&file, 4096).unwrap().len(), 2048);
        let e = read_text_at_most(&file, 1024).unwrap_err().to_string();
        assert!(e.contains("larger than 1 KiB"), "{e}");
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
