//! `conlab show`: a saved trace as text.

use crate::cli::ShowArgs;
use crate::render;
use crate::Failure;
use anyhow::anyhow;
use conlab_core::{catalog, Trace};
use std::io::IsTerminal;

pub fn run(args: ShowArgs) -> Result<(), Failure> {
    let text = std::fs::read_to_string(&args.file)
        .map_err(|e| Failure::Usage(anyhow!("could not read {}: {e}", args.file.display())))?;
    let trace = Trace::from_json(&text)
        .map_err(|e| Failure::Usage(anyhow!("{}: {e}", args.file.display())))?;
    let info = catalog::find(&trace.scenario).ok_or_else(|| {
        Failure::Usage(anyhow!(
            "{}: unknown scenario `{}`",
            args.file.display(),
            trace.scenario
        ))
    })?;
    println!(
        "{}",
        render::text::trace(&trace, info, std::io::stdout().is_terminal())
    );
    super::run::outcome(&trace)
}
