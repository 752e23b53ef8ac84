//! The registry and the catalog agree, and every runnable scenario has what it needs beyond
//! its code: a test fails naming any scenario that lacks its row's pieces, its Chinese text
//! or (for native-only scenarios) a recorded run for the playground.

use conlab_core::catalog::CATALOG;
use conlab_scenarios::registry;
use std::path::Path;

fn root() -> &'static Path {
    Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/.."))
}

#[test]
fn every_row_is_a_catalog_scenario_in_catalog_order() {
    let catalog_order: Vec<&str> = CATALOG.iter().map(|s| s.id).collect();
    let mut last = None;
    for row in registry::all() {
        let at = catalog_order
            .iter()
            .position(|id| *id == row.id)
            .unwrap_or_else(|| panic!("registry row {} is not in the catalog", row.id));
        assert!(
            last.is_none_or(|l| l < at),
            "{} is out of catalog order in the registry",
            row.id
        );
        last = Some(at);
    }
}

#[test]
fn every_row_runs_where_the_catalog_says() {
    for row in registry::all() {
        let info = row.info();
        let generic = row.generic.is_some();
        assert_eq!(
            generic,
            info.platforms.browser || (info.platforms.virtual_time && row.scheduled.is_none()),
            "{}: async code for every runtime exactly when the catalog lists browser, or \
             virtual for code that is not on the thread seam",
            row.id
        );
        assert!(
            row.scheduled.is_none() || (!generic && info.platforms.virtual_time),
            "{}: code on the thread seam runs on the scheduler (platform V)",
            row.id
        );
        assert!(info.platforms.native, "{}: every row runs natively", row.id);
    }
}

#[test]
fn planned_scenarios_are_the_catalog_entries_without_a_row() {
    for info in CATALOG {
        assert_eq!(
            registry::is_planned(info.id),
            registry::find(info.id).is_none(),
            "{}",
            info.id
        );
    }
    assert!(registry::all().len() >= 46, "rows went missing");
}

#[test]
fn every_runnable_scenario_has_its_chinese_catalog_text() {
    let file = root().join("web/i18n/zh-CN.json");
    let table: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&file).unwrap()).unwrap();
    for row in registry::all() {
        let has = |key: String| table[key.as_str()].is_string();
        assert!(
            has(format!("title {}", row.id)) && has(format!("explanation {}", row.id)),
            "{} has no Chinese title and explanation in {}",
            row.id,
            file.display()
        );
        for p in row.info().params {
            assert!(
                has(format!("param {} {}", row.id, p.name)),
                "{}'s parameter {} has no Chinese help in {}",
                row.id,
                p.name,
                file.display()
            );
        }
    }
}

#[test]
fn every_native_only_scenario_has_a_recorded_run_for_the_playground() {
    for row in registry::all()
        .iter()
        .filter(|r| !r.info().platforms.browser)
    {
        let path = root().join("web/recorded").join(format!("{}.json", row.id));
        let text = std::fs::read_to_string(&path).unwrap_or_else(|_| {
            panic!(
                "{} has no recorded run at {} (just record-native)",
                row.id,
                path.display()
            )
        });
        let trace = conlab_core::Trace::from_json(&text)
            .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        assert_eq!(trace.scenario, row.id, "{}", path.display());
        let recheck = conlab_scenarios::recheck(&trace).unwrap();
        assert!(
            recheck.differences.is_empty(),
            "the recorded run of {} no longer passes the same checks: {:?} (just record-native)",
            row.id,
            recheck.differences
        );
        let described = |checks: &[conlab_core::CheckResult]| -> Vec<String> {
            checks.iter().map(|c| c.description.clone()).collect()
        };
        assert_eq!(
            described(&trace.checks),
            described(&recheck.checks),
            "the recorded run of {} describes its checks as an older version did (just record-native)",
            row.id
        );
    }
}

/// The page offers a comparison with the recorded native run of every scenario but those it
/// says it ships none of, and ships one of each of the others.
#[test]
fn the_page_ships_a_recorded_native_run_of_every_scenario_it_offers_to_compare() {
    for info in conlab_core::catalog::CATALOG {
        let path = root()
            .join("web/recorded")
            .join(format!("{}.json", info.id));
        let planned = registry::find(info.id).is_none();
        assert_eq!(
            path.exists(),
            conlab_core::catalog::recorded(info.id) && !planned,
            "{}: web/recorded has {}a run, the page thinks it has {}",
            info.id,
            if path.exists() { "" } else { "no " },
            if conlab_core::catalog::recorded(info.id) {
                "one"
            } else {
                "none"
            }
        );
    }
}
