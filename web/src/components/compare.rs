//! Two runs side by side on one time scale: a kept run and the one on show.

use crate::components::timeline::{fmt_time, TimeLink, Timeline};
use crate::i18n::use_lang;
use crate::state::TraceRc;
use conlab_core::Trace;
use yew::prelude::*;

/// Properties of [`Compare`].
#[derive(Properties, PartialEq)]
pub struct CompareProps {
    /// The kept run.
    pub kept: TraceRc,
    /// The run on show.
    pub current: TraceRc,
    /// Called to stop comparing.
    pub on_stop: Callback<()>,
}

/// What a run was: scenario, where it ran, parameters, length.
pub fn describe(t: &Trace, lang: crate::i18n::Lang) -> String {
    let params: Vec<String> = t.params.iter().map(|(k, v)| format!("{k}={v}")).collect();
    format!(
        "{} · {} · {} · {}",
        t.scenario,
        lang.runtime_name(t.runtime),
        if params.is_empty() {
            lang.defaults().to_string()
        } else {
            params.join(" ")
        },
        fmt_time(t.end)
    )
}

/// The parameters two runs of one scenario differ in: `tasks: 5 / 3`.
pub fn differing_params(kept: &Trace, current: &Trace) -> Vec<String> {
    if kept.scenario != current.scenario {
        return Vec::new();
    }
    kept.params
        .iter()
        .filter_map(|(k, a)| {
            let b = current.params.get(k)?;
            (a != b).then(|| format!("{k}: {a} / {b}"))
        })
        .collect()
}

/// The comparison.
#[function_component(Compare)]
pub fn compare(props: &CompareProps) -> Html {
    let lang = use_lang();
    let end = props.kept.end.max(props.current.end);
    let stop = props.on_stop.reform(|_: MouseEvent| ());
    // Both timelines show the same time window: zooming or panning one moves the other.
    let link = use_memo((), |_| TimeLink::default());
    let differ = differing_params(&props.kept, &props.current);
    html! {
        <section class="compare" id="compare">
            <h2>{ lang.comparing() }</h2>
            <button class="secondary" onclick={stop}>{ lang.unpin() }</button>
            if !differ.is_empty() {
                <p class="params-differ" id="params-differ">{ lang.params_differ(&differ.join(", ")) }</p>
            }
            <h3>{ format!("{}{}{}", lang.kept_run(), lang.label_colon(), describe(&props.kept, lang)) }</h3>
            <Timeline id="timeline-kept" trace={props.kept.clone()} scale_end={Some(end)} link={Some((*link).clone())} />
            <h3>{ format!("{}{}{}", lang.this_run(), lang.label_colon(), describe(&props.current, lang)) }</h3>
            <Timeline id="timeline-current" trace={props.current.clone()} scale_end={Some(end)} link={Some((*link).clone())} />
        </section>
    }
}
