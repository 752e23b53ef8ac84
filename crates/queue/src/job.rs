//! One entry of the queue: a run's id, its scenario and its parameters, signed. The signature
//! covers a canonical text of all three, so no field can be changed or swapped with another
//! entry's.

use crate::secret::Secret;
use std::collections::BTreeMap;

/// A run to do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Job {
    /// The run's id (the record's key).
    pub run: String,
    /// The scenario id.
    pub scenario: String,
    /// Every parameter value, by name.
    pub params: BTreeMap<String, String>,
}

/// What signed texts begin with: a change of the format changes it.
const FORMAT: &str = "conlab-queue/1";

impl Job {
    /// The parameters as the entry and the record carry them: a JSON object, names sorted.
    pub fn params_json(&self) -> String {
        serde_json::to_string(&self.params).unwrap_or_else(|_| "{}".into())
    }

    /// The text the signature covers.
    fn signed_text(&self) -> String {
        format!(
            "{FORMAT}\n{}\n{}\n{}",
            self.run,
            self.scenario,
            self.params_json()
        )
    }

    /// The entry's fields: run, scenario, params, sig.
    pub(crate) fn fields(&self, secret: &Secret) -> Vec<(&'static str, String)> {
        vec![
            ("run", self.run.clone()),
            ("scenario", self.scenario.clone()),
            ("params", self.params_json()),
            ("sig", secret.sign(self.signed_text().as_bytes())),
        ]
    }

    /// The job an entry's fields carry, if they are whole and signed with `secret`; else why
    /// it is refused.
    pub(crate) fn from_fields(
        fields: &BTreeMap<String, String>,
        secret: &Secret,
    ) -> Result<Job, String> {
        let field = |name: &str| {
            fields
                .get(name)
                .cloned()
                .ok_or_else(|| format!("it has no `{name}` field"))
        };
        let sig = fields
            .get("sig")
            .ok_or_else(|| "it is not signed".to_string())?;
        let params: BTreeMap<String, String> = serde_json::from_str(&field("params")?)
            .map_err(|e| format!("its parameters are not a JSON object of strings: {e}"))?;
        let job = Job {
            run: field("run")?,
            scenario: field("scenario")?,
            params,
        };
        // The record's key: refused before any statement names it.
        let id_ok = !job.run.is_empty()
            && job.run.len() <= 64
            && job
                .run
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-');
        if !secret.verify(job.signed_text().as_bytes(), sig) {
            return Err("its signature does not match (not signed with this queue's secret, or changed since)".into());
        }
        if !id_ok {
            return Err("its run id is not letters, digits and `-`".into());
        }
        Ok(job)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn job() -> Job {
        Job {
            run: "20260101-120000-1".into(),
            scenario: "asyncio-two-tasks".into(),
            params: [("sleep_ms".to_string(), "20".to_string())].into(),
        }
    }

    fn as_map(fields: Vec<(&'static str, String)>) -> BTreeMap<String, String> {
        fields
            .into_iter()
            .map(|(k, v)| (k.to_string(), v))
            .collect()
    }

    #[test]
    fn a_signed_entry_reads_back_and_a_changed_one_is_refused() {
        let secret = Secret::new("0123456789abcdef0123").unwrap();
        let fields = as_map(job().fields(&secret));
        assert_eq!(Job::from_fields(&fields, &secret), Ok(job()));

        let mut changed = fields.clone();
        changed.insert("params".into(), r#"{"sleep_ms":"60000"}"#.into());
        assert!(Job::from_fields(&changed, &secret)
            .unwrap_err()
            .contains("signature"));

        let mut unsigned = fields.clone();
        unsigned.remove("sig");
        assert_eq!(
            Job::from_fields(&unsigned, &secret).unwrap_err(),
            "it is not signed"
        );

        let other = Secret::new("another secret, long enough").unwrap();
        assert!(Job::from_fields(&fields, &other)
            .unwrap_err()
            .contains("signature"));
    }
}
