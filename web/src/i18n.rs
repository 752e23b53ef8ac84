//! English and Simplified Chinese: every string the page shows; the catalog's titles,
//! explanations and parameter help and the check descriptions in Chinese come from
//! `web/i18n/zh-CN.json`, fetched when Chinese is first shown (`i18n/zh.rs`). The language
//! comes from `?lang=`, then the browser's preference, and can be switched on the page.

pub mod zh;

use conlab_core::catalog::{Chapter, ScenarioInfo};
use conlab_core::{BadReason, ParamError, ParamKind, ParamSpec, SpanState, Status, TraceLoadError};
use yew::prelude::*;

/// A language of the page.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Lang {
    /// English.
    #[default]
    En,
    /// Simplified Chinese.
    ZhCn,
}

/// What a page provides to its components: the language, and whether the Chinese texts that
/// are fetched (`zh`) have arrived, so that components show them as soon as they do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct LangContext {
    /// The language.
    pub lang: Lang,
    /// `i18n/zh-CN.json` is loaded.
    pub chinese_loaded: bool,
}

/// The language in effect for a component (English outside a provider).
#[hook]
pub fn use_lang() -> Lang {
    use_context::<LangContext>().unwrap_or_default().lang
}

/// The context for a page in `lang`: fetches the Chinese texts the first time Chinese is
/// shown, and changes (re-rendering what shows them) when they arrive.
#[hook]
pub fn use_lang_context(lang: Lang) -> LangContext {
    let loaded = use_state(zh::loaded);
    {
        let loaded = loaded.clone();
        use_effect_with(lang, move |lang| {
            if *lang == Lang::ZhCn && !zh::loaded() {
                wasm_bindgen_futures::spawn_local(async move {
                    if zh::fetch().await.is_ok() {
                        loaded.set(true);
                    }
                });
            }
        });
    }
    LangContext {
        lang,
        chinese_loaded: *loaded,
    }
}

impl Lang {
    /// Both languages, in the switcher's order.
    pub const ALL: [Lang; 2] = [Lang::En, Lang::ZhCn];

    /// Reads `en`, `zh`, `zh-CN`, `zh-Hans` (any case); anything else is not a language here.
    pub fn parse(tag: &str) -> Option<Lang> {
        let tag = tag.trim().to_ascii_lowercase();
        if tag == "en" || tag.starts_with("en-") {
            Some(Lang::En)
        } else if tag == "zh" || tag.starts_with("zh-") {
            Some(Lang::ZhCn)
        } else {
            None
        }
    }

    /// The BCP 47 tag.
    pub fn tag(self) -> &'static str {
        match self {
            Lang::En => "en",
            Lang::ZhCn => "zh-CN",
        }
    }

    /// The language's own name, for the switcher.
    pub fn native_name(self) -> &'static str {
        match self {
            Lang::En => "English",
            Lang::ZhCn => "简体中文",
        }
    }

    // One copy for the 65 strings, not one inlined into each.
    #[inline(never)]
    fn ui(self, key: &str, en: &'static str) -> &'static str {
        match self {
            Lang::En => en,
            Lang::ZhCn => zh::text("ui", key).unwrap_or(en),
        }
    }

    fn pick(self, en: &'static str, zh: &'static str) -> &'static str {
        match self {
            Lang::En => en,
            Lang::ZhCn => zh,
        }
    }

    /// A scenario's title.
    pub fn title(self, info: &ScenarioInfo) -> &'static str {
        match self {
            Lang::En => info.title,
            Lang::ZhCn => zh::text("title", info.id).unwrap_or(info.title),
        }
    }

    /// A scenario's explanation.
    pub fn explanation(self, info: &ScenarioInfo) -> &'static str {
        match self {
            Lang::En => info.explanation,
            Lang::ZhCn => zh::text("explanation", info.id).unwrap_or(info.explanation),
        }
    }

    /// A parameter's help text.
    pub fn param_help(self, info: &ScenarioInfo, name: &str) -> Option<&'static str> {
        let english = info.params.iter().find(|p| p.name == name).map(|p| p.help);
        match self {
            Lang::En => english,
            Lang::ZhCn => zh::text("param", &format!("{} {name}", info.id)).or(english),
        }
    }

    /// Whether every scenario and parameter of `info` has its Chinese text (once loaded).
    pub fn has_chinese(info: &ScenarioInfo) -> bool {
        zh::text("title", info.id).is_some()
            && zh::text("explanation", info.id).is_some()
            && info
                .params
                .iter()
                .all(|p| zh::text("param", &format!("{} {}", info.id, p.name)).is_some())
    }

    /// A check's description (English when it has no Chinese text).
    pub fn check_description(self, en: &str) -> String {
        match self {
            Lang::En => unticked(en),
            Lang::ZhCn => zh_quotes(&unticked(zh::text("check", en).unwrap_or(en))),
        }
    }

    /// A check's id as a reader sees it: the id itself in English (`makespan-one-sleep`), a
    /// few words in Chinese (`checkid <id>`).
    pub fn check_id(self, id: &str) -> &str {
        match self {
            Lang::En => id,
            Lang::ZhCn => zh::text("checkid", id).unwrap_or(id),
        }
    }

    /// A figure's name in the list under a run: its key in English (`timer_lateness_ms`),
    /// words in Chinese (`metric <key>`).
    pub fn metric_name(self, key: &str) -> &str {
        match self {
            Lang::En => key,
            Lang::ZhCn => zh::text("metric", key).unwrap_or(key),
        }
    }

    /// A phase's name under the time axis: `gil_threads` reads "gil threads"; in Chinese,
    /// `phase <name>` (API names such as `gather` stay as they are).
    pub fn phase_name(self, name: &str) -> String {
        match (self, zh::text("phase", name)) {
            (Lang::ZhCn, Some(zh)) => zh.to_string(),
            _ => name.replace('_', " "),
        }
    }

    /// A chart's title (`chart <English>` in the Chinese texts).
    pub fn chart_title(self, en: &str) -> &str {
        match self {
            Lang::En => en,
            Lang::ZhCn => zh::text("chart", en).unwrap_or(en),
        }
    }

    /// A chart's unit (`unit <English>`, as the catalog's units are translated).
    pub fn chart_unit(self, en: &str) -> &str {
        match self {
            Lang::En => en,
            Lang::ZhCn => zh::text("unit", en).unwrap_or(en),
        }
    }

    /// The latency figures of a run that made requests.
    pub fn latency_line(self, l: &conlab_core::LatencySummary) -> String {
        let said = conlab_core::durations_alike(&[l.p50, l.p90, l.p99, l.p999, l.max]);
        let [p50, p90, p99, p999, max] = [&said[0], &said[1], &said[2], &said[3], &said[4]];
        let rate = conlab_core::figure(l.throughput_per_s);
        match self {
            Lang::En => format!(
                "latency of {}: p50 {p50} · p90 {p90} · p99 {p99} · p99.9 {p999} · max {max} · {rate} req/s",
                conlab_core::count_of(l.count as usize, "answer", "answers")
            ),
            Lang::ZhCn => format!(
                "{} 个回答的延迟：p50 {p50} · p90 {p90} · p99 {p99} · p99.9 {p999} · 最大 {max} · 每秒 {rate} 个请求",
                conlab_core::thousands(l.count)
            ),
        }
    }

    /// A check's detail, in Chinese by the first sentence shape of the Chinese texts it fits
    /// (`detail measured {}, expected {}`), the values kept as measured.
    pub fn check_detail(self, en: &str) -> String {
        match self {
            Lang::En => unticked(en),
            Lang::ZhCn => zh_quotes(&unticked(&zh::detail(en).unwrap_or_else(|| en.to_string()))),
        }
    }

    /// Whether the fixed string `key` (one of [`Lang::UI_KEYS`]) has its Chinese text (once
    /// loaded).
    pub fn has_chinese_ui(key: &str) -> bool {
        zh::text("ui", key).is_some()
    }

    /// Whether the check description `en` has its Chinese text (once loaded).
    pub fn has_chinese_check(en: &str) -> bool {
        zh::text("check", en).is_some()
    }

    /// A chapter's heading.
    pub fn chapter(self, chapter: Chapter) -> &'static str {
        match chapter {
            Chapter::Threads => self.pick("1. Threads", "1. 线程"),
            Chapter::Processes => self.pick("2. Processes", "2. 进程"),
            Chapter::Coroutines => self.pick("3. Coroutines", "3. 协程"),
            Chapter::Asyncio => self.pick("4. asyncio", "4. asyncio 事件循环"),
            Chapter::RealWorld => self.pick("5. Real-world async", "5. 真实场景中的异步"),
        }
    }

    /// A mark's name as a step says it: `task_done` reads "task done" (in Chinese, as the
    /// texts name it).
    pub fn mark_name(self, name: &str) -> String {
        let zh = match self {
            Lang::En => None,
            Lang::ZhCn => zh::text("mark", name),
        };
        match (zh, name) {
            (Some(zh), _) => zh.to_string(),
            (None, "cpu_time") => "CPU time".to_string(),
            (None, "gil_handover") => "GIL hand-over".to_string(),
            (None, _) => name.replace('_', " "),
        }
    }

    /// A span state's name.
    pub fn state_name(self, s: SpanState) -> &'static str {
        use SpanState::*;
        match s {
            Running => self.pick("running", "运行"),
            Computing => self.pick("computing", "计算"),
            Sleeping => self.pick("sleeping", "休眠"),
            BlockedIo => self.pick("waiting for IO", "等待 IO"),
            Blocking => self.pick("blocking call", "阻塞调用"),
            WaitingLock => self.pick("waiting for a lock", "等待锁"),
            // A semaphore's permit is held as a lock is: one state, named for both.
            HoldingLock => self.pick("holding a lock or permit", "持有锁或许可"),
            WaitingSemaphore => self.pick("waiting for a permit", "等待信号量"),
            WaitingCondition => self.pick("waiting on a condition", "等待条件变量"),
            WaitingEvent => self.pick("waiting for an event", "等待事件"),
            WaitingQueue => self.pick("waiting on a queue", "等待队列"),
            WaitingJoin => self.pick("waiting for another to finish", "等待另一方结束"),
            WaitingFuture => self.pick("waiting for a result", "等待结果"),
            WaitingGil => self.pick("waiting for the GIL", "等待 GIL"),
            Connecting => self.pick("connecting", "连接中"),
            InFlight => self.pick("request in flight", "请求进行中"),
            PoolWait => self.pick("waiting for a pooled connection", "等待连接池"),
        }
    }

    /// "12 lanes · 340 spans".
    pub fn lanes_and_spans(self, lanes: usize, spans: usize) -> String {
        match self {
            Lang::En => format!(
                "{} · {}",
                conlab_core::count_of(lanes, "lane", "lanes"),
                conlab_core::count_of(spans, "span", "spans")
            ),
            Lang::ZhCn => format!(
                "{} 条泳道 · {} 个区间",
                conlab_core::thousands(lanes as u64),
                conlab_core::thousands(spans as u64)
            ),
        }
    }

    /// A folded row: "task-1 … task-10000: 10,000 lanes like this".
    pub fn folded_lanes(self, names: &str, n: usize) -> String {
        let n = conlab_core::thousands(n as u64);
        match self {
            Lang::En => format!("{names}: {n} lanes like this"),
            Lang::ZhCn => format!("{names}：{n} 条相同的泳道"),
        }
    }

    /// How many lanes and rows are shown when some are filtered out or folded.
    pub fn rows_shown(self, lanes: usize, rows: usize) -> String {
        let (l, r) = (
            conlab_core::thousands(lanes as u64),
            conlab_core::thousands(rows as u64),
        );
        match self {
            Lang::En => format!(
                "{l} {} in {r} {}",
                if lanes == 1 { "lane" } else { "lanes" },
                if rows == 1 { "row" } else { "rows" }
            ),
            Lang::ZhCn => format!("{l} 条泳道，{r} 行"),
        }
    }

    /// Two compared runs used different parameters.
    pub fn params_differ(self, which: &str) -> String {
        match self {
            Lang::En => format!("The two runs used different parameters (kept / this run): {which}. Their timelines differ partly because of that."),
            Lang::ZhCn => format!("两次运行的参数不同（保留的 / 本次运行）：{which}。两条时间轴的差别部分来自于此。"),
        }
    }

    /// The verdict line of a judged run: `PASSED — 7 passed, 1 not judged`.
    pub fn verdict(self, passed: bool, tally: &conlab_core::Tally) -> String {
        let (word, ok, bad, unjudged) = match (self, passed) {
            (Lang::En, true) => ("PASSED", "passed", "failed", "not judged"),
            (Lang::En, false) => ("FAILED", "passed", "failed", "not judged"),
            (Lang::ZhCn, true) => ("通过", "项通过", "项未通过", "项未判定"),
            (Lang::ZhCn, false) => ("未通过", "项通过", "项未通过", "项未判定"),
        };
        let sep = if self == Lang::En { ", " } else { "，" };
        let mut line = format!("{word} — {} {ok}", tally.passed);
        for (n, what) in [(tally.failed, bad), (tally.not_judged, unjudged)] {
            if n > 0 {
                line.push_str(&format!("{sep}{n} {what}"));
            }
        }
        line
    }

    /// The heading of a run that gets no verdict: refused by the server, its connection lost,
    /// or nothing recorded.
    pub fn no_verdict(self, status: &Status) -> &'static str {
        match (self, status) {
            (Lang::En, Status::Refused { .. }) => "REFUSED — no verdict",
            (Lang::ZhCn, Status::Refused { .. }) => "已拒绝 — 不作判定",
            (Lang::En, Status::Skipped { .. }) => "SKIPPED — no verdict",
            (Lang::ZhCn, Status::Skipped { .. }) => "已跳过 — 不作判定",
            (Lang::En, _) => "NOTHING RECORDED — no verdict",
            (Lang::ZhCn, _) => "没有记录 — 不作判定",
        }
    }

    /// The heading of a native run whose connection the page lost.
    pub fn lost_verdict(self) -> &'static str {
        match self {
            Lang::En => "CONNECTION LOST — no verdict",
            Lang::ZhCn => "连接中断 — 不作判定",
        }
    }

    /// Said of a check that was not judged, before its reason.
    pub fn not_judged(self) -> &'static str {
        match self {
            Lang::En => "not judged: ",
            Lang::ZhCn => "未判定：",
        }
    }

    /// The metrics line, with the figures that mean something for the scenario.
    pub fn metrics_line(self, makespan: &str, speedup: Option<f64>, peak: Option<u32>) -> String {
        let (m, s, p, sep) = match self {
            Lang::En => ("makespan ", "speedup ", "peak concurrency ", " · "),
            Lang::ZhCn => ("总耗时 ", "加速比 ", "最大并发 ", " · "),
        };
        let mut line = format!("{m}{makespan}");
        if let Some(speedup) = speedup {
            line.push_str(&format!(
                "{sep}{s}{}",
                conlab_core::figure_in(speedup, "x", false)
            ));
        }
        if let Some(peak) = peak {
            line.push_str(&format!("{sep}{p}{peak}"));
        }
        line
    }

    /// Where a recorded native run comes from.
    pub fn recorded_on(self, host: &str, when: &str) -> String {
        let when = conlab_core::moment(when);
        match self {
            Lang::En => format!("Recorded with the native runner on {host}, {when}."),
            Lang::ZhCn => {
                let host = match conlab_core::host_cores(host) {
                    Some((machine, cores)) => format!("{machine}，{cores} 核"),
                    None => host.to_string(),
                };
                format!("由原生运行器在 {host} 上录制，时间 {when}。")
            }
        }
    }

    /// "Running… 1.2 s (stops by itself after 1 min)".
    pub fn running_for(self, elapsed: &str, limit: &str) -> String {
        match self {
            Lang::En => format!("Running… {elapsed} (time limit {limit})"),
            Lang::ZhCn => format!("运行中… {elapsed}（时间上限 {limit}）"),
        }
    }

    /// A served run's state in the server's list: queued, running, or how it ended.
    pub fn run_state(self, r: &conlab_wire::RunSummary) -> String {
        use conlab_core::Status;
        use conlab_wire::RunState;
        let n = |n: u32| conlab_core::thousands(u64::from(n));
        match (r.state, &r.status) {
            (RunState::Queued, _) => self.pick("queued", "排队中").to_string(),
            (RunState::Running, _) => self.pick("running", "运行中").to_string(),
            (_, Some(Status::Stopped { .. })) => self.pick("stopped", "已停止").to_string(),
            (_, Some(Status::Failed { .. })) => self.pick("failed", "失败").to_string(),
            // Not judged is no failure: said apart.
            (_, _) if r.checks_total > 0 && r.checks_not_judged > 0 => match self {
                Lang::En => format!(
                    "{} of {} checks passed, {} not judged",
                    n(r.checks_passed),
                    n(r.checks_total),
                    n(r.checks_not_judged)
                ),
                Lang::ZhCn => format!(
                    "通过 {}/{} 项检查，{} 项未判定",
                    n(r.checks_passed),
                    n(r.checks_total),
                    n(r.checks_not_judged)
                ),
            },
            (_, _) if r.checks_total > 0 => match self {
                Lang::En => format!(
                    "{} of {} checks passed",
                    n(r.checks_passed),
                    n(r.checks_total)
                ),
                Lang::ZhCn => format!("通过 {}/{} 项检查", n(r.checks_passed), n(r.checks_total)),
            },
            _ => self.pick("ended", "已结束").to_string(),
        }
    }

    /// Where a run of the server's list ran: `native`, `CPython`, `virtual time`.
    pub fn wire_runtime(self, runtime: conlab_wire::WireRuntime) -> &'static str {
        use conlab_wire::WireRuntime::*;
        match runtime {
            Native => self.runtime_name(conlab_core::RuntimeKind::Tokio),
            Virtual => self.runtime_name(conlab_core::RuntimeKind::Virtual),
            Cpython => self.runtime_name(conlab_core::RuntimeKind::Cpython),
        }
    }

    /// Under a live run whose loop says nothing: a blocking call holds it.
    pub fn loop_blocked(self, silent: &str) -> String {
        match self {
            Lang::En => format!(
                "Its event loop is blocked: nothing on it has run for {silent}. The page itself stays free: the run goes on in a Worker."
            ),
            Lang::ZhCn => format!(
                "它的事件循环被阻塞了：{silent} 以来，循环上什么都没有运行。页面本身不受影响：这次运行在 Worker 中进行。"
            ),
        }
    }

    /// Under a recorded run an embed shows: with which parameters it was recorded.
    pub fn recorded_with(self, params: &str) -> String {
        match self {
            Lang::En if params.is_empty() => "Recorded with the scenario's defaults.".to_string(),
            Lang::En => format!("Recorded with {params}."),
            Lang::ZhCn if params.is_empty() => "录制时使用的是场景的默认参数。".to_string(),
            Lang::ZhCn => format!("录制时的参数：{params}。"),
        }
    }

    /// An embed asked for parameters a recorded run cannot take: where they would be used.
    pub fn yours_not_used(self, params: &str) -> String {
        match self {
            Lang::En => format!(
                "This page asks for {params}, which a recorded run cannot take. To run the scenario with them on your machine:"
            ),
            Lang::ZhCn => format!(
                "本页要求的参数是 {params}，录制好的运行无法采用。想用这些参数运行，请在你的机器上执行："
            ),
        }
    }

    /// The verdict of a run stopped on the page.
    pub fn stopped_verdict(self, after: &str) -> String {
        match self {
            Lang::En => format!("STOPPED after {after} — a partial trace, not checked"),
            Lang::ZhCn => format!("已停止（{after} 时）— 轨迹不完整，未做检查"),
        }
    }

    /// A run refused up front: it would take longer than a run may.
    pub fn too_long(self, e: &conlab_core::estimate::TooLong) -> String {
        let (expected, limit) = (
            conlab_core::estimate::human(e.expected),
            conlab_core::estimate::human(e.limit),
        );
        match self {
            Lang::En => format!(
                "With these parameters the run takes about {expected}, longer than the longest run allowed ({limit}); choose smaller values."
            ),
            Lang::ZhCn => {
                format!("按这些参数，运行大约需要 {expected}，超过允许的最长运行时间（{limit}）；请选择更小的值。")
            }
        }
    }

    /// What the browser adds to a parameter's range (how long a run may block the page).
    pub fn page_note(self, spec: &conlab_core::ParamSpec) -> Option<String> {
        let note = spec.page_note()?;
        Some(match (self, spec.bound) {
            (Lang::ZhCn, Some(conlab_core::ParamBound::PageBlockingTimes(times))) => format!(
                "在浏览器中 {times} × {} ≤ {} 秒",
                spec.name,
                conlab_core::PAGE_BLOCKING_LIMIT.as_secs()
            ),
            _ => note,
        })
    }

    /// Step-through position: "step 3 of 40 · 200.0 ms".
    pub fn step_position(self, at: usize, of: usize, time: &str) -> String {
        match self {
            Lang::En => format!("step {at} of {of} · {time}"),
            Lang::ZhCn => format!("第 {at}/{of} 步 · {time}"),
        }
    }

    /// A tick of a step axis: "step 5" (the axis starts at 0).
    pub fn step_tick(self, n: u64) -> String {
        match (self, n) {
            (_, 0) => "0".to_string(),
            (Lang::En, n) => format!("step {}", conlab_core::thousands(n)),
            (Lang::ZhCn, n) => format!("第 {} 步", conlab_core::thousands(n)),
        }
    }

    /// Where a span lies on a step axis: "steps 3–7", or "step 3".
    pub fn steps_span(self, from: u64, to: u64) -> String {
        let (a, b) = (conlab_core::thousands(from), conlab_core::thousands(to));
        match self {
            _ if to <= from => self.step_tick(from),
            Lang::En => format!("steps {a}–{b}"),
            Lang::ZhCn => format!("第 {a}–{b} 步"),
        }
    }

    /// What goes between a label and what it introduces: a space, none after a full-width
    /// colon (`在你的机器上实时运行：conlab run …`).
    pub fn gap_after(self, label: &str) -> &'static str {
        if label.ends_with('：') {
            ""
        } else {
            " "
        }
    }

    /// Where a run ran, in words: `native`, `in the page`, `CPython`.
    pub fn runtime_name(self, runtime: conlab_core::RuntimeKind) -> &'static str {
        use conlab_core::RuntimeKind::*;
        match runtime {
            Tokio => self.pick("native", "原生"),
            Browser => self.pick("in the page", "页面中"),
            Virtual => self.pick("virtual time", "虚拟时间"),
            Cpython => "CPython",
        }
    }

    /// Where a run outside the page ran, under its verdict: `Ran natively (tokio) on linux
    /// x86_64, 2 cores` / `Ran in CPython 3.11.7 (GIL on, asyncio loop)`; nothing for the
    /// page's own runs.
    pub fn ran_where(self, t: &conlab_core::Trace) -> Option<String> {
        use conlab_core::RuntimeKind::*;
        let host = t
            .host
            .as_deref()
            .map(|h| match (self, conlab_core::host_cores(h)) {
                (Lang::ZhCn, Some((machine, cores))) => format!("{machine}，{cores} 核"),
                _ => h.to_string(),
            });
        match (self, t.runtime, &t.interpreter) {
            (Lang::En, Tokio, _) => Some(match host {
                Some(h) => format!("Ran natively (tokio) on {h}"),
                None => "Ran natively (tokio)".to_string(),
            }),
            (Lang::ZhCn, Tokio, _) => Some(match host {
                Some(h) => format!("原生运行（tokio），在 {h} 上"),
                None => "原生运行（tokio）".to_string(),
            }),
            (Lang::En, Cpython, Some(i)) => Some(format!("Ran in {}", i.describe())),
            (Lang::ZhCn, Cpython, Some(i)) => {
                let gil = if i.gil { "GIL 开启" } else { "GIL 关闭" };
                Some(match &i.event_loop {
                    Some(l) => format!("在 {} {} 中运行（{gil}，{l} 事件循环）", i.name, i.version),
                    None => format!("在 {} {} 中运行（{gil}）", i.name, i.version),
                })
            }
            (_, Cpython, None) => {
                Some(self.pick("Ran in CPython", "在 CPython 中运行").to_string())
            }
            _ => None,
        }
    }

    /// A badge after a scenario's title in the list: ` (native)`, `（原生）`.
    pub fn badge(self, word: &str) -> String {
        match self {
            Lang::En => format!(" ({word})"),
            Lang::ZhCn => format!("（{word}）"),
        }
    }

    /// What a run with no parameters of its own ran with.
    pub fn defaults(self) -> &'static str {
        self.pick("defaults", "默认参数")
    }

    /// The colon after a label: `: ` in English, `：` in Chinese.
    pub fn label_colon(self) -> &'static str {
        self.pick(": ", "：")
    }

    /// A step that ends a span (a wait's end is its lane waking up): `sleeping ends`.
    pub fn span_ends(self, state: &str) -> String {
        match self {
            Lang::En => format!("{state} ends"),
            // "不再等待另一方结束", not "等待另一方结束结束".
            Lang::ZhCn => format!("不再{state}"),
        }
    }
}

impl Lang {
    /// A parameter error: which parameter, the value, and what is allowed.
    pub fn param_error(self, e: &ParamError) -> String {
        match (self, e) {
            (
                Lang::En,
                ParamError::Unknown {
                    scenario,
                    name,
                    known,
                },
            ) => {
                format!("{scenario} has no parameter \u{201c}{name}\u{201d}; its parameters are: {known}")
            }
            (
                Lang::ZhCn,
                ParamError::Unknown {
                    scenario,
                    name,
                    known,
                },
            ) => {
                format!("{scenario} 没有参数“{name}”；它的参数有：{known}")
            }
            (Lang::En, ParamError::Malformed { input }) => {
                format!("\u{201c}{input}\u{201d} is not of the form name=value")
            }
            (Lang::ZhCn, ParamError::Malformed { input }) => {
                format!("“{input}”不是 名称=值 的形式")
            }
            (
                Lang::En,
                ParamError::BadValue {
                    name,
                    value,
                    reason,
                    allowed,
                },
            ) => {
                let reason = reason.to_string().replace('`', "");
                format!(
                    "{name}: {value} is {reason}; allowed: {}",
                    allowed.replace('`', "")
                )
            }
            (
                Lang::ZhCn,
                ParamError::BadValue {
                    name,
                    value,
                    reason,
                    allowed,
                },
            ) => {
                let allowed = zh_allowed(name, reason, allowed);
                format!(
                    "参数 {name}：值 {value} 无效（{}）；允许：{allowed}",
                    zh_reason(reason)
                )
            }
            (Lang::En, ParamError::Duplicate { name }) => format!("{name} is given twice"),
            (Lang::ZhCn, ParamError::Duplicate { name }) => format!("参数 {name} 给了两次"),
        }
    }

    /// A parameter's allowed values in this language: `1–100,000 tasks`, `1–100,000 个任务`.
    pub fn range_text(self, spec: &ParamSpec) -> String {
        match self {
            Lang::En => spec.range_text(),
            Lang::ZhCn => zh_range(spec),
        }
    }

    /// What is wrong with a trace file, and where.
    pub fn trace_error(self, name: &str, e: &TraceLoadError) -> String {
        let schema = conlab_core::SCHEMA;
        match (self, e) {
            (Lang::En, TraceLoadError::NotJson(why)) => {
                format!("{name} is not a complete JSON file ({})", quoted_names(why))
            }
            (Lang::ZhCn, TraceLoadError::NotJson(why)) => {
                format!("{name} 不是完整的 JSON 文件（{}）", zh_json_error(why))
            }
            (Lang::En, TraceLoadError::WrongSchema { found: Some(v) }) => {
                format!("{name} is a trace of version {v:?}; this playground reads {schema:?}")
            }
            (Lang::ZhCn, TraceLoadError::WrongSchema { found: Some(v) }) => {
                format!("{name} 是版本 {v:?} 的轨迹；本页面只能读取 {schema:?}")
            }
            (Lang::En, TraceLoadError::WrongSchema { found: None }) => {
                format!("{name} is JSON but not a conlab trace (it has no \"schema\" field)")
            }
            (Lang::ZhCn, TraceLoadError::WrongSchema { found: None }) => {
                format!("{name} 是 JSON，但不是 conlab 轨迹（没有 \"schema\" 字段）")
            }
            (Lang::En, TraceLoadError::Invalid(why)) => {
                format!(
                    "{name} looks like a conlab trace but is damaged: {}",
                    quoted_names(why)
                )
            }
            (Lang::ZhCn, TraceLoadError::Invalid(why)) => {
                format!("{name} 像是 conlab 轨迹，但已损坏：{}", zh_json_error(why))
            }
            (Lang::En, TraceLoadError::TooLarge { size, limit }) => {
                format!("{name} is {size} bytes; the limit is {limit} bytes")
            }
            (Lang::ZhCn, TraceLoadError::TooLarge { size, limit }) => {
                format!("{name} 有 {size} 字节；上限是 {limit} 字节")
            }
        }
    }

    /// Why `url` could not be fetched.
    pub fn fetch_error(self, url: &str, e: crate::share::FetchError) -> String {
        use crate::share::FetchError;
        match (self, e) {
            (Lang::En, FetchError::Unreachable) => {
                format!("{url} could not be fetched: no answer (offline, a wrong address, or a site that does not allow it)")
            }
            (Lang::ZhCn, FetchError::Unreachable) => {
                format!("无法获取 {url}：没有应答（可能离线、地址有误，或该网站不允许）")
            }
            (Lang::En, FetchError::Status(404)) => format!("{url} was not found (404)"),
            (Lang::ZhCn, FetchError::Status(404)) => format!("找不到 {url}（404）"),
            (Lang::En, FetchError::Status(code)) => {
                format!("fetching {url} failed: the server answered {code}")
            }
            (Lang::ZhCn, FetchError::Status(code)) => {
                format!("获取 {url} 失败：服务器返回 {code}")
            }
            (Lang::En, FetchError::Unreadable) => format!("{url} could not be read as text"),
            (Lang::ZhCn, FetchError::Unreadable) => format!("{url} 无法作为文本读取"),
        }
    }

    /// A file too large to open.
    pub fn file_too_large(self, name: &str, mb: f64, limit_mb: f64) -> String {
        match self {
            Lang::En => {
                format!("{name} is {mb:.1} MB; the playground opens traces up to {limit_mb:.0} MB")
            }
            Lang::ZhCn => format!("{name} 有 {mb:.1} MB；本页面最多打开 {limit_mb:.0} MB 的轨迹"),
        }
    }

    /// How a run ended, when it did not simply complete.
    pub fn status_line(self, status: &Status) -> Option<String> {
        match (self, status) {
            (_, Status::Ok) => None,
            (Lang::En, Status::Failed { reason }) => Some(format!("failed: {reason}")),
            (Lang::ZhCn, Status::Failed { reason }) => Some(format!("失败：{reason}")),
            (Lang::En, Status::Skipped { reason }) => Some(format!("skipped: {reason}")),
            (Lang::ZhCn, Status::Skipped { reason }) => Some(format!("已跳过：{reason}")),
            (Lang::En, Status::TimedOut { limit_ms }) => Some(format!(
                "timed out after {limit_ms} ms; the trace is partial"
            )),
            (Lang::ZhCn, Status::TimedOut { limit_ms }) => {
                Some(format!("超时（{limit_ms} ms），轨迹不完整"))
            }
            (Lang::En, Status::Stopped { .. }) => {
                Some("stopped before its end: the trace shows the run up to then".into())
            }
            (Lang::ZhCn, Status::Stopped { .. }) => {
                Some("在结束前被停止：轨迹只包含到那一刻为止的运行".into())
            }
            (Lang::En, Status::Refused { reason }) => Some(reason.clone()),
            (Lang::ZhCn, Status::Refused { reason }) => {
                Some(zh::detail(reason).unwrap_or_else(|| reason.clone()))
            }
        }
    }

    /// A search's progress: schedules tried so far for a property.
    pub fn searching(self, property: &str, tried: u64) -> String {
        let n = conlab_core::thousands(tried);
        format!(
            "{} — {}: {n} …",
            self.find_failing(),
            self.check_detail(property)
        )
    }

    /// A link naming a scenario that is not in the catalog.
    pub fn unknown_scenario(self, id: &str, fallback: &str) -> String {
        match self {
            Lang::En => {
                format!("The link asks for “{id}”, which is not in the catalog; showing {fallback}")
            }
            Lang::ZhCn => format!("链接中的场景“{id}”不在目录中；改为显示 {fallback}"),
        }
    }

    /// A Chrome trace file that conlab did not write.
    pub fn foreign_chrome_trace(self, name: &str) -> String {
        match self {
            Lang::En => format!(
                "{name} is a Chrome trace (Perfetto's format), but not one conlab exported: conlab's own exports carry the run they show, and this one does not. Open the conlab trace itself, or one conlab exported for Perfetto."
            ),
            Lang::ZhCn => format!(
                "{name} 是 Chrome 轨迹（Perfetto 的格式），但不是 conlab 导出的：conlab 导出的文件带有它所展示的运行，这个文件没有。请打开 conlab 轨迹本身，或 conlab 为 Perfetto 导出的文件。"
            ),
        }
    }
}

/// The page's fixed strings: the English here, the Chinese in `web/i18n/zh-CN.json` under
/// `ui <name>` (fetched with the other Chinese texts; English until it arrives).
macro_rules! ui_strings {
    ($keys:ident; $($(#[$doc:meta])* $name:ident => $en:expr;)*) => {
        impl Lang {
            $( $(#[$doc])* pub fn $name(self) -> &'static str { self.ui(stringify!($name), $en) } )*

            /// The name of every fixed string (tests check each has its Chinese).
            pub const $keys: &'static [&'static str] = &[$(stringify!($name)),*];
        }
    };
}

// The strings of native runs, only in the build `conlab serve` embeds.
#[cfg(feature = "served")]
ui_strings! {
    SERVED_UI_KEYS;
    /// The button of a page served by `conlab serve`.
    run_natively => "Run natively";
    /// Under it.
    served_note => "conlab serve runs this scenario on this machine, with the parameters above; its lanes fill in as the run goes.";
    /// The button that runs the lesson's Python program under CPython on the server.
    run_in_cpython => "Run in CPython";
    /// Its title: what it does.
    run_in_cpython_title => "Runs this lesson as a Python program under CPython on the server, traced, and judges it by the same checks.";
    /// A native run waits for a free slot.
    native_queued => "Queued: it starts as soon as a slot is free…";
    /// Before the server's reason.
    native_refused => "conlab serve refused the run:";
    /// The stream broke.
    native_lost => "The connection to conlab serve was lost before the run ended.";
    /// A reloaded page that follows its native run again.
    native_reattached => "Following your native run again: it went on while the page reloaded.";
    /// A reloaded page whose native run ended meanwhile.
    native_ended_away => "Your native run has ended; here is its trace, kept by the server.";
    /// The same, for a run that was stopped.
    native_ended_stopped => "Your native run was stopped while the page was away; here is its trace as far as it got.";
    /// The list of runs a server keeps.
    server_runs => "Runs on this server";
    /// None yet.
    server_runs_none => "No runs yet.";
    /// Open one of them.
    open => "Open";
    /// 429.
    native_busy => "the server is running and queueing as many runs as it takes; try again in a few seconds.";
    /// The server follows as many live runs as it allows: this run's events were refused.
    native_streams_full => "conlab serve is already streaming as many live runs as it allows, so it refused this run's events; the run was stopped. Try again once another run has ended.";
    /// This run has as many followers as the server allows.
    native_streams_full_run => "This run already has as many pages following it as conlab serve allows, so this page was refused; the run goes on for the pages that follow it.";
    /// 403 for a database scenario.
    native_databases => "this scenario needs Redis or MySQL, which this server was not allowed to use (start it with --allow-databases).";
    /// The tagline of a served page.
    served_tagline => "Run concurrency scenarios live, in your browser (tasks on its event loop, threads and processes on a deterministic scheduler) or natively on this machine, and see what every thread and task was doing.";
}

ui_strings! {
    UI_KEYS;
    /// The page title.
    page_title => "conlab playground";
    /// The native-only note in one line (an embed of fixed height opens the rest on demand).
    native_only_short => "A run recorded natively, with the parameters it was recorded with (more…)";
    /// Under a histogram: its buckets' upper edges, in the unit after it.
    chart_buckets => "bucket edges in";
    /// The legend's line for a lane's life.
    lane_alive => "alive (the lane exists)";
    /// Under a timeline drawn step by step.
    step_axis_note => "No time passed in this run (on virtual time, nothing slept or computed), so its timeline is drawn step by step: each step of the run one unit to the right, in the order they happened.";
    /// Under the title.
    tagline => "Run concurrency scenarios live in your browser, tasks on its event loop, threads and processes on a deterministic scheduler you can drive, and see what each was doing.";
    /// Picker label.
    scenario => "Scenario";
    /// Parameter form legend.
    parameters => "Parameters";
    /// time-scale help.
    time_scale_help => "multiplies every duration; 0.01 to 100";
    /// Run button.
    run => "Run";
    /// Run button while a run goes on.
    running => "Running…";
    /// Stop button.
    stop => "Stop";
    /// The button that searches schedules for one that breaks the scenario.
    find_failing => "Find a failing schedule";
    /// The button and panel where the learner picks each next step.
    be_scheduler => "Be the scheduler";
    /// Above the threads that can step.
    steer_pick => "Pick the thread that takes the next step. The run so far is drawn below.";
    /// Once the learner's run has ended.
    steer_ended => "The run has ended: its checks are below, and the link replays it.";
    /// Takes the last choice back.
    steer_back => "Back one choice";
    /// Finishes the learner's run with the choices the seed draws.
    steer_finish => "Finish the run";
    /// Above the learner's run so far, stopped at their next choice.
    steer_so_far => "Your run so far: the next step is yours to pick.";
    /// Beside the actions of a thread scenario on the scheduler.
    scheduler_note => "This runs on conlab's deterministic scheduler, in virtual time: every lock, read and write is a step, and the same parameters and schedule give the same run. The link keeps the schedule.";
    /// After Stop during a scheduler run or search.
    search_stopped => "Stopped.";
    /// Before a technical reason the scheduler could not run.
    scheduler_failed => "The scheduler could not run:";
    /// Step-through button.
    step_through => "Step through";
    /// Compare button.
    pin => "Keep for comparison";
    /// Compare with the recorded native run.
    compare_native => "Compare with a native run";
    /// No recorded native run to compare with.
    no_native_run => "No recorded native run of this scenario ships with this site. Save one with conlab run … --out run.json, open it here and keep it for comparison.";
    /// Compare with a native run, clicked before any run: the recording waits for one.
    native_kept => "The recorded native run is kept: press Run, and the two runs show side by side on one scale.";
    /// Stop comparing.
    unpin => "Stop comparing";
    /// Copy link.
    copy_link => "Copy link";
    /// After copying.
    link_copied => "Link copied";
    /// Embed button.
    embed => "Embed";
    /// Embed dialog heading.
    embed_heading => "Put this scenario in your tutorial";
    /// iframe snippet label.
    embed_iframe => "An iframe:";
    /// script snippet label.
    embed_script => "Or a script that turns every element with data-conlab-scenario into a live widget:";
    /// Copy a snippet.
    copy => "Copy";
    /// The embed options.
    embed_options => "Options on the element: data-compact (timeline and checks only), data-autorun (run as it shows), data-height=\"600\" (a fixed height in pixels, at least 480), data-theme=\"dark\" or \"light\", data-lang=\"zh-CN\", and any of the scenario's parameters (data-sleep-ms=\"200\").";
    /// Open in the playground (from an embed).
    open_playground => "Open in the playground";
    /// File picker label.
    open_trace => "Open a trace file…";
    /// Drop zone text.
    drop_here => "or drop one here";
    /// Download buttons.
    download_json => "Download trace (JSON)";
    /// Download for Perfetto.
    download_chrome => "Download for Perfetto";
    /// Section headings.
    output => "Output";
    /// Metrics heading.
    metrics => "Metrics";
    /// Before a chart's largest value.
    chart_max => "max";
    /// Checks heading.
    checks => "Checks";
    /// Under the verdict of a loaded trace checked again on the page.
    rechecked => "Checked again on this page from the recording: the verdict is this page's, not the file's.";
    /// The same, when the file's own verdict differed.
    recheck_differs => "Checked again on this page from the recording; the file's own verdict differs:";
    /// Under the verdict of a loaded trace whose checks the page does not carry.
    saved_verdict => "Saved verdict, not re-checked here: this page does not carry the checks of this scenario's runs on that runtime (conlab show re-checks it).";
    /// Legend heading.
    legend => "States";
    /// Zoom buttons.
    zoom_in => "Zoom in";
    /// Zoom out.
    zoom_out => "Zoom out";
    /// Reset zoom.
    whole_run => "Whole run";
    /// Timeline help.
    timeline_hint => "wheel: scroll lanes · Ctrl/⌘+wheel: zoom · Shift+wheel or drag: pan · keys + − ← → ↑ ↓ 0";
    /// Lane filter placeholder.
    filter_lanes => "filter lanes by name";
    /// Fold alike lanes.
    fold_lanes => "Fold alike lanes";
    /// Unfold them.
    unfold_lanes => "Show every lane";
    /// Tooltip over a folded row's name.
    click_to_open => "click the name to show each lane";
    /// Tooltip.
    start => "start";
    /// Tooltip.
    duration => "lasted";
    /// Output line hint.
    output_hint => "click a line to see its moment on the timeline";
    /// Native-only scenarios.
    native_only => "This scenario needs a real server, or OS threads beside its event loop, so it runs in the native runner, not in the page. Below is a run recorded with it.";
    /// Above the disabled form of a native-only scenario.
    recorded_params => "The parameters above are the recorded run's and cannot be changed here. To try your own, run the command with them on your machine.";
    /// How to run natively.
    run_it_live => "Run it live on your machine:";
    /// No recording available.
    no_recording => "No recorded run of this scenario ships with this site yet.";
    /// Step-through heading.
    step_heading => "Step through a deterministic run (virtual time)";
    /// The code panel's heading.
    code_heading => "The code that runs";
    /// The pane of a lesson's Python program.
    code_python => "The lesson in Python";
    /// Beside it, the file conlab runs for the lesson.
    code_conlab => "conlab's run of it (Rust)";
    /// Under a file shown without its checks.
    code_checks_cut => "The checks that judge a run follow in the file; the page lists them under the run.";
    /// While the code is fetched.
    code_loading => "Loading the code…";
    /// Before the reason the code could not be fetched.
    code_missing => "Could not load the code:";
    /// Step buttons.
    step_back => "◀ Back";
    /// Step forward.
    step_forward => "Forward ▶";
    /// Close step-through.
    close => "Close";
    /// Lane state table: lane column.
    lane => "Lane";
    /// Lane state table: state column.
    state => "State";
    /// Idle lane.
    /// A lane in the step-through's table that takes the step shown (no span open).
    takes_step => "takes this step";
    /// A lane alive, neither waiting nor sleeping, not taking this step.
    ready => "ready to run";
    /// The legend's entry for a cancellation mark.
    cancelled => "cancelled (the task's CancelledError)";
    /// A lane in the step-through's table that has not started at this step.
    not_started => "not started yet";
    /// A lane that has ended by this step.
    finished => "finished";
    /// Compare heading.
    comparing => "Comparing two runs on one time scale";
    /// The kept run.
    kept_run => "kept";
    /// The current run.
    this_run => "this run";
    /// Theme switch.
    theme => "Theme";
    /// Theme options.
    theme_auto => "auto";
    /// Light theme.
    theme_light => "light";
    /// Dark theme.
    theme_dark => "dark";
    /// Language switch.
    language => "Language";
    /// Lane list.
    lane_list => "Lanes as a list";
    /// Link parameters invalid.
    link_params => "The link's parameters:";
    /// Badge for native-only scenarios.
    native_badge => "native";
    /// Badge for scenarios not built yet.
    planned_badge => "planned";
    /// What a planned scenario's page says.
    planned_note => "This scenario is planned: it is in the catalog, but conlab cannot run it yet, natively or in the browser, and there is no recording of it.";
}

/// A count's unit in Chinese (`unit <English>` in the Chinese texts; the English unit where
/// there is none).
fn zh_unit(unit: &str) -> &str {
    zh::text("unit", unit).unwrap_or(unit)
}

/// A parameter's allowed values in Chinese.
fn zh_range(spec: &ParamSpec) -> String {
    use conlab_core::{grouped, thousands};
    match spec.kind {
        ParamKind::Count { min, max, unit, .. } => {
            format!("{}–{} {}", grouped(min), grouped(max), zh_unit(unit))
        }
        ParamKind::Millis { min, max, .. } => {
            format!("{}–{} 毫秒", thousands(min), thousands(max))
        }
        ParamKind::List {
            min,
            max,
            max_len,
            millis,
            ..
        } => {
            let unit = if millis { " 毫秒" } else { "" };
            format!(
                "1 到 {max_len} 个用逗号分隔的值，每个 {}–{}{unit}",
                grouped(min),
                grouped(max)
            )
        }
        ParamKind::Choice { options, .. } => format!("以下之一：{}", options.join("、")),
        ParamKind::Flag { .. } => "true 或 false".to_string(),
        ParamKind::Url => "留空（conlab 自带的本地测试服务器）或一个 http:// 网址".to_string(),
    }
}

/// Why a value is wrong, in Chinese.
fn zh_reason(reason: &BadReason) -> String {
    match reason {
        BadReason::NotAWholeNumber => "不是整数".into(),
        BadReason::OutOfRange => "超出范围".into(),
        BadReason::NotANumber => "不是数字".into(),
        BadReason::ItemCount { given: 0 } => "列表为空".into(),
        BadReason::ItemCount { given } => format!("列表有 {given} 项，太多了"),
        BadReason::Item {
            position,
            item,
            why,
        } => {
            format!("第 {position} 项“{item}”有误：{}", zh_reason(why))
        }
        BadReason::NotAChoice => "不是可选的值之一".into(),
        BadReason::NotAFlag => "不是 true 或 false".into(),
        BadReason::NotAUrl(why) => format!("不是 conlab 能用的网址：{why}"),
        BadReason::TooLong => "太长".into(),
        BadReason::AboveOther { other } => format!("对于给定的 {other} 来说太大"),
        BadReason::BlocksPage { other } => {
            format!("与给定的 {other} 一起会让运行的事件循环阻塞太久")
        }
    }
}

/// What is allowed, in Chinese, from the English text (the ranges `ParamSpec::range_text`
/// writes, the bounds another parameter sets, the longest input), keeping its figures.
fn zh_allowed(name: &str, reason: &BadReason, english: &str) -> String {
    if name == conlab_core::TIME_SCALE {
        return "0.01 到 100 之间的倍数".into();
    }
    let digits: Vec<&str> = english
        .split(|c: char| !c.is_ascii_digit())
        .filter(|d| !d.is_empty())
        .collect();
    let digit = |i: usize| digits.get(i).copied().unwrap_or("");
    match reason {
        BadReason::TooLong => return format!("至多 {} 个字符", digit(0)),
        BadReason::AboveOther { other } if english.starts_with("0, or below") => {
            return format!("0，或小于 {other}（{}）", digits.last().unwrap_or(&""));
        }
        BadReason::AboveOther { other } => {
            return format!("至多为 {other} 的项数（{}）", digits.last().unwrap_or(&""));
        }
        BadReason::BlocksPage { other } => {
            return format!(
                "在浏览器中，{other} = {} 时至多 {} 毫秒：一次运行总共最多让它的事件循环阻塞 {} 秒",
                digit(1),
                digit(0),
                conlab_core::PAGE_BLOCKING_LIMIT.as_secs()
            );
        }
        _ => {}
    }
    if let Some(options) = english.strip_prefix("one of ") {
        return format!("以下之一：{}", options.replace(", ", "、"));
    }
    if english == "true or false" {
        return "true 或 false".into();
    }
    if english.contains("comma-separated") {
        let unit = if english.ends_with(" ms") {
            " 毫秒"
        } else {
            ""
        };
        return format!(
            "1 到 {} 个用逗号分隔的值，每个 {}–{}{unit}",
            digit(1),
            digit(2),
            digit(3)
        );
    }
    // `min–max unit`.
    match english.split_once(' ') {
        Some((range, "ms")) => format!("{range} 毫秒"),
        Some((range, unit)) => format!("{range} {}", zh_unit(unit)),
        None => english.to_string(),
    }
}

/// Code a text quotes in backticks (`queue`, `if`) in quotation marks, as a sentence on the
/// page shows it (a text has no code font there).
fn unticked(text: &str) -> String {
    if text.contains('`') {
        quoted_names(text)
    } else {
        text.to_string()
    }
}

/// Chinese sets quotation marks without spaces around them (`等待“q”中出现产品`).
fn zh_quotes(text: &str) -> String {
    text.replace(" \u{201c}", "\u{201c}")
        .replace("\u{201d} ", "\u{201d}")
}

/// A JSON reader's message with the names it quotes in backticks (`lanes`) in quotation
/// marks, as a sentence shows them.
fn quoted_names(why: &str) -> String {
    let mut out = String::new();
    for (i, part) in why.split('`').enumerate() {
        match i % 2 {
            1 => out.push_str(&format!("\u{201c}{part}\u{201d}")),
            _ => out.push_str(part),
        }
    }
    out
}

/// A JSON reader's message (`EOF while parsing a value at line 1 column 0`, `missing field
/// `lanes` at line 3 column 5`) in Chinese: what went wrong, and where.
fn zh_json_error(why: &str) -> String {
    let quoted = |after: &str| {
        why.split_once(after)
            .and_then(|(_, rest)| rest.strip_prefix('`'))
            .and_then(|rest| rest.split_once('`'))
            .map(|(name, _)| name.to_string())
    };
    let what = if why.contains("EOF") {
        "文件意外结束".to_string()
    } else if let Some(field) = quoted("missing field ") {
        format!("缺少字段“{field}”")
    } else if let Some(field) = quoted("duplicate field ") {
        format!("字段“{field}”出现了两次")
    } else if let Some(value) = quoted("unknown variant ") {
        format!("未知的取值“{value}”")
    } else if why.starts_with("invalid type") || why.starts_with("invalid value") {
        "某个值的类型或取值不对".to_string()
    } else if why.starts_with("expected") || why.contains("key must be a string") {
        "不是有效的 JSON".to_string()
    } else {
        "内容不符合格式".to_string()
    };
    // serde_json ends its messages with `at line L column C`.
    let place = why.rsplit_once(" at line ").and_then(|(_, at)| {
        let (line, column) = at.split_once(" column ")?;
        Some(format!("，位于第 {line} 行第 {column} 列"))
    });
    format!("{what}{}", place.unwrap_or_default())
}
