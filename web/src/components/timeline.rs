//! The interactive timeline: a canvas with every lane of a trace, zoomed with the wheel or
//! `+`/`-`, panned by dragging or with the arrow keys, with the span under the pointer
//! described in a tooltip. Redraws go straight to the canvas; Yew re-renders only the tooltip.

use crate::i18n::{use_lang, Lang};
use crate::state::TraceRc;
use crate::timeline::{
    draw, state_style, Fill, Geometry, Overlay, Patterns, Theme, TimelineModel, Viewport,
};
use conlab_core::{Nanos, Trace};
use gloo_events::{EventListener, EventListenerOptions};
use std::cell::RefCell;
use std::rc::Rc;
use wasm_bindgen::JsCast;
use web_sys::{
    CanvasRenderingContext2d, HtmlCanvasElement, KeyboardEvent, MouseEvent, PointerEvent,
    WheelEvent,
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
}

/// What the canvas keeps between frames.
struct Canvas {
    trace: TraceRc,
    model: Rc<TimelineModel>,
    vp: Viewport,
    geometry: Geometry,
    patterns: Patterns,
    drag: Option<(f64, f64, Viewport)>,
    cursor: Option<Nanos>,
    /// Rectangles filled by the last redraw (shown to tests and benchmarks).
    filled: usize,
}

type Shared = Rc<RefCell<Option<Canvas>>>;

/// A tooltip: where, and what it says.
#[derive(Clone, PartialEq)]
struct Tip {
    x: f64,
    y: f64,
    lines: Vec<String>,
}

/// The timeline.
#[function_component(Timeline)]
pub fn timeline(props: &TimelineProps) -> Html {
    let lang = use_lang();
    let canvas_ref = use_node_ref();
    let shared: Shared = use_mut_ref(|| None);
    let tip = use_state(|| None::<Tip>);

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
        let (shared, canvas_ref, model) = (shared.clone(), canvas_ref.clone(), model.clone());
        use_effect_with(props.trace.clone(), move |trace| {
            let mut slot = shared.borrow_mut();
            let next = match slot.take() {
                Some(c) => Canvas {
                    vp: if c.trace.same_run(trace) {
                        c.vp.grown(model.end, model.rows())
                    } else {
                        Viewport::whole(model.end, model.rows())
                    },
                    trace: trace.clone(),
                    model,
                    ..c
                },
                None => Canvas {
                    trace: trace.clone(),
                    vp: Viewport::whole(model.end, model.rows()),
                    model,
                    geometry: Geometry::fit(600.0, 1, 1.0),
                    patterns: Patterns::default(),
                    drag: None,
                    cursor: None,
                    filled: 0,
                },
            };
            *slot = Some(next);
            drop(slot);
            redraw(&canvas_ref, &shared);
        });
    }
    {
        let (shared, canvas_ref) = (shared.clone(), canvas_ref.clone());
        use_effect_with(props.cursor, move |cursor| {
            if let Some(c) = shared.borrow_mut().as_mut() {
                c.cursor = *cursor;
                if let Some(t) = *cursor {
                    if (t as f64) < c.vp.t0 || (t as f64) > c.vp.t1 {
                        c.vp = c.vp.centre_on(t);
                    }
                }
            }
            redraw(&canvas_ref, &shared);
        });
    }

    // Listeners that must prevent scrolling (wheel) are not passive; a resize redraws.
    {
        let (shared, canvas_ref, tip) = (shared.clone(), canvas_ref.clone(), tip.clone());
        use_effect_with((), move |_| {
            let mut listeners = Vec::new();
            if let Some(canvas) = canvas_ref.cast::<HtmlCanvasElement>() {
                let (s, r) = (shared.clone(), canvas_ref.clone());
                let options = EventListenerOptions::enable_prevent_default();
                listeners.push(EventListener::new_with_options(
                    &canvas,
                    "wheel",
                    options,
                    move |e| {
                        let Some(e) = e.dyn_ref::<WheelEvent>() else {
                            return;
                        };
                        e.prevent_default();
                        on_wheel(&s, &r, e);
                        tip.set(None);
                    },
                ));
            }
            if let Some(window) = web_sys::window() {
                let (s, r) = (shared.clone(), canvas_ref.clone());
                listeners.push(EventListener::new(&window, "resize", move |_| {
                    redraw(&r, &s)
                }));
            }
            move || drop(listeners)
        });
    }

    // Pointer events: the same dragging works with a mouse, a pen or a finger; capturing the
    // pointer keeps a drag going when it leaves the canvas.
    let on_down = {
        let (shared, canvas_ref) = (shared.clone(), canvas_ref.clone());
        Callback::from(move |e: PointerEvent| {
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
        let (shared, canvas_ref, tip) = (shared.clone(), canvas_ref.clone(), tip.clone());
        Callback::from(move |e: PointerEvent| {
            let dragging = shared.borrow().as_ref().is_some_and(|c| c.drag.is_some());
            if dragging {
                drag_to(&shared, e.client_x() as f64, e.client_y() as f64);
                redraw(&canvas_ref, &shared);
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
        let (shared, canvas_ref) = (shared.clone(), canvas_ref.clone());
        Callback::from(move |e: KeyboardEvent| {
            if key(&shared, &e.key()) {
                e.prevent_default();
                redraw(&canvas_ref, &shared);
            }
        })
    };
    let button = |k: &'static str| {
        let (shared, canvas_ref) = (shared.clone(), canvas_ref.clone());
        Callback::from(move |_: MouseEvent| {
            key(&shared, k);
            redraw(&canvas_ref, &shared);
        })
    };
    let t = &props.trace;
    let summary = lang.lanes_and_spans(t.lanes.len(), t.spans.len());
    html! {
        <div class="timeline">
            <div class="timeline-tools">
                <span class="timeline-summary">{ summary.clone() }</span>
                <button class="icon" title={lang.zoom_in()} aria-label={lang.zoom_in()} onclick={button("+")}>{ "+" }</button>
                <button class="icon" title={lang.zoom_out()} aria-label={lang.zoom_out()} onclick={button("-")}>{ "−" }</button>
                <button class="icon" title={lang.whole_run()} aria-label={lang.whole_run()} onclick={button("0")}>{ "⤢" }</button>
                <span class="hint">{ lang.timeline_hint() }</span>
            </div>
            <div class="canvas-box">
                <canvas id={props.id.clone()} ref={canvas_ref} tabindex="0" role="img"
                    aria-label={summary}
                    onpointerdown={on_down} onpointerup={on_up.clone()} onpointercancel={on_up}
                    onpointermove={on_move} onpointerleave={on_leave} onkeydown={on_key}></canvas>
                if let Some(tip) = &*tip {
                    <div class="tip" role="tooltip" style={format!("left:{}px;top:{}px", tip.x, tip.y)}>
                        { for tip.lines.iter().map(|l| html! { <div>{ l }</div> }) }
                    </div>
                }
            </div>
            <ul class="legend" aria-label={lang.legend()}>
                { for model.states.iter().map(|s| {
                    let style = state_style(*s);
                    html! {
                        <li><span class={classes!("swatch", fill_class(style.fill))} style={format!("--c:{}", style.colour)}></span>{ lang.state_name(*s) }</li>
                    }
                }) }
            </ul>
        </div>
    }
}

/// Paints the canvas at its current size.
fn redraw(canvas_ref: &NodeRef, shared: &Shared) {
    let Some(canvas) = canvas_ref.cast::<HtmlCanvasElement>() else {
        return;
    };
    let mut slot = shared.borrow_mut();
    let Some(c) = slot.as_mut() else { return };
    let width = canvas
        .parent_element()
        .map(|p| p.client_width() as f64)
        .filter(|w| *w > 0.0)
        .unwrap_or(600.0);
    let dpr = web_sys::window()
        .map(|w| w.device_pixel_ratio())
        .unwrap_or(1.0);
    let g = Geometry::fit(width, c.model.rows(), dpr);
    if g != c.geometry {
        canvas.set_width((g.width * g.dpr).round() as u32);
        canvas.set_height((g.height * g.dpr).round() as u32);
        let _ = canvas.set_attribute(
            "style",
            &format!("width:{}px;height:{}px", g.width, g.height),
        );
        c.geometry = g;
        c.vp = c.vp.scroll(0.0, g.visible_rows());
    }
    let Some(ctx) = canvas
        .get_context("2d")
        .ok()
        .flatten()
        .and_then(|x| x.dyn_into::<CanvasRenderingContext2d>().ok())
    else {
        return;
    };
    let theme = Theme::of(&canvas);
    let overlay = Overlay { cursor: c.cursor };
    c.filled = draw(
        &ctx,
        &mut c.patterns,
        &c.trace,
        &c.model,
        &c.vp,
        &g,
        &theme,
        &overlay,
    );
    let _ = canvas.set_attribute("data-filled", &c.filled.to_string());
    let _ = canvas.set_attribute("data-window", &format!("{:.0}-{:.0}", c.vp.t0, c.vp.t1));
}

fn on_wheel(shared: &Shared, canvas_ref: &NodeRef, e: &WheelEvent) {
    {
        let mut slot = shared.borrow_mut();
        let Some(c) = slot.as_mut() else { return };
        let g = c.geometry;
        let (dx, dy) = (e.delta_x(), e.delta_y());
        if e.shift_key() || dx.abs() > dy.abs() {
            let d = if dx.abs() > dy.abs() { dx } else { dy };
            c.vp = c.vp.pan(d / g.track());
        } else if e.alt_key() {
            c.vp = c.vp.scroll(dy / g.row, g.visible_rows());
        } else {
            let at = (e.offset_x() as f64 - g.gutter) / g.track();
            c.vp = c.vp.zoom((-dy * 0.002).exp(), at);
        }
    }
    redraw(canvas_ref, shared);
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
        "0" | "Home" => Viewport::whole(c.model.end, c.model.rows()),
        _ => return false,
    };
    true
}

/// The tooltip for the span under (x, y), if any.
fn hover(shared: &Shared, x: f64, y: f64, lang: Lang) -> Option<Tip> {
    let slot = shared.borrow();
    let c = slot.as_ref()?;
    let g = c.geometry;
    if x < g.gutter || y < g.axis {
        return None;
    }
    let row = (c.vp.row0 + (y - g.axis) / g.row).floor() as usize;
    let t = c.vp.t_of(x - g.gutter, g.track());
    let slack = (c.vp.window() / g.track() * 2.0) as Nanos;
    let hit = c.model.hit(row, t.max(0.0) as Nanos, slack)?;
    let trace: &Trace = &c.trace;
    let span = trace.spans.get(hit.span)?;
    let lane = trace.lanes.get(row)?;
    let mut lines = vec![
        format!("{} · {}", lane.name, lang.state_name(span.state)),
        format!(
            "{} {} · {} {}",
            lang.start(),
            fmt_time(span.start),
            lang.duration(),
            fmt_time(span.duration())
        ),
    ];
    if !span.label.is_empty() {
        lines.insert(1, span.label.clone());
    }
    let left = (x + 12.0).min(g.width - 220.0).max(0.0);
    Some(Tip {
        x: left,
        y: y + 14.0,
        lines,
    })
}

/// A duration for people: `1.234 ms`, `56.7 µs`, `2.50 s`.
pub fn fmt_time(ns: Nanos) -> String {
    let v = ns as f64;
    if v >= 1e9 {
        format!("{:.2} s", v / 1e9)
    } else if v >= 1e6 {
        format!("{:.3} ms", v / 1e6)
    } else if v >= 1e3 {
        format!("{:.1} µs", v / 1e3)
    } else {
        format!("{ns} ns")
    }
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
