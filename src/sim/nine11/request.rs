//! The request as the handlers see it: query and body parameters merged, typed on demand.
//!
//! Extraction never fails: a malformed query or body is remembered and answered later with the
//! documented parameter-error envelope (after the app_key check), never with an axum rejection.

use std::collections::HashMap;
use std::convert::Infallible;

use axum::body::Bytes;
use axum::extract::{FromRequest, Request};
use axum::http::header;
use serde_json::{Map, Value};

use super::envelope::{Failure, Lang};

/// Query and body parameters of one request.
#[derive(Debug, Default)]
pub(crate) struct Req {
    query: HashMap<String, String>,
    body: Map<String, Value>,
    /// `Some("query")` or `Some("body")` when that part could not be parsed.
    malformed: Option<&'static str>,
}

/// One parameter's raw value, wherever it came from.
enum Raw<'a> {
    /// A JSON string or any query parameter.
    Text(&'a str),
    /// Any other JSON value.
    Json(&'a Value),
}

impl<S: Send + Sync> FromRequest<S> for Req {
    type Rejection = Infallible;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let mut out = Req::default();
        match serde_urlencoded::from_str::<Vec<(String, String)>>(req.uri().query().unwrap_or("")) {
            // A repeated key keeps its last value (PHP's reading of a query string).
            Ok(pairs) => out.query = pairs.into_iter().collect(),
            Err(_) => out.malformed = Some("query"),
        }
        let is_form = req
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.starts_with("application/x-www-form-urlencoded"));
        let Ok(bytes) = Bytes::from_request(req, state).await else {
            out.malformed = Some("body");
            return Ok(out);
        };
        if bytes.iter().all(u8::is_ascii_whitespace) {
            return Ok(out);
        }
        // The document sends JSON bodies; form bodies are accepted too, as a PHP backend would.
        let parsed = if is_form {
            serde_urlencoded::from_bytes::<Vec<(String, String)>>(&bytes)
                .map(|pairs| {
                    pairs
                        .into_iter()
                        .map(|(k, v)| (k, Value::String(v)))
                        .collect()
                })
                .ok()
        } else {
            match serde_json::from_slice::<Value>(&bytes) {
                Ok(Value::Object(map)) => Some(map),
                _ => None,
            }
        };
        match parsed {
            Some(map) => out.body = map,
            None => out.malformed = Some("body"),
        }
        Ok(out)
    }
}

impl Req {
    /// A request from literal parts (unit tests).
    #[cfg(test)]
    pub(crate) fn from_parts(query: &[(&str, &str)], body: Value) -> Req {
        Req {
            query: query
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
            body: match body {
                Value::Object(map) => map,
                _ => Map::new(),
            },
            malformed: None,
        }
    }

    /// Which part of the request could not be parsed, if any.
    pub(crate) fn malformed(&self) -> Option<&'static str> {
        self.malformed
    }

    // A body field wins over a query parameter of the same name (Laravel's `input()` merge; the
    // backend's `Y-m-d H:i:s` times and error shape point to PHP) [INF].
    fn raw(&self, name: &str) -> Option<Raw<'_>> {
        match self.body.get(name) {
            Some(Value::String(s)) => Some(Raw::Text(s)),
            Some(v) => Some(Raw::Json(v)),
            None => self.query.get(name).map(|s| Raw::Text(s)),
        }
    }

    /// The app_key, from the JSON body or the query (the document allows both on POST).
    pub(crate) fn app_key(&self) -> Option<&str> {
        match self.raw("app_key")? {
            Raw::Text(s) => Some(s),
            Raw::Json(_) => None,
        }
    }

    /// English messages with `language=en`, Chinese otherwise.
    pub(crate) fn lang(&self) -> Lang {
        match self.raw("language") {
            Some(Raw::Text(s)) if s.eq_ignore_ascii_case("en") => Lang::En,
            _ => Lang::Zh,
        }
    }

    /// An optional string; numbers are taken as their decimal text. An empty string counts as
    /// absent (Laravel's ConvertEmptyStringsToNull) [INF].
    pub(crate) fn opt_str(&self, name: &'static str) -> Result<Option<String>, Failure> {
        let s = match self.raw(name) {
            None | Some(Raw::Json(Value::Null)) => return Ok(None),
            Some(Raw::Json(Value::Number(n))) => n.to_string(),
            Some(Raw::Text(s)) => s.to_string(),
            Some(Raw::Json(_)) => {
                return Err(Failure::param(
                    name,
                    format!("The {name} must be a string."),
                ));
            }
        };
        Ok(if s.is_empty() { None } else { Some(s) })
    }

    /// A required string.
    pub(crate) fn req_str(&self, name: &'static str) -> Result<String, Failure> {
        self.opt_str(name)?
            .ok_or_else(|| Failure::param(name, format!("The {name} field is required.")))
    }

    /// An optional integer, as a JSON number or a decimal string.
    pub(crate) fn opt_int(&self, name: &'static str) -> Result<Option<i64>, Failure> {
        let bad = || Failure::param(name, format!("The {name} must be an integer."));
        match self.raw(name) {
            None | Some(Raw::Json(Value::Null)) => Ok(None),
            Some(Raw::Json(Value::Number(n))) => n.as_i64().map(Some).ok_or_else(bad),
            Some(Raw::Text("")) => Ok(None),
            Some(Raw::Text(s)) => s.parse::<i64>().map(Some).map_err(|_| bad()),
            Some(Raw::Json(_)) => Err(bad()),
        }
    }

    /// A required integer.
    pub(crate) fn req_int(&self, name: &'static str) -> Result<i64, Failure> {
        self.opt_int(name)?
            .ok_or_else(|| Failure::param(name, format!("The {name} field is required.")))
    }

    /// An optional boolean: JSON true/false, or `1`/`0`/`true`/`false` as text.
    pub(crate) fn opt_bool(&self, name: &'static str) -> Result<Option<bool>, Failure> {
        let bad = || Failure::param(name, format!("The {name} field must be true or false."));
        match self.raw(name) {
            None | Some(Raw::Json(Value::Null)) => Ok(None),
            Some(Raw::Json(Value::Bool(b))) => Ok(Some(*b)),
            Some(Raw::Json(Value::Number(n))) => match n.as_i64() {
                Some(0) => Ok(Some(false)),
                Some(1) => Ok(Some(true)),
                _ => Err(bad()),
            },
            Some(Raw::Text(s)) => match s {
                "" => Ok(None),
                "1" | "true" => Ok(Some(true)),
                "0" | "false" => Ok(Some(false)),
                _ => Err(bad()),
            },
            Some(Raw::Json(_)) => Err(bad()),
        }
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn body_field_wins_over_query_parameter() {
        let req = Req::from_parts(&[("app_key", "q")], json!({"app_key": "b"}));
        assert_eq!(req.app_key(), Some("b"));
    }

    #[test]
    fn integers_come_from_numbers_or_decimal_strings() {
        let req = Req::from_parts(&[("page", "3")], json!({"limit": 7, "size": "x"}));
        assert_eq!(req.opt_int("page"), Ok(Some(3)));
        assert_eq!(req.opt_int("limit"), Ok(Some(7)));
        assert!(req.opt_int("size").is_err());
        assert_eq!(req.opt_int("absent"), Ok(None));
    }

    #[test]
    fn empty_string_counts_as_absent() {
        let req = Req::from_parts(&[("trade_no", "")], json!({"remark": ""}));
        assert_eq!(req.opt_str("trade_no"), Ok(None));
        assert_eq!(req.opt_str("remark"), Ok(None));
    }
}
