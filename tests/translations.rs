//! Every check description written in the scenario code has its Simplified Chinese text in
//! the playground's table (`web/i18n/zh-CN.json`), including checks that only some
//! parameters or machines produce. (The browser tests check the descriptions runs report.)

use std::path::{Path, PathBuf};

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap().flatten() {
        let path = entry.path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// The playground's Chinese texts, `web/i18n/zh-CN.json` under the workspace `root`.
fn zh_table(root: &Path) -> serde_json::Value {
    let text = std::fs::read_to_string(root.join("web/i18n/zh-CN.json")).unwrap();
    serde_json::from_str(&text).unwrap()
}

/// The string literal at the start of `s` (after whitespace), and what follows it.
fn literal(s: &str) -> Option<(String, &str)> {
    let s = s.trim_start().strip_prefix('"')?;
    let mut text = String::new();
    let mut chars = s.char_indices();
    while let Some((i, c)) = chars.next() {
        match c {
            '\\' => text.push(chars.next()?.1),
            '"' => return Some((text, &s[i + 1..])),
            c => text.push(c),
        }
    }
    None
}

/// The descriptions of `.check(`, `.about(`, `.at_least(` and `.output_is(` calls whose id
/// and description are both literals.
fn descriptions(code: &str) -> Vec<String> {
    let mut found = Vec::new();
    for method in [".check(", ".about(", ".at_least(", ".output_is("] {
        for (at, _) in code.match_indices(method) {
            let rest = &code[at + method.len()..];
            let Some((_id, rest)) = literal(rest) else {
                continue;
            };
            let Some(rest) = rest.trim_start().strip_prefix(',') else {
                continue;
            };
            if let Some((description, _)) = literal(rest) {
                found.push(description);
            }
        }
    }
    found
}

#[test]
fn every_check_description_has_its_chinese_text() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let table = zh_table(&root);

    let mut files = Vec::new();
    rust_files(&root.join("crates"), &mut files);
    let mut all: Vec<String> = files
        .iter()
        .flat_map(|f| descriptions(&std::fs::read_to_string(f).unwrap()))
        .collect();
    all.sort();
    all.dedup();
    assert!(all.len() > 100, "found only {} descriptions", all.len());
    let missing: Vec<&String> = all
        .iter()
        .filter(|d| !table[format!("check {d}").as_str()].is_string())
        .collect();
    assert!(
        missing.is_empty(),
        "add these to web/i18n/zh-CN.json as \"check <description>\": {missing:#?}"
    );
}

#[test]
fn the_scanner_reads_literals_across_lines() {
    let code = "c.check(\n    \"order\",\n    \"output order is \\\"1 3\\\"\",\n    ok,\n);\nc.about(\"x\", &format!(\"{n}\"), 1, d);";
    assert_eq!(
        descriptions(code),
        vec!["output order is \"1 3\"".to_string()]
    );
}

/// The sentence shapes of check details that have their Chinese (`detail <shape>` keys).
fn detail_shapes(table: &serde_json::Value) -> Vec<String> {
    table
        .as_object()
        .unwrap()
        .keys()
        .filter_map(|k| k.strip_prefix("detail ").map(String::from))
        .collect()
}

#[test]
fn every_check_detail_the_page_shows_has_its_chinese_shape() {
    use conlab_core::{catalog, template::holes};
    use conlab_scenarios::RuntimeChoice::Virtual;
    use conlab_tests::draw::{draw, Budget, Rng};
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let table = zh_table(&root);
    let shapes = detail_shapes(&table);
    let mut details: Vec<(String, String)> = Vec::new();
    // What the page runs: every browser scenario, with defaults and drawn values.
    let mut rng = Rng::new(0x5eed_c0de);
    for id in conlab_tests::generic_ids() {
        let info = catalog::find(id).unwrap();
        let mut sets = vec![Vec::new()];
        sets.extend((0..8).map(|_| draw(info, &mut rng, Budget::CI)));
        for set in sets {
            let assignments: Vec<&str> = set.iter().map(String::as_str).collect();
            let trace = conlab_tests::run(id, Virtual, &assignments);
            details.extend(
                trace
                    .checks
                    .iter()
                    .map(|c| (id.to_string(), c.detail.clone())),
            );
        }
    }
    // What the page runs on the scheduler: every thread scenario on the seam, likewise.
    for row in conlab_scenarios::registry::all()
        .iter()
        .filter(|r| r.scheduled.is_some())
    {
        let info = row.info();
        let mut sets = vec![Vec::new()];
        sets.extend((0..8).map(|_| draw(info, &mut rng, Budget::CI)));
        for set in sets {
            let params = conlab_core::Params::from_assignments(
                info.id,
                info.params,
                set.iter().map(String::as_str),
            )
            .unwrap();
            let run = conlab_scenarios::scheduled::run(row, &params, None).unwrap();
            details.extend(
                run.trace
                    .checks
                    .iter()
                    .map(|c| (info.id.to_string(), c.detail.clone())),
            );
        }
    }
    // What the page shows of native runs: the recordings it ships.
    for entry in std::fs::read_dir(root.join("web/recorded"))
        .unwrap()
        .flatten()
    {
        let text = std::fs::read_to_string(entry.path()).unwrap();
        if let Ok(trace) = conlab_core::Trace::from_json(&text) {
            details.extend(
                trace
                    .checks
                    .iter()
                    .map(|c| (trace.scenario.clone(), c.detail.clone())),
            );
        }
    }
    let mut missing: Vec<String> = details
        .iter()
        .filter(|(_, d)| !d.is_empty() && !shapes.iter().any(|s| holes(s, d).is_some()))
        .map(|(id, d)| format!("{id}: {d}"))
        .collect();
    missing.sort();
    missing.dedup();
    assert!(
        missing.is_empty(),
        "add a \"detail <shape with {{}}>\" for each to web/i18n/zh-CN.json:\n{}",
        missing.join("\n")
    );
}

#[test]
fn every_mark_a_step_through_names_has_its_chinese_name() {
    // A step-through says each mark of a scheduled run by its name ("gil handover"): in
    // Chinese, by the `mark <name>` texts. (Wake links and deadlock waits are said otherwise.)
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let table = zh_table(&root);
    let mut missing = Vec::new();
    for row in conlab_scenarios::registry::all()
        .iter()
        .filter(|r| r.scheduled.is_some())
    {
        let params = conlab_core::Params::defaults(row.info().params);
        let run = conlab_scenarios::scheduled::run(row, &params, None).unwrap();
        for m in &run.trace.marks {
            let key = format!("mark {}", m.name);
            if !matches!(m.name.as_str(), "wakes" | "waits_for") && table.get(&key).is_none() {
                missing.push(format!("{}: {}", row.id, m.name));
            }
        }
    }
    missing.sort();
    missing.dedup();
    assert!(
        missing.is_empty(),
        "add a \"mark <name>\" for each to web/i18n/zh-CN.json:\n{}",
        missing.join("\n")
    );
}
