//! The Python side of conlab, built into the binary.

include!(concat!(env!("OUT_DIR"), "/python_files.rs"));

/// The path in `python/` of the program of lesson `scenario`, if it has one
/// (`asyncio/two_tasks.py`).
pub fn program(scenario: &str) -> Option<&'static str> {
    PROGRAMS
        .iter()
        .find(|(id, _)| *id == scenario)
        .map(|(_, path)| *path)
}

/// Every lesson with a Python program, in the tracer's catalog order.
pub fn programs() -> impl Iterator<Item = &'static str> {
    PROGRAMS.iter().map(|(id, _)| *id)
}

/// The text of a file of `python/` (`asyncio/two_tasks.py`, `conlab_trace/tasks.py`).
pub fn source(path: &str) -> Option<&'static str> {
    FILES
        .iter()
        .find(|(p, _)| *p == path)
        .map(|(_, text)| *text)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_program_and_the_whole_tracer_are_built_in() {
        assert!(PROGRAMS.len() >= 17, "{} programs", PROGRAMS.len());
        for (id, path) in PROGRAMS {
            assert!(source(path).is_some_and(|s| !s.is_empty()), "{id}: {path}");
        }
        for module in [
            "__init__",
            "__main__",
            "tracer",
            "tasks",
            "threads",
            "processes",
        ] {
            assert!(
                source(&format!("conlab_trace/{module}.py")).is_some(),
                "{module}"
            );
        }
        assert_eq!(program("asyncio-two-tasks"), Some("asyncio/two_tasks.py"));
        assert_eq!(program("no-such-lesson"), None);
        assert!(FILES.iter().all(|(p, _)| !p.starts_with("tests/")));
    }
}
