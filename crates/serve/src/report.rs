//! A suite of runs (`conlab run-native`'s folder: traces and `index.json`) as a static folder
//! of pages: `index.html` lists every run (scenario, status, makespan, checks, a small
//! timeline) and opens each in the playground's viewer (`app/`, a copy of the web app, with
//! `?trace=`); with a second suite, the list compares them run by run. The folder works from
//! any web server and from `conlab serve --open`.

use crate::assets;
use conlab_core::catalog;
use conlab_core::{SpanState, Trace};
use conlab_scenarios::suite::{read_index, SuiteEntry};
use std::fmt::Write as _;
use std::fs;
use std::path::{Path, PathBuf};

/// One suite read from its folder.
pub struct Suite {
    /// Its folder's name (the label shown).
    pub label: String,
    /// Its runs, in the index's order, each with its trace when the file reads. Every trace
    /// is checked again, as `conlab show` does, and the entry's `passed` is the re-check's.
    pub runs: Vec<(SuiteEntry, Option<Trace>)>,
    /// Where a saved verdict (the trace's own checks, or `index.json`'s `passed`) differs from
    /// the re-check: the scenario and what differs, in words.
    pub differences: Vec<(String, Vec<String>)>,
    /// The machine it ran on and when, from its first trace.
    pub host: Option<String>,
    /// When its first run was recorded.
    pub recorded_at: Option<String>,
}

/// Why a report could not be made.
#[derive(Debug, thiserror::Error)]
pub enum ReportError {
    /// The folder is not a suite.
    #[error("{dir} is not a suite of runs: its index.json could not be read ({error}); give a folder `conlab run-native` wrote, such as target/conlab/runs/<date>", dir = dir.display())]
    NotASuite {
        /// The folder.
        dir: PathBuf,
        /// Why.
        error: String,
    },
    /// The report could not be written.
    #[error("could not write the report in {dir}: {error}", dir = dir.display())]
    Write {
        /// The folder.
        dir: PathBuf,
        /// Why.
        error: std::io::Error,
    },
}

/// What a written report holds.
#[derive(Debug)]
pub struct Written {
    /// Its `index.html`.
    pub index: PathBuf,
    /// Whether it carries the viewer (the web app was found).
    pub viewer: bool,
    /// Runs whose trace files could not be read (listed as missing).
    pub unreadable: Vec<String>,
}

/// What every report's page carries, so an earlier report is known for one (and may be
/// written over).
pub const MARK: &str = "<meta name=\"generator\" content=\"conlab report\">";

impl Suite {
    /// Reads the suite in `dir`.
    pub fn read(dir: &Path) -> Result<Suite, ReportError> {
        let index = read_index(dir).map_err(|e| ReportError::NotASuite {
            dir: dir.to_path_buf(),
            error: e.to_string(),
        })?;
        let mut differences = Vec::new();
        let runs: Vec<(SuiteEntry, Option<Trace>)> = index
            .into_iter()
            .map(|mut entry| {
                let trace = conlab_core::files::read_text_at_most(
                    &dir.join(&entry.file),
                    conlab_core::MAX_TRACE_BYTES as u64,
                )
                .ok()
                .and_then(|text| Trace::from_json(&text).ok())
                .map(|trace| recheck(&mut entry, trace, &mut differences));
                (entry, trace)
            })
            .collect();
        let first = runs.iter().find_map(|(_, t)| t.as_ref());
        let label = dir
            .canonicalize()
            .unwrap_or_else(|_| dir.to_path_buf())
            .file_name()
            .map_or_else(|| "suite".into(), |n| n.to_string_lossy().into_owned());
        Ok(Suite {
            label,
            host: first.and_then(|t| t.host.clone()),
            recorded_at: first.and_then(|t| t.recorded_at.clone()),
            runs,
            differences,
        })
    }
}

/// Checks `trace` again (a saved verdict is never simply believed): its checks and standard
/// metrics become the re-check's, `entry.passed` the re-checked verdict, and what the file or
/// the index said otherwise is noted in `differences`.
fn recheck(
    entry: &mut SuiteEntry,
    mut trace: Trace,
    differences: &mut Vec<(String, Vec<String>)>,
) -> Trace {
    let mut differ = Vec::new();
    match conlab_scenarios::recheck(&trace) {
        Ok(again) => {
            differ = again.differences;
            trace.checks = again.checks;
            trace.metrics = again.metrics;
        }
        Err(e) => differ.push(format!("could not be checked again: {e}")),
    }
    // The index's status and makespan are the trace's, or said to differ.
    let status = trace.status.label();
    if entry.status != status {
        differ.push(format!(
            "index.json says {}, the trace: {status}",
            entry.status
        ));
        entry.status = status.to_string();
    }
    let makespan = trace.metrics.makespan as f64 / 1e6;
    if (entry.makespan_ms - makespan).abs() > 0.0005 {
        differ.push(format!(
            "index.json gives a makespan of {} ms, the trace {makespan:.3} ms",
            entry.makespan_ms
        ));
        entry.makespan_ms = makespan;
    }
    // A run that did not happen as a whole has no figure to show.
    if trace.outcome() == conlab_core::Outcome::NoVerdict {
        entry.makespan_ms = f64::NAN;
    }
    let passed = trace.passed();
    if entry.passed != passed {
        differ.push(format!(
            "index.json says {}, the re-check: {}",
            if entry.passed { "passed" } else { "not passed" },
            if passed { "passed" } else { "not passed" }
        ));
        entry.passed = passed;
    }
    if !differ.is_empty() {
        differences.push((entry.scenario.clone(), differ));
    }
    trace
}

/// Writes the report of `suite` (compared with `other`, when given) into `out`: `index.html`,
/// the traces under `runs/`, and the viewer under `app/` when a web app is at hand (inside
/// this binary, or `web_dist` on disk).
pub fn write(
    suite: &Suite,
    other: Option<&Suite>,
    out: &Path,
    web_dist: Option<&Path>,
) -> Result<Written, ReportError> {
    let fail = |error: std::io::Error| ReportError::Write {
        dir: out.to_path_buf(),
        error,
    };
    fs::create_dir_all(out.join("runs")).map_err(fail)?;
    let viewer = copy_viewer(out, web_dist).map_err(fail)?;
    for (n, s) in std::iter::once(suite).chain(other).enumerate() {
        let dir = out.join("runs").join(slot(n));
        fs::create_dir_all(&dir).map_err(fail)?;
        for (entry, trace) in &s.runs {
            if let Some(trace) = trace {
                conlab_core::files::write_atomically(
                    &dir.join(safe_name(&entry.file)),
                    trace.to_json().as_bytes(),
                )
                .map_err(fail)?;
            }
        }
    }
    let html = page(suite, other, viewer);
    let index = out.join("index.html");
    conlab_core::files::write_atomically(&index, html.as_bytes()).map_err(fail)?;
    let unreadable = std::iter::once(suite)
        .chain(other)
        .flat_map(|s| s.runs.iter())
        .filter(|(_, t)| t.is_none())
        .map(|(e, _)| e.file.clone())
        .collect();
    Ok(Written {
        index,
        viewer,
        unreadable,
    })
}

fn slot(n: usize) -> &'static str {
    if n == 0 {
        "a"
    } else {
        "b"
    }
}

/// A trace file's name as the report stores it (no folders, nothing hidden).
fn safe_name(file: &str) -> String {
    let name = file.rsplit('/').next().unwrap_or(file);
    name.trim_start_matches('.').to_string()
}

/// Copies the web app into `out/app`; false when none is at hand.
fn copy_viewer(out: &Path, web_dist: Option<&Path>) -> std::io::Result<bool> {
    let app = out.join("app");
    let embedded = assets::web_app_files();
    if !embedded.is_empty() {
        for (path, bytes) in embedded {
            let file = app.join(&path);
            if let Some(parent) = file.parent() {
                fs::create_dir_all(parent)?;
            }
            conlab_core::files::write_atomically(&file, bytes)?;
        }
        return Ok(true);
    }
    match web_dist.filter(|d| d.join("index.html").is_file()) {
        Some(dist) => {
            copy_dir(dist, &app)?;
            Ok(true)
        }
        None => Ok(false),
    }
}

fn copy_dir(from: &Path, to: &Path) -> std::io::Result<()> {
    fs::create_dir_all(to)?;
    for entry in fs::read_dir(from)? {
        let entry = entry?;
        let target = to.join(entry.file_name());
        if entry.file_type()?.is_dir() {
            copy_dir(&entry.path(), &target)?;
        } else {
            fs::copy(entry.path(), target)?;
        }
    }
    Ok(())
}

/// The Chinese texts the page fetches; the report takes the scenarios' titles from them.
const ZH_TEXTS: &str = include_str!("../../../web/i18n/zh-CN.json");

/// The Chinese title of scenario `id`, if the page's texts have one.
fn zh_title(id: &str) -> Option<String> {
    static TEXTS: std::sync::LazyLock<serde_json::Value> =
        std::sync::LazyLock::new(|| serde_json::from_str(ZH_TEXTS).unwrap_or_default());
    TEXTS[format!("title {id}")].as_str().map(str::to_string)
}

/// A text shown in English or Chinese (the page's script switches them).
fn both(en: &str, zh: &str) -> String {
    format!("<span data-zh=\"{}\">{}</span>", escape(zh), escape(en))
}

fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

fn ms(entry: &SuiteEntry) -> String {
    let v = entry.makespan_ms;
    if !v.is_finite() {
        "—".into()
    } else if v >= 1000.0 {
        format!("{:.2} s", v / 1000.0)
    } else {
        format!("{v:.1} ms")
    }
}

fn checks(trace: Option<&Trace>) -> String {
    trace
        .filter(|t| t.outcome() != conlab_core::Outcome::NoVerdict)
        .map_or_else(
            || "—".into(),
            |t| {
                let tally = t.tally();
                let mut cell = format!("{}/{}", tally.passed, t.checks.len());
                if tally.not_judged > 0 {
                    cell.push_str(&format!(
                        " {}",
                        both(
                            &format!("({} not judged)", tally.not_judged),
                            &format!("（{} 项未判定）", tally.not_judged)
                        )
                    ));
                }
                cell
            },
        )
}

/// The run's status, or that its trace is missing (unreadable: nothing to open).
fn status(entry: &SuiteEntry, readable: bool) -> String {
    if readable {
        badge(entry)
    } else {
        format!(
            "<span class=\"badge bad\">{}</span>",
            both("trace missing", "轨迹缺失")
        )
    }
}

fn badge(entry: &SuiteEntry) -> String {
    let (class, en, zh) = match entry.status.as_str() {
        _ if entry.passed => ("ok", "passed", "通过"),
        "skipped" => ("skip", "skipped", "跳过"),
        "ok" => ("bad", "checks failed", "检查未通过"),
        "timed out" => ("bad", "timed out", "超时"),
        "stopped" => ("skip", "stopped", "已停止"),
        "refused" => ("skip", "refused", "已拒绝"),
        _ => ("bad", "failed", "失败"),
    };
    format!("<span class=\"badge {class}\">{}</span>", both(en, zh))
}

fn open_link(n: usize, entry: &SuiteEntry, viewer: bool) -> String {
    let file = format!("runs/{}/{}", slot(n), safe_name(&entry.file));
    let href = if viewer {
        format!(
            "app/index.html?scenario={}&trace=../{}",
            escape(&entry.scenario),
            escape(&file)
        )
    } else {
        file
    };
    format!(
        "<a class=\"open\" href=\"{href}\">{}</a>",
        both("open", "打开")
    )
}

/// The report's page.
fn page(suite: &Suite, other: Option<&Suite>, viewer: bool) -> String {
    let mut h = String::with_capacity(64 * 1024);
    h.push_str(HEAD);
    let title = match other {
        Some(b) => format!("{} vs {}", escape(&suite.label), escape(&b.label)),
        None => escape(&suite.label),
    };
    let _ = write!(
        h,
        "<header><h1>{} <small>{title}</small></h1><button id=\"lang\" type=\"button\">中文</button></header>",
        both("conlab report", "conlab 报告")
    );
    for (n, s) in std::iter::once(suite).chain(other).enumerate() {
        let passed = s
            .runs
            .iter()
            .filter(|(e, t)| e.passed && t.is_some())
            .count();
        let runs = s.runs.len();
        // The label is in the heading; beside two suites it tells them apart here too. The
        // time is said once: not where the label (a folder named by date) says it already.
        let mut parts = Vec::new();
        if other.is_some() {
            parts.push(format!(
                "<b>{}</b> {}",
                slot(n).to_uppercase(),
                escape(&s.label)
            ));
        }
        parts.push(both(
            &format!("{runs} runs, {passed} passed"),
            &format!("{runs} 次运行，{passed} 次通过"),
        ));
        if let Some(host) = &s.host {
            // `linux x86_64, 2 cores`: the count of cores said in Chinese too.
            let zh = match conlab_core::host_cores(host) {
                Some((machine, cores)) => format!("{machine}，{cores} 核"),
                None => host.clone(),
            };
            parts.push(both(host, &zh));
        }
        if let Some(at) = s.recorded_at.as_deref().map(conlab_core::moment) {
            if !s.label.starts_with(&at[..at.len().min(10)]) {
                parts.push(both(&format!("recorded {at}"), &format!("记录于 {at}")));
            }
        }
        let _ = write!(h, "<p class=\"suite\">{}</p>", parts.join(" — "));
    }
    // Where a saved verdict was not what the re-check found, say so plainly.
    for (n, s) in std::iter::once(suite).chain(other).enumerate() {
        if s.differences.is_empty() {
            continue;
        }
        let _ = write!(
            h,
            "<div class=\"note differs\" id=\"differs-{}\"><p>{}</p><ul>",
            slot(n),
            both(
                &format!("{}: every trace was checked again; these saved verdicts differ from the re-check (the report shows the re-check's):", s.label),
                &format!("{}：每条轨迹都已重新检查；以下保存的判定与重新检查的结果不同（报告显示重新检查的结果）：", s.label)
            )
        );
        for (scenario, differ) in &s.differences {
            let _ = write!(
                h,
                "<li><b>{}</b>: {}</li>",
                escape(scenario),
                escape(&differ.join("; "))
            );
        }
        h.push_str("</ul></div>");
    }
    if !viewer {
        let _ = write!(
            h,
            "<p class=\"note\">{}</p>",
            both(
                "This report has no viewer (no web app was found when it was written): runs open as JSON. Build the web app (scripts/build-web.sh --served) and write the report again.",
                "这份报告没有查看器（写报告时找不到网页应用）：运行以 JSON 打开。先构建网页应用（scripts/build-web.sh --served），再重新生成报告。"
            )
        );
    }
    // The thumbnails' colours, said before the first of them.
    let _ = write!(
        h,
        "<p class=\"legend\"><i class=\"run\"></i>{}<i class=\"wait\"></i>{}<i class=\"io\"></i>{}<i class=\"sleep\"></i>{}</p>",
        both("working", "工作中"),
        both("waiting", "等待"),
        both("IO, connections", "IO、连接"),
        both("sleeping", "休眠"),
    );
    h.push_str(if other.is_some() {
        "<div class=\"scroll\"><table class=\"compare\">"
    } else {
        "<div class=\"scroll\"><table>"
    });
    match other {
        None => {
            let _ = write!(
                h,
                "<thead><tr><th>{}</th><th>{}</th><th class=\"num\">{}</th><th class=\"num\">{}</th><th>{}</th><th></th></tr></thead><tbody>",
                both("scenario", "场景"),
                both("status", "状态"),
                both("makespan", "总耗时"),
                both("checks", "检查"),
                both("timeline", "时间线"),
            );
            for (entry, trace) in &suite.runs {
                let _ = write!(
                    h,
                    "<tr><td>{}</td><td>{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"thumbs\">{}</td><td class=\"go\">{}</td></tr>",
                    scenario_cell(&entry.scenario),
                    status(entry, trace.is_some()),
                    ms(entry),
                    checks(trace.as_ref()),
                    trace.as_ref().map(thumbnail).unwrap_or_default(),
                    if trace.is_some() { open_link(0, entry, viewer) } else { String::new() },
                );
            }
        }
        Some(b) => {
            let _ = write!(
                h,
                "<thead><tr><th>{}</th><th>A</th><th class=\"num\">{}</th><th>B</th><th class=\"num\">{}</th><th class=\"num\">B / A</th><th>{}</th></tr></thead><tbody>",
                both("scenario", "场景"),
                both("A makespan", "A 总耗时"),
                both("B makespan", "B 总耗时"),
                both("timelines (A above B)", "时间线（A 在上，B 在下）"),
            );
            let mut ids: Vec<&str> = suite
                .runs
                .iter()
                .map(|(e, _)| e.scenario.as_str())
                .collect();
            for (e, _) in &b.runs {
                if !ids.contains(&e.scenario.as_str()) {
                    ids.push(&e.scenario);
                }
            }
            for id in ids {
                let a = suite.runs.iter().find(|(e, _)| e.scenario == id);
                let bb = b.runs.iter().find(|(e, _)| e.scenario == id);
                let side = |n: usize, r: Option<&(SuiteEntry, Option<Trace>)>| match r {
                    Some((e, t)) => format!(
                        "<td data-side=\"{}\">{} {}</td><td class=\"num\">{}</td>",
                        slot(n).to_uppercase(),
                        status(e, t.is_some()),
                        if t.is_some() {
                            open_link(n, e, viewer)
                        } else {
                            String::new()
                        },
                        ms(e)
                    ),
                    None => format!(
                        "<td data-side=\"{}\">{}</td><td></td>",
                        slot(n).to_uppercase(),
                        both("not run", "未运行")
                    ),
                };
                let ratio = match (a, bb) {
                    (Some((ea, _)), Some((eb, _)))
                        if ea.makespan_ms > 0.0 && eb.makespan_ms.is_finite() =>
                    {
                        let r = eb.makespan_ms / ea.makespan_ms;
                        let class = if r > 1.1 {
                            "slower"
                        } else if r < 0.9 {
                            "faster"
                        } else {
                            ""
                        };
                        format!("<span class=\"{class}\">{r:.2}x</span>")
                    }
                    _ => "—".into(),
                };
                // Each suite's thumbnail in its place, labelled; a missing one says so.
                let thumbs = [a, bb]
                    .iter()
                    .enumerate()
                    .map(|(n, r)| {
                        let drawn = r
                            .and_then(|(_, t)| t.as_ref())
                            .map(thumbnail)
                            .unwrap_or_else(|| "<span class=\"title\">—</span>".into());
                        format!(
                            "<div class=\"thumb-row\"><b>{}</b><div class=\"drawn\">{drawn}</div></div>",
                            slot(n).to_uppercase()
                        )
                    })
                    .collect::<String>();
                let _ = write!(
                    h,
                    "<tr><td>{}</td>{}{}<td class=\"num\" data-side=\"B / A\">{ratio}</td><td class=\"thumbs\">{thumbs}</td></tr>",
                    scenario_cell(id),
                    side(0, a),
                    side(1, bb),
                );
            }
        }
    }
    h.push_str("</tbody></table></div>");
    h.push_str("</main>");
    h.push_str(SCRIPT);
    h.push_str("</body></html>\n");
    h
}

fn scenario_cell(id: &str) -> String {
    match catalog::find(id) {
        Some(info) => format!(
            "<b>{}</b><br><span class=\"title\">{}</span>",
            escape(id),
            both(
                info.title,
                &zh_title(id).unwrap_or_else(|| info.title.into())
            )
        ),
        None => format!("<b>{}</b>", escape(id)),
    }
}

/// Thumbnail rows at most; further lanes are counted below.
const THUMB_ROWS: usize = 10;
const THUMB_WIDTH: usize = 200;

fn class_of(state: SpanState) -> usize {
    match state {
        SpanState::Sleeping => 3,
        SpanState::BlockedIo
        | SpanState::Connecting
        | SpanState::InFlight
        | SpanState::PoolWait => 2,
        s if s.is_busy() => 0,
        _ => 1,
    }
}

/// Each class in the page's colour of its commonest state (computing, waiting for a lock, a
/// request in flight, sleeping), so a reader who opens a run finds the same colours there.
const CLASS_COLOURS: [&str; 4] = ["#E69F00", "#CC79A7", "#0072B2", "#56B4E9"];

/// A small SVG of the first lanes: per pixel column, the state that covered most of it.
fn thumbnail(trace: &Trace) -> String {
    let end = trace.end.max(1) as f64;
    let rows = trace.lanes.len().min(THUMB_ROWS);
    if rows == 0 {
        return String::new();
    }
    let row_h = 6;
    let height = rows * row_h;
    // Stretched to the width of a narrow screen, not scaled up.
    let mut svg = format!(
        "<svg class=\"thumb\" width=\"{THUMB_WIDTH}\" height=\"{height}\" viewBox=\"0 0 {THUMB_WIDTH} {height}\" preserveAspectRatio=\"none\" role=\"img\"><title>{} lanes</title>",
        trace.lanes.len()
    );
    for row in 0..rows {
        let lane = trace.lanes[row].id;
        // Time each state class covers in each column.
        let mut cover = vec![[0f64; 4]; THUMB_WIDTH];
        for span in trace.spans.iter().filter(|s| s.lane == lane) {
            let (a, b) = (
                span.start as f64 / end * THUMB_WIDTH as f64,
                span.end as f64 / end * THUMB_WIDTH as f64,
            );
            let class = class_of(span.state);
            let first = a.floor().max(0.0) as usize;
            let last = (b.ceil() as usize).min(THUMB_WIDTH);
            for (x, c) in cover.iter_mut().enumerate().take(last).skip(first) {
                let covered = b.min(x as f64 + 1.0) - a.max(x as f64);
                if covered > 0.0 {
                    c[class] += covered;
                }
            }
        }
        let mut x = 0;
        while x < THUMB_WIDTH {
            let best = |c: &[f64; 4]| {
                (0..4)
                    .filter(|&i| c[i] > 0.05)
                    .max_by(|&i, &j| c[i].total_cmp(&c[j]))
            };
            let Some(class) = best(&cover[x]) else {
                x += 1;
                continue;
            };
            let start = x;
            while x < THUMB_WIDTH && best(&cover[x]) == Some(class) {
                x += 1;
            }
            let _ = write!(
                svg,
                "<rect x=\"{start}\" y=\"{}\" width=\"{}\" height=\"{}\" fill=\"{}\"/>",
                row * row_h,
                x - start,
                row_h - 1,
                CLASS_COLOURS[class]
            );
        }
    }
    svg.push_str("</svg>");
    if trace.lanes.len() > rows {
        let more = trace.lanes.len() - rows;
        let _ = write!(
            svg,
            "<div class=\"more\" data-zh=\"另有 {more} 条泳道\">+{more} more {}</div>",
            if more == 1 { "lane" } else { "lanes" }
        );
    }
    svg
}

/// Shows the texts in Chinese or English: `?lang=`, then the playground's remembered choice,
/// then the browser's; the button switches, and links into the viewer keep the language.
const SCRIPT: &str = r#"<script>
(function(){
var q=new URLSearchParams(location.search).get('lang'),s=null;try{s=localStorage.getItem('conlab-lang')}catch(e){}
var zh=/^zh/i.test(q||s||navigator.language||'');
function set(z){document.documentElement.lang=z?'zh-CN':'en';
document.querySelectorAll('[data-zh]').forEach(function(e){if(e.dataset.en===undefined)e.dataset.en=e.textContent;e.textContent=z?e.dataset.zh:e.dataset.en;});
document.querySelectorAll('a.open').forEach(function(a){var u=a.getAttribute('href').replace(/&lang=[^&]*/,'');a.setAttribute('href',z&&u.indexOf('?')>0?u+'&lang=zh-CN':u);});
document.getElementById('lang').textContent=z?'English':'中文';}
document.getElementById('lang').onclick=function(){zh=!zh;try{localStorage.setItem('conlab-lang',zh?'zh-CN':'en')}catch(e){}set(zh)};
set(zh);})();
</script>"#;

const HEAD: &str = r#"<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="generator" content="conlab report">
<title>conlab report</title>
<style>
:root{color-scheme:light dark;--bg:#fbfbfd;--fg:#1d2330;--muted:#667085;--line:#e3e6ec;--card:#fff}
@media (prefers-color-scheme:dark){:root{--bg:#14171c;--fg:#e6e8ec;--muted:#98a1b2;--line:#2a303a;--card:#1b1f26}}
body{margin:0;background:var(--bg);color:var(--fg);font:15px/1.45 system-ui,-apple-system,"Segoe UI","PingFang SC","Noto Sans CJK SC",sans-serif}
main{max-width:1200px;margin:0 auto;padding:24px 16px}
header{display:flex;justify-content:space-between;align-items:baseline;gap:12px}
#lang{flex:none;white-space:nowrap;font:inherit;font-size:13px;padding:3px 10px;border:1px solid var(--line);border-radius:6px;background:var(--card);color:var(--fg);cursor:pointer}
h1{font-size:22px;margin:0 0 8px}h1 small{color:var(--muted);font-weight:400;font-size:16px}
.suite,.note,.legend{color:var(--muted);margin:4px 0}.note{color:#b45309}
.scroll{overflow-x:auto;margin-top:16px;border:1px solid var(--line);border-radius:8px;background:var(--card)}
table{border-collapse:collapse;width:100%}th,td{padding:8px 10px;border-bottom:1px solid var(--line);text-align:left;vertical-align:middle}
th{font-size:13px;color:var(--muted);font-weight:600;white-space:nowrap}tr:last-child td{border-bottom:0}
.num{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}.title{color:var(--muted);font-size:13px}
.badge{display:inline-block;padding:1px 8px;border-radius:10px;font-size:12px;font-weight:600;white-space:nowrap}
.badge.ok{background:#dcfce7;color:#166534}.badge.bad{background:#fee2e2;color:#991b1b}.badge.skip{background:#e5e7eb;color:#374151}
a.open{font-weight:600;color:#2563eb;text-decoration:none}a.open:hover{text-decoration:underline}
.slower{color:#b91c1c;font-weight:600}.faster{color:#15803d;font-weight:600}
svg.thumb{display:block;background:var(--bg);border-radius:3px}.more{font-size:10px;color:var(--muted)}
.thumb-row{display:flex;gap:6px;align-items:flex-start;margin:2px 0}.thumb-row b{font-size:11px;color:var(--muted);width:10px}.thumb-row>.drawn{flex:1;min-width:0}
.legend i{display:inline-block;width:10px;height:10px;border-radius:2px;margin:0 4px 0 12px;vertical-align:-1px}
.legend .run{background:#E69F00}.legend .wait{background:#CC79A7}.legend .io{background:#0072B2}.legend .sleep{background:#56B4E9}
@media (max-width:700px){thead{display:none}tr{display:block;padding:8px 4px;border-bottom:1px solid var(--line)}tr:last-child{border-bottom:0}td{display:inline-block;border:0;padding:3px 8px}.scroll{overflow-x:visible}td[data-side]::before{content:attr(data-side);font-weight:700;margin-right:6px}td.thumbs{display:block}
table.compare tr{display:grid;grid-template-columns:1fr auto;align-items:center}table.compare td:first-child,table.compare td.thumbs{grid-column:1/-1}table.compare td.num{text-align:right}table.compare td[data-side="B / A"]{grid-column:1/-1;text-align:left}
.thumb-row svg.thumb{width:100%}
table:not(.compare) tr{display:grid;grid-template-columns:auto auto 1fr auto;align-items:center;gap:2px 12px}table:not(.compare) td{padding:2px 8px}table:not(.compare) td:first-child{grid-column:1/-1}
table:not(.compare) td.thumbs{order:1;grid-column:1/-1}table:not(.compare) td.num{text-align:left}td.thumbs svg.thumb{width:100%}}
</style></head><body><main>
"#;
