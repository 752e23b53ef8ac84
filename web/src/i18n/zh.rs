//! The Simplified Chinese texts that are data: the catalog's titles, explanations and
//! parameter help, and every check description. They live in `web/i18n/zh-CN.json`, which the
//! page fetches the first time it shows Chinese (so readers of English never download them),
//! and are kept for the page's lifetime.
//!
//! The file is one flat object, keyed by what is translated: `title <id>`,
//! `explanation <id>`, `param <id> <name>` and `check <English description>`. (A flat map of
//! strings reads with the code that already reads a trace's parameters; nested types would
//! add their own JSON reader to the download.)

use std::cell::Cell;
use std::collections::BTreeMap;

/// Where the page finds the file, relative to itself.
pub const URL: &str = "i18n/zh-CN.json";

type Table = BTreeMap<String, String>;

thread_local! {
    static TABLE: Cell<Option<&'static Table>> = const { Cell::new(None) };
}

/// Reads the file's text and keeps the table for the rest of the page's life.
pub fn load(text: &str) -> Result<(), String> {
    let table: Table = serde_json::from_str(text).map_err(|e| format!("{URL} is damaged: {e}"))?;
    TABLE.with(|t| t.set(Some(Box::leak(Box::new(table)))));
    Ok(())
}

/// Whether the table is loaded.
pub fn loaded() -> bool {
    TABLE.with(Cell::get).is_some()
}

/// Fetches and loads the file, unless it is loaded already.
pub async fn fetch() -> Result<(), String> {
    if loaded() {
        return Ok(());
    }
    let text = crate::share::fetch_text(URL)
        .await
        .map_err(|e| super::Lang::En.fetch_error(URL, e))?;
    load(&text)
}

/// The text under `what` (`title`, `explanation`, `param`, `check`, `ui`) and `key`, if loaded.
#[inline(never)]
pub fn text(what: &str, key: &str) -> Option<&'static str> {
    let table = TABLE.with(Cell::get)?;
    table.get(&format!("{what} {key}")).map(String::as_str)
}

/// A check's detail in Chinese: the Chinese of the `detail` sentence shape it fits best (the
/// one with the most literal text), its holes filled with what the English had there — each
/// hole said in Chinese too where it has a shape of its own (a "with …" allowance, a wrong
/// behaviour), a few levels deep.
#[inline(never)]
pub fn detail(en: &str) -> Option<String> {
    translate(en, 4)
}

fn translate(en: &str, depth: u8) -> Option<String> {
    // Said once per text: a page draws the same checks again and again, and matching a text
    // against every sentence shape is the costliest thing a Chinese result does.
    thread_local! {
        static SAID: std::cell::RefCell<Vec<(String, u8, Option<String>)>> =
            const { std::cell::RefCell::new(Vec::new()) };
    }
    let known = SAID.with(|said| {
        said.borrow()
            .iter()
            .find(|(e, d, _)| e == en && *d == depth)
            .map(|(_, _, zh)| zh.clone())
    });
    if let Some(zh) = known {
        return zh;
    }
    let zh = translate_afresh(en, depth);
    SAID.with(|said| {
        let mut said = said.borrow_mut();
        // A page shows a few hundred details at most; beyond that, start again.
        if said.len() > 2_000 {
            said.clear();
        }
        said.push((en.to_string(), depth, zh.clone()));
    });
    zh
}

fn translate_afresh(en: &str, depth: u8) -> Option<String> {
    use conlab_core::template::{holes, literal_len};
    let table = TABLE.with(Cell::get)?;
    let (zh, parts) = table
        .iter()
        .filter_map(|(key, zh)| {
            let pattern = key.strip_prefix("detail ")?;
            // Read from the front: the shape that says most before its first hole, then the
            // one that says most in all.
            let front = pattern.find("{}").unwrap_or(pattern.len());
            holes(pattern, en).map(|parts| ((front, literal_len(pattern)), zh, parts))
        })
        .max_by_key(|(len, _, _)| *len)
        .map(|(_, zh, parts)| (zh, parts))?;
    // The template filled by hand, each hole said in Chinese where it has words in it (a
    // figure such as "200 ms" stays as it is).
    let mut out = String::with_capacity(zh.len() + en.len());
    let mut parts = parts.into_iter();
    for (i, piece) in zh.split("{}").enumerate() {
        if i > 0 {
            let part = parts.next().unwrap_or("");
            // A yes-or-no figure, in words.
            let part = match part {
                "true" | "yes" => "是",
                "false" | "no" => "否",
                part => part,
            };
            if let Some(said) = phase_list(part) {
                out.push_str(&said);
                out.push_str(piece);
                continue;
            }
            let worded = depth > 0
                && part
                    .split(' ')
                    .any(|w| w.len() > 2 && w.bytes().all(|b| b.is_ascii_lowercase()));
            match worded.then(|| translate(part, depth - 1)).flatten() {
                Some(said) => out.push_str(&said),
                None => out.push_str(part),
            }
        }
        out.push_str(piece);
    }
    Some(tidy_spaces(&out))
}

/// A list of phases as the checks write it (`sequential: 10 in 3,018 ms; threads: 10 in 332
/// ms`), each phase by its Chinese name (`phase <name>`): `顺序执行：10 个，用时 3,018 ms；…`.
fn phase_list(part: &str) -> Option<String> {
    let items: Option<Vec<String>> = part
        .split("; ")
        .map(|item| {
            let (name, rest) = item.split_once(": ")?;
            let (done, took) = rest.split_once(" in ")?;
            let done_is_count =
                !done.is_empty() && done.bytes().all(|b| b.is_ascii_digit() || b == b',');
            let zh_name = text("phase", name)?;
            done_is_count.then(|| format!("{zh_name}：{done} 个，用时 {took}"))
        })
        .collect();
    Some(items?.join("；"))
}

/// Chinese set with no space between Chinese characters, nor after full-width punctuation: a
/// template's space beside a hole is for a figure or a Latin word (`约 200 ms`), and goes where
/// the hole was filled with Chinese (`约用户数 × 处理时间`).
pub fn tidy_spaces(text: &str) -> String {
    let wide = |c: char| matches!(c, '\u{4e00}'..='\u{9fff}' | '\u{3000}'..='\u{303f}' | '\u{ff00}'..='\u{ffef}');
    let chars: Vec<char> = text.chars().collect();
    let mut out = String::with_capacity(text.len());
    for (i, &c) in chars.iter().enumerate() {
        if c == ' ' && i > 0 && i + 1 < chars.len() {
            let (before, after) = (chars[i - 1], chars[i + 1]);
            let punct = |c: char| matches!(c, '：' | '，' | '；' | '。' | '（' | '）' | '、');
            if (wide(before) && wide(after)) || punct(before) || punct(after) {
                continue;
            }
        }
        out.push(c);
    }
    out
}
