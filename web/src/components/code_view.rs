//! The scenario's code, the file that actually runs, fetched from the site the first time it is
//! shown (the sources are not in the download). In a step-through every line some lane is at
//! carries that lane's name, coloured by what the lane is doing, as Python Tutor shows one
//! thread's line, here for every task at once.

use crate::i18n::use_lang;
use crate::share::fetch_text;
use crate::state::TraceRc;
use crate::timeline::state_style;
use conlab_core::SpanState;
use std::cell::RefCell;
use std::rc::Rc;
use yew::prelude::*;

/// Where the site keeps the sources, relative to the page (`scripts/build-web.sh` copies them).
const SOURCES: &str = "sources/";

/// At most this many lane names are written beside one line; the rest are counted.
const NAMES_PER_LINE: usize = 3;

/// One lane's place in the code at a step.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LaneAt {
    /// The lane.
    pub lane: u32,
    /// The line, an index into the trace's sites.
    pub site: u16,
    /// What the lane is doing there, if it is inside a span.
    pub state: Option<SpanState>,
}

/// Properties of [`CodeView`].
#[derive(Properties, PartialEq)]
pub struct CodeViewProps {
    /// The file to show, relative to the workspace.
    pub source: &'static str,
    /// Shown open (step-through) rather than folded away.
    #[prop_or_default]
    pub open: bool,
    /// The run whose lanes are placed in the code, with where each lane is.
    #[prop_or_default]
    pub at: Option<(TraceRc, Rc<Vec<LaneAt>>)>,
    /// The lane that takes the step shown, whose line the pane keeps in view.
    #[prop_or_default]
    pub acting: Option<u32>,
    /// What the pane is called (the code that runs, by default).
    #[prop_or_default]
    pub heading: Option<AttrValue>,
    /// The element's id (`code`, `step-code` in a step-through by default).
    #[prop_or_default]
    pub id: Option<AttrValue>,
}

thread_local! {
    /// Sources fetched so far, by file: each is fetched once per page.
    static FETCHED: RefCell<Vec<(&'static str, Rc<str>)>> = const { RefCell::new(Vec::new()) };
}

/// `file` as a path kept for the page's life: the panes name their files by `&'static str`,
/// and a page meets a few dozen files at most, each kept once.
pub fn kept(file: &str) -> &'static str {
    thread_local! {
        static FILES: RefCell<Vec<&'static str>> = const { RefCell::new(Vec::new()) };
    }
    FILES.with(|files| {
        let mut files = files.borrow_mut();
        match files.iter().find(|f| **f == file) {
            Some(f) => *f,
            None => {
                let leaked: &'static str = Box::leak(file.into());
                files.push(leaked);
                leaked
            }
        }
    })
}

/// The source of `file`, if fetched already.
fn fetched(file: &str) -> Option<Rc<str>> {
    FETCHED.with(|f| {
        f.borrow()
            .iter()
            .find(|(name, _)| *name == file)
            .map(|(_, code)| code.clone())
    })
}

/// The file's name without its folders.
fn short_name(file: &str) -> &str {
    file.rsplit('/').next().unwrap_or(file)
}

/// The scenario's code, folded until opened.
#[function_component(CodeView)]
pub fn code_view(props: &CodeViewProps) -> Html {
    let lang = use_lang();
    let source = props.source;
    let text = use_state(|| fetched(source).map(Ok));
    let opened = use_state(|| props.open);
    {
        // Fetch when first shown (and again if the file changes with the scenario).
        let text = text.clone();
        let wanted = *opened;
        use_effect_with((source, wanted), move |(source, wanted)| {
            let source: &'static str = source;
            match fetched(source) {
                Some(code) => text.set(Some(Ok(code))),
                None if *wanted => {
                    text.set(None);
                    wasm_bindgen_futures::spawn_local(async move {
                        let url = format!("{SOURCES}{source}");
                        let fetched = fetch_text(&url)
                            .await
                            .map_err(|e| lang.fetch_error(&url, e));
                        let fetched = fetched.map(|code| {
                            let code: Rc<str> = code.into();
                            FETCHED.with(|f| f.borrow_mut().push((source, code.clone())));
                            code
                        });
                        text.set(Some(fetched));
                    });
                }
                None => text.set(None),
            }
        });
    }
    let on_toggle = {
        let opened = opened.clone();
        Callback::from(move |e: Event| {
            let details: web_sys::HtmlDetailsElement = e.target_unchecked_into();
            opened.set(details.open());
        })
    };
    // In a step-through the pane follows the step: the line of the lane taking it comes into
    // view (the page itself does not scroll).
    let pane = use_node_ref();
    {
        let pane = pane.clone();
        let step = props.at.as_ref().map(|(_, at)| Rc::as_ptr(at) as usize);
        let shown = text.as_ref().is_some_and(|t| t.is_ok());
        use_effect_with((step, shown), move |_| {
            if let Some(pane) = pane.cast::<web_sys::Element>() {
                follow(&pane);
            }
        });
    }
    let body = match &*text {
        Some(Ok(code)) => {
            // The lesson, not how conlab judges it: a scenario's checks (and what follows
            // them) are listed under its run; the lines above keep their numbers.
            let (shown, cut) = without_checks(code);
            html! {
                <>
                    { lines(shown, source, props.at.as_ref(), props.acting, pane.clone()) }
                    if cut { <p class="hint code-cut">{ lang.code_checks_cut() }</p> }
                </>
            }
        }
        Some(Err(e)) => {
            html! { <p class="error">{ lang.code_missing() }{ lang.gap_after(lang.code_missing()) }{ e }</p> }
        }
        None if *opened => html! { <p class="loading">{ lang.code_loading() }</p> },
        None => html! {},
    };
    let id = props.id.clone().unwrap_or_else(|| {
        AttrValue::from(if props.at.is_some() {
            "step-code"
        } else {
            "code"
        })
    });
    let heading = props
        .heading
        .clone()
        .unwrap_or_else(|| AttrValue::from(lang.code_heading()));
    html! {
        <details class="code" {id} open={props.open} ontoggle={on_toggle}>
            <summary>{ heading }{ " · " }<code>{ short_name(source) }</code></summary>
            { body }
        </details>
    }
}

/// A scenario file up to its checks (from the comment above `pub fn checks`), and whether
/// anything was left out. A Python program has none: it records, conlab judges.
pub fn without_checks(code: &str) -> (&str, bool) {
    let Some(at) = code.find("\npub fn checks") else {
        return (code, false);
    };
    // Back over the doc comment and attributes right above it.
    let mut start = at;
    while let Some(prev) = code[..start].rfind('\n') {
        let line = code[prev + 1..start].trim_start();
        if line.starts_with("///") || line.starts_with("#[") {
            start = prev;
        } else {
            break;
        }
    }
    (code[..start].trim_end_matches('\n'), true)
}

/// Scrolls `pane` so that the line of the lane taking the step (or else the first line some
/// lane is at) is in view, if it is not.
fn follow(pane: &web_sys::Element) {
    let line = match pane.query_selector(".line.acting") {
        Ok(Some(line)) => line,
        _ => match pane.query_selector(".line.at") {
            Ok(Some(line)) => line,
            _ => return,
        },
    };
    let (box_, at) = (
        pane.get_bounding_client_rect(),
        line.get_bounding_client_rect(),
    );
    let top = at.top() - box_.top();
    if top < 0.0 || top + at.height() > box_.height() {
        let scrolled = pane.scroll_top() as f64 + top - box_.height() / 3.0;
        pane.set_scroll_top(scrolled.max(0.0) as i32);
    }
    // The line off the screen (the pane below the fold, or a phone's screen too small for
    // both): the page scrolls just enough to show it (Back and Next stick to the top).
    let Some(window) = web_sys::window() else {
        return;
    };
    let height = window
        .inner_height()
        .ok()
        .and_then(|h| h.as_f64())
        .unwrap_or(0.0);
    let at = line.get_bounding_client_rect();
    if at.bottom() > height {
        window.scroll_by_with_x_and_y(0.0, at.bottom() - height + 16.0);
    } else if at.top() < STICKY_CONTROLS {
        window.scroll_by_with_x_and_y(0.0, at.top() - STICKY_CONTROLS - 8.0);
    }
}

/// How much of the screen the step-through's sticky controls cover at the top.
const STICKY_CONTROLS: f64 = 64.0;

/// The lanes named beside a line: the one taking the step first, then the others in lane
/// order, at most [`NAMES_PER_LINE`] in all (the rest are counted).
fn shown(lanes: &[(u32, LaneAt)], acting: Option<u32>) -> impl Iterator<Item = &(u32, LaneAt)> {
    let first = lanes.iter().filter(move |(_, a)| Some(a.lane) == acting);
    let rest = lanes.iter().filter(move |(_, a)| Some(a.lane) != acting);
    first.chain(rest).take(NAMES_PER_LINE)
}

/// The lines of `code`, each with the lanes that are at it; `pane` is the scrolling box.
fn lines(
    code: &str,
    file: &str,
    at: Option<&(TraceRc, Rc<Vec<LaneAt>>)>,
    acting: Option<u32>,
    pane: NodeRef,
) -> Html {
    // The lanes at lines of this file, by line, then in lane order.
    let mut here: Vec<(u32, LaneAt)> = Vec::new();
    if let Some((trace, lanes)) = at {
        for a in lanes.iter() {
            if let Some(site) = trace.sites.get(a.site as usize) {
                if site.file == file {
                    here.push((site.line, *a));
                }
            }
        }
    }
    conlab_core::order::sort_by_packed_key(&mut here, |(line, a)| {
        (*line as u128) << 32 | a.lane as u128
    });
    let lanes_at = |line: u32| -> &[(u32, LaneAt)] {
        let from = here.partition_point(|(l, _)| *l < line);
        let to = here.partition_point(|(l, _)| *l <= line);
        &here[from..to]
    };
    let names = |lanes: &[(u32, LaneAt)]| -> Html {
        let Some((trace, _)) = at else {
            return html! {};
        };
        let more = lanes.len().saturating_sub(NAMES_PER_LINE);
        html! {
            <span class="lanes-here">
                { for shown(lanes, acting).map(|(_, a)| {
                    let name = trace.lanes.get(a.lane as usize).map_or("?", |l| l.name.as_str());
                    let style = a.state.map(|s| format!("--lane-colour: {}", state_style(s).colour));
                    let class = classes!("lane-here", (Some(a.lane) == acting).then_some("acting-lane"));
                    html! { <span {class} {style}>{ name }</span> }
                }) }
                if more > 0 { <span class="lane-here more">{ format!("+{}", conlab_core::thousands(more as u64)) }</span> }
            </span>
        }
    };
    html! {
        <pre class="source" ref={pane} data-file={file.to_string()} data-lanes-shown={here.len().to_string()}><code>
            { for code.lines().enumerate().map(|(i, line)| {
                let n = i as u32 + 1;
                let lanes = lanes_at(n);
                let class = classes!(
                    "line",
                    (!lanes.is_empty()).then_some("at"),
                    lanes.iter().any(|(_, a)| Some(a.lane) == acting).then_some("acting"),
                    line.trim_start().starts_with("//").then_some("comment"),
                );
                html! {
                    <span {class} data-line={n.to_string()}>
                        <span class="ln">{ n }</span>{ line }
                        if !lanes.is_empty() { { names(lanes) } }
                        { "\n" }
                    </span>
                }
            }) }
        </code></pre>
    }
}
