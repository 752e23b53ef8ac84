//! `conlab show`: a saved trace as text, its checks computed again from the trace.

use crate::cli::ShowArgs;
use crate::render;
use crate::Failure;
use anyhow::anyhow;
use conlab_core::{catalog, Trace};
use std::io::IsTerminal;

pub fn run(args: ShowArgs) -> Result<(), Failure> {
    let file = args.file.display();
    let text = std::fs::read_to_string(&args.file)
        .map_err(|e| Failure::Usage(anyhow!("could not read {file}: {e}")))?;
    let mut trace = Trace::from_json(&text).map_err(|e| Failure::Usage(anyhow!("{file}: {e}")))?;
    let info =
        catalog::lookup(&trace.scenario).map_err(|e| Failure::Usage(anyhow!("{file}: {e}")))?;
    // The verdict shown is the one computed now; the file's own is only compared with it.
    let recheck =
        conlab_scenarios::recheck(&trace).map_err(|e| Failure::Usage(anyhow!("{file}: {e}")))?;
    trace.checks = recheck.checks;
    println!(
        "{}",
        render::text::trace(&trace, info, std::io::stdout().is_terminal())
    );
    if !recheck.differences.is_empty() {
        println!(
            "\nNote: the checks computed from this trace differ from the verdict recorded in {file} \
             (the trace was edited, or recorded by another version of conlab):"
        );
        for d in &recheck.differences {
            println!("  {d}");
        }
    }
    super::run::outcome(&trace)
}
