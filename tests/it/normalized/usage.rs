//! `GET /v1/usage` over both providers: bytes, exclusive ends, grouping, totals across accounts.

use std::collections::BTreeMap;

use reqwest::Method;
use serde_json::Value;
use time::format_description::well_known::Rfc3339;
use time::{Date, Duration, OffsetDateTime, Time, UtcOffset};

use super::{for_both_providers, gateway_users, upstream_get};
use crate::support::{Db, TestApp, problem, spawn_app_with_sims};

fn rfc3339(t: OffsetDateTime) -> String {
    t.format(&Rfc3339).unwrap()
}

fn nine11_local(t: OffsetDateTime) -> String {
    let format = time::macros::format_description!("[year]-[month]-[day] [hour]:[minute]:[second]");
    t.to_offset(time::macros::offset!(+8))
        .format(format)
        .unwrap()
}

/// A closed window of whole days in the provider's own day (911: UTC+8; helodata: UTC), ending
/// yesterday, so the simulators' figures no longer move.
fn closed_window(account: &str, days: i64) -> (OffsetDateTime, OffsetDateTime) {
    let offset = if account == "911proxy" {
        time::macros::offset!(+8)
    } else {
        UtcOffset::UTC
    };
    let today: Date = OffsetDateTime::now_utc().to_offset(offset).date();
    let to = today.with_time(Time::MIDNIGHT).assume_offset(offset) - Duration::days(1);
    (to - Duration::days(days), to)
}

/// Upstream bytes per day over the window, straight from the simulator.
async fn upstream_daily_bytes(
    app: &TestApp,
    account: &str,
    from: OffsetDateTime,
    to: OffsetDateTime,
    extra: &[(&str, &str)],
) -> BTreeMap<String, u64> {
    let mut days = BTreeMap::new();
    match account {
        "911proxy" => {
            let start = nine11_local(from);
            let end = nine11_local(to - Duration::seconds(1));
            let mut query = vec![("start_time", start.as_str()), ("end_time", end.as_str())];
            query.extend_from_slice(extra);
            let body = upstream_get(app, account, "/user-usage-flow/total", &query).await;
            for row in body["data"]["list"].as_array().unwrap() {
                *days
                    .entry(row["day"].as_str().unwrap().to_string())
                    .or_insert(0) += row["flow"].as_u64().unwrap() * 1024;
            }
        }
        _ => {
            let (from, to) = (rfc3339(from), rfc3339(to));
            for product in ["residential", "mobile", "isp"] {
                let mut query = vec![
                    ("from", from.as_str()),
                    ("to", to.as_str()),
                    ("group_by", "day"),
                ];
                query.extend_from_slice(extra);
                let body = upstream_get(app, account, &format!("/{product}/traffic"), &query).await;
                for row in body["rows"].as_array().unwrap() {
                    *days
                        .entry(row["day"].as_str().unwrap().to_string())
                        .or_insert(0) +=
                        row["bytes_in"].as_u64().unwrap() + row["bytes_out"].as_u64().unwrap();
                }
            }
        }
    }
    days.retain(|_, bytes| *bytes > 0);
    days
}

async fn gateway_usage(app: &TestApp, query: &str) -> Value {
    let response = app
        .admin(Method::GET, &format!("/v1/usage?{query}"))
        .send()
        .await
        .unwrap();
    assert_eq!(
        response.status(),
        200,
        "{query}: {}",
        response.text().await.unwrap()
    );
    response.json().await.unwrap()
}

async fn daily_usage_equals_the_upstream_figures_in_bytes(account: &str) {
    let app = spawn_app_with_sims(Db::Sqlite, &[]).await;
    let (from, to) = closed_window(account, 5);
    let expected = upstream_daily_bytes(&app, account, from, to, &[]).await;
    assert!(!expected.is_empty(), "the seed has traffic in the window");
    let body = gateway_usage(
        &app,
        &format!(
            "account={account}&group_by=day&from={}&to={}",
            urlencode(&rfc3339(from)),
            urlencode(&rfc3339(to))
        ),
    )
    .await;
    let mut got = BTreeMap::new();
    for row in body["rows"].as_array().unwrap() {
        assert_eq!(row["account"], account);
        *got.entry(row["day"].as_str().unwrap().to_string())
            .or_insert(0) += row["bytes"].as_u64().unwrap();
    }
    got.retain(|_, bytes| *bytes > 0);
    assert_eq!(got, expected);
    assert_eq!(
        body["total_bytes"].as_u64().unwrap(),
        expected.values().sum::<u64>()
    );
    assert_eq!(body["group_by"], "day");
    assert_eq!(
        OffsetDateTime::parse(body["from"].as_str().unwrap(), &Rfc3339).unwrap(),
        from
    );
    assert_eq!(
        OffsetDateTime::parse(body["to"].as_str().unwrap(), &Rfc3339).unwrap(),
        to
    );
    if account == "helodata" {
        let row = &body["rows"][0];
        assert!(
            row["bytes_in"].is_u64() && row["bytes_out"].is_u64() && row["requests"].is_u64(),
            "{row}"
        );
        assert_eq!(
            row["bytes"].as_u64(),
            Some(row["bytes_in"].as_u64().unwrap() + row["bytes_out"].as_u64().unwrap())
        );
    } else {
        assert!(
            body["rows"][0]["bytes_in"].is_null(),
            "911 reports totals only"
        );
    }
}

async fn usage_of_one_proxy_user_is_filtered_upstream(account: &str) {
    let app = spawn_app_with_sims(Db::Sqlite, &[]).await;
    let (from, to) = closed_window(account, 5);
    let users = gateway_users(&app, account).await;
    let user = users
        .iter()
        .find(|u| u["traffic_used_bytes"].as_u64().unwrap_or(1) > 0)
        .unwrap();
    let upstream_key = match account {
        "911proxy" => ("username", user["username"].as_str().unwrap().to_string()),
        _ => (
            "subuser",
            user["id"]
                .as_str()
                .unwrap()
                .trim_start_matches("helodata:")
                .to_string(),
        ),
    };
    let expected: u64 = upstream_daily_bytes(
        &app,
        account,
        from,
        to,
        &[(upstream_key.0, upstream_key.1.as_str())],
    )
    .await
    .values()
    .sum();
    let body = gateway_usage(
        &app,
        &format!(
            "proxy_user={}&from={}&to={}",
            urlencode(user["id"].as_str().unwrap()),
            urlencode(&rfc3339(from)),
            urlencode(&rfc3339(to))
        ),
    )
    .await;
    assert_eq!(body["total_bytes"].as_u64().unwrap(), expected);
}

async fn grouping_by_product_and_by_proxy_user_adds_up_to_the_total(account: &str) {
    let app = spawn_app_with_sims(Db::Sqlite, &[]).await;
    let (from, to) = closed_window(account, 3);
    let window = format!(
        "account={account}&from={}&to={}",
        urlencode(&rfc3339(from)),
        urlencode(&rfc3339(to))
    );
    let total = gateway_usage(&app, &window).await["total_bytes"]
        .as_u64()
        .unwrap();
    assert!(total > 0);
    for group in ["product", "proxy_user", "day"] {
        let body = gateway_usage(&app, &format!("{window}&group_by={group}")).await;
        assert_eq!(
            body["total_bytes"].as_u64().unwrap(),
            total,
            "group_by={group}"
        );
        let rows = body["rows"].as_array().unwrap();
        let unattributed = rows.iter().filter(|row| !row[group].is_string()).count();
        // helodata's ISP traffic is per batch; a batch bound to no sub-user has no proxy user.
        let allowed = usize::from(account == "helodata" && group == "proxy_user");
        assert!(unattributed <= allowed, "group_by={group}: {rows:?}");
    }
}

async fn bad_windows_are_400_naming_the_parameter(account: &str) {
    let app = spawn_app_with_sims(Db::Sqlite, &[]).await;
    for (query, field) in [
        ("from=2026-05-02&to=2026-05-01".to_string(), "from"),
        ("from=2026-05-01&to=yesterday".to_string(), "to"),
        ("from=2020-01-01&to=2026-01-01".to_string(), "to"),
        ("group_by=week".to_string(), "group_by"),
        ("proxy_user=nocolon".to_string(), "proxy_user"),
        (format!("account={account}&account=nowhere"), "account"),
    ] {
        let response = app
            .admin(Method::GET, &format!("/v1/usage?account={account}&{query}"))
            .send()
            .await
            .unwrap();
        let (status, body) = problem(response).await;
        assert_eq!(
            (status, body["field"].as_str()),
            (400, Some(field)),
            "{query}: {body}"
        );
    }
}

for_both_providers!(
    daily_usage_equals_the_upstream_figures_in_bytes,
    usage_of_one_proxy_user_is_filtered_upstream,
    grouping_by_product_and_by_proxy_user_adds_up_to_the_total,
    bad_windows_are_400_naming_the_parameter,
);

#[tokio::test]
async fn usage_without_an_account_sums_every_account() {
    let app = spawn_app_with_sims(Db::Sqlite, &[]).await;
    let from = OffsetDateTime::now_utc()
        .date()
        .with_time(Time::MIDNIGHT)
        .assume_utc()
        - Duration::days(4);
    let to = from + Duration::days(2);
    let window = format!(
        "from={}&to={}",
        urlencode(&rfc3339(from)),
        urlencode(&rfc3339(to))
    );
    let both = gateway_usage(&app, &window).await;
    let helodata = gateway_usage(&app, &format!("{window}&account=helodata")).await;
    let nine11 = gateway_usage(&app, &format!("{window}&account=911proxy")).await;
    assert_eq!(
        both["total_bytes"].as_u64().unwrap(),
        helodata["total_bytes"].as_u64().unwrap() + nine11["total_bytes"].as_u64().unwrap()
    );
    let accounts: Vec<&str> = both["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["account"].as_str().unwrap())
        .collect();
    assert!(
        accounts.contains(&"helodata") && accounts.contains(&"911proxy"),
        "{accounts:?}"
    );
}

fn urlencode(value: &str) -> String {
    value.replace('+', "%2B").replace(':', "%3A")
}

#[tokio::test]
async fn every_row_says_what_it_counted_and_911_widens_to_whole_local_days() {
    let app = spawn_app_with_sims(Db::Sqlite, &[]).await;
    // Two UTC days ending at a UTC midnight, as in the issue: 911 (UTC+8 here) counts every
    // local day the window touches, whole, so its rows run one local day further.
    let day = (OffsetDateTime::now_utc() - time::Duration::days(6)).date();
    let from = day.midnight().assume_utc();
    let to = from + time::Duration::days(2);
    let body = gateway_usage(
        &app,
        &format!(
            "group_by=day&from={}&to={}",
            urlencode(&rfc3339(from)),
            urlencode(&rfc3339(to))
        ),
    )
    .await;
    let time = |v: &Value| OffsetDateTime::parse(v.as_str().unwrap(), &Rfc3339).unwrap();
    let windows = body["windows"].as_array().unwrap();
    let nine11 = windows.iter().find(|w| w["account"] == "911proxy").unwrap();
    assert_eq!(time(&nine11["requested"]["from"]), from);
    assert_eq!(
        time(&nine11["counted"]["from"]),
        from - time::Duration::hours(8)
    );
    assert_eq!(
        time(&nine11["counted"]["to"]),
        to + time::Duration::hours(16)
    );
    assert_eq!(nine11["widened"], true);
    let helodata = windows.iter().find(|w| w["account"] == "helodata").unwrap();
    assert_eq!(
        (
            time(&helodata["counted"]["from"]),
            time(&helodata["counted"]["to"])
        ),
        (from, to)
    );
    assert_eq!(helodata["widened"], false);
    let mut nine11_days = Vec::new();
    for row in body["rows"].as_array().unwrap() {
        let d = time::Date::parse(
            row["day"].as_str().unwrap(),
            time::macros::format_description!("[year]-[month]-[day]"),
        )
        .unwrap();
        let (start, end) = (time(&row["period_start"]), time(&row["period_end"]));
        if row["account"] == "911proxy" {
            nine11_days.push(d);
            // A 911 day is a local (UTC+8) day.
            assert_eq!(
                start,
                d.midnight().assume_utc() - time::Duration::hours(8),
                "{row}"
            );
            assert_eq!(end - start, time::Duration::days(1));
        } else {
            assert_eq!(start, d.midnight().assume_utc(), "{row}");
            assert!(start >= from && end <= to, "{row}");
        }
    }
    assert!(!nine11_days.is_empty());
    assert!(
        nine11_days
            .iter()
            .all(|d| *d >= day && *d <= day + time::Duration::days(2))
    );
    assert!(
        nine11_days.contains(&(day + time::Duration::days(2))),
        "the third local day is counted: {nine11_days:?}"
    );
}

#[tokio::test]
async fn detailed_groupings_come_from_helodata_and_are_501_on_911() {
    let app = spawn_app_with_sims(Db::Sqlite, &[]).await;
    let to = OffsetDateTime::now_utc().date().midnight().assume_utc();
    let from = to - time::Duration::days(3);
    let window = format!(
        "from={}&to={}",
        urlencode(&rfc3339(from)),
        urlencode(&rfc3339(to))
    );
    let total = gateway_usage(
        &app,
        &format!("account=helodata&product=residential&{window}"),
    )
    .await;
    for (group_by, field) in [
        ("region", "region"),
        ("asn", "asn"),
        ("tag", "tag"),
        ("hour", "hour"),
    ] {
        let body = gateway_usage(
            &app,
            &format!("account=helodata&product=residential&group_by={group_by}&{window}"),
        )
        .await;
        let rows = body["rows"].as_array().unwrap();
        assert!(!rows.is_empty(), "{group_by}");
        // The same traffic, split another way.
        assert_eq!(body["total_bytes"], total["total_bytes"], "{group_by}");
        if group_by != "tag" {
            assert!(
                rows.iter().all(|r| r.get(field).is_some()),
                "{group_by}: {rows:?}"
            );
        }
    }
    let regions = gateway_usage(
        &app,
        &format!("account=helodata&product=residential&group_by=region&{window}"),
    )
    .await;
    assert!(regions["rows"].as_array().unwrap().iter().all(|r| {
        r["region"].as_str().unwrap().len() == 2
            && r["region"]
                .as_str()
                .unwrap()
                .chars()
                .all(|c| c.is_ascii_uppercase())
    }));
    let us_only = gateway_usage(
        &app,
        &format!("account=helodata&product=residential&region=us&{window}"),
    )
    .await;
    let us_row = regions["rows"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["region"] == "US")
        .unwrap();
    assert_eq!(us_only["total_bytes"], us_row["bytes"]);
    let batches = gateway_usage(
        &app,
        &format!("account=helodata&group_by=ip_batch&{window}"),
    )
    .await;
    assert!(
        batches["rows"]
            .as_array()
            .unwrap()
            .iter()
            .all(|r| r["ip_batch"].as_str().unwrap().starts_with("helodata:bat_"))
    );
    // Over every account, detailed usage covers the accounts that report it.
    let everywhere = gateway_usage(&app, &format!("group_by=region&{window}")).await;
    assert!(
        everywhere["rows"]
            .as_array()
            .unwrap()
            .iter()
            .all(|r| r["account"] == "helodata")
    );
    assert_eq!(everywhere["windows"].as_array().unwrap().len(), 1);
    // Rules: ISP has no regions; a bad region; 911 has none of it.
    for (query, status, field) in [
        (
            format!("account=helodata&product=isp&group_by=region&{window}"),
            400,
            Some("product"),
        ),
        (
            format!("account=helodata&region=usa&{window}"),
            400,
            Some("region"),
        ),
        (
            format!("account=911proxy&group_by=hour&{window}"),
            501,
            None,
        ),
        (format!("account=911proxy&tag=crawler&{window}"), 501, None),
    ] {
        let (got, body) = problem(
            app.admin(Method::GET, &format!("/v1/usage?{query}"))
                .send()
                .await
                .unwrap(),
        )
        .await;
        assert_eq!(
            (got, body["field"].as_str()),
            (status, field),
            "{query}: {body}"
        );
    }
}
