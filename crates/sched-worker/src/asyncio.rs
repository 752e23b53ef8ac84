//! The async Worker's runs: an async scenario on the virtual-time executor, for the page's
//! step-through.

use conlab_core::Params;
use conlab_scenarios::Scenario;
use conlab_wire::SchedMessage;

/// The time limit of an async scenario's run on the virtual-time executor (its clock only
/// jumps: this bounds a run that would wait for ever).
const VIRTUAL_LIMIT: std::time::Duration = std::time::Duration::from_secs(3600);

/// Runs `row` on the virtual-time executor and says its trace; it takes no schedule.
pub(crate) fn ran(
    row: &'static Scenario,
    params: &Params,
    schedule: Option<&str>,
    say: &mut dyn FnMut(SchedMessage),
) -> Result<(), String> {
    if schedule.is_some() {
        return Err(format!(
            "`{}` takes no schedule: it runs on the virtual-time executor",
            row.id
        ));
    }
    let trace = row
        .run_virtual(params, VIRTUAL_LIMIT)
        .ok_or_else(|| format!("`{}` does not run in the page", row.id))?;
    say(SchedMessage::Ran(trace.to_json(), String::new()));
    Ok(())
}
