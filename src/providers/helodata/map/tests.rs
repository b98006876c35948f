//! The helodata mappings, checked without any network: units, enums, ids, times, keys and
//! cursors.

use super::*;
use proptest::prelude::*;
use serde_json::json;
use time::macros::{date, datetime};

#[test]
fn products_map_both_ways_and_unknown_ones_become_other_once() {
    assert_eq!(product_from_wire("residential"), Product::Residential);
    assert_eq!(product_from_wire("mobile"), Product::Mobile);
    assert_eq!(product_from_wire("isp"), Product::Isp);
    assert_eq!(product_from_wire("datacenter"), Product::Other);
    assert_eq!(product_from_wire("Residential"), Product::Other);
    assert_eq!(
        products_from_wire(&[
            "mobile".into(),
            "scraping".into(),
            "residential".into(),
            "unblocker".into()
        ]),
        vec![Product::Mobile, Product::Other, Product::Residential]
    );
    for p in PRODUCTS {
        assert_eq!(product_to_wire(p).map(product_from_wire), Some(p));
    }
    assert_eq!(product_to_wire(Product::Datacenter), None);
    assert_eq!(product_to_wire(Product::ResidentialIp), None);
    assert_eq!(product_to_wire(Product::Other), None);
}

#[test]
fn statuses_map_active_to_enabled_and_anything_else_to_disabled() {
    assert_eq!(status_from_wire("active"), ProxyUserStatus::Enabled);
    assert_eq!(status_from_wire("disabled"), ProxyUserStatus::Disabled);
    assert_eq!(status_from_wire("suspended"), ProxyUserStatus::Disabled);
    assert_eq!(status_to_wire(ProxyUserStatus::Enabled), "active");
    assert_eq!(status_to_wire(ProxyUserStatus::Disabled), "disabled");
}

#[test]
fn times_parse_to_utc_and_format_with_z() {
    assert_eq!(
        parse_time("2026-05-01T02:00:00+02:00"),
        Some(datetime!(2026-05-01 00:00:00 UTC))
    );
    assert_eq!(parse_time("2026-05-01"), None);
    assert_eq!(
        format_time(datetime!(2026-05-01 02:00:00 +02:00)),
        "2026-05-01T00:00:00Z"
    );
    assert_eq!(parse_day("2026-05-01"), Some(date!(2026 - 05 - 01)));
    assert_eq!(
        parse_day("2026-04-30T23:00:00-02:00"),
        Some(date!(2026 - 05 - 01))
    );
    assert_eq!(parse_day("May 1st"), None);
}

#[test]
fn gigabytes_are_binary() {
    assert_eq!(gb_to_bytes(1), 1_073_741_824);
    assert_eq!(gb_to_bytes(500), 536_870_912_000);
    assert_eq!(gb_to_bytes(u64::MAX), u64::MAX);
}

#[test]
fn subuser_ids_must_be_sub_prefixed_and_path_safe() {
    assert!(is_subuser_id("sub_01HX2K3PQ4M5"));
    assert!(is_subuser_id("sub_01JWMKF78094CT0T695R5G6203"));
    assert!(!is_subuser_id("sub_"));
    assert!(!is_subuser_id("usr_01HX"));
    assert!(!is_subuser_id("sub_1/../users/me"));
    assert!(!is_subuser_id("sub_1?x=1"));
    assert!(!is_subuser_id("s1a2b3c4d5e"));
}

#[test]
fn a_subuser_maps_to_exact_values_and_never_keeps_a_password() {
    let raw = json!({
        "id": "sub_01HX2K3PQ4M5", "name": "s1a2b3c4d5e", "label": "acme-prod",
        "products": ["residential", "mobile", "satellite"], "status": "active",
        "concurrent_max": 600, "rps_max": 1000, "created_at": "2026-05-01T00:00:00Z",
        "password": "Mz4yQv8R"
    });
    let sub: wire::SubUser = serde_json::from_value(raw.clone()).expect("sub-user");
    let user = proxy_user("helo-main", &sub, &raw);
    assert_eq!(user.id.to_string(), "helo-main:sub_01HX2K3PQ4M5");
    assert_eq!(
        user.provider,
        crate::providers::helodata::registration::KIND
    );
    assert_eq!(user.username, "s1a2b3c4d5e");
    assert_eq!(user.label.as_deref(), Some("acme-prod"));
    assert_eq!(
        user.products,
        vec![Product::Residential, Product::Mobile, Product::Other]
    );
    assert_eq!(user.status, ProxyUserStatus::Enabled);
    assert_eq!(user.traffic_limit_bytes, None);
    assert_eq!(user.traffic_used_bytes, None);
    assert_eq!(user.concurrency_max, Some(600));
    assert_eq!(user.rps_max, Some(1000));
    assert_eq!(user.created_at, Some(datetime!(2026-05-01 00:00:00 UTC)));
    assert!(user.password.is_none());
    assert_eq!(user.provider_data.get("password"), None);
    assert_eq!(user.provider_data["label"], "acme-prod");
    assert_eq!(user.provider_data["products"][2], "satellite");
}

#[test]
fn traffic_rows_sum_in_and_out_into_bytes() {
    let row: wire::TrafficRow = serde_json::from_value(json!({
        "subuser": "sub_01HX", "bytes_in": 12_345_678, "bytes_out": 9_876_543,
        "requests": 4210, "errors": 51, "error_rate": 0.012
    }))
    .expect("row");
    let mapped = usage_row("helo-main", &row);
    assert_eq!(mapped.account, "helo-main");
    assert_eq!(mapped.bytes, 22_222_221);
    assert_eq!(mapped.bytes_in, Some(12_345_678));
    assert_eq!(mapped.bytes_out, Some(9_876_543));
    assert_eq!(mapped.requests, Some(4210));
    assert_eq!(mapped.errors, Some(51));
    assert_eq!(
        (mapped.day, mapped.proxy_user, mapped.product),
        (None, None, None)
    );
    let huge = wire::TrafficRow {
        bytes_in: u64::MAX,
        bytes_out: 1,
        ..Default::default()
    };
    assert_eq!(usage_row("a", &huge).bytes, u64::MAX);
}

#[test]
fn user_rows_merge_ids_and_resolved_names_into_one_row_each() {
    let row = |bytes_in: u64| {
        usage_row(
            "a",
            &wire::TrafficRow {
                bytes_in,
                bytes_out: 1,
                requests: Some(2),
                errors: Some(0),
                ..Default::default()
            },
        )
    };
    let names = HashMap::from([("s1a2b3c4d5e".to_string(), "sub_1".to_string())]);
    let rows = rows_by_user(
        "a",
        vec![
            (Some("sub_1".into()), row(10)),
            (None, row(5)),
            (Some("s1a2b3c4d5e".into()), row(20)),
            (Some("sgone000000".into()), row(1)),
            (Some("sub_0".into()), row(3)),
        ],
        &names,
    );
    let keys: Vec<Option<String>> = rows
        .iter()
        .map(|r| r.proxy_user.as_ref().map(ToString::to_string))
        .collect();
    assert_eq!(
        keys,
        [
            Some("a:sgone000000".to_string()),
            Some("a:sub_0".to_string()),
            Some("a:sub_1".to_string()),
            None
        ]
    );
    assert_eq!(rows[2].bytes, 32);
    assert_eq!(rows[2].bytes_in, Some(30));
    assert_eq!(rows[2].bytes_out, Some(2));
    assert_eq!(rows[2].requests, Some(4));
    assert_eq!(rows[3].bytes, 6);
    assert!(rows.iter().all(|r| r.account == "a" && r.day.is_none()));
}

#[test]
fn package_statuses_follow_the_end_of_the_period() {
    let now = datetime!(2026-05-10 00:00:00 UTC);
    let later = Some(datetime!(2026-05-20 00:00:00 UTC));
    let earlier = Some(datetime!(2026-05-01 00:00:00 UTC));
    assert_eq!(
        subscription_status("active", None, now),
        PackageStatus::Active
    );
    assert_eq!(
        subscription_status("paused", later, now),
        PackageStatus::Ending
    );
    assert_eq!(
        subscription_status("canceled", later, now),
        PackageStatus::Ending
    );
    assert_eq!(
        subscription_status("canceled", earlier, now),
        PackageStatus::Expired
    );
    assert_eq!(
        subscription_status("trialing", None, now),
        PackageStatus::Other
    );
    assert_eq!(batch_status(Some("provisioning")), PackageStatus::Pending);
    assert_eq!(batch_status(Some("active")), PackageStatus::Active);
    assert_eq!(batch_status(Some("grace-period")), PackageStatus::Ending);
    assert_eq!(batch_status(Some("expired")), PackageStatus::Expired);
    assert_eq!(batch_status(Some("frozen")), PackageStatus::Other);
    assert_eq!(batch_status(None), PackageStatus::Other);
}

#[test]
fn subscriptions_and_batches_become_exact_packages() {
    let now = datetime!(2026-05-10 00:00:00 UTC);
    let raw = json!({
        "id": "sbn_01HX", "product": "residential", "plan": "pro", "cycle": "monthly",
        "gb_included": 500, "price_usd": 1500.0, "status": "active",
        "renews_at": "2026-06-01T00:00:00Z", "ends_at": null,
        "created_at": "2026-01-01T09:00:00Z"
    });
    let sub: wire::Subscription = serde_json::from_value(raw.clone()).expect("sbn");
    let p = subscription_package("helo-main", &sub, &raw, now);
    assert_eq!(p.id, "helo-main:sbn_01HX");
    assert_eq!(p.kind, PackageKind::Subscription);
    assert_eq!(p.product, Product::Residential);
    assert_eq!(p.name.as_deref(), Some("pro"));
    assert_eq!(p.status, PackageStatus::Active);
    assert_eq!(p.traffic_included_bytes, Some(536_870_912_000));
    assert_eq!(p.ip_count, None);
    assert_eq!(p.created_at, Some(datetime!(2026-01-01 09:00:00 UTC)));
    assert_eq!(p.expires_at, Some(datetime!(2026-06-01 00:00:00 UTC)));
    assert_eq!(p.provider_data, raw);

    let canceled = json!({
        "id": "sbn_02", "product": "mobile", "plan": "starter", "status": "canceled",
        "renews_at": null, "ends_at": "2026-05-15T00:00:00Z", "gb_included": 25
    });
    let sub: wire::Subscription = serde_json::from_value(canceled.clone()).expect("sbn");
    let p = subscription_package("a", &sub, &canceled, now);
    assert_eq!(p.status, PackageStatus::Ending);
    assert_eq!(p.expires_at, Some(datetime!(2026-05-15 00:00:00 UTC)));
    assert_eq!(p.traffic_included_bytes, Some(26_843_545_600));

    let raw = json!({
        "id": "bat_01HX", "subuser": "sub_1", "country": "us", "quantity": 20,
        "status": "provisioning", "created_at": "2026-05-01T00:00:00Z",
        "expires_at": "2026-06-01T00:00:00Z"
    });
    let batch: wire::IspBatch = serde_json::from_value(raw.clone()).expect("batch");
    let p = batch_package("a", &batch, &raw);
    assert_eq!(p.id, "a:bat_01HX");
    assert_eq!(p.kind, PackageKind::IpBatch);
    assert_eq!(p.product, Product::Isp);
    assert_eq!(p.status, PackageStatus::Pending);
    assert_eq!(p.ip_count, Some(20));
    assert_eq!(p.traffic_included_bytes, None);
    assert_eq!(p.expires_at, Some(datetime!(2026-06-01 00:00:00 UTC)));
}

#[test]
fn error_fields_map_to_gateway_wire_names() {
    assert_eq!(field_to_gateway("label"), Some("label"));
    assert_eq!(field_to_gateway("concurrent_max"), Some("concurrency_max"));
    assert_eq!(field_to_gateway("rps_max"), Some("rps_max"));
    assert_eq!(field_to_gateway("products"), Some("products"));
    assert_eq!(field_to_gateway("name"), Some("username"));
    assert_eq!(field_to_gateway("cursor"), None);
    assert_eq!(field_to_gateway("Idempotency-Key"), None);
}

#[test]
fn labels_follow_the_simulators_rule() {
    assert_eq!(check_label("acme-prod 2.0_x"), Ok(()));
    assert!(check_label("").is_err());
    assert!(check_label(&"a".repeat(65)).is_err());
    assert_eq!(check_label(&"a".repeat(64)), Ok(()));
    assert!(check_label("naïve").is_err());
    assert!(check_label("a/b").is_err());
}

#[test]
fn the_write_key_is_cut_to_64_characters_and_a_short_key_kept() {
    let derived = crate::domain::idempotency::derive_write_key("key_A", "order-1");
    let fitted = fit_write_key(&derived);
    assert_eq!(fitted.len(), 64);
    assert_eq!(fitted, derived[..64]);
    assert_eq!(fit_write_key("order-1"), "order-1");
}

#[test]
fn idempotency_keys_get_an_index_in_batches_and_fit_64_characters() {
    assert_eq!(item_idempotency_key("k1", 0, false), "k1");
    assert_eq!(item_idempotency_key("k1", 2, true), "k1-2");
    let long = "x".repeat(64);
    assert_eq!(item_idempotency_key(&long, 0, false), long);
    let fitted = item_idempotency_key(&long, 3, true);
    assert_eq!(fitted.len(), 64);
    assert_eq!(fitted, hex::encode(Sha256::digest(format!("{long}-3"))));
    assert_ne!(fitted, item_idempotency_key(&long, 4, true));
}

#[test]
fn the_link_header_yields_the_next_cursor() {
    assert_eq!(
        next_cursor_from_link("<http://h/v1/subusers?limit=5&cursor=azpzdWJfMQ>; rel=\"next\""),
        Some("azpzdWJfMQ".to_string())
    );
    assert_eq!(
        next_cursor_from_link(
            "</v1/subusers?cursor=a>; rel=\"prev\", </v1/subusers?cursor=b%3D>; rel=\"next\""
        ),
        Some("b=".to_string())
    );
    assert_eq!(
        next_cursor_from_link("</v1/subusers?cursor=a>; rel=\"prev\""),
        None
    );
    assert_eq!(next_cursor_from_link("garbage"), None);
}

#[test]
fn cursors_resume_after_the_last_id_or_after_skip() {
    let c = ListCursor {
        upstream: Some("up".into()),
        skip: 2,
        last_id: Some("sub_b".into()),
    };
    assert_eq!(c.resume_index(&["sub_a", "sub_b", "sub_c"]), 2);
    // sub_a was deleted: the last id is found one place earlier.
    assert_eq!(c.resume_index(&["sub_b", "sub_c"]), 1);
    // sub_b itself was deleted: fall back to the count.
    assert_eq!(c.resume_index(&["sub_a", "sub_c", "sub_d"]), 2);
    assert_eq!(c.resume_index(&["sub_a"]), 1);
    assert_eq!(ListCursor::default().resume_index(&["x"]), 0);
    assert!(ListCursor::decode("not a cursor!").is_err());
    assert!(ListCursor::decode(&URL_SAFE_NO_PAD.encode("[1]")).is_err());
}

proptest! {
    #[test]
    fn cursors_round_trip(
        upstream in proptest::option::of(".{0,80}"),
        skip in 0u32..1000,
        last_id in proptest::option::of("[a-zA-Z0-9_]{1,40}"),
    ) {
        let c = ListCursor { upstream, skip, last_id };
        let text = c.encode();
        prop_assert!(text.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_'));
        prop_assert_eq!(ListCursor::decode(&text), Ok(c));
    }

    #[test]
    fn fitted_keys_are_never_longer_than_64(key in ".{0,200}", index in 0usize..1000) {
        prop_assert!(item_idempotency_key(&key, index, true).len() <= MAX_IDEMPOTENCY_KEY);
    }
}
