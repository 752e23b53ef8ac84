//! Text from a trace file is untrusted: control characters in it (an escape sequence that
//! clears the screen or retitles the window) are shown as escapes, never sent to the terminal.

use conlab_core::{Status, Trace};

/// `text` with every control character written as `\u{…}`; unchanged (not copied) when it
/// has none.
pub fn escape_controls(text: &mut String) {
    if text.chars().any(char::is_control) {
        *text = text
            .chars()
            .map(|c| {
                if c.is_control() {
                    c.escape_unicode().to_string()
                } else {
                    c.to_string()
                }
            })
            .collect();
    }
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
        escape_controls(&mut check.description);
        escape_controls(&mut check.detail);
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
    }
}
