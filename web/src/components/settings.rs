//! The page's settings: language and colour theme, remembered in the browser.

use crate::i18n::{use_lang, Lang};
use web_sys::HtmlSelectElement;
use yew::prelude::*;

/// A colour theme.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Theme {
    /// Follow the system.
    #[default]
    Auto,
    /// Light.
    Light,
    /// Dark.
    Dark,
}

impl Theme {
    /// Reads a stored value.
    pub fn parse(s: &str) -> Theme {
        match s {
            "light" => Theme::Light,
            "dark" => Theme::Dark,
            _ => Theme::Auto,
        }
    }

    /// The stored value (also the `data-theme` attribute).
    pub fn as_str(self) -> &'static str {
        match self {
            Theme::Auto => "auto",
            Theme::Light => "light",
            Theme::Dark => "dark",
        }
    }

    /// Applies the theme to the document.
    pub fn apply(self) {
        let root = web_sys::window()
            .and_then(|w| w.document())
            .and_then(|d| d.document_element());
        if let Some(root) = root {
            let _ = match self {
                Theme::Auto => root.remove_attribute("data-theme"),
                t => root.set_attribute("data-theme", t.as_str()),
            };
        }
        repainted();
    }
}

/// The event that tells canvases the page's colours changed (they paint with them).
pub const COLOURS_CHANGED: &str = "conlab-colours";

/// Tells canvases to paint again in the page's colours.
fn repainted() {
    if let (Some(w), Ok(e)) = (web_sys::window(), web_sys::Event::new(COLOURS_CHANGED)) {
        let _ = w.dispatch_event(&e);
    }
}

/// Follows the system's light or dark setting, which the automatic theme shows: canvases
/// paint again when it changes.
pub fn follow_system_colours() -> Option<gloo_events::EventListener> {
    let query = web_sys::window()?
        .match_media("(prefers-color-scheme: dark)")
        .ok()
        .flatten()?;
    Some(gloo_events::EventListener::new(&query, "change", |_| {
        repainted()
    }))
}

/// Properties of [`Settings`].
#[derive(Properties, PartialEq)]
pub struct SettingsProps {
    /// The theme in effect.
    pub theme: Theme,
    /// Called with a new language.
    pub on_lang: Callback<Lang>,
    /// Called with a new theme.
    pub on_theme: Callback<Theme>,
}

/// The settings bar.
#[function_component(Settings)]
pub fn settings(props: &SettingsProps) -> Html {
    let lang = use_lang();
    let on_lang = props.on_lang.reform(|e: Event| {
        let s: HtmlSelectElement = e.target_unchecked_into();
        Lang::parse(&s.value()).unwrap_or_default()
    });
    let on_theme = props.on_theme.reform(|e: Event| {
        let s: HtmlSelectElement = e.target_unchecked_into();
        Theme::parse(&s.value())
    });
    let themes = [
        (Theme::Auto, lang.theme_auto()),
        (Theme::Light, lang.theme_light()),
        (Theme::Dark, lang.theme_dark()),
    ];
    html! {
        <div class="settings">
            <label>{ lang.language() }
                <select id="lang" onchange={on_lang}>
                    { for Lang::ALL.iter().map(|l| html! { <option value={l.tag()} selected={*l == lang}>{ l.native_name() }</option> }) }
                </select>
            </label>
            <label>{ lang.theme() }
                <select id="theme" onchange={on_theme}>
                    { for themes.iter().map(|(t, name)| html! { <option value={t.as_str()} selected={*t == props.theme}>{ *name }</option> }) }
                </select>
            </label>
        </div>
    }
}
