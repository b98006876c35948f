//! Same seed, same data; different seed, different data; simulators never share state.

use serde_json::json;

use super::Sim;

const READS: [&str; 5] = [
    "whitelist-account/list",
    "user-product/list",
    "order/list",
    "ip/get-static-ip",
    "proxy-ip/list",
];

#[tokio::test]
async fn same_seed_gives_the_same_accounts_and_data() {
    let a = Sim::start_with(|o| o.seed = 42).await;
    let b = Sim::start_with(|o| o.seed = 42).await;
    assert_eq!(a.accounts().await, b.accounts().await);
    for path in READS {
        assert_eq!(a.get(path, &[]).await, b.get(path, &[]).await, "{path}");
    }
    let window = [("start_time", "2020-01-01 00:00:00")];
    assert_eq!(
        a.get("user-usage-flow/total", &window).await,
        b.get("user-usage-flow/total", &window).await
    );
    // Extraction draws from the seeded generator too.
    assert_eq!(
        a.get("ip/v3", &[("num", "5")]).await,
        b.get("ip/v3", &[("num", "5")]).await
    );
}

#[tokio::test]
async fn different_seeds_give_different_accounts() {
    let a = Sim::start_with(|o| o.seed = 1).await;
    let b = Sim::start_with(|o| o.seed = 2).await;
    let names = |list: Vec<serde_json::Value>| -> Vec<String> {
        list.iter()
            .map(|x| x["username"].as_str().unwrap_or_default().to_string())
            .collect()
    };
    assert_ne!(names(a.accounts().await), names(b.accounts().await));
    assert_ne!(
        a.get("order/list", &[]).await,
        b.get("order/list", &[]).await
    );
}

#[tokio::test]
async fn two_simulators_in_one_process_keep_separate_state() {
    let a = Sim::start().await;
    let b = Sim::start().await;
    a.post(
        "whitelist-account/add",
        json!({"accounts": "onlyina:secret12"}),
    )
    .await;
    assert_eq!(a.accounts_named("onlyina").await.len(), 1);
    assert!(b.accounts_named("onlyina").await.is_empty());
}

#[tokio::test]
async fn unpinned_clock_serves_todays_usage_window() {
    let sim = Sim::start_with(|o| o.nine11.now = None).await;
    let v = sim.get("user-usage-flow/total", &[]).await;
    let list = v["data"]["list"].as_array().expect("list");
    assert!(list.len() >= 6, "the default window has data: {v}");
    let today = time::OffsetDateTime::now_utc()
        .to_offset(time::macros::offset!(+8))
        .date()
        .to_string();
    assert_eq!(list.last().map(|d| d["day"].clone()), Some(json!(today)));
}
