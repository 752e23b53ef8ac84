//! Open a trace file (file picker or drag and drop); download the trace on show as conlab JSON
//! or Chrome trace-event JSON.

use crate::i18n::{use_lang, Lang};
use crate::state::TraceRc;
use crate::trace_file::{download, load_trace_file};
use conlab_core::Trace;
use web_sys::{DragEvent, HtmlInputElement};
use yew::prelude::*;

/// Properties of [`TraceFileBar`].
#[derive(Properties, PartialEq)]
pub struct TraceFileBarProps {
    /// The trace on show, if any (for the download buttons).
    pub trace: Option<TraceRc>,
    /// Called with the opened trace, or with what is wrong with the file.
    pub on_load: Callback<Result<Trace, String>>,
}

fn open(file: web_sys::File, lang: Lang, on_load: Callback<Result<Trace, String>>) {
    wasm_bindgen_futures::spawn_local(async move {
        on_load.emit(load_trace_file(file, lang).await);
    });
}

/// The file bar.
#[function_component(TraceFileBar)]
pub fn trace_file_bar(props: &TraceFileBarProps) -> Html {
    let lang = use_lang();
    let over = use_state(|| false);
    let on_change = {
        let on_load = props.on_load.clone();
        Callback::from(move |e: Event| {
            let input: HtmlInputElement = e.target_unchecked_into();
            if let Some(file) = input.files().and_then(|f| f.get(0)) {
                open(file, lang, on_load.clone());
            }
        })
    };
    let on_drop = {
        let (on_load, over) = (props.on_load.clone(), over.clone());
        Callback::from(move |e: DragEvent| {
            e.prevent_default();
            over.set(false);
            if let Some(file) = e
                .data_transfer()
                .and_then(|d| d.files())
                .and_then(|f| f.get(0))
            {
                open(file, lang, on_load.clone());
            }
        })
    };
    let on_over = {
        let over = over.clone();
        Callback::from(move |e: DragEvent| {
            e.prevent_default();
            over.set(true);
        })
    };
    let on_leave = {
        let over = over.clone();
        Callback::from(move |_: DragEvent| over.set(false))
    };
    let save = |chrome: bool| {
        let trace = props.trace.clone();
        Callback::from(move |_| {
            let Some(t) = &trace else { return };
            let (name, text) = if chrome {
                (
                    format!("{}.chrome.json", t.scenario),
                    conlab_core::chrome::to_chrome_json(t),
                )
            } else {
                (format!("{}.json", t.scenario), t.to_json())
            };
            let _ = download(&name, &text);
        })
    };
    html! {
        <section id="drop-zone" class={classes!("trace-file", over.then_some("over"))}
            ondrop={on_drop} ondragover={on_over} ondragleave={on_leave}>
            <label class="open">
                { lang.open_trace() }{ " " }
                <input id="trace-file" type="file" accept=".json,application/json" onchange={on_change} />
            </label>
            <span class="hint">{ lang.drop_here() }</span>
            if props.trace.is_some() {
                <button id="download-json" onclick={save(false)}>{ lang.download_json() }</button>
                <button id="download-chrome" onclick={save(true)}>{ lang.download_chrome() }</button>
            }
        </section>
    }
}
