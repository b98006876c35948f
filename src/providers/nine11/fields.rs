//! The names 911 gives its parameters in errors (`errors` objects of code-400 answers), as the
//! gateway's wire field names, so a refusal by 911 still names the caller's field.

/// The gateway's wire name of a field 911 names in an `errors` object or a parameter.
pub fn gateway_field(upstream: &str) -> Option<&'static str> {
    match upstream {
        "accounts" | "account" => Some("username"),
        "password" => Some("password"),
        "remark" => Some("label"),
        "limit" => Some("traffic_limit_bytes"),
        "product_type" => Some("products"),
        "ips" => Some("ip"),
        "cc" => Some("country"),
        "state" => Some("state"),
        "city" => Some("city"),
        "num" => Some("count"),
        "life" => Some("session_minutes"),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn upstream_field_names_map_to_the_gateways() {
        for (upstream, ours) in [
            ("accounts", "username"),
            ("account", "username"),
            ("password", "password"),
            ("remark", "label"),
            ("limit", "traffic_limit_bytes"),
            ("product_type", "products"),
            ("ips", "ip"),
            ("cc", "country"),
            ("num", "count"),
            ("life", "session_minutes"),
        ] {
            assert_eq!(gateway_field(upstream), Some(ours), "{upstream}");
        }
        assert_eq!(gateway_field("start_time"), None);
    }
}
