//! Ids of the gateway's own objects: a type prefix and a ULID. ULIDs made by this process are
//! monotonic, so ids sort in creation order even within one millisecond (lists page by id).

use std::sync::Mutex;

use ulid::{Generator, Ulid};

static GENERATOR: Mutex<Generator> = Mutex::new(Generator::new());

/// A new ULID, greater than every ULID this process made before.
pub fn monotonic_ulid() -> Ulid {
    match GENERATOR.lock() {
        Ok(mut generator) => match generator.generate() {
            Ok(ulid) => ulid,
            Err(overflow) => overflow.commit_overflow_increment(),
        },
        // A panic while holding the lock cannot leave the generator inconsistent.
        Err(poisoned) => match poisoned.into_inner().generate() {
            Ok(ulid) => ulid,
            Err(overflow) => overflow.commit_overflow_increment(),
        },
    }
}

/// `prefix_<ULID>`.
pub fn prefixed(prefix: &str) -> String {
    format!("{prefix}_{}", monotonic_ulid())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_made_in_a_row_sort_in_creation_order() {
        let ids: Vec<String> = (0..1000).map(|_| prefixed("key")).collect();
        let mut sorted = ids.clone();
        sorted.sort();
        assert_eq!(ids, sorted);
    }
}
