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

/// The smallest round number (1, 1.2, 1.5, 2, 2.5, 3, 4, 5, 6, 8 times a power of ten) at
/// least `v`: the top of a y scale.
pub fn round_top(v: f64) -> f64 {
    if !v.is_finite() || v <= 0.0 {
        return 1.0;
    }
    let power = 10f64.powf(v.log10().floor());
    [1.0, 1.2, 1.5, 2.0, 2.5, 3.0, 4.0, 5.0, 6.0, 8.0, 10.0]
        .iter()
        .map(|m| m * power)
        .find(|top| *top >= v * (1.0 - 1e-9))
        .unwrap_or(10.0 * power)
}

/// An x value in the chart's unit, seconds written as milliseconds for a series shorter than
/// a second (`0 – 400 ms`, not `0 – 0.4 s`).
fn x_label(x: f64, unit: &str, short: bool) -> String {
    match (unit, short) {
        ("s", true) => figure((x * 1e3).round()),
        _ => figure(x),
    }
}

fn chart(lang: Lang, c: &Chart) -> Html {
    let highest = c.points.iter().map(|p| p[1]).fold(0.0, f64::max);
    let top = round_top(highest);
    let y = |v: f64| H - v / top * H;
    let last_x = c.points.last().map_or(0.0, |p| p[0]);
    let short = c.x_unit == "s" && last_x < 1.0;
    let x_unit = if short { "ms" } else { c.x_unit.as_str() };
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
            let span = last_x.max(1e-9);
            let mut points: String = c
                .points
                .iter()
                .map(|[x, v]| format!("{:.1},{:.1} ", x / span * W, y(*v)))
                .collect();
            // One interval only (a run shorter than it): its value across the chart.
            if let [[_, v]] = c.points.as_slice() {
                points = format!("0,{0:.1} {W},{0:.1}", y(*v));
            }
            html! { <polyline points={points} /> }
        }
    };
    // Under bars, each bucket's upper edge (they are 1-2-5 steps, not equal ranges: the
    // labels say so); under a line, its start and end.
    let x_axis = match c.kind {
        ChartKind::Bars => {
            let n = c.points.len().max(1);
            // At most about eight labels, so they never run into each other on a phone.
            let every = n.div_ceil(8);
            let from = match c.points.first() {
                Some(first) if n > 0 => {
                    // The first bucket's lower edge: the 1-2-5 step below its upper one.
                    let e = first[0];
                    let power = 10f64.powf(e.log10().floor());
                    let m = (e / power).round();
                    figure(if m <= 1.0 {
                        power / 2.0
                    } else if m <= 2.0 {
                        power
                    } else {
                        2.0 * power
                    })
                }
                _ => "0".to_string(),
            };
            html! {
                <div class="x-axis x-edges" aria-hidden="true">
                    <span style="left:0%">{ from }</span>
                    { for c.points.iter().enumerate().filter(|(i, _)| (i + 1) % every == 0 || i + 1 == n).map(|(i, [x, _])| html! {
                        <span style={format!("left:{:.1}%", (i + 1) as f64 / n as f64 * 100.0)}>{ figure(*x) }</span>
                    }) }
                </div>
            }
        }
        ChartKind::Line => html! {
            <div class="x-axis" aria-hidden="true">
                <span>{ "0" }</span>
                <span>{ format!("{} {}", x_label(last_x, &c.x_unit, short), lang.chart_unit(x_unit)) }</span>
            </div>
        },
    };
    let range = match c.kind {
        _ if c.points.is_empty() => String::new(),
        ChartKind::Bars => format!("{} {}", lang.chart_buckets(), lang.chart_unit(&c.x_unit)),
        ChartKind::Line => format!(
            "0 – {} {}",
            x_label(last_x, &c.x_unit, short),
            lang.chart_unit(x_unit)
        ),
    };
    html! {
        <figure class="chart" data-chart={c.key.clone()} data-points={c.points.len().to_string()} data-top={top.to_string()}>
            <figcaption>
                { format!("{} ({})", lang.chart_title(&c.title), lang.chart_unit(&c.y_unit)) }
                <span class="hint">{ format!(" · {} {} · {range}", lang.chart_max(), figure(highest)) }</span>
            </figcaption>
            // Axes: the y scale from 0 to a round top, the x range with its unit.
            <div class="chart-plot">
                <div class="y-axis" aria-hidden="true">
                    <span>{ figure(top) }</span>
                    <span>{ figure(top / 2.0) }</span>
                    <span>{ "0" }</span>
                </div>
                <svg viewBox={format!("0 0 {W} {H}")} preserveAspectRatio="none" role="img"
                     aria-label={lang.chart_title(&c.title).to_string()} class={if c.kind == ChartKind::Bars { "bars" } else { "line" }}>
                    { shape }
                </svg>
                if !c.points.is_empty() { { x_axis } }
            </div>
        </figure>
    }
}

#[cfg(test)]
mod tests {
    use super::round_top;
    use wasm_bindgen_test::wasm_bindgen_test;

    #[wasm_bindgen_test]
    fn a_scale_tops_at_a_round_number() {
        assert_eq!(round_top(0.0), 1.0);
        assert_eq!(round_top(1.0), 1.0);
        assert_eq!(round_top(937.0), 1000.0);
        assert_eq!(round_top(1_234.0), 1_500.0);
        assert_eq!(round_top(0.31), 0.4);
        assert_eq!(round_top(7_001.0), 8_000.0);
    }
}
