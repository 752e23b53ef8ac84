//! The worker entry: what a conlab executable does when the process toolkit starts it as a
//! child ([`conlab_processes::WORKER_ARG`] as its first argument). It finds the scenario's
//! child code through the registry, like every other front end, and never returns.

use crate::registry;
use conlab_core::{catalog, Params};
use conlab_processes::{ChildFn, WorkerSpec};

/// Child code that is not in the registry (a test's own), found by the spec.
pub type ExtraChildren = fn(&WorkerSpec) -> Option<ChildFn>;

/// If this process was started as a worker, runs its child code and exits; otherwise returns
/// at once. Call it first thing in `main`, before parsing arguments.
pub fn run_worker_if_asked() {
    run_worker_with(|_| None);
}

/// Like [`run_worker_if_asked`], also knowing `extra` child code (a test harness's).
pub fn run_worker_with(extra: ExtraChildren) {
    if !conlab_processes::is_worker() {
        return;
    }
    match prepare(extra) {
        // SAFETY: this process is a worker (checked above), and this runs first thing in
        // `main`, before anything could take descriptor 0.
        Ok((spec, params, child)) => unsafe { conlab_processes::child_main(spec, params, child) },
        Err(why) => {
            eprintln!("conlab worker: {why}");
            std::process::exit(2)
        }
    }
}

fn prepare(extra: ExtraChildren) -> Result<(WorkerSpec, Params, ChildFn), String> {
    let spec = WorkerSpec::from_env()?;
    if let Some(child) = extra(&spec) {
        let params = Params::defaults(&[]);
        return Ok((spec, params, child));
    }
    let row = registry::find(&spec.scenario)
        .ok_or_else(|| format!("no scenario is called {}", spec.scenario))?;
    let child = row
        .child
        .ok_or_else(|| format!("{} starts no processes", spec.scenario))?;
    let info = catalog::find(&spec.scenario)
        .ok_or_else(|| format!("{} is not in the catalog", spec.scenario))?;
    let params = Params::from_query(&spec.scenario, info.params, &spec.params, &[])
        .map_err(|e| e.to_string())?;
    Ok((spec, params, child))
}
