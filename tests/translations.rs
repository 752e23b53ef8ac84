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
    let table: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(root.join("web/i18n/zh-CN.json")).unwrap())
            .unwrap();

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
