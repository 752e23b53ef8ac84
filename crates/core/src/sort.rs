//! Unstable sorts that cost the page and its Workers little code. std's pattern-defeating
//! quicksort brings some 2.5 KB of wasm for every element type it sorts (quicksort, small-sort
//! networks, heapsort fallback, pivot choice), and the checks the page's thread Worker runs
//! sort some twenty different types: there a plain heapsort, a few hundred bytes per type, does
//! (O(n log n), in place). Natively these are std's own.

/// Sorts `v`, not keeping the order of equal elements.
#[inline]
pub fn sort_unstable<T: Ord>(v: &mut [T]) {
    #[cfg(target_arch = "wasm32")]
    heapsort(v, |a, b| a < b);
    #[cfg(not(target_arch = "wasm32"))]
    v.sort_unstable();
}

/// Sorts `v` by `key`, not keeping the order of elements with equal keys.
#[inline]
pub fn sort_unstable_by_key<T, K: Ord>(v: &mut [T], key: impl FnMut(&T) -> K) {
    #[cfg(target_arch = "wasm32")]
    {
        let mut key = key;
        heapsort(v, |a, b| key(a) < key(b));
    }
    #[cfg(not(target_arch = "wasm32"))]
    v.sort_unstable_by_key(key);
}

/// Heapsort with `less` as the order: a max-heap built in place, its top swapped to the end.
#[cfg_attr(not(target_arch = "wasm32"), allow(dead_code))]
fn heapsort<T>(v: &mut [T], mut less: impl FnMut(&T, &T) -> bool) {
    let len = v.len();
    for start in (0..len / 2).rev() {
        sift_down(v, start, len, &mut less);
    }
    for end in (1..len).rev() {
        v.swap(0, end);
        sift_down(v, 0, end, &mut less);
    }
}

/// Moves `v[node]` down the heap `v[..end]` until neither child is greater.
#[cfg_attr(not(target_arch = "wasm32"), allow(dead_code))]
fn sift_down<T>(v: &mut [T], mut node: usize, end: usize, less: &mut impl FnMut(&T, &T) -> bool) {
    loop {
        let mut child = 2 * node + 1;
        if child >= end {
            return;
        }
        if child + 1 < end && less(&v[child], &v[child + 1]) {
            child += 1;
        }
        if !less(&v[node], &v[child]) {
            return;
        }
        v.swap(node, child);
        node = child;
    }
}

#[cfg(test)]
mod tests {
    use super::heapsort;

    #[test]
    fn heapsort_sorts_like_std() {
        let mut x = 0x9E37_79B9_7F4A_7C15u64;
        for len in [0, 1, 2, 3, 7, 64, 1000] {
            let mut v: Vec<u64> = (0..len)
                .map(|_| {
                    x ^= x << 13;
                    x ^= x >> 7;
                    x ^= x << 17;
                    x % 50
                })
                .collect();
            let mut expected = v.clone();
            expected.sort_unstable();
            heapsort(&mut v, |a, b| a < b);
            assert_eq!(v, expected, "{len} elements");
        }
        let mut by_key = vec![(3, 'a'), (1, 'b'), (2, 'c'), (1, 'd')];
        heapsort(&mut by_key, |a, b| a.0 < b.0);
        assert_eq!(by_key.iter().map(|p| p.0).collect::<Vec<_>>(), [1, 1, 2, 3]);
    }
}
