//! `conlab list`: the catalog as a table or JSON, or one scenario in full.

use crate::cli::{ListArgs, ListFormat};
use crate::out::outln;
use crate::Failure;
use anyhow::anyhow;
use conlab_core::catalog::{self, Chapter, CATALOG};

pub fn run(args: ListArgs) -> Result<(), Failure> {
    let runnable = conlab_scenarios::native_ids();
    if let Some(id) = &args.id {
        let info = catalog::lookup(id).map_err(|e| Failure::Usage(anyhow!(e)))?;
        if args.format == ListFormat::Json {
            outln!(
                "{}",
                serde_json::to_string_pretty(info).map_err(|e| Failure::Run(e.into()))?
            );
            return Ok(());
        }
        outln!("{} — {}", info.id, info.title);
        if !runnable.contains(&info.id) {
            outln!("status: planned — in the catalog, but this build cannot run it yet");
        }
        outln!(
            "chapter: {}   runs on: {}{}",
            info.chapter.title(),
            info.platforms.letters(),
            if conlab_scenarios::cpython::has_program(info.id) {
                "   Python program: yes (--runtime cpython)"
            } else {
                ""
            }
        );
        outln!("\n{}\n", info.explanation);
        if info.params.is_empty() {
            outln!("no parameters");
        }
        for p in info.params {
            outln!(
                "  -p {}={}\n      {}; allowed: {}",
                p.name,
                p.default_value(),
                p.help,
                p.range_text()
            );
        }
        outln!("  -p time-scale=1\n      multiplies every duration; allowed: 0.01 to 100");
        return Ok(());
    }
    if args.format == ListFormat::Json {
        let list: Vec<serde_json::Value> = CATALOG
            .iter()
            .map(|s| {
                let mut v = serde_json::to_value(s).unwrap_or_default();
                v["available_natively"] = serde_json::Value::Bool(runnable.contains(&s.id));
                v["python_program"] = conlab_scenarios::cpython::program(s.id)
                    .map_or(serde_json::Value::Null, |p| format!("python/{p}").into());
                v
            })
            .collect();
        outln!(
            "{}",
            serde_json::to_string_pretty(&list).map_err(|e| Failure::Run(e.into()))?
        );
        return Ok(());
    }
    outln!("{:<24} {:<7} {:<9} TITLE", "ID", "WHERE", "STATUS");
    for chapter in Chapter::ALL {
        outln!("\n{} ({})", chapter.title(), chapter.id());
        for s in CATALOG.iter().filter(|s| s.chapter == chapter) {
            let status = if runnable.contains(&s.id) {
                "ready"
            } else {
                "planned"
            };
            let mut places = s.platforms.letters();
            if conlab_scenarios::cpython::has_program(s.id) {
                places.push_str(" P");
            }
            outln!("  {:<22} {:<7} {:<9} {}", s.id, places, status, s.title);
        }
    }
    outln!(
        "\nWHERE: B in the page (its event loop, or the scheduler in a Worker), N native, V virtual time, P as a Python program under CPython (--runtime cpython).\n`conlab list ID` describes one."
    );
    Ok(())
}
