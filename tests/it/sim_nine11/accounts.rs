//! `whitelist-account/*`: fields, state across calls, batches, duplicates, validation.

use serde_json::{Value, json};

use super::{NOW_LOCAL, Sim, assert_ok_legacy, assert_param_error, int, is_local_time, keys};

#[tokio::test]
async fn list_items_have_the_documented_fields_types_and_units() {
    let sim = Sim::start().await;
    let list = sim.accounts().await;
    assert!(list.len() >= 10, "seeded accounts: {}", list.len());
    for a in &list {
        assert_eq!(
            keys(a),
            [
                "created_at",
                "id",
                "limit_flow",
                "password",
                "product_type",
                "remark",
                "status",
                "usage_flow",
                "username"
            ]
        );
        assert!(a["id"].is_u64());
        let name = a["username"].as_str().expect("username");
        assert!(name.bytes().all(|b| b.is_ascii_alphanumeric()));
        let password = a["password"].as_str().expect("password");
        assert!(password.bytes().all(|b| b.is_ascii_alphanumeric()));
        assert!(is_local_time(a["created_at"].as_str().expect("created_at")));
        assert!(a["remark"].is_string());
        assert!([9, 11, 14, 25].contains(&int(&a["product_type"])));
        assert!(
            a["usage_flow"].is_u64(),
            "usage_flow is an integer KB count"
        );
        assert!(int(&a["limit_flow"]) <= 102_400, "limit_flow is GB");
        assert!([0, 1].contains(&int(&a["status"])));
    }
    let ids: Vec<u64> = list.iter().map(|a| int(&a["id"])).collect();
    let mut newest_first = ids.clone();
    newest_first.sort_unstable_by(|a, b| b.cmp(a));
    assert_eq!(ids, newest_first);
}

#[tokio::test]
async fn added_account_is_listed_enabled_unlimited_with_zero_usage() {
    let sim = Sim::start().await;
    let v = sim
        .post(
            "whitelist-account/add",
            json!({"accounts": "newuser1:secret12", "remark": "hello", "product_type": 11}),
        )
        .await;
    assert_eq!(v, json!({"code": 200, "msg": "请求成功", "data": null}));
    let found = sim.accounts_named("newuser1").await;
    assert_eq!(found.len(), 1);
    let a = &found[0];
    assert_eq!(
        *a,
        json!({
            "id": a["id"],
            "username": "newuser1",
            "password": "secret12",
            "created_at": NOW_LOCAL,
            "remark": "hello",
            "product_type": 11,
            "usage_flow": 0,
            "limit_flow": 0,
            "status": 1
        })
    );
    // The newest account heads the list.
    assert_eq!(sim.accounts().await[0]["username"], "newuser1");
}

#[tokio::test]
async fn add_without_product_type_creates_a_type_9_account() {
    let sim = Sim::start().await;
    let v = sim
        .post(
            "whitelist-account/add",
            json!({"accounts": "plain01:secret12"}),
        )
        .await;
    assert_ok_legacy(&v);
    let a = &sim.accounts_named("plain01").await[0];
    assert_eq!(a["product_type"], 9);
    assert_eq!(a["remark"], "");
}

#[tokio::test]
async fn account_changes_persist_across_calls_until_delete() {
    let sim = Sim::start().await;
    let ok = |v: Value| assert_ok_legacy(&v);
    ok(sim
        .post(
            "whitelist-account/add",
            json!({"accounts": "life01:secret12"}),
        )
        .await);
    assert_eq!(sim.accounts_named("life01").await[0]["status"], 1);

    ok(sim
        .post("whitelist-account/disable", json!({"accounts": "life01"}))
        .await);
    assert_eq!(sim.accounts_named("life01").await[0]["status"], 0);

    ok(sim
        .post("whitelist-account/enable", json!({"accounts": "life01"}))
        .await);
    assert_eq!(sim.accounts_named("life01").await[0]["status"], 1);

    ok(sim
        .post(
            "whitelist-account/change-password",
            json!({"account": "life01", "password": "Newpass99"}),
        )
        .await);
    ok(sim
        .post(
            "whitelist-account/change-remark",
            json!({"account": "life01", "remark": "测试备注 team A"}),
        )
        .await);
    ok(sim
        .post(
            "whitelist-account/change-limit",
            json!({"account": "life01", "limit": 250}),
        )
        .await);
    let a = &sim.accounts_named("life01").await[0];
    assert_eq!(a["password"], "Newpass99");
    assert_eq!(a["remark"], "测试备注 team A");
    assert_eq!(a["limit_flow"], 250);
    assert_eq!(a["status"], 1);
    assert_eq!(a["created_at"], NOW_LOCAL);

    let before = sim.accounts().await.len();
    ok(sim
        .post("whitelist-account/delete", json!({"accounts": "life01"}))
        .await);
    assert!(sim.accounts_named("life01").await.is_empty());
    assert_eq!(sim.accounts().await.len(), before - 1);
}

#[tokio::test]
async fn batch_add_creates_every_account_in_the_comma_list() {
    let sim = Sim::start().await;
    let before = sim.accounts().await.len();
    let v = sim
        .post(
            "whitelist-account/add",
            json!({"accounts": "batch01:secret01,batch02:secret02,batch03:secret03", "remark": "b"}),
        )
        .await;
    assert_ok_legacy(&v);
    let list = sim.accounts().await;
    assert_eq!(list.len(), before + 3);
    for (name, pass) in [
        ("batch01", "secret01"),
        ("batch02", "secret02"),
        ("batch03", "secret03"),
    ] {
        let a = list.iter().find(|a| a["username"] == name).expect(name);
        assert_eq!(a["password"], pass);
        assert_eq!(a["remark"], "b");
    }
    let ids: Vec<u64> = list[..3].iter().map(|a| int(&a["id"])).collect();
    assert_eq!(ids[0], ids[1] + 1, "consecutive ids");
    assert_eq!(ids[1], ids[2] + 1, "consecutive ids");
}

#[tokio::test]
async fn batch_disable_enable_and_delete_act_on_every_listed_account() {
    let sim = Sim::start().await;
    sim.post(
        "whitelist-account/add",
        json!({"accounts": "grp01:secret01,grp02:secret02,grp03:secret03"}),
    )
    .await;
    let status = |list: &[Value], name: &str| {
        list.iter()
            .find(|a| a["username"] == name)
            .map(|a| a["status"].clone())
    };
    assert_ok_legacy(
        &sim.post(
            "whitelist-account/disable",
            json!({"accounts": "grp01,grp02"}),
        )
        .await,
    );
    let list = sim.accounts().await;
    assert_eq!(status(&list, "grp01"), Some(json!(0)));
    assert_eq!(status(&list, "grp02"), Some(json!(0)));
    assert_eq!(status(&list, "grp03"), Some(json!(1)));

    assert_ok_legacy(
        &sim.post(
            "whitelist-account/enable",
            json!({"accounts": "grp01,grp02"}),
        )
        .await,
    );
    let list = sim.accounts().await;
    assert_eq!(status(&list, "grp01"), Some(json!(1)));
    assert_eq!(status(&list, "grp02"), Some(json!(1)));

    assert_ok_legacy(
        &sim.post(
            "whitelist-account/delete",
            json!({"accounts": "grp01,grp03"}),
        )
        .await,
    );
    let list = sim.accounts().await;
    assert_eq!(status(&list, "grp01"), None);
    assert_eq!(status(&list, "grp02"), Some(json!(1)));
    assert_eq!(status(&list, "grp03"), None);
}

#[tokio::test]
async fn batch_with_one_bad_entry_changes_nothing() {
    let sim = Sim::start().await;
    let before = sim.accounts().await;
    let v = sim
        .post(
            "whitelist-account/add",
            json!({"accounts": "okname01:secret01,bad_name:secret02"}),
        )
        .await;
    assert_param_error(&v, "msg", "accounts");
    assert_eq!(sim.accounts().await, before);

    let existing = before[0]["username"].as_str().expect("name").to_string();
    let v = sim
        .post(
            "whitelist-account/delete",
            json!({"accounts": format!("{existing},ghost404")}),
        )
        .await;
    assert_param_error(&v, "msg", "accounts");
    assert_eq!(sim.accounts().await, before);
}

#[tokio::test]
async fn duplicate_name_is_refused_within_a_product_type_and_allowed_across_types() {
    let sim = Sim::start().await;
    let add = |accounts: &str, product_type: i64| {
        sim.post(
            "whitelist-account/add",
            json!({"accounts": accounts, "product_type": product_type}),
        )
    };
    assert_ok_legacy(&add("twin01:secret01", 9).await);
    assert_param_error(&add("twin01:other0001", 9).await, "msg", "accounts");
    assert_param_error(
        &add("twin02:secret01,twin02:secret02", 9).await,
        "msg",
        "accounts",
    );
    assert!(sim.accounts_named("twin02").await.is_empty());
    assert_ok_legacy(&add("twin01:secret25", 25).await);
    let twins = sim.accounts_named("twin01").await;
    assert_eq!(twins.len(), 2);

    // By-name operations carry no product type: they act on both.
    assert_ok_legacy(
        &sim.post(
            "whitelist-account/change-limit",
            json!({"account": "twin01", "limit": 5}),
        )
        .await,
    );
    assert!(
        sim.accounts_named("twin01")
            .await
            .iter()
            .all(|a| a["limit_flow"] == 5)
    );
    assert_ok_legacy(
        &sim.post("whitelist-account/delete", json!({"accounts": "twin01"}))
            .await,
    );
    assert!(sim.accounts_named("twin01").await.is_empty());
    // The name is free again (the simulator's name index forgot it) and by-name calls no
    // longer find it.
    assert_param_error(
        &sim.post(
            "whitelist-account/change-limit",
            json!({"account": "twin01", "limit": 5}),
        )
        .await,
        "msg",
        "account",
    );
    assert_ok_legacy(&add("twin01:secret09", 9).await);
    assert_eq!(sim.accounts_named("twin01").await.len(), 1);
}

#[tokio::test]
async fn deleting_an_account_deletes_its_usage_history() {
    let sim = Sim::start().await;
    let all_time = [("start_time", "2020-01-01 00:00:00")];
    let total = |list: &Value| -> u64 {
        list.as_array()
            .expect("list")
            .iter()
            .map(|d| int(&d["flow"]))
            .sum()
    };
    let account = sim
        .accounts()
        .await
        .into_iter()
        .find(|a| int(&a["usage_flow"]) > 0)
        .expect("a seeded account with usage");
    let name = account["username"].as_str().expect("name").to_string();
    let mine = sim
        .get(
            "user-usage-flow/total",
            &[all_time[0], ("username", name.as_str())],
        )
        .await;
    assert_eq!(total(&mine["data"]["list"]), int(&account["usage_flow"]));
    let everyone_before = total(&sim.get("user-usage-flow/total", &all_time).await["data"]["list"]);

    sim.post("whitelist-account/delete", json!({"accounts": name}))
        .await;

    let mine = sim
        .get(
            "user-usage-flow/total",
            &[all_time[0], ("username", name.as_str())],
        )
        .await;
    assert_ok_legacy(&mine);
    assert_eq!(mine["data"]["list"], json!([]));
    let everyone_after = total(&sim.get("user-usage-flow/total", &all_time).await["data"]["list"]);
    assert_eq!(
        everyone_after,
        everyone_before - int(&account["usage_flow"])
    );
}

#[tokio::test]
async fn bad_characters_in_name_or_password_are_parameter_errors() {
    let sim = Sim::start().await;
    for accounts in [
        "bad-name:secret12",
        "bad name:secret12",
        "名字:secret12",
        "goodname:secret!2",
        "goodname:sec ret12",
        "goodname",
        "goodname:secret12,",
        "goodname:abc12",
        "goodname:abcdefghij1234567",
    ] {
        let v = sim
            .post("whitelist-account/add", json!({"accounts": accounts}))
            .await;
        assert_param_error(&v, "msg", "accounts");
    }
    let v = sim.post("whitelist-account/add", json!({})).await;
    assert_param_error(&v, "msg", "accounts");
    let name = sim.accounts().await[0]["username"].clone();
    let v = sim
        .post(
            "whitelist-account/change-password",
            json!({"account": name, "password": "pass_word1"}),
        )
        .await;
    assert_param_error(&v, "msg", "password");
    let v = sim
        .post(
            "whitelist-account/change-password",
            json!({"account": "no-such", "password": "password1"}),
        )
        .await;
    assert_param_error(&v, "msg", "account");
}

#[tokio::test]
async fn password_of_6_and_16_characters_is_accepted() {
    let sim = Sim::start().await;
    let v = sim
        .post(
            "whitelist-account/add",
            json!({"accounts": "edge01:abc123,edge02:abcdefgh12345678"}),
        )
        .await;
    assert_ok_legacy(&v);
}

#[tokio::test]
async fn remark_over_64_english_or_32_chinese_characters_is_refused() {
    let sim = Sim::start().await;
    let name = sim.accounts().await[0]["username"].clone();
    let change = |remark: String| {
        sim.post(
            "whitelist-account/change-remark",
            json!({"account": name, "remark": remark}),
        )
    };
    assert_ok_legacy(&change("a".repeat(64)).await);
    assert_param_error(&change("a".repeat(65)).await, "msg", "remark");
    assert_ok_legacy(&change("备".repeat(32)).await);
    assert_param_error(&change("备".repeat(33)).await, "msg", "remark");
    let v = sim
        .post(
            "whitelist-account/add",
            json!({"accounts": "longrem1:secret12", "remark": "x".repeat(65)}),
        )
        .await;
    assert_param_error(&v, "msg", "remark");
    assert!(sim.accounts_named("longrem1").await.is_empty());
}

#[tokio::test]
async fn empty_remark_clears_the_remark() {
    let sim = Sim::start().await;
    sim.post(
        "whitelist-account/add",
        json!({"accounts": "clear01:secret12", "remark": "x"}),
    )
    .await;
    let v = sim
        .post(
            "whitelist-account/change-remark",
            json!({"account": "clear01", "remark": ""}),
        )
        .await;
    assert_ok_legacy(&v);
    assert_eq!(sim.accounts_named("clear01").await[0]["remark"], "");
}

#[tokio::test]
async fn limit_is_0_to_102400_gb() {
    let sim = Sim::start().await;
    let name = sim.accounts().await[0]["username"].clone();
    let change = |limit: Value| {
        sim.post(
            "whitelist-account/change-limit",
            json!({"account": name, "limit": limit}),
        )
    };
    assert_ok_legacy(&change(json!(102_400)).await);
    assert_eq!(sim.accounts().await[0]["limit_flow"], 102_400);
    assert_ok_legacy(&change(json!(0)).await);
    assert_eq!(sim.accounts().await[0]["limit_flow"], 0);
    assert_ok_legacy(&change(json!("30")).await);
    assert_eq!(sim.accounts().await[0]["limit_flow"], 30);
    for bad in [
        json!(102_401),
        json!(-1),
        json!(1.5),
        json!("ten"),
        json!(null),
    ] {
        assert_param_error(&change(bad).await, "msg", "limit");
    }
    assert_eq!(sim.accounts().await[0]["limit_flow"], 30);
}

#[tokio::test]
async fn unknown_product_type_is_refused() {
    let sim = Sim::start().await;
    for pt in [json!(10), json!(3), json!(12), json!("nine")] {
        let v = sim
            .post(
                "whitelist-account/add",
                json!({"accounts": "typed01:secret12", "product_type": pt}),
            )
            .await;
        assert_param_error(&v, "msg", "product_type");
    }
    assert!(sim.accounts_named("typed01").await.is_empty());
}

#[tokio::test]
async fn form_encoded_body_is_read_like_json() {
    let sim = Sim::start().await;
    let resp = super::client()
        .post(sim.url("whitelist-account/add"))
        .form(&[
            ("app_key", sim.key()),
            ("accounts", "form01:secret12"),
            ("product_type", "14"),
        ])
        .send()
        .await
        .expect("sent");
    let v: Value = resp.json().await.expect("json");
    assert_ok_legacy(&v);
    assert_eq!(sim.accounts_named("form01").await[0]["product_type"], 14);
}
