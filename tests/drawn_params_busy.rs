//! Verdicts that hold on a busy machine: the drawn-parameters property test again, beside CPU
//! hogs that come and go (two threads at normal priority computing in bursts of 20–400 ms
//! with pauses of as long between, as a browser and an editor beside conlab would). Every
//! drawn run passes, or says of each check it cannot judge why; none fails.
//!
//! Its own test binary, so the hogs load only these runs.

use conlab_tests::hog::CpuHogs;

#[test]
fn drawn_parameters_beside_cpu_hogs_pass_or_are_not_judged_never_fail() {
    let seed = conlab_tests::drawn::seed();
    let _hogs = CpuHogs::start(2, seed);
    // Three draws per scenario and runtime: under a minute here, well within CI's budget.
    conlab_tests::drawn::check_drawn_parameters("beside CPU hogs", seed ^ 0x5EED, 3);
}
