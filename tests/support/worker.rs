//! The worker executable of the workspace tests: the test harness cannot be a worker itself,
//! so process scenarios run in tests start this instead (`support::use_test_worker`). It is
//! the registry's worker entry, as in `conlab`, plus the child code of the fault tests; and the
//! keeper of the tests' private servers.

fn main() {
    conlab_scenarios::worker::run_worker_with(conlab_tests::faults::child_for);
    conlab_servers::keeper::run_if_asked();
    eprintln!("conlab-test-worker is started by the tests' process scenarios, not by hand");
    std::process::exit(2);
}
