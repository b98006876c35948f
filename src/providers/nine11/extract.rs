//! IP extraction, `GET ip/v3` (document; notes "/ip/v3"): `num` endpoints `ip:port` of a
//! dynamic product, in any of the shapes 911 answers — JSON `data.list` nested
//! (`[["ip:port", …]]`, the document's example), flat (`["ip:port", …]`) or objects
//! (`[{ip, port}]`), and text lines (`format=text`). Extracted endpoints accept connections
//! only from a whitelisted source IP (notes [OBS]): with none for any dynamic product 911
//! refuses, so the gateway says so before calling; with none for the asked product it warns.

use serde_json::Value;

use super::client::Nine11Client;
use super::whitelist::Whitelist;
use super::wire;
use crate::domain::connection::{
    ExtractRequest, Extraction, ListFormat, ProxyEndpoint, ProxyProtocol, parse_endpoint,
};
use crate::domain::products::Product;
use crate::domain::whitelist::WhitelistFilter;
use crate::providers::{FailureKind, ProviderError, UpstreamFailure};

/// Most endpoints one call asks for: the notes give no maximum; 1,000 bounds the answer [INF].
pub const MAX_COUNT: u32 = 1_000;
/// `life` in minutes: 1–60 seen (notes, [OBS]).
pub const LIFE_MINUTES: std::ops::RangeInclusive<u32> = 1..=60;

/// The endpoints of a JSON `data`, whichever of the three list shapes it has.
pub fn endpoints_of_data(data: &Value) -> Result<Vec<ProxyEndpoint>, String> {
    let list = data
        .get("list")
        .and_then(Value::as_array)
        .ok_or("data has no list")?;
    let mut out = Vec::new();
    let mut push = |item: &Value| -> Result<(), String> {
        let endpoint = match item {
            Value::String(text) => parse_endpoint(text),
            Value::Object(o) => {
                let host = o.get("ip").and_then(Value::as_str);
                let port = o.get("port").and_then(|p| match p {
                    Value::Number(n) => n.as_u64(),
                    Value::String(s) => s.parse().ok(),
                    _ => None,
                });
                match (host, port) {
                    (Some(h), Some(p)) => parse_endpoint(&format!("{h}:{p}")),
                    _ => None,
                }
            }
            _ => None,
        };
        out.push(endpoint.ok_or_else(|| format!("{item} is not an endpoint"))?);
        Ok(())
    };
    for item in list {
        match item {
            Value::Array(inner) => inner.iter().try_for_each(&mut push)?,
            other => push(other)?,
        }
    }
    Ok(out)
}

/// The endpoints of a text answer (any of `\r\n`, `\n`, `,` between them). A line that is not
/// `host:port` means the text is a message, e.g. the plain-text refusal without a whitelist.
pub fn endpoints_of_text(text: &str) -> Result<Vec<ProxyEndpoint>, String> {
    text.split(['\r', '\n', ','])
        .map(str::trim)
        .filter(|line| !line.is_empty())
        .map(|line| parse_endpoint(line).ok_or_else(|| text.trim().to_string()))
        .collect()
}

/// Extracts for one account: rules, the whitelist check, one `ip/v3` call.
pub async fn extract(
    client: &Nine11Client,
    whitelist: &Whitelist<'_>,
    request: &ExtractRequest,
) -> Result<Extraction, ProviderError> {
    let product_type = match request.product {
        Product::Residential => 9,
        Product::ResidentialIp => 11,
        other => {
            return Err(ProviderError::invalid(
                "product",
                format!(
                    "911Proxy extracts residential and residential_ip endpoints, not {other} \
                     (static IPs are listed by GET /v1/static-ips)"
                ),
            ));
        }
    };
    if !(1..=MAX_COUNT).contains(&request.count) {
        return Err(ProviderError::invalid(
            "count",
            format!("count is 1 to {MAX_COUNT}"),
        ));
    }
    if let Some(minutes) = request.session_minutes
        && !LIFE_MINUTES.contains(&minutes)
    {
        return Err(ProviderError::invalid(
            "session_minutes",
            "911Proxy keeps an extracted IP 1 to 60 minutes",
        ));
    }
    if request.protocol == Some(ProxyProtocol::Socks5) {
        return Err(ProviderError::invalid(
            "protocol",
            "911Proxy's ip/v3 has no protocol choice; its endpoints are documented for http",
        ));
    }
    if (request.state.is_some() || request.city.is_some()) && request.country.is_none() {
        return Err(ProviderError::invalid(
            "country",
            "state and city need a country",
        ));
    }
    let mut warnings = Vec::new();
    let other_product = if product_type == 9 {
        Product::ResidentialIp
    } else {
        Product::Residential
    };
    let filter = |product| WhitelistFilter {
        product: Some(product),
        ..Default::default()
    };
    let (own_filter, other_filter) = (filter(request.product), filter(other_product));
    let (own, other) = futures::future::try_join(
        whitelist.list(&own_filter, None, 1),
        whitelist.list(&other_filter, None, 1),
    )
    .await?;
    if own.entries.is_empty() {
        if other.entries.is_empty() {
            return Err(ProviderError::Conflict {
                field: Some("account".to_string()),
                message: format!(
                    "account {} has no whitelisted source IP for residential or residential_ip: \
                     911Proxy refuses extraction until one is added (POST /v1/whitelist-entries)",
                    whitelist.account
                ),
            });
        }
        warnings.push(format!(
            "account {} has no whitelisted source IP for {}: these endpoints accept connections \
             only from whitelisted source IPs (POST /v1/whitelist-entries)",
            whitelist.account, request.product
        ));
    }
    let mut query = vec![
        ("num", request.count.to_string()),
        (
            "format",
            match request.format {
                ListFormat::Json => "json",
                ListFormat::Text => "text",
            }
            .to_string(),
        ),
    ];
    if let Some(country) = &request.country {
        query.push(("cc", country.to_ascii_uppercase()));
    }
    if let Some(state) = &request.state {
        query.push(("state", state.clone()));
    }
    if let Some(city) = &request.city {
        query.push(("city", city.clone()));
    }
    if let Some(minutes) = request.session_minutes {
        query.push(("life", minutes.to_string()));
    }
    let malformed = |message: String| {
        ProviderError::from(
            UpstreamFailure::new(FailureKind::Rejected)
                .status(200)
                .message(message),
        )
    };
    let proxies = match client.get_text_or_data(wire::IP_EXTRACT, &query).await? {
        Ok(text) => endpoints_of_text(&text).map_err(malformed)?,
        Err(data) => endpoints_of_data(&data).map_err(|m| {
            ProviderError::from(
                UpstreamFailure::new(FailureKind::MalformedResponse)
                    .status(200)
                    .message(format!("ip/v3 answered a list not as documented: {m}")),
            )
        })?,
    };
    Ok(Extraction { proxies, warnings })
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn hosts(list: &[ProxyEndpoint]) -> Vec<String> {
        list.iter()
            .map(|e| format!("{}:{}", e.host, e.port))
            .collect()
    }

    #[test]
    fn every_json_shape_gives_the_same_endpoints() {
        let want = vec!["150.109.114.72:1140", "150.109.114.72:1141"];
        let nested = json!({"list": [["150.109.114.72:1140", "150.109.114.72:1141"]]});
        let flat = json!({"list": ["150.109.114.72:1140", "150.109.114.72:1141"]});
        let objects = json!({"list": [{"ip": "150.109.114.72", "port": 1140},
                                       {"ip": "150.109.114.72", "port": "1141"}]});
        for data in [nested, flat, objects] {
            assert_eq!(hosts(&endpoints_of_data(&data).unwrap()), want, "{data}");
        }
        assert!(endpoints_of_data(&json!({"list": [["nonsense"]]})).is_err());
        assert!(endpoints_of_data(&json!({})).is_err());
    }

    #[test]
    fn text_answers_split_on_any_separator_and_a_message_is_an_error() {
        let want = vec!["1.2.3.4:1000", "1.2.3.4:1001", "1.2.3.4:1002"];
        for text in [
            "1.2.3.4:1000\r\n1.2.3.4:1001\r\n1.2.3.4:1002",
            "1.2.3.4:1000\n1.2.3.4:1001\n1.2.3.4:1002\n",
        ] {
            assert_eq!(hosts(&endpoints_of_text(text).unwrap()), want);
        }
        assert_eq!(
            endpoints_of_text("请先添加白名单IP").unwrap_err(),
            "请先添加白名单IP"
        );
    }
}
