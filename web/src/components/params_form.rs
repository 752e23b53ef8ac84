//! A form generated from a scenario's catalog entry: one input per parameter, with its range,
//! each value checked as it is typed (the same check as the CLI's `-p`).

use crate::i18n::use_lang;
use conlab_core::{catalog, Params};
use web_sys::HtmlInputElement;
use yew::prelude::*;

/// Properties of [`ParamsForm`].
#[derive(Properties, PartialEq)]
pub struct ParamsFormProps {
    /// The scenario id.
    pub info: &'static str,
    /// The values typed so far (empty means the default).
    pub values: Vec<(String, String)>,
    /// Called with (name, value) whenever an input changes.
    pub on_change: Callback<(String, String)>,
    /// Shown but not editable (the values of a recorded run).
    #[prop_or_default]
    pub disabled: bool,
}

/// The parameter form.
#[function_component(ParamsForm)]
pub fn params_form(props: &ParamsFormProps) -> Html {
    let lang = use_lang();
    let Some(info) = catalog::find(props.info) else {
        return html! {};
    };
    let input = |name: &'static str, default: String, help: String| {
        let value = props
            .values
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.clone())
            .unwrap_or_default();
        let cb = props.on_change.clone();
        let oninput = Callback::from(move |e: InputEvent| {
            let input: HtmlInputElement = e.target_unchecked_into();
            cb.emit((name.to_string(), input.value()));
        });
        let problem = (!value.is_empty())
            .then(|| {
                let assignment = format!("{name}={value}");
                Params::from_assignments(info.id, info.params, [assignment.as_str()]).err()
            })
            .flatten()
            .map(|e| lang.param_error(&e));
        let error_id = format!("{name}-error");
        html! {
            <label class="param" key={format!("{}-{name}", props.info)}>
                <span class="name">{ name }</span>
                <input name={name} placeholder={default} {value} {oninput} disabled={props.disabled}
                    aria-invalid={problem.is_some().to_string()}
                    aria-describedby={problem.is_some().then(|| error_id.clone())} />
                <span class="help">{ help }</span>
                if let Some(p) = problem { <span class="param-error" id={error_id}>{ p }</span> }
            </label>
        }
    };
    html! {
        <fieldset class="params">
            <legend>{ lang.parameters() }</legend>
            { for info.params.iter().map(|p| {
                let sep = if lang == crate::i18n::Lang::ZhCn { "；" } else { "; " };
                let mut help = format!("{}{sep}{}", lang.param_help(info, p.name).unwrap_or(p.help), lang.range_text(p));
                if let Some(note) = lang.page_note(p) {
                    help.push_str(sep);
                    help.push_str(&note);
                }
                input(p.name, p.default_value().to_string(), help)
            }) }
            if !props.disabled { { input("time-scale", "1".into(), lang.time_scale_help().into()) } }
        </fieldset>
    }
}
