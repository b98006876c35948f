//! Parameter rules of the document, each failing with the code-400 envelope naming the field.

use std::net::IpAddr;

use time::OffsetDateTime;

use super::clock;
use super::envelope::Failure;

/// Package types of the account endpoints (productTypes: 9, 11, 14, 25).
pub(crate) const ACCOUNT_PRODUCT_TYPES: &[i64] = &[9, 11, 14, 25];
/// Product types of `order/list`. The document's description table lists 13, 15 and 20 but its
/// enumerated values omit them; the simulator accepts the table's full list.
pub(crate) const ORDER_PRODUCT_TYPES: &[i64] = &[
    3, 9, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 24, 25, 26, 27, 28,
];
/// Product types of `user-product/summary` ("only supports: 9, 12").
pub(crate) const SUMMARY_PRODUCT_TYPES: &[i64] = &[9, 12];
/// Product types of `ip/get-static-ip` (14, 25).
pub(crate) const STATIC_PRODUCT_TYPES: &[i64] = &[14, 25];
/// Order statuses of `order/list` (0–3).
pub(crate) const ORDER_STATUSES: &[i64] = &[0, 1, 2, 3];
/// Static IP statuses of `ip/get-static-ip` (1–4).
pub(crate) const STATIC_IP_STATUSES: &[i64] = &[1, 2, 3, 4];

/// Maximum custom traffic limit, GB ("maximum 102400, 0 for unlimited").
pub(crate) const MAX_LIMIT_GB: i64 = 102_400;
/// Remark width: 64 English or 32 Chinese characters, so a non-ASCII character counts 2 [INF].
pub(crate) const MAX_REMARK_WIDTH: usize = 64;
/// Password length 6–16, as a sibling deployment's client bounds it ([SIB] in the notes).
pub(crate) const PASSWORD_LEN: std::ops::RangeInclusive<usize> = 6..=16;
/// Username length 1–32: the document bounds only the characters [INF].
pub(crate) const USERNAME_LEN: std::ops::RangeInclusive<usize> = 1..=32;

/// `value` if it is one of `allowed`.
pub(crate) fn one_of(field: &'static str, value: i64, allowed: &[i64]) -> Result<i64, Failure> {
    if allowed.contains(&value) {
        Ok(value)
    } else {
        Err(Failure::param(
            field,
            format!("The selected {field} is invalid."),
        ))
    }
}

/// An optional enumerated value.
pub(crate) fn opt_one_of(
    field: &'static str,
    value: Option<i64>,
    allowed: &[i64],
) -> Result<Option<i64>, Failure> {
    value.map(|v| one_of(field, v, allowed)).transpose()
}

fn alnum(s: &str) -> bool {
    s.bytes().all(|b| b.is_ascii_alphanumeric())
}

/// A proxy account name: letters and digits only.
pub(crate) fn username(field: &'static str, s: &str) -> Result<(), Failure> {
    if !alnum(s) {
        return Err(Failure::param(
            field,
            format!("The account name {s:?} may only contain letters and numbers."),
        ));
    }
    if !USERNAME_LEN.contains(&s.len()) {
        return Err(Failure::param(
            field,
            format!("The account name {s:?} must be 1 to 32 characters."),
        ));
    }
    Ok(())
}

/// A proxy account password: letters and digits only, 6–16 characters.
pub(crate) fn password(field: &'static str, s: &str) -> Result<(), Failure> {
    if !alnum(s) {
        return Err(Failure::param(
            field,
            "The password may only contain letters and numbers.",
        ));
    }
    if !PASSWORD_LEN.contains(&s.len()) {
        return Err(Failure::param(
            field,
            "The password must be 6 to 16 characters.",
        ));
    }
    Ok(())
}

/// A remark within 64 English or 32 Chinese characters.
pub(crate) fn remark(field: &'static str, s: &str) -> Result<(), Failure> {
    let width: usize = s.chars().map(|c| if c.is_ascii() { 1 } else { 2 }).sum();
    if width > MAX_REMARK_WIDTH {
        return Err(Failure::param(
            field,
            "The remark may not be longer than 32 Chinese or 64 English characters.",
        ));
    }
    Ok(())
}

/// A traffic limit in GB: 0 (unlimited) to 102400.
pub(crate) fn limit_gb(field: &'static str, v: i64) -> Result<i64, Failure> {
    if (0..=MAX_LIMIT_GB).contains(&v) {
        Ok(v)
    } else {
        Err(Failure::param(
            field,
            format!("The {field} must be between 0 and {MAX_LIMIT_GB}."),
        ))
    }
}

/// `user01:pass,user02:pass`: English commas between entries, one colon in each. Spaces and empty
/// entries are errors ("Do not enter any special symbols or spaces").
pub(crate) fn account_pairs(
    field: &'static str,
    s: &str,
) -> Result<Vec<(String, String)>, Failure> {
    s.split(',')
        .map(|entry| {
            let Some((user, pass)) = entry.split_once(':') else {
                return Err(Failure::param(
                    field,
                    format!("{entry:?} is not in the format username:password."),
                ));
            };
            username(field, user)?;
            password(field, pass)?;
            Ok((user.to_string(), pass.to_string()))
        })
        .collect()
}

/// `user01,user02`: account names separated by English commas.
pub(crate) fn account_names(field: &'static str, s: &str) -> Result<Vec<String>, Failure> {
    s.split(',')
        .map(|name| username(field, name).map(|()| name.to_string()))
        .collect()
}

/// `1.2.3.4,2001:db8::1`: IPv4 or IPv6 addresses separated by English commas.
pub(crate) fn ip_list(field: &'static str, s: &str) -> Result<Vec<IpAddr>, Failure> {
    s.split(',')
        .map(|ip| {
            ip.parse::<IpAddr>().map_err(|_| {
                Failure::param(
                    field,
                    format!("{ip:?} is not a valid IPv4 or IPv6 address."),
                )
            })
        })
        .collect()
}

/// A page number or page size: a positive integer, `default` when absent.
pub(crate) fn positive(field: &'static str, v: Option<i64>, default: u64) -> Result<u64, Failure> {
    match v {
        None => Ok(default),
        Some(v) => u64::try_from(v)
            .ok()
            .filter(|v| *v >= 1)
            .ok_or_else(|| Failure::param(field, format!("The {field} must be at least 1."))),
    }
}

/// A `Y-m-d H:i:s` time in UTC+8.
pub(crate) fn local_time(field: &'static str, s: &str) -> Result<OffsetDateTime, Failure> {
    clock::parse_local(s).ok_or_else(|| {
        Failure::param(
            field,
            format!("The {field} does not match the format Y-m-d H:i:s."),
        )
    })
}

/// One page of `items` (1-based `page`) with the total count and the number of pages.
pub(crate) fn page_of<T>(items: &[T], page: u64, size: u64) -> (&[T], u64, u64) {
    let total = items.len() as u64;
    let pages = total.div_ceil(size);
    let start = usize::try_from(page.saturating_sub(1).saturating_mul(size)).unwrap_or(usize::MAX);
    let end = usize::try_from(size)
        .ok()
        .and_then(|size| start.checked_add(size))
        .unwrap_or(usize::MAX)
        .min(items.len());
    let slice = items.get(start..end).unwrap_or(&[]);
    (slice, total, pages)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn account_pairs_split_on_commas_and_one_colon() {
        let pairs = account_pairs("accounts", "ab12:secret1,cd34:secret2");
        assert_eq!(
            pairs,
            Ok(vec![
                ("ab12".into(), "secret1".into()),
                ("cd34".into(), "secret2".into())
            ])
        );
        assert!(account_pairs("accounts", "ab12:secret1, cd34:secret2").is_err());
        assert!(account_pairs("accounts", "ab12:secret1,").is_err());
        assert!(account_pairs("accounts", "ab12").is_err());
        assert!(account_pairs("accounts", "ab_12:secret1").is_err());
        assert!(account_pairs("accounts", "ab12:sec:ret1").is_err());
    }

    #[test]
    fn remark_counts_chinese_characters_double() {
        assert!(remark("remark", &"a".repeat(64)).is_ok());
        assert!(remark("remark", &"a".repeat(65)).is_err());
        assert!(remark("remark", &"测".repeat(32)).is_ok());
        assert!(remark("remark", &"测".repeat(33)).is_err());
    }

    #[test]
    fn passwords_are_6_to_16_letters_or_digits() {
        assert!(password("password", "abc123").is_ok());
        assert!(password("password", "abc12").is_err());
        assert!(password("password", &"a".repeat(17)).is_err());
        assert!(password("password", "abc 123").is_err());
    }

    #[test]
    fn page_of_slices_and_counts_pages() {
        let items: Vec<u32> = (1..=45).collect();
        assert_eq!(page_of(&items, 3, 20), (&items[40..45], 45, 3));
        assert_eq!(page_of(&items, 4, 20).0, &[] as &[u32]);
        assert_eq!(page_of(&items, u64::MAX, u64::MAX).0, &[] as &[u32]);
        assert_eq!(page_of::<u32>(&[], 1, 20), (&[][..], 0, 0));
    }
}
