//! Fault rules: what to break, on which calls, how often. Rules are checked in the order they
//! were added; the first one that matches the call and fires is applied, and only that one.

use serde::Serialize;
use serde_json::{Map, Value};

use super::calls::path_matches;
use super::provider_errors;
use crate::sim::SimProvider;

/// The longest latency a rule may ask for (an hour), so a typo cannot wedge a test run.
const MAX_LATENCY_MS: u64 = 3_600_000;
/// The longest `Retry-After` a rule may ask for (a day).
const MAX_RETRY_AFTER: u64 = 86_400;

/// When the fault happens relative to the provider handler.
#[derive(Clone, Copy, Debug, Default, Serialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum Phase {
    /// The handler does not run (except for `latency`, which waits and then runs it).
    #[default]
    Before,
    /// The handler runs (its effect happens), then the fault replaces or delays the answer.
    After,
}

/// What the fault does.
#[derive(Clone, Debug, Serialize, PartialEq)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum FaultKind {
    /// Waits `ms` before running the handler (`before`) or before answering (`after`).
    Latency { ms: u64 },
    /// Answers `status`, with `body` as JSON (or as text when it is a JSON string).
    HttpError {
        status: u16,
        #[serde(skip_serializing_if = "Option::is_none")]
        body: Option<Value>,
    },
    /// 429 with `Retry-After: retry_after`, in the provider's style.
    RateLimit { retry_after: u64 },
    /// Closes the connection without any HTTP answer.
    Close,
    /// Never answers: holds the request until the client gives up or the simulator stops.
    Hang,
    /// HTTP 200, `Content-Type: application/json`, a body that does not parse. With `after`,
    /// the handler's own body cut in half, unless `body` is given.
    MalformedJson {
        #[serde(skip_serializing_if = "Option::is_none")]
        body: Option<String>,
    },
    /// The provider's own error: 911 integer `code` (HTTP 200 by default), helodata string
    /// `code` with its documented status.
    ProviderError {
        code: Value,
        status: u16,
        #[serde(skip_serializing_if = "Option::is_none")]
        message: Option<String>,
        #[serde(skip_serializing_if = "Option::is_none")]
        field: Option<String>,
    },
}

/// What a call log entry says about the fault applied to it.
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct AppliedFault {
    /// The id of the rule that fired.
    pub rule: u64,
    #[serde(flatten)]
    pub kind: FaultKind,
    pub phase: Phase,
}

/// How often a matching rule fires.
#[derive(Clone, Debug)]
enum Trigger {
    Always,
    Times {
        times: u64,
        remaining: u64,
    },
    Fraction {
        fraction: f64,
        seed: u64,
        state: u64,
    },
}

impl Trigger {
    fn fire(&mut self) -> bool {
        match self {
            Trigger::Always => true,
            Trigger::Times { remaining, .. } => {
                let fire = *remaining > 0;
                *remaining = remaining.saturating_sub(1);
                fire
            }
            Trigger::Fraction {
                fraction, state, ..
            } => unit_interval(splitmix64(state)) < *fraction,
        }
    }

    fn exhausted(&self) -> bool {
        matches!(self, Trigger::Times { remaining: 0, .. })
    }
}

/// splitmix64: a tiny, well-mixed generator, so a `fraction` rule with a given seed faults the
/// same calls on every run.
fn splitmix64(state: &mut u64) -> u64 {
    *state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
    let mut z = *state;
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// A number in `[0, 1)` from the top 53 bits.
fn unit_interval(x: u64) -> f64 {
    (x >> 11) as f64 / (1u64 << 53) as f64
}

/// An active rule.
#[derive(Clone, Debug)]
pub struct FaultRule {
    id: u64,
    kind: FaultKind,
    phase: Phase,
    path: Option<String>,
    method: Option<String>,
    trigger: Trigger,
    matched: u64,
    applied: u64,
}

/// A rule as `GET /__sim/faults` shows it.
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct FaultRuleView {
    pub id: u64,
    #[serde(flatten)]
    pub kind: FaultKind,
    pub phase: Phase,
    pub path: Option<String>,
    pub method: Option<String>,
    /// `times` as given; `remaining` counts down to 0, when the rule is removed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub times: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub remaining: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fraction: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub seed: Option<u64>,
    /// Calls that matched `path` and `method` while no earlier rule fired.
    pub matched: u64,
    /// Calls the rule was applied to.
    pub applied: u64,
}

impl FaultRule {
    fn matches(&self, method: &str, path: &str) -> bool {
        self.method.as_deref().is_none_or(|m| m == method)
            && self
                .path
                .as_deref()
                .is_none_or(|pattern| path_matches(pattern, path))
    }

    pub fn view(&self) -> FaultRuleView {
        let (times, remaining, fraction, seed) = match self.trigger {
            Trigger::Always => (None, None, None, None),
            Trigger::Times { times, remaining } => (Some(times), Some(remaining), None, None),
            Trigger::Fraction { fraction, seed, .. } => (None, None, Some(fraction), Some(seed)),
        };
        FaultRuleView {
            id: self.id,
            kind: self.kind.clone(),
            phase: self.phase,
            path: self.path.clone(),
            method: self.method.clone(),
            times,
            remaining,
            fraction,
            seed,
            matched: self.matched,
            applied: self.applied,
        }
    }
}

/// The active rules of one simulator.
#[derive(Debug, Default)]
pub struct FaultSet {
    rules: Vec<FaultRule>,
    last_id: u64,
}

impl FaultSet {
    /// Adds a rule checked by [`parse_rule`]; a `fraction` rule without a seed gets one derived
    /// from the simulator's seed and the rule id, so runs repeat.
    pub fn add(&mut self, rule: NewRule, sim_seed: u64) -> FaultRuleView {
        self.last_id += 1;
        let id = self.last_id;
        let trigger = match rule.trigger {
            NewTrigger::Always => Trigger::Always,
            NewTrigger::Times(times) => Trigger::Times {
                times,
                remaining: times,
            },
            NewTrigger::Fraction { fraction, seed } => {
                let seed = seed.unwrap_or_else(|| {
                    let mut mix = sim_seed ^ id.rotate_left(32);
                    splitmix64(&mut mix)
                });
                Trigger::Fraction {
                    fraction,
                    seed,
                    state: seed,
                }
            }
        };
        let rule = FaultRule {
            id,
            kind: rule.kind,
            phase: rule.phase,
            path: rule.path,
            method: rule.method,
            trigger,
            matched: 0,
            applied: 0,
        };
        let view = rule.view();
        self.rules.push(rule);
        view
    }

    /// The fault for a call, if a rule fires; a `times` rule that has run out is removed.
    pub fn pick(&mut self, method: &str, path: &str) -> Option<AppliedFault> {
        let index = self.rules.iter_mut().position(|rule| {
            if !rule.matches(method, path) {
                return false;
            }
            rule.matched += 1;
            let fire = rule.trigger.fire();
            if fire {
                rule.applied += 1;
            }
            fire
        })?;
        let rule = self.rules.get(index)?;
        let applied = AppliedFault {
            rule: rule.id,
            kind: rule.kind.clone(),
            phase: rule.phase,
        };
        if rule.trigger.exhausted() {
            self.rules.remove(index);
        }
        Some(applied)
    }

    pub fn list(&self) -> Vec<FaultRuleView> {
        self.rules.iter().map(FaultRule::view).collect()
    }

    /// Removes every rule and returns how many there were.
    pub fn clear(&mut self) -> usize {
        let cleared = self.rules.len();
        self.rules.clear();
        cleared
    }

    /// Removes rule `id`; false when there is none.
    pub fn remove(&mut self, id: u64) -> bool {
        let before = self.rules.len();
        self.rules.retain(|rule| rule.id != id);
        self.rules.len() != before
    }
}

/// A rule checked and ready to add.
#[derive(Clone, Debug, PartialEq)]
pub struct NewRule {
    kind: FaultKind,
    phase: Phase,
    path: Option<String>,
    method: Option<String>,
    trigger: NewTrigger,
}

#[derive(Clone, Debug, PartialEq)]
enum NewTrigger {
    Always,
    Times(u64),
    Fraction { fraction: f64, seed: Option<u64> },
}

/// Control input that was refused, naming the member at fault (`None`: the input as a whole).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FieldError {
    pub field: Option<String>,
    pub message: String,
}

impl FieldError {
    pub fn new(field: &str, message: impl Into<String>) -> Self {
        FieldError {
            field: Some(field.to_owned()),
            message: message.into(),
        }
    }

    pub fn whole(message: impl Into<String>) -> Self {
        FieldError {
            field: None,
            message: message.into(),
        }
    }
}

const COMMON_FIELDS: [&str; 7] = [
    "kind", "phase", "path", "method", "times", "fraction", "seed",
];

/// Checks a rule as posted to `/__sim/faults`; `provider` decides the type of a provider
/// error's `code` and its default status.
pub fn parse_rule(provider: SimProvider, input: &Value) -> Result<NewRule, FieldError> {
    let obj = input
        .as_object()
        .ok_or_else(|| FieldError::whole("a fault rule is a JSON object"))?;
    let kind_name = match obj.get("kind") {
        Some(Value::String(kind)) => kind.as_str(),
        Some(_) => return Err(FieldError::new("kind", "must be a string")),
        None => return Err(FieldError::new("kind", "is required")),
    };
    let (kind, own_fields): (FaultKind, &[&str]) = match kind_name {
        "latency" => {
            let ms = required_u64(obj, "ms")?;
            if ms > MAX_LATENCY_MS {
                return Err(FieldError::new(
                    "ms",
                    format!("must be at most {MAX_LATENCY_MS}"),
                ));
            }
            (FaultKind::Latency { ms }, &["ms"])
        }
        "http_error" => {
            let status = required_u64(obj, "status")?;
            if !(400..=599).contains(&status) {
                return Err(FieldError::new(
                    "status",
                    "must be an HTTP error status, 400 to 599",
                ));
            }
            let kind = FaultKind::HttpError {
                status: u16::try_from(status).unwrap_or(500),
                body: obj.get("body").cloned(),
            };
            (kind, &["status", "body"])
        }
        "rate_limit" => {
            let retry_after = optional_u64(obj, "retry_after")?.unwrap_or(1);
            if retry_after > MAX_RETRY_AFTER {
                return Err(FieldError::new(
                    "retry_after",
                    format!("must be at most {MAX_RETRY_AFTER} seconds"),
                ));
            }
            (FaultKind::RateLimit { retry_after }, &["retry_after"])
        }
        "close" => (FaultKind::Close, &[]),
        "hang" => (FaultKind::Hang, &[]),
        "malformed_json" => {
            let body = optional_str(obj, "body")?;
            if let Some(body) = &body
                && serde_json::from_str::<Value>(body).is_ok()
            {
                return Err(FieldError::new("body", "must not be valid JSON"));
            }
            (FaultKind::MalformedJson { body }, &["body"])
        }
        "provider_error" => parse_provider_error(provider, obj)?,
        other => {
            return Err(FieldError::new(
                "kind",
                format!(
                    "unknown kind {other:?}: expected latency, http_error, rate_limit, close, \
                     hang, malformed_json or provider_error"
                ),
            ));
        }
    };
    if let Some(unknown) = obj
        .keys()
        .find(|key| !COMMON_FIELDS.contains(&key.as_str()) && !own_fields.contains(&key.as_str()))
    {
        return Err(FieldError::new(
            unknown,
            format!("is not a member of a {kind_name} rule"),
        ));
    }
    let phase = match optional_str(obj, "phase")?.as_deref() {
        None | Some("before") => Phase::Before,
        Some("after") => Phase::After,
        Some(_) => return Err(FieldError::new("phase", "must be \"before\" or \"after\"")),
    };
    let path = optional_str(obj, "path")?;
    if let Some(path) = &path {
        let stars = path.matches('*').count();
        if !path.starts_with('/') || stars > 1 || (stars == 1 && !path.ends_with('*')) {
            return Err(FieldError::new(
                "path",
                "must be an exact path starting with / or a prefix ending in *",
            ));
        }
    }
    let method = optional_str(obj, "method")?;
    if let Some(method) = &method
        && (method.is_empty() || !method.bytes().all(|b| b.is_ascii_alphabetic()))
    {
        return Err(FieldError::new(
            "method",
            "must be an HTTP method such as POST",
        ));
    }
    let method = method.map(|m| m.to_ascii_uppercase());
    let times = optional_u64(obj, "times")?;
    let fraction = match obj.get("fraction") {
        None | Some(Value::Null) => None,
        Some(value) => match value.as_f64() {
            Some(f) if (0.0..=1.0).contains(&f) => Some(f),
            _ => return Err(FieldError::new("fraction", "must be a number from 0 to 1")),
        },
    };
    let seed = optional_u64(obj, "seed")?;
    let trigger = match (times, fraction) {
        (Some(_), Some(_)) => {
            return Err(FieldError::new(
                "fraction",
                "give either times or fraction, not both",
            ));
        }
        (Some(0), None) => return Err(FieldError::new("times", "must be at least 1")),
        (Some(times), None) => NewTrigger::Times(times),
        (None, Some(fraction)) => NewTrigger::Fraction { fraction, seed },
        (None, None) => NewTrigger::Always,
    };
    if seed.is_some() && fraction.is_none() {
        return Err(FieldError::new("seed", "only applies to a fraction rule"));
    }
    Ok(NewRule {
        kind,
        phase,
        path,
        method,
        trigger,
    })
}

fn parse_provider_error(
    provider: SimProvider,
    obj: &Map<String, Value>,
) -> Result<(FaultKind, &'static [&'static str]), FieldError> {
    let status = optional_u64(obj, "status")?;
    if let Some(status) = status
        && !(100..=599).contains(&status)
    {
        return Err(FieldError::new(
            "status",
            "must be an HTTP status, 100 to 599",
        ));
    }
    let status = status.and_then(|s| u16::try_from(s).ok());
    let message = optional_str(obj, "message")?;
    match provider {
        SimProvider::Nine11 => {
            let code = match obj.get("code") {
                Some(Value::Number(n)) if n.is_i64() => Value::Number(n.clone()),
                Some(_) => return Err(FieldError::new("code", "must be an integer for 911Proxy")),
                None => return Err(FieldError::new("code", "is required")),
            };
            let kind = FaultKind::ProviderError {
                code,
                status: status.unwrap_or(200),
                message,
                field: None,
            };
            Ok((kind, &["code", "status", "message"]))
        }
        SimProvider::Helodata => {
            let code = match obj.get("code") {
                Some(Value::String(code)) if !code.is_empty() => code.clone(),
                Some(_) => {
                    return Err(FieldError::new(
                        "code",
                        "must be a non-empty string for helodata, e.g. insufficient_balance",
                    ));
                }
                None => return Err(FieldError::new("code", "is required")),
            };
            let kind = FaultKind::ProviderError {
                status: status.unwrap_or_else(|| provider_errors::helodata_status(&code)),
                code: Value::String(code),
                message,
                field: optional_str(obj, "field")?,
            };
            Ok((kind, &["code", "status", "message", "field"]))
        }
    }
}

fn optional_u64(obj: &Map<String, Value>, field: &str) -> Result<Option<u64>, FieldError> {
    match obj.get(field) {
        None | Some(Value::Null) => Ok(None),
        Some(value) => value
            .as_u64()
            .map(Some)
            .ok_or_else(|| FieldError::new(field, "must be a non-negative integer")),
    }
}

fn required_u64(obj: &Map<String, Value>, field: &str) -> Result<u64, FieldError> {
    optional_u64(obj, field)?.ok_or_else(|| FieldError::new(field, "is required"))
}

fn optional_str(obj: &Map<String, Value>, field: &str) -> Result<Option<String>, FieldError> {
    match obj.get(field) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(text)) => Ok(Some(text.clone())),
        Some(_) => Err(FieldError::new(field, "must be a string")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn rule(input: Value) -> NewRule {
        parse_rule(SimProvider::Helodata, &input).expect("valid rule")
    }

    fn refused(provider: SimProvider, input: Value) -> Option<String> {
        parse_rule(provider, &input).err().and_then(|e| e.field)
    }

    #[test]
    fn bad_rules_name_the_field() {
        let h = SimProvider::Helodata;
        assert_eq!(refused(h, json!({})), Some("kind".into()));
        assert_eq!(refused(h, json!({"kind": "boom"})), Some("kind".into()));
        assert_eq!(refused(h, json!({"kind": "latency"})), Some("ms".into()));
        assert_eq!(
            refused(h, json!({"kind": "latency", "ms": -1})),
            Some("ms".into())
        );
        assert_eq!(
            refused(h, json!({"kind": "http_error", "status": 200})),
            Some("status".into())
        );
        assert_eq!(
            refused(h, json!({"kind": "close", "times": 2, "fraction": 0.5})),
            Some("fraction".into())
        );
        assert_eq!(
            refused(h, json!({"kind": "close", "times": 0})),
            Some("times".into())
        );
        assert_eq!(
            refused(h, json!({"kind": "close", "fraction": 1.5})),
            Some("fraction".into())
        );
        assert_eq!(
            refused(h, json!({"kind": "close", "phase": "during"})),
            Some("phase".into())
        );
        assert_eq!(
            refused(h, json!({"kind": "close", "path": "v1/*"})),
            Some("path".into())
        );
        assert_eq!(
            refused(h, json!({"kind": "close", "path": "/v1/*/x"})),
            Some("path".into())
        );
        assert_eq!(
            refused(h, json!({"kind": "close", "ms": 3})),
            Some("ms".into())
        );
        assert_eq!(
            refused(h, json!({"kind": "close", "seed": 3})),
            Some("seed".into())
        );
        assert_eq!(
            refused(h, json!({"kind": "malformed_json", "body": "{}"})),
            Some("body".into())
        );
        assert_eq!(
            refused(h, json!({"kind": "provider_error", "code": 3})),
            Some("code".into())
        );
        assert_eq!(
            refused(
                SimProvider::Nine11,
                json!({"kind": "provider_error", "code": "x"})
            ),
            Some("code".into())
        );
    }

    #[test]
    fn times_rule_fires_exactly_n_times_then_disappears() {
        let mut set = FaultSet::default();
        set.add(rule(json!({"kind": "close", "times": 2})), 1);
        assert!(set.pick("GET", "/a").is_some());
        assert!(set.pick("GET", "/a").is_some());
        assert!(set.pick("GET", "/a").is_none());
        assert!(set.list().is_empty());
    }

    #[test]
    fn fraction_rule_with_a_seed_repeats_and_stays_near_the_fraction() {
        let run = || {
            let mut set = FaultSet::default();
            set.add(
                rule(json!({"kind": "close", "fraction": 0.25, "seed": 7})),
                1,
            );
            (0..4000)
                .map(|_| set.pick("GET", "/a").is_some())
                .collect::<Vec<_>>()
        };
        let first = run();
        assert_eq!(first, run());
        let fired = first.iter().filter(|f| **f).count();
        assert!((900..=1100).contains(&fired), "fired {fired} of 4000");
    }

    #[test]
    fn first_matching_rule_wins_and_method_and_path_filter() {
        let mut set = FaultSet::default();
        set.add(
            rule(json!({"kind": "hang", "method": "post", "path": "/v1/orders"})),
            1,
        );
        set.add(rule(json!({"kind": "close", "path": "/v1/*"})), 1);
        let kind = |set: &mut FaultSet, m, p| set.pick(m, p).map(|f| f.kind);
        assert_eq!(kind(&mut set, "POST", "/v1/orders"), Some(FaultKind::Hang));
        assert_eq!(kind(&mut set, "GET", "/v1/orders"), Some(FaultKind::Close));
        assert_eq!(kind(&mut set, "POST", "/v2/orders"), None);
    }

    #[test]
    fn helodata_codes_get_their_documented_status() {
        let status = |code: &str| match rule(json!({"kind": "provider_error", "code": code})).kind {
            FaultKind::ProviderError { status, .. } => status,
            _ => 0,
        };
        assert_eq!(status("insufficient_balance"), 402);
        assert_eq!(status("kyc-required"), 403);
        assert_eq!(status("unauthorized"), 401);
        assert_eq!(status("rate_limited"), 429);
    }
}
