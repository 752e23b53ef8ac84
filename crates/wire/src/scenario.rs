//! The catalog as the API lists it.

use serde::{Deserialize, Serialize};

/// `GET /api/scenarios`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ScenarioList {
    /// Always [`crate::API_VERSION`].
    pub api: String,
    /// Every scenario of the catalog, in catalog order.
    pub scenarios: Vec<ScenarioEntry>,
}

/// One scenario, and whether this server runs it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ScenarioEntry {
    /// The id (`event-loop-choice`).
    pub id: String,
    /// Its title.
    pub title: String,
    /// Its chapter's title.
    pub chapter: String,
    /// What it shows.
    pub explanation: String,
    /// Its parameters.
    pub params: Vec<ParamEntry>,
    /// Whether this server runs it natively now (false: not native, or needs databases the
    /// server was not allowed to use).
    pub native: bool,
    /// Whether it needs Redis or MySQL (served only with `--allow-databases`).
    pub needs_databases: bool,
    /// Why it cannot be run natively here, when it cannot.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub refused: Option<String>,
    /// Whether it has a Python program this server runs under CPython (`runtime: cpython`).
    #[serde(default)]
    pub python: bool,
}

/// One parameter.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ParamEntry {
    /// Its name.
    pub name: String,
    /// `count`, `millis`, `list`, `millis-list`, `choice`, `flag` or `url`.
    pub kind: String,
    /// Its default value.
    pub default: String,
    /// Its range or choices, in words.
    pub allowed: String,
    /// One line of help.
    pub help: String,
}
