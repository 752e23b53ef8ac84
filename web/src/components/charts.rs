//! A run's charts (a load test's latency histogram and its per-second series), each a small
//! SVG figure: bars or a line between axes (the y scale from 0 with its unit, the x range
//! with its unit), the largest value and the x range written beside it.

use crate::i18n::{use_lang, Lang};
use crate::state::TraceRc;
use conlab_core::{figure, Chart, ChartKind};
use yew::prelude::*;

const W: f64 = 320.0;
const H: f64 = 100.0;

/// Properties of [`Charts`].
#[derive(Properties, PartialEq)]
pub struct ChartsProps {
    /// The run whose charts to draw.
    pub trace: TraceRc,
}

/// The run's charts, if it has any.
#[function_component(Charts)]
pub fn charts(props: &ChartsProps) -> Html {
    let lang = use_lang();
    let charts = &props.trace.charts;
    if charts.is_empty() {
        return Html::default();
    }
    html! {
        <div class="charts" id="charts">
            { for charts.iter().map(|c| chart(lang, c)) }
        </div>
    }
}

fn chart(lang: Lang, c: &Chart) -> Html {
    let top = c.points.iter().map(|p| p[1]).fold(0.0, f64::max).max(1e-9);
    // A line keeps a little room above its highest point, off the frame.
    let room = if c.kind == ChartKind::Line { 1.1 } else { 1.0 };
    let y = |v: f64| H - v / (top * room) * H;
    let shape = match c.kind {
        ChartKind::Bars => {
            let width = W / c.points.len().max(1) as f64;
            html! { <>{ for c.points.iter().enumerate().map(|(i, [x, v])| html! {
                <rect x={(i as f64 * width + 1.0).to_string()} y={y(*v).to_string()}
                      width={(width - 2.0).max(1.0).to_string()} height={(H - y(*v)).to_string()}>
                    <title>{ format!("≤ {} {}: {} {}", figure(*x), c.x_unit, figure(*v), lang.chart_unit(&c.y_unit)) }</title>
                </rect>
            }) }</> }
        }
        ChartKind::Line => {
            // A series over the run's time, from its start (points are intervals' ends).
            let (first, last) = (0.0, c.points.last().map_or(1.0, |p| p[0]));
            let span = (last - first).max(1e-9);
            let mut points: String = c
                .points
                .iter()
                .map(|[x, v]| format!("{:.1},{:.1} ", (x - first) / span * W, y(*v)))
                .collect();
            // One interval only (a run shorter than it): its value across the chart.
            if let [[_, v]] = c.points.as_slice() {
                points = format!("0,{0:.1} {W},{0:.1}", y(*v));
            }
            html! { <polyline points={points} /> }
        }
    };
    let from = match c.kind {
        ChartKind::Bars => c.points.first().map_or(0.0, |p| p[0]),
        ChartKind::Line => 0.0,
    };
    let range = match c.points.last() {
        Some(last) => format!("{} – {} {}", figure(from), figure(last[0]), c.x_unit),
        None => String::new(),
    };
    html! {
        <figure class="chart" data-chart={c.key.clone()} data-points={c.points.len().to_string()}>
            <figcaption>
                { lang.chart_title(&c.title) }
                <span class="hint">{ format!(" · {} {} {} · {range}", lang.chart_max(), figure(top), lang.chart_unit(&c.y_unit)) }</span>
            </figcaption>
            // Axes: the y scale from 0 to the top with its unit, the x range with its unit.
            <div class="chart-plot">
                <div class="y-axis" aria-hidden="true">
                    <span>{ format!("{} {}", figure(top * room), lang.chart_unit(&c.y_unit)) }</span>
                    <span>{ "0" }</span>
                </div>
                <svg viewBox={format!("0 0 {W} {H}")} preserveAspectRatio="none" role="img"
                     aria-label={lang.chart_title(&c.title).to_string()} class={if c.kind == ChartKind::Bars { "bars" } else { "line" }}>
                    { shape }
                </svg>
                if let Some(last) = c.points.last() {
                    <div class="x-axis" aria-hidden="true">
                        <span>{ figure(from) }</span>
                        <span class="x-unit">{ lang.chart_unit(&c.x_unit) }</span>
                        <span>{ figure(last[0]) }</span>
                    </div>
                }
            </div>
        </figure>
    }
}
