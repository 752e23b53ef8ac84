//! Both languages everywhere: every scenario and parameter of the catalog has its Chinese
//! text, language tags are read leniently, and the embed snippets carry the language.
#![cfg(target_arch = "wasm32")]

use conlab_core::catalog::CATALOG;
use conlab_web::{snippets, Lang};
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

/// The Chinese texts the page fetches, loaded as it loads them.
fn chinese() {
    conlab_web::load_chinese(include_str!("../i18n/zh-CN.json")).expect("zh-CN.json reads");
}

#[wasm_bindgen_test]
fn every_scenario_and_parameter_is_translated() {
    chinese();
    #[cfg(feature = "served")]
    let keys = Lang::UI_KEYS.iter().chain(Lang::SERVED_UI_KEYS);
    #[cfg(not(feature = "served"))]
    let keys = Lang::UI_KEYS.iter();
    let untranslated: Vec<&&str> = keys.filter(|k| !Lang::has_chinese_ui(k)).collect();
    assert!(
        untranslated.is_empty(),
        "no \"ui <name>\" in web/i18n/zh-CN.json for {untranslated:?}"
    );
    assert_eq!(Lang::ZhCn.run(), "运行");
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
    assert!(iframe.contains("src=\"https://example.org/conlab/embed.html?scenario=semaphore&lang=zh-CN&permits=3&hold_ms=50&fixed=1\""), "{iframe}");
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
            text.contains("tasks") && text.contains('0') && text.contains("1–100,000"),
            "{lang:?}: {text}"
        );
    }
    assert!(Lang::ZhCn.param_error(&err).contains("参数"));
    // Chinese all through: the reason, the range and its unit.
    let zh = Lang::ZhCn.param_error(&err);
    assert!(
        zh.contains("超出范围") && zh.contains("1–100,000 个任务"),
        "{zh}"
    );
    assert!(!Lang::En.param_error(&err).contains('`'));
    let blocking = conlab_core::catalog::find("blocking-in-async").unwrap();
    let long = conlab_core::Params::from_assignments(
        blocking.id,
        blocking.params,
        ["calls=64", "block_ms=60000"],
    )
    .unwrap();
    let err = long.check_page_blocking(blocking.params).unwrap_err();
    let zh = Lang::ZhCn.param_error(&err);
    assert!(
        zh.contains("156 毫秒") && zh.contains("calls = 64") && zh.contains("10 秒"),
        "{zh}"
    );
    let word =
        conlab_core::Params::from_assignments(info.id, info.params, ["tasks=many"]).unwrap_err();
    assert!(
        Lang::ZhCn.param_error(&word).contains("不是整数"),
        "{}",
        Lang::ZhCn.param_error(&word)
    );
    let spec = info.params.iter().find(|p| p.name == "tasks").unwrap();
    assert_eq!(Lang::ZhCn.range_text(spec), "1–100,000 个任务");
    let broken = conlab_core::Trace::from_json("{").unwrap_err();
    let zh = Lang::ZhCn.trace_error("a.json", &broken);
    assert!(
        zh.contains("a.json") && zh.contains("文件意外结束") && zh.contains("第 1 行"),
        "{zh}"
    );
    // A trace missing a field: named in quotation marks in English, in words in Chinese.
    let missing =
        conlab_core::Trace::from_json(&format!("{{\"schema\": \"{}\"}}", conlab_core::SCHEMA))
            .unwrap_err();
    let (en, zh) = (
        Lang::En.trace_error("b.json", &missing),
        Lang::ZhCn.trace_error("b.json", &missing),
    );
    assert!(!en.contains('`') && en.contains('\u{201c}'), "{en}");
    assert!(zh.contains("缺少字段“") && !zh.contains("missing"), "{zh}");
    for e in [
        conlab_web::FetchError::Status(404),
        conlab_web::FetchError::Unreachable,
    ] {
        let zh = Lang::ZhCn.fetch_error("t.json", e);
        assert!(zh.contains("t.json") && !zh.contains("fetch"), "{zh}");
    }
}

/// The native runs shipped with the site, whose checks the page shows too.
const RECORDED: &[(&str, &str)] = &[
    (
        "as-completed",
        include_str!("../recorded/as-completed.json"),
    ),
    (
        "async-context-manager",
        include_str!("../recorded/async-context-manager.json"),
    ),
    (
        "async-iterator",
        include_str!("../recorded/async-iterator.json"),
    ),
    (
        "asyncio-two-tasks",
        include_str!("../recorded/asyncio-two-tasks.json"),
    ),
    (
        "await-sequential",
        include_str!("../recorded/await-sequential.json"),
    ),
    (
        "blocking-in-async",
        include_str!("../recorded/blocking-in-async.json"),
    ),
    ("cancel-all", include_str!("../recorded/cancel-all.json")),
    (
        "condition-notify",
        include_str!("../recorded/condition-notify.json"),
    ),
    (
        "condition-wait-for",
        include_str!("../recorded/condition-wait-for.json"),
    ),
    (
        "coroutine-cpu",
        include_str!("../recorded/coroutine-cpu.json"),
    ),
    (
        "coroutine-lifecycle",
        include_str!("../recorded/coroutine-lifecycle.json"),
    ),
    (
        "coroutine-switch",
        include_str!("../recorded/coroutine-switch.json"),
    ),
    (
        "cpu-bound-gil",
        include_str!("../recorded/cpu-bound-gil.json"),
    ),
    ("create-task", include_str!("../recorded/create-task.json")),
    (
        "done-callback",
        include_str!("../recorded/done-callback.json"),
    ),
    ("event", include_str!("../recorded/event.json")),
    (
        "future-set-result",
        include_str!("../recorded/future-set-result.json"),
    ),
    (
        "gather-vs-wait",
        include_str!("../recorded/gather-vs-wait.json"),
    ),
    (
        "generator-delegation",
        include_str!("../recorded/generator-delegation.json"),
    ),
    (
        "io-bound-threads",
        include_str!("../recorded/io-bound-threads.json"),
    ),
    ("io-switch", include_str!("../recorded/io-switch.json")),
    ("job-queue", include_str!("../recorded/job-queue.json")),
    ("lock", include_str!("../recorded/lock.json")),
    (
        "loop-in-thread",
        include_str!("../recorded/loop-in-thread.json"),
    ),
    (
        "mysql-multi-server",
        include_str!("../recorded/mysql-multi-server.json"),
    ),
    ("mysql-pool", include_str!("../recorded/mysql-pool.json")),
    ("mysql-query", include_str!("../recorded/mysql-query.json")),
    (
        "producer-consumer",
        include_str!("../recorded/producer-consumer.json"),
    ),
    (
        "race-condition",
        include_str!("../recorded/race-condition.json"),
    ),
    ("redis-hash", include_str!("../recorded/redis-hash.json")),
    (
        "redis-multi-server",
        include_str!("../recorded/redis-multi-server.json"),
    ),
    ("redis-pool", include_str!("../recorded/redis-pool.json")),
    ("rlock", include_str!("../recorded/rlock.json")),
    (
        "run-in-executor",
        include_str!("../recorded/run-in-executor.json"),
    ),
    ("semaphore", include_str!("../recorded/semaphore.json")),
    (
        "sync-vs-async-requests",
        include_str!("../recorded/sync-vs-async-requests.json"),
    ),
    (
        "thread-daemon",
        include_str!("../recorded/thread-daemon.json"),
    ),
    (
        "thread-join-timeout",
        include_str!("../recorded/thread-join-timeout.json"),
    ),
    (
        "thread-local",
        include_str!("../recorded/thread-local.json"),
    ),
    (
        "thread-main-waits",
        include_str!("../recorded/thread-main-waits.json"),
    ),
    (
        "thread-names",
        include_str!("../recorded/thread-names.json"),
    ),
    ("thread-pool", include_str!("../recorded/thread-pool.json")),
    (
        "thread-start",
        include_str!("../recorded/thread-start.json"),
    ),
    (
        "wait-timeout",
        include_str!("../recorded/wait-timeout.json"),
    ),
    ("web-api", include_str!("../recorded/web-api.json")),
];

#[wasm_bindgen_test]
fn every_check_of_every_scenario_has_its_chinese_description() {
    chinese();
    let mut descriptions: Vec<String> = Vec::new();
    for info in CATALOG {
        let scenario = conlab_scenarios::find(info.id);
        let params = conlab_core::Params::defaults(info.params);
        let limit = std::time::Duration::from_secs(600);
        if let Some(t) = scenario.and_then(|s| s.run_virtual(&params, limit)) {
            descriptions.extend(t.checks.into_iter().map(|c| c.description));
        }
    }
    for (id, json) in RECORDED {
        let t = conlab_web::load_trace_text(id, json).unwrap();
        assert!(!t.checks.is_empty(), "{id}");
        descriptions.extend(t.checks.into_iter().map(|c| c.description));
    }
    let missing: Vec<&String> = descriptions
        .iter()
        .filter(|d| !Lang::has_chinese_check(d))
        .collect();
    assert!(missing.is_empty(), "no Chinese for {missing:?}");
    assert_eq!(
        Lang::ZhCn.check_description("the run completed"),
        "运行已完成"
    );
    assert_eq!(
        Lang::ZhCn.check_description("not a listed check"),
        "not a listed check"
    );
}

/// A list of phases in a check's detail reads in Chinese, each phase by its Chinese name; the
/// end of a span reads as words, not as a state followed by "ends".
#[wasm_bindgen_test]
fn phase_lists_and_span_ends_read_as_chinese() {
    chinese();
    let zh = Lang::ZhCn.check_detail(
        "40 of 40 files verified; sequential: 10 in 3,018 ms; threads: 10 in 332 ms; async: 10 in 306 ms; executor: 10 in 305 ms",
    );
    assert!(
        zh.contains("顺序执行：10 个，用时 3,018 ms") && zh.contains("执行器：10 个"),
        "{zh}"
    );
    assert!(!zh.contains("sequential") && !zh.contains(" in "), "{zh}");
    assert_eq!(Lang::ZhCn.span_ends("等待另一方结束"), "不再等待另一方结束");
}
