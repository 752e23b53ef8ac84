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

/// The ids of checks the code writes: the first literal of `.check(`, `.not_judged(`,
/// `.time(`, `.about(` and `.output_is(` (test modules left out).
fn check_ids(code: &str) -> Vec<String> {
    let code = code.split("#[cfg(test)]").next().unwrap_or(code);
    let mut found = Vec::new();
    for method in [
        ".check(",
        ".not_judged(",
        ".time(",
        ".about(",
        ".output_is(",
    ] {
        for (at, _) in code.match_indices(method) {
            if let Some((id, _)) = literal(&code[at + method.len()..]) {
                if !id.is_empty()
                    && id
                        .chars()
                        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
                {
                    found.push(id);
                }
            }
        }
    }
    found
}

#[test]
fn every_check_id_has_its_chinese_words() {
    // The page names each check by its id; in Chinese, by the words of `checkid <id>`.
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let table = zh_table(&root);
    let mut files = Vec::new();
    rust_files(&root.join("crates"), &mut files);
    let mut ids: Vec<String> = files
        .iter()
        .flat_map(|f| check_ids(&std::fs::read_to_string(f).unwrap()))
        .collect();
    // Ids a scenario builds as it runs (`{mode}-overlap`) or passes through a helper are in
    // its recorded runs.
    for entry in std::fs::read_dir(root.join("web/recorded")).unwrap() {
        let text = std::fs::read_to_string(entry.unwrap().path()).unwrap();
        let trace = conlab_core::Trace::from_json(&text).unwrap();
        ids.extend(trace.checks.into_iter().map(|c| c.id));
    }
    ids.sort();
    ids.dedup();
    assert!(ids.len() > 100, "found only {} check ids", ids.len());
    let missing: Vec<&String> = ids
        .iter()
        .filter(|id| table.get(format!("checkid {id}")).is_none())
        .collect();
    assert!(
        missing.is_empty(),
        "add a \"checkid <id>\" for each to web/i18n/zh-CN.json: {missing:?}"
    );
}

/// Words in Latin letters a Chinese text may keep: code a reader types or reads in code (API
/// names, Python keywords, lane names), acronyms and names of products, and unit symbols.
/// Scenario ids and parameter names are allowed too, and anything in backticks or quotes.
const LATIN_ALLOWED: &[&str] = &[
    // API names and Python keywords.
    "join",
    "wait",
    "gather",
    "notify",
    "notify_all",
    "set",
    "clear",
    "await",
    "async",
    "with",
    "for",
    "if",
    "while",
    "yield",
    "from",
    "timeout",
    "return_when",
    "set_result",
    "as_completed",
    "wait_for",
    "Event",
    "Future",
    "Lock",
    "RLock",
    "BoundedSemaphore",
    "Semaphore",
    "Condition",
    "Manager",
    "create_task",
    "add_done_callback",
    "run_in_executor",
    "queue.Queue",
    "Pool.map",
    "CancelledError",
    "map",
    "greenlet",
    "gevent",
    "pid",
    "id",
    "exit",
    "counter",
    "SLEEP",
    "asyncio",
    "tokio",
    "uvloop",
    "threading",
    "multiprocessing",
    "Queue",
    "Pool",
    "Thread",
    "Process",
    "sleep",
    "print",
    "time.sleep",
    "GET",
    "POST",
    "main",
    "MainThread",
    "loop-thread",
    "worker-1",
    "gr1",
    "gr2",
    "ceil",
    "min",
    "max",
    "p50",
    "p90",
    "p99",
    "p99.9",
    "n-1",
    // Acronyms and names.
    "GIL",
    "IO",
    "CPU",
    "PID",
    "PIDs",
    "HTTP",
    "TCP",
    "API",
    "URL",
    "JSON",
    "OS",
    "Redis",
    "MySQL",
    "MariaDB",
    "conlab",
    "Perfetto",
    "Python",
    "CPython",
    "Rust",
    "Worker",
    "iframe",
    "Web",
    "CRC-32",
    "Content-Length",
    "Transfer-Encoding",
    "chunked",
    "Ctrl",
    "Shift",
    "PCT",
    "DFS",
    "zh-CN",
    // conlab's commands (`conlab serve`, `conlab show`) and values of its parameters.
    "serve",
    "show",
    "time-scale",
    "assign",
    "increment",
    "unguarded",
    "queue",
    // Unit symbols.
    "ms",
    "s",
    "ns",
    "µs",
    "KB",
    "MB",
    "GB",
    "req",
    "ops",
];

/// The English and Chinese of every text the page shows in Chinese: the table's entries (their
/// English is their key, or for `ui` names the playground's English in `web/src/i18n.rs`) and
/// the Chinese written in `web/src/i18n.rs` itself, beside its English.
fn every_text(root: &Path) -> Vec<(String, String, String)> {
    let table = zh_table(root);
    let i18n = std::fs::read_to_string(root.join("web/src/i18n.rs")).unwrap();
    let ui_english = |name: &str| -> String {
        let needle = format!("    {name} => ");
        i18n.find(&needle)
            .and_then(|at| literal(&i18n[at + needle.len()..]))
            .map(|(text, _)| text)
            .unwrap_or_default()
    };
    let mut texts: Vec<(String, String, String)> = table
        .as_object()
        .unwrap()
        .iter()
        .map(|(key, zh)| {
            let (kind, rest) = key.split_once(' ').unwrap_or((key, ""));
            let english = match kind {
                "ui" => ui_english(rest),
                _ => rest.to_string(),
            };
            (key.clone(), english, zh.as_str().unwrap_or("").to_string())
        })
        .collect();
    let mut english = String::new();
    for line in i18n.lines() {
        for (arm, chinese) in [("Lang::En", false), ("Lang::ZhCn", true)] {
            // The arm's own text: a literal, or `format!`'s, right after `=>`.
            let Some(at) = line.find(arm) else { continue };
            let Some(arrow) = line[at..].find("=>") else {
                continue;
            };
            let rest = line[at + arrow + 2..].trim_start();
            let rest = rest.strip_prefix("format!(").unwrap_or(rest);
            let Some((text, _)) = literal(rest) else {
                continue;
            };
            if chinese {
                texts.push(("i18n.rs".to_string(), english.clone(), text));
            } else {
                english = text;
            }
        }
    }
    texts
}

/// The words in Latin letters of a Chinese text outside code, quotes and `{}` holes.
fn latin_words(zh: &str) -> Vec<String> {
    let mut plain = String::new();
    let mut closing: Option<char> = None;
    for c in zh.chars() {
        match closing {
            Some(end) if c == end => closing = None,
            Some(_) => {}
            None => match c {
                '`' => closing = Some('`'),
                '"' => closing = Some('"'),
                '“' => closing = Some('”'),
                '「' => closing = Some('」'),
                c => plain.push(c),
            },
        }
    }
    // Holes (`{}`, `{name}`) are filled with numbers and names.
    let mut holeless = String::new();
    let mut in_hole = false;
    for c in plain.chars() {
        match c {
            '{' => in_hole = true,
            '}' if in_hole => {
                in_hole = false;
                holeless.push(' ');
            }
            c if !in_hole => holeless.push(c),
            _ => {}
        }
    }
    let mut words = Vec::new();
    let mut word = String::new();
    let mut before = ' ';
    let mut code = false;
    for c in holeless.chars().chain([' ']) {
        if c.is_ascii_alphanumeric() || (!word.is_empty() && matches!(c, '_' | '-' | '.')) {
            if word.is_empty() {
                // A URL's path (`/redis`), a command-line flag (`--allow-remote`).
                code = matches!(before, '/' | '-');
            }
            word.push(c);
        } else {
            let w = word.trim_end_matches(['.', '-']);
            // An HTML attribute (`data-compact`) is code too.
            if !code && !w.starts_with("data-") && w.chars().any(|c| c.is_ascii_alphabetic()) {
                words.push(w.to_string());
            }
            word.clear();
            before = c;
        }
    }
    words
}

#[test]
fn the_chinese_texts_read_as_chinese_and_a_reviewer_gets_them_in_one_table() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let texts = every_text(&root);
    assert!(texts.len() > 900, "found only {} texts", texts.len());
    // The table a reviewer reads in a sitting.
    let mut review = String::from(
        "# conlab's Chinese texts, beside their English\n\nGlossary: web/i18n/GLOSSARY.md.\n\n| key | English | 中文 |\n|---|---|---|\n",
    );
    let cell = |s: &str| s.replace('|', "\\|").replace('\n', " ");
    for (key, english, zh) in &texts {
        review.push_str(&format!(
            "| {} | {} | {} |\n",
            cell(key),
            cell(english),
            cell(zh)
        ));
    }
    let out = root.join("target/zh-CN-review.md");
    std::fs::write(&out, review).unwrap();
    // Identifiers a Chinese text may name: scenario ids and parameter names.
    let mut allowed: Vec<String> = LATIN_ALLOWED.iter().map(|w| w.to_string()).collect();
    for info in conlab_core::catalog::CATALOG {
        allowed.push(info.id.to_string());
        allowed.extend(info.params.iter().map(|p| p.name.to_string()));
    }
    let mut foreign: Vec<String> = Vec::new();
    for (key, _, zh) in &texts {
        for word in latin_words(zh) {
            let single = word.len() == 1;
            if !single && !allowed.contains(&word) {
                foreign.push(format!("{key}: {word:?} in {zh}"));
            }
        }
    }
    assert!(
        foreign.is_empty(),
        "{} Chinese texts keep English words (translate them, or put code in backticks; the \
         whole table is in {}):\n{}",
        foreign.len(),
        out.display(),
        foreign.join("\n")
    );
}

#[test]
fn every_metric_the_page_lists_has_its_chinese_name() {
    // The page lists a run's figures by name ("timer_lateness_ms = 0.2 ms"): in Chinese, by
    // the words of `metric <key>`, and a unit that is a word ("cores") by `unit <unit>`.
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let table = zh_table(&root);
    let figures: Vec<(String, conlab_core::Metric)> = traces_at_defaults(&root)
        .into_iter()
        .flat_map(|(id, t)| t.metrics.extra.into_iter().map(move |m| (id.clone(), m)))
        .collect();
    let symbol =
        |u: &str| u.len() <= 2 || u.contains('/') || LATIN_ALLOWED.contains(&u) || u == "µs";
    let mut missing: Vec<String> = Vec::new();
    for (id, m) in &figures {
        if table.get(format!("metric {}", m.key)).is_none() {
            missing.push(format!("metric {} ({id})", m.key));
        }
        if !symbol(&m.unit) && table.get(format!("unit {}", m.unit)).is_none() {
            missing.push(format!("unit {} ({id})", m.unit));
        }
    }
    missing.sort();
    missing.dedup_by(|a, b| a.split(" (").next() == b.split(" (").next());
    assert!(
        missing.is_empty(),
        "add each to web/i18n/zh-CN.json:\n{}",
        missing.join("\n")
    );
}

#[test]
fn every_phase_the_timeline_names_has_its_chinese_name() {
    // The timeline names each phase under its axis ("sequential", "gil_threads"): in
    // Chinese, by `phase <name>` (API names the lesson is about, `gather` and `wait`, stay).
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let table = zh_table(&root);
    let phases: Vec<(String, String)> = traces_at_defaults(&root)
        .into_iter()
        .flat_map(|(id, t)| {
            t.marks_named(conlab_core::PHASE_START)
                .map(|m| (id.clone(), m.detail.clone()))
                .collect::<Vec<_>>()
        })
        .collect();
    let mut missing: Vec<String> = phases
        .iter()
        .filter(|(_, p)| !matches!(p.as_str(), "gather" | "wait"))
        .filter(|(_, p)| table.get(format!("phase {p}")).is_none())
        .map(|(id, p)| format!("{p} ({id})"))
        .collect();
    missing.sort();
    missing.dedup();
    assert!(
        missing.is_empty(),
        "add a \"phase <name>\" for each to web/i18n/zh-CN.json:\n{}",
        missing.join("\n")
    );
}

/// What the page shows at the scenarios' defaults: every async scenario on the virtual-time
/// runtime (as the page's Worker runs it), every thread scenario on the scheduler, and the
/// native recordings the site ships, each with its scenario's id.
fn traces_at_defaults(root: &Path) -> Vec<(String, conlab_core::Trace)> {
    use conlab_scenarios::RuntimeChoice::Virtual;
    let mut traces: Vec<(String, conlab_core::Trace)> = conlab_tests::generic_ids()
        .into_iter()
        .map(|id| (id.to_string(), conlab_tests::run(id, Virtual, &[])))
        .collect();
    for row in conlab_scenarios::registry::all()
        .iter()
        .filter(|r| r.scheduled.is_some())
    {
        let params = conlab_core::Params::defaults(row.info().params);
        let run = conlab_scenarios::scheduled::run(row, &params, None).unwrap();
        traces.push((row.id.to_string(), run.trace));
    }
    for entry in std::fs::read_dir(root.join("web/recorded"))
        .unwrap()
        .flatten()
    {
        let text = std::fs::read_to_string(entry.path()).unwrap();
        if let Ok(trace) = conlab_core::Trace::from_json(&text) {
            traces.push((trace.scenario.clone(), trace));
        }
    }
    traces
}

/// The unit word of every count parameter has its Chinese ("1–100,000 次更新", not
/// "1–100,000 updates"): the form shows it beside the range.
#[test]
fn every_parameter_s_unit_has_its_chinese_word() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let table = zh_table(&root);
    let mut missing = Vec::new();
    for info in conlab_core::catalog::CATALOG {
        for p in info.params {
            if let conlab_core::ParamKind::Count { unit, .. } = p.kind {
                // A unit symbol (KB, %) reads the same in Chinese.
                let symbol = unit.len() <= 2 || LATIN_ALLOWED.contains(&unit);
                if !symbol && table.get(format!("unit {unit}")).is_none() {
                    missing.push(format!("unit {unit} ({} {})", info.id, p.name));
                }
            }
        }
    }
    assert!(missing.is_empty(), "no Chinese for: {}", missing.join(", "));
}
