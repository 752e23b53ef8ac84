//! Typed scenario parameters: their specifications (default, range, unit, help), parsing from
//! `name=value` pairs and URL query strings, and the global `time-scale`.

use std::collections::BTreeMap;
use std::fmt;
use std::time::Duration;

/// The name of the global parameter that multiplies every duration.
pub const TIME_SCALE: &str = "time-scale";
/// Allowed range of `time-scale`.
pub const TIME_SCALE_RANGE: (f64, f64) = (0.01, 100.0);
/// The longest list a list parameter accepts.
pub const MAX_LIST_LEN: usize = 64;
/// Inputs longer than this are refused before any parsing.
const MAX_INPUT_LEN: usize = 4096;

/// What a parameter holds, with its default and allowed range.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum ParamKind {
    /// A whole number, `min..=max`, counted in `unit` ("tasks", "KB", ...).
    Count {
        /// Value used when the parameter is not given.
        default: i64,
        /// Smallest allowed value.
        min: i64,
        /// Largest allowed value.
        max: i64,
        /// What is counted.
        unit: &'static str,
    },
    /// A duration in milliseconds, multiplied by `time-scale` when used.
    Millis {
        /// Value used when the parameter is not given.
        default: u64,
        /// Smallest allowed value.
        min: u64,
        /// Largest allowed value.
        max: u64,
    },
    /// A comma-separated list of whole numbers, `1..=max_len` items, each `min..=max`.
    /// When `millis` is set the items are durations scaled by `time-scale`.
    List {
        /// Value used when the parameter is not given.
        default: &'static [i64],
        /// Smallest allowed item.
        min: i64,
        /// Largest allowed item.
        max: i64,
        /// Most items allowed.
        max_len: usize,
        /// Whether the items are milliseconds.
        millis: bool,
    },
    /// One of a fixed set of words.
    Choice {
        /// Value used when the parameter is not given.
        default: &'static str,
        /// The allowed words.
        options: &'static [&'static str],
    },
    /// `true` or `false` (also `on`/`off`, `yes`/`no`, `1`/`0`).
    Flag {
        /// Value used when the parameter is not given.
        default: bool,
    },
    /// An `http://` URL, or empty for conlab's own local test server (the default).
    Url,
}

/// One parameter of a scenario, as the catalog declares it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ParamSpec {
    /// The name used on the command line and in URLs (`sleep_ms`).
    pub name: &'static str,
    /// Type, default and range.
    pub kind: ParamKind,
    /// One line of help.
    pub help: &'static str,
    /// A bound set by another parameter's value, if any.
    pub bound: Option<ParamBound>,
}

/// A parameter whose range depends on another one's value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ParamBound {
    /// At most the number of items of this list parameter (a 1-based index into it).
    ItemsOf(&'static str),
    /// Below this count parameter's value (0 stays allowed: it means "never").
    ZeroOrBelow(&'static str),
    /// In the browser only: this duration times that count blocks the page, and together they
    /// may block it for at most [`PAGE_BLOCKING_LIMIT`] (natively there is no such bound).
    PageBlockingTimes(&'static str),
}

/// How long one run in the browser may block the page in total (its blocking calls freeze
/// the tab, Stop included, while they last).
pub const PAGE_BLOCKING_LIMIT: Duration = Duration::from_secs(10);

impl ParamSpec {
    /// This spec, its range further bounded by another parameter's value.
    pub const fn bounded_by(mut self, bound: ParamBound) -> ParamSpec {
        self.bound = Some(bound);
        self
    }

    /// The default value.
    pub fn default_value(&self) -> ParamValue {
        match self.kind {
            ParamKind::Count { default, .. } => ParamValue::Int(default),
            ParamKind::Millis { default, .. } => ParamValue::Int(default as i64),
            ParamKind::List { default, .. } => ParamValue::List(default.to_vec()),
            ParamKind::Choice { default, .. } => ParamValue::Word(default.to_string()),
            ParamKind::Flag { default } => ParamValue::Flag(default),
            ParamKind::Url => ParamValue::Word(String::new()),
        }
    }

    /// What the browser adds to [`ParamSpec::range_text`], if anything.
    pub fn page_note(&self) -> Option<String> {
        match self.bound {
            Some(ParamBound::PageBlockingTimes(times)) => Some(format!(
                "in the browser, {times} × {} ≤ {} s",
                self.name,
                PAGE_BLOCKING_LIMIT.as_secs()
            )),
            _ => None,
        }
    }

    /// Its kind as the catalog's JSON names it: `count`, `millis`, `list`, `millis-list`,
    /// `choice`, `flag` or `url`.
    pub fn kind_name(&self) -> &'static str {
        match self.kind {
            ParamKind::Count { .. } => "count",
            ParamKind::Millis { .. } => "millis",
            ParamKind::List { millis: true, .. } => "millis-list",
            ParamKind::List { .. } => "list",
            ParamKind::Choice { .. } => "choice",
            ParamKind::Flag { .. } => "flag",
            ParamKind::Url => "url",
        }
    }

    /// The allowed values in words, e.g. `1–100,000 tasks` or `one of all, first_completed`.
    pub fn range_text(&self) -> String {
        match self.kind {
            ParamKind::Count { min, max, unit, .. } => {
                format!("{}–{} {unit}", grouped(min), grouped(max))
            }
            ParamKind::Millis { min, max, .. } => {
                format!("{}–{} ms", crate::thousands(min), crate::thousands(max))
            }
            ParamKind::List {
                min,
                max,
                max_len,
                millis,
                ..
            } => {
                let unit = if millis { " ms" } else { "" };
                format!(
                    "1 to {max_len} comma-separated values, each {}–{}{unit}",
                    grouped(min),
                    grouped(max)
                )
            }
            ParamKind::Choice { options, .. } => format!("one of {}", options.join(", ")),
            ParamKind::Flag { .. } => "true or false".to_string(),
            ParamKind::Url => "empty (conlab's own local test server) or an http:// URL such as \
                 http://127.0.0.1:8080/upload"
                .to_string(),
        }
    }

    /// Parses and range-checks one value given as text. Full-width digits and commas (what a
    /// Chinese input method types) are read as their ASCII forms.
    pub fn parse(&self, text: &str) -> Result<ParamValue, ParamError> {
        let bad = |reason: BadReason| ParamError::BadValue {
            name: self.name.to_string(),
            value: shorten(text),
            reason,
            allowed: self.range_text(),
        };
        let normalized = half_width(text);
        let text = normalized.trim();
        let number = |text: &str, min: i64, max: i64| match parse_int(text) {
            IntText::Int(v) if (min..=max).contains(&v) => Ok(v),
            IntText::Int(_) | IntText::TooLarge => Err(BadReason::OutOfRange),
            IntText::NotANumber => Err(BadReason::NotAWholeNumber),
        };
        match self.kind {
            ParamKind::Count { min, max, .. } => {
                number(text, min, max).map(ParamValue::Int).map_err(bad)
            }
            ParamKind::Millis { min, max, .. } => number(text, min as i64, max as i64)
                .map(ParamValue::Int)
                .map_err(bad),
            ParamKind::List {
                min, max, max_len, ..
            } => {
                let text = text.trim_matches(|c| c == '[' || c == ']');
                let items: Vec<&str> = text.split(',').map(str::trim).collect();
                if text.is_empty() || items.len() > max_len {
                    return Err(bad(BadReason::ItemCount {
                        given: if text.is_empty() { 0 } else { items.len() },
                    }));
                }
                let mut out = Vec::with_capacity(items.len());
                for (i, item) in items.iter().enumerate() {
                    let v = number(item, min, max).map_err(|why| {
                        bad(BadReason::Item {
                            position: i + 1,
                            item: shorten(item),
                            why: Box::new(why),
                        })
                    })?;
                    out.push(v);
                }
                Ok(ParamValue::List(out))
            }
            ParamKind::Choice { options, .. } => options
                .iter()
                .find(|o| o.eq_ignore_ascii_case(text))
                .map(|o| ParamValue::Word(o.to_string()))
                .ok_or_else(|| bad(BadReason::NotAChoice)),
            ParamKind::Flag { .. } => match text.to_ascii_lowercase().as_str() {
                "true" | "on" | "yes" | "1" => Ok(ParamValue::Flag(true)),
                "false" | "off" | "no" | "0" => Ok(ParamValue::Flag(false)),
                _ => Err(bad(BadReason::NotAFlag)),
            },
            ParamKind::Url => match check_url(text) {
                Ok(()) => Ok(ParamValue::Word(text.to_string())),
                Err(why) => Err(bad(BadReason::NotAUrl(why))),
            },
        }
    }
}

/// Whether `text` is empty or an `http://` URL conlab can use. The page runs no scenario with
/// a URL (they are native-only) and shows their recorded values: it keeps only the size of the
/// checks here, not the parser.
fn check_url(text: &str) -> Result<(), String> {
    #[cfg(not(target_arch = "wasm32"))]
    if !text.is_empty() {
        crate::url::HttpUrl::parse(text)?;
    }
    let _ = text;
    Ok(())
}

/// Full-width digits, signs, dot and comma (as typed with a Chinese input method) as ASCII.
fn half_width(text: &str) -> String {
    text.chars()
        .map(|c| match c {
            '０'..='９' | '－' | '＋' | '．' | '＿' => {
                char::from_u32(c as u32 - 0xFF00 + 0x20).unwrap_or(c)
            }
            '，' | '、' => ',',
            '\u{3000}' => ' ',
            c => c,
        })
        .collect()
}

/// A whole number as text: what it is.
enum IntText {
    Int(i64),
    /// Digits, but beyond any range a parameter has.
    TooLarge,
    NotANumber,
}

fn parse_int(text: &str) -> IntText {
    let cleaned: String = text.chars().filter(|c| *c != '_').collect();
    let digits = cleaned.strip_prefix(['-', '+']).unwrap_or(&cleaned);
    match cleaned.parse::<i64>() {
        Ok(v) => IntText::Int(v),
        Err(_) if !digits.is_empty() && digits.chars().all(|c| c.is_ascii_digit()) => {
            IntText::TooLarge
        }
        Err(_) => IntText::NotANumber,
    }
}

/// Why a value was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BadReason {
    /// Not a whole number.
    NotAWholeNumber,
    /// A number, but outside the allowed range.
    OutOfRange,
    /// Not a number at all (a factor such as `time-scale`).
    NotANumber,
    /// A list with no items or too many.
    ItemCount {
        /// How many items were given.
        given: usize,
    },
    /// One item of a list is bad.
    Item {
        /// Its position, from 1.
        position: usize,
        /// The item as given.
        item: String,
        /// What is wrong with it.
        why: Box<BadReason>,
    },
    /// Not one of the choices.
    NotAChoice,
    /// Not true or false.
    NotAFlag,
    /// Not an `http://` URL (why, in words).
    NotAUrl(String),
    /// Longer than any value may be.
    TooLong,
    /// Beyond what another parameter's value allows.
    AboveOther {
        /// That parameter.
        other: String,
    },
    /// Together with another parameter, it would block the run's loop too long (browser only).
    BlocksPage {
        /// That parameter.
        other: String,
    },
}

impl fmt::Display for BadReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            BadReason::NotAWholeNumber => f.write_str("not a whole number"),
            BadReason::OutOfRange => f.write_str("out of range"),
            BadReason::NotANumber => f.write_str("not a number"),
            BadReason::ItemCount { given: 0 } => f.write_str("an empty list"),
            BadReason::ItemCount { given } => write!(f, "a list of {given} items, too many"),
            BadReason::Item {
                position,
                item,
                why,
            } => write!(f, "wrong at item {position} (\"{item}\", {why})"),
            BadReason::NotAChoice => f.write_str("not one of the choices"),
            BadReason::NotAFlag => f.write_str("not true or false"),
            BadReason::NotAUrl(why) => write!(f, "not a URL conlab can use: {why}"),
            BadReason::TooLong => f.write_str("too long"),
            BadReason::AboveOther { other } => write!(f, "too large for the given `{other}`"),
            BadReason::BlocksPage { other } => {
                write!(
                    f,
                    "too long with the given `{other}`: the run's event loop would stay blocked too long"
                )
            }
        }
    }
}

/// Keeps error messages readable when the offending input is huge.
fn shorten(text: &str) -> String {
    const MAX: usize = 40;
    if text.chars().count() <= MAX {
        text.to_string()
    } else {
        let head: String = text.chars().take(MAX).collect();
        format!("{head}…")
    }
}

/// A parsed parameter value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ParamValue {
    /// A count or a duration in milliseconds.
    Int(i64),
    /// A list of numbers.
    List(Vec<i64>),
    /// A choice.
    Word(String),
    /// A flag.
    Flag(bool),
}

impl fmt::Display for ParamValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ParamValue::Int(v) => write!(f, "{v}"),
            ParamValue::List(items) => {
                for (i, v) in items.iter().enumerate() {
                    if i > 0 {
                        f.write_str(",")?;
                    }
                    write!(f, "{v}")?;
                }
                Ok(())
            }
            ParamValue::Word(w) => f.write_str(w),
            ParamValue::Flag(b) => write!(f, "{b}"),
        }
    }
}

/// Why a parameter was refused. Every message names the parameter, the value and what is allowed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ParamError {
    /// The scenario has no parameter of that name.
    #[error("unknown parameter `{name}` for {scenario}; its parameters are: {known}")]
    Unknown {
        /// The scenario id.
        scenario: String,
        /// The name given.
        name: String,
        /// The names the scenario knows, comma-separated.
        known: String,
    },
    /// The input was not of the form `name=value`.
    #[error("`{input}` is not of the form name=value")]
    Malformed {
        /// The input given.
        input: String,
    },
    /// The value does not parse or is out of range.
    #[error("parameter `{name}`: value `{value}` is {reason}; allowed: {allowed}")]
    BadValue {
        /// The parameter.
        name: String,
        /// The value given.
        value: String,
        /// What is wrong with it.
        reason: BadReason,
        /// The allowed range in words.
        allowed: String,
    },
    /// The same parameter was given twice.
    #[error("parameter `{name}` is given twice")]
    Duplicate {
        /// The parameter.
        name: String,
    },
}

/// The complete, validated parameters of one run: every declared parameter has a value.
#[derive(Debug, Clone, PartialEq)]
pub struct Params {
    values: Vec<(&'static str, ParamValue)>,
    time_scale: f64,
}

impl Params {
    /// All defaults, time-scale 1.
    pub fn defaults(specs: &'static [ParamSpec]) -> Params {
        Params {
            values: specs.iter().map(|s| (s.name, s.default_value())).collect(),
            time_scale: 1.0,
        }
    }

    /// Parses `name=value` pairs (as given to `conlab run -p`), over the defaults.
    pub fn from_assignments<'a>(
        scenario: &str,
        specs: &'static [ParamSpec],
        assignments: impl IntoIterator<Item = &'a str>,
    ) -> Result<Params, ParamError> {
        let mut pairs = Vec::new();
        for a in assignments {
            let (name, value) = a
                .split_once('=')
                .ok_or_else(|| ParamError::Malformed { input: shorten(a) })?;
            pairs.push((name.trim().to_string(), value.to_string()));
        }
        Params::from_pairs(scenario, specs, pairs)
    }

    /// Parses a URL query string (`sleep_ms=200&time-scale=2`, with or without a leading `?`).
    /// Keys that are not parameters of the scenario and are listed in `ignore` (such as
    /// `scenario` or `lang`) are skipped.
    pub fn from_query(
        scenario: &str,
        specs: &'static [ParamSpec],
        query: &str,
        ignore: &[&str],
    ) -> Result<Params, ParamError> {
        let query = query.strip_prefix('?').unwrap_or(query);
        let mut pairs = Vec::new();
        for part in query.split('&').filter(|p| !p.is_empty()) {
            let (name, value) = part.split_once('=').unwrap_or((part, ""));
            let name = percent_decode(name);
            if ignore.contains(&name.as_str()) {
                continue;
            }
            pairs.push((name, percent_decode(value)));
        }
        Params::from_pairs(scenario, specs, pairs)
    }

    fn from_pairs(
        scenario: &str,
        specs: &'static [ParamSpec],
        pairs: Vec<(String, String)>,
    ) -> Result<Params, ParamError> {
        let mut params = Params::defaults(specs);
        let mut seen: Vec<String> = Vec::new();
        for (name, value) in pairs {
            if seen.contains(&name) {
                return Err(ParamError::Duplicate { name });
            }
            if value.len() > MAX_INPUT_LEN {
                return Err(ParamError::BadValue {
                    name,
                    value: shorten(&value),
                    reason: BadReason::TooLong,
                    allowed: format!("at most {MAX_INPUT_LEN} characters"),
                });
            }
            if name == TIME_SCALE {
                params.time_scale = parse_time_scale(&value)?;
            } else {
                let spec = specs.iter().find(|s| s.name == name).ok_or_else(|| {
                    let mut known: Vec<&str> = specs.iter().map(|s| s.name).collect();
                    known.push(TIME_SCALE);
                    ParamError::Unknown {
                        scenario: scenario.to_string(),
                        name: shorten(&name),
                        known: known.join(", "),
                    }
                })?;
                let parsed = spec.parse(&value)?;
                if let Some(slot) = params.values.iter_mut().find(|(n, _)| *n == spec.name) {
                    slot.1 = parsed;
                }
            }
            seen.push(name);
        }
        params.check_bounds(specs)?;
        Ok(params)
    }

    /// Checks every value whose range another value sets, naming both.
    fn check_bounds(&self, specs: &'static [ParamSpec]) -> Result<(), ParamError> {
        for spec in specs {
            let (Some(bound), Some(ParamValue::Int(v))) = (spec.bound, self.get(spec.name)) else {
                continue;
            };
            let (other, max, what) = match bound {
                ParamBound::ItemsOf(list) => {
                    let n = match self.get(list) {
                        Some(ParamValue::List(items)) => items.len() as i64,
                        _ => continue,
                    };
                    (
                        list,
                        n,
                        format!("at most the number of items of `{list}` ({n})"),
                    )
                }
                ParamBound::ZeroOrBelow(count) => {
                    let n = match self.get(count) {
                        Some(ParamValue::Int(n)) => *n,
                        _ => continue,
                    };
                    (count, n - 1, format!("0, or below `{count}` ({n})"))
                }
                ParamBound::PageBlockingTimes(_) => continue,
            };
            if *v > max && !(matches!(bound, ParamBound::ZeroOrBelow(_)) && *v == 0) {
                return Err(ParamError::BadValue {
                    name: spec.name.to_string(),
                    value: v.to_string(),
                    reason: BadReason::AboveOther {
                        other: other.to_string(),
                    },
                    allowed: what,
                });
            }
        }
        Ok(())
    }

    /// Checks the bounds that hold only in the browser: how long a run may block the page
    /// ([`PAGE_BLOCKING_LIMIT`] in total).
    pub fn check_page_blocking(&self, specs: &'static [ParamSpec]) -> Result<(), ParamError> {
        for spec in specs {
            let Some(ParamBound::PageBlockingTimes(times)) = spec.bound else {
                continue;
            };
            let n = self.usize(times).max(1) as u32;
            if self.duration(spec.name) * n <= PAGE_BLOCKING_LIMIT {
                continue;
            }
            let each = PAGE_BLOCKING_LIMIT / n;
            let max_ms = (each.as_secs_f64() * 1e3 / self.time_scale).floor() as i64;
            return Err(ParamError::BadValue {
                name: spec.name.to_string(),
                value: self.count(spec.name).to_string(),
                reason: BadReason::BlocksPage {
                    other: times.to_string(),
                },
                allowed: format!(
                    "at most {max_ms} ms with {times} = {n} in the browser, where a run may block \
                     its event loop for {} s in total",
                    PAGE_BLOCKING_LIMIT.as_secs()
                ),
            });
        }
        Ok(())
    }

    fn get(&self, name: &str) -> Option<&ParamValue> {
        self.values.iter().find(|(n, _)| *n == name).map(|(_, v)| v)
    }

    /// The time-scale factor.
    pub fn time_scale(&self) -> f64 {
        self.time_scale
    }

    /// Sets the time-scale factor, checked against its range.
    pub fn set_time_scale(&mut self, scale: f64) -> Result<(), ParamError> {
        self.time_scale = parse_time_scale(&scale.to_string())?;
        Ok(())
    }

    fn value(&self, name: &str) -> &ParamValue {
        // Scenario code asks only for the parameters its catalog entry declares; the unit test
        // `every_scenario_reads_only_declared_params` in each scenario crate covers this.
        match self.values.iter().find(|(n, _)| *n == name) {
            Some((_, v)) => v,
            None => panic!("scenario asked for undeclared parameter `{name}`"),
        }
    }

    /// A count parameter.
    pub fn count(&self, name: &str) -> i64 {
        match self.value(name) {
            ParamValue::Int(v) => *v,
            other => panic!("parameter `{name}` is not a count: {other:?}"),
        }
    }

    /// A count parameter as `usize` (counts are never negative).
    pub fn usize(&self, name: &str) -> usize {
        self.count(name).max(0) as usize
    }

    /// A millisecond parameter, multiplied by `time-scale`.
    pub fn duration(&self, name: &str) -> Duration {
        self.scale_ms(self.count(name))
    }

    /// A list parameter, unscaled.
    pub fn list(&self, name: &str) -> &[i64] {
        match self.value(name) {
            ParamValue::List(v) => v,
            other => panic!("parameter `{name}` is not a list: {other:?}"),
        }
    }

    /// A millisecond list parameter, each multiplied by `time-scale`.
    pub fn durations(&self, name: &str) -> Vec<Duration> {
        self.list(name)
            .iter()
            .map(|ms| self.scale_ms(*ms))
            .collect()
    }

    /// A millisecond list parameter, scaled, in nanoseconds (as traces measure time).
    pub fn durations_ns(&self, name: &str) -> Vec<u64> {
        self.durations(name)
            .iter()
            .map(|d| d.as_nanos() as u64)
            .collect()
    }

    /// A choice parameter.
    pub fn choice(&self, name: &str) -> &str {
        match self.value(name) {
            ParamValue::Word(w) => w,
            other => panic!("parameter `{name}` is not a choice: {other:?}"),
        }
    }

    /// A URL parameter: the URL, or `None` when left empty (conlab's own server).
    pub fn url(&self, name: &str) -> Option<crate::url::HttpUrl> {
        match self.value(name) {
            ParamValue::Word(w) if w.is_empty() => None,
            ParamValue::Word(w) => crate::url::HttpUrl::parse(w).ok(),
            other => panic!("parameter `{name}` is not a URL: {other:?}"),
        }
    }

    /// A flag parameter.
    pub fn flag(&self, name: &str) -> bool {
        match self.value(name) {
            ParamValue::Flag(b) => *b,
            other => panic!("parameter `{name}` is not a flag: {other:?}"),
        }
    }

    /// Milliseconds scaled by `time-scale`, as a duration.
    pub fn scale_ms(&self, ms: i64) -> Duration {
        Duration::from_secs_f64(ms.max(0) as f64 * self.time_scale / 1000.0)
    }

    /// Every value as text, including `time-scale`, in a stable order (for traces and URLs).
    pub fn to_map(&self) -> BTreeMap<String, String> {
        let mut map: BTreeMap<String, String> = self
            .values
            .iter()
            .map(|(n, v)| (n.to_string(), v.to_string()))
            .collect();
        map.insert(TIME_SCALE.to_string(), format_scale(self.time_scale));
        map
    }

    /// The parameters that differ from their defaults, as a URL query string.
    pub fn to_query(&self, specs: &'static [ParamSpec]) -> String {
        let mut parts = Vec::new();
        for (name, value) in &self.values {
            let default = specs
                .iter()
                .find(|s| s.name == *name)
                .map(|s| s.default_value());
            if default.as_ref() != Some(value) {
                parts.push(format!("{name}={}", percent_encode(&value.to_string())));
            }
        }
        if self.time_scale != 1.0 {
            parts.push(format!("{TIME_SCALE}={}", format_scale(self.time_scale)));
        }
        parts.join("&")
    }
}

/// Escapes what a query string value may not hold as it is (a URL's `&`, `=`, `?`, `#`, `%`,
/// `+` and spaces); everything else, commas included, stays readable.
fn percent_encode(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for b in text.bytes() {
        match b {
            b'&' | b'=' | b'?' | b'#' | b'%' | b'+' | b' ' | 0x80.. => {
                out.push_str(&format!("%{b:02X}"))
            }
            _ => out.push(b as char),
        }
    }
    out
}

fn format_scale(scale: f64) -> String {
    format!("{scale}")
}

fn parse_time_scale(text: &str) -> Result<f64, ParamError> {
    let (lo, hi) = TIME_SCALE_RANGE;
    let bad = |reason: BadReason| ParamError::BadValue {
        name: TIME_SCALE.to_string(),
        value: shorten(text),
        reason,
        allowed: format!("a factor from {lo} to {hi}"),
    };
    let v: f64 = half_width(text)
        .trim()
        .parse()
        .map_err(|_| bad(BadReason::NotANumber))?;
    if !v.is_finite() || !(lo..=hi).contains(&v) {
        return Err(bad(BadReason::OutOfRange));
    }
    Ok(v)
}

/// Decodes `%XX` escapes and `+` (space) as browsers write query strings. Invalid escapes are
/// kept as they are; invalid UTF-8 becomes U+FFFD.
pub fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < bytes.len() => {
                let hex = std::str::from_utf8(&bytes[i + 1..i + 3]).ok();
                match hex.and_then(|h| u8::from_str_radix(h, 16).ok()) {
                    Some(b) => {
                        out.push(b);
                        i += 2;
                    }
                    None => out.push(b'%'),
                }
            }
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// A whole number with its thousands separated, as conlab writes figures: `-5`, `100,000`.
pub fn grouped(n: i64) -> String {
    if n < 0 {
        format!("-{}", crate::thousands(n.unsigned_abs()))
    } else {
        crate::thousands(n as u64)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    static SPECS: &[ParamSpec] = &[
        ParamSpec {
            name: "tasks",
            kind: ParamKind::Count {
                default: 2,
                min: 1,
                max: 100,
                unit: "tasks",
            },
            help: "",
            bound: None,
        },
        ParamSpec {
            name: "sleep_ms",
            kind: ParamKind::Millis {
                default: 200,
                min: 0,
                max: 60_000,
            },
            help: "",
            bound: None,
        },
        ParamSpec {
            name: "sleeps_ms",
            kind: ParamKind::List {
                default: &[300, 100, 200],
                min: 0,
                max: 60_000,
                max_len: 8,
                millis: true,
            },
            help: "",
            bound: None,
        },
        ParamSpec {
            name: "return_when",
            kind: ParamKind::Choice {
                default: "all",
                options: &["all", "first_completed", "first_exception"],
            },
            help: "",
            bound: None,
        },
        ParamSpec {
            name: "gil",
            kind: ParamKind::Flag { default: true },
            help: "",
            bound: None,
        },
    ];

    fn check(input: &[&str], expected: Result<&str, &str>) {
        let got = Params::from_assignments("demo", SPECS, input.iter().copied());
        match (got, expected) {
            (Ok(p), Ok(want)) => {
                let text: Vec<String> =
                    p.to_map().iter().map(|(k, v)| format!("{k}={v}")).collect();
                assert_eq!(text.join(" "), want, "input {input:?}");
            }
            (Err(e), Err(want)) => assert_eq!(e.to_string(), want, "input {input:?}"),
            (got, want) => panic!("input {input:?}: got {got:?}, wanted {want:?}"),
        }
    }

    #[test]
    fn parses_and_rejects_assignments() {
        check(
            &[],
            Ok("gil=true return_when=all sleep_ms=200 sleeps_ms=300,100,200 tasks=2 time-scale=1"),
        );
        check(
            &["tasks=7", "sleeps_ms=5, 6", "gil=off", "return_when=FIRST_COMPLETED", "time-scale=0.5"],
            Ok("gil=false return_when=first_completed sleep_ms=200 sleeps_ms=5,6 tasks=7 time-scale=0.5"),
        );
        check(
            &["tasks=0"],
            Err("parameter `tasks`: value `0` is out of range; allowed: 1–100 tasks"),
        );
        check(
            &["tasks=x"],
            Err("parameter `tasks`: value `x` is not a whole number; allowed: 1–100 tasks"),
        );
        check(&["sleeps_ms="], Err("parameter `sleeps_ms`: value `` is an empty list; allowed: 1 to 8 comma-separated values, each 0–60,000 ms"));
        check(&["sleeps_ms=2,x,3"], Err("parameter `sleeps_ms`: value `2,x,3` is wrong at item 2 (\"x\", not a whole number); allowed: 1 to 8 comma-separated values, each 0–60,000 ms"));
        check(&["sleeps_ms=2,0,99999"], Err("parameter `sleeps_ms`: value `2,0,99999` is wrong at item 3 (\"99999\", out of range); allowed: 1 to 8 comma-separated values, each 0–60,000 ms"));
        check(&["sleeps_ms=1,2,3,4,5,6,7,8,9"], Err("parameter `sleeps_ms`: value `1,2,3,4,5,6,7,8,9` is a list of 9 items, too many; allowed: 1 to 8 comma-separated values, each 0–60,000 ms"));
        check(&["tasks=99999999999999999999999"], Err("parameter `tasks`: value `99999999999999999999999` is out of range; allowed: 1–100 tasks"));
        check(&["tasks=-99999999999999999999999"], Err("parameter `tasks`: value `-99999999999999999999999` is out of range; allowed: 1–100 tasks"));
        check(
            &["tasks=1.5"],
            Err("parameter `tasks`: value `1.5` is not a whole number; allowed: 1–100 tasks"),
        );
        // What a Chinese input method types: full-width digits and commas.
        check(
            &["tasks=７", "sleeps_ms=１００，２００", "time-scale=０．５"],
            Ok("gil=true return_when=all sleep_ms=200 sleeps_ms=100,200 tasks=7 time-scale=0.5"),
        );
        check(&["nope=1"], Err("unknown parameter `nope` for demo; its parameters are: tasks, sleep_ms, sleeps_ms, return_when, gil, time-scale"));
        check(&["tasks"], Err("`tasks` is not of the form name=value"));
        check(
            &["tasks=1", "tasks=2"],
            Err("parameter `tasks` is given twice"),
        );
        check(&["time-scale=1000"], Err("parameter `time-scale`: value `1000` is out of range; allowed: a factor from 0.01 to 100"));
        check(&["time-scale=NaN"], Err("parameter `time-scale`: value `NaN` is out of range; allowed: a factor from 0.01 to 100"));
    }

    #[test]
    fn query_strings_decode_and_round_trip() {
        let p = Params::from_query(
            "demo",
            SPECS,
            "?scenario=x&sleeps_ms=1%2C2&tasks=3&time-scale=2",
            &["scenario"],
        )
        .unwrap();
        assert_eq!(p.list("sleeps_ms"), &[1, 2]);
        assert_eq!(p.duration("sleep_ms"), Duration::from_millis(400));
        let q = p.to_query(SPECS);
        assert_eq!(q, "tasks=3&sleeps_ms=1,2&time-scale=2");
        assert_eq!(Params::from_query("demo", SPECS, &q, &[]).unwrap(), p);
    }

    #[test]
    fn percent_decode_keeps_bad_escapes() {
        assert_eq!(percent_decode("a%2Cb+c%zz%4"), "a,b c%zz%4");
        assert_eq!(percent_decode("%e4%bd%a0"), "你");
        assert_eq!(percent_decode("%ff"), "\u{fffd}");
    }

    #[test]
    fn the_page_may_be_blocked_for_ten_seconds_in_total() {
        let info = crate::catalog::find("blocking-in-async").unwrap();
        let parse = |a: &[&str]| Params::from_assignments(info.id, info.params, a.iter().copied());
        // Natively, 64 calls of 60 s are valid; in the browser they would freeze the tab.
        let long = parse(&["calls=64", "block_ms=60000"]).unwrap();
        let e = long
            .check_page_blocking(info.params)
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("block_ms") && e.contains("60000") && e.contains("at most 156 ms"),
            "{e}"
        );
        assert!(e.contains("10 s in total"), "{e}");
        // Exactly 10 s is allowed; time-scale counts.
        let edge = parse(&["calls=4", "block_ms=2500"]).unwrap();
        assert!(edge.check_page_blocking(info.params).is_ok());
        let scaled = parse(&["calls=4", "block_ms=2500", "time-scale=2"]).unwrap();
        let e = scaled
            .check_page_blocking(info.params)
            .unwrap_err()
            .to_string();
        assert!(e.contains("at most 1250 ms"), "{e}");
        let spec = info.params.iter().find(|p| p.name == "block_ms").unwrap();
        assert_eq!(
            spec.page_note().as_deref(),
            Some("in the browser, calls × block_ms ≤ 10 s")
        );
    }

    proptest! {
        #[test]
        fn no_assignment_panics(inputs in proptest::collection::vec(".{0,40}", 0..6)) {
            let _ = Params::from_assignments("demo", SPECS, inputs.iter().map(String::as_str));
        }

        #[test]
        fn no_query_panics(query in "[a-z_%&=,+0-9A-F-]{0,80}|.{0,80}") {
            let _ = Params::from_query("demo", SPECS, &query, &["lang"]);
        }

        #[test]
        fn accepted_values_are_in_range(v in any::<i64>()) {
            match Params::from_assignments("demo", SPECS, [format!("tasks={v}").as_str()]) {
                Ok(p) => prop_assert!((1..=100).contains(&p.count("tasks"))),
                Err(e) => prop_assert!(e.to_string().contains("tasks")),
            }
        }
    }
}
