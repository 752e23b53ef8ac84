//! How counts read in what the harness prints: conlab's own way (`2,000`, `1 kill`,
//! `3 kills`), taking the harness's `usize` counts.

/// `n` with a comma between thousands: `2000` reads `2,000`.
pub fn thousands(n: usize) -> String {
    conlab_core::thousands(n as u64)
}

/// `n` and its noun, singular for one: `counted(1, "kill", "kills")` reads `1 kill`.
pub fn counted(n: usize, one: &str, many: &str) -> String {
    conlab_core::count_of(n, one, many)
}
