//! Parsing of query strings and JSON bodies into checked values; every failure is a 400
//! `invalid_argument` naming the `field` (overview "约定").

use serde_json::{Map, Value};

use super::clock;
use super::errors::{ApiError, ApiResult};

/// The query string as ordered pairs; the first occurrence of a name wins.
#[derive(Clone, Debug, Default)]
pub struct Query(pub Vec<(String, String)>);

impl Query {
    pub fn parse(raw: Option<&str>) -> ApiResult<Self> {
        match raw {
            None | Some("") => Ok(Query::default()),
            Some(q) => serde_urlencoded::from_str::<Vec<(String, String)>>(q)
                .map(Query)
                .map_err(|_| ApiError::invalid_request("query string is not valid")),
        }
    }

    /// The value, with empty strings treated as absent.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
            .filter(|v| !v.is_empty())
    }

    /// One of `allowed`, or absent.
    pub fn one_of(&self, name: &str, allowed: &[&str]) -> ApiResult<Option<String>> {
        match self.get(name) {
            None => Ok(None),
            Some(v) if allowed.contains(&v) => Ok(Some(v.to_string())),
            Some(v) => Err(ApiError::invalid(
                name,
                format!("{name} must be one of {}, got {v:?}", allowed.join(", ")),
            )),
        }
    }

    pub fn bool(&self, name: &str) -> ApiResult<Option<bool>> {
        match self.get(name) {
            None => Ok(None),
            Some("true") => Ok(Some(true)),
            Some("false") => Ok(Some(false)),
            Some(_) => Err(ApiError::invalid(
                name,
                format!("{name} must be true or false"),
            )),
        }
    }

    pub fn u64(&self, name: &str) -> ApiResult<Option<u64>> {
        match self.get(name) {
            None => Ok(None),
            Some(v) => v
                .parse::<u64>()
                .map(Some)
                .map_err(|_| ApiError::invalid(name, format!("{name} must be an integer"))),
        }
    }

    /// An RFC 3339 time or a plain date; the flag says it was a plain date.
    pub fn time(&self, name: &str) -> ApiResult<Option<(i64, bool)>> {
        match self.get(name) {
            None => Ok(None),
            Some(v) => clock::parse(v).map(Some).ok_or_else(|| {
                ApiError::invalid(
                    name,
                    format!("{name} must be an RFC 3339 timestamp or a YYYY-MM-DD date"),
                )
            }),
        }
    }

    pub fn time_required(&self, name: &str) -> ApiResult<(i64, bool)> {
        self.time(name)?
            .ok_or_else(|| ApiError::invalid(name, format!("{name} is required")))
    }
}

/// A JSON object body. An empty body reads as `{}`.
#[derive(Clone, Debug, Default)]
pub struct Body(pub Map<String, Value>);

impl Body {
    pub fn parse(raw: &[u8]) -> ApiResult<Self> {
        if raw.iter().all(u8::is_ascii_whitespace) {
            return Ok(Body::default());
        }
        match serde_json::from_slice::<Value>(raw) {
            Ok(Value::Object(map)) => Ok(Body(map)),
            Ok(_) => Err(ApiError::invalid_request("body must be a JSON object")),
            Err(e) => Err(ApiError::invalid_request(format!(
                "body is not valid JSON: {e}"
            ))),
        }
    }

    pub fn has(&self, name: &str) -> bool {
        self.0.contains_key(name)
    }

    /// Present and not null.
    fn value(&self, name: &str) -> Option<&Value> {
        self.0.get(name).filter(|v| !v.is_null())
    }

    pub fn str_opt(&self, name: &str) -> ApiResult<Option<&str>> {
        match self.value(name) {
            None => Ok(None),
            Some(Value::String(s)) => Ok(Some(s.as_str())),
            Some(_) => Err(ApiError::invalid(name, format!("{name} must be a string"))),
        }
    }

    pub fn str_required(&self, name: &str) -> ApiResult<&str> {
        match self.str_opt(name)? {
            Some(s) if !s.is_empty() => Ok(s),
            _ => Err(ApiError::invalid(name, format!("{name} is required"))),
        }
    }

    pub fn one_of(&self, name: &str, allowed: &[&str]) -> ApiResult<Option<String>> {
        match self.str_opt(name)? {
            None => Ok(None),
            Some(v) if allowed.contains(&v) => Ok(Some(v.to_string())),
            Some(v) => Err(ApiError::invalid(
                name,
                format!("{name} must be one of {}, got {v:?}", allowed.join(", ")),
            )),
        }
    }

    pub fn one_of_required(&self, name: &str, allowed: &[&str]) -> ApiResult<String> {
        self.one_of(name, allowed)?
            .ok_or_else(|| ApiError::invalid(name, format!("{name} is required")))
    }

    /// An integer within `lo..=hi`, or absent.
    pub fn int_opt(&self, name: &str, lo: u64, hi: u64) -> ApiResult<Option<u64>> {
        match self.value(name) {
            None => Ok(None),
            Some(v) => match v.as_u64() {
                Some(n) if (lo..=hi).contains(&n) => Ok(Some(n)),
                _ => Err(ApiError::invalid(
                    name,
                    format!("{name} must be an integer from {lo} to {hi}"),
                )),
            },
        }
    }

    pub fn int_required(&self, name: &str, lo: u64, hi: u64) -> ApiResult<u64> {
        self.int_opt(name, lo, hi)?
            .ok_or_else(|| ApiError::invalid(name, format!("{name} is required")))
    }

    pub fn object_opt(&self, name: &str) -> ApiResult<Option<&Map<String, Value>>> {
        match self.value(name) {
            None => Ok(None),
            Some(Value::Object(m)) => Ok(Some(m)),
            Some(_) => Err(ApiError::invalid(name, format!("{name} must be an object"))),
        }
    }

    /// An array of strings each in `allowed`, without duplicates, or absent.
    pub fn enum_list(&self, name: &str, allowed: &[&str]) -> ApiResult<Option<Vec<String>>> {
        let Some(v) = self.value(name) else {
            return Ok(None);
        };
        let bad = || {
            ApiError::invalid(
                name,
                format!(
                    "{name} must be a non-empty array of distinct values from {}",
                    allowed.join(", ")
                ),
            )
        };
        let items = v.as_array().ok_or_else(bad)?;
        let mut out: Vec<String> = Vec::new();
        for item in items {
            let s = item.as_str().ok_or_else(bad)?;
            if !allowed.contains(&s) || out.iter().any(|o| o == s) {
                return Err(bad());
            }
            out.push(s.to_string());
        }
        if out.is_empty() {
            return Err(bad());
        }
        Ok(Some(out))
    }
}

/// A label or name: 1–64 characters from `[A-Za-z0-9 ._-]`. The SUB constraints table was not
/// recovered (§11); this is the simulator's choice.
pub fn check_label(field: &str, label: &str) -> ApiResult<()> {
    let ok_chars = label
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || matches!(c, ' ' | '.' | '_' | '-'));
    if label.is_empty() || label.chars().count() > 64 || !ok_chars {
        return Err(ApiError::invalid(
            field,
            format!("{field} must be 1-64 characters from A-Z a-z 0-9 space . _ -"),
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn body_validators_name_the_field() {
        let b = Body::parse(br#"{"gb": 0, "products": ["residential", "x"], "label": 5}"#)
            .expect("object");
        assert_eq!(
            b.int_required("gb", 1, 10).map_err(|e| e.field),
            Err(Some("gb".into()))
        );
        assert!(b.enum_list("products", &["residential"]).is_err());
        assert!(b.str_opt("label").is_err());
        assert!(Body::parse(b"[1]").is_err());
        assert!(Body::parse(b"").is_ok());
    }

    #[test]
    fn query_takes_the_first_value_and_ignores_empty_ones() {
        let q = Query::parse(Some("a=1&a=2&b=")).expect("query");
        assert_eq!(q.get("a"), Some("1"));
        assert_eq!(q.get("b"), None);
    }
}
