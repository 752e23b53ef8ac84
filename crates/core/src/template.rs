//! Sentences with holes: `measured {}, expected {}` matches `measured 200 ms, expected 200 ms`
//! and hands back what filled the holes, so a front end can say the same in another language
//! (`测得 {}，预期 {}`) without every check building its sentence once per language.

/// What fills the `{}` holes of `pattern` in `text`, if `text` has that shape. Holes match as
/// little as they can (the literal text after a hole is its first occurrence), and may be
/// empty.
pub fn holes<'a>(pattern: &str, text: &'a str) -> Option<Vec<&'a str>> {
    let mut pieces = pattern.split("{}");
    let first = pieces.next().unwrap_or("");
    let mut rest = text.strip_prefix(first)?;
    let pieces: Vec<&str> = pieces.collect();
    let mut filled = Vec::with_capacity(pieces.len());
    for (i, piece) in pieces.iter().enumerate() {
        let last = i + 1 == pieces.len();
        if last {
            // The final hole takes everything up to the pattern's ending.
            let hole = rest.strip_suffix(piece)?;
            filled.push(hole);
            rest = "";
        } else if piece.is_empty() {
            // Two holes side by side cannot be told apart: the first stays empty.
            filled.push("");
        } else {
            let at = rest.find(piece)?;
            filled.push(&rest[..at]);
            rest = &rest[at + piece.len()..];
        }
    }
    if pieces.is_empty() && !rest.is_empty() {
        return None;
    }
    Some(filled)
}

/// `template` with its `{}` holes filled by `parts`, in order (missing parts leave the hole
/// empty).
pub fn fill(template: &str, parts: &[&str]) -> String {
    let mut out =
        String::with_capacity(template.len() + parts.iter().map(|p| p.len()).sum::<usize>());
    let mut parts = parts.iter();
    let mut pieces = template.split("{}");
    out.push_str(pieces.next().unwrap_or(""));
    for piece in pieces {
        out.push_str(parts.next().copied().unwrap_or(""));
        out.push_str(piece);
    }
    out
}

/// How much of `pattern` is literal text: of two patterns that match, the one that says more.
pub fn literal_len(pattern: &str) -> usize {
    pattern.len() - 2 * pattern.matches("{}").count()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn holes_take_what_lies_between_the_literal_parts() {
        let p = "measured {}, expected {} (allowed {}..{})";
        let t = "measured 202 ms, expected 200 ms (allowed 198 ms..310 ms)";
        assert_eq!(
            holes(p, t),
            Some(vec!["202 ms", "200 ms", "198 ms", "310 ms"])
        );
        assert_eq!(
            fill("测得 {}，预期 {}（允许 {}..{}）", &holes(p, t).unwrap()),
            "测得 202 ms，预期 200 ms（允许 198 ms..310 ms）"
        );
    }

    #[test]
    fn other_shapes_do_not_match() {
        assert_eq!(holes("measured {}, at least {}", "measured 5 ms"), None);
        assert_eq!(holes("status: ok", "status: failed"), None);
        assert_eq!(holes("status: ok", "status: ok"), Some(vec![]));
        assert_eq!(holes("{} lines", "3 lines"), Some(vec!["3"]));
        assert_eq!(holes("{} lines", "3 lines!"), None);
        assert_eq!(holes("early: {}", "early: "), Some(vec![""]));
    }

    #[test]
    fn the_more_literal_pattern_says_more() {
        assert!(literal_len("output {}, expected {}") > literal_len("output {}"));
    }
}
