//! 911Proxy's unpaged proxy-user list served from a per-account snapshot (providers/nine11/
//! snapshot.rs): one upstream read per TTL however many requests, the gateway's own writes
//! visible in the next read, cursors pinned to their snapshot, and creates checked against the
//! snapshot with at most one fresh read. Counted from the simulator's own call log.

use std::collections::BTreeSet;

use futures::future::join_all;
use reqwest::Method;
use serde_json::{Value, json};

use super::upstream_users;
use crate::support::{Db, TestApp, spawn_app_with_sims};

const ACCOUNT: &str = "911proxy";
const LIST_PATH: &str = "/api-gate-way/whitelist-account/list";

fn list_reads(app: &TestApp) -> usize {
    app.sims
        .as_ref()
        .expect("sims")
        .calls(ACCOUNT)
        .iter()
        .filter(|c| c.path == LIST_PATH)
        .count()
}

fn clear_calls(app: &TestApp) {
    app.sims.as_ref().expect("sims").clear_calls();
}

/// A POST straight to the 911 simulator (outside the gateway).
async fn upstream_post(app: &TestApp, endpoint: &str, body: Value) {
    let sim = app.sims.as_ref().expect("sims").for_account(ACCOUNT);
    let answer: Value = crate::support::http_client()
        .post(format!("{}/api-gate-way/{endpoint}", sim.base_url()))
        .query(&[("app_key", proxy_gateway::sim::DEFAULT_NINE11_APP_KEY)])
        .json(&body)
        .send()
        .await
        .expect("upstream call")
        .json()
        .await
        .expect("JSON");
    assert!(
        matches!(answer["code"].as_i64(), Some(0 | 200)),
        "{endpoint}: {answer}"
    );
}

/// Grows the 911 account to `total` users through the simulator's own API.
async fn grow_to(app: &TestApp, total: usize) {
    let have = upstream_users(app, ACCOUNT).await.len();
    let mut added = have;
    while added < total {
        let n = (total - added).min(100);
        let accounts: Vec<String> = (added..added + n)
            .map(|i| format!("snap{i:05}:Pass{i:05}"))
            .collect();
        upstream_post(
            app,
            "whitelist-account/add",
            json!({"accounts": accounts.join(","), "remark": "grown", "product_type": 9}),
        )
        .await;
        added += n;
    }
}

async fn page(app: &TestApp, query: &str) -> Value {
    let response = app
        .admin(
            Method::GET,
            &format!("/v1/proxy-users?account={ACCOUNT}&{query}"),
        )
        .send()
        .await
        .expect("list");
    assert_eq!(response.status(), 200, "{query}");
    response.json().await.expect("JSON")
}

fn usernames(page: &Value) -> Vec<String> {
    page["data"]
        .as_array()
        .expect("data")
        .iter()
        .map(|u| u["username"].as_str().expect("username").to_string())
        .collect()
}

/// Every username through the gateway, `limit` at a time, starting from `cursor`.
async fn walk(app: &TestApp, limit: u32, mut cursor: Option<String>) -> Vec<String> {
    let mut names = Vec::new();
    loop {
        let query = match &cursor {
            Some(c) => format!("limit={limit}&cursor={c}"),
            None => format!("limit={limit}"),
        };
        let body = page(app, &query).await;
        names.extend(usernames(&body));
        match body["next_cursor"].as_str() {
            Some(next) => cursor = Some(next.to_string()),
            None => return names,
        }
    }
}

async fn keyed(app: &TestApp, method: Method, path: &str, body: Option<Value>) -> (u16, Value) {
    let mut request = app
        .admin(method, path)
        .header("Idempotency-Key", ulid::Ulid::generate().to_string());
    if let Some(body) = body {
        request = request.json(&body);
    }
    let response = request.send().await.expect("write");
    let status = response.status().as_u16();
    let body = response.json().await.unwrap_or(Value::Null);
    (status, body)
}

#[tokio::test]
async fn a_page_of_a_10000_user_account_reads_the_list_once_per_ttl_however_many_ask() {
    let app = spawn_app_with_sims(Db::Sqlite, &[("PGW_LIST_SNAPSHOT_TTL_MS", "4000")]).await;
    grow_to(&app, 10_000).await;
    let mut upstream: Vec<String> = upstream_users(&app, ACCOUNT)
        .await
        .iter()
        .map(|u| u["username"].as_str().unwrap().to_string())
        .collect();
    upstream.sort();
    upstream.dedup();
    assert_eq!(upstream.len(), 10_000);
    clear_calls(&app);

    let wave = || join_all((0..48).map(|_| page(&app, "limit=100")));
    for body in wave().await {
        assert_eq!(
            usernames(&body),
            upstream[..100],
            "the first 100 in username order"
        );
    }
    assert_eq!(
        list_reads(&app),
        1,
        "48 concurrent pages, one upstream read"
    );
    for body in wave().await {
        assert_eq!(usernames(&body).len(), 100);
    }
    assert_eq!(list_reads(&app), 1, "still within the TTL");

    tokio::time::sleep(std::time::Duration::from_millis(4100)).await;
    wave().await;
    assert_eq!(list_reads(&app), 2, "one more read once the TTL passed");
}

#[tokio::test]
async fn the_gateways_own_writes_are_visible_in_the_next_read() {
    // A TTL far longer than the test: only the writes can refresh the snapshot.
    let app = spawn_app_with_sims(Db::Sqlite, &[("PGW_LIST_SNAPSHOT_TTL_MS", "600000")]).await;
    let before = walk(&app, 200, None).await;

    let (status, created) = keyed(
        &app,
        Method::POST,
        "/v1/proxy-users",
        Some(json!({"account": ACCOUNT, "products": ["residential"], "username": "snapnew01", "password": "Secret0101", "label": "first"})),
    )
    .await;
    assert_eq!(status, 201, "{created}");
    let after_create = walk(&app, 200, None).await;
    assert!(after_create.contains(&"snapnew01".to_string()));
    assert_eq!(after_create.len(), before.len() + 1);

    let id = "/v1/proxy-users/911proxy:snapnew01";
    let (status, _) = keyed(&app, Method::PATCH, id, Some(json!({"label": "second"}))).await;
    assert_eq!(status, 200);
    let read: Value = app
        .admin(Method::GET, id)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(read["label"], "second");
    let listed = page(&app, "limit=200&username_prefix=snapnew").await;
    assert_eq!(listed["data"][0]["label"], "second");

    let (status, _) = keyed(&app, Method::DELETE, id, None).await;
    assert_eq!(status, 204);
    assert_eq!(
        app.admin(Method::GET, id).send().await.unwrap().status(),
        404
    );
    assert_eq!(walk(&app, 200, None).await, before);

    // A change made outside the gateway waits for the TTL in lists; a single read of a user
    // the snapshot lacks is confirmed upstream, so it is found at once.
    upstream_post(
        &app,
        "whitelist-account/add",
        json!({"accounts": "snapout01:Secret0101", "remark": "outside", "product_type": 9}),
    )
    .await;
    assert!(
        !walk(&app, 200, None)
            .await
            .contains(&"snapout01".to_string())
    );
    let outside = app
        .admin(Method::GET, "/v1/proxy-users/911proxy:snapout01")
        .send()
        .await
        .unwrap();
    assert_eq!(outside.status(), 200);
}

#[tokio::test]
async fn a_cursor_pages_through_the_snapshot_it_was_issued_from() {
    let app = spawn_app_with_sims(Db::Postgres, &[("PGW_LIST_SNAPSHOT_TTL_MS", "600000")]).await;
    grow_to(&app, 60).await;
    let whole = walk(&app, 200, None).await;
    let first = page(&app, "limit=10").await;
    let cursor = first["next_cursor"]
        .as_str()
        .expect("more pages")
        .to_string();

    // Writes in the middle of the paging: a new user sorting after the first page, and the
    // deletion of one the later pages hold.
    let (status, _) = keyed(
        &app,
        Method::POST,
        "/v1/proxy-users",
        Some(json!({"account": ACCOUNT, "products": ["residential"], "username": "snap00015x", "password": "Secret0101"})),
    )
    .await;
    assert_eq!(status, 201);
    let gone = whole[30].clone();
    let (status, _) = keyed(
        &app,
        Method::DELETE,
        &format!("/v1/proxy-users/911proxy:{gone}"),
        None,
    )
    .await;
    assert_eq!(status, 204);

    let mut paged = usernames(&first);
    paged.extend(walk(&app, 10, Some(cursor)).await);
    assert_eq!(
        paged, whole,
        "one consistent list: the one the first page came from"
    );
    let fresh = walk(&app, 10, None).await;
    assert!(fresh.contains(&"snap00015x".to_string()));
    assert!(!fresh.contains(&gone));
    let unique: BTreeSet<&String> = fresh.iter().collect();
    assert_eq!(unique.len(), fresh.len());
}

#[tokio::test]
async fn a_create_checks_usernames_against_the_snapshot_and_confirms_a_clash_once() {
    let app = spawn_app_with_sims(Db::Sqlite, &[("PGW_LIST_SNAPSHOT_TTL_MS", "600000")]).await;
    let names = walk(&app, 200, None).await;
    let create = |username: &str| json!({"account": ACCOUNT, "products": ["residential"], "username": username, "password": "Secret0101"});

    // A free name: the snapshot says so, no read of the list before the add.
    clear_calls(&app);
    let (status, created) = keyed(
        &app,
        Method::POST,
        "/v1/proxy-users",
        Some(create("snapfree1")),
    )
    .await;
    assert_eq!(status, 201);
    // What was sent, since 911's add answers no object; 911's record comes with reads.
    assert_eq!(created["provider_data"], json!({}));
    assert_eq!(created["created_at"], Value::Null);
    let calls: Vec<String> = app
        .sims
        .as_ref()
        .unwrap()
        .calls(ACCOUNT)
        .iter()
        .map(|c| c.path.clone())
        .collect();
    assert_eq!(
        calls,
        ["/api-gate-way/whitelist-account/add"],
        "the add alone: nothing read before, nothing read back"
    );

    // The same name again at once: the snapshot is older than the add, but the gateway knows
    // its own write; the clash is confirmed with one fresh read and refused.
    clear_calls(&app);
    let (status, problem) = keyed(
        &app,
        Method::POST,
        "/v1/proxy-users",
        Some(create("snapfree1")),
    )
    .await;
    assert_eq!(status, 409, "{problem}");
    assert_eq!(list_reads(&app), 1);

    // A taken name: the snapshot's clash is confirmed with one fresh read, then refused.
    clear_calls(&app);
    let (status, problem) = keyed(
        &app,
        Method::POST,
        "/v1/proxy-users",
        Some(create(&names[0])),
    )
    .await;
    assert_eq!(status, 409, "{problem}");
    assert_eq!(problem["field"], "username");
    assert_eq!(list_reads(&app), 1);
    assert!(
        app.sims
            .as_ref()
            .unwrap()
            .calls(ACCOUNT)
            .iter()
            .all(|c| c.path == LIST_PATH),
        "nothing was written"
    );

    // A name the snapshot still holds but that was deleted outside the gateway: the fresh
    // read frees it.
    upstream_post(
        &app,
        "whitelist-account/delete",
        json!({"accounts": names[1]}),
    )
    .await;
    let (status, created) = keyed(
        &app,
        Method::POST,
        "/v1/proxy-users",
        Some(create(&names[1])),
    )
    .await;
    assert_eq!(status, 201, "{created}");
}

#[tokio::test]
async fn a_create_of_generated_names_never_waits_for_a_read_of_the_list() {
    let app = spawn_app_with_sims(Db::Sqlite, &[("PGW_LIST_SNAPSHOT_TTL_MS", "300")]).await;
    let adds_only = |app: &TestApp| {
        app.sims
            .as_ref()
            .unwrap()
            .calls(ACCOUNT)
            .iter()
            .map(|c| c.path.clone())
            .collect::<Vec<_>>()
    };
    let create = json!({"account": ACCOUNT, "products": ["residential"], "label": "gen"});

    // Before any read of the list: the add alone.
    clear_calls(&app);
    let (status, first) = keyed(&app, Method::POST, "/v1/proxy-users", Some(create.clone())).await;
    assert_eq!(status, 201, "{first}");
    assert_eq!(adds_only(&app), ["/api-gate-way/whitelist-account/add"]);

    // With a snapshot older than its TTL: still the add alone (a page would read again).
    walk(&app, 100, None).await;
    tokio::time::sleep(std::time::Duration::from_millis(400)).await;
    clear_calls(&app);
    let (status, second) = keyed(&app, Method::POST, "/v1/proxy-users", Some(create.clone())).await;
    assert_eq!(status, 201, "{second}");
    assert_eq!(adds_only(&app), ["/api-gate-way/whitelist-account/add"]);
    assert_ne!(first["username"], second["username"]);

    // Both are there, with the label sent, in the next read.
    let names = walk(&app, 100, None).await;
    for created in [&first, &second] {
        let name = created["username"].as_str().unwrap().to_string();
        assert!(names.contains(&name), "{name} in {names:?}");
    }
    assert_eq!(list_reads(&app), 1);
}
