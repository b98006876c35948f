//! `POST /v1/proxies/connection` over both providers: the username grammar applied to a real
//! proxy user, the password only when asked for and allowed, documented limits naming their
//! field, and no upstream call but the proxy user's lookup.

use serde_json::{Value, json};

use super::{for_both_providers, upstream_users};
use crate::support::{Db, TestApp, problem, spawn_app_with_sims};

/// A residential proxy user as the provider lists it, and its gateway id.
async fn residential_user(app: &TestApp, account: &str) -> (Value, String) {
    let users = upstream_users(app, account).await;
    let raw = users
        .into_iter()
        .find(|u| match account {
            "911proxy" => u["product_type"] == 9,
            _ => u["products"]
                .as_array()
                .unwrap()
                .contains(&json!("residential")),
        })
        .expect("a residential proxy user");
    let id = match account {
        "911proxy" => format!("911proxy:{}", raw["username"].as_str().unwrap()),
        _ => format!("helodata:{}", raw["id"].as_str().unwrap()),
    };
    (raw, id)
}

async fn connect(
    app: &TestApp,
    token: Option<&str>,
    query: &str,
    body: &Value,
) -> reqwest::Response {
    let request = app
        .client
        .post(app.url(&format!("/v1/proxies/connection{query}")))
        .bearer_auth(token.unwrap_or(&app.admin_token))
        .json(body);
    request.send().await.unwrap()
}

async fn connection_follows_the_provider_grammar_and_looks_up_only_the_user(account: &str) {
    let app = spawn_app_with_sims(Db::Sqlite, &[]).await;
    let (raw, id) = residential_user(&app, account).await;
    app.sims.as_ref().unwrap().clear_calls();
    let body = json!({"proxy_user": id, "product": "residential", "country": "us",
                      "state": "ca", "session": {"id": "job1", "minutes": 30}});
    let response = connect(&app, None, "", &body).await;
    assert_eq!(response.status(), 200);
    let got: Value = response.json().await.unwrap();
    let (username, host, port) = match account {
        "911proxy" => (
            format!(
                "{}_area-US_state-ca_life-30_session-job1",
                raw["username"].as_str().unwrap()
            ),
            "us.911proxy.com",
            2600,
        ),
        _ => (
            format!(
                "helo_{}-type-res-region-us-state-ca-session-job1-sesstime-30",
                raw["name"].as_str().unwrap()
            ),
            "gate.helodata.io",
            7777,
        ),
    };
    assert_eq!(
        got,
        json!({"proxy_user": id, "account": account, "provider": account, "host": host,
               "port": port, "protocol": "http", "username": username,
               "session": {"id": "job1", "minutes": 30},
               "url": format!("http://{username}@{host}:{port}")})
    );
    let calls = app.sims.as_ref().unwrap().calls(account);
    let paths: Vec<String> = calls
        .iter()
        .map(|c| format!("{} {}", c.method, c.path))
        .collect();
    let lookup = match account {
        "911proxy" => "GET /api-gate-way/whitelist-account/list".to_string(),
        _ => format!("GET /v1/subusers/{}", raw["id"].as_str().unwrap()),
    };
    assert_eq!(paths, vec![lookup], "only the proxy user is looked up");

    // A rotating connection, and the same with a generated session id.
    let rotating = json!({"proxy_user": id, "product": "residential", "country": "de"});
    let got: Value = connect(&app, None, "", &rotating)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(got["session"], Value::Null);
    let expected = match account {
        "911proxy" => format!("{}_area-DE", raw["username"].as_str().unwrap()),
        _ => format!("helo_{}-type-res-region-de", raw["name"].as_str().unwrap()),
    };
    assert_eq!(got["username"], expected);
    let generated = json!({"proxy_user": id, "product": "residential", "country": "de",
                           "session": {"minutes": 10}});
    let got: Value = connect(&app, None, "", &generated)
        .await
        .json()
        .await
        .unwrap();
    let session_id = got["session"]["id"].as_str().unwrap();
    assert_eq!(session_id.len(), 12);
    assert!(got["username"].as_str().unwrap().contains(session_id));
}

async fn connection_limits_name_their_field(account: &str) {
    let app = spawn_app_with_sims(Db::Sqlite, &[]).await;
    let (_, id) = residential_user(&app, account).await;
    let base = json!({"proxy_user": id, "product": "residential", "country": "us"});
    let with = |extra: Value| {
        let mut body = base.clone();
        for (k, v) in extra.as_object().unwrap() {
            if v.is_null() {
                body.as_object_mut().unwrap().remove(k);
            } else {
                body[k] = v.clone();
            }
        }
        body
    };
    let too_long = match account {
        "911proxy" => 61,
        _ => 31,
    };
    let mut cases = vec![
        (
            with(json!({"session": {"id": "a", "minutes": too_long}})),
            "session.minutes",
        ),
        (with(json!({"session": {"id": "a"}})), "session.minutes"),
        (
            with(json!({"session": {"id": "Has-Caps", "minutes": 5}})),
            "session.id",
        ),
        (
            with(json!({"session": {"id": "a".repeat(33), "minutes": 5}})),
            "session.id",
        ),
        (with(json!({"country": null})), "country"),
        (with(json!({"country": "usa"})), "country"),
        (with(json!({"product": "isp"})), "product"),
        (with(json!({"protocol": "socks5"})), "protocol"),
        (with(json!({"proxy_user": "nocolon"})), "proxy_user"),
        (with(json!({"proxy_user": "nope:user"})), "proxy_user"),
    ];
    match account {
        "911proxy" => {
            cases.push((with(json!({"asn": 7922})), "asn"));
            cases.push((with(json!({"state": "ca", "city": "la"})), "city"));
        }
        _ => {
            cases.push((with(json!({"city": "la"})), "city"));
            cases.push((with(json!({"state": "new york"})), "state"));
        }
    }
    app.sims.as_ref().unwrap().clear_calls();
    for (body, field) in cases {
        let (status, problem) = problem(connect(&app, None, "", &body).await).await;
        assert_eq!(
            (status, problem["field"].as_str()),
            (400, Some(field)),
            "{body}: {problem}"
        );
    }
    let writes = app
        .sims
        .as_ref()
        .unwrap()
        .calls(account)
        .into_iter()
        .filter(|c| c.method != "GET")
        .count();
    assert_eq!(writes, 0);
    let (status, problem) = problem(
        connect(
            &app,
            None,
            "",
            &with(json!({"proxy_user": format!("{account}:zz9nosuchuser")})),
        )
        .await,
    )
    .await;
    assert_eq!((status, problem["code"].as_str()), (404, Some("not_found")));
}

async fn the_password_needs_secrets_read_and_a_provider_that_lists_it(account: &str) {
    let app = spawn_app_with_sims(Db::Sqlite, &[]).await;
    let (raw, id) = residential_user(&app, account).await;
    let body = json!({"proxy_user": id, "product": "residential", "country": "us"});
    let (_, reader) = app.create_key("reader", &["read"]).await;
    let (status, problem_body) =
        problem(connect(&app, Some(&reader), "?include=password", &body).await).await;
    assert_eq!(
        (status, problem_body["field"].as_str()),
        (403, Some("include"))
    );
    let (_, secrets) = app.create_key("secrets", &["read", "secrets:read"]).await;
    let response = connect(&app, Some(&secrets), "?include=password", &body).await;
    match account {
        "911proxy" => {
            assert_eq!(response.status(), 200);
            let got: Value = response.json().await.unwrap();
            let password = raw["password"].as_str().unwrap();
            assert_eq!(got["password"], password);
            assert_eq!(
                got["url"],
                format!(
                    "http://{}:{password}@us.911proxy.com:2600",
                    got["username"].as_str().unwrap()
                )
            );
        }
        _ => {
            let (status, problem) = problem(response).await;
            assert_eq!(
                (status, problem["code"].as_str()),
                (501, Some("unsupported_by_provider"))
            );
            assert!(
                problem["detail"]
                    .as_str()
                    .unwrap()
                    .contains("proxies.connection.password"),
                "{problem}"
            );
        }
    }
    // Without include, no password, whoever asks.
    let got: Value = connect(&app, Some(&secrets), "", &body)
        .await
        .json()
        .await
        .unwrap();
    assert!(got.get("password").is_none());
    let url = got["url"].as_str().unwrap();
    let userinfo = url.trim_start_matches("http://").split('@').next().unwrap();
    assert_eq!(
        userinfo,
        got["username"].as_str().unwrap(),
        "no password in {url}"
    );
}

for_both_providers!(
    connection_follows_the_provider_grammar_and_looks_up_only_the_user,
    connection_limits_name_their_field,
    the_password_needs_secrets_read_and_a_provider_that_lists_it,
);
