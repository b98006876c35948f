//! `user-usage-flow/total`: daily KB, default 7-day window, filters.

use std::collections::BTreeMap;

use serde_json::{Value, json};

use super::{Sim, assert_ok_legacy, assert_param_error, int, keys};

fn days(v: &Value) -> BTreeMap<String, u64> {
    v["data"]["list"]
        .as_array()
        .expect("list")
        .iter()
        .map(|d| (d["day"].as_str().expect("day").to_string(), int(&d["flow"])))
        .collect()
}

#[tokio::test]
async fn default_window_is_the_last_7_days_oldest_first() {
    let sim = Sim::start().await;
    let v = sim.get("user-usage-flow/total", &[]).await;
    assert_ok_legacy(&v);
    assert_eq!(keys(&v["data"]), ["list"]);
    let list = v["data"]["list"].as_array().expect("list");
    for d in list {
        assert_eq!(keys(d), ["day", "flow"]);
        assert!(d["flow"].is_u64(), "flow is integer KB");
    }
    let got: Vec<&str> = list
        .iter()
        .map(|d| d["day"].as_str().expect("day"))
        .collect();
    // Now is 2024-06-15 12:00 UTC+8: the window starts 2024-06-08 12:00.
    assert_eq!(
        got,
        [
            "2024-06-08",
            "2024-06-09",
            "2024-06-10",
            "2024-06-11",
            "2024-06-12",
            "2024-06-13",
            "2024-06-14",
            "2024-06-15"
        ]
    );
}

#[tokio::test]
async fn explicit_window_selects_whole_days_and_history_spans_90_days() {
    let sim = Sim::start().await;
    let v = sim
        .get(
            "user-usage-flow/total",
            &[
                ("start_time", "2024-06-01 23:59:59"),
                ("end_time", "2024-06-03 00:00:00"),
            ],
        )
        .await;
    assert_eq!(
        days(&v).keys().collect::<Vec<_>>(),
        ["2024-06-01", "2024-06-02", "2024-06-03"]
    );
    let all = days(
        &sim.get(
            "user-usage-flow/total",
            &[("start_time", "2020-01-01 00:00:00")],
        )
        .await,
    );
    assert_eq!(all.keys().next().map(String::as_str), Some("2024-03-18"));
    assert_eq!(all.keys().last().map(String::as_str), Some("2024-06-15"));
    assert_eq!(all.len(), 90);
}

#[tokio::test]
async fn per_product_type_totals_add_up_to_the_overall_total() {
    let sim = Sim::start().await;
    let window = [("start_time", "2024-05-01 00:00:00")];
    let all = days(&sim.get("user-usage-flow/total", &window).await);
    let mut summed: BTreeMap<String, u64> = BTreeMap::new();
    for pt in ["9", "11", "14", "25"] {
        let part = days(
            &sim.get("user-usage-flow/total", &[window[0], ("product_type", pt)])
                .await,
        );
        for (day, kb) in part {
            *summed.entry(day).or_default() += kb;
        }
    }
    assert_eq!(summed, all);
}

#[tokio::test]
async fn username_filter_sums_that_account_and_matches_its_usage_flow() {
    let sim = Sim::start().await;
    for a in sim.accounts().await {
        let name = a["username"].as_str().expect("name");
        let mine = days(
            &sim.get(
                "user-usage-flow/total",
                &[("start_time", "2020-01-01 00:00:00"), ("username", name)],
            )
            .await,
        );
        assert_eq!(mine.values().sum::<u64>(), int(&a["usage_flow"]), "{name}");
    }
    let none = sim
        .get("user-usage-flow/total", &[("username", "nobody123")])
        .await;
    assert_eq!(none["data"]["list"], json!([]));
}

#[tokio::test]
async fn new_account_adds_no_usage() {
    let sim = Sim::start().await;
    sim.post(
        "whitelist-account/add",
        json!({"accounts": "fresh01:secret12"}),
    )
    .await;
    let v = sim
        .get("user-usage-flow/total", &[("username", "fresh01")])
        .await;
    assert_eq!(v["data"]["list"], json!([]));
}

#[tokio::test]
async fn bad_times_and_product_types_are_parameter_errors() {
    let sim = Sim::start().await;
    let cases: [(&[(&str, &str)], &str); 5] = [
        (&[("start_time", "2024-06-01")], "start_time"),
        (&[("end_time", "2024-06-01T00:00:00Z")], "end_time"),
        (
            &[
                ("start_time", "2024-06-10 00:00:00"),
                ("end_time", "2024-06-01 00:00:00"),
            ],
            "start_time",
        ),
        (&[("product_type", "12")], "product_type"),
        (&[("product_type", "abc")], "product_type"),
    ];
    for (query, field) in cases {
        let v = sim.get("user-usage-flow/total", query).await;
        assert_param_error(&v, "msg", field);
    }
}
