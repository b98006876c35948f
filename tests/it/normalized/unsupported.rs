//! Every operation one provider offers and the other does not, over both: the account that
//! lacks it (as `GET /v1/providers` publishes) answers 501 `unsupported_by_provider` naming the
//! operation and the account, and its provider receives no call. The capabilities come from the
//! gateway itself, so a new capability one adapter leaves out fails here until it has a case.
//!
//! One kind is answered 400 instead, on purpose: a whitelist scope (`whitelist_entries.scope.*`)
//! qualifies a create the account can do, so naming a scope it lacks is bad input naming that
//! field (911Proxy: `proxy_user`, `ip_batch`; helodata has no account-wide entry: it asks for a
//! `proxy_user`), also before any call.

use reqwest::Method;
use serde_json::{Value, json};

use super::{for_both_providers, upstream_paths};
use crate::support::{Db, TestApp, problem, spawn_app_with_sims};

/// The request a caller would send to use `capability` on `account`; `user` is an existing
/// proxy user of the account (some operations look at it first).
fn request_for(capability: &str, account: &str, user: &str) -> (Method, String, Option<Value>) {
    let get = |path: String| (Method::GET, path, None);
    let post = |path: String, body: Option<Value>| (Method::POST, path, body);
    let ip = "203.0.113.7";
    match capability {
        "orders.cancel" => post(
            format!("/v1/orders/{account}:ord_01JDQ6Z8M9W3V7Y2K1T0R5N4PX/cancel"),
            None,
        ),
        "proxies.connection.password" => post(
            "/v1/proxies/connection?include=password".into(),
            Some(json!({"proxy_user": user, "product": "residential", "country": "us"})),
        ),
        "proxies.extract" => post(
            "/v1/proxies/extract".into(),
            Some(json!({"account": account, "product": "residential", "count": 1})),
        ),
        "payment_methods.list" => get(format!("/v1/payment-methods?account={account}")),
        "promotions.list" => get(format!("/v1/promotions?account={account}")),
        "proxy_users.update.password" => (
            Method::PATCH,
            format!("/v1/proxy-users/{user}"),
            Some(json!({"password": "Passthrough1234"})),
        ),
        "proxy_users.update.traffic_limit_bytes" => (
            Method::PATCH,
            format!("/v1/proxy-users/{user}"),
            Some(json!({"traffic_limit_bytes": 1073741824u64})),
        ),
        "proxy_users.update.rate_limits" => (
            Method::PATCH,
            format!("/v1/proxy-users/{user}"),
            Some(json!({"concurrency_max": 5})),
        ),
        "whitelist_entries.scope.account" => post(
            "/v1/whitelist-entries".into(),
            Some(json!({"account": account, "ip": ip})),
        ),
        "whitelist_entries.scope.proxy_user" => post(
            "/v1/whitelist-entries".into(),
            Some(json!({"account": account, "ip": ip, "proxy_user": user})),
        ),
        "whitelist_entries.scope.ip_batch" => post(
            "/v1/whitelist-entries".into(),
            Some(json!({"account": account, "ip": ip, "ip_batch": format!("{account}:bat_1")})),
        ),
        "usage.detail" => get(format!(
            "/v1/usage?account={account}&group_by=hour&from=2026-12-01T00:00:00Z&to=2026-12-02T00:00:00Z"
        )),
        "sessions.list" => get(format!("/v1/sessions?account={account}")),
        "sessions.get" => get(format!("/v1/sessions/{account}:residential:ses_1")),
        "sessions.delete" => (
            Method::DELETE,
            format!("/v1/sessions/{account}:residential:ses_1"),
            None,
        ),
        "requests.list" => get(format!("/v1/requests?account={account}")),
        "ip_batches.renew" => post(
            format!("/v1/ip-batches/{account}:bat_1/renew"),
            Some(json!({"months": 1})),
        ),
        "ip_batches.refresh" => post(format!("/v1/ip-batches/{account}:bat_1/refresh"), None),
        "static_ips.replace" => post(
            format!("/v1/static-ips/{account}:ip_1/replace"),
            Some(json!({"reason": "blocked"})),
        ),
        "subscriptions.create" => post(
            "/v1/subscriptions".into(),
            Some(
                json!({"account": account, "product": "residential", "plan": "pro", "cycle": "monthly"}),
            ),
        ),
        "subscriptions.get" => get(format!("/v1/subscriptions/{account}:sbn_1")),
        "subscriptions.update" => (
            Method::PATCH,
            format!("/v1/subscriptions/{account}:sbn_1"),
            Some(json!({"cycle": "annual"})),
        ),
        "subscriptions.pause" => post(format!("/v1/subscriptions/{account}:sbn_1/pause"), None),
        "subscriptions.cancel" => post(format!("/v1/subscriptions/{account}:sbn_1/cancel"), None),
        "invoices.list" => get(format!("/v1/invoices?account={account}")),
        "invoices.get" => get(format!("/v1/invoices/{account}:inv_1")),
        "invoices.pdf" => get(format!("/v1/invoices/{account}:inv_1/pdf")),
        "reports.list" => get(format!("/v1/reports?account={account}")),
        "reports.create" => post(
            "/v1/reports".into(),
            Some(
                json!({"account": account, "name": "weekly-traffic", "type": "traffic",
                "products": ["residential"], "schedule": "0 9 * * MON",
                "destination": {"type": "email", "email": "ops@example.com"}}),
            ),
        ),
        "reports.get" => get(format!("/v1/reports/{account}:rep_1")),
        "reports.update" => (
            Method::PATCH,
            format!("/v1/reports/{account}:rep_1"),
            Some(json!({"name": "renamed"})),
        ),
        "reports.delete" => (Method::DELETE, format!("/v1/reports/{account}:rep_1"), None),
        "reports.run" => post(format!("/v1/reports/{account}:rep_1/run"), None),
        "report_runs.get" => get(format!("/v1/report-runs/{account}:run_1")),
        "report_runs.download" => get(format!("/v1/report-runs/{account}:run_1/download")),
        other => panic!(
            "no request for the capability {other}, which {account} lacks: add one to request_for"
        ),
    }
}

/// The field a whitelist scope is named by, for the scopes answered 400 (see the module doc).
fn scope_field(capability: &str) -> Option<&'static str> {
    match capability {
        "whitelist_entries.scope.proxy_user" | "whitelist_entries.scope.account" => {
            Some("proxy_user")
        }
        "whitelist_entries.scope.ip_batch" => Some("ip_batch"),
        _ => None,
    }
}

/// Each account's capabilities as `GET /v1/providers` publishes them.
async fn capabilities(app: &TestApp) -> Vec<(String, Vec<String>)> {
    let providers: Value = app
        .admin(Method::GET, "/v1/providers")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    providers["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            let caps = p["capabilities"]
                .as_array()
                .unwrap()
                .iter()
                .map(|c| c.as_str().unwrap().to_string())
                .collect();
            (p["name"].as_str().unwrap().to_string(), caps)
        })
        .collect()
}

async fn what_an_account_lacks_answers_501_naming_it_without_a_call(account: &str) {
    let app = spawn_app_with_sims(Db::Sqlite, &[]).await;
    let all = capabilities(&app).await;
    let own = &all.iter().find(|(name, _)| name == account).unwrap().1;
    let mut lacking: Vec<&String> = all
        .iter()
        .flat_map(|(_, caps)| caps)
        .filter(|c| !own.contains(c))
        .collect();
    lacking.sort();
    lacking.dedup();
    assert!(
        !lacking.is_empty(),
        "{account} lacks something the other has"
    );
    let (_, users) = super::send_keyed(
        &app,
        Method::GET,
        &format!("/v1/proxy-users?account={account}&limit=1"),
        "unused",
        None,
    )
    .await;
    let user = users["data"][0]["id"].as_str().unwrap().to_string();
    let sims = app.sims.as_ref().unwrap();
    for (i, capability) in lacking.iter().enumerate() {
        let (method, path, body) = request_for(capability, account, &user);
        sims.clear_calls();
        let mut request = app.admin(method.clone(), &path);
        if method != Method::GET {
            request = request.header("idempotency-key", format!("lacks-{i}"));
        }
        if let Some(body) = &body {
            request = request.json(body);
        }
        let (status, problem) = problem(request.send().await.unwrap()).await;
        if let Some(field) = scope_field(capability) {
            assert_eq!(
                (status, problem["field"].as_str()),
                (400, Some(field)),
                "{capability}: {problem}"
            );
            assert!(upstream_paths(&app, account).is_empty(), "{capability}");
            continue;
        }
        assert_eq!(
            (status, problem["code"].as_str()),
            (501, Some("unsupported_by_provider")),
            "{capability}: {method} {path} → {problem}"
        );
        let detail = problem["detail"].as_str().unwrap();
        assert!(
            detail.contains(&format!("'{account}'")) && detail.contains(capability.as_str()),
            "{capability}: the answer names the account and the operation: {detail}"
        );
        let calls = upstream_paths(&app, account);
        assert!(
            calls.is_empty(),
            "{capability}: nothing reaches the provider, but {calls:?}"
        );
    }
}

for_both_providers!(what_an_account_lacks_answers_501_naming_it_without_a_call);
