//! Be the scheduler: the learner picks which thread takes each next step of a thread scenario
//! on the deterministic scheduler. The panel lists who can step and what step, and why every
//! other thread waits; Back takes the last choice back. The run so far is on show below it,
//! and the page's link replays it.

use crate::i18n::Lang;
use crate::state::Steering;
use yew::prelude::*;

/// The panel of a run the learner schedules: `on_choose` hears the position of the thread
/// chosen to step next, or `None` to take the last choice back; `on_finish`, that the rest is
/// to be drawn from the seed; `on_close`, that they stop.
/// (A function, not a component: it has no state, and the page's download is smaller so.)
pub fn steer_panel(
    lang: Lang,
    s: &Steering,
    on_choose: &Callback<Option<u32>>,
    on_finish: &Callback<()>,
    on_close: &Callback<()>,
) -> Html {
    let back = on_choose.reform(|_: MouseEvent| None);
    let finish = on_finish.reform(|_: MouseEvent| ());
    let close = on_close.reform(|_: MouseEvent| ());
    html! {
        <section class="steer" id="steer" aria-live="polite">
            <h3>{ lang.be_scheduler() }</h3>
            <p class="hint">{ if s.options.is_empty() { lang.steer_ended() } else { lang.steer_pick() } }</p>
            <ol class="steer-options">
                { for s.options.iter().enumerate().map(|(i, (who, step))| html! {
                    <li><button class="run steer-option" onclick={on_choose.reform(move |_: MouseEvent| Some(i as u32))}>
                        <span class="who">{ who }</span>{ " " }{ lang.check_detail(step) }
                    </button></li>
                }) }
            </ol>
            if !s.waiting.is_empty() {
                <ul class="steer-waiting">
                    { for s.waiting.iter().map(|(who, why)| html! {
                        <li><span class="who">{ who }</span>{ " " }{ lang.check_detail(why) }</li>
                    }) }
                </ul>
            }
            <button id="steer-back" class="secondary" onclick={back} disabled={s.choices.is_empty()}>{ format!("{} ({})", lang.steer_back(), s.choices.len()) }</button>
            { " " }
            if !s.options.is_empty() {
                <button id="steer-finish" class="secondary" onclick={finish}>{ lang.steer_finish() }</button>
                { " " }
            }
            <button id="steer-close" class="secondary" onclick={close}>{ lang.close() }</button>
        </section>
    }
}
