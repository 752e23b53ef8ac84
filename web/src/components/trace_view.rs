//! One run: its verdict, the timeline (with its legend), the output (click a line to see its
//! moment), metrics, checks, and the lanes as a list for screen readers.

use crate::components::charts::Charts;
use crate::components::timeline::{fmt_time, Timeline};
use crate::i18n::use_lang;
use crate::state::{Checked, TraceRc};
use conlab_core::{ms, Nanos, Verdict};
use yew::prelude::*;

/// At most this many output lines and listed lanes are rendered.
const MAX_LINES: usize = 500;

/// Properties of [`TraceView`].
#[derive(Properties, PartialEq)]
pub struct TraceViewProps {
    /// The run to show.
    pub trace: TraceRc,
    /// The run is still going (a live snapshot: no verdict yet), with this time limit.
    #[prop_or_default]
    pub live: Option<std::time::Duration>,
    /// The live run's loop has said nothing for this long (ms): a blocking call holds it.
    #[prop_or_default]
    pub frozen_ms: Option<u64>,
    /// The live run's figures so far (a load test's), if it says them.
    #[prop_or_default]
    pub progress: Option<String>,
    /// A moment marked on the timeline.
    #[prop_or_default]
    pub cursor: Option<Nanos>,
    /// Called when an output line is clicked, with its time.
    #[prop_or_default]
    pub on_cursor: Callback<Option<Nanos>>,
    /// Only the verdict, the timeline and the checks (a compact embed).
    #[prop_or_default]
    pub compact: bool,
    /// The learner schedules this run: stopped at their next choice, it is not *stopped*.
    #[prop_or_default]
    pub steering: bool,
    /// Its timeline is drawn elsewhere (beside a kept run, on one scale).
    #[prop_or_default]
    pub no_timeline: bool,
}

/// The result of a run.
#[function_component(TraceView)]
pub fn trace_view(props: &TraceViewProps) -> Html {
    let lang = use_lang();
    let t = &props.trace;
    // A run that did not happen as a whole has no checks; its figures are those of the run
    // as far as it got (a load test stopped early reports what it measured).
    let judged = t.outcome() != conlab_core::Outcome::NoVerdict && lost(&t.checked).is_none();
    let verdict = if let Some(limit) = props.live {
        let limit = conlab_core::estimate::human(limit);
        html! {
            <>
                // A frozen loop sends nothing: the run's time goes on all the same.
                <h2 id="live" class="live" aria-live="polite">{ lang.running_for(&fmt_time(t.end + props.frozen_ms.unwrap_or(0) * 1_000_000), &limit) }</h2>
                if let Some(line) = &props.progress {
                    <p id="progress" class="progress" aria-live="off">{ lang.check_detail(line) }</p>
                }
                if let Some(ms) = props.frozen_ms {
                    <p id="frozen" class="frozen">{ lang.loop_blocked(&fmt_time(ms * 1_000_000)) }</p>
                }
            </>
        }
    } else if props.steering && matches!(t.status, conlab_core::Status::Stopped { .. }) {
        html! { <h2 id="verdict" class="live">{ lang.steer_so_far() }</h2> }
    } else if let conlab_core::Status::Stopped { after_ms } = t.status {
        html! {
            <>
                <h2 id="verdict" class="stopped">{ lang.stopped_verdict(&ms(after_ms * 1_000_000)) }</h2>
                if let Some(s) = lang.status_line(&t.status) { <p class="status">{ s }</p> }
            </>
        }
    } else if let Some(why) = lost(&t.checked) {
        html! {
            <>
                <h2 id="verdict" class="stopped">{ lang.lost_verdict() }</h2>
                <p class="status">{ why }</p>
            </>
        }
    } else if !judged {
        html! {
            <>
                <h2 id="verdict" class="stopped">{ lang.no_verdict(&t.status) }</h2>
                if let Some(s) = lang.status_line(&t.status) { <p class="status">{ s }</p> }
            </>
        }
    } else {
        let status = lang.status_line(&t.status);
        html! {
            <>
                <h2 id="verdict" class={if t.passed() { "pass" } else { "fail" }}>
                    { lang.verdict(t.passed(), &t.tally()) }
                </h2>
                if let Some(s) = status { <p class="status">{ s }</p> }
                { provenance(&t.checked, lang) }
            </>
        }
    };
    // A run that took no time is drawn step by step (not while it runs: a live run's next
    // step may take time).
    let stepped = use_memo((t.clone(), props.live.is_some()), |(t, live)| {
        (!live)
            .then(|| conlab_core::replay::on_step_axis(t))
            .flatten()
            .map(|s| t.redrawn(s))
    });
    let drawn = (*stepped).clone().unwrap_or_else(|| t.clone());
    let shown = conlab_core::catalog::find(&t.scenario)
        .map_or(conlab_core::catalog::Shown::ALL, |i| i.shown);
    html! {
        <section class="result">
            { verdict }
            if let Some(place) = lang.ran_where(t) {
                <p class="ran-where" id="ran-where">{ place }</p>
            }
            if !props.no_timeline {
                <Timeline trace={drawn.clone()} cursor={props.cursor} steps={stepped.is_some()} />
            }
            if stepped.is_some() && !props.no_timeline {
                <p class="hint" id="step-axis-note">{ lang.step_axis_note() }</p>
            }
            if !props.compact {
            <details class="lane-list">
                <summary>{ lang.lane_list() }</summary>
                <ol id="lanes">
                    { for t.lanes.iter().take(MAX_LINES).map(|l| html! { <li class="lane" data-lane={l.name.clone()}>{ &l.name }</li> }) }
                </ol>
            </details>
            <h3>{ lang.output() }</h3>
            <p class="hint">{ lang.output_hint() }</p>
            <ol class="output" id="output">
                { for t.output.iter().zip(drawn.output.iter()).take(MAX_LINES).map(|(l, on_axis)| {
                    let on_cursor = props.on_cursor.clone();
                    // Where the line stands on the timeline (its step, on a step axis).
                    let at = on_axis.t;
                    let current = props.cursor == Some(at);
                    html! {
                        <li>
                            <button class={classes!("line", current.then_some("current"))} onclick={Callback::from(move |_| on_cursor.emit(Some(at)))}>
                                <span class="t">{ ms(l.t) }</span>{ " " }
                                <span class="who">{ t.lanes.get(l.lane as usize).map(|x| x.name.clone()).unwrap_or_default() }</span>{ " " }
                                { &l.text }
                            </button>
                        </li>
                    }
                }) }
            </ol>
            }
            // A run refused or skipped before it recorded anything has no figures; one stopped
            // midway, no comparisons (a speed-up of part of a run means nothing).
            // A run that took no time (on virtual time, nothing slept or computed) has no
            // speed-up or peak concurrency, and requests that took none no latency.
            if props.live.is_none() && !props.compact && lost(&t.checked).is_none() && !t.spans.is_empty() {
                <h3>{ lang.metrics() }</h3>
                <p class="metrics" id="metrics" data-makespan-ns={t.metrics.makespan.to_string()}>{ lang.metrics_line(&ms(t.metrics.makespan), t.metrics.meaningful_speedup().filter(|_| shown.speedup && judged), t.metrics.meaningful_peak().filter(|_| shown.peak && judged)) }</p>
                if let Some(l) = t.metrics.latency.as_ref().filter(|l| l.max > 0) {
                    <p class="metrics" id="latency">{ lang.latency_line(l) }</p>
                }
                <Charts trace={t.clone()} />
                if !t.metrics.extra.is_empty() {
                    <ul class="extra-metrics">
                        { for t.metrics.extra.iter().take(40).map(|m| html! { <li>{ format!("{} = {}", lang.metric_name(&m.key), conlab_core::figure_in(m.value, lang.chart_unit(&m.unit), m.unit == "ms")) }</li> }) }
                    </ul>
                }
            }
            if props.live.is_none() && judged {
                <h3>{ lang.checks() }</h3>
                <ul class="checks" id="checks">
                    { for t.checks.iter().map(|c| {
                        let (class, mark, before) = match c.verdict() {
                            Verdict::Passed => ("pass", "✓ ", ""),
                            Verdict::Failed => ("fail", "✗ ", ""),
                            Verdict::NotJudged => ("unjudged", "○ ", lang.not_judged()),
                        };
                        html! {
                            <li class={class}>
                                { mark }<strong>{ lang.check_id(&c.id) }</strong>{ format!(" — {}", lang.check_description(&c.description)) }
                                // The detail on a line of its own, as the CLI writes it: no
                                // brackets around a detail that has its own.
                                if !c.detail.is_empty() { <span class="detail">{ format!("{before}{}", lang.check_detail(&c.detail)) }</span> }
                            </li>
                        }
                    }) }
                </ul>
            }
        </section>
    }
}

/// Whose verdict a loaded trace carries: checked again here (and how the file's differed), or
/// the verdict saved in the file, which this page cannot check again.
fn provenance(checked: &Checked, lang: crate::i18n::Lang) -> Html {
    match checked {
        Checked::Again(differences) if differences.is_empty() => {
            html! { <p class="provenance" id="provenance">{ lang.rechecked() }</p> }
        }
        Checked::Again(differences) => html! {
            <div class="provenance differs" id="provenance">
                <p>{ lang.recheck_differs() }</p>
                <ul>{ for differences.iter().take(20).map(|d| html! { <li>{ d }</li> }) }</ul>
            </div>
        },
        Checked::Saved => {
            html! { <p class="provenance saved" id="provenance">{ lang.saved_verdict() }</p> }
        }
        _ => html! {},
    }
}

/// Why the connection to a native run was lost, if it was.
fn lost(checked: &Checked) -> Option<&str> {
    match checked {
        #[cfg(feature = "served")]
        Checked::Lost(why) => Some(why),
        _ => None,
    }
}
