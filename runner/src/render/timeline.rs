//! The ASCII lane timeline: one row per lane, one character per time slice, showing what the
//! lane was doing (the innermost span wins, so "sleeping while holding a lock" shows sleeping).

use conlab_core::{ms, LaneId, Nanos, Span, SpanState, Trace};
use std::fmt::Write;

/// At most this many lanes are drawn; the rest are counted.
const MAX_LANES: usize = 24;

/// The character drawn for a state.
pub fn glyph(state: SpanState) -> char {
    match state {
        SpanState::Running => '#',
        SpanState::Computing => '@',
        SpanState::Sleeping => '~',
        SpanState::BlockedIo => 'i',
        SpanState::Blocking => 'B',
        SpanState::WaitingLock => 'w',
        SpanState::HoldingLock => 'L',
        SpanState::WaitingSemaphore => 's',
        SpanState::WaitingCondition => 'c',
        SpanState::WaitingEvent => 'e',
        SpanState::WaitingQueue => 'q',
        SpanState::WaitingJoin => 'j',
        SpanState::WaitingFuture => 'f',
        SpanState::WaitingGil => 'g',
        SpanState::Connecting => 'C',
        SpanState::InFlight => '>',
        SpanState::PoolWait => 'p',
    }
}

/// Renders the timeline in `width` columns.
pub fn render(t: &Trace, width: usize) -> String {
    // A run that took no time is drawn step by step, in the order its steps happened.
    let stepped = conlab_core::replay::on_step_axis(t);
    let t = stepped.as_ref().unwrap_or(t);
    // Lanes that belong to another (a child process's threads) follow it, indented. When not
    // every lane fits, those are left out first, so the run's own lanes (its processes) show.
    let mut order = t.lane_order();
    let nested = order.iter().filter(|(_, depth)| *depth > 0).count();
    let hidden_nested = if order.len() > MAX_LANES && nested > 0 {
        order.retain(|(_, depth)| *depth == 0);
        nested
    } else {
        0
    };
    let label = |id: LaneId, depth: u16| -> String {
        let name = &t.lanes[id as usize].name;
        format!("{}{name}", "  ".repeat(depth as usize))
    };
    let name_w = order
        .iter()
        .map(|(id, depth)| label(*id, *depth).chars().count())
        .max()
        .unwrap_or(4)
        .clamp(4, 28);
    let cells = width.saturating_sub(name_w + 4).max(10);
    let end = t.end.max(1);
    let cell_of = |time: Nanos| -> usize {
        ((time as u128 * cells as u128) / end as u128).min(cells as u128 - 1) as usize
    };

    let mut by_lane: Vec<Vec<&Span>> = vec![Vec::new(); t.lanes.len()];
    for s in &t.spans {
        if let Some(v) = by_lane.get_mut(s.lane as usize) {
            v.push(s);
        }
    }
    let mut out = String::new();
    let mut used: Vec<SpanState> = Vec::new();
    for &(id, depth) in order.iter().take(MAX_LANES) {
        let lane = &t.lanes[id as usize];
        let mut row = vec![' '; cells];
        let alive_end = lane.end.unwrap_or(t.end);
        for c in row
            .iter_mut()
            .take(cell_of(alive_end) + 1)
            .skip(cell_of(lane.start))
        {
            *c = '.';
        }
        let mut spans = by_lane[lane.id as usize].clone();
        spans.sort_by_key(|s| s.depth);
        for s in spans {
            if !used.contains(&s.state) {
                used.push(s.state);
            }
            let (a, b) = (
                cell_of(s.start),
                cell_of(s.end.saturating_sub(1).max(s.start)),
            );
            for c in row.iter_mut().take(b + 1).skip(a) {
                *c = glyph(s.state);
            }
        }
        let name: String = label(id, depth).chars().take(name_w).collect();
        let _ = writeln!(out, "  {name:<name_w$}|{}|", row.iter().collect::<String>());
    }
    if order.len() > MAX_LANES {
        let _ = writeln!(
            out,
            "  … {} more lanes (see the JSON trace)",
            order.len() - MAX_LANES
        );
    }
    if hidden_nested > 0 {
        let _ = writeln!(
            out,
            "  … and {} of child processes (see the JSON trace)",
            conlab_core::count_of(hidden_nested, "thread", "threads")
        );
    }
    let axis_end = match stepped {
        Some(_) => format!("step {}", t.end / conlab_core::replay::STEP_WIDTH),
        None => ms(t.end),
    };
    let _ = writeln!(out, "  {:<name_w$}0{:>w$}", "", axis_end, w = cells + 1);
    used.sort();
    let legend: Vec<String> = std::iter::once(". alive".to_string())
        .chain(
            used.iter()
                .map(|s| format!("{} {}", glyph(*s), s.as_str().replace('_', " "))),
        )
        .collect();
    let _ = writeln!(out, "  legend: {}", legend.join(" · "));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_state_has_its_own_glyph() {
        let mut glyphs: Vec<char> = SpanState::ALL.iter().map(|s| glyph(*s)).collect();
        glyphs.sort_unstable();
        glyphs.dedup();
        assert_eq!(glyphs.len(), SpanState::ALL.len());
        assert!(!glyphs.contains(&'.') && !glyphs.contains(&' '));
    }
}
