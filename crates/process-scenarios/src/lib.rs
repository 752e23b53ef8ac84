//! Chapter 2: processes. Each scenario is one file with `run` (the parent, on the thread
//! toolkit's main thread), `child` (what its child processes run, in a worker started by the
//! process toolkit), `checks` and `expected`.
#![deny(missing_docs)]

pub mod processes;
