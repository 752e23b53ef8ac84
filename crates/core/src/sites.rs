//! Lines of code that record events, interned per writer so that an event carries a 2-byte
//! number instead of a location.
//!
//! Recording methods take `#[track_caller]`, so the location is a pointer to a constant the
//! compiler placed at the call site: looking it up is a pointer comparison in a small
//! direct-mapped cache, and a scan of the (short) list of lines seen so far only on a miss.

use std::panic::Location;

/// Where an event was recorded: the caller of a `#[track_caller]` recording method.
pub type Site = &'static Location<'static>;

/// A site number meaning "no site" (an event recorded by library code, or a writer that has
/// seen more distinct sites than fit).
pub(crate) const NO_SITE: u16 = u16::MAX;

const CACHE: usize = 32;

/// The sites one writer has seen, numbered in the order they first appeared.
pub(crate) struct SiteTable {
    seen: Vec<Site>,
    /// `(address, number)` of recently looked-up sites, indexed by address bits.
    cache: [(usize, u16); CACHE],
}

impl Default for SiteTable {
    fn default() -> Self {
        SiteTable {
            seen: Vec::new(),
            cache: [(0, NO_SITE); CACHE],
        }
    }
}

impl SiteTable {
    /// The number of `site` in this table, adding it if it is new.
    #[inline]
    pub(crate) fn number(&mut self, site: Site) -> u16 {
        let address = site as *const Location<'static> as usize;
        let slot = (address >> 3) % CACHE;
        let (cached, number) = self.cache[slot];
        if cached == address {
            return number;
        }
        self.miss(site, address, slot)
    }

    #[cold]
    fn miss(&mut self, site: Site, address: usize, slot: usize) -> u16 {
        let number = match self.seen.iter().position(|s| std::ptr::eq(*s, site)) {
            Some(i) => i as u16,
            None if self.seen.len() < NO_SITE as usize => {
                self.seen.push(site);
                (self.seen.len() - 1) as u16
            }
            None => return NO_SITE,
        };
        self.cache[slot] = (address, number);
        number
    }

    /// The site with this number.
    pub(crate) fn get(&self, number: u16) -> Option<Site> {
        self.seen.get(number as usize).copied()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[track_caller]
    fn here() -> Site {
        Location::caller()
    }

    #[test]
    fn the_same_line_gets_the_same_number_and_new_lines_new_ones() {
        let mut table = SiteTable::default();
        let lines: Vec<Site> = (0..100).map(|_| here()).collect();
        let (a, b) = (here(), here());
        let first = table.number(lines[0]);
        assert!(lines.iter().all(|s| table.number(s) == first));
        let (na, nb) = (table.number(a), table.number(b));
        assert_ne!(na, nb);
        assert_ne!(na, first);
        assert_eq!(table.get(na).map(|s| s.line()), Some(a.line()));
        assert_eq!(table.number(b), nb);
    }
}
