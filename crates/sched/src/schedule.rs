//! A schedule as a short printable string: a version, a fingerprint of what it was found on
//! (scenario, parameters, code), the seed that drew it and the choices made, so it replays
//! exactly or is refused whole.

use std::fmt;

/// The format's version, the string's first field.
const VERSION: &str = "s1";

/// A run's schedule.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Schedule {
    /// What it was found on ([`fingerprint`]).
    pub fingerprint: u64,
    /// The seed the search drew it from (0 for one made by hand).
    pub seed: u64,
    /// The choices, as [`RunReport::choices`](crate::RunReport::choices).
    pub choices: Vec<u32>,
    /// Whether, after `choices`, the choices are those a [`Random`](crate::Random) strategy
    /// draws from `seed` (written `*` after them): a seeded run's schedule is `*` alone, so its
    /// link stays short however many threads it has; a learner's run so far is their choices
    /// and `*`, which replays as a whole run.
    pub drawn: bool,
}

/// Why a schedule string was refused.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ScheduleError {
    /// Not a schedule string at all, or damaged: says where.
    Malformed(String),
    /// Made for another scenario, other parameters or another version of its code.
    Mismatch,
}

impl fmt::Display for ScheduleError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ScheduleError::Malformed(why) => write!(f, "not a schedule conlab wrote: {why}"),
            ScheduleError::Mismatch => f.write_str(
                "this schedule was made for another scenario, other parameters or another \
                 version of its code",
            ),
        }
    }
}

impl std::error::Error for ScheduleError {}

const FNV_OFFSET: u64 = 0xcbf2_9ce4_8422_2325;
const FNV_PRIME: u64 = 0x0100_0000_01b3;

/// FNV-1a of a scenario's code (its source file, `include_bytes!`), computed when conlab is
/// built: a schedule made on other code is refused.
pub const fn code_hash(code: &[u8]) -> u64 {
    let mut h = FNV_OFFSET;
    let mut i = 0;
    while i < code.len() {
        h ^= code[i] as u64;
        h = h.wrapping_mul(FNV_PRIME);
        i += 1;
    }
    h
}

/// FNV-1a over what a schedule depends on: the scenario's id, its parameters as one canonical
/// string, and its code's [`code_hash`].
pub fn fingerprint(scenario: &str, params: &str, code: u64) -> u64 {
    let mut h = FNV_OFFSET;
    for &b in [
        scenario.as_bytes(),
        &[0xff],
        params.as_bytes(),
        &[0xff],
        &code.to_le_bytes(),
    ]
    .concat()
    .iter()
    {
        h ^= u64::from(b);
        h = h.wrapping_mul(FNV_PRIME);
    }
    h
}

/// Choices 0..62 are one character; larger ones `-n-`; a character repeated four times or
/// more is written once followed by `~count~`.
const DIGITS: &[u8; 62] = b"0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ";

fn encode(choices: &[u32]) -> String {
    let mut out = String::new();
    let mut i = 0;
    while i < choices.len() {
        let c = choices[i];
        let run = choices[i..].iter().take_while(|&&x| x == c).count();
        match DIGITS.get(c as usize) {
            Some(&d) => out.push(d as char),
            None => out.push_str(&format!("-{c}-")),
        }
        if run >= 4 {
            out.push_str(&format!("~{}~", run - 1));
            i += run;
        } else {
            i += 1;
        }
    }
    out
}

fn decode(text: &str) -> Result<Vec<u32>, ScheduleError> {
    let bad = |why: &str| ScheduleError::Malformed(why.to_string());
    let number = |s: &str| {
        s.parse::<u32>()
            .map_err(|_| bad("a number in the choices is damaged"))
    };
    let mut out: Vec<u32> = Vec::new();
    let mut rest = text;
    while let Some(ch) = rest.chars().next() {
        match ch {
            '-' => {
                let end = rest[1..].find('-').ok_or_else(|| bad("an unclosed -n-"))?;
                out.push(number(&rest[1..1 + end])?);
                rest = &rest[end + 2..];
            }
            '~' => {
                let end = rest[1..].find('~').ok_or_else(|| bad("an unclosed ~n~"))?;
                let more = number(&rest[1..1 + end])? as usize;
                let last = *out.last().ok_or_else(|| bad("a repeat of nothing"))?;
                if more > 10_000_000 {
                    return Err(bad("a repeat longer than any run"));
                }
                out.extend(std::iter::repeat_n(last, more));
                rest = &rest[end + 2..];
            }
            _ => {
                let d = DIGITS
                    .iter()
                    .position(|&d| d as char == ch)
                    .ok_or_else(|| bad("a character that is not a choice"))?;
                out.push(d as u32);
                rest = &rest[ch.len_utf8()..];
            }
        }
    }
    Ok(out)
}

impl fmt::Display for Schedule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut choices = encode(&self.choices);
        if self.drawn {
            choices.push('*');
        }
        write!(
            f,
            "{VERSION}.{:016x}.{:x}.{choices}",
            self.fingerprint, self.seed
        )
    }
}

impl Schedule {
    /// Reads a schedule string, refusing it unless it was made for `fingerprint`.
    pub fn parse(text: &str, fingerprint: u64) -> Result<Schedule, ScheduleError> {
        let bad = |why: &str| ScheduleError::Malformed(why.to_string());
        let mut fields = text.trim().splitn(4, '.');
        if fields.next() != Some(VERSION) {
            return Err(bad(&format!("it should start with `{VERSION}.`")));
        }
        let hex = |s: Option<&str>, what: &str| {
            s.and_then(|s| u64::from_str_radix(s, 16).ok())
                .ok_or_else(|| bad(&format!("its {what} is damaged")))
        };
        let found = hex(fields.next(), "fingerprint")?;
        let seed = hex(fields.next(), "seed")?;
        let choices = fields.next().ok_or_else(|| bad("it has no choices part"))?;
        let (choices, drawn) = match choices.strip_suffix('*') {
            Some(made) => (made, true),
            None => (choices, false),
        };
        let choices = decode(choices)?;
        if found != fingerprint {
            return Err(ScheduleError::Mismatch);
        }
        Ok(Schedule {
            fingerprint: found,
            seed,
            choices,
            drawn,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_schedule_reads_back_as_written() {
        for choices in [
            vec![],
            vec![0, 1, 1, 0],
            vec![0; 100],
            vec![3, 3, 3, 3, 3, 61, 62, 400, 400, 400, 400, 400, 1],
        ] {
            let s = Schedule {
                fingerprint: fingerprint("race-condition", "threads=2", 1),
                seed: 0xdead_beef,
                choices,
                drawn: false,
            };
            let text = s.to_string();
            assert!(text
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || ".-~".contains(c)));
            assert_eq!(
                Schedule::parse(&text, s.fingerprint),
                Ok(s.clone()),
                "{text}"
            );
        }
        // Choices a seed draws are written as a star.
        let drawn = Schedule {
            fingerprint: 7,
            seed: 42,
            choices: Vec::new(),
            drawn: true,
        };
        assert_eq!(drawn.to_string(), "s1.0000000000000007.2a.*");
        assert_eq!(Schedule::parse("s1.0000000000000007.2a.*", 7), Ok(drawn));
        let so_far = Schedule {
            fingerprint: 7,
            seed: 1,
            choices: vec![0, 2, 1],
            drawn: true,
        };
        assert_eq!(so_far.to_string(), "s1.0000000000000007.1.021*");
        assert_eq!(Schedule::parse("s1.0000000000000007.1.021*", 7), Ok(so_far));
    }

    #[test]
    fn a_schedule_for_something_else_is_refused() {
        let f = fingerprint("lock", "threads=3", 1);
        let text = Schedule {
            fingerprint: f,
            seed: 1,
            choices: vec![1, 0],
            drawn: false,
        }
        .to_string();
        let other = fingerprint("lock", "threads=4", 1);
        assert_eq!(Schedule::parse(&text, other), Err(ScheduleError::Mismatch));
        for damaged in [
            "",
            "s2.00.1.0",
            "s1.zz.1.0",
            "s1.00.1.0~5",
            "s1.00.1.!",
            "s1.00.1",
        ] {
            assert!(
                matches!(
                    Schedule::parse(damaged, f),
                    Err(ScheduleError::Malformed(_))
                ),
                "{damaged}"
            );
        }
    }
}
