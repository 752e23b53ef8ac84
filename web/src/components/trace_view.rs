//! One finished run: output lines, lanes on a shared time axis, metrics and checks.

use conlab_core::{ms, Trace};
use yew::prelude::*;

/// At most this many lanes are drawn.
const MAX_LANES: usize = 40;

/// Properties of [`TraceView`].
#[derive(Properties, PartialEq)]
pub struct TraceViewProps {
    /// The run to show.
    pub trace: Trace,
}

/// The result of a run.
#[function_component(TraceView)]
pub fn trace_view(props: &TraceViewProps) -> Html {
    let t = &props.trace;
    let end = t.end.max(1) as f64;
    let pct = |ns: u64| format!("{:.3}%", ns as f64 * 100.0 / end);
    let passed = t.checks.iter().filter(|c| c.passed).count();
    html! {
        <section class="result">
            <h2 id="verdict" class={if t.passed() { "pass" } else { "fail" }}>
                { format!("{} — {}/{} checks passed", if t.passed() { "PASSED" } else { "FAILED" }, passed, t.checks.len()) }
            </h2>
            <div class="lanes" id="lanes">
                { for t.lanes.iter().take(MAX_LANES).map(|lane| html! {
                    <div class="lane" data-lane={lane.name.clone()}>
                        <span class="lane-name">{ &lane.name }</span>
                        <span class="lane-track">
                            { for t.spans.iter().filter(|s| s.lane == lane.id && s.depth == 0).map(|s| html! {
                                <span class={classes!("span", s.state.as_str())}
                                      style={format!("left:{};width:{}", pct(s.start), pct(s.duration()))}
                                      title={format!("{} {} → {}", s.state.as_str(), ms(s.start), ms(s.end))}></span>
                            }) }
                        </span>
                    </div>
                }) }
                if t.lanes.len() > MAX_LANES { <p>{ format!("… {} more lanes", t.lanes.len() - MAX_LANES) }</p> }
            </div>
            <h3>{ "Output" }</h3>
            <ol class="output">
                { for t.output.iter().take(200).map(|l| html! {
                    <li><span class="t">{ ms(l.t) }</span>{ " " }<span class="who">{ t.lanes.get(l.lane as usize).map(|x| x.name.clone()).unwrap_or_default() }</span>{ " " }{ &l.text }</li>
                }) }
            </ol>
            <h3>{ "Metrics" }</h3>
            <p class="metrics">{ format!("makespan {} · speedup {:.2}x · peak concurrency {}", ms(t.metrics.makespan), t.metrics.speedup, t.metrics.peak_concurrency) }</p>
            <h3>{ "Checks" }</h3>
            <ul class="checks" id="checks">
                { for t.checks.iter().map(|c| html! {
                    <li class={if c.passed { "pass" } else { "fail" }}>
                        { if c.passed { "✓ " } else { "✗ " } }<strong>{ &c.id }</strong>{ format!(" — {} ({})", c.description, c.detail) }
                    </li>
                }) }
            </ul>
        </section>
    }
}
