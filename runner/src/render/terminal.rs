//! Text from a trace file or the command line is untrusted: control characters in it (an
//! escape sequence that clears the screen or retitles the window) and the invisible characters
//! that reorder a line (bidirectional overrides) are shown as escapes, never sent to the
//! terminal.

use conlab_core::{Status, Trace};

/// Whether `c` must not reach a terminal as it is: a control character, or a character that
/// silently reorders or hides text (bidirectional marks, embeddings, overrides and isolates).
fn unsafe_for_terminal(c: char) -> bool {
    c.is_control()
        || matches!(c, '\u{200E}' | '\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
}

/// `text` with every such character written as `\u{…}`; unchanged (not copied) when it has
/// none.
pub fn escape_controls(text: &mut String) {
    if text.chars().any(unsafe_for_terminal) {
        *text = text
            .chars()
            .map(|c| {
                if unsafe_for_terminal(c) {
                    c.escape_unicode().to_string()
                } else {
                    c.to_string()
                }
            })
            .collect();
    }
}

/// `text` made safe to print (see [`escape_controls`]).
pub fn printable(text: impl Into<String>) -> String {
    let mut text = text.into();
    escape_controls(&mut text);
    text
}

/// Escapes the control characters in every text of `trace` a person reads.
pub fn make_printable(trace: &mut Trace) {
    for lane in &mut trace.lanes {
        escape_controls(&mut lane.name);
    }
    for span in &mut trace.spans {
        escape_controls(&mut span.label);
    }
    for mark in &mut trace.marks {
        escape_controls(&mut mark.detail);
    }
    for line in &mut trace.output {
        escape_controls(&mut line.text);
    }
    for check in &mut trace.checks {
        escape_controls(&mut check.id);
        escape_controls(&mut check.description);
        escape_controls(&mut check.detail);
    }
    for metric in &mut trace.metrics.extra {
        escape_controls(&mut metric.key);
        escape_controls(&mut metric.unit);
    }
    for text in [&mut trace.host, &mut trace.recorded_at]
        .into_iter()
        .flatten()
    {
        escape_controls(text);
    }
    if let Status::Failed { reason } | Status::Skipped { reason } = &mut trace.status {
        escape_controls(reason);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn control_characters_become_visible_escapes() {
        let check = |input: &str, expected: &str| {
            let mut s = input.to_string();
            escape_controls(&mut s);
            assert_eq!(s, expected);
        };
        check("task-1", "task-1");
        check("任务 1", "任务 1");
        check("\x1b[2Jgone", "\\u{1b}[2Jgone");
        check("a\nb\tc", "a\\u{a}b\\u{9}c");
        check("abc\u{202e}cba", "abc\\u{202e}cba");
    }
}
