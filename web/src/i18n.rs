//! English and Simplified Chinese: every string the page shows; the catalog's titles,
//! explanations and parameter help and the check descriptions in Chinese come from
//! `web/i18n/zh-CN.json`, fetched when Chinese is first shown (`i18n/zh.rs`). The language
//! comes from `?lang=`, then the browser's preference, and can be switched on the page.

pub mod zh;

use conlab_core::catalog::{Chapter, ScenarioInfo};
use conlab_core::{ParamError, SpanState, Status, TraceLoadError};
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
    pub fn check_description(self, en: &str) -> &str {
        match self {
            Lang::En => en,
            Lang::ZhCn => zh::text("check", en).unwrap_or(en),
        }
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
            HoldingLock => self.pick("holding a lock", "持有锁"),
            WaitingSemaphore => self.pick("waiting for a permit", "等待信号量"),
            WaitingCondition => self.pick("waiting on a condition", "等待条件变量"),
            WaitingEvent => self.pick("waiting for an event", "等待事件"),
            WaitingQueue => self.pick("waiting on a queue", "等待队列"),
            WaitingJoin => self.pick("waiting for another to finish", "等待其他线程/任务结束"),
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
            Lang::ZhCn => format!("{lanes} 条泳道 · {spans} 个区间"),
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

    /// The verdict line.
    pub fn verdict(self, passed: bool, ok: usize, all: usize) -> String {
        match (self, passed) {
            (Lang::En, true) => format!("PASSED — {ok}/{all} checks passed"),
            (Lang::En, false) => format!("FAILED — {ok}/{all} checks passed"),
            (Lang::ZhCn, true) => format!("通过 — {ok}/{all} 项检查通过"),
            (Lang::ZhCn, false) => format!("未通过 — {ok}/{all} 项检查通过"),
        }
    }

    /// The metrics line.
    pub fn metrics_line(self, makespan: &str, speedup: f64, peak: u32) -> String {
        match self {
            Lang::En => {
                format!("makespan {makespan} · speedup {speedup:.2}x · peak concurrency {peak}")
            }
            Lang::ZhCn => format!("总耗时 {makespan} · 加速比 {speedup:.2}x · 最大并发 {peak}"),
        }
    }

    /// Where a recorded native run comes from.
    pub fn recorded_on(self, host: &str, when: &str) -> String {
        match self {
            Lang::En => format!("Recorded with the native runner on {host}, {when}."),
            Lang::ZhCn => format!("由原生运行器在 {host} 上录制，时间 {when}。"),
        }
    }

    /// "Running… 1.2 s (stops by itself after 1 min)".
    pub fn running_for(self, elapsed: &str, limit: &str) -> String {
        match self {
            Lang::En => format!("Running… {elapsed} (time limit {limit})"),
            Lang::ZhCn => format!("运行中… {elapsed}（时间上限 {limit}）"),
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
}

impl Lang {
    /// A parameter error: which parameter, the value, and what is allowed.
    pub fn param_error(self, e: &ParamError) -> String {
        match (self, e) {
            (Lang::En, e) => e.to_string(),
            (
                Lang::ZhCn,
                ParamError::Unknown {
                    scenario,
                    name,
                    known,
                },
            ) => {
                format!("{scenario} 没有参数 `{name}`；它的参数有：{known}")
            }
            (Lang::ZhCn, ParamError::Malformed { input }) => {
                format!("`{input}` 不是 名称=值 的形式")
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
                format!("参数 `{name}`：值 `{value}` 无效（{reason}）；允许：{allowed}")
            }
            (Lang::ZhCn, ParamError::Duplicate { name }) => format!("参数 `{name}` 给了两次"),
        }
    }

    /// What is wrong with a trace file, and where.
    pub fn trace_error(self, name: &str, e: &TraceLoadError) -> String {
        let schema = conlab_core::SCHEMA;
        match (self, e) {
            (Lang::En, TraceLoadError::NotJson(why)) => {
                format!("{name} is not a complete JSON file ({why})")
            }
            (Lang::ZhCn, TraceLoadError::NotJson(why)) => {
                format!("{name} 不是完整的 JSON 文件（{why}）")
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
                format!("{name} looks like a conlab trace but is damaged: {why}")
            }
            (Lang::ZhCn, TraceLoadError::Invalid(why)) => {
                format!("{name} 像是 conlab 轨迹，但已损坏：{why}")
            }
            (Lang::En, TraceLoadError::TooLarge { size, limit }) => {
                format!("{name} is {size} bytes; the limit is {limit} bytes")
            }
            (Lang::ZhCn, TraceLoadError::TooLarge { size, limit }) => {
                format!("{name} 有 {size} 字节；上限是 {limit} 字节")
            }
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
                Some("stopped with the Stop button: the trace shows the run up to then".into())
            }
            (Lang::ZhCn, Status::Stopped { .. }) => {
                Some("已用“停止”按钮结束：轨迹只包含到那一刻为止的运行".into())
            }
        }
    }

    /// A link naming a scenario that is not in the catalog.
    pub fn unknown_scenario(self, id: &str, fallback: &str) -> String {
        match self {
            Lang::En => {
                format!("The link asks for `{id}`, which is not in the catalog; showing {fallback}")
            }
            Lang::ZhCn => format!("链接中的场景 `{id}` 不在目录中；改为显示 {fallback}"),
        }
    }
}

macro_rules! ui_strings {
    ($($(#[$doc:meta])* $name:ident => $en:expr, $zh:expr;)*) => {
        impl Lang {
            $( $(#[$doc])* pub fn $name(self) -> &'static str { self.pick($en, $zh) } )*
        }
    };
}

ui_strings! {
    /// The page title.
    page_title => "conlab playground", "conlab 并发实验室";
    /// Under the title.
    tagline => "Run concurrency scenarios live on your browser's event loop and see what every task was doing.",
        "在浏览器自己的事件循环上实时运行并发场景，看清每个任务在每一刻做什么。";
    /// Picker label.
    scenario => "Scenario", "场景";
    /// Parameter form legend.
    parameters => "Parameters", "参数";
    /// time-scale help.
    time_scale_help => "multiplies every duration; 0.01 to 100", "所有时长乘以此倍数；0.01 到 100";
    /// Run button.
    run => "Run", "运行";
    /// Run button while a run goes on.
    running => "Running…", "运行中…";
    /// Stop button.
    stop => "Stop", "停止";
    /// Step-through button.
    step_through => "Step through", "逐步查看";
    /// Compare button.
    pin => "Keep for comparison", "保留以便对比";
    /// Compare with the recorded native run.
    compare_native => "Compare with a native run", "与原生运行对比";
    /// No recorded native run to compare with.
    no_native_run => "No recorded native run of this scenario ships with this site; open one saved by `conlab run … --out run.json` and keep it for comparison.",
        "本站没有附带这个场景的原生运行录制；可以打开用 `conlab run … --out run.json` 保存的轨迹，并保留以便对比。";
    /// Stop comparing.
    unpin => "Stop comparing", "取消对比";
    /// Copy link.
    copy_link => "Copy link", "复制链接";
    /// After copying.
    link_copied => "Link copied", "链接已复制";
    /// Embed button.
    embed => "Embed", "嵌入";
    /// Embed dialog heading.
    embed_heading => "Put this scenario in your tutorial", "把这个场景放进你的教程";
    /// iframe snippet label.
    embed_iframe => "An iframe:", "iframe 方式：";
    /// script snippet label.
    embed_script => "Or a script that turns every element with data-conlab-scenario into a live widget:",
        "或者用脚本：页面上每个带 data-conlab-scenario 的元素都会变成可运行的组件：";
    /// Open in the playground (from an embed).
    open_playground => "Open in the playground", "在实验室中打开";
    /// File picker label.
    open_trace => "Open a trace file…", "打开轨迹文件…";
    /// Drop zone text.
    drop_here => "or drop one here", "或拖放到这里";
    /// Download buttons.
    download_json => "Download trace (JSON)", "下载轨迹（JSON）";
    /// Download for Perfetto.
    download_chrome => "Download for Perfetto", "下载 Perfetto 格式";
    /// Section headings.
    output => "Output", "输出";
    /// Metrics heading.
    metrics => "Metrics", "指标";
    /// Checks heading.
    checks => "Checks", "检查";
    /// Legend heading.
    legend => "States", "状态";
    /// Zoom buttons.
    zoom_in => "Zoom in", "放大";
    /// Zoom out.
    zoom_out => "Zoom out", "缩小";
    /// Reset zoom.
    whole_run => "Whole run", "显示全部";
    /// Timeline help.
    timeline_hint => "wheel: scroll lanes · Ctrl/⌘+wheel: zoom · Shift+wheel or drag: pan · keys + − ← → ↑ ↓ 0",
        "滚轮：滚动泳道 · Ctrl/⌘+滚轮：缩放 · Shift+滚轮或拖动：平移 · 按键 + − ← → ↑ ↓ 0";
    /// Lane filter placeholder.
    filter_lanes => "filter lanes by name", "按名称筛选泳道";
    /// Fold alike lanes.
    fold_lanes => "Fold alike lanes", "折叠相同的泳道";
    /// Unfold them.
    unfold_lanes => "Show every lane", "显示全部泳道";
    /// Tooltip over a folded row's name.
    click_to_open => "click the name to show each lane", "点击名称以逐条显示";
    /// Tooltip.
    start => "start", "开始";
    /// Tooltip.
    duration => "lasted", "持续";
    /// Output line hint.
    output_hint => "click a line to see its moment on the timeline", "点击一行，在时间轴上定位到那一刻";
    /// Native-only scenarios.
    native_only => "This scenario needs real OS threads, processes or servers, so it runs in the native runner, not in the browser. Below is a run recorded with it.",
        "这个场景需要真实的操作系统线程、进程或服务器，只能在原生运行器中运行，不能在浏览器中运行。下面是用原生运行器录制的一次运行。";
    /// Above the disabled form of a native-only scenario.
    recorded_params => "The parameters below are the recorded run's and cannot be changed here. To try your own, run the command with them on your machine.",
        "下面的参数是这次录制所用的，在此页面上不能修改。想用自己的参数，请在你的机器上运行下面的命令。";
    /// How to run natively.
    run_it_live => "Run it live on your machine:", "在你的机器上实时运行：";
    /// No recording available.
    no_recording => "No recorded run of this scenario ships with this site yet.", "本站尚未附带这个场景的录制结果。";
    /// Step-through heading.
    step_heading => "Step through a deterministic run (virtual time)", "逐步查看一次确定性运行（虚拟时间）";
    /// Step buttons.
    step_back => "◀ Back", "◀ 上一步";
    /// Step forward.
    step_forward => "Forward ▶", "下一步 ▶";
    /// Close step-through.
    close => "Close", "关闭";
    /// Lane state table: lane column.
    lane => "Lane", "泳道";
    /// Lane state table: state column.
    state => "State", "状态";
    /// Idle lane.
    idle => "—", "—";
    /// Compare heading.
    comparing => "Comparing two runs on one time scale", "在同一时间尺度上对比两次运行";
    /// The kept run.
    kept_run => "kept", "保留的";
    /// The current run.
    this_run => "this run", "本次运行";
    /// Theme switch.
    theme => "Theme", "主题";
    /// Theme options.
    theme_auto => "auto", "自动";
    /// Light theme.
    theme_light => "light", "浅色";
    /// Dark theme.
    theme_dark => "dark", "深色";
    /// Language switch.
    language => "Language", "语言";
    /// Lane list.
    lane_list => "Lanes as a list", "以列表显示泳道";
    /// Link parameters invalid.
    link_params => "The link's parameters:", "链接中的参数有误：";
    /// Badge for native-only scenarios.
    native_badge => "native", "原生";
    /// Badge for scenarios not built yet.
    planned_badge => "planned", "计划中";
    /// What a planned scenario's page says.
    planned_note => "This scenario is planned: it is in the catalog, but conlab cannot run it yet, natively or in the browser, and there is no recording of it.",
        "这个场景还在计划中：它已列入目录，但 conlab 目前还不能运行它（原生和浏览器都不行），也没有它的录制结果。";
}
