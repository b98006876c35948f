//! Allocations per request on the read path, counted through the real app over loopback and
//! held to a budget, so a change that makes every request allocate more fails here instead of
//! showing up later as a slower benchmark. The count is of the whole process (test client,
//! gateway and simulators), so each route is measured against `GET /healthz` over the same
//! client: the difference is what the route itself costs. The least of several rounds is kept,
//! which leaves out the background tasks' occasional work.

use crate::support::{Db, alloc::allocations, spawn_app_with_sims};

const ROUNDS: usize = 5;
/// Budgets: what was measured last (43 and 179 for the seeded account's 12 users; the page was
/// 319 before listed users shared their `provider_data`), plus a margin for crate upgrades.
/// Lower them when a change cuts allocations.
const PROVIDERS_BUDGET: u64 = 60;
const LIST_BUDGET: u64 = 230;
const PER_ROUND: u64 = 40;

/// Allocations per request of `path` (with the admin key), the least over the rounds.
async fn per_request(app: &crate::support::TestApp, path: &str) -> u64 {
    let url = app.url(path);
    let mut least = u64::MAX;
    for _ in 0..ROUNDS {
        let before = allocations();
        for _ in 0..PER_ROUND {
            let response = app
                .client
                .get(&url)
                .bearer_auth(&app.admin_token)
                .send()
                .await
                .unwrap();
            assert_eq!(response.status(), 200, "{path}");
            response.bytes().await.unwrap();
        }
        least = least.min((allocations() - before) / PER_ROUND);
    }
    least
}

#[tokio::test]
async fn the_read_path_allocates_within_its_budget() {
    let app = spawn_app_with_sims(Db::Sqlite, &[]).await;
    // Warm: the key cache, the 911 snapshot, the connection pool.
    let page = "/v1/proxy-users?account=911proxy&limit=100";
    per_request(&app, page).await;
    let bare = per_request(&app, "/healthz").await;
    let providers = per_request(&app, "/v1/providers")
        .await
        .saturating_sub(bare);
    let list = per_request(&app, page).await.saturating_sub(bare);
    let users = app
        .client
        .get(app.url(page))
        .bearer_auth(&app.admin_token)
        .send()
        .await
        .unwrap()
        .json::<serde_json::Value>()
        .await
        .unwrap()["data"]
        .as_array()
        .map_or(0, Vec::len);
    assert!(users > 0, "the seeded 911 account lists its users");
    println!(
        "allocations per request beyond GET /healthz ({bare}): GET /v1/providers {providers}, \
         911 page of {users} users {list}"
    );
    assert!(
        providers <= PROVIDERS_BUDGET,
        "GET /v1/providers: {providers} allocations"
    );
    assert!(list <= LIST_BUDGET, "911 page: {list} allocations");
}
