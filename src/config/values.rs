//! Parsers of setting values: each returns what is wrong without echoing the value, so the
//! caller can name the setting (and hide a secret).

use secrecy::SecretString;

use super::DatabaseUrl;

/// Parses an unsigned integer and checks it lies in `min..=max`.
pub fn parse_in_range<T>(value: &str, min: T, max: T) -> Result<T, String>
where
    T: std::str::FromStr + PartialOrd + std::fmt::Display + Copy,
{
    let n: T = value
        .trim()
        .parse()
        .map_err(|_| format!("expected a whole number between {min} and {max}"))?;
    if n < min || n > max {
        return Err(format!("expected a whole number between {min} and {max}"));
    }
    Ok(n)
}

/// A `postgres://…` or `sqlite://…` URL.
pub fn parse_database_url(value: &str) -> Result<DatabaseUrl, String> {
    let ok = ["postgres://", "postgresql://", "sqlite://", "sqlite:"]
        .iter()
        .any(|scheme| value.starts_with(scheme));
    if !ok {
        return Err("expected a postgres://… or sqlite://… URL".to_string());
    }
    Ok(DatabaseUrl::new(value))
}

pub fn parse_bool(value: &str) -> Result<bool, String> {
    match value {
        "true" | "1" | "yes" => Ok(true),
        "false" | "0" | "no" => Ok(false),
        _ => Err("expected true or false".to_string()),
    }
}

/// A bearer token Prometheus sends: long enough not to be guessed, and a valid header value.
pub fn parse_metrics_token(value: &str) -> Result<SecretString, String> {
    let ok = (8..=512).contains(&value.len()) && value.chars().all(|c| c.is_ascii_graphic());
    if ok {
        Ok(SecretString::from(value.to_string()))
    } else {
        Err("must be 8-512 printable ASCII characters without spaces".to_string())
    }
}

/// A provider credential: 1–512 printable characters (trimmed).
pub fn parse_credential(value: &str) -> Result<SecretString, String> {
    let ok = !value.trim().is_empty() && value.len() <= 512 && !value.chars().any(char::is_control);
    if ok {
        Ok(SecretString::from(value.trim().to_string()))
    } else {
        Err("must be 1-512 printable characters".to_string())
    }
}

/// A provider base URL: http(s), no query; the trailing slash is dropped.
pub fn parse_base_url(value: &str) -> Result<String, String> {
    let ok = (value.starts_with("http://") || value.starts_with("https://"))
        && value.len() > "https://".len()
        && !value.contains(char::is_whitespace)
        && !value.contains('?');
    if ok {
        Ok(value.trim_end_matches('/').to_string())
    } else {
        Err("expected an http:// or https:// URL without a query".to_string())
    }
}

/// An IANA zone name (`Asia/Shanghai`, from the bundled database) or a fixed offset (`+08:00`).
pub fn parse_timezone(value: &str) -> Result<jiff::tz::TimeZone, String> {
    if let Some(offset) = parse_fixed_offset(value) {
        return Ok(jiff::tz::TimeZone::fixed(offset));
    }
    jiff::tz::TimeZone::get(value).map_err(|_| {
        "expected an IANA time zone like Asia/Shanghai or an offset like +08:00".to_string()
    })
}

fn parse_fixed_offset(value: &str) -> Option<jiff::tz::Offset> {
    let rest = value
        .strip_prefix("UTC")
        .or_else(|| value.strip_prefix("GMT"))
        .unwrap_or(value);
    if rest.is_empty() {
        return (value == "UTC" || value == "GMT").then_some(jiff::tz::Offset::UTC);
    }
    let (sign, digits) = match rest.as_bytes().first()? {
        b'+' => (1, &rest[1..]),
        b'-' => (-1, &rest[1..]),
        _ => return None,
    };
    let (hours, minutes) = match digits.split_once(':') {
        Some((h, m)) => (h.parse::<i32>().ok()?, m.parse::<i32>().ok()?),
        None => (digits.parse::<i32>().ok()?, 0),
    };
    if hours > 14 || minutes > 59 {
        return None;
    }
    jiff::tz::Offset::from_seconds(sign * (hours * 3600 + minutes * 60)).ok()
}
