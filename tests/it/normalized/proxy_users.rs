//! `/v1/proxy-users` over both providers.

use proxy_gateway::sim::control::calls::AuthPlacement;
use reqwest::Method;
use serde_json::{Value, json};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use super::{
    GIB, create_body, for_both_providers, gateway_users, upstream_id, upstream_paths,
    upstream_users,
};
use crate::support::{Db, problem, spawn_app_with_sims};

/// 911's `Y-m-d H:i:s` read at UTC+8 (the tests' configured zone), as RFC 3339 UTC.
fn nine11_time_to_utc(local: &str) -> String {
    let format = time::macros::format_description!("[year]-[month]-[day] [hour]:[minute]:[second]");
    let naive = time::PrimitiveDateTime::parse(local, format).expect("911 time");
    naive
        .assume_offset(time::macros::offset!(+8))
        .to_offset(time::UtcOffset::UTC)
        .format(&Rfc3339)
        .unwrap()
}

fn same_instant(a: &Value, b: &Value) -> bool {
    match (a.as_str(), b.as_str()) {
        (Some(a), Some(b)) => {
            OffsetDateTime::parse(a, &Rfc3339).ok() == OffsetDateTime::parse(b, &Rfc3339).ok()
        }
        _ => a == b,
    }
}

fn nine11_product(product_type: i64) -> &'static str {
    match product_type {
        9 => "residential",
        11 => "residential_ip",
        14 => "datacenter",
        25 => "isp",
        _ => "other",
    }
}

/// The normalized view the gateway must give of one raw upstream user.
fn assert_normalized(account: &str, raw: &Value, user: &Value) {
    assert_eq!(user["account"], account);
    assert_eq!(user["provider"], account);
    assert!(
        user.get("password").is_none(),
        "no password without include=password: {user}"
    );
    match account {
        "911proxy" => {
            assert_eq!(
                user["id"],
                format!("911proxy:{}", raw["username"].as_str().unwrap())
            );
            assert_eq!(user["username"], raw["username"]);
            let remark = raw["remark"].as_str().unwrap();
            assert_eq!(
                user["label"],
                if remark.is_empty() {
                    Value::Null
                } else {
                    json!(remark)
                }
            );
            assert_eq!(
                user["products"],
                json!([nine11_product(raw["product_type"].as_i64().unwrap())])
            );
            assert_eq!(
                user["status"],
                if raw["status"] == 1 {
                    "enabled"
                } else {
                    "disabled"
                }
            );
            let limit = raw["limit_flow"].as_u64().unwrap();
            assert_eq!(
                user["traffic_limit_bytes"],
                if limit == 0 {
                    Value::Null
                } else {
                    json!(limit * GIB)
                }
            );
            assert_eq!(
                user["traffic_used_bytes"],
                json!(raw["usage_flow"].as_u64().unwrap() * 1024)
            );
            assert_eq!(user["concurrency_max"], Value::Null);
            assert_eq!(user["rps_max"], Value::Null);
            assert_eq!(
                user["created_at"],
                json!(nine11_time_to_utc(raw["created_at"].as_str().unwrap()))
            );
            let mut without_password = raw.clone();
            without_password.as_object_mut().unwrap().remove("password");
            assert_eq!(
                user["provider_data"], without_password,
                "provider_data keeps the raw object minus the password"
            );
        }
        _ => {
            assert_eq!(
                user["id"],
                format!("helodata:{}", raw["id"].as_str().unwrap())
            );
            assert_eq!(user["username"], raw["name"]);
            assert_eq!(user["label"], raw["label"]);
            assert_eq!(user["products"], raw["products"]);
            assert_eq!(
                user["status"],
                if raw["status"] == "active" {
                    "enabled"
                } else {
                    "disabled"
                }
            );
            assert_eq!(user["traffic_limit_bytes"], Value::Null);
            assert_eq!(user["traffic_used_bytes"], Value::Null);
            assert_eq!(user["concurrency_max"], raw["concurrent_max"]);
            assert_eq!(user["rps_max"], raw["rps_max"]);
            assert!(
                same_instant(&user["created_at"], &raw["created_at"]),
                "{} vs {}",
                user["created_at"],
                raw["created_at"]
            );
            assert_eq!(user["provider_data"], *raw);
        }
    }
}

async fn listing_normalizes_every_upstream_user_exactly(account: &str) {
    let app = spawn_app_with_sims(Db::Sqlite, &[]).await;
    let raw_users = upstream_users(&app, account).await;
    assert!(raw_users.len() >= 5, "the seed has users");
    let users = gateway_users(&app, account).await;
    let mut checked = 0;
    for raw in &raw_users {
        let id = format!("{account}:{}", upstream_id(account, raw));
        let duplicates = raw_users
            .iter()
            .filter(|r| upstream_id(account, r) == upstream_id(account, raw))
            .count();
        if duplicates > 1 {
            continue; // 911 usernames repeated across product types: see the adapter's note.
        }
        let user = users
            .iter()
            .find(|u| u["id"] == id.as_str())
            .unwrap_or_else(|| panic!("{id} listed"));
        assert_normalized(account, raw, user);
        checked += 1;
    }
    assert!(checked >= 5);
}

async fn paging_visits_every_user_exactly_once_and_link_follows_the_cursor(account: &str) {
    let app = spawn_app_with_sims(Db::Sqlite, &[]).await;
    let all = gateway_users(&app, account).await;
    let mut seen = Vec::new();
    let mut path = format!("/v1/proxy-users?account={account}&limit=3");
    loop {
        let response = app.admin(Method::GET, &path).send().await.unwrap();
        let link = response
            .headers()
            .get("link")
            .map(|v| v.to_str().unwrap().to_string());
        let body: Value = response.json().await.unwrap();
        let page = body["data"].as_array().unwrap();
        assert!(page.len() <= 3);
        seen.extend(page.iter().map(|u| u["id"].as_str().unwrap().to_string()));
        match body["next_cursor"].as_str() {
            Some(cursor) => {
                let link = link.expect("Link header with a next page");
                assert!(link.contains(&format!("cursor={cursor}")), "{link}");
                path = link
                    .trim_start_matches('<')
                    .split('>')
                    .next()
                    .unwrap()
                    .to_string();
            }
            None => break,
        }
    }
    let mut unique = seen.clone();
    unique.sort();
    unique.dedup();
    assert_eq!(unique.len(), seen.len(), "no user twice");
    assert_eq!(seen.len(), all.len(), "every user once");
}

async fn filters_select_by_status_product_label_and_username_prefix(account: &str) {
    let app = spawn_app_with_sims(Db::Sqlite, &[]).await;
    let all = gateway_users(&app, account).await;
    let base = format!("/v1/proxy-users?account={account}&limit=200");
    let first = &all[0];
    let prefix: String = first["username"]
        .as_str()
        .unwrap()
        .chars()
        .take(3)
        .collect();
    let product = first["products"][0].as_str().unwrap().to_string();
    for (query, predicate) in [
        (
            "status=disabled".to_string(),
            Box::new(|u: &Value| u["status"] == "disabled") as Box<dyn Fn(&Value) -> bool>,
        ),
        (
            "status=enabled".to_string(),
            Box::new(|u: &Value| u["status"] == "enabled"),
        ),
        (
            format!("username_prefix={prefix}"),
            Box::new(move |u: &Value| u["username"].as_str().unwrap().starts_with(&prefix)),
        ),
        (
            format!("product={product}"),
            Box::new(move |u: &Value| {
                u["products"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .any(|p| p == product.as_str())
            }),
        ),
    ] {
        let body: Value = app
            .admin(Method::GET, &format!("{base}&{query}"))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let got: Vec<&str> = body["data"]
            .as_array()
            .unwrap()
            .iter()
            .map(|u| u["id"].as_str().unwrap())
            .collect();
        let want: Vec<&str> = all
            .iter()
            .filter(|u| predicate(u))
            .map(|u| u["id"].as_str().unwrap())
            .collect();
        assert_eq!(got, want, "{query}");
    }
}

async fn passwords_show_only_to_secrets_read_keys_that_ask(account: &str) {
    let app = spawn_app_with_sims(Db::Sqlite, &[]).await;
    let (_, reader) = app.create_key("reader", &["read"]).await;
    let (_, secrets) = app.create_key("secrets", &["read", "secrets:read"]).await;
    let response = app
        .client
        .get(app.url(&format!(
            "/v1/proxy-users?account={account}&include=password"
        )))
        .bearer_auth(&reader)
        .send()
        .await
        .unwrap();
    let (status, body) = problem(response).await;
    assert_eq!((status, body["field"].as_str()), (403, Some("include")));
    let body: Value = app
        .client
        .get(app.url(&format!(
            "/v1/proxy-users?account={account}&include=password&limit=200"
        )))
        .bearer_auth(&secrets)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let raw = upstream_users(&app, account).await;
    for user in body["data"].as_array().unwrap() {
        match account {
            "911proxy" => {
                let upstream = raw
                    .iter()
                    .find(|r| r["username"] == user["username"])
                    .unwrap();
                assert_eq!(
                    user["password"], upstream["password"],
                    "911 lists passwords; shown on request"
                );
                assert!(
                    user["provider_data"].get("password").is_none(),
                    "never inside provider_data"
                );
            }
            _ => assert!(
                user.get("password").is_none_or(Value::is_null),
                "helodata never lists passwords"
            ),
        }
    }
}

async fn create_read_patch_rotate_delete_round_trip(account: &str) {
    let app = spawn_app_with_sims(Db::Sqlite, &[]).await;
    let response = app
        .admin(Method::POST, "/v1/proxy-users")
        .json(&create_body(account, "lifecycle"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 201, "{}", response.text().await.unwrap());
    let location = response.headers()["location"].to_str().unwrap().to_string();
    let created: Value = response.json().await.unwrap();
    let id = created["id"].as_str().unwrap().to_string();
    assert_eq!(location, format!("/v1/proxy-users/{id}"));
    let password = created["password"]
        .as_str()
        .expect("password once")
        .to_string();
    assert!(
        password.len() >= 6 && password.chars().all(|c| c.is_ascii_alphanumeric()),
        "{password}"
    );
    assert_eq!(created["label"], "lifecycle");
    assert_eq!(created["status"], "enabled");
    assert_eq!(created["products"], json!(["residential"]));
    match account {
        "911proxy" => assert_eq!(created["traffic_limit_bytes"], json!(5 * GIB)),
        _ => assert_eq!(
            (
                created["concurrency_max"].as_u64(),
                created["rps_max"].as_u64()
            ),
            (Some(100), Some(200))
        ),
    }

    let read: Value = app
        .admin(Method::GET, &location)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(read["id"], id.as_str());
    assert!(read.get("password").is_none());

    let patch = match account {
        "911proxy" => {
            json!({"label": "renamed", "status": "disabled", "traffic_limit_bytes": 7 * GIB})
        }
        _ => json!({"label": "renamed", "status": "disabled", "concurrency_max": 50}),
    };
    let response = app
        .admin(Method::PATCH, &location)
        .json(&patch)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200, "{}", response.text().await.unwrap());
    let read: Value = app
        .admin(Method::GET, &location)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(read["label"], "renamed");
    assert_eq!(read["status"], "disabled");
    match account {
        "911proxy" => {
            assert_eq!(read["traffic_limit_bytes"], json!(7 * GIB));
            let raw = upstream_users(&app, account).await;
            let upstream = raw
                .iter()
                .find(|r| r["username"] == read["username"])
                .unwrap();
            assert_eq!(upstream["limit_flow"], 7, "stored upstream in GB");
            // null removes the cap: 0 upstream.
            let response = app
                .admin(Method::PATCH, &location)
                .json(&json!({"traffic_limit_bytes": null}))
                .send()
                .await
                .unwrap();
            assert_eq!(response.status(), 200);
            let read: Value = app
                .admin(Method::GET, &location)
                .send()
                .await
                .unwrap()
                .json()
                .await
                .unwrap();
            assert_eq!(read["traffic_limit_bytes"], Value::Null);
        }
        _ => assert_eq!(read["concurrency_max"], 50),
    }

    let before = OffsetDateTime::now_utc();
    let response = app
        .admin(Method::POST, &format!("{location}/rotate-password"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200, "{}", response.text().await.unwrap());
    let rotated: Value = response.json().await.unwrap();
    let new_password = rotated["password"].as_str().unwrap();
    assert_ne!(new_password, password);
    let until = OffsetDateTime::parse(
        rotated["old_password_valid_until"].as_str().unwrap(),
        &Rfc3339,
    )
    .unwrap();
    let grace = match account {
        "911proxy" => time::Duration::minutes(5),
        _ => time::Duration::seconds(60),
    };
    assert!(
        until >= before + grace - time::Duration::seconds(2)
            && until <= OffsetDateTime::now_utc() + grace,
        "{until}"
    );
    assert_eq!(rotated["proxy_user"]["id"], id.as_str());

    let response = app.admin(Method::DELETE, &location).send().await.unwrap();
    assert_eq!(response.status(), 204);
    let response = app.admin(Method::GET, &location).send().await.unwrap();
    let (status, body) = problem(response).await;
    assert_eq!(status, 404);
    assert_eq!(body["code"], "not_found");
    assert!(
        gateway_users(&app, account)
            .await
            .iter()
            .all(|u| u["id"] != id.as_str())
    );
}

async fn invalid_creates_name_the_field_and_make_no_upstream_call(account: &str) {
    let app = spawn_app_with_sims(Db::Sqlite, &[]).await;
    let cases = match account {
        "911proxy" => vec![
            (
                json!({"account": account, "products": ["residential"], "username": "bad-name!"}),
                "username",
            ),
            (
                json!({"account": account, "products": ["residential"], "password": "no spaces"}),
                "password",
            ),
            (
                json!({"account": account, "products": ["residential"], "label": "x".repeat(65)}),
                "label",
            ),
            (
                json!({"account": account, "products": ["residential"], "traffic_limit_bytes": GIB + 1}),
                "traffic_limit_bytes",
            ),
            (
                json!({"account": account, "products": ["residential"], "traffic_limit_bytes": 102_401 * GIB}),
                "traffic_limit_bytes",
            ),
            (
                json!({"account": account, "products": ["mobile"]}),
                "products",
            ),
            (json!({"account": account, "products": []}), "products"),
        ],
        _ => vec![
            (
                json!({"account": account, "products": ["residential"], "username": "chosen"}),
                "username",
            ),
            (
                json!({"account": account, "products": ["residential"], "password": "chosen1"}),
                "password",
            ),
            (
                json!({"account": account, "products": ["datacenter"]}),
                "products",
            ),
            (json!({"account": account, "products": []}), "products"),
        ],
    };
    app.sims.as_ref().unwrap().clear_calls();
    for (body, field) in cases {
        let response = app
            .admin(Method::POST, "/v1/proxy-users")
            .json(&body)
            .send()
            .await
            .unwrap();
        let (status, problem) = problem(response).await;
        assert_eq!(status, 400, "{body}: {problem}");
        assert_eq!(problem["field"], field, "{body}: {problem}");
    }
    let writes: Vec<String> = upstream_paths(&app, account)
        .into_iter()
        .filter(|c| !c.starts_with("GET"))
        .collect();
    assert!(writes.is_empty(), "no upstream write: {writes:?}");
    let unknown = app
        .admin(Method::POST, "/v1/proxy-users")
        .json(&json!({"account": "nowhere", "products": ["residential"]}))
        .send()
        .await
        .unwrap();
    let (status, body) = problem(unknown).await;
    assert_eq!((status, body["field"].as_str()), (400, Some("account")));
}

async fn unsupported_fields_answer_501_naming_operation_and_account(account: &str) {
    let app = spawn_app_with_sims(Db::Sqlite, &[]).await;
    let body = match account {
        "911proxy" => {
            json!({"account": account, "products": ["residential"], "concurrency_max": 10})
        }
        _ => json!({"account": account, "products": ["residential"], "traffic_limit_bytes": GIB}),
    };
    let response = app
        .admin(Method::POST, "/v1/proxy-users")
        .json(&body)
        .send()
        .await
        .unwrap();
    let (status, problem) = problem(response).await;
    assert_eq!(status, 501, "{problem}");
    assert_eq!(problem["code"], "unsupported_by_provider");
    assert_eq!(problem["provider"], account);
    assert!(
        problem["detail"]
            .as_str()
            .unwrap()
            .contains(&format!("account '{account}'")),
        "{problem}"
    );
}

async fn a_batch_creates_every_user_with_as_few_upstream_calls_as_the_provider_allows(
    account: &str,
) {
    let app = spawn_app_with_sims(Db::Sqlite, &[]).await;
    let users: Vec<Value> = (0..3)
        .map(|i| match account {
            "911proxy" => json!({"products": ["residential"], "label": "batch", "username": format!("batchuser{i}"), "password": format!("Passw0rd{i}")}),
            _ => json!({"products": ["residential"], "label": "batch"}),
        })
        .collect();
    app.sims.as_ref().unwrap().clear_calls();
    let response = app
        .admin(Method::POST, "/v1/proxy-users/batch")
        .json(&json!({"account": account, "users": users}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 201, "{}", response.text().await.unwrap());
    let created: Value = response.json().await.unwrap();
    let created = created["data"].as_array().unwrap();
    assert_eq!(created.len(), 3);
    assert!(
        created
            .iter()
            .all(|u| u["password"].is_string() && u["label"] == "batch")
    );
    let writes: Vec<_> = app
        .sims
        .as_ref()
        .unwrap()
        .calls(account)
        .into_iter()
        .filter(|c| c.method == "POST")
        .collect();
    match account {
        "911proxy" => {
            assert_eq!(writes.len(), 1, "one add call for the batch");
            assert_eq!(writes[0].path, "/api-gate-way/whitelist-account/add");
            let body = writes[0].body_json.as_ref().unwrap();
            assert_eq!(
                body["accounts"],
                "batchuser0:Passw0rd0,batchuser1:Passw0rd1,batchuser2:Passw0rd2"
            );
            assert_eq!(
                writes[0].auth.placement,
                AuthPlacement::Query,
                "app_key in the query"
            );
            assert!(body.get("app_key").is_none(), "app_key never in the body");
        }
        _ => {
            assert_eq!(
                writes.len(),
                3,
                "helodata has no batch endpoint: one create per user"
            );
            assert!(
                writes
                    .iter()
                    .all(|c| c.path == "/v1/subusers" && c.auth.placement == AuthPlacement::Bearer)
            );
        }
    }
    let listed = gateway_users(&app, account).await;
    for user in created {
        assert!(listed.iter().any(|u| u["id"] == user["id"]));
    }
    let too_many: Vec<Value> = (0..101)
        .map(|_| json!({"products": ["residential"]}))
        .collect();
    let response = app
        .admin(Method::POST, "/v1/proxy-users/batch")
        .json(&json!({"account": account, "users": too_many}))
        .send()
        .await
        .unwrap();
    let (status, body) = problem(response).await;
    assert_eq!((status, body["field"].as_str()), (400, Some("users")));
}

async fn a_key_restricted_to_one_account_cannot_reach_the_other(account: &str) {
    let app = spawn_app_with_sims(Db::Sqlite, &[]).await;
    let other = if account == "911proxy" {
        "helodata"
    } else {
        "911proxy"
    };
    let response = app
        .admin(Method::POST, "/v1/api-keys")
        .json(&json!({"name": "one-account", "scopes": ["read", "write"], "accounts": [account]}))
        .send()
        .await
        .unwrap();
    let token = response.json::<Value>().await.unwrap()["token"]
        .as_str()
        .unwrap()
        .to_string();
    let listed: Value = app
        .client
        .get(app.url("/v1/proxy-users?limit=200"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(
        listed["data"]
            .as_array()
            .unwrap()
            .iter()
            .all(|u| u["account"] == account)
    );
    let providers: Value = app
        .client
        .get(app.url("/v1/providers"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(providers["data"].as_array().unwrap().len(), 1);
    for request in [
        app.client
            .get(app.url(&format!("/v1/proxy-users?account={other}"))),
        app.client
            .get(app.url(&format!("/v1/proxy-users/{other}:someone"))),
        app.client
            .post(app.url("/v1/proxy-users"))
            .json(&create_body(other, "x")),
        app.client
            .get(app.url(&format!("/v1/usage?account={other}"))),
    ] {
        let response = request.bearer_auth(&token).send().await.unwrap();
        let (status, body) = problem(response).await;
        assert_eq!(status, 403, "{body}");
        assert_eq!(body["code"], "permission_denied");
    }
}

async fn malformed_ids_are_400_and_unknown_ones_404(account: &str) {
    let app = spawn_app_with_sims(Db::Sqlite, &[]).await;
    let response = app
        .admin(Method::GET, "/v1/proxy-users/no-colon")
        .send()
        .await
        .unwrap();
    let (status, body) = problem(response).await;
    assert_eq!((status, body["field"].as_str()), (400, Some("id")));
    let missing = match account {
        "911proxy" => "911proxy:nosuchuser1",
        _ => "helodata:sub_01JWMCKG0000NOSUCHUSER00000",
    };
    for method in [Method::GET, Method::DELETE] {
        let response = app
            .admin(method.clone(), &format!("/v1/proxy-users/{missing}"))
            .send()
            .await
            .unwrap();
        let (status, body) = problem(response).await;
        assert_eq!(status, 404, "{method} {body}");
    }
    let response = app
        .admin(Method::GET, "/v1/proxy-users/nowhere:x")
        .send()
        .await
        .unwrap();
    assert_eq!(problem(response).await.0, 404);
}

/// A batch that stops part-way leaves users behind at the provider: the error names them
/// (`created_ids`, also in the detail and the audit event) so that none is lost, and carries
/// no password. helodata: the third of three POSTs is refused (its concurrency exceeds the
/// plan); 911Proxy: the add succeeds and the change-limit step after it fails.
async fn a_batch_that_stops_part_way_names_the_users_it_created(account: &str) {
    let app = spawn_app_with_sims(Db::Sqlite, &[]).await;
    let sims = app.sims.as_ref().unwrap();
    let users: Vec<Value> = match account {
        "911proxy" => (0..2)
            .map(|i| json!({"products": ["residential"], "label": "partial", "username": format!("partialuser{i}"), "traffic_limit_bytes": GIB}))
            .collect(),
        _ => vec![
            json!({"products": ["residential"], "label": "partial"}),
            json!({"products": ["residential"], "label": "partial"}),
            json!({"products": ["residential"], "label": "partial", "concurrency_max": 1_000_000_000u64}),
        ],
    };
    if account == "911proxy" {
        sims.fault(
            account,
            json!({"kind": "provider_error", "code": 400, "path": "/api-gate-way/whitelist-account/change-limit", "times": 1}),
        );
    }
    let response = app
        .admin(Method::POST, "/v1/proxy-users/batch")
        .header("x-request-id", format!("partial-{account}"))
        .json(&json!({"account": account, "users": users}))
        .send()
        .await
        .unwrap();
    let (status, problem) = problem(response).await;
    assert!((400..500).contains(&status), "{status} {problem}");
    let created: Vec<String> = problem["created_ids"]
        .as_array()
        .unwrap_or_else(|| panic!("created_ids in {problem}"))
        .iter()
        .map(|id| id.as_str().unwrap().to_string())
        .collect();
    assert_eq!(created.len(), 2, "{problem}");
    let detail = problem["detail"].as_str().unwrap();
    for id in &created {
        assert!(id.starts_with(&format!("{account}:")), "{id}");
        assert!(detail.contains(id.as_str()), "{detail}");
        let user: Value = app
            .admin(Method::GET, &format!("/v1/proxy-users/{id}"))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(user["label"], "partial", "{id} exists: {user}");
    }
    assert!(
        !problem.to_string().contains("password\":"),
        "no password in an error: {problem}"
    );
    let event = crate::audit::event_of_request(&app, &format!("partial-{account}")).await;
    assert_eq!(event["outcome"], "failed");
    assert_eq!(event["resource"]["ids"], json!(created), "{event}");
}

for_both_providers!(
    a_batch_that_stops_part_way_names_the_users_it_created,
    listing_normalizes_every_upstream_user_exactly,
    paging_visits_every_user_exactly_once_and_link_follows_the_cursor,
    filters_select_by_status_product_label_and_username_prefix,
    passwords_show_only_to_secrets_read_keys_that_ask,
    create_read_patch_rotate_delete_round_trip,
    invalid_creates_name_the_field_and_make_no_upstream_call,
    unsupported_fields_answer_501_naming_operation_and_account,
    a_batch_creates_every_user_with_as_few_upstream_calls_as_the_provider_allows,
    a_key_restricted_to_one_account_cannot_reach_the_other,
    malformed_ids_are_400_and_unknown_ones_404,
);

#[tokio::test]
async fn listing_without_an_account_merges_both_in_account_order() {
    let app = spawn_app_with_sims(Db::Sqlite, &[]).await;
    let mut all = Vec::new();
    let mut path = "/v1/proxy-users?limit=7".to_string();
    loop {
        let body: Value = app
            .admin(Method::GET, &path)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        all.extend(
            body["data"]
                .as_array()
                .unwrap()
                .iter()
                .map(|u| u["account"].as_str().unwrap().to_string()),
        );
        match body["next_cursor"].as_str() {
            Some(cursor) => path = format!("/v1/proxy-users?limit=7&cursor={cursor}"),
            None => break,
        }
    }
    let nine11 = gateway_users(&app, "911proxy").await.len();
    let helodata = gateway_users(&app, "helodata").await.len();
    assert_eq!(all.len(), nine11 + helodata);
    let first_helodata = all.iter().position(|a| a == "helodata").unwrap();
    assert!(
        all[..first_helodata].iter().all(|a| a == "911proxy"),
        "911proxy sorts before helodata"
    );
    assert!(all[first_helodata..].iter().all(|a| a == "helodata"));
}
