//! 911Proxy's gateway username grammar (notes "Proxy gateway", [OBS] from public client code):
//!
//! `<account>_area-<CC>[_state-<state>|_city-<city>]_life-<minutes>_session-<id>`
//!
//! Choices where the notes are silent, each a test below: the country is required (every
//! observed username has `area`); a username without `_life…_session…` is rotating [INF];
//! `life` is 1–60 minutes (the values seen, notes "/ip/v3"); session ids follow helodata's
//! `[a-z0-9]{1,32}` [INF]; states and cities are lowercase `[a-z0-9]` slugs [INF]; the host is
//! `us.911proxy.com:2600` (the one seen first) and SOCKS5 is refused (its port is unknown).

use crate::domain::connection::{
    self, ConnectionRequest, ProxyConnection, ProxyProtocol, generate_session_id,
};
use crate::domain::products::Product;
use crate::domain::proxy_users::ProxyUser;
use crate::providers::ProviderError;

/// The gateway host seen in public clients.
pub const GATEWAY_HOST: &str = "us.911proxy.com";
/// Its port.
pub const GATEWAY_PORT: u16 = 2600;
/// `life` bounds in minutes (the values seen).
pub const SESSION_MINUTES: std::ops::RangeInclusive<u32> = 1..=60;

fn slug(field: &str, value: &str) -> Result<String, ProviderError> {
    connection::slug(value).ok_or_else(|| {
        ProviderError::invalid(
            field,
            format!("911Proxy takes {field} as a lowercase slug of a-z and 0-9 (e.g. california, newyork)"),
        )
    })
}

/// The connection for `user` as `request` asks; the password is the user's own (911 lists it).
pub fn connection(
    user: &ProxyUser,
    request: &ConnectionRequest,
) -> Result<ProxyConnection, ProviderError> {
    if !matches!(
        request.product,
        Product::Residential | Product::ResidentialIp
    ) {
        return Err(ProviderError::invalid(
            "product",
            format!(
                "911Proxy's gateway serves residential and residential_ip; {} IPs are used \
                 directly (see GET /v1/static-ips)",
                request.product
            ),
        ));
    }
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
        return Err(ProviderError::invalid(
            "protocol",
            "911Proxy's SOCKS5 port is not documented; use http",
        ));
    }
    if request.asn.is_some() {
        return Err(ProviderError::invalid(
            "asn",
            "911Proxy usernames have no ASN targeting",
        ));
    }
    let country = request.country.as_deref().ok_or_else(|| {
        ProviderError::invalid(
            "country",
            "911Proxy usernames always name an area: give a country (e.g. US)",
        )
    })?;
    let country = country.to_ascii_uppercase();
    if country.len() != 2 || !country.bytes().all(|b| b.is_ascii_uppercase()) {
        return Err(ProviderError::invalid(
            "country",
            "country is an ISO 3166-1 alpha-2 code (e.g. US)",
        ));
    }
    let mut username = format!("{}_area-{country}", user.username);
    match (&request.state, &request.city) {
        (Some(_), Some(_)) => {
            return Err(ProviderError::invalid(
                "city",
                "911Proxy targets a state or a city, not both",
            ));
        }
        (Some(state), None) => username.push_str(&format!("_state-{}", slug("state", state)?)),
        (None, Some(city)) => username.push_str(&format!("_city-{}", slug("city", city)?)),
        (None, None) => {}
    }
    let mut session_id = None;
    if let Some(session) = &request.session {
        let minutes = session.minutes.ok_or_else(|| {
            ProviderError::invalid(
                "session.minutes",
                "a 911Proxy session always has a lifetime (life, in minutes)",
            )
        })?;
        if !SESSION_MINUTES.contains(&minutes) {
            return Err(ProviderError::invalid(
                "session.minutes",
                "a 911Proxy session lasts 1 to 60 minutes",
            ));
        }
        let id = match &session.id {
            Some(id) => {
                if !connection::is_session_id(id) {
                    return Err(ProviderError::invalid(
                        "session.id",
                        "a session id is 1-32 characters of a-z and 0-9",
                    ));
                }
                id.clone()
            }
            None => generate_session_id(),
        };
        username.push_str(&format!("_life-{minutes}_session-{id}"));
        session_id = Some(id);
    }
    Ok(ProxyConnection {
        host: GATEWAY_HOST.to_string(),
        port: GATEWAY_PORT,
        username,
        password: user.password.clone(),
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
            id: ProxyUserId::new("911proxy", "crawler01"),
            provider: crate::providers::nine11::registration::KIND,
            username: "crawler01".into(),
            label: None,
            products: vec![Product::Residential],
            status: ProxyUserStatus::Enabled,
            traffic_limit_bytes: None,
            traffic_used_bytes: None,
            concurrency_max: None,
            rps_max: None,
            created_at: None,
            password: Some("s3cretPass".to_string().into()),
            provider_data: Arc::new(serde_json::json!({})),
        }
    }

    fn ask() -> ConnectionRequest {
        ConnectionRequest {
            product: Product::Residential,
            country: Some("us".into()),
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
    fn the_observed_grammar_character_for_character() {
        let sticky = ConnectionRequest {
            state: Some("California".into()),
            session: Some(SessionRequest {
                id: Some("abc123".into()),
                minutes: Some(30),
            }),
            ..ask()
        };
        let c = connection(&user(), &sticky).unwrap();
        assert_eq!(
            c.username,
            "crawler01_area-US_state-california_life-30_session-abc123"
        );
        assert_eq!((c.host.as_str(), c.port), ("us.911proxy.com", 2600));
        let city = ConnectionRequest {
            city: Some("newyork".into()),
            session: Some(SessionRequest {
                id: Some("s1".into()),
                minutes: Some(5),
            }),
            ..ask()
        };
        assert_eq!(
            connection(&user(), &city).unwrap().username,
            "crawler01_area-US_city-newyork_life-5_session-s1"
        );
        assert_eq!(
            connection(&user(), &ask()).unwrap().username,
            "crawler01_area-US"
        );
    }

    #[test]
    fn each_limit_names_its_field() {
        let session = |minutes: Option<u32>, id: &str| ConnectionRequest {
            session: Some(SessionRequest {
                id: Some(id.into()),
                minutes,
            }),
            ..ask()
        };
        assert_eq!(
            field(connection(&user(), &session(Some(61), "a"))),
            "session.minutes"
        );
        assert_eq!(
            field(connection(&user(), &session(Some(0), "a"))),
            "session.minutes"
        );
        assert_eq!(
            field(connection(&user(), &session(None, "a"))),
            "session.minutes"
        );
        assert_eq!(
            field(connection(&user(), &session(Some(5), "A_B"))),
            "session.id"
        );
        let both = ConnectionRequest {
            state: Some("ca".into()),
            city: Some("la".into()),
            ..ask()
        };
        assert_eq!(field(connection(&user(), &both)), "city");
        let asn = ConnectionRequest {
            asn: Some(7922),
            ..ask()
        };
        assert_eq!(field(connection(&user(), &asn)), "asn");
        let no_country = ConnectionRequest {
            country: None,
            ..ask()
        };
        assert_eq!(field(connection(&user(), &no_country)), "country");
        let static_ip = ConnectionRequest {
            product: Product::Isp,
            ..ask()
        };
        assert_eq!(field(connection(&user(), &static_ip)), "product");
        let not_owned = ConnectionRequest {
            product: Product::ResidentialIp,
            ..ask()
        };
        assert_eq!(field(connection(&user(), &not_owned)), "product");
    }
}
