//! `conlab report`: a suite of runs as a static folder of pages.

use crate::cli::ReportArgs;
use crate::out::outln;
use crate::Failure;

pub fn run(args: ReportArgs) -> Result<(), Failure> {
    let out = super::serve::write_report(&args.dir, args.compare.as_deref(), &args.out, "--out")?;
    let compare = args
        .compare
        .as_ref()
        .map(|c| format!(" --compare {}", c.display()))
        .unwrap_or_default();
    outln!(
        "report written: {} (a static folder: copy it to any web server, or run `conlab serve --open {}{compare}`)",
        out.join("index.html").display(),
        args.dir.display()
    );
    Ok(())
}
