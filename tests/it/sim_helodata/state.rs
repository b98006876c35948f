//! Writes change the state, and it stays changed.

use std::time::Duration;

use serde_json::{Value, json};

use super::support::{Sim, start, start_with};

async fn ids(sim: &Sim, path: &str) -> Vec<String> {
    sim.all(path, 100)
        .await
        .iter()
        .filter_map(|s| s["id"].as_str().map(str::to_string))
        .collect()
}

#[tokio::test]
async fn a_subuser_is_created_listed_disabled_rotated_and_deleted() {
    let sim = start().await;
    let before = ids(&sim, "/subusers").await;
    assert_eq!(before.len(), 12);

    let created = sim.create_subuser("lifecycle").await;
    let id = created["id"].as_str().expect("id").to_string();
    let listed = sim.all("/subusers", 100).await;
    assert_eq!(listed.len(), 13);
    let item = listed.last().expect("the new one is listed last").clone();
    assert_eq!(item["id"], id.as_str());
    assert_eq!(item["name"], created["name"]);
    assert_eq!(item["status"], "active");

    let r = sim
        .patch(&format!("/subusers/{id}"), &json!({ "status": "disabled" }))
        .await;
    assert_eq!(r.status, 200);
    let disabled = ids(&sim, "/subusers?status=disabled").await;
    assert!(disabled.contains(&id));
    assert!(!ids(&sim, "/subusers?status=active").await.contains(&id));
    assert_eq!(
        sim.get(&format!("/subusers/{id}")).await.body["status"],
        "disabled"
    );

    let rotated = sim
        .post(&format!("/subusers/{id}/rotate-password"), &json!({}))
        .await;
    assert_eq!(rotated.status, 200);
    // Rotation changes nothing else.
    let after_rotate = sim.get(&format!("/subusers/{id}")).await.body;
    assert_eq!(
        after_rotate,
        json!({ "id": id, "name": item["name"], "label": "lifecycle",
                "products": ["residential"], "status": "disabled",
                "concurrent_max": 600, "rps_max": 1000, "created_at": item["created_at"] })
    );

    assert_eq!(sim.delete(&format!("/subusers/{id}")).await.status, 204);
    assert_eq!(ids(&sim, "/subusers").await, before);
    sim.get(&format!("/subusers/{id}"))
        .await
        .assert_error(404, "not_found", None);
}

#[tokio::test]
async fn deleting_a_subuser_drops_its_whitelists_but_keeps_its_traffic_history() {
    let sim = start().await;
    let sub = sim
        .get("/subusers?label_contains=acme-staging")
        .await
        .data()[0]
        .clone();
    let id = sub["id"].as_str().expect("id").to_string();
    assert!(
        !sim.get(&format!("/whitelists?subuser={id}"))
            .await
            .data()
            .is_empty()
    );
    let window = "from=2020-01-01&to=2100-01-01";
    let q = format!("/residential/traffic?{window}&subuser={id}");
    let before = sim.get(&q).await.body["rows"][0]["bytes_in"]
        .as_u64()
        .expect("bytes");
    assert_eq!(sim.delete(&format!("/subusers/{id}")).await.status, 204);
    assert_eq!(
        sim.get(&format!("/whitelists?subuser={id}"))
            .await
            .data()
            .len(),
        0
    );
    let after = sim.get(&q).await.body["rows"][0]["bytes_in"]
        .as_u64()
        .expect("bytes");
    assert!(after >= before, "history stays: {before} -> {after}");
}

#[tokio::test]
async fn an_isp_order_goes_from_provisioning_to_completed() {
    let sim =
        start_with(|o| o.helodata.isp_provisioning = Some(Duration::from_millis(1_500))).await;
    let r = sim
        .post(
            "/orders",
            &json!({ "product": "isp", "country": "jp", "city": "tokyo", "quantity": 5,
                     "months": 1 }),
        )
        .await;
    assert_eq!(r.status, 201);
    assert_eq!(r.body["status"], "provisioning");
    let order = format!("/orders/{}", r.body["id"].as_str().expect("id"));
    let batch = format!(
        "/isp/batches/{}",
        r.body["details"]["batch_id"].as_str().expect("batch_id")
    );
    assert_eq!(sim.get(&order).await.body["status"], "provisioning");
    assert_eq!(sim.get(&batch).await.body["status"], "provisioning");
    assert_eq!(sim.get(&format!("{batch}/ips")).await.data().len(), 0);
    // Renewing before the batch exists is refused.
    sim.post(&format!("{batch}/renew"), &json!({ "months": 1 }))
        .await
        .assert_error(409, "failed_precondition", None);

    tokio::time::sleep(Duration::from_millis(1_600)).await;
    assert_eq!(sim.get(&order).await.body["status"], "completed");
    assert_eq!(sim.get(&batch).await.body["status"], "active");
    let ips = sim.get(&format!("{batch}/ips")).await;
    assert_eq!(ips.data().len(), 5);
    assert!(
        ips.data()
            .iter()
            .all(|ip| ip["city"] == "tokyo" && ip["status"] == "active")
    );
    assert_eq!(
        ids(&sim, "/orders?status=provisioning").await,
        Vec::<String>::new()
    );
}

#[tokio::test]
async fn two_simulators_in_one_process_do_not_share_state() {
    let (a, b) = (start().await, start().await);
    a.create_subuser("only-in-a").await;
    assert_eq!(a.get("/subusers").await.data().len(), 13);
    assert_eq!(b.get("/subusers").await.data().len(), 12);
    let labels: Vec<Value> = b
        .get("/subusers")
        .await
        .data()
        .iter()
        .map(|s| s["label"].clone())
        .collect();
    assert!(!labels.contains(&json!("only-in-a")));
}
