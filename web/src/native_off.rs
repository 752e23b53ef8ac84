//! The site's build: no server behind the page, so no native runs (see `native.rs`, built
//! with the `served` feature for `conlab serve`).

use crate::i18n::Lang;
use crate::state::Playground;
use std::cell::RefCell;
use std::rc::Rc;
use yew::prelude::*;

/// Never: this build is not the one `conlab serve` embeds.
pub fn served() -> bool {
    false
}

/// Nothing to keep.
pub type NativeSlot = Rc<RefCell<()>>;

/// Nothing to leave.
pub fn leave(_: &NativeSlot) {}

/// The site's own tagline.
pub fn tagline(_: Lang) -> Option<&'static str> {
    None
}

/// Buttons that do nothing: there are none on this build's page.
pub struct Callbacks {
    /// Run natively.
    pub native: Callback<MouseEvent>,
    /// Run in CPython.
    pub cpython: Callback<MouseEvent>,
    /// Stop.
    pub stop: Callback<MouseEvent>,
}

/// Nothing to do.
pub fn callbacks(_: &UseReducerHandle<Playground>, _: &NativeSlot, _: Lang) -> Callbacks {
    Callbacks {
        native: Callback::noop(),
        cpython: Callback::noop(),
        stop: Callback::noop(),
    }
}

/// Never: no server runs Python programs for this build's page.
pub fn has_python(_: &str, _: Callback<()>) -> bool {
    false
}

/// Nothing to show.
pub fn cpython_button(_: Lang, _: bool, _: Callback<MouseEvent>) -> Html {
    Html::default()
}

/// Nothing to show.
pub fn actions(
    _: Lang,
    _: &Playground,
    _: bool,
    _: Callback<MouseEvent>,
    _: Callback<MouseEvent>,
    _: Callback<MouseEvent>,
) -> Html {
    Html::default()
}

/// Nothing to show.
pub fn run_button(_: Lang, _: bool, _: Callback<MouseEvent>) -> Html {
    Html::default()
}

/// Nothing to follow again.
pub fn reattach(
    _: &'static conlab_core::catalog::ScenarioInfo,
    _: Lang,
    _: UseReducerDispatcher<Playground>,
    _: NativeSlot,
) {
}

/// Not handled here: the page compares with the recorded run it ships.
pub fn compare(_: &UseReducerHandle<Playground>, _: &NativeSlot, _: Lang) -> bool {
    false
}

/// No server, no runs to list.
pub fn runs_list(_: UseReducerDispatcher<Playground>) -> Html {
    Html::default()
}

/// Without a server there is no native run to follow.
pub fn follows_a_run(_: &str) -> bool {
    false
}

/// Without a server there is no native run to forget.
pub fn forget() {}
