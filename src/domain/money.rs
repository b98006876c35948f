//! Money as exact decimal text. Providers send amounts as JSON numbers; the gateway passes
//! them on as the decimal they stand for, never as a float a caller could round.

use std::fmt;

/// A decimal amount as text (`"12.5"`, `"0.1"`, `"-3"`): digits, at most one point, no
/// exponent. Made only by [`Decimal::parse`] or [`Decimal::from_json`], so it is always valid.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Decimal(String);

/// Text that is not a plain decimal number.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("'{0}' is not a decimal number (digits with at most one '.', e.g. \"12.50\")")]
pub struct MalformedDecimal(pub String);

impl Decimal {
    /// A caller's or a provider's decimal text, checked: an optional `-`, digits, and an
    /// optional fraction. Kept as written (`"12.50"` stays `"12.50"`).
    pub fn parse(text: &str) -> Result<Decimal, MalformedDecimal> {
        let digits = text.strip_prefix('-').unwrap_or(text);
        let (whole, fraction) = match digits.split_once('.') {
            Some((w, f)) => (w, Some(f)),
            None => (digits, None),
        };
        let all_digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
        if all_digits(whole) && fraction.is_none_or(all_digits) {
            Ok(Decimal(text.to_string()))
        } else {
            Err(MalformedDecimal(text.to_string()))
        }
    }

    /// A provider's JSON number (or numeric string) as the decimal it stands for. A float is
    /// printed as the shortest text that reads back as the same number (`10.0` → `"10"`,
    /// `0.1` → `"0.1"`: the figure the provider meant, for any of up to 15 significant
    /// digits), never with an exponent. `None` for anything that is not a finite number.
    pub fn from_json(value: &serde_json::Value) -> Option<Decimal> {
        match value {
            serde_json::Value::Number(n) => {
                if let Some(i) = n.as_i64() {
                    Some(Decimal(i.to_string()))
                } else if let Some(u) = n.as_u64() {
                    Some(Decimal(u.to_string()))
                } else {
                    n.as_f64().and_then(Decimal::from_f64)
                }
            }
            serde_json::Value::String(s) => Decimal::parse(s.trim()).ok(),
            _ => None,
        }
    }

    /// A float as the shortest decimal that reads back as it (Rust's `Display` of `f64`
    /// writes no exponent); `None` when not finite.
    pub fn from_f64(value: f64) -> Option<Decimal> {
        if !value.is_finite() {
            return None;
        }
        let text = format!("{}", if value == 0.0 { 0.0 } else { value });
        Decimal::parse(&text).ok()
    }

    /// The text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Decimal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// An exact amount in a currency.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Money {
    /// The amount in the currency's main unit (dollars, not cents).
    pub amount: Decimal,
    /// ISO 4217 code.
    pub currency: String,
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn provider_numbers_become_the_decimal_they_stand_for() {
        let of = |v: serde_json::Value| Decimal::from_json(&v).map(|d| d.0);
        assert_eq!(of(json!(0.1)).as_deref(), Some("0.1"));
        assert_eq!(of(json!(1.2)).as_deref(), Some("1.2"));
        assert_eq!(of(json!(5000)).as_deref(), Some("5000"));
        assert_eq!(of(json!(10.0)).as_deref(), Some("10"));
        assert_eq!(of(json!(19.99)).as_deref(), Some("19.99"));
        assert_eq!(of(json!(1e21)).as_deref(), Some("1000000000000000000000"));
        assert_eq!(of(json!(0.0000001)).as_deref(), Some("0.0000001"));
        assert_eq!(of(json!(-0.0)).as_deref(), Some("0"));
        assert_eq!(of(json!("12.50")).as_deref(), Some("12.50"));
        assert_eq!(of(json!("abc")), None);
        assert_eq!(of(json!(null)), None);
        assert_eq!(of(json!(true)), None);
    }

    #[test]
    fn only_plain_decimals_parse() {
        for good in ["0", "12", "12.50", "-3", "-0.5"] {
            assert!(Decimal::parse(good).is_ok(), "{good}");
        }
        for bad in [
            "", "-", ".5", "5.", "1e3", "1.2.3", " 1", "+1", "NaN", "1,5",
        ] {
            assert!(Decimal::parse(bad).is_err(), "{bad}");
        }
    }
}
