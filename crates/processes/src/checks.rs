//! The check every process scenario ends with.

use conlab_core::Checks;

/// Every child process's lane ended, with an `exit` mark, by the end of the trace: no child
/// outlived its run.
pub fn no_process_outlives(c: &mut Checks) {
    c.no_process_outlives();
}
