//! conlab's CPython lane. Each lesson can also be a short Python program (`python/`, in
//! folders that mirror the scenario crates), run under conlab's tracer written in Python
//! (`python/conlab_trace`, standard library only), which records what the program's threads,
//! asyncio tasks and processes did as a `conlab.trace/1` trace with `runtime: cpython`. The
//! caller judges it with the scenario's own checks: what conlab re-enacts in Rust, held to the
//! same standard in the tutorial's own language.
//!
//! The Python files are built into the binary ([`files`]); a run writes them to a scratch
//! folder, runs them with the Python [`find_python`] finds, and reads the trace back.

mod files;
mod python;
mod run;

pub use files::{program, programs, source};
pub use python::{find_python, NoPython, Python};
pub use run::{CpythonRun, Launch, StartError};
