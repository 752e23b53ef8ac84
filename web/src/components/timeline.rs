//! The interactive timeline: a canvas with every lane of a trace, its lanes scrolled with the
//! wheel or the scrollbar beside them, zoomed with Ctrl/⌘+wheel or `+`/`-`, panned by dragging,
//! Shift+wheel or the arrow keys, with the span under the pointer described in a tooltip.
//! Lanes can be filtered by name, and runs of alike lanes are folded into one row that opens
//! with a click. Timelines given one [`TimeLink`] zoom and pan together. Redraws go straight to
//! the canvas; Yew re-renders only the tools and the tooltip.

use crate::i18n::{use_lang, Lang};
use crate::state::TraceRc;
use crate::timeline::{
    draw, first_to_last, has_phases, state_style, widest_name, Fill, Geometry, Overlay, Patterns,
    RowChoice, Rows, Theme, TimelineModel, Viewport, CANCELLED,
};
use conlab_core::{Nanos, Trace};
use gloo_events::{EventListener, EventListenerOptions};
use std::cell::RefCell;
use std::rc::Rc;
use wasm_bindgen::JsCast;
use web_sys::{
    CanvasRenderingContext2d, Element, HtmlCanvasElement, HtmlInputElement, KeyboardEvent,
    MouseEvent, PointerEvent, WheelEvent,
};
use yew::prelude::*;

/// Properties of [`Timeline`].
#[derive(Properties, PartialEq)]
pub struct TimelineProps {
    /// The trace to draw (a live run passes a new snapshot every frame).
    pub trace: TraceRc,
    /// End of the time axis when several timelines share one scale.
    #[prop_or_default]
    pub scale_end: Option<Nanos>,
    /// A moment to mark with a vertical line and bring into view.
    #[prop_or_default]
    pub cursor: Option<Nanos>,
    /// Element id of the canvas.
    #[prop_or(AttrValue::from("timeline"))]
    pub id: AttrValue,
    /// Timelines sharing one link show the same time window.
    #[prop_or_default]
    pub link: Option<TimeLink>,
    /// The trace is laid out step by step ([`conlab_core::replay::on_step_axis`]): the axis
    /// and the tooltips count steps.
    #[prop_or_default]
    pub steps: bool,
}

/// Above this many lanes, alike lanes start folded.
const FOLD_FROM: usize = 200;

/// Timelines that zoom and pan together (the two runs of a comparison).
#[derive(Clone, Default)]
pub struct TimeLink(Rc<RefCell<Vec<(NodeRef, NodeRef, Shared)>>>);

impl PartialEq for TimeLink {
    fn eq(&self, other: &TimeLink) -> bool {
        Rc::ptr_eq(&self.0, &other.0)
    }
}

impl TimeLink {
    /// Shows the time window of `from` in every other timeline of the link.
    fn follow(&self, from: &Shared) {
        let Some((t0, t1)) = from.borrow().as_ref().map(|c| (c.vp.t0, c.vp.t1)) else {
            return;
        };
        for (canvas, scroller, other) in self.0.borrow().iter() {
            if Rc::ptr_eq(other, from) {
                continue;
            }
            if let Some(c) = other.borrow_mut().as_mut() {
                c.vp = c.vp.window_of(t0, t1);
            }
            redraw(canvas, scroller, other);
        }
    }
}

/// What the canvas keeps between frames.
struct Canvas {
    trace: TraceRc,
    model: Rc<TimelineModel>,
    rows: Rows,
    choice: RowChoice,
    vp: Viewport,
    geometry: Geometry,
    patterns: Patterns,
    drag: Option<(f64, f64, Viewport)>,
    cursor: Option<Nanos>,
    /// Rectangles filled by the last redraw (shown to tests and benchmarks).
    filled: usize,
    /// The reader folded or unfolded lanes: a live run's new lanes no longer fold them.
    fold_chosen: bool,
    /// The page's language (phase names are drawn in it).
    lang: Lang,
    /// The axis counts steps.
    steps: bool,
    /// How wide the lane names are drawn, for which rows (their count) of how many lanes.
    names: Option<(usize, usize, f64)>,
}

type Shared = Rc<RefCell<Option<Canvas>>>;

/// A tooltip: where, and what it says; `above` when it opens upwards (near the bottom).
#[derive(Clone, PartialEq)]
struct Tip {
    x: f64,
    y: f64,
    above: bool,
    lines: Vec<String>,
}

/// What the tools above the canvas show.
#[derive(Clone, PartialEq, Default)]
struct ToolsState {
    /// Lanes shown (after the filter) and rows they take.
    shown: (usize, usize),
    /// Some run of alike lanes is folded, or could be.
    foldable: bool,
    fold: bool,
}

/// The timeline.
#[function_component(Timeline)]
pub fn timeline(props: &TimelineProps) -> Html {
    let lang = use_lang();
    let canvas_ref = use_node_ref();
    let scroller = use_node_ref();
    let shared: Shared = use_mut_ref(|| None);
    let tip = use_state(|| None::<Tip>);
    let tools = use_state(ToolsState::default);

    // The language changed: phase names are drawn in the new one.
    {
        let (shared, canvas_ref, scroller) = (shared.clone(), canvas_ref.clone(), scroller.clone());
        use_effect_with(lang, move |lang| {
            if let Some(c) = shared.borrow_mut().as_mut() {
                c.lang = *lang;
            }
            redraw(&canvas_ref, &scroller, &shared);
        });
    }
    // A new trace (or a new snapshot of a live one) is indexed once; the view stays where it
    // can. A moved cursor only redraws.
    let model = use_memo(
        (props.trace.clone(), props.scale_end),
        |(trace, scale_end)| {
            let mut model = TimelineModel::new(trace);
            model.end = model.end.max(scale_end.unwrap_or(0));
            model
        },
    );
    {
        let (shared, canvas_ref, scroller, model, tools) = (
            shared.clone(),
            canvas_ref.clone(),
            scroller.clone(),
            model.clone(),
            tools.clone(),
        );
        use_effect_with((props.trace.clone(), props.steps), move |(trace, steps)| {
            let steps = *steps;
            let mut slot = shared.borrow_mut();
            let next = match slot.take() {
                Some(c) if c.trace.same_run(trace) => {
                    // A live run that grew past the folding threshold folds, as it would
                    // have had it been shown whole, unless the reader chose otherwise.
                    let mut choice = c.choice.clone();
                    if !c.fold_chosen && trace.lanes.len() > FOLD_FROM {
                        choice.fold = true;
                    }
                    let rows = Rows::new(trace, &model, &choice);
                    Canvas {
                        vp: c.vp.grown(model.end, rows.count()),
                        trace: trace.clone(),
                        rows,
                        model,
                        choice,
                        steps,
                        ..c
                    }
                }
                old => {
                    let choice = RowChoice {
                        fold: trace.lanes.len() > FOLD_FROM,
                        ..RowChoice::default()
                    };
                    let rows = Rows::new(trace, &model, &choice);
                    let vp = Viewport::whole(model.end, rows.count());
                    match old {
                        Some(c) => Canvas {
                            trace: trace.clone(),
                            model,
                            rows,
                            choice,
                            vp,
                            fold_chosen: false,
                            steps,
                            names: None,
                            ..c
                        },
                        None => Canvas {
                            trace: trace.clone(),
                            vp,
                            model,
                            rows,
                            choice,
                            geometry: Geometry::fit(600.0, 1, 1.0, 0.0),
                            patterns: Patterns::default(),
                            drag: None,
                            cursor: None,
                            filled: 0,
                            fold_chosen: false,
                            lang,
                            steps,
                            names: None,
                        },
                    }
                }
            };
            tools.set(tools_of(&next));
            *slot = Some(next);
            drop(slot);
            redraw(&canvas_ref, &scroller, &shared);
        });
    }
    {
        let (shared, canvas_ref, scroller) = (shared.clone(), canvas_ref.clone(), scroller.clone());
        use_effect_with(props.cursor, move |cursor| {
            if let Some(c) = shared.borrow_mut().as_mut() {
                c.cursor = *cursor;
                if let Some(t) = *cursor {
                    if (t as f64) < c.vp.t0 || (t as f64) > c.vp.t1 {
                        c.vp = c.vp.centre_on(t);
                    }
                }
            }
            redraw(&canvas_ref, &scroller, &shared);
        });
    }
    // Joining a link: its other timelines follow this one's window, and this one theirs.
    {
        let (shared, canvas_ref, scroller) = (shared.clone(), canvas_ref.clone(), scroller.clone());
        use_effect_with(props.link.clone(), move |link| {
            let link = link.clone();
            if let Some(l) = &link {
                l.0.borrow_mut()
                    .push((canvas_ref, scroller, shared.clone()));
            }
            move || {
                if let Some(l) = link {
                    l.0.borrow_mut().retain(|(_, _, s)| !Rc::ptr_eq(s, &shared));
                }
            }
        });
    }
    let link = props.link.clone();
    // After the view changed by hand: redraw, and let linked timelines follow.
    let moved = {
        let (shared, canvas_ref, scroller) = (shared.clone(), canvas_ref.clone(), scroller.clone());
        Rc::new(move || {
            redraw(&canvas_ref, &scroller, &shared);
            if let Some(l) = &link {
                l.follow(&shared);
            }
        })
    };

    // The wheel listener must be able to prevent scrolling (not passive); a resize redraws.
    {
        let (shared, canvas_ref, scroller, tip, moved) = (
            shared.clone(),
            canvas_ref.clone(),
            scroller.clone(),
            tip.clone(),
            moved.clone(),
        );
        use_effect_with((), move |_| {
            let mut listeners = Vec::new();
            if let Some(canvas) = canvas_ref.cast::<HtmlCanvasElement>() {
                let s = shared.clone();
                let options = EventListenerOptions::enable_prevent_default();
                listeners.push(EventListener::new_with_options(
                    &canvas,
                    "wheel",
                    options,
                    move |e| {
                        let Some(e) = e.dyn_ref::<WheelEvent>() else {
                            return;
                        };
                        // A plain wheel scrolls the lanes (or the page) natively.
                        if on_wheel(&s, e) {
                            e.prevent_default();
                            moved();
                            tip.set(None);
                        }
                    },
                ));
            }
            if let Some(window) = web_sys::window() {
                let (s, r, b) = (shared.clone(), canvas_ref.clone(), scroller.clone());
                listeners.push(EventListener::new(&window, "resize", move |_| {
                    redraw(&r, &b, &s)
                }));
                let (s, r, b) = (shared.clone(), canvas_ref.clone(), scroller.clone());
                listeners.push(EventListener::new(
                    &window,
                    crate::components::settings::COLOURS_CHANGED,
                    move |_| redraw(&r, &b, &s),
                ));
            }
            move || drop(listeners)
        });
    }

    let on_scroll = {
        let (shared, canvas_ref, scroller, tip) = (
            shared.clone(),
            canvas_ref.clone(),
            scroller.clone(),
            tip.clone(),
        );
        Callback::from(move |_: Event| {
            let Some(top) = scroller.cast::<Element>().map(|b| b.scroll_top() as f64) else {
                return;
            };
            let changed = match shared.borrow_mut().as_mut() {
                Some(c) if ((c.vp.row0 * c.geometry.row) - top).abs() >= 1.0 => {
                    let rows = c.geometry.visible_rows();
                    c.vp = c.vp.scroll(top / c.geometry.row - c.vp.row0, rows);
                    true
                }
                _ => false,
            };
            if changed {
                redraw(&canvas_ref, &scroller, &shared);
                tip.set(None);
            }
        })
    };

    // Pointer events: the same dragging works with a mouse, a pen or a finger; capturing the
    // pointer keeps a drag going when it leaves the canvas. A press on a folded row's name
    // opens it.
    let on_down = {
        let (shared, canvas_ref, scroller, tools) = (
            shared.clone(),
            canvas_ref.clone(),
            scroller.clone(),
            tools.clone(),
        );
        Callback::from(move |e: PointerEvent| {
            if open_folded(&shared, e.offset_x() as f64, e.offset_y() as f64) {
                if let Some(c) = shared.borrow().as_ref() {
                    tools.set(tools_of(c));
                }
                redraw(&canvas_ref, &scroller, &shared);
                return;
            }
            if let Some(c) = shared.borrow_mut().as_mut() {
                c.drag = Some((e.client_x() as f64, e.client_y() as f64, c.vp));
            }
            if let Some(canvas) = canvas_ref.cast::<HtmlCanvasElement>() {
                let _ = canvas.set_pointer_capture(e.pointer_id());
            }
        })
    };
    let on_up = {
        let shared = shared.clone();
        Callback::from(move |_: PointerEvent| {
            if let Some(c) = shared.borrow_mut().as_mut() {
                c.drag = None;
            }
        })
    };
    let on_move = {
        let (shared, tip, moved) = (shared.clone(), tip.clone(), moved.clone());
        Callback::from(move |e: PointerEvent| {
            let dragging = shared.borrow().as_ref().is_some_and(|c| c.drag.is_some());
            if dragging {
                drag_to(&shared, e.client_x() as f64, e.client_y() as f64);
                moved();
                tip.set(None);
            } else {
                tip.set(hover(
                    &shared,
                    e.offset_x() as f64,
                    e.offset_y() as f64,
                    lang,
                ));
            }
        })
    };
    let on_leave = {
        let (shared, tip) = (shared.clone(), tip.clone());
        Callback::from(move |_: PointerEvent| {
            if let Some(c) = shared.borrow_mut().as_mut() {
                c.drag = None;
            }
            tip.set(None);
        })
    };
    let on_key = {
        let (shared, moved) = (shared.clone(), moved.clone());
        Callback::from(move |e: KeyboardEvent| {
            if key(&shared, &e.key()) {
                e.prevent_default();
                moved();
            }
        })
    };
    let button = |k: &'static str| {
        let (shared, moved) = (shared.clone(), moved.clone());
        Callback::from(move |_: MouseEvent| {
            key(&shared, k);
            moved();
        })
    };
    // The filter and the fold switch choose the rows again.
    let choose = {
        let (shared, canvas_ref, scroller, tools) = (
            shared.clone(),
            canvas_ref.clone(),
            scroller.clone(),
            tools.clone(),
        );
        Rc::new(move |change: &dyn Fn(&mut RowChoice)| {
            if let Some(c) = shared.borrow_mut().as_mut() {
                let fold = c.choice.fold;
                change(&mut c.choice);
                c.fold_chosen |= c.choice.fold != fold;
                c.rows = Rows::new(&c.trace, &c.model, &c.choice);
                c.vp = c.vp.grown(c.model.end, c.rows.count()).scroll(-1e12, 1);
                tools.set(tools_of(c));
            }
            redraw(&canvas_ref, &scroller, &shared);
        })
    };
    let on_filter = {
        let choose = choose.clone();
        Callback::from(move |e: InputEvent| {
            let input: HtmlInputElement = e.target_unchecked_into();
            choose(&|c: &mut RowChoice| c.filter = input.value());
        })
    };
    let on_fold = Callback::from(move |_: MouseEvent| {
        choose(&|c: &mut RowChoice| {
            c.fold = !c.fold;
            c.opened.clear();
        })
    });
    let t = &props.trace;
    let summary = lang.lanes_and_spans(t.lanes.len(), t.spans.len());
    let (lanes_shown, rows_shown) = tools.shown;
    let many = t.lanes.len() > 24;
    html! {
        <div class="timeline">
            <div class="timeline-tools">
                <span class="timeline-summary">{ summary.clone() }</span>
                <button class="icon" title={lang.zoom_in()} aria-label={lang.zoom_in()} onclick={button("+")}>{ "+" }</button>
                <button class="icon" title={lang.zoom_out()} aria-label={lang.zoom_out()} onclick={button("-")}>{ "−" }</button>
                <button class="icon" title={lang.whole_run()} aria-label={lang.whole_run()} onclick={button("0")}>{ "⤢" }</button>
                if many {
                    <input class="lane-filter" type="search" placeholder={lang.filter_lanes()} aria-label={lang.filter_lanes()} oninput={on_filter} />
                }
                if tools.foldable {
                    <button class="secondary fold" aria-pressed={tools.fold.to_string()} onclick={on_fold}>
                        { if tools.fold { lang.unfold_lanes() } else { lang.fold_lanes() } }
                    </button>
                }
                if many && (lanes_shown != t.lanes.len() || rows_shown != lanes_shown) {
                    <span class="hint rows-shown">{ lang.rows_shown(lanes_shown, rows_shown) }</span>
                }
            </div>
            <p class="hint timeline-hint">{ lang.timeline_hint() }</p>
            <div class="timeline-stage">
                <div class="canvas-box" ref={scroller.clone()} onscroll={on_scroll}>
                    <canvas id={props.id.clone()} ref={canvas_ref} tabindex="0" role="img"
                        aria-label={summary}
                        onpointerdown={on_down} onpointerup={on_up.clone()} onpointercancel={on_up}
                        onpointermove={on_move} onpointerleave={on_leave} onkeydown={on_key}></canvas>
                    <div class="lane-spacer"></div>
                </div>
                if let Some(tip) = &*tip {
                    <div class={classes!("tip", tip.above.then_some("above"))} role="tooltip" style={format!("left:{}px;top:{}px", tip.x, tip.y)}>
                        { for tip.lines.iter().map(|l| html! { <div>{ l }</div> }) }
                    </div>
                }
            </div>
            <ul class="legend" aria-label={lang.legend()}>
                <li><span class="life-line" aria-hidden="true"></span>{ lang.lane_alive() }</li>
                { for model.states.iter().map(|s| {
                    let style = state_style(*s);
                    html! {
                        <li><span class={classes!("swatch", fill_class(style.fill))} style={format!("--c:{}", style.colour)}></span>{ lang.state_name(*s) }</li>
                    }
                }) }
                if t.marks_named(CANCELLED).next().is_some() {
                    <li><span class="cancel-mark" aria-hidden="true">{ "✕" }</span>{ lang.cancelled() }</li>
                }
            </ul>
        </div>
    }
}

/// What the tools show for a canvas.
fn tools_of(c: &Canvas) -> ToolsState {
    ToolsState {
        shown: (c.rows.lane_count(), c.rows.count()),
        foldable: c.choice.fold || c.rows.foldable(),
        fold: c.choice.fold,
    }
}

/// Paints the canvas at its current size, and sizes the scrollbar beside it.
fn redraw(canvas_ref: &NodeRef, scroller: &NodeRef, shared: &Shared) {
    let Some(canvas) = canvas_ref.cast::<HtmlCanvasElement>() else {
        return;
    };
    let mut slot = shared.borrow_mut();
    let Some(c) = slot.as_mut() else { return };
    let dpr = web_sys::window()
        .map(|w| w.device_pixel_ratio())
        .unwrap_or(1.0);
    // The box scrolls over a spacer as tall as the rows that do not fit, while the canvas
    // stays put. Its height does not depend on the width, which is measured after the
    // scrollbar is there.
    let band = |g: Geometry| match has_phases(&c.trace) {
        true => g.with_phase_band(),
        false => g,
    };
    let Some(ctx) = canvas
        .get_context("2d")
        .ok()
        .flatten()
        .and_then(|x| x.dyn_into::<CanvasRenderingContext2d>().ok())
    else {
        return;
    };
    let key = (c.rows.count(), c.trace.lanes.len());
    let names = match c.names {
        Some((rows, lanes, px)) if (rows, lanes) == key => px,
        _ => {
            let px = widest_name(&ctx, &c.trace, &c.rows);
            c.names = Some((key.0, key.1, px));
            px
        }
    };
    let tall = band(Geometry::fit(600.0, c.rows.count(), dpr, names));
    let scroll_box = scroller.cast::<Element>();
    if let Some(b) = &scroll_box {
        if let Some(spacer) = b.last_element_child() {
            let range = tall.scroll_range(c.rows.count());
            restyle(&spacer, &format!("height:{range}px"));
        }
        restyle(b, &format!("height:{}px", tall.height + 2.0));
    }
    let width = canvas
        .parent_element()
        .map(|p| p.client_width() as f64)
        .filter(|w| *w > 0.0)
        .unwrap_or(600.0);
    let g = band(Geometry::fit(width, c.rows.count(), dpr, names));
    if g != c.geometry {
        canvas.set_width((g.width * g.dpr).round() as u32);
        canvas.set_height((g.height * g.dpr).round() as u32);
        restyle(
            &canvas,
            &format!("width:{}px;height:{}px", g.width, g.height),
        );
        c.geometry = g;
        c.vp = c.vp.scroll(0.0, g.visible_rows());
    }
    if let Some(b) = scroll_box {
        let top = (c.vp.row0 * g.row).round();
        if (b.scroll_top() as f64 - top).abs() >= 1.0 {
            b.set_scroll_top(top as i32);
        }
    }
    let theme = Theme::of(&canvas);
    let overlay = Overlay {
        cursor: c.cursor,
        lang: c.lang,
        steps: c.steps,
    };
    c.filled = draw(
        &ctx,
        &mut c.patterns,
        &c.trace,
        &c.model,
        &c.rows,
        &c.vp,
        &g,
        &theme,
        &overlay,
    );
    let _ = canvas.set_attribute("data-filled", &c.filled.to_string());
    let _ = canvas.set_attribute("data-rows", &c.rows.count().to_string());
    let _ = canvas.set_attribute("data-axis", &g.axis.to_string());
    let _ = canvas.set_attribute("data-gutter", &g.gutter.to_string());
    let _ = canvas.set_attribute("data-first-row", &format!("{:.0}", c.vp.row0));
    let _ = canvas.set_attribute("data-window", &format!("{:.0}-{:.0}", c.vp.t0, c.vp.t1));
    let _ = canvas.set_attribute("data-axis-unit", if c.steps { "steps" } else { "time" });
}

/// Ctrl/⌘+wheel zooms at the pointer, Shift+wheel and sideways wheels pan; returns false for
/// a plain wheel, which scrolls the lanes (or the page) as usual.
fn on_wheel(shared: &Shared, e: &WheelEvent) -> bool {
    let mut slot = shared.borrow_mut();
    let Some(c) = slot.as_mut() else { return false };
    let g = c.geometry;
    let (dx, dy) = (e.delta_x(), e.delta_y());
    if e.ctrl_key() || e.meta_key() {
        let at = (e.offset_x() as f64 - g.gutter) / g.track();
        c.vp = c.vp.zoom((-dy * 0.002).exp(), at);
    } else if e.shift_key() || dx.abs() > dy.abs() {
        let d = if dx.abs() > dy.abs() { dx } else { dy };
        c.vp = c.vp.pan(d / g.track());
    } else {
        return false;
    }
    true
}

fn drag_to(shared: &Shared, x: f64, y: f64) {
    let mut slot = shared.borrow_mut();
    let Some(c) = slot.as_mut() else { return };
    let Some((x0, y0, from)) = c.drag else { return };
    let g = c.geometry;
    c.vp = from
        .pan(-(x - x0) / g.track())
        .scroll(-(y - y0) / g.row, g.visible_rows());
}

/// Applies a key; returns whether it meant something.
fn key(shared: &Shared, key: &str) -> bool {
    let mut slot = shared.borrow_mut();
    let Some(c) = slot.as_mut() else { return false };
    let rows = c.geometry.visible_rows();
    c.vp = match key {
        "+" | "=" => c.vp.zoom(1.5, 0.5),
        "-" | "_" => c.vp.zoom(1.0 / 1.5, 0.5),
        "ArrowLeft" => c.vp.pan(-0.1),
        "ArrowRight" => c.vp.pan(0.1),
        "ArrowUp" => c.vp.scroll(-1.0, rows),
        "ArrowDown" => c.vp.scroll(1.0, rows),
        "PageUp" => c.vp.scroll(-(rows as f64), rows),
        "PageDown" => c.vp.scroll(rows as f64, rows),
        "End" => c.vp.scroll(1e12, rows),
        "0" | "Home" => Viewport::whole(c.model.end, c.rows.count()),
        _ => return false,
    };
    true
}

/// The row under canvas height `y`, if any.
fn row_at(c: &Canvas, y: f64) -> Option<usize> {
    let g = c.geometry;
    if y < g.axis {
        return None;
    }
    let row = (c.vp.row0 + (y - g.axis) / g.row).floor() as usize;
    (row < c.rows.count()).then_some(row)
}

/// Opens the folded row whose name is at (x, y); returns whether there was one.
fn open_folded(shared: &Shared, x: f64, y: f64) -> bool {
    let mut slot = shared.borrow_mut();
    let Some(c) = slot.as_mut() else { return false };
    if x >= c.geometry.gutter {
        return false;
    }
    let Some(row) = row_at(c, y) else {
        return false;
    };
    let first = match c.rows.lanes_of(row) {
        [first, _, ..] => *first,
        _ => return false,
    };
    c.choice.opened.push(first);
    c.rows = Rows::new(&c.trace, &c.model, &c.choice);
    c.vp = c.vp.grown(c.model.end, c.rows.count());
    true
}

/// The tooltip for the span under (x, y), if any: for a folded row, the first of its lanes
/// with a span there.
fn hover(shared: &Shared, x: f64, y: f64, lang: Lang) -> Option<Tip> {
    let slot = shared.borrow();
    let c = slot.as_ref()?;
    let g = c.geometry;
    let row = row_at(c, y)?;
    let lanes = c.rows.lanes_of(row);
    let trace: &Trace = &c.trace;
    let mut lines = Vec::new();
    if lanes.len() > 1 {
        lines.push(lang.folded_lanes(&first_to_last(trace, lanes), lanes.len()));
    }
    if x >= g.gutter {
        let t = c.vp.t_of(x - g.gutter, g.track());
        let slack = (c.vp.window() / g.track() * 2.0) as Nanos;
        let (lane, hit) = lanes
            .iter()
            .take(10_000)
            .find_map(|&l| Some((l, c.model.hit(l as usize, t.max(0.0) as Nanos, slack)?)))?;
        let span = trace.spans.get(hit.span)?;
        let name = &trace.lanes.get(lane as usize)?.name;
        lines.push(format!("{name} · {}", lang.state_name(span.state)));
        if !span.label.is_empty() {
            lines.push(lang.check_detail(&span.label));
        }
        if c.steps {
            let step = |t: Nanos| t / conlab_core::replay::STEP_WIDTH;
            lines.push(lang.steps_span(step(span.start), step(span.end)));
        } else {
            lines.push(format!(
                "{} {} · {} {}",
                lang.start(),
                fmt_time(span.start),
                lang.duration(),
                fmt_time(span.duration())
            ));
        }
    } else if lanes.len() > 1 {
        lines.push(lang.click_to_open().to_string());
    } else {
        lines.push(trace.lanes.get(*lanes.first()? as usize)?.name.clone());
    }
    // Near the bottom the tip opens upwards, so that it is never cut off.
    let above = y > g.height / 2.0;
    Some(Tip {
        x: (x + 12.0).min(g.width - 220.0).max(0.0),
        y: if above { y - 8.0 } else { y + 14.0 },
        above,
        lines,
    })
}

/// A duration or moment for people: `150 ms`, `1.5 ms`, `57 µs`, `12.5 s` (see
/// [`conlab_core::ms`]).
pub fn fmt_time(ns: Nanos) -> String {
    // One way to write a duration, the CLI's and the report's too.
    conlab_core::ms(ns)
}

/// The CSS class drawing a legend swatch like the canvas draws the state.
fn fill_class(fill: Fill) -> &'static str {
    match fill {
        Fill::Solid => "solid",
        Fill::Hatch => "hatch",
        Fill::Dots => "dots",
        Fill::Bars => "bars",
        Fill::Cross => "cross",
    }
}

/// Sets `element`'s style attribute, unless it says that already: a style set again, even the
/// same, makes the next read of a size lay the page out anew within the draw (on a tutorial
/// page, the host's loop waits for it).
fn restyle(element: &Element, style: &str) {
    if element.get_attribute("style").as_deref() != Some(style) {
        let _ = element.set_attribute("style", style);
    }
}
