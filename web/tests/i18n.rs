//! Both languages everywhere: every scenario and parameter of the catalog has its Chinese
//! text, language tags are read leniently, and the embed snippets carry the language.
#![cfg(target_arch = "wasm32")]

use conlab_core::catalog::CATALOG;
use conlab_web::{snippets, Lang};
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

#[wasm_bindgen_test]
fn every_scenario_and_parameter_is_translated() {
    let missing: Vec<&str> = CATALOG
        .iter()
        .filter(|s| !Lang::has_chinese(s))
        .map(|s| s.id)
        .collect();
    assert!(missing.is_empty(), "no Chinese text for {missing:?}");
    for s in CATALOG {
        assert_ne!(Lang::ZhCn.title(s), s.title, "{}", s.id);
        assert_ne!(Lang::ZhCn.explanation(s), s.explanation, "{}", s.id);
        for p in s.params {
            let zh = Lang::ZhCn.param_help(s, p.name).unwrap();
            assert_ne!(zh, p.help, "{}.{}", s.id, p.name);
        }
    }
}

#[wasm_bindgen_test]
fn language_tags_are_read() {
    for (tag, lang) in [
        ("en", Some(Lang::En)),
        ("en-GB", Some(Lang::En)),
        ("zh", Some(Lang::ZhCn)),
        ("zh-CN", Some(Lang::ZhCn)),
        ("ZH-hans", Some(Lang::ZhCn)),
        ("fr", None),
        ("", None),
    ] {
        assert_eq!(Lang::parse(tag), lang, "{tag:?}");
    }
}

#[wasm_bindgen_test]
fn embed_snippets_carry_scenario_parameters_and_language() {
    let params = vec![
        ("permits".to_string(), "3".to_string()),
        ("hold_ms".to_string(), "50".to_string()),
    ];
    let (iframe, script) = snippets(
        "https://example.org/conlab/",
        "semaphore",
        &params,
        Lang::ZhCn,
    );
    assert!(iframe.contains("src=\"https://example.org/conlab/embed.html?scenario=semaphore&lang=zh-CN&permits=3&hold_ms=50\""), "{iframe}");
    assert!(
        script.contains("<script src=\"https://example.org/conlab/conlab-embed.js\""),
        "{script}"
    );
    assert!(script.contains("data-conlab-scenario=\"semaphore\" data-permits=\"3\" data-hold-ms=\"50\" data-lang=\"zh-CN\""), "{script}");
}

#[wasm_bindgen_test]
fn errors_name_the_parameter_value_and_range_in_both_languages() {
    let info = conlab_core::catalog::find("create-task").unwrap();
    let err = conlab_core::Params::from_assignments(info.id, info.params, ["tasks=0"]).unwrap_err();
    for lang in Lang::ALL {
        let text = lang.param_error(&err);
        assert!(
            text.contains("tasks") && text.contains('0') && text.contains("1..=100000"),
            "{lang:?}: {text}"
        );
    }
    assert!(Lang::ZhCn.param_error(&err).contains("参数"));
    let broken = conlab_core::Trace::from_json("{").unwrap_err();
    assert!(Lang::ZhCn.trace_error("a.json", &broken).contains("a.json"));
}
