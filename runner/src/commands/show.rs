//! `conlab show`: a saved trace as text, its checks computed again from the trace.

use crate::cli::ShowArgs;
use crate::out::outln;
use crate::render;
use crate::Failure;
use anyhow::anyhow;
use conlab_core::{catalog, Trace, MAX_TRACE_BYTES};
use std::io::{IsTerminal, Read};

pub fn run(args: ShowArgs) -> Result<(), Failure> {
    let file = args.file.display();
    let text = read_bounded(&args.file)
        .map_err(|e| Failure::Usage(anyhow!("could not read {file}: {e}")))?;
    let mut trace = Trace::from_json(&text).map_err(|e| Failure::Usage(anyhow!("{file}: {e}")))?;
    render::terminal::make_printable(&mut trace);
    let info =
        catalog::lookup(&trace.scenario).map_err(|e| Failure::Usage(anyhow!("{file}: {e}")))?;
    // The verdict shown is the one computed now; the file's own is only compared with it.
    let recheck =
        conlab_scenarios::recheck(&trace).map_err(|e| Failure::Usage(anyhow!("{file}: {e}")))?;
    trace.checks = recheck.checks;
    trace.metrics = recheck.metrics;
    outln!(
        "{}",
        render::text::trace(&trace, info, std::io::stdout().is_terminal())
    );
    if !recheck.differences.is_empty() {
        outln!(
            "\nNote: the checks computed from this trace differ from the verdict recorded in {file} \
             (the trace was edited, or recorded by another version of conlab):"
        );
        for d in &recheck.differences {
            outln!("  {}", render::terminal::printable(d.as_str()));
        }
    }
    super::run::outcome(&trace)
}

/// Reads a whole file, pipe or device, but never more than a trace may be: `/dev/zero` or an
/// endless pipe is refused once past the limit instead of filling the memory.
fn read_bounded(path: &std::path::Path) -> Result<String, String> {
    let mut file = std::fs::File::open(path).map_err(|e| e.to_string())?;
    // A trace is a JSON object: anything else (a binary file, /dev/zero) is refused from its
    // first bytes, before megabytes of it are read.
    let mut bytes = vec![0u8; 4096];
    let mut head = 0;
    while head < bytes.len() {
        match file.read(&mut bytes[head..]) {
            Ok(0) => break,
            Ok(n) => head += n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e.to_string()),
        }
    }
    bytes.truncate(head);
    let start = bytes.iter().find(|b| !b.is_ascii_whitespace());
    let bom = bytes.starts_with(&[0xEF, 0xBB, 0xBF]);
    if start.is_some_and(|b| *b != b'{') && !bom {
        return Err(
            "it does not start like a JSON trace (`{`), so it is not a conlab trace".into(),
        );
    }
    file.take(MAX_TRACE_BYTES as u64 + 1 - head as u64)
        .read_to_end(&mut bytes)
        .map_err(|e| e.to_string())?;
    if bytes.len() > MAX_TRACE_BYTES {
        return Err(format!(
            "it is larger than a trace may be ({} MB)",
            MAX_TRACE_BYTES / (1024 * 1024)
        ));
    }
    String::from_utf8(bytes)
        .map_err(|_| "it is not text (UTF-8), so not a conlab trace".to_string())
}
