//! The api-gate-way response envelope: HTTP 200 on every answer, `code` + message + `data`, with
//! the success code and the message key differing per endpoint as the document's examples show.

use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use serde::ser::SerializeMap;
use serde_json::value::RawValue;

/// How an endpoint spells success; the document's examples differ per endpoint.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Family {
    /// `{"code":200,"msg":…}`: whitelist-account/*, user-usage-flow/*, user-product/*, ip/*,
    /// static-ip-region (their examples), and proxy-ip/*, white-ip/* (chosen alike: same era).
    Legacy,
    /// `{"code":0,"message":…}`: order/list, order/create, user/info, payment/groups (their
    /// examples); order/close has no example and follows its order/* siblings.
    Modern,
    /// `{"code":0,"msg":…}`: activity/balance-recharge-gift-ratio (its example says `msg`).
    ModernMsg,
}

impl Family {
    fn success_code(self) -> i64 {
        match self {
            Family::Legacy => 200,
            Family::Modern | Family::ModernMsg => 0,
        }
    }

    fn message_key(self) -> &'static str {
        match self {
            Family::Legacy | Family::ModernMsg => "msg",
            Family::Modern => "message",
        }
    }
}

/// The language of the messages: Chinese unless `language=en` ("Response message (Chinese)" in
/// the document's Response format; `language=en` from the notes, [SIB]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Lang {
    Zh,
    En,
}

/// What a handler produced on success.
pub(crate) enum Payload {
    /// `data` is this JSON (serialized from a typed value, so field order follows the document).
    Data(Box<RawValue>),
    /// `data: null`.
    Null,
    /// A plain-text body (`/ip/v3?format=text`).
    Text(String),
}

impl Payload {
    /// `data` from any serializable value.
    pub(crate) fn data(value: &impl Serialize) -> Payload {
        match serde_json::value::to_raw_value(value) {
            Ok(raw) => Payload::Data(raw),
            Err(_) => Payload::Null,
        }
    }
}

/// Why a request did not succeed.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Failure {
    /// Code 3: app_key missing or wrong.
    Auth,
    /// Code 156: the account has not passed real-name verification.
    NotRealName,
    /// Code 400 with `errors: {field: [message]}` (the document's ErrorResponse schema).
    Param {
        field: &'static str,
        message: String,
    },
    /// A plain-text body: `/ip/v3` in text mode without a whitelisted IP ([OBS] in the notes).
    PlainText(String),
}

impl Failure {
    pub(crate) fn param(field: &'static str, message: impl Into<String>) -> Failure {
        Failure::Param {
            field,
            message: message.into(),
        }
    }
}

/// The result every handler returns.
pub(crate) type Outcome = Result<Payload, Failure>;

const SESSION_EXPIRED_EN: &str = "Your session has expired, please log in again";
// Chinese wording is ours: the notes only quote the English message of code 3.
const SESSION_EXPIRED_ZH: &str = "登录已过期，请重新登录";

fn text(lang: Lang, zh: &'static str, en: &'static str) -> &'static str {
    match lang {
        Lang::Zh => zh,
        Lang::En => en,
    }
}

fn success_text(family: Family, lang: Lang) -> &'static str {
    match family {
        // "Request successful" is static-ip-region's example message.
        Family::Legacy => text(lang, "请求成功", "Request successful"),
        // "Operation successful" is the order/*, user/info, payment/groups examples' message.
        Family::Modern | Family::ModernMsg => text(lang, "操作成功", "Operation successful"),
    }
}

/// The envelope as serialized: the message key varies, `data` and `errors` appear as needed.
struct Envelope<'a> {
    code: i64,
    key: &'static str,
    message: &'a str,
    data: Option<&'a RawValue>,
    errors: Option<(&'a str, &'a str)>,
}

impl Serialize for Envelope<'_> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut map = s.serialize_map(None)?;
        map.serialize_entry("code", &self.code)?;
        map.serialize_entry(self.key, self.message)?;
        match self.errors {
            // ErrorResponse in the document's Schemas: `{code, message, errors}`, no `data`.
            Some((field, message)) => {
                let errors = [(field, [message])];
                map.serialize_entry("errors", &ErrorsMap(&errors))?;
            }
            None => map.serialize_entry("data", &self.data)?,
        }
        map.end()
    }
}

struct ErrorsMap<'a>(&'a [(&'a str, [&'a str; 1])]);

impl Serialize for ErrorsMap<'_> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut map = s.serialize_map(Some(self.0.len()))?;
        for (field, messages) in self.0 {
            map.serialize_entry(field, messages)?;
        }
        map.end()
    }
}

fn json_response(envelope: &Envelope<'_>) -> Response {
    let body = serde_json::to_string(envelope)
        .unwrap_or_else(|_| r#"{"code":500,"msg":"serialization failed","data":null}"#.into());
    (
        StatusCode::OK,
        [(header::CONTENT_TYPE, "application/json")],
        body,
    )
        .into_response()
}

fn text_response(body: String) -> Response {
    (
        StatusCode::OK,
        [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
        body,
    )
        .into_response()
}

/// Renders an outcome: always HTTP 200 ([SIB, OBS] in the notes; an HTTP 401 with code 3 has also
/// been seen, this simulator always answers 200).
pub(crate) fn render(family: Family, lang: Lang, outcome: Outcome) -> Response {
    let key = family.message_key();
    let envelope = |code, message, data| Envelope {
        code,
        key,
        message,
        data,
        errors: None,
    };
    match outcome {
        Ok(Payload::Data(raw)) => json_response(&envelope(
            family.success_code(),
            success_text(family, lang),
            Some(&raw),
        )),
        Ok(Payload::Null) => json_response(&envelope(
            family.success_code(),
            success_text(family, lang),
            None,
        )),
        Ok(Payload::Text(body)) | Err(Failure::PlainText(body)) => text_response(body),
        Err(Failure::Auth) => json_response(&envelope(
            3,
            text(lang, SESSION_EXPIRED_ZH, SESSION_EXPIRED_EN),
            None,
        )),
        // Wording is ours: the document names code 156 "account not real-name authenticated".
        Err(Failure::NotRealName) => json_response(&envelope(
            156,
            text(
                lang,
                "账户未实名认证，请先完成实名认证",
                "Account not real-name authenticated, please complete real-name authentication",
            ),
            None,
        )),
        // ErrorResponse spells it `message`, as the schemas spell success; on the older
        // endpoints, whose examples say `msg`, errors say `msg` too [INF].
        Err(Failure::Param { field, message }) => json_response(&Envelope {
            code: 400,
            key,
            message: text(lang, "参数错误", "Parameter error"),
            data: None,
            errors: Some((field, &message)),
        }),
    }
}
