//! The lesson's code: its Python program first, where it has one (the language the learner's
//! tutorial is in), then the file conlab runs for it, each without the checks. Both are
//! fetched from the site when first opened; which lessons have a program, once, from
//! `sources/python/programs.json` (written by `scripts/build-web.sh` from the tracer's table).

use crate::components::code_view::{kept, CodeView};
use crate::i18n::use_lang;
use crate::share::fetch_text;
use std::cell::RefCell;
use std::collections::BTreeMap;
use std::rc::Rc;
use yew::prelude::*;

/// Where the site says which lesson each Python program is.
const PROGRAMS: &str = "sources/python/programs.json";

thread_local! {
    /// Scenario id → the program's path under `python/`, once fetched (empty if the site has
    /// no table).
    static TABLE: RefCell<Option<Rc<BTreeMap<String, String>>>> = const { RefCell::new(None) };
}

/// Properties of [`LessonCode`].
#[derive(Properties, PartialEq)]
pub struct LessonCodeProps {
    /// The scenario.
    pub scenario: &'static str,
    /// conlab's file for it, if the page can show it.
    pub rust: Option<&'static str>,
    /// The Python program a run on show ran (a CPython run), if any.
    #[prop_or_default]
    pub python: Option<&'static str>,
}

/// The Python program of `scenario`, by the site's table.
fn program_of(table: &BTreeMap<String, String>, scenario: &str) -> Option<&'static str> {
    Some(kept(&format!("python/{}", table.get(scenario)?)))
}

/// The lesson's code panes.
#[function_component(LessonCode)]
pub fn lesson_code(props: &LessonCodeProps) -> Html {
    let lang = use_lang();
    let table = use_state(|| TABLE.with(|t| t.borrow().clone()));
    {
        let table = table.clone();
        use_effect_with((), move |_| {
            if table.is_none() {
                wasm_bindgen_futures::spawn_local(async move {
                    let read: BTreeMap<String, String> = match fetch_text(PROGRAMS).await {
                        Ok(text) => serde_json::from_str(&text).unwrap_or_default(),
                        Err(_) => BTreeMap::new(),
                    };
                    let read = Rc::new(read);
                    TABLE.with(|t| *t.borrow_mut() = Some(read.clone()));
                    table.set(Some(read));
                });
            }
        });
    }
    let python = props
        .python
        .or_else(|| table.as_ref().and_then(|t| program_of(t, props.scenario)));
    html! {
        <>
            if let Some(source) = python {
                <CodeView {source} id="code-python" heading={AttrValue::from(lang.code_python())} />
            }
            if let Some(source) = props.rust {
                <CodeView {source} heading={AttrValue::from(if python.is_some() { lang.code_conlab() } else { lang.code_heading() })} />
            }
        </>
    }
}
