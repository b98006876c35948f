//! Connection strings: how a proxy user's traffic reaches a provider's gateway with the wanted
//! targeting. Each provider encodes country, state, city, ASN and sticky sessions into the
//! proxy username with its own grammar; the adapters build it, and nothing upstream is called
//! except to look the proxy user up.

use std::fmt;

use secrecy::SecretString;

use crate::domain::products::Product;

/// The protocol a client speaks to the proxy.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ProxyProtocol {
    /// HTTP proxying (CONNECT for HTTPS targets).
    Http,
    /// SOCKS5 (hostnames resolved by the proxy: `socks5h://`).
    Socks5,
}

impl ProxyProtocol {
    /// The URL scheme.
    pub fn scheme(self) -> &'static str {
        match self {
            ProxyProtocol::Http => "http",
            ProxyProtocol::Socks5 => "socks5h",
        }
    }
}

/// A sticky session: the same exit IP for `minutes` (the provider's own limits apply).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SessionRequest {
    /// The session id; generated when absent.
    pub id: Option<String>,
    /// How long the exit IP is kept.
    pub minutes: Option<u32>,
}

/// What a caller wants to connect through.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ConnectionRequest {
    /// The product whose gateway to use.
    pub product: Product,
    /// ISO 3166-1 alpha-2 country code (any case).
    pub country: Option<String>,
    /// State or region (provider's spelling).
    pub state: Option<String>,
    /// City (provider's spelling).
    pub city: Option<String>,
    /// Autonomous system number.
    pub asn: Option<u32>,
    /// A sticky session, or rotating when `None`.
    pub session: Option<SessionRequest>,
    /// The protocol; HTTP when `None`.
    pub protocol: Option<ProxyProtocol>,
}

/// What a client needs to send traffic.
#[derive(Clone, Debug)]
pub struct ProxyConnection {
    /// The gateway host.
    pub host: String,
    /// Its port.
    pub port: u16,
    /// The proxy username with the targeting encoded.
    pub username: String,
    /// The password, when the provider lists it (shown only to keys allowed to see it).
    pub password: Option<SecretString>,
    /// The protocol the URL uses.
    pub protocol: ProxyProtocol,
    /// The session id used (generated or given), when sticky.
    pub session_id: Option<String>,
}

/// How the provider is asked to answer an extraction (both give the same list).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ListFormat {
    /// JSON.
    Json,
    /// Plain text, one `host:port` per line.
    Text,
}

/// A request for a list of proxy endpoints (911 `ip/v3`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ExtractRequest {
    /// The product (a dynamic one).
    pub product: Product,
    /// ISO 3166-1 alpha-2 country code.
    pub country: Option<String>,
    /// State, in the provider's geo list.
    pub state: Option<String>,
    /// City, in the provider's geo list.
    pub city: Option<String>,
    /// How many endpoints.
    pub count: u32,
    /// How long each keeps its exit IP, in minutes.
    pub session_minutes: Option<u32>,
    /// The protocol the caller will speak.
    pub protocol: Option<ProxyProtocol>,
    /// How the provider is asked to answer.
    pub format: ListFormat,
}

/// One endpoint of an extraction.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ProxyEndpoint {
    /// Host or IP.
    pub host: String,
    /// Port.
    pub port: u16,
}

/// What an extraction gave.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Extraction {
    /// The endpoints.
    pub proxies: Vec<ProxyEndpoint>,
    /// What the caller should know for them to work (e.g. no whitelisted source IP).
    pub warnings: Vec<String>,
}

/// `host:port` as an endpoint; `None` for anything else.
pub fn parse_endpoint(text: &str) -> Option<ProxyEndpoint> {
    let (host, port) = text.trim().rsplit_once(':')?;
    let port: u16 = port.parse().ok().filter(|p| *p > 0)?;
    let host = host.trim_start_matches('[').trim_end_matches(']');
    let valid = !host.is_empty()
        && host
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b':'));
    valid.then(|| ProxyEndpoint {
        host: host.to_string(),
        port,
    })
}

/// `scheme://user[:password]@host:port`, the user and password percent-encoded.
pub fn proxy_url(connection: &ProxyConnection, password: Option<&str>) -> String {
    let user = Userinfo(&connection.username);
    match password {
        Some(p) => format!(
            "{}://{user}:{}@{}:{}",
            connection.protocol.scheme(),
            Userinfo(p),
            connection.host,
            connection.port
        ),
        None => format!(
            "{}://{user}@{}:{}",
            connection.protocol.scheme(),
            connection.host,
            connection.port
        ),
    }
}

/// Text percent-encoded for a URL's userinfo (RFC 3986: unreserved characters stay).
struct Userinfo<'a>(&'a str);

impl fmt::Display for Userinfo<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for b in self.0.bytes() {
            if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
                write!(f, "{}", b as char)?;
            } else {
                write!(f, "%{b:02X}")?;
            }
        }
        Ok(())
    }
}

/// The longest session id both grammars take (helodata §7.1: `[a-z0-9]`, at most 32).
pub const MAX_SESSION_ID_LEN: usize = 32;

/// Whether `id` is 1-32 characters of `a-z 0-9`, the session ids both providers take.
pub fn is_session_id(id: &str) -> bool {
    !id.is_empty()
        && id.len() <= MAX_SESSION_ID_LEN
        && id
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
}

/// `value` lower-cased, if it is a non-empty slug of `a-z 0-9` (states and cities in both
/// grammars: "lowercase slug, no spaces, no diacritics").
pub fn slug(value: &str) -> Option<String> {
    let lower = value.to_ascii_lowercase();
    (!lower.is_empty()
        && lower
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit()))
    .then_some(lower)
}

/// A session id the gateway chooses: 12 characters of `[a-z0-9]`, valid for both providers.
pub fn generate_session_id() -> String {
    use rand::RngExt;
    const ALPHABET: &[u8] = b"abcdefghijklmnopqrstuvwxyz0123456789";
    let mut rng = rand::rng();
    (0..12)
        .map(|_| ALPHABET[rng.random_range(0..ALPHABET.len())] as char)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn connection(username: &str) -> ProxyConnection {
        ProxyConnection {
            host: "gate.example".into(),
            port: 7777,
            username: username.into(),
            password: None,
            protocol: ProxyProtocol::Http,
            session_id: None,
        }
    }

    #[test]
    fn urls_percent_encode_the_userinfo_only_where_needed() {
        let c = connection("helo_s1-type-res-region-us");
        assert_eq!(
            proxy_url(&c, None),
            "http://helo_s1-type-res-region-us@gate.example:7777"
        );
        assert_eq!(
            proxy_url(&c, Some("p@ss:w/rd")),
            "http://helo_s1-type-res-region-us:p%40ss%3Aw%2Frd@gate.example:7777"
        );
        let socks = ProxyConnection {
            protocol: ProxyProtocol::Socks5,
            ..connection("u")
        };
        assert_eq!(proxy_url(&socks, None), "socks5h://u@gate.example:7777");
    }

    #[test]
    fn endpoints_parse_from_host_port_text_only() {
        assert_eq!(
            parse_endpoint(" 150.109.114.72:1140 "),
            Some(ProxyEndpoint {
                host: "150.109.114.72".into(),
                port: 1140
            })
        );
        assert_eq!(
            parse_endpoint("[2001:db8::1]:8000").unwrap().host,
            "2001:db8::1"
        );
        for bad in [
            "150.109.114.72",
            "host:0",
            "host:70000",
            ":80",
            "请先添加白名单IP",
            "a b:80",
        ] {
            assert_eq!(parse_endpoint(bad), None, "{bad}");
        }
    }

    #[test]
    fn generated_session_ids_fit_both_grammars() {
        for _ in 0..100 {
            let id = generate_session_id();
            assert_eq!(id.len(), 12);
            assert!(
                id.bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
            );
        }
    }
}
