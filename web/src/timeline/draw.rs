//! Painting a timeline on a 2D canvas: the time axis, one row per lane, spans merged to at
//! most one rectangle per pixel column and state, marks, and a cursor.

use super::model::TimelineModel;
use super::palette::{state_style, Fill, StateStyle};
use super::rows::Rows;
use super::viewport::Viewport;
use conlab_core::replay::STEP_WIDTH;
use conlab_core::{Nanos, Trace};
use wasm_bindgen::JsCast;
use web_sys::{CanvasPattern, CanvasRenderingContext2d, HtmlCanvasElement};

/// Height of the time axis's own labels.
const TICKS: f64 = 22.0;

/// Height of the band under them that names a run's phases.
const PHASE_BAND: f64 = 14.0;

/// Whether `trace` marks phases (named on the time axis).
pub fn has_phases(trace: &Trace) -> bool {
    trace.marks.iter().any(|m| is_phase(&m.name))
}

fn is_phase(name: &str) -> bool {
    name == "phase" || name == "phase_start"
}

/// Sizes, in CSS pixels.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Geometry {
    /// Canvas width.
    pub width: f64,
    /// Canvas height.
    pub height: f64,
    /// Device pixels per CSS pixel.
    pub dpr: f64,
    /// Width of the lane-name column.
    pub gutter: f64,
    /// Height of the time axis.
    pub axis: f64,
    /// Height of one lane row.
    pub row: f64,
}

impl Geometry {
    /// Geometry for a canvas `width` wide showing `rows` lanes: rows shrink for many lanes and
    /// the canvas grows up to a cap, beyond which the rows scroll.
    /// `names` is the width the widest lane name needs: on a wide canvas the name column
    /// gives it room, up to a third of the width; on a phone up to 96 px, then names are
    /// shortened (their note in brackets first, then in the middle).
    pub fn fit(width: f64, rows: usize, dpr: f64, names: f64) -> Geometry {
        // Rows stay tall enough for their names; beyond the cap they scroll.
        let row = if rows > 24 { 14.0 } else { 20.0 };
        let axis = TICKS;
        let gutter = if width < 480.0 {
            // A phone gives names up to a quarter of its width, then shortens them.
            (names + 12.0).clamp(72.0, 96.0).ceil()
        } else {
            (names + 12.0).clamp(132.0, (width / 3.0).max(132.0)).ceil()
        };
        let height = (axis + row * rows.max(1) as f64 + 4.0).min(520.0);
        Geometry {
            width,
            height,
            dpr: if dpr.is_finite() && dpr > 0.0 {
                dpr
            } else {
                1.0
            },
            gutter,
            axis,
            row,
        }
    }

    /// The same with a band under the time axis for the names of a run's phases.
    pub fn with_phase_band(mut self) -> Geometry {
        self.axis += PHASE_BAND;
        self.height += PHASE_BAND;
        self
    }

    /// Width of the area where time is drawn.
    pub fn track(&self) -> f64 {
        (self.width - self.gutter).max(1.0)
    }

    /// How many rows fit (the last may be cut).
    pub fn visible_rows(&self) -> usize {
        ((self.height - self.axis) / self.row).floor().max(1.0) as usize
    }

    /// How far the rows of a timeline of `rows` rows scroll, in CSS pixels (0: they all fit).
    pub fn scroll_range(&self, rows: usize) -> f64 {
        rows.saturating_sub(self.visible_rows()) as f64 * self.row
    }
}

/// Colours of the page's theme, read from its CSS variables.
#[derive(Debug, Clone, PartialEq)]
pub struct Theme {
    /// Text.
    pub fg: String,
    /// Secondary text.
    pub muted: String,
    /// Grid lines.
    pub line: String,
    /// Background.
    pub bg: String,
    /// Cursor and selection.
    pub accent: String,
}

impl Theme {
    /// The theme in effect for `element`.
    pub fn of(element: &web_sys::Element) -> Theme {
        let style = web_sys::window().and_then(|w| w.get_computed_style(element).ok().flatten());
        let var = |name: &str, fallback: &str| {
            style
                .as_ref()
                .and_then(|s| s.get_property_value(name).ok())
                .map(|v| v.trim().to_string())
                .filter(|v| !v.is_empty())
                .unwrap_or_else(|| fallback.to_string())
        };
        Theme {
            fg: var("--fg", "#1d1d24"),
            muted: var("--muted", "#5b5b6b"),
            line: var("--line", "#d9d9e3"),
            bg: var("--bg", "#ffffff"),
            accent: var("--accent", "#0072b2"),
        }
    }
}

/// Canvas patterns for the patterned states, made once per canvas (a short list: a few
/// states are patterned).
#[derive(Default)]
pub struct Patterns {
    made: Vec<(StateStyle, Option<CanvasPattern>)>,
}

impl Patterns {
    /// Makes `s` the fill style of `ctx`.
    fn apply(&mut self, ctx: &CanvasRenderingContext2d, s: StateStyle) {
        if s.fill != Fill::Solid {
            let at = match self.made.iter().position(|(style, _)| *style == s) {
                Some(at) => at,
                None => {
                    self.made.push((s, make_pattern(ctx, s)));
                    self.made.len() - 1
                }
            };
            if let Some(p) = &self.made[at].1 {
                ctx.set_fill_style_canvas_pattern(p);
                return;
            }
        }
        ctx.set_fill_style_str(s.colour);
    }
}

/// A small tile with the state's pattern, repeated.
fn make_pattern(ctx: &CanvasRenderingContext2d, s: StateStyle) -> Option<CanvasPattern> {
    let doc = web_sys::window()?.document()?;
    let tile: HtmlCanvasElement = doc.create_element("canvas").ok()?.dyn_into().ok()?;
    tile.set_width(6);
    tile.set_height(6);
    let t: CanvasRenderingContext2d = tile.get_context("2d").ok()??.dyn_into().ok()?;
    t.set_global_alpha(0.35);
    t.set_fill_style_str(s.colour);
    t.fill_rect(0.0, 0.0, 6.0, 6.0);
    t.set_global_alpha(1.0);
    t.set_fill_style_str(s.colour);
    t.set_stroke_style_str(s.colour);
    t.set_line_width(1.5);
    match s.fill {
        Fill::Solid => {}
        Fill::Hatch | Fill::Cross => {
            t.begin_path();
            t.move_to(-1.0, 7.0);
            t.line_to(7.0, -1.0);
            t.move_to(5.0, 7.0);
            t.line_to(7.0, 5.0);
            t.move_to(-1.0, 1.0);
            t.line_to(1.0, -1.0);
            if s.fill == Fill::Cross {
                t.move_to(-1.0, -1.0);
                t.line_to(7.0, 7.0);
            }
            t.stroke();
        }
        Fill::Dots => t.fill_rect(2.0, 2.0, 2.0, 2.0),
        Fill::Bars => t.fill_rect(0.0, 0.0, 2.0, 6.0),
    }
    ctx.create_pattern_with_html_canvas_element(&tile, "repeat")
        .ok()
        .flatten()
}

/// What to draw besides the spans.
pub struct Overlay {
    /// A vertical line at this time (output line clicked, step-through position).
    pub cursor: Option<Nanos>,
    /// The page's language, for the names of phases.
    pub lang: crate::i18n::Lang,
    /// The axis counts steps, not time (a run laid out by [`conlab_core::replay::on_step_axis`]).
    pub steps: bool,
}

/// Paints the timeline. Returns how many rectangles were filled (the benchmark reports it).
#[allow(clippy::too_many_arguments)]
pub fn draw(
    ctx: &CanvasRenderingContext2d,
    patterns: &mut Patterns,
    trace: &Trace,
    model: &TimelineModel,
    rows: &Rows,
    vp: &Viewport,
    g: &Geometry,
    theme: &Theme,
    overlay: &Overlay,
) -> usize {
    let _ = ctx.set_transform(g.dpr, 0.0, 0.0, g.dpr, 0.0, 0.0);
    ctx.clear_rect(0.0, 0.0, g.width, g.height);
    let track = g.track();
    draw_axis(ctx, vp, g, theme, overlay);

    let first = vp.row0.floor() as usize;
    let visible = g.visible_rows() + 1;
    let (t0, t1) = (vp.t0.max(0.0) as Nanos, vp.t1.ceil() as Nanos);
    let mut filled = 0;
    ctx.set_font(NAME_FONT);
    ctx.set_text_baseline("middle");
    // Rows scrolled part-way up stay below the axis: its labels are never painted over.
    ctx.save();
    ctx.begin_path();
    ctx.rect(0.0, g.axis, g.width, (g.height - g.axis).max(0.0));
    ctx.clip();
    for r in first..(first + visible).min(rows.count()) {
        let y = g.axis + (r as f64 - vp.row0) * g.row;
        if y >= g.height {
            break;
        }
        if r % 2 == 1 {
            ctx.set_fill_style_str(&theme.line);
            ctx.set_global_alpha(0.25);
            ctx.fill_rect(0.0, y, g.width, g.row);
            ctx.set_global_alpha(1.0);
        }
        let lanes = rows.lanes_of(r);
        let name = row_name(trace, lanes);
        ctx.set_fill_style_str(if lanes.len() > 1 {
            &theme.accent
        } else {
            &theme.fg
        });
        let _ = ctx.fill_text(&fitted(ctx, &name, g.gutter - 8.0), 4.0, y + g.row / 2.0);
        filled += match lanes {
            [lane] => {
                // The lane's life, under its spans: a thread or process that only prints
                // (or has nothing to wait for) still shows when it existed.
                if let Some(l) = trace.lanes.get(*lane as usize) {
                    let from = vp.x_of(l.start as f64, track).max(0.0);
                    let to = vp.x_of(l.end.unwrap_or(trace.end) as f64, track).min(track);
                    if to >= from && to >= 0.0 && from <= track {
                        ctx.set_fill_style_str(&theme.muted);
                        ctx.fill_rect(
                            g.gutter + from,
                            y + g.row / 2.0 - 1.0,
                            (to - from).max(1.0),
                            2.0,
                        );
                        filled += 1;
                    }
                }
                draw_row(
                    ctx,
                    patterns,
                    model,
                    *lane as usize,
                    vp,
                    (t0, t1),
                    g,
                    y,
                    track,
                )
            }
            _ => draw_folded(ctx, patterns, model, lanes, vp, (t0, t1), g, y, track),
        };
    }
    ctx.restore();
    draw_marks_and_cursor(ctx, trace, rows, vp, g, theme, overlay);
    filled
}

/// `name` as it fits in `width` pixels: whole, or with its middle left out (`Proc…ss-12`): the
/// end of a lane's name tells it from its neighbours (`Process-1`, `Process-2`), and squeezing
/// it would make it unreadable on a phone. Its tooltip says it whole.
fn fitted(ctx: &CanvasRenderingContext2d, name: &str, width: f64) -> String {
    let fits = |text: &str| ctx.measure_text(text).map_or(true, |m| m.width() <= width);
    if fits(name) {
        return name.to_string();
    }
    // A note in brackets goes first (`Process-12 (pid 4242)` → `Process-12`): the name tells
    // the lane from its neighbours; the tooltip has the rest.
    if let Some((short, _)) = name.split_once(" (") {
        if !short.trim().is_empty() {
            return fitted(ctx, short, width);
        }
    }
    let chars: Vec<char> = name.chars().collect();
    // `kept` characters of the name: its start, an ellipsis, and up to four from its end.
    let cut = |kept: usize| -> String {
        let tail = (kept / 2).min(4);
        let head = kept - tail;
        chars[..head]
            .iter()
            .chain(['…'].iter())
            .chain(chars[chars.len() - tail..].iter())
            .collect()
    };
    let (mut lo, mut hi) = (0, chars.len() - 1);
    while lo < hi {
        let mid = (lo + hi).div_ceil(2);
        if fits(&cut(mid)) {
            lo = mid;
        } else {
            hi = mid - 1;
        }
    }
    cut(lo)
}

/// The name drawn for a row: its lane's (a lane that belongs to another, such as a child
/// process's thread, indented under it), or a folded row's.
fn row_name(trace: &Trace, lanes: &[u32]) -> String {
    match lanes {
        [one] => trace.lanes.get(*one as usize).map_or(String::new(), |l| {
            if l.parent.is_some() {
                format!("  └ {}", l.name)
            } else {
                l.name.clone()
            }
        }),
        _ => folded_name(trace, lanes),
    }
}

/// A folded row's name: its first and last lane and how many it holds
/// (`▸ task-1 … task-10000 (10,000)`).
fn folded_name(trace: &Trace, lanes: &[u32]) -> String {
    format!(
        "▸ {} ({})",
        first_to_last(trace, lanes),
        conlab_core::thousands(lanes.len() as u64)
    )
}

/// How wide the names of the first rows are drawn (the name column is fitted to them).
pub fn widest_name(ctx: &CanvasRenderingContext2d, trace: &Trace, rows: &Rows) -> f64 {
    ctx.set_font(NAME_FONT);
    (0..rows.count().min(300))
        .map(|r| row_name(trace, rows.lanes_of(r)))
        .map(|name| ctx.measure_text(&name).map_or(0.0, |m| m.width()))
        .fold(0.0, f64::max)
}

/// The font of lane names.
const NAME_FONT: &str = "11px ui-monospace, monospace";

/// The names of the first and last of several lanes: `task-1 … task-10000`.
pub fn first_to_last(trace: &Trace, lanes: &[u32]) -> String {
    let name = |i: Option<&u32>| {
        i.and_then(|i| trace.lanes.get(*i as usize))
            .map_or("", |l| l.name.as_str())
    };
    format!("{} … {}", name(lanes.first()), name(lanes.last()))
}

/// A folded row: for each state, every pixel column that some lane of the run spent in it.
/// Counting starts and ends per column keeps this linear in the spans, however many lanes.
#[allow(clippy::too_many_arguments)]
fn draw_folded(
    ctx: &CanvasRenderingContext2d,
    patterns: &mut Patterns,
    model: &TimelineModel,
    lanes: &[u32],
    vp: &Viewport,
    (t0, t1): (Nanos, Nanos),
    g: &Geometry,
    y: f64,
    track: f64,
) -> usize {
    let columns = track.ceil() as usize + 2;
    let mut edges: Vec<(conlab_core::SpanState, Vec<i32>)> = Vec::new();
    for &lane in lanes {
        for b in model.visible(lane as usize, t0, t1) {
            let x0 = vp.x_of(b.start as f64, track).max(0.0).floor() as usize;
            let x1 = (vp.x_of(b.end as f64, track).min(track).ceil() as usize).max(x0 + 1);
            let k = match edges.iter().position(|(s, _)| *s == b.state) {
                Some(k) => k,
                None => {
                    edges.push((b.state, vec![0; columns]));
                    edges.len() - 1
                }
            };
            let e = &mut edges[k].1;
            e[x0.min(columns - 1)] += 1;
            e[x1.min(columns - 1)] -= 1;
        }
    }
    let mut filled = 0;
    let inset = 1.0;
    for (state, e) in &edges {
        patterns.apply(ctx, state_style(*state));
        let (mut depth, mut run_from) = (0, None);
        for (x, d) in e.iter().enumerate() {
            depth += d;
            match (depth > 0, run_from) {
                (true, None) => run_from = Some(x),
                (false, Some(from)) => {
                    ctx.fill_rect(
                        g.gutter + from as f64,
                        y + inset,
                        (x - from) as f64,
                        g.row - 2.0 * inset,
                    );
                    filled += 1;
                    run_from = None;
                }
                _ => {}
            }
        }
    }
    filled
}

/// One lane's spans. Spans narrower than a pixel that fall in a column already painted with
/// the same state are skipped, so a row costs at most about one rectangle per pixel column.
#[allow(clippy::too_many_arguments)]
fn draw_row(
    ctx: &CanvasRenderingContext2d,
    patterns: &mut Patterns,
    model: &TimelineModel,
    row: usize,
    vp: &Viewport,
    (t0, t1): (Nanos, Nanos),
    g: &Geometry,
    y: f64,
    track: f64,
) -> usize {
    let mut filled = 0;
    let mut waits: Vec<(f64, f64)> = Vec::new();
    let mut last: Option<(conlab_core::SpanState, u16, f64)> = None;
    let mut current_style: Option<StateStyle> = None;
    for b in model.visible(row, t0, t1) {
        let x0 = vp.x_of(b.start as f64, track).max(0.0);
        let x1 = vp.x_of(b.end as f64, track).min(track);
        let w = (x1 - x0).max(1.0);
        if let Some((state, depth, px)) = last {
            if state == b.state && depth == b.depth && x0.floor() <= px && x1 <= px + 1.0 {
                continue;
            }
        }
        last = Some((b.state, b.depth, x0.floor() + w.ceil() - 1.0));
        let style = state_style(b.state);
        if current_style != Some(style) {
            patterns.apply(ctx, style);
            current_style = Some(style);
        }
        let inset = 1.0 + f64::from(b.depth.min(3)) * (g.row / 6.0);
        ctx.fill_rect(g.gutter + x0, y + inset, w, (g.row - 2.0 * inset).max(1.0));
        filled += 1;
        // Where a wait is wide enough to show it: a notch where the lane started waiting (an
        // await) and one where it was woken.
        if b.state.is_waiting() && w >= 10.0 {
            waits.push((g.gutter + x0, g.gutter + x0 + w));
        }
    }
    if !waits.is_empty() {
        ctx.set_fill_style_str(WAIT_NOTCH);
        for (from, to) in waits {
            ctx.fill_rect(from, y + g.row - 4.0, 2.0, 3.0);
            ctx.fill_rect(to - 2.0, y + 1.0, 2.0, 3.0);
        }
    }
    filled
}

/// The colour of await and wake-up notches.
const WAIT_NOTCH: &str = "#1d1d24";

fn draw_axis(
    ctx: &CanvasRenderingContext2d,
    vp: &Viewport,
    g: &Geometry,
    theme: &Theme,
    overlay: &Overlay,
) {
    let track = g.track();
    // At least three ticks, so a narrow timeline (a phone's) still reads as a scale; on a
    // step axis, whole steps.
    let mut step = tick_step(vp.window(), (track / 80.0).max(3.0));
    if overlay.steps {
        step = step.max(STEP_WIDTH as f64);
    }
    ctx.set_font("11px system-ui, sans-serif");
    ctx.set_text_baseline("middle");
    ctx.set_line_width(1.0);
    let mut t = (vp.t0 / step).ceil() * step;
    // Where the last label ended: labels never overlap.
    let mut free_from = g.gutter;
    while t <= vp.t1 {
        let x = g.gutter + vp.x_of(t, track);
        ctx.set_fill_style_str(&theme.line);
        ctx.fill_rect(x.floor(), g.axis - 4.0, 1.0, g.height - g.axis + 4.0);
        let label = if overlay.steps {
            overlay
                .lang
                .step_tick((t / STEP_WIDTH as f64).round() as u64)
        } else {
            time_label(t, step)
        };
        let width = ctx.measure_text(&label).map_or(0.0, |m| m.width());
        // Right of its tick; the last one, with no room there, ends at its tick instead.
        let left = if x + 3.0 + width <= g.width {
            x + 3.0
        } else {
            x - 3.0 - width
        };
        if left >= free_from {
            ctx.set_fill_style_str(&theme.muted);
            let _ = ctx.fill_text(&label, left, TICKS / 2.0);
            free_from = left + width + 6.0;
        }
        t += step;
    }
    ctx.set_fill_style_str(&theme.line);
    ctx.fill_rect(g.gutter, g.axis - 1.0, track, 1.0);
}

fn draw_marks_and_cursor(
    ctx: &CanvasRenderingContext2d,
    trace: &Trace,
    rows: &Rows,
    vp: &Viewport,
    g: &Geometry,
    theme: &Theme,
    overlay: &Overlay,
) {
    let track = g.track();
    let (lo, hi) = (vp.t0 as Nanos, vp.t1 as Nanos);
    let x_of = |t: Nanos| g.gutter + vp.x_of(t as f64, track);
    // The top of the row lane `lane` is drawn in, if it is on screen.
    let y_of = |lane: u32| {
        let row = rows.row_of(lane as usize)? as f64 - vp.row0;
        let y = g.axis + row * g.row;
        (row >= 0.0 && y < g.height).then_some(y)
    };
    let from = trace.marks.partition_point(|m| m.t < lo);
    let marks = trace.marks[from..]
        .iter()
        .take_while(|m| m.t <= hi)
        .take(5_000);
    let mut arrows = Vec::new();
    ctx.set_font("10px system-ui, sans-serif");
    // Where the last phase name drawn ends: a name that would overlap it is left out (its
    // line stays; zooming in shows it).
    let mut names_end = f64::MIN;
    for m in marks {
        let x = x_of(m.t);
        if is_phase(&m.name) {
            // A phase begins: a line across every lane, its name under the time axis.
            ctx.set_fill_style_str(&theme.muted);
            ctx.fill_rect(x.floor(), TICKS, 1.0, g.height - TICKS);
            if g.axis > TICKS && x + 3.0 >= names_end {
                let name = overlay.lang.phase_name(&m.detail);
                ctx.set_fill_style_str(&theme.fg);
                let _ = ctx.fill_text(&name, x + 3.0, TICKS + PHASE_BAND / 2.0);
                let width = ctx.measure_text(&name).map_or(60.0, |t| t.width());
                names_end = x + 3.0 + width + 6.0;
            }
            continue;
        }
        if m.name == "waits_for" || m.name == "wakes" {
            arrows.push(m);
            continue;
        }
        let Some(y) = y_of(m.lane) else { continue };
        if m.name == CANCELLED {
            // A cancellation: a cross where the task was cancelled (its reason in the tooltip
            // and the step-through), so a bar that ends there does not just look finished.
            let (cy, r) = (y + g.row / 2.0, (g.row / 2.0 - 2.0).clamp(2.0, 5.0));
            // Whole at the run's very end too.
            let x = x.min(g.width - r - 1.0);
            ctx.set_stroke_style_str(DEADLOCK);
            ctx.set_line_width(2.0);
            ctx.begin_path();
            ctx.move_to(x - r, cy - r);
            ctx.line_to(x + r, cy + r);
            ctx.move_to(x + r, cy - r);
            ctx.line_to(x - r, cy + r);
            ctx.stroke();
            continue;
        }
        ctx.set_fill_style_str(&theme.fg);
        ctx.fill_rect(x - 0.5, y, 1.0, g.row.min(6.0));
    }
    // Prints: a small flag at the top of their lane.
    let from = trace.output.partition_point(|l| l.t < lo);
    ctx.set_fill_style_str(&theme.accent);
    for line in trace.output[from..]
        .iter()
        .take_while(|l| l.t <= hi)
        .take(5_000)
    {
        let Some(y) = y_of(line.lane) else { continue };
        let x = x_of(line.t);
        ctx.begin_path();
        ctx.move_to(x - 3.0, y + 1.0);
        ctx.line_to(x + 3.0, y + 1.0);
        ctx.line_to(x, y + 5.0);
        ctx.close_path();
        ctx.fill();
    }
    // A deadlock: an arrow from each waiting lane to the lane holding what it waits for. A
    // wake link: from the thread whose step let another go on to that one ("1 2 words").
    ctx.set_line_width(1.5);
    for m in arrows {
        let colour = if m.name == "wakes" {
            theme.accent.as_str()
        } else {
            DEADLOCK
        };
        ctx.set_stroke_style_str(colour);
        ctx.set_fill_style_str(colour);
        let mut lanes = m.detail.split(' ');
        let (Some(waiter), Some(holder)) = (lanes.next(), lanes.next()) else {
            continue;
        };
        let (Ok(waiter), Ok(holder)) = (waiter.parse::<u32>(), holder.parse::<u32>()) else {
            continue;
        };
        let (Some(from), Some(to)) = (y_of(waiter), y_of(holder)) else {
            continue;
        };
        let x = x_of(m.t);
        let (from, to) = (from + g.row / 2.0, to + g.row / 2.0);
        // Loops open towards the middle, so that one at the run's end is not cut off.
        let side = if x + 24.0 > g.width { -1.0 } else { 1.0 };
        ctx.begin_path();
        if waiter == holder {
            // Waiting for itself: a loop back into its own lane.
            ctx.move_to(x, from);
            let far = x + 18.0 * side;
            ctx.bezier_curve_to(
                far,
                from - 12.0,
                far,
                from + 12.0,
                x + 3.0 * side,
                from + 2.0,
            );
        } else {
            ctx.move_to(x, from);
            ctx.line_to(x, to);
        }
        ctx.stroke();
        // The head, pointing at the holder.
        let dir = if to >= from { 1.0 } else { -1.0 };
        let tip = if waiter == holder { from + 2.0 } else { to };
        let tip_x = if waiter == holder { x + 3.0 * side } else { x };
        ctx.begin_path();
        ctx.move_to(tip_x, tip);
        ctx.line_to(tip_x - 4.0, tip - 6.0 * dir);
        ctx.line_to(tip_x + 4.0, tip - 6.0 * dir);
        ctx.close_path();
        ctx.fill();
    }
    if let Some(t) = overlay.cursor {
        let x = x_of(t);
        if (g.gutter..=g.width).contains(&x) {
            ctx.set_fill_style_str(&theme.accent);
            ctx.fill_rect(x - 1.0, 0.0, 2.0, g.height);
        }
    }
}

/// The colour of deadlock arrows.
const DEADLOCK: &str = "#d55e00";

/// The mark a cancelled task records (asyncio's `CancelledError`).
pub const CANCELLED: &str = "cancelled";

/// A round step (1, 2 or 5 times a power of ten nanoseconds) giving about `ticks` ticks.
pub fn tick_step(window: f64, ticks: f64) -> f64 {
    let raw = (window / ticks).max(1.0);
    let power = 10f64.powf(raw.log10().floor());
    let m = raw / power;
    let nice = if m <= 1.0 {
        1.0
    } else if m <= 2.0 {
        2.0
    } else if m <= 5.0 {
        5.0
    } else {
        10.0
    };
    nice * power
}

/// A tick label with as many decimals as the step needs.
pub fn time_label(t: f64, step: f64) -> String {
    let (unit, scale) = if step >= 1e9 {
        ("s", 1e9)
    } else if step >= 1e6 {
        ("ms", 1e6)
    } else if step >= 1e3 {
        ("µs", 1e3)
    } else {
        ("ns", 1.0)
    };
    if (step / scale).fract() == 0.0 {
        // Whole units, their thousands separated as every figure is (`1,200 ms`).
        let v = (t / scale).round();
        let sign = if v < 0.0 { "-" } else { "" };
        format!("{sign}{} {unit}", conlab_core::thousands(v.abs() as u64))
    } else {
        format!("{:.1} {unit}", t / scale)
    }
}
