//! Sharing: the page's URL holds the scenario and its parameters (`?scenario=semaphore&
//! permits=3`), kept up to date as the form changes; `?trace=URL` opens a trace from a URL;
//! a link can be copied.

use crate::i18n::Lang;
use crate::trace_file::load_trace_text_in;
use conlab_core::Trace;
use wasm_bindgen::JsValue;
use wasm_bindgen_futures::JsFuture;

/// What the page's URL asks for.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct Shared {
    /// The scenario id, if given.
    pub scenario: Option<String>,
    /// Parameter values as given (validated when used).
    pub params: Vec<(String, String)>,
    /// A trace to open, if given.
    pub trace_url: Option<String>,
    /// A schedule to replay (a thread scenario on the scheduler), if given.
    pub schedule: Option<String>,
    /// The page's language, if given (`en`, `zh-CN`).
    pub lang: Option<String>,
    /// The widget number an embedding page gave this frame (`widget=2`).
    pub widget: Option<String>,
    /// Embeds: only the timeline and the checks (`compact`, from `data-compact`).
    pub compact: bool,
    /// Embeds: run as soon as the widget shows (`autorun`, from `data-autorun`).
    pub autorun: bool,
    /// Embeds: `light` or `dark` (from `data-theme`; otherwise the reader's system's).
    pub theme: Option<String>,
    /// Embeds: the frame has a fixed height (`fixed`, from `data-height`): the result scrolls
    /// in what is left of it.
    pub fixed: bool,
}

/// Whether an embed option's value means yes: present and empty (`data-compact`), or a word
/// for true.
fn yes(v: &str) -> bool {
    matches!(v.trim(), "" | "1" | "true" | "yes" | "on")
}

/// Reads a query string (`?scenario=...&name=value`).
pub fn parse_query(query: &str) -> Shared {
    let mut shared = Shared::default();
    for part in query
        .trim_start_matches('?')
        .split('&')
        .filter(|p| !p.is_empty())
    {
        let (k, v) = part.split_once('=').unwrap_or((part, ""));
        let (k, v) = (
            conlab_core::percent_decode(k),
            conlab_core::percent_decode(v),
        );
        match k.as_str() {
            "scenario" => shared.scenario = Some(v),
            "trace" => shared.trace_url = Some(v),
            "schedule" => shared.schedule = Some(v),
            "lang" => shared.lang = Some(v),
            "widget" => shared.widget = Some(v),
            "compact" => shared.compact = yes(&v),
            "autorun" => shared.autorun = yes(&v),
            "theme" => shared.theme = Some(v),
            "fixed" => shared.fixed = yes(&v),
            "embed" => {}
            _ => shared.params.push((k, v)),
        }
    }
    shared
}

/// The query string for a scenario, the parameter values the user typed and, unless it is
/// English, the page's language.
pub fn to_query(scenario: &str, params: &[(String, String)], lang: Option<&str>) -> String {
    to_query_with_trace(scenario, params, lang, None, None)
}

/// [`to_query`], and the URL of a trace on show that a link opened (`&trace=`) or the schedule
/// of a scheduler run on show (`&schedule=`).
pub fn to_query_with_trace(
    scenario: &str,
    params: &[(String, String)],
    lang: Option<&str>,
    trace: Option<&str>,
    schedule: Option<&str>,
) -> String {
    let mut q = format!("?scenario={}", js_sys::encode_uri_component(scenario));
    for (key, value) in [("trace", trace), ("schedule", schedule)] {
        if let Some(v) = value {
            q.push_str(&format!("&{key}={}", js_sys::encode_uri_component(v)));
        }
    }
    if let Some(lang) = lang.filter(|l| *l != "en") {
        q.push_str(&format!("&lang={}", js_sys::encode_uri_component(lang)));
    }
    for (k, v) in params.iter().filter(|(_, v)| !v.is_empty()) {
        q.push_str(&format!(
            "&{}={}",
            js_sys::encode_uri_component(k),
            js_sys::encode_uri_component(v)
        ));
    }
    q
}

/// The page's current query string. A hash route, as single-page sites write links
/// (`index.html#/gather-vs-wait`), names the scenario where the query does not.
pub fn current_query() -> String {
    let Some(location) = web_sys::window().map(|w| w.location()) else {
        return String::new();
    };
    let search = location.search().unwrap_or_default();
    let hash = location.hash().unwrap_or_default();
    match hash
        .strip_prefix("#/")
        .filter(|id| !id.is_empty() && !search.contains("scenario="))
    {
        Some(id) => {
            let gap = if search.is_empty() { "?" } else { "&" };
            format!("{search}{gap}scenario={id}")
        }
        None => search,
    }
}

/// Replaces the page's URL (no reload, no history entry).
pub fn replace_query(query: &str) {
    if let Some(history) = web_sys::window().and_then(|w| w.history().ok()) {
        let _ = history.replace_state_with_url(&JsValue::NULL, "", Some(query));
    }
}

/// Fetches a text document.
pub async fn fetch_text(url: &str) -> Result<String, FetchError> {
    let window = web_sys::window().ok_or(FetchError::Unreachable)?;
    let response: web_sys::Response = JsFuture::from(window.fetch_with_str(url))
        .await
        .map_err(|_| FetchError::Unreachable)?
        .into();
    if !response.ok() {
        return Err(FetchError::Status(response.status()));
    }
    let text = response.text().map_err(|_| FetchError::Unreadable)?;
    JsFuture::from(text)
        .await
        .map_err(|_| FetchError::Unreadable)?
        .as_string()
        .ok_or(FetchError::Unreadable)
}

/// Why a file could not be fetched (said in words by [`Lang::fetch_error`]).
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum FetchError {
    /// No answer: offline, a wrong address, or a site that does not allow it.
    Unreachable,
    /// The server answered with this HTTP status.
    Status(u16),
    /// The answer could not be read as text.
    Unreadable,
}

/// Fetches and reads a trace; the error says in `lang` what went wrong.
pub async fn fetch_trace(url: &str, lang: Lang) -> Result<Trace, String> {
    let text = fetch_text(url)
        .await
        .map_err(|e| lang.fetch_error(url, e))?;
    load_trace_text_in(lang, url, &text)
}

/// Where the site keeps the native run of `id` it ships (`just record-native`).
pub fn recorded_url(id: &str) -> String {
    format!("recorded/{id}.json")
}

/// Copies the page's link to the clipboard.
pub async fn copy_link() -> Result<String, String> {
    let window = web_sys::window().ok_or("no window")?;
    let href = window.location().href().map_err(|e| format!("{e:?}"))?;
    copy_text(&href)
        .await
        .map_err(|_| format!("the browser did not allow copying; the link is {href}"))?;
    Ok(href)
}

/// Copies `text` to the clipboard.
pub async fn copy_text(text: &str) -> Result<(), ()> {
    let window = web_sys::window().ok_or(())?;
    JsFuture::from(window.navigator().clipboard().write_text(text))
        .await
        .map(|_| ())
        .map_err(|_| ())
}

#[cfg(test)]
mod tests {
    use super::*;
    use wasm_bindgen_test::wasm_bindgen_test;

    #[wasm_bindgen_test]
    fn queries_are_read() {
        let s = parse_query(
            "?scenario=wait-timeout&timeout_ms=150&sleeps_ms=1%2C2&lang=zh-CN&trace=t.json",
        );
        assert_eq!(s.scenario.as_deref(), Some("wait-timeout"));
        assert_eq!(
            s.params,
            vec![
                ("timeout_ms".into(), "150".into()),
                ("sleeps_ms".into(), "1,2".into())
            ]
        );
        assert_eq!(s.trace_url.as_deref(), Some("t.json"));
        assert_eq!(s.lang.as_deref(), Some("zh-CN"));
        let q = to_query(
            "semaphore",
            &[("permits".into(), "3".into())],
            Some("zh-CN"),
        );
        assert_eq!(q, "?scenario=semaphore&lang=zh-CN&permits=3");
        assert_eq!(parse_query(&q).params, vec![("permits".into(), "3".into())]);
        // A schedule survives the round trip, and is no parameter.
        let schedule = "s1.826f78c573536c24.1d0b14e4db018fed.0001110~8~";
        let q = to_query_with_trace(
            "race-condition",
            &[("threads".into(), "2".into())],
            None,
            None,
            Some(schedule),
        );
        let back = parse_query(&q);
        assert_eq!(back.schedule.as_deref(), Some(schedule));
        assert_eq!(back.params, vec![("threads".into(), "2".into())]);
    }
}
