//! The Embed panel: an `<iframe>` snippet and a `<script>` loader snippet for the scenario and
//! parameters on show, pointing at wherever this playground is served from.

use crate::i18n::{use_lang, Lang};
use yew::prelude::*;

/// Properties of [`EmbedDialog`].
#[derive(Properties, PartialEq)]
pub struct EmbedDialogProps {
    /// Scenario id.
    pub scenario: &'static str,
    /// Parameter values typed.
    pub params: Vec<(String, String)>,
}

/// The playground's base URL (the folder of the page).
pub fn base_url() -> String {
    let href = web_sys::window()
        .and_then(|w| w.location().href().ok())
        .unwrap_or_default();
    let no_query = href.split(['?', '#']).next().unwrap_or("").to_string();
    match no_query.rfind('/') {
        Some(i) => no_query[..=i].to_string(),
        None => no_query,
    }
}

/// The two snippets for `scenario` with `params` in `lang`.
pub fn snippets(
    base: &str,
    scenario: &str,
    params: &[(String, String)],
    lang: Lang,
) -> (String, String) {
    let query = crate::share::to_query(scenario, params, Some(lang.tag()));
    // A frame without the loader cannot follow its content's height: the widget lays itself
    // out for the frame's (`fixed`), its result scrolling in what is left, never the frame.
    let iframe = format!(
        "<iframe src=\"{base}embed.html{query}&fixed=1\" title=\"conlab: {scenario}\" width=\"100%\" height=\"640\" style=\"border:0\" loading=\"lazy\"></iframe>"
    );
    let mut attrs = format!("data-conlab-scenario=\"{scenario}\"");
    for (k, v) in params.iter().filter(|(_, v)| !v.is_empty()) {
        attrs.push_str(&format!(
            " data-{}=\"{}\"",
            k.replace('_', "-"),
            html_escape(v)
        ));
    }
    if lang != Lang::En {
        attrs.push_str(&format!(" data-lang=\"{}\"", lang.tag()));
    }
    let script =
        format!("<script src=\"{base}conlab-embed.js\" defer></script>\n<div {attrs}></div>");
    (iframe, script)
}

fn html_escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('"', "&quot;")
        .replace('<', "&lt;")
}

/// The panel.
#[function_component(EmbedDialog)]
pub fn embed_dialog(props: &EmbedDialogProps) -> Html {
    let lang = use_lang();
    let (iframe, script) = snippets(&base_url(), props.scenario, &props.params, lang);
    let copied = use_state(|| None::<&'static str>);
    let copy = |which: &'static str, text: String| {
        let copied = copied.clone();
        Callback::from(move |_: MouseEvent| {
            let (copied, text) = (copied.clone(), text.clone());
            wasm_bindgen_futures::spawn_local(async move {
                if crate::share::copy_text(&text).await.is_ok() {
                    copied.set(Some(which));
                }
            });
        })
    };
    let done = |which: &str| (*copied == Some(which)).then(|| lang.link_copied());
    html! {
        <section class="embed" id="embed">
            <h3>{ lang.embed_heading() }</h3>
            <p>{ lang.embed_iframe() }</p>
            <textarea id="embed-iframe" readonly=true rows="3" value={iframe.clone()} />
            <button id="copy-iframe" class="secondary" onclick={copy("iframe", iframe)}>{ lang.copy() }</button>
            if let Some(d) = done("iframe") { <span class="copied" role="status">{ d }</span> }
            <p>{ lang.embed_script() }</p>
            <textarea id="embed-script" readonly=true rows="3" value={script.clone()} />
            <button id="copy-script" class="secondary" onclick={copy("script", script)}>{ lang.copy() }</button>
            if let Some(d) = done("script") { <span class="copied" role="status">{ d }</span> }
            <p class="hint">{ lang.embed_options() }</p>
        </section>
    }
}
