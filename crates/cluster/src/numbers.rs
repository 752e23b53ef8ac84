//! How counts read in what the harness prints: thousands separated (`2,000`) and the noun
//! agreeing with its number (`1 kill`, `3 kills`).

/// `n` with a comma between thousands: `2000` reads `2,000`.
pub fn thousands(n: usize) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, digit) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(digit);
    }
    out
}

/// `n` and its noun, singular for one: `counted(1, "kill", "kills")` reads `1 kill`.
pub fn counted(n: usize, one: &str, many: &str) -> String {
    format!("{} {}", thousands(n), if n == 1 { one } else { many })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn thousands_are_separated() {
        let check = |n: usize, expected: &str| assert_eq!(thousands(n), expected, "{n}");
        check(0, "0");
        check(7, "7");
        check(999, "999");
        check(1000, "1,000");
        check(2000, "2,000");
        check(12345, "12,345");
        check(123456, "123,456");
        check(1_000_000, "1,000,000");
    }

    #[test]
    fn nouns_agree_with_their_number() {
        let check = |n: usize, expected: &str| assert_eq!(counted(n, "run", "runs"), expected);
        check(0, "0 runs");
        check(1, "1 run");
        check(2, "2 runs");
        check(2000, "2,000 runs");
    }
}
