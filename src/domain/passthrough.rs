//! The administrators' escape hatch: one upstream call the normalized API does not cover,
//! sent with the account's own credential. The rules that keep it safe are here, pure: which
//! paths a provider lets through (an allow-list of prefixes, with the credential and security
//! endpoints refused whatever the list says), what a path may look like, and how an answer is
//! cleaned of secrets before the caller sees it.

use serde_json::Value;

use crate::domain::audit::redact::{REDACTED, is_secret_key};

/// The methods a passthrough call may use.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PassthroughMethod {
    /// A read.
    Get,
    /// A write.
    Post,
    /// A write.
    Put,
    /// A write.
    Patch,
    /// A write.
    Delete,
}

impl PassthroughMethod {
    /// Whether the call changes something upstream (then it needs an `Idempotency-Key`).
    pub fn is_write(self) -> bool {
        self != PassthroughMethod::Get
    }

    /// The HTTP name.
    pub fn as_str(self) -> &'static str {
        match self {
            PassthroughMethod::Get => "GET",
            PassthroughMethod::Post => "POST",
            PassthroughMethod::Put => "PUT",
            PassthroughMethod::Patch => "PATCH",
            PassthroughMethod::Delete => "DELETE",
        }
    }
}

/// One call to pass through, already checked for shape (not yet against a provider's list).
#[derive(Clone, Debug)]
pub struct PassthroughRequest {
    /// The method.
    pub method: PassthroughMethod,
    /// The path under the account's API root, as the provider documents it.
    pub path: String,
    /// Query parameters, in order.
    pub query: Vec<(String, String)>,
    /// The JSON body of a write.
    pub body: Option<Value>,
}

/// What the provider answered, cleaned of secrets.
#[derive(Clone, Debug, PartialEq)]
pub struct PassthroughAnswer {
    /// The provider's HTTP status.
    pub status: u16,
    /// The provider's `Content-Type`, when it sent one.
    pub content_type: Option<String>,
    /// The body: JSON when it parsed as JSON, else text (an empty body is `None`).
    pub body: Option<PassthroughBody>,
}

/// A passed-through body.
#[derive(Clone, Debug, PartialEq)]
pub enum PassthroughBody {
    /// A JSON document.
    Json(Value),
    /// Anything else, as UTF-8 text (invalid bytes replaced).
    Text(String),
}

/// The longest path accepted.
const MAX_PATH_CHARS: usize = 512;

/// The characters a path segment may hold: RFC 3986 unreserved and sub-delims, `:` and `@`.
/// No `%` (an escape could spell a segment the allow-list names differently), no `?` or `#`.
const SEGMENT_CHARS: &str = "-._~:@!$&'()*+,;=";

/// What [`check_path_shape`] accepts, as the published schema states it: `/`, or segments of
/// [`SEGMENT_CHARS`] and letters and digits, none starting with `.` (so no `.` or `..`),
/// with an optional trailing `/`.
pub const PATH_PATTERN: &str =
    r"^(?:(?:/[A-Za-z0-9_~:@!$&'()*+,;=-][A-Za-z0-9._~:@!$&'()*+,;=-]*)+/?|/)$";

/// Checks the shape of a path before any list is consulted (see [`PATH_PATTERN`]); the error
/// says what is wrong.
pub fn check_path_shape(path: &str) -> Result<(), String> {
    if !path.starts_with('/') {
        return Err("path must start with '/'".into());
    }
    if path.len() > MAX_PATH_CHARS {
        return Err(format!("path holds at most {MAX_PATH_CHARS} characters"));
    }
    if let Some(bad) = path
        .chars()
        .find(|c| !c.is_ascii_alphanumeric() && *c != '/' && !SEGMENT_CHARS.contains(*c))
    {
        return Err(format!(
            "path may not contain {bad:?}: give query parameters in `query`, and no escapes"
        ));
    }
    let body = path[1..].strip_suffix('/').unwrap_or(&path[1..]);
    if !body.is_empty() && body.split('/').any(|s| s.is_empty() || s.starts_with('.')) {
        return Err("path may not contain empty segments or segments starting with '.'".into());
    }
    Ok(())
}

/// A provider's passthrough rules: the path prefixes it lets through and the ones it never
/// does. Prefixes match whole segments (`/subusers` matches `/subusers/sub_1`, not
/// `/subusersx`); a denied prefix wins over an allowed one.
#[derive(Clone, Copy, Debug)]
pub struct AllowList {
    /// Prefixes that may be called.
    pub allowed: &'static [&'static str],
    /// Prefixes that may never be called (credentials, security settings).
    pub denied: &'static [&'static str],
}

impl AllowList {
    /// Whether `path` (already shape-checked) may be called; the error names why not.
    pub fn check(&self, path: &str) -> Result<(), String> {
        let under = |prefix: &str| {
            let prefix = prefix.trim_end_matches('/');
            path == prefix
                || path
                    .strip_prefix(prefix)
                    .is_some_and(|rest| rest.starts_with('/'))
        };
        if let Some(prefix) = self.denied.iter().find(|p| under(p)) {
            return Err(format!(
                "{path} is under {prefix}, which passthrough never calls (credentials and security settings)"
            ));
        }
        if !self.allowed.iter().any(|p| under(p)) {
            return Err(format!(
                "{path} is not under a path this provider lets through ({})",
                self.allowed.join(", ")
            ));
        }
        Ok(())
    }
}

/// `value` with every secret removed: values under secret-named keys (as the audit log
/// recognises them) and any string holding one of `secrets` (the account's credential, should
/// the provider echo it). Nothing else changes: no string is cut, no key reordered.
pub fn redact_answer(value: Value, secrets: &[&str]) -> Value {
    match value {
        Value::Object(map) => Value::Object(
            map.into_iter()
                .map(|(key, value)| {
                    let value = if is_secret_key(&key) && !value.is_null() {
                        Value::String(REDACTED.into())
                    } else {
                        redact_answer(value, secrets)
                    };
                    (key, value)
                })
                .collect(),
        ),
        Value::Array(items) => Value::Array(
            items
                .into_iter()
                .map(|item| redact_answer(item, secrets))
                .collect(),
        ),
        Value::String(text) => Value::String(redact_text(text, secrets)),
        other => other,
    }
}

/// `text` with every occurrence of each non-empty secret replaced.
pub fn redact_text(mut text: String, secrets: &[&str]) -> String {
    for secret in secrets.iter().filter(|s| !s.is_empty()) {
        if text.contains(secret) {
            text = text.replace(secret, REDACTED);
        }
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const HELODATA: AllowList = AllowList {
        allowed: &["/subusers", "/users/me"],
        denied: &["/tokens", "/users/me/security"],
    };

    #[test]
    fn prefixes_match_whole_segments_and_denials_win() {
        assert!(HELODATA.check("/subusers").is_ok());
        assert!(HELODATA.check("/subusers/sub_1/rotate-password").is_ok());
        assert!(HELODATA.check("/users/me").is_ok());
        assert!(HELODATA.check("/subusersx").is_err());
        let denied = HELODATA.check("/users/me/security/mfa").unwrap_err();
        assert!(denied.contains("never"), "{denied}");
        assert!(HELODATA.check("/tokens/tok_1/rotate").is_err());
        assert!(HELODATA.check("/orders").unwrap_err().contains("/subusers"));
    }

    #[test]
    fn paths_that_could_reach_around_the_list_are_refused() {
        for bad in [
            "subusers",
            "/subusers/../tokens",
            "/subusers/./x",
            "//tokens",
            "/subusers//x",
            "/tokens%2Frotate",
            "/subusers?x=1",
            "/subusers#x",
            "/sub users",
            "/subusers\\..\\tokens",
            "/süb",
        ] {
            assert!(check_path_shape(bad).is_err(), "{bad}");
        }
        for good in [
            "/subusers",
            "/subusers/",
            "/api-gate-way/order/list",
            "/",
            "/isp/ips/1.2.3.4",
        ] {
            assert!(check_path_shape(good).is_ok(), "{good}");
        }
        for bad in ["/.hidden", "/a/.", "/a//"] {
            assert!(check_path_shape(bad).is_err(), "{bad}");
        }
    }

    proptest::proptest! {
        /// The published pattern and the check agree on every path, so a client that follows
        /// the schema is never refused for the path's shape.
        #[test]
        fn the_published_pattern_is_exactly_the_check(path in "[/a-z.%?_~:@!*+=-]{0,24}") {
            let pattern = regex::Regex::new(PATH_PATTERN).unwrap();
            proptest::prop_assert_eq!(check_path_shape(&path).is_ok(), pattern.is_match(&path), "{}", path);
        }
    }

    #[test]
    fn answers_lose_their_secrets_and_nothing_else() {
        let answer = json!({
            "code": 200,
            "data": {"list": [{"username": "u1", "password": "p@ss", "remark": "key is hel_live_XYZ"}]},
            "token": "abc",
            "echo": "app_key=SECRETKEY&page=1",
            "long": "x".repeat(1000),
        });
        let clean = redact_answer(answer, &["SECRETKEY"]);
        assert_eq!(clean["data"]["list"][0]["password"], REDACTED);
        assert_eq!(clean["data"]["list"][0]["username"], "u1");
        assert_eq!(clean["token"], REDACTED);
        assert_eq!(clean["echo"], "app_key=[redacted]&page=1");
        assert_eq!(clean["long"].as_str().unwrap().len(), 1000);
        assert_eq!(clean["code"], 200);
    }
}
