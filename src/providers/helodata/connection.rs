//! helodata's gateway username grammar (§7.1), a pure function whose documented examples are
//! its test vectors:
//!
//! `helo_{username}-type-{res|mob}-region-{cc}[-state-{s}][-city-{c}][-asn-{n}][-session-{id}-sesstime-{min}]`
//!
//! Residential and mobile go through `gate.helodata.io:7777` (§1); ISP IPs are dialled one by
//! one and take no targeting (§7.2), so they have no connection string here.

use crate::domain::connection::{
    self, ConnectionRequest, ProxyConnection, ProxyProtocol, generate_session_id,
};
use crate::domain::products::Product;
use crate::domain::proxy_users::ProxyUser;
use crate::providers::ProviderError;

/// The residential and mobile gateway (§1 "Hosts").
pub const GATEWAY_HOST: &str = "gate.helodata.io";
/// Its port (§1).
pub const GATEWAY_PORT: u16 = 7777;
/// The longest residential sticky session, in minutes (§7.1: "at most 30 for residential").
pub const MAX_RESIDENTIAL_SESSION_MINUTES: u32 = 30;

/// A lowercase slug of `[a-z0-9]` (states, cities: "lowercase slug, no spaces, no diacritics").
fn slug(field: &str, value: &str) -> Result<String, ProviderError> {
    connection::slug(value).ok_or_else(|| {
        ProviderError::invalid(
            field,
            format!("helodata takes {field} as a lowercase slug of a-z and 0-9 (e.g. ca, newyork)"),
        )
    })
}

/// The connection for `user` as `request` asks; every documented limit is an error naming its
/// field. The password is never known here: helodata shows it only at creation and rotation.
pub fn connection(
    user: &ProxyUser,
    request: &ConnectionRequest,
) -> Result<ProxyConnection, ProviderError> {
    let kind = match request.product {
        Product::Residential => "res",
        Product::Mobile => "mob",
        Product::Isp => {
            return Err(ProviderError::invalid(
                "product",
                "helodata ISP IPs are dialled one by one on port 8000 and take no targeting \
                 (see GET /v1/static-ips); connection strings are for residential and mobile",
            ));
        }
        other => {
            return Err(ProviderError::invalid(
                "product",
                format!("helodata has no gateway for {other}; it has residential and mobile"),
            ));
        }
    };
    if !user.products.contains(&request.product) {
        return Err(ProviderError::invalid(
            "product",
            format!(
                "the proxy user does not have the {} product",
                request.product
            ),
        ));
    }
    if request.protocol == Some(ProxyProtocol::Socks5) {
        // §7.1 documents HTTP proxying on 7777; SOCKS5 is documented only for ISP IPs (§7.2).
        return Err(ProviderError::invalid(
            "protocol",
            "helodata documents SOCKS5 only for ISP IPs; its residential and mobile gateway is HTTP",
        ));
    }
    let country = request.country.as_deref().ok_or_else(|| {
        ProviderError::invalid(
            "country",
            "helodata usernames always name a region: give a country (e.g. us)",
        )
    })?;
    let country = country.to_ascii_lowercase();
    if country.len() != 2 || !country.bytes().all(|b| b.is_ascii_lowercase()) {
        return Err(ProviderError::invalid(
            "country",
            "country is an ISO 3166-1 alpha-2 code (e.g. us)",
        ));
    }
    let mut username = format!("helo_{}-type-{kind}-region-{country}", user.username);
    if let Some(state) = &request.state {
        username.push_str(&format!("-state-{}", slug("state", state)?));
    }
    if let Some(city) = &request.city {
        if request.state.is_none() {
            return Err(ProviderError::invalid(
                "city",
                "helodata city targeting needs a state (the order is region, state, city)",
            ));
        }
        username.push_str(&format!("-city-{}", slug("city", city)?));
    }
    if let Some(asn) = request.asn {
        username.push_str(&format!("-asn-{asn}"));
    }
    let mut session_id = None;
    if let Some(session) = &request.session {
        let minutes = session.minutes.ok_or_else(|| {
            ProviderError::invalid(
                "session.minutes",
                "a helodata session always has a lifetime (sesstime, in minutes)",
            )
        })?;
        if minutes == 0 {
            return Err(ProviderError::invalid(
                "session.minutes",
                "a session lasts at least one minute",
            ));
        }
        if request.product == Product::Residential && minutes > MAX_RESIDENTIAL_SESSION_MINUTES {
            return Err(ProviderError::invalid(
                "session.minutes",
                format!(
                    "a helodata residential session lasts at most \
                     {MAX_RESIDENTIAL_SESSION_MINUTES} minutes"
                ),
            ));
        }
        let id = match &session.id {
            Some(id) => {
                if !connection::is_session_id(id) {
                    return Err(ProviderError::invalid(
                        "session.id",
                        "a helodata session id is 1-32 characters of a-z and 0-9",
                    ));
                }
                id.clone()
            }
            None => generate_session_id(),
        };
        username.push_str(&format!("-session-{id}-sesstime-{minutes}"));
        session_id = Some(id);
    }
    Ok(ProxyConnection {
        host: GATEWAY_HOST.to_string(),
        port: GATEWAY_PORT,
        username,
        password: None,
        protocol: ProxyProtocol::Http,
        session_id,
    })
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;
    use crate::domain::connection::SessionRequest;
    use crate::domain::proxy_users::{ProxyUserId, ProxyUserStatus};

    fn user() -> ProxyUser {
        ProxyUser {
            id: ProxyUserId::new("helodata", "sub_01HX2K3PQ4M5"),
            provider: crate::providers::helodata::registration::KIND,
            username: "s1a2b3c4d5e".into(),
            label: None,
            products: vec![Product::Residential, Product::Mobile],
            status: ProxyUserStatus::Enabled,
            traffic_limit_bytes: None,
            traffic_used_bytes: None,
            concurrency_max: None,
            rps_max: None,
            created_at: None,
            password: None,
            provider_data: Arc::new(serde_json::json!({})),
        }
    }

    fn ask(country: Option<&str>) -> ConnectionRequest {
        ConnectionRequest {
            product: Product::Residential,
            country: country.map(str::to_string),
            state: None,
            city: None,
            asn: None,
            session: None,
            protocol: None,
        }
    }

    fn field(result: Result<ProxyConnection, ProviderError>) -> String {
        match result {
            Err(ProviderError::InvalidInput { field, .. }) => field,
            other => panic!("expected invalid input, got {other:?}"),
        }
    }

    #[test]
    fn the_documented_examples_come_out_character_for_character() {
        let rotating = connection(&user(), &ask(Some("us"))).unwrap();
        assert_eq!(rotating.username, "helo_s1a2b3c4d5e-type-res-region-us");
        assert_eq!(
            (rotating.host.as_str(), rotating.port),
            ("gate.helodata.io", 7777)
        );
        let sticky = ConnectionRequest {
            session: Some(SessionRequest {
                id: Some("job1".into()),
                minutes: Some(30),
            }),
            ..ask(Some("US"))
        };
        assert_eq!(
            connection(&user(), &sticky).unwrap().username,
            "helo_s1a2b3c4d5e-type-res-region-us-session-job1-sesstime-30"
        );
        let state = ConnectionRequest {
            state: Some("ca".into()),
            ..ask(Some("us"))
        };
        assert_eq!(
            connection(&user(), &state).unwrap().username,
            "helo_s1a2b3c4d5e-type-res-region-us-state-ca"
        );
    }

    #[test]
    fn every_segment_in_the_fixed_order() {
        let full = ConnectionRequest {
            product: Product::Mobile,
            state: Some("CA".into()),
            city: Some("la".into()),
            asn: Some(7922),
            session: Some(SessionRequest {
                id: Some("a1".into()),
                minutes: Some(90),
            }),
            ..ask(Some("us"))
        };
        assert_eq!(
            connection(&user(), &full).unwrap().username,
            "helo_s1a2b3c4d5e-type-mob-region-us-state-ca-city-la-asn-7922-session-a1-sesstime-90"
        );
    }

    #[test]
    fn each_documented_limit_names_its_field() {
        let session = |id: Option<&str>, minutes: Option<u32>| ConnectionRequest {
            session: Some(SessionRequest {
                id: id.map(str::to_string),
                minutes,
            }),
            ..ask(Some("us"))
        };
        assert_eq!(
            field(connection(&user(), &session(Some("a"), Some(31)))),
            "session.minutes"
        );
        assert_eq!(
            field(connection(&user(), &session(Some("a"), None))),
            "session.minutes"
        );
        assert_eq!(
            field(connection(&user(), &session(Some("Job-1"), Some(5)))),
            "session.id"
        );
        assert_eq!(
            field(connection(
                &user(),
                &session(Some(&"a".repeat(33)), Some(5))
            )),
            "session.id"
        );
        assert_eq!(field(connection(&user(), &ask(None))), "country");
        assert_eq!(field(connection(&user(), &ask(Some("usa")))), "country");
        let city_alone = ConnectionRequest {
            city: Some("la".into()),
            ..ask(Some("us"))
        };
        assert_eq!(field(connection(&user(), &city_alone)), "city");
        let spaced = ConnectionRequest {
            state: Some("new york".into()),
            ..ask(Some("us"))
        };
        assert_eq!(field(connection(&user(), &spaced)), "state");
        let isp = ConnectionRequest {
            product: Product::Isp,
            ..ask(Some("us"))
        };
        assert_eq!(field(connection(&user(), &isp)), "product");
        let socks = ConnectionRequest {
            protocol: Some(ProxyProtocol::Socks5),
            ..ask(Some("us"))
        };
        assert_eq!(field(connection(&user(), &socks)), "protocol");
        let generated = connection(&user(), &session(None, Some(10))).unwrap();
        let id = generated.session_id.unwrap();
        assert!(
            generated
                .username
                .ends_with(&format!("-session-{id}-sesstime-10"))
        );
    }
}
