//! `/v1/locations/…`: both providers' geo lists merged with `served_by`, each provider's own
//! spelling kept, read once per TTL, and `ETag` / `If-None-Match` answering 304.

use reqwest::Method;
use serde_json::{Value, json};

use super::upstream_get;
use crate::support::{Db, TestApp, problem, spawn_app_with_sims};

async fn get(app: &TestApp, path: &str) -> Value {
    let response = app.admin(Method::GET, path).send().await.unwrap();
    assert_eq!(response.status(), 200, "{path}");
    response.json().await.unwrap()
}

fn codes(list: &Value) -> Vec<String> {
    list["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["code"].as_str().unwrap().to_string())
        .collect()
}

fn row<'a>(list: &'a Value, code: &str) -> &'a Value {
    list["data"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["code"] == code)
        .unwrap_or_else(|| panic!("{code} in {list}"))
}

fn upstream_geo_calls(app: &TestApp) -> usize {
    let sims = app.sims.as_ref().unwrap();
    sims.calls("911proxy")
        .iter()
        .filter(|c| c.path.contains("/ip/dynamic-"))
        .count()
        + sims
            .calls("helodata")
            .iter()
            .filter(|c| c.path == "/v1/residential/locations")
            .count()
}

#[tokio::test]
async fn countries_states_and_cities_merge_both_providers_in_their_own_spelling() {
    let app = spawn_app_with_sims(Db::Sqlite, &[]).await;
    let nine11 = upstream_get(&app, "911proxy", "/ip/dynamic-states", &[]).await;
    let helodata = upstream_get(
        &app,
        "helodata",
        "/residential/locations",
        &[("limit", "100")],
    )
    .await;
    let mut expected: Vec<String> = nine11["data"]["list"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["country_code"].as_str().unwrap().to_uppercase())
        .chain(
            helodata["data"]
                .as_array()
                .unwrap()
                .iter()
                .map(|c| c["country"].as_str().unwrap().to_uppercase()),
        )
        .collect();
    expected.sort();
    expected.dedup();
    app.sims.as_ref().unwrap().clear_calls();
    let countries = get(&app, "/v1/locations/countries").await;
    assert_eq!(codes(&countries), expected);
    let us = row(&countries, "US");
    assert_eq!(us["country"], "US");
    assert_eq!(
        us["served_by"],
        json!([
            {"account": "911proxy", "provider": "911proxy", "product": "residential"},
            {"account": "911proxy", "provider": "911proxy", "product": "residential_ip"},
            {"account": "helodata", "provider": "helodata", "product": "residential"}
        ])
    );
    // One read of each list per account: 911's two lists (once for each dynamic product),
    // helodata's one; every later request is answered from memory.
    let after_first = upstream_geo_calls(&app);
    assert_eq!(after_first, 5);
    let states = get(&app, "/v1/locations/states?country=us").await;
    let cities = get(&app, "/v1/locations/cities?country=US&state=california").await;
    assert_eq!(
        upstream_geo_calls(&app),
        after_first,
        "served from the cache"
    );

    let california = row(&states, "california");
    assert_eq!(california["served_by"][0]["account"], "911proxy");
    let ca = row(&states, "ca");
    assert_eq!(ca["name"], "California");
    assert_eq!(
        ca["served_by"],
        json!([{"account": "helodata", "provider": "helodata", "product": "residential"}])
    );
    assert_eq!(codes(&cities), ["losangeles", "sandiego", "sanfrancisco"]);
    assert!(
        cities["data"]
            .as_array()
            .unwrap()
            .iter()
            .all(|c| c["state"] == "california")
    );

    // Filters: account, product, text search.
    let helodata_only = get(
        &app,
        "/v1/locations/cities?country=us&state=ca&account=helodata",
    )
    .await;
    assert_eq!(codes(&helodata_only), ["la", "sandiego", "sf"]);
    assert_eq!(row(&helodata_only, "la")["name"], "Los Angeles");
    let searched = get(&app, "/v1/locations/cities?country=us&q=ANGEL").await;
    assert_eq!(codes(&searched), ["la", "losangeles"]);
    let ip_only = get(&app, "/v1/locations/countries?product=residential_ip").await;
    assert!(
        ip_only["data"]
            .as_array()
            .unwrap()
            .iter()
            .all(|c| c["served_by"] == json!([{"account": "911proxy", "provider": "911proxy", "product": "residential_ip"}]))
    );
    let (status, body) = problem(
        app.admin(Method::GET, "/v1/locations/states")
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!((status, body["field"].as_str()), (400, Some("country")));
}

#[tokio::test]
async fn an_unchanged_list_is_304_for_its_etag_and_a_zero_ttl_reads_every_time() {
    let app = spawn_app_with_sims(Db::Sqlite, &[]).await;
    let first = app
        .admin(Method::GET, "/v1/locations/countries?account=911proxy")
        .send()
        .await
        .unwrap();
    assert_eq!(first.status(), 200);
    let etag = first.headers()["etag"].to_str().unwrap().to_string();
    assert!(etag.starts_with('"') && etag.ends_with('"'), "{etag}");
    let again = app
        .admin(Method::GET, "/v1/locations/countries?account=911proxy")
        .header("If-None-Match", &etag)
        .send()
        .await
        .unwrap();
    assert_eq!(again.status(), 304);
    assert_eq!(again.headers()["etag"].to_str().unwrap(), etag);
    assert!(again.bytes().await.unwrap().is_empty());
    let other = app
        .admin(Method::GET, "/v1/locations/countries?account=911proxy")
        .header("If-None-Match", "\"something-else\"")
        .send()
        .await
        .unwrap();
    assert_eq!(other.status(), 200);

    let uncached = spawn_app_with_sims(Db::Sqlite, &[("PGW_LOCATIONS_TTL_SECS", "0")]).await;
    uncached.sims.as_ref().unwrap().clear_calls();
    for _ in 0..2 {
        get(&uncached, "/v1/locations/countries?account=helodata").await;
    }
    assert_eq!(
        upstream_geo_calls(&uncached),
        2,
        "one read per request with a zero TTL"
    );
}
