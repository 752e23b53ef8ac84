//! Stepping through a deterministic run: the same scenario on the virtual-time runtime, a
//! scrubber over every moment something happened, one step back or forward at a time, and what
//! every lane was doing at that moment.

use crate::components::code_view::{CodeView, LaneAt};
use crate::components::timeline::{fmt_time, Timeline};
use crate::i18n::use_lang;
use crate::state::TraceRc;
pub use conlab_core::replay::{steps, Step, StepKind};
use conlab_core::Trace;
use std::rc::Rc;
use web_sys::HtmlInputElement;
use yew::prelude::*;

/// At most this many lanes are listed in the state table.
const MAX_ROWS: usize = 200;

/// Properties of [`StepThrough`].
#[derive(Properties, PartialEq)]
pub struct StepThroughProps {
    /// The virtual-time run.
    pub trace: TraceRc,
    /// Called to close the panel.
    pub on_close: Callback<()>,
    /// The scenario's source file, shown with every lane at its line.
    #[prop_or_default]
    pub source: Option<&'static str>,
}

/// Where every lane stands after some steps of a run: its open spans (innermost last) and the
/// line of code it last recorded at. Moving forward replays only the new steps, so stepping
/// through a long run costs one step per click, not the whole run again.
#[derive(Debug, Default)]
pub struct Replay {
    upto: usize,
    open: Vec<Vec<usize>>,
    last_site: Vec<Option<u16>>,
}

impl Replay {
    /// Before the first step of `t`.
    pub fn new(t: &Trace) -> Replay {
        Replay {
            upto: 0,
            open: vec![Vec::new(); t.lanes.len()],
            last_site: vec![None; t.lanes.len()],
        }
    }

    /// Moves to just after the first `upto` steps: forward from where it is, or again from the
    /// start to go back.
    pub fn seek(&mut self, t: &Trace, steps: &[Step], upto: usize) {
        if upto < self.upto || self.open.len() != t.lanes.len() {
            *self = Replay::new(t);
        }
        for s in steps.iter().take(upto).skip(self.upto) {
            match s.kind {
                StepKind::Begin(i) => {
                    if let Some(span) = t.spans.get(i) {
                        let lane = span.lane as usize;
                        if let Some(stack) = self.open.get_mut(lane) {
                            stack.push(i);
                            self.last_site[lane] = span.site.or(self.last_site[lane]);
                        }
                    }
                }
                StepKind::End(i) => {
                    if let Some(stack) = t
                        .spans
                        .get(i)
                        .and_then(|x| self.open.get_mut(x.lane as usize))
                    {
                        stack.retain(|j| *j != i);
                    }
                }
                StepKind::Print(i) => {
                    if let Some(o) = t.output.get(i) {
                        if let Some(last) = self.last_site.get_mut(o.lane as usize) {
                            *last = o.site.or(*last);
                        }
                    }
                }
                StepKind::Mark(i) => {
                    if let Some(m) = t.marks.get(i) {
                        if let Some(last) = self.last_site.get_mut(m.lane as usize) {
                            *last = m.site.or(*last);
                        }
                    }
                }
            }
        }
        self.upto = upto;
    }

    /// What lane `lane` is doing: its innermost open span.
    pub fn state(&self, t: &Trace, lane: usize) -> Option<usize> {
        self.open
            .get(lane)?
            .iter()
            .copied()
            .max_by_key(|i| t.spans[*i].depth)
    }

    /// Where each lane alive at `now` is in the code: the line it last recorded at (a span's
    /// beginning, a print, a mark: a thread that prints while it holds a lock is at its print),
    /// or else the line of its innermost open span.
    pub fn places(&self, t: &Trace, now: conlab_core::Nanos) -> Vec<LaneAt> {
        let mut at = Vec::new();
        for (lane, l) in t.lanes.iter().enumerate() {
            if l.start > now || l.end.is_some_and(|e| e < now) {
                continue;
            }
            let span = self.state(t, lane);
            let site = self.last_site[lane].or_else(|| span.and_then(|i| t.spans[i].site));
            if let Some(site) = site {
                at.push(LaneAt {
                    lane: lane as u32,
                    site,
                    state: span.map(|i| t.spans[i].state),
                });
            }
        }
        at
    }
}

/// What every lane is doing after the first `upto` steps: its innermost open span.
pub fn lane_states(t: &Trace, steps: &[Step], upto: usize) -> Vec<Option<usize>> {
    let mut replay = Replay::new(t);
    replay.seek(t, steps, upto);
    (0..t.lanes.len())
        .map(|lane| replay.state(t, lane))
        .collect()
}

/// For each lane, the first and the last step it takes (`None` for a lane that takes none): a
/// lane has not started before its first step and has finished after its last, whatever the
/// time (on virtual time many steps share one instant).
pub fn lane_steps(t: &Trace, steps: &[Step]) -> Vec<Option<(usize, usize)>> {
    let mut out = vec![None; t.lanes.len()];
    for (k, s) in steps.iter().enumerate() {
        if let Some(slot) = out.get_mut(acting_lane(t, s) as usize) {
            *slot = Some(slot.map_or((k, k), |(first, _)| (first, k)));
        }
    }
    out
}

/// One line saying what a step is.
fn describe(t: &Trace, step: &Step, lang: crate::i18n::Lang) -> String {
    let lane = |id: u32| t.lanes.get(id as usize).map_or("?", |l| l.name.as_str());
    match step.kind {
        StepKind::Begin(i) | StepKind::End(i) => {
            let s = &t.spans[i];
            if matches!(step.kind, StepKind::Begin(_)) {
                format!("▶ {}: {}", lane(s.lane), lang.state_name(s.state))
            } else {
                // The step that ends a wait is the lane's waking up: said as such.
                format!(
                    "■ {}: {}",
                    lane(s.lane),
                    lang.span_ends(lang.state_name(s.state))
                )
            }
        }
        StepKind::Print(i) => format!("✎ {}: {}", lane(t.output[i].lane), t.output[i].text),
        // A wake link ("1 2 Thread-1 released `x`, which woke Thread-2"): its words.
        StepKind::Mark(i) if t.marks[i].name == "wakes" => {
            let words = t.marks[i].detail.splitn(3, ' ').nth(2).unwrap_or("");
            format!("⇢ {}", lang.check_detail(words))
        }
        // A deadlock's wait ("waiter holder", lane ids): by name.
        StepKind::Mark(i) if t.marks[i].name == "waits_for" => {
            let m = &t.marks[i];
            let mut ids = m.detail.split(' ').filter_map(|w| w.parse::<u32>().ok());
            let (waiter, holder) = (ids.next().unwrap_or(m.lane), ids.next().unwrap_or(m.lane));
            format!("◆ {} ⇢ {}", lane(waiter), lane(holder))
        }
        // The scenario's own marks, as it named them: `task_done` 3 reads "task done: 3".
        StepKind::Mark(i) => {
            let m = &t.marks[i];
            let name = lang.mark_name(&m.name);
            // CPU time is recorded in nanoseconds.
            let cpu = (m.name == "cpu_time")
                .then(|| m.detail.parse().ok().map(conlab_core::ms))
                .flatten();
            match (m.detail.as_str(), cpu) {
                ("", _) => format!("◆ {}: {name}", lane(m.lane)),
                (_, Some(cpu)) => format!("◆ {}: {name}: {cpu}", lane(m.lane)),
                (detail, None) => {
                    format!("◆ {}: {name}: {}", lane(m.lane), lang.check_detail(detail))
                }
            }
        }
    }
}

/// The lane that takes step `s`.
fn acting_lane(t: &Trace, s: &Step) -> u32 {
    match s.kind {
        StepKind::Begin(i) | StepKind::End(i) => t.spans[i].lane,
        StepKind::Print(i) => t.output[i].lane,
        StepKind::Mark(i) => t.marks[i].lane,
    }
}

/// The step-through panel.
#[function_component(StepThrough)]
pub fn step_through(props: &StepThroughProps) -> Html {
    let lang = use_lang();
    let memo = use_memo(props.trace.clone(), |t| {
        let all = steps(t);
        let lives = lane_steps(t, &all);
        // A run that took no time is drawn step by step: step k at k step widths.
        let stepped = conlab_core::replay::on_step_axis(t).map(|s| t.redrawn(s));
        (all, lives, stepped)
    });
    let (all, lives, stepped) = (&memo.0, &memo.1, &memo.2);
    let at = use_state(|| 0usize);
    let last = all.len().saturating_sub(1);
    let i = (*at).min(last);
    let step = all.get(i).copied();
    let now = step.map_or(0, |s| s.t);
    let go = |to: usize| {
        let at = at.clone();
        Callback::from(move |_: MouseEvent| at.set(to))
    };
    let on_slide = {
        let at = at.clone();
        Callback::from(move |e: InputEvent| {
            let input: HtmlInputElement = e.target_unchecked_into();
            if let Ok(v) = input.value().parse::<usize>() {
                at.set(v);
            }
        })
    };
    let t = &props.trace;
    let replay = use_mut_ref(Replay::default);
    let (states, places) = {
        let mut r = replay.borrow_mut();
        r.seek(t, all, i + 1);
        let states: Vec<Option<usize>> = (0..t.lanes.len().min(MAX_ROWS))
            .map(|lane| r.state(t, lane))
            .collect();
        // Tags only for lanes between their first step and their last.
        let mut places = r.places(t, now);
        places.retain(|p| {
            lives
                .get(p.lane as usize)
                .copied()
                .flatten()
                .is_some_and(|(first, last)| first <= i && i <= last)
        });
        (states, Rc::new(places))
    };
    // Opened, the panel comes into view: on a phone it opens below the fold.
    let panel = use_node_ref();
    {
        let panel = panel.clone();
        use_effect_with((), move |_| {
            if let Some(panel) = panel.cast::<web_sys::Element>() {
                panel.scroll_into_view();
            }
        });
    }
    let what = step.map(|s| describe(t, &s, lang)).unwrap_or_default();
    let acting = step.map(|s| acting_lane(t, &s));
    let close = props.on_close.reform(|_: MouseEvent| ());
    html! {
        <section class="step" id="step-through" aria-label={lang.step_heading()} ref={panel}>
            <h2>{ lang.step_heading() }</h2>
            <div class="step-controls">
                <button id="step-back" class="secondary" onclick={go(i.saturating_sub(1))} disabled={i == 0}>{ lang.step_back() }</button>
                <input id="step-slider" type="range" min="0" max={last.to_string()} value={i.to_string()} oninput={on_slide} aria-valuetext={fmt_time(now)} />
                <button id="step-forward" class="secondary" onclick={go((i + 1).min(last))} disabled={i == last}>{ lang.step_forward() }</button>
                <button class="secondary" onclick={close}>{ lang.close() }</button>
            </div>
            <p id="step-position" aria-live="polite">{ lang.step_position(i + 1, all.len(), &fmt_time(now)) }</p>
            <p id="step-event" class="step-event">{ what }</p>
            if let Some(drawn) = stepped {
                <Timeline id="step-timeline" trace={drawn.clone()} cursor={Some((i as u64 + 1) * conlab_core::replay::STEP_WIDTH)} steps=true />
            } else {
                <Timeline id="step-timeline" trace={t.clone()} cursor={Some(now)} />
            }
            <div class="step-body">
                <table class="lane-states">
                    <thead><tr><th>{ lang.lane() }</th><th>{ lang.state() }</th></tr></thead>
                    <tbody>
                        { for t.lanes.iter().zip(states.iter()).take(MAX_ROWS).enumerate().map(|(id, (lane, span))| {
                            let text = match span.and_then(|i| t.spans.get(i)) {
                                Some(s) if s.label.is_empty() => lang.state_name(s.state).to_string(),
                                Some(s) => format!("{} — {}", lang.state_name(s.state), lang.check_detail(&s.label)),
                                // Nothing open: not started yet, finished, or between spans,
                                // told by the lane's first and last step.
                                // The main lane was there before any step.
                                None if lane.kind != conlab_core::LaneKind::Main && lives[id].map_or(lane.start > now, |(first, _)| i < first) => lang.not_started().to_string(),
                                None if lane.end.is_some() && lives[id].map_or(lane.end.is_some_and(|end| end <= now), |(_, last)| i > last) => lang.finished().to_string(),
                                None if Some(id as u32) == acting => lang.takes_step().to_string(),
                                None => lang.ready().to_string(),
                            };
                            html! { <tr><td>{ &lane.name }</td><td class="lane-state">{ text }</td></tr> }
                        }) }
                    </tbody>
                </table>
                if let Some(source) = props.source {
                    <CodeView {source} open=true at={Some((t.clone(), places))} {acting} />
                }
            </div>
            <ol class="output">
                { for all.iter().take(i + 1).filter_map(|s| match s.kind {
                    StepKind::Print(n) => t.output.get(n),
                    _ => None,
                }).map(|o| html! {
                    <li><span class="t">{ fmt_time(o.t) }</span>{ " " }{ &o.text }</li>
                }) }
            </ol>
        </section>
    }
}
