//! One stable sort for every caller that orders by integers: the page's download carries the
//! standard library's sort once per element type and key, about 4.5 KB each, so callers here
//! pack their key into a `u128` and share one instantiation.

/// Sorts `items` by `key`, keeping items with equal keys in the order they had (a stable
/// sort): one unstable sort of `(key, index)` pairs, the same code for every caller, then the
/// items moved into that order.
pub fn sort_by_packed_key<T>(items: &mut Vec<T>, key: impl Fn(&T) -> u128) {
    if items.windows(2).all(|w| key(&w[0]) <= key(&w[1])) {
        return;
    }
    let mut order: Vec<(u128, usize)> = items.iter().map(&key).zip(0..).collect();
    crate::sort::sort_unstable(&mut order);
    let mut slots: Vec<Option<T>> = items.drain(..).map(Some).collect();
    items.extend(order.iter().filter_map(|&(_, i)| slots[i].take()));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn it_sorts_stably_like_the_standard_library() {
        let mut seed = 7u64;
        for len in [0usize, 1, 2, 5, 40, 300] {
            let items: Vec<(u8, usize)> = (0..len)
                .map(|i| {
                    seed = seed
                        .wrapping_mul(6364136223846793005)
                        .wrapping_add(1442695040888963407);
                    ((seed >> 60) as u8, i)
                })
                .collect();
            let mut ours = items.clone();
            sort_by_packed_key(&mut ours, |(k, _)| *k as u128);
            let mut std = items;
            std.sort_by_key(|(k, _)| *k);
            assert_eq!(ours, std, "length {len}");
        }
    }
}
