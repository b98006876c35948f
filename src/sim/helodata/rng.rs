//! A seeded splitmix64 generator and the id, name and secret formats built on it.
//!
//! Hand-written rather than `rand::StdRng` because StdRng's stream may change between rand
//! releases, and the seed must give the same ids forever (same seed → same data, ids included).

use std::collections::HashMap;

use ulid::Ulid;

/// splitmix64 (Steele, Lea, Flood 2014): tiny, fast, and good enough for fake data.
#[derive(Clone, Debug)]
pub struct Rng {
    state: u64,
    /// The time and random parts of the last id of each prefix, so ids of one kind made in one
    /// millisecond still sort in the order they were made (as ulid's monotonic `Generator`).
    last_ids: HashMap<String, (u64, u128)>,
}

const ALNUM_LOWER: &[u8] = b"abcdefghijklmnopqrstuvwxyz0123456789";
const ALNUM: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

impl Rng {
    pub fn new(seed: u64) -> Self {
        Rng {
            state: seed,
            last_ids: HashMap::new(),
        }
    }

    pub fn next_u64(&mut self) -> u64 {
        self.state = self.state.wrapping_add(0x9E37_79B9_7F4A_7C15);
        mix(self.state)
    }

    /// Uniform in `lo..=hi` (modulo bias is irrelevant here).
    pub fn range(&mut self, lo: u64, hi: u64) -> u64 {
        if hi <= lo {
            return lo;
        }
        lo + self.next_u64() % (hi - lo + 1)
    }

    /// Uniform float in `[0, 1)`.
    pub fn unit(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }

    pub fn chance(&mut self, p: f64) -> bool {
        self.unit() < p
    }

    /// One element of a non-empty slice (the first when empty slices sneak in: never panics).
    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> Option<&'a T> {
        if items.is_empty() {
            return None;
        }
        let i = self.range(0, items.len() as u64 - 1) as usize;
        items.get(i)
    }

    fn chars(&mut self, alphabet: &[u8], n: usize) -> String {
        (0..n)
            .map(|_| {
                let i = self.range(0, alphabet.len() as u64 - 1) as usize;
                char::from(alphabet.get(i).copied().unwrap_or(b'a'))
            })
            .collect()
    }

    /// `prefix_` + a 26-character ULID whose time part is `ms` and whose random part comes from
    /// this generator; within one millisecond the random part of a prefix counts up, so ids of
    /// one kind sort in the order they were made.
    pub fn id(&mut self, prefix: &str, ms: u64) -> String {
        const MASK: u128 = (1u128 << 80) - 1;
        let random = match self.last_ids.get(prefix) {
            Some((last_ms, last)) if *last_ms == ms && *last < MASK => last + 1,
            // Half the range, leaving room to count up within the millisecond.
            _ => (u128::from(self.next_u64()) << 64 | u128::from(self.next_u64())) & (MASK >> 1),
        };
        self.last_ids.insert(prefix.to_string(), (ms, random));
        format!("{prefix}_{}", Ulid::from_parts(ms, random))
    }

    /// A sub-user `name`: `s` + 10 lowercase alphanumerics (SUB: `s1a2b3c4d5e`).
    pub fn subuser_name(&mut self) -> String {
        format!("s{}", self.chars(ALNUM_LOWER, 10))
    }

    /// A proxy password: 16 mixed-case alphanumerics.
    pub fn password(&mut self) -> String {
        self.chars(ALNUM, 16)
    }

    /// An API token: `hel_live_` + 64 random characters (AUTH).
    pub fn token(&mut self) -> String {
        format!("hel_live_{}", self.chars(ALNUM, 64))
    }

    /// Lowercase alphanumerics (session ids, secrets).
    pub fn lower(&mut self, n: usize) -> String {
        self.chars(ALNUM_LOWER, n)
    }
}

/// The splitmix64 finaliser, also used as a stateless hash of (seed, key, bucket).
pub fn mix(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// FNV-1a of a string: a stable key for [`mix`].
pub fn hash_str(s: &str) -> u64 {
    s.bytes().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01B3)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_seed_same_stream_and_ids_have_the_documented_shape() {
        let (mut a, mut b) = (Rng::new(7), Rng::new(7));
        assert_eq!(a.id("sub", 1), b.id("sub", 1));
        let name = a.subuser_name();
        assert_eq!(name.len(), 11);
        assert!(name.starts_with('s'));
        let id = a.id("ord", 1_700_000_000_000);
        assert!(id.starts_with("ord_") && id.len() == 30, "{id}");
        assert_eq!(a.token().len(), "hel_live_".len() + 64);
        assert_ne!(Rng::new(8).next_u64(), Rng::new(7).next_u64());
    }

    #[test]
    fn ids_made_in_one_millisecond_sort_in_order() {
        let mut r = Rng::new(3);
        let ids: Vec<String> = (0..100)
            .map(|i| {
                r.id("req", i);
                r.id("sub", 5)
            })
            .collect();
        let mut sorted = ids.clone();
        sorted.sort();
        assert_eq!(ids, sorted);
    }
}
