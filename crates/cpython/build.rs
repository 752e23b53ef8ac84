//! Embeds the Python side of conlab (`python/`: the tracer package and every lesson's program)
//! so that a `conlab` binary runs a lesson under CPython wherever it is installed, and reads
//! which lesson each program is from the tracer's own table (`conlab_trace/catalog.py`), the
//! one place that says it.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

fn main() {
    let root = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").unwrap())
        .join("../../python")
        .canonicalize()
        .expect("the python/ folder beside crates/");
    println!("cargo:rerun-if-changed={}", root.display());
    let mut files = Vec::new();
    collect(&root, &root, &mut files);
    files.sort();
    let mut out = String::from("/// Every file of `python/` conlab runs: (path in `python/`, text).\npub const FILES: &[(&str, &str)] = &[\n");
    for (rel, abs) in &files {
        println!("cargo:rerun-if-changed={}", abs.display());
        let _ = writeln!(
            out,
            "    ({rel:?}, include_str!({:?})),",
            abs.display().to_string()
        );
    }
    out.push_str("];\n\n/// Each lesson with a Python program: (scenario id, program's path in `python/`).\npub const PROGRAMS: &[(&str, &str)] = &[\n");
    let catalog =
        std::fs::read_to_string(root.join("conlab_trace/catalog.py")).expect("catalog.py");
    for line in catalog.lines() {
        // `    "asyncio-two-tasks": ("asyncio/two_tasks.py", {"sleep_ms": 200}),`
        let Some((id, rest)) = line
            .trim()
            .strip_prefix('"')
            .and_then(|l| l.split_once("\": (\""))
        else {
            continue;
        };
        let Some((program, _)) = rest.split_once('"') else {
            continue;
        };
        assert!(
            files.iter().any(|(rel, _)| rel == program),
            "catalog.py names {program} for {id}, and python/ has no such file"
        );
        let _ = writeln!(out, "    ({id:?}, {program:?}),");
    }
    out.push_str("];\n");
    let dest = PathBuf::from(std::env::var("OUT_DIR").unwrap()).join("python_files.rs");
    std::fs::write(dest, out).expect("write the table of Python files");
}

/// The `.py` files under `dir` that conlab runs (not the tracer's tests), relative to `root`.
fn collect(root: &Path, dir: &Path, files: &mut Vec<(String, PathBuf)>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        let name = entry.file_name().to_string_lossy().into_owned();
        if path.is_dir() {
            if name != "tests" && name != "__pycache__" && !name.starts_with('.') {
                collect(root, &path, files);
            }
        } else if name.ends_with(".py") {
            let rel = path
                .strip_prefix(root)
                .unwrap()
                .to_string_lossy()
                .replace('\\', "/");
            files.push((rel, path));
        }
    }
}
