//! Finding the Python that runs the lessons.

use std::path::{Path, PathBuf};
use std::process::Command;

/// The oldest Python the tracer runs on.
pub const OLDEST: (u32, u32) = (3, 11);

/// The environment variable that names the Python to use.
pub const ENV: &str = "CONLAB_PYTHON";

/// A Python found on this machine.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Python {
    /// The interpreter to run.
    pub program: PathBuf,
    /// Its version, (major, minor).
    pub version: (u32, u32),
}

/// Why no Python can run a lesson.
#[derive(Debug, thiserror::Error)]
pub enum NoPython {
    /// None was found where conlab looks.
    #[error(
        "--runtime cpython needs Python {}.{} or later, and none was found (looked at ${ENV}, \
         target/conlab-python/bin/python3, which scripts/setup-python.sh makes, and python3 on \
         the PATH); run scripts/setup-python.sh, or set {ENV} to a Python's path",
        OLDEST.0,
        OLDEST.1
    )]
    Missing,
    /// The one found is too old.
    #[error(
        "--runtime cpython needs Python {}.{} or later; {} is {}.{}; run \
         scripts/setup-python.sh, or set {ENV} to a newer Python's path",
        OLDEST.0,
        OLDEST.1,
        program.display(),
        version.0,
        version.1
    )]
    TooOld {
        /// The Python found.
        program: PathBuf,
        /// Its version.
        version: (u32, u32),
    },
    /// `$CONLAB_PYTHON` names something that does not run as Python.
    #[error("{ENV}={}: {reason}", program.display())]
    NotPython {
        /// What it names.
        program: PathBuf,
        /// What happened when it was run.
        reason: String,
    },
}

/// The Python to run lessons with: `$CONLAB_PYTHON` if set; else the project's environment
/// (`conlab-python/bin/python3` in the build folder above the running binary, as
/// `scripts/setup-python.sh` makes it, with the packages the programs use); else `python3` on
/// the PATH.
pub fn find_python() -> Result<Python, NoPython> {
    if let Some(named) = std::env::var_os(ENV).filter(|v| !v.is_empty()) {
        let program = PathBuf::from(named);
        return match version_of(&program) {
            Ok(version) => checked(program, version),
            Err(reason) => Err(NoPython::NotPython { program, reason }),
        };
    }
    let project = std::env::current_exe().ok().and_then(|exe| {
        exe.ancestors()
            .skip(1)
            .take(4)
            .map(|dir| dir.join("conlab-python/bin/python3"))
            .find(|p| p.is_file())
    });
    for program in project.into_iter().chain([PathBuf::from("python3")]) {
        if let Ok(version) = version_of(&program) {
            return checked(program, version);
        }
    }
    Err(NoPython::Missing)
}

fn checked(program: PathBuf, version: (u32, u32)) -> Result<Python, NoPython> {
    if version < OLDEST {
        return Err(NoPython::TooOld { program, version });
    }
    Ok(Python { program, version })
}

/// Runs `program` to ask its version.
fn version_of(program: &Path) -> Result<(u32, u32), String> {
    let out = Command::new(program)
        .args(["-c", "import sys; print(*sys.version_info[:2])"])
        .output()
        .map_err(|e| format!("could not run it ({e})"))?;
    let text = String::from_utf8_lossy(&out.stdout);
    let mut numbers = text.split_whitespace().map(str::parse::<u32>);
    match (out.status.success(), numbers.next(), numbers.next()) {
        (true, Some(Ok(major)), Some(Ok(minor))) => Ok((major, minor)),
        _ => Err("it did not answer as a Python does".into()),
    }
}
