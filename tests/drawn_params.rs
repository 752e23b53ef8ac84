//! The catalog's promise, kept true by a property test: every runnable scenario, on every
//! runtime outside the browser that it supports, with random valid parameters drawn from its
//! catalog entry, passes every check (or says why it cannot judge it) — or is refused up front
//! with a message. See `support/drawn.rs` for the environment it reads.
//!
//! CI runs one draw per scenario and runtime with small values; `just fuzz` runs many more
//! with larger ones. `drawn_params_busy.rs` draws again beside CPU hogs.

#[test]
fn drawn_parameters_pass_every_check_or_are_refused_up_front() {
    conlab_tests::drawn::check_drawn_parameters("idle", conlab_tests::drawn::seed(), 1);
}
