//! `/v1/whitelist-entries` over both providers: listings equal to what the simulator holds,
//! keyed and audited writes that replay, the providers' rules and caps checked before any
//! upstream write, and the exact upstream calls (paths, parameters, where the credential goes).

use reqwest::Method;
use serde_json::{Value, json};

use super::{for_both_providers, upstream_get};
use crate::audit::{event_of_request, request_id};
use crate::support::{Db, TestApp, http_client, problem, spawn_app_with_sims};

/// 911's whitelist product types, in the gateway's listing order.
const NINE11_TYPES: [(i64, &str); 4] = [
    (9, "residential"),
    (11, "residential_ip"),
    (25, "isp"),
    (14, "datacenter"),
];

/// Every entry the simulator holds, normalized the way the gateway must show it.
async fn expected_entries(app: &TestApp, account: &str) -> Vec<Value> {
    let mut out = Vec::new();
    match account {
        "911proxy" => {
            for (product_type, product) in NINE11_TYPES {
                let t = product_type.to_string();
                let body =
                    upstream_get(app, account, "/proxy-ip/list", &[("product_type", &t)]).await;
                for row in body["data"]["list"].as_array().unwrap() {
                    let remark = row["remark"].as_str().unwrap();
                    out.push(json!({
                        "id": format!("911proxy:{product_type}:{}", row["ip"].as_str().unwrap()),
                        "account": "911proxy", "provider": "911proxy",
                        "ip": row["ip"], "product": product,
                        "proxy_user": null, "ip_batch": null,
                        "label": if remark.is_empty() { Value::Null } else { json!(remark) },
                        "active": true, "created_at": row["created_at"],
                        "provider_data": row,
                    }));
                }
            }
        }
        _ => {
            let subs = upstream_get(app, account, "/whitelists", &[("limit", "100")]).await;
            for row in subs["data"].as_array().unwrap() {
                out.push(json!({
                    "id": format!("helodata:{}", row["id"].as_str().unwrap()),
                    "account": "helodata", "provider": "helodata",
                    "ip": row["ip"], "product": row["product"],
                    "proxy_user": format!("helodata:{}", row["subuser"].as_str().unwrap()),
                    "ip_batch": null, "label": row["label"], "active": row["active"],
                    "created_at": row["created_at"], "provider_data": row,
                }));
            }
            let batches = upstream_get(app, account, "/isp/batches", &[("limit", "100")]).await;
            for batch in batches["data"].as_array().unwrap() {
                let id = batch["id"].as_str().unwrap();
                let path = format!("/isp/batches/{id}/whitelist");
                let rows = upstream_get(app, account, &path, &[("limit", "100")]).await;
                for row in rows["data"].as_array().unwrap() {
                    out.push(json!({
                        "id": format!("helodata:{id}:{}", row["id"].as_str().unwrap()),
                        "account": "helodata", "provider": "helodata",
                        "ip": row["ip"], "product": "isp", "proxy_user": null,
                        "ip_batch": format!("helodata:{id}"), "label": row["label"],
                        "active": row["active"], "created_at": row["created_at"],
                        "provider_data": row,
                    }));
                }
            }
        }
    }
    out
}

/// Every entry through the gateway, page by page (`limit` per page).
async fn gateway_entries(app: &TestApp, query: &str, limit: u32) -> Vec<Value> {
    let mut out = Vec::new();
    let mut path = format!("/v1/whitelist-entries?{query}&limit={limit}");
    for _ in 0..100 {
        let response = app.admin(Method::GET, &path).send().await.unwrap();
        assert_eq!(response.status(), 200, "{path}");
        let body: Value = response.json().await.unwrap();
        let page = body["data"].as_array().unwrap();
        assert!(page.len() <= limit as usize);
        out.extend(page.iter().cloned());
        match body["next_cursor"].as_str() {
            Some(cursor) => {
                path = format!("/v1/whitelist-entries?{query}&limit={limit}&cursor={cursor}")
            }
            None => return out,
        }
    }
    panic!("the listing did not end");
}

/// A proxy user of the account that can hold a whitelist entry (helodata: one with the
/// residential product), as its gateway id.
async fn some_proxy_user(app: &TestApp) -> String {
    let subs = upstream_get(app, "helodata", "/subusers", &[("limit", "100")]).await;
    let sub = subs["data"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| {
            s["products"]
                .as_array()
                .unwrap()
                .contains(&json!("residential"))
        })
        .expect("a residential sub-user");
    format!("helodata:{}", sub["id"].as_str().unwrap())
}

/// A valid new entry for the account.
async fn new_entry(app: &TestApp, account: &str, ip: &str) -> Value {
    match account {
        "911proxy" => json!({"account": account, "ip": ip, "label": "office-egress"}),
        _ => json!({"account": account, "ip": ip, "label": "office-egress",
                    "proxy_user": some_proxy_user(app).await, "product": "residential"}),
    }
}

/// The simulator's own POSTs and DELETEs (the writes that reached the provider).
fn upstream_writes(
    app: &TestApp,
    account: &str,
) -> Vec<proxy_gateway::sim::control::calls::CallRecord> {
    app.sims
        .as_ref()
        .unwrap()
        .calls(account)
        .into_iter()
        .filter(|c| c.method != "GET")
        .collect()
}

async fn whitelist_listing_shows_every_entry_the_provider_holds(account: &str) {
    let app = spawn_app_with_sims(Db::Sqlite, &[]).await;
    let expected = expected_entries(&app, account).await;
    assert!(
        expected.len() >= 4,
        "the simulator seeds entries: {expected:?}"
    );
    app.sims.as_ref().unwrap().clear_calls();
    // A small page size walks the cursor across product types (911) and batches (helodata).
    let listed = gateway_entries(&app, &format!("account={account}"), 2).await;
    assert_eq!(listed.len(), expected.len());
    for (got, want) in listed.iter().zip(&expected) {
        for field in [
            "id",
            "account",
            "provider",
            "ip",
            "product",
            "proxy_user",
            "ip_batch",
            "label",
            "active",
            "provider_data",
        ] {
            assert_eq!(got[field], want[field], "{field} of {got}");
        }
        let parse = |v: &Value| {
            time::OffsetDateTime::parse(
                v.as_str().unwrap(),
                &time::format_description::well_known::Rfc3339,
            )
            .unwrap()
        };
        assert_eq!(parse(&got["created_at"]), parse(&want["created_at"]));
    }
    let calls = app.sims.as_ref().unwrap().calls(account);
    match account {
        "911proxy" => {
            let first_page: Vec<&str> = calls
                .iter()
                .take(4)
                .map(|c| c.query_params["product_type"].as_str().unwrap())
                .collect();
            let mut sorted = first_page.clone();
            sorted.sort();
            assert_eq!(sorted, ["11", "14", "25", "9"], "one list per product type");
            for call in &calls {
                assert_eq!(call.path, "/api-gate-way/proxy-ip/list");
                assert_eq!(
                    call.query_params["app_key"],
                    proxy_gateway::sim::DEFAULT_NINE11_APP_KEY
                );
            }
        }
        _ => {
            assert!(calls.iter().any(|c| c.path == "/v1/whitelists"));
            assert!(
                calls
                    .iter()
                    .any(|c| c.path.starts_with("/v1/isp/batches/")
                        && c.path.ends_with("/whitelist"))
            );
            for call in &calls {
                assert!(
                    call.headers["authorization"]
                        .as_str()
                        .unwrap()
                        .starts_with("Bearer ")
                );
                assert!(call.query_params.get("app_key").is_none());
            }
        }
    }
    // Filters: by product, and (helodata) by proxy user.
    let isp = gateway_entries(&app, &format!("account={account}&product=isp"), 50).await;
    let want_isp: Vec<&Value> = expected.iter().filter(|e| e["product"] == "isp").collect();
    assert_eq!(isp.len(), want_isp.len());
    assert!(!isp.is_empty());
    if account == "helodata" {
        let user = expected[0]["proxy_user"].as_str().unwrap().to_string();
        let own = gateway_entries(&app, &format!("proxy_user={user}"), 50).await;
        let want: Vec<&Value> = expected
            .iter()
            .filter(|e| e["proxy_user"] == user.as_str())
            .collect();
        assert_eq!(own.len(), want.len());
        assert!(own.iter().all(|e| e["proxy_user"] == user.as_str()));
    } else {
        let (status, body) = problem(
            app.admin(
                Method::GET,
                "/v1/whitelist-entries?proxy_user=911proxy:user01",
            )
            .send()
            .await
            .unwrap(),
        )
        .await;
        assert_eq!((status, body["field"].as_str()), (400, Some("proxy_user")));
    }
}

async fn whitelist_add_and_delete_are_keyed_audited_and_exact(account: &str) {
    let app = spawn_app_with_sims(Db::Sqlite, &[]).await;
    let body = new_entry(&app, account, "203.0.113.77").await;
    app.sims.as_ref().unwrap().clear_calls();
    let rid = request_id();
    let send = |key: &'static str, rid: Option<String>| {
        let mut request = app
            .admin(Method::POST, "/v1/whitelist-entries")
            .header("Idempotency-Key", key)
            .json(&body);
        if let Some(rid) = rid {
            request = request.header("X-Request-Id", rid);
        }
        request.send()
    };
    let created = send("wl-add-1", Some(rid.clone())).await.unwrap();
    assert_eq!(created.status(), 201);
    let location = created.headers()["location"].to_str().unwrap().to_string();
    let created: Value = created.json().await.unwrap();
    assert_eq!(
        location,
        format!("/v1/whitelist-entries/{}", created["id"].as_str().unwrap())
    );
    assert_eq!(created["ip"], "203.0.113.77");
    assert_eq!(created["product"], "residential");
    assert_eq!(created["label"], "office-egress");
    assert_eq!(created["active"], true);
    assert!(
        created["created_at"].is_string(),
        "read back from the provider: {created}"
    );
    match account {
        "911proxy" => {
            assert_eq!(created["id"], "911proxy:9:203.0.113.77");
            assert_eq!(created["proxy_user"], Value::Null);
        }
        _ => {
            assert!(created["id"].as_str().unwrap().starts_with("helodata:wl_"));
            assert_eq!(created["proxy_user"], body["proxy_user"]);
        }
    }
    // The replay answers the same entry without a second upstream add.
    let again = send("wl-add-1", None).await.unwrap();
    assert_eq!(again.status(), 201);
    assert_eq!(again.headers()["idempotent-replayed"], "true");
    assert_eq!(again.json::<Value>().await.unwrap(), created);
    let writes = upstream_writes(&app, account);
    assert_eq!(writes.len(), 1, "one upstream add: {writes:?}");
    let add = &writes[0];
    match account {
        "911proxy" => {
            assert_eq!(add.path, "/api-gate-way/proxy-ip/add");
            assert_eq!(
                add.query_params["app_key"],
                proxy_gateway::sim::DEFAULT_NINE11_APP_KEY
            );
            let sent: Value = serde_json::from_str(&add.body).unwrap();
            assert_eq!(
                sent,
                json!({"ips": "203.0.113.77", "product_type": 9, "remark": "office-egress"})
            );
        }
        _ => {
            assert_eq!(add.path, "/v1/whitelists");
            assert_eq!(
                add.headers["idempotency-key"]
                    .as_str()
                    .map(str::len)
                    .map(|l| l > 0),
                Some(true)
            );
            let sent: Value = serde_json::from_str(&add.body).unwrap();
            let subuser = body["proxy_user"]
                .as_str()
                .unwrap()
                .trim_start_matches("helodata:");
            assert_eq!(
                sent,
                json!({"subuser": subuser, "product": "residential", "ip": "203.0.113.77",
                       "label": "office-egress"})
            );
        }
    }
    // The audit event names the entry and carries no credential.
    let event = event_of_request(&app, &rid).await;
    assert_eq!(event["operation"], "whitelist_entries.create");
    assert_eq!(event["outcome"], "succeeded");
    assert_eq!(event["resource"]["ids"], json!([created["id"]]));
    let text = event.to_string();
    for secret in [
        proxy_gateway::sim::DEFAULT_NINE11_APP_KEY,
        proxy_gateway::sim::DEFAULT_HELODATA_TOKEN,
    ] {
        assert!(!text.contains(secret), "no credential in {text}");
    }
    // Listed, then deleted (keyed; the replay does not call upstream again), then gone.
    let listed = gateway_entries(&app, &format!("account={account}"), 100).await;
    assert!(listed.iter().any(|e| e["id"] == created["id"]));
    app.sims.as_ref().unwrap().clear_calls();
    let path = format!("/v1/whitelist-entries/{}", created["id"].as_str().unwrap());
    for _ in 0..2 {
        let deleted = app
            .admin(Method::DELETE, &path)
            .header("Idempotency-Key", "wl-del-1")
            .send()
            .await
            .unwrap();
        assert_eq!(deleted.status(), 204);
    }
    let writes = upstream_writes(&app, account);
    assert_eq!(writes.len(), 1, "one upstream delete: {writes:?}");
    match account {
        "911proxy" => {
            assert_eq!(writes[0].path, "/api-gate-way/proxy-ip/delete");
            let sent: Value = serde_json::from_str(&writes[0].body).unwrap();
            assert_eq!(sent, json!({"ips": "203.0.113.77", "product_type": 9}));
        }
        _ => {
            let upstream = created["id"]
                .as_str()
                .unwrap()
                .trim_start_matches("helodata:");
            assert_eq!(writes[0].method, "DELETE");
            assert_eq!(writes[0].path, format!("/v1/whitelists/{upstream}"));
        }
    }
    let listed = gateway_entries(&app, &format!("account={account}"), 100).await;
    assert!(!listed.iter().any(|e| e["id"] == created["id"]));
    let (status, body) = problem(
        app.admin(Method::DELETE, &path)
            .header("Idempotency-Key", "wl-del-2")
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!((status, body["code"].as_str()), (404, Some("not_found")));
}

async fn whitelist_rules_and_duplicates_are_refused_before_any_upstream_write(account: &str) {
    let app = spawn_app_with_sims(Db::Sqlite, &[]).await;
    let existing = expected_entries(&app, account).await;
    let base = new_entry(&app, account, "203.0.113.90").await;
    let with = |changes: Value| {
        let mut body = base.clone();
        for (k, v) in changes.as_object().unwrap() {
            if v.is_null() {
                body.as_object_mut().unwrap().remove(k);
            } else {
                body[k] = v.clone();
            }
        }
        body
    };
    let duplicate = existing
        .iter()
        .find(|e| e["product"] == "residential" && e["proxy_user"] == base["proxy_user"].clone())
        .map(|e| e["ip"].clone());
    let mut cases = vec![
        (with(json!({"ip": "example.com"})), "ip"),
        (with(json!({"ip": "203.0.113.5/33"})), "ip"),
        (with(json!({"account": "nope"})), "account"),
        (with(json!({"proxy_user": "not-an-id"})), "proxy_user"),
        (with(json!({"product": "other"})), "product"),
        (with(json!({"label": "x".repeat(65)})), "label"),
    ];
    match account {
        "911proxy" => {
            cases.push((with(json!({"ip": "203.0.113.0/24"})), "ip"));
            cases.push((with(json!({"proxy_user": "911proxy:user01"})), "proxy_user"));
            cases.push((with(json!({"ip_batch": "911proxy:bat_1"})), "ip_batch"));
            cases.push((with(json!({"product": "residential_ip"})), "package"));
            cases.push((with(json!({"package": "911proxy:501"})), "package"));
            cases.push((with(json!({"product": "mobile"})), "product"));
            cases.push((with(json!({"proxy_user": "helodata:sub_1"})), "proxy_user"));
        }
        _ => {
            cases.push((with(json!({"ip": "203.0.0.0/16"})), "ip"));
            cases.push((with(json!({"ip": "2001:db8::/48"})), "ip"));
            cases.push((with(json!({"proxy_user": null})), "proxy_user"));
            cases.push((with(json!({"ip_batch": "helodata:bat_1"})), "ip_batch"));
            cases.push((with(json!({"product": "isp"})), "product"));
            cases.push((with(json!({"label": "no/slash"})), "label"));
            cases.push((with(json!({"package": "helodata:sbn_1"})), "package"));
            cases.push((
                with(json!({"proxy_user": null, "product": null, "ip_batch": "helodata:bat_nope"})),
                "ip_batch",
            ));
        }
    }
    let duplicate = match account {
        "911proxy" => existing
            .iter()
            .find(|e| e["product"] == "residential")
            .map(|e| e["ip"].clone()),
        _ => duplicate,
    };
    if let Some(ip) = duplicate {
        cases.push((with(json!({"ip": ip})), "ip"));
    }
    app.sims.as_ref().unwrap().clear_calls();
    for (n, (body, field)) in cases.iter().enumerate() {
        let (status, problem) = problem(
            app.admin(Method::POST, "/v1/whitelist-entries")
                .header("Idempotency-Key", format!("wl-bad-{n}"))
                .json(body)
                .send()
                .await
                .unwrap(),
        )
        .await;
        assert_eq!(
            (status, problem["field"].as_str()),
            (400, Some(*field)),
            "{body}: {problem}"
        );
    }
    assert!(
        upstream_writes(&app, account).is_empty(),
        "nothing was written upstream"
    );
}

/// Fills the scope `body` adds to up to its cap, straight at the simulator.
async fn fill_to_cap(app: &TestApp, account: &str, body: &Value) -> u64 {
    let sims = app.sims.as_ref().unwrap();
    let base = sims.for_account(account).base_url();
    let client = http_client();
    match account {
        "911proxy" => {
            let quota =
                upstream_get(app, account, "/white-ip/quota", &[("product_type", "9")]).await;
            let (cap, used) = (
                quota["data"]["quota"].as_u64().unwrap(),
                quota["data"]["used"].as_u64().unwrap(),
            );
            let ips: Vec<String> = (used..cap).map(|i| format!("100.64.0.{}", i + 1)).collect();
            let answer: Value = client
                .post(format!("{base}/api-gate-way/proxy-ip/add"))
                .query(&[("app_key", proxy_gateway::sim::DEFAULT_NINE11_APP_KEY)])
                .json(&json!({"ips": ips.join(","), "product_type": 9}))
                .send()
                .await
                .unwrap()
                .json()
                .await
                .unwrap();
            assert_eq!(answer["code"], 200, "{answer}");
            cap
        }
        _ => {
            let subuser = body["proxy_user"]
                .as_str()
                .unwrap()
                .trim_start_matches("helodata:");
            for i in 0..50 {
                let response = client
                    .post(format!("{base}/whitelists"))
                    .bearer_auth(proxy_gateway::sim::DEFAULT_HELODATA_TOKEN)
                    .json(&json!({"subuser": subuser, "product": "residential",
                                  "ip": format!("100.64.1.{}", i + 1)}))
                    .send()
                    .await
                    .unwrap();
                // Entries already there make the scope full before 50 adds.
                if response.status() != 201 {
                    break;
                }
            }
            50
        }
    }
}

async fn whitelist_quota_reports_the_cap_and_a_full_scope_is_a_conflict(account: &str) {
    let app = spawn_app_with_sims(Db::Sqlite, &[]).await;
    let body = new_entry(&app, account, "203.0.113.91").await;
    let scope_query = match account {
        "911proxy" => "account=911proxy&product=residential".to_string(),
        _ => format!("proxy_user={}", body["proxy_user"].as_str().unwrap()),
    };
    let quota = |app: &TestApp| {
        let path = format!("/v1/whitelist-entries/quota?{scope_query}");
        let request = app.admin(Method::GET, &path);
        async move {
            let response = request.send().await.unwrap();
            assert_eq!(response.status(), 200);
            let body: Value = response.json().await.unwrap();
            body["data"]
                .as_array()
                .unwrap()
                .iter()
                .find(|r| r["product"] == "residential")
                .cloned()
                .expect("a residential scope")
        }
    };
    let before = quota(&app).await;
    let listed = gateway_entries(&app, &scope_query, 100).await;
    let listed_residential = listed
        .iter()
        .filter(|e| e["product"] == "residential")
        .count();
    assert_eq!(before["used"], listed_residential as u64);
    assert_eq!(before["account"], account);
    match account {
        "911proxy" => {
            assert_eq!(before["allowed"], 20);
            assert_eq!(before["proxy_user"], Value::Null);
        }
        _ => {
            assert_eq!(before["allowed"], 50);
            assert_eq!(before["proxy_user"], body["proxy_user"]);
        }
    }
    let cap = fill_to_cap(&app, account, &body).await;
    let after = quota(&app).await;
    assert_eq!(
        (after["used"].as_u64(), after["allowed"].as_u64()),
        (Some(cap), Some(cap))
    );
    app.sims.as_ref().unwrap().clear_calls();
    let (status, problem) = problem(
        app.admin(Method::POST, "/v1/whitelist-entries")
            .header("Idempotency-Key", "wl-full")
            .json(&body)
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(
        (status, problem["code"].as_str()),
        (409, Some("conflict")),
        "{problem}"
    );
    let detail = problem["detail"].as_str().unwrap();
    assert!(
        detail.contains(&format!("cap is {cap} entries")),
        "{detail}"
    );
    assert!(upstream_writes(&app, account).is_empty());
}

for_both_providers!(
    whitelist_listing_shows_every_entry_the_provider_holds,
    whitelist_add_and_delete_are_keyed_audited_and_exact,
    whitelist_rules_and_duplicates_are_refused_before_any_upstream_write,
    whitelist_quota_reports_the_cap_and_a_full_scope_is_a_conflict,
);

#[tokio::test]
async fn whitelist_listing_spans_accounts_and_an_unknown_entry_id_is_404() {
    let app = spawn_app_with_sims(Db::Sqlite, &[]).await;
    let all = gateway_entries(&app, "", 3).await;
    let accounts: Vec<&str> = all.iter().map(|e| e["account"].as_str().unwrap()).collect();
    let mut sorted = accounts.clone();
    sorted.sort();
    assert_eq!(accounts, sorted, "accounts in name order");
    assert!(accounts.contains(&"911proxy") && accounts.contains(&"helodata"));
    assert_eq!(
        all.len(),
        expected_entries(&app, "911proxy").await.len()
            + expected_entries(&app, "helodata").await.len()
    );
    for id in [
        "911proxy:9:198.18.0.1",
        "helodata:wl_nope",
        "911proxy:garbage",
    ] {
        let (status, body) = problem(
            app.admin(Method::DELETE, &format!("/v1/whitelist-entries/{id}"))
                .header("Idempotency-Key", format!("del-{id}"))
                .send()
                .await
                .unwrap(),
        )
        .await;
        assert_eq!(
            (status, body["code"].as_str()),
            (404, Some("not_found")),
            "{id}"
        );
    }
}

#[tokio::test]
async fn an_ipv6_entry_on_911_round_trips_through_its_id_and_a_residential_ip_one_names_its_package()
 {
    let app = spawn_app_with_sims(Db::Sqlite, &[]).await;
    let created = app
        .admin(Method::POST, "/v1/whitelist-entries")
        .header("Idempotency-Key", "wl-v6")
        .json(&json!({"account": "911proxy", "ip": "2001:DB8::5", "product": "isp"}))
        .send()
        .await
        .unwrap();
    assert_eq!(created.status(), 201);
    let created: Value = created.json().await.unwrap();
    assert_eq!(created["id"], "911proxy:25:2001:db8::5");
    assert_eq!(created["ip"], "2001:db8::5");
    let deleted = app
        .admin(
            Method::DELETE,
            "/v1/whitelist-entries/911proxy:25:2001:db8::5",
        )
        .header("Idempotency-Key", "wl-v6-del")
        .send()
        .await
        .unwrap();
    assert_eq!(deleted.status(), 204);
    // A type-11 package from the gateway's own package list opens a residential_ip entry.
    let packages: Value = app
        .admin(Method::GET, "/v1/packages?account=911proxy&limit=200")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let package = packages["data"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["product"] == "residential_ip")
        .expect("a residential_ip package in the seed");
    app.sims.as_ref().unwrap().clear_calls();
    let created = app
        .admin(Method::POST, "/v1/whitelist-entries")
        .header("Idempotency-Key", "wl-11")
        .json(
            &json!({"account": "911proxy", "ip": "198.18.7.7", "product": "residential_ip",
                      "package": package["id"]}),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(created.status(), 201);
    let created: Value = created.json().await.unwrap();
    assert_eq!(created["product"], "residential_ip");
    let writes = upstream_writes(&app, "911proxy");
    let sent: Value = serde_json::from_str(&writes[0].body).unwrap();
    let package_number: i64 = package["id"].as_str().unwrap()["911proxy:".len()..]
        .parse()
        .unwrap();
    assert_eq!(sent["product_type"], 11);
    assert_eq!(sent["user_product_id"], package_number);
}
