//! `/v1/invoices` on helodata: every invoice listed once across pages with exact money, one read
//! by id, the PDF passed through byte for byte, and a 20 MB PDF streamed through the real
//! binary with its memory growing by far less than the file. 501 without a call on 911Proxy.

use futures::StreamExt;
use reqwest::Method;
use serde_json::Value;

use super::{decimal_text, upstream_get};
use crate::support::{Db, TestSims, binary, http_client, problem, spawn_app_with_sims, temp_dir};
use proxy_gateway::sim::{self, SimOptions, SimProvider};

async fn get_json(app: &crate::support::TestApp, path: &str) -> (u16, Value) {
    let response = app.admin(Method::GET, path).send().await.unwrap();
    (response.status().as_u16(), response.json().await.unwrap())
}

#[tokio::test]
async fn every_helodata_invoice_is_listed_once_with_exact_money_and_reads_back_by_id() {
    let app = spawn_app_with_sims(Db::Sqlite, &[]).await;
    let raw = upstream_get(&app, "helodata", "/invoices", &[("limit", "100")]).await;
    let want = raw["data"].as_array().unwrap().clone();
    assert!(want.len() > 2, "the seed has invoices");
    let mut got = Vec::new();
    let mut path = "/v1/invoices?account=helodata&limit=2".to_string();
    loop {
        let (status, body) = get_json(&app, &path).await;
        assert_eq!(status, 200, "{body}");
        got.extend(body["data"].as_array().unwrap().iter().cloned());
        match body["next_cursor"].as_str() {
            Some(c) => path = format!("/v1/invoices?account=helodata&limit=2&cursor={c}"),
            None => break,
        }
    }
    assert_eq!(got.len(), want.len());
    for (view, raw) in got.iter().zip(&want) {
        assert_eq!(
            view["id"],
            format!("helodata:{}", raw["id"].as_str().unwrap())
        );
        assert_eq!(view["number"], raw["number"]);
        assert_eq!(view["status"], raw["status"]);
        assert_eq!(view["total"]["amount"], decimal_text(&raw["total_usd"]));
        assert_eq!(view["total"]["currency"], "USD");
        let lines = view["lines"].as_array().unwrap();
        assert_eq!(lines.len(), raw["lines"].as_array().unwrap().len());
        for (l, r) in lines.iter().zip(raw["lines"].as_array().unwrap()) {
            assert_eq!(l["amount"]["amount"], decimal_text(&r["amount_usd"]));
            assert_eq!(l["quantity"], r["quantity"]);
        }
        assert_eq!(view["provider_data"], *raw);
    }
    let sims = app.sims.as_ref().unwrap();
    sims.clear_calls();
    let (status, paid) = get_json(
        &app,
        "/v1/invoices?account=helodata&status=paid&from=2020-01-01",
    )
    .await;
    assert_eq!(status, 200, "{paid}");
    let call = &sims.calls("helodata")[0];
    assert_eq!(call.query_params["status"], "paid");
    assert_eq!(call.query_params["from"], "2020-01-01T00:00:00Z");
    assert!(
        paid["data"]
            .as_array()
            .unwrap()
            .iter()
            .all(|i| i["status"] == "paid")
    );

    let (status, one) = get_json(
        &app,
        &format!("/v1/invoices/{}", got[0]["id"].as_str().unwrap()),
    )
    .await;
    assert_eq!((status, &one["total"]), (200, &got[0]["total"]), "{one}");
    let (status, missing) = get_json(&app, "/v1/invoices/helodata:inv_nothere").await;
    assert_eq!(
        (status, missing["code"].as_str()),
        (404, Some("not_found")),
        "{missing}"
    );
}

#[tokio::test]
async fn an_invoice_pdf_passes_through_byte_for_byte_and_911_has_no_invoices() {
    let app = spawn_app_with_sims(Db::Sqlite, &[]).await;
    let raw = upstream_get(&app, "helodata", "/invoices", &[("limit", "1")]).await;
    let id = raw["data"][0]["id"].as_str().unwrap().to_string();
    let sims = app.sims.as_ref().unwrap();
    let direct = http_client()
        .get(format!("{}/invoices/{id}/pdf", sims.helodata.base_url()))
        .bearer_auth(proxy_gateway::sim::DEFAULT_HELODATA_TOKEN)
        .send()
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap();
    let response = app
        .admin(Method::GET, &format!("/v1/invoices/helodata:{id}/pdf"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["content-type"], "application/pdf");
    assert_eq!(
        response.headers()["content-disposition"],
        format!("attachment; filename=\"{id}.pdf\"").as_str()
    );
    let bytes = response.bytes().await.unwrap();
    assert!(bytes.starts_with(b"%PDF-1.4"));
    assert_eq!(bytes, direct, "byte for byte");
    let (status, p) = problem(
        app.admin(Method::GET, "/v1/invoices/helodata:inv_nothere/pdf")
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(
        (status, p["code"].as_str()),
        (404, Some("not_found")),
        "{p}"
    );

    sims.clear_calls();
    for (path, operation) in [
        ("/v1/invoices?account=911proxy", "invoices.list"),
        ("/v1/invoices/911proxy:1", "invoices.get"),
        ("/v1/invoices/911proxy:1/pdf", "invoices.pdf"),
    ] {
        let (status, p) = problem(app.admin(Method::GET, path).send().await.unwrap()).await;
        assert_eq!(
            (status, p["code"].as_str()),
            (501, Some("unsupported_by_provider")),
            "{path}: {p}"
        );
        assert!(p["detail"].as_str().unwrap().contains(operation));
    }
    assert!(sims.calls("911proxy").is_empty());
}

/// The high-water mark and the current resident size of a process, in KiB.
fn memory_kib(pid: u32) -> (u64, u64) {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    let field = |name: &str| {
        status
            .lines()
            .find(|l| l.starts_with(name))
            .and_then(|l| l.split_whitespace().nth(1))
            .and_then(|n| n.parse().ok())
            .unwrap()
    };
    (field("VmHWM:"), field("VmRSS:"))
}

#[tokio::test]
async fn a_20_mb_invoice_streams_through_the_binary_with_its_memory_growing_by_under_8_mb() {
    const PDF_BYTES: usize = 20 << 20;
    let mut helodata = SimOptions::new(SimProvider::Helodata);
    helodata.helodata.invoice_pdf_bytes = Some(PDF_BYTES);
    let sims = TestSims {
        helodata: sim::spawn(SimProvider::Helodata, helodata).await.unwrap(),
        nine11: sim::spawn(SimProvider::Nine11, SimOptions::new(SimProvider::Nine11))
            .await
            .unwrap(),
    };
    let dir = temp_dir();
    let token = proxy_gateway::domain::api_keys::Token::generate()
        .expose()
        .to_string();
    let mut cmd = binary::command(&dir);
    cmd.envs([
        ("PGW_LISTEN", "127.0.0.1:0".to_string()),
        (
            "PGW_DATABASE_URL",
            format!("sqlite://{}/gw.db", dir.display()),
        ),
        ("PGW_BOOTSTRAP_ADMIN_KEY", token.clone()),
        (
            "PGW_HELODATA_API_KEY",
            sim::DEFAULT_HELODATA_TOKEN.to_string(),
        ),
        ("PGW_HELODATA_BASE_URL", sims.helodata.base_url()),
        (
            "PGW_911PROXY_APP_KEY",
            sim::DEFAULT_NINE11_APP_KEY.to_string(),
        ),
        ("PGW_911PROXY_BASE_URL", sims.nine11.base_url()),
        ("PGW_LOG_LEVEL", "warn".to_string()),
    ]);
    let served = binary::serve(cmd).await;
    let pid = served.child.id().unwrap();
    let client = http_client();
    let base = format!("http://{}", served.addr);
    // Warm up the paths the download takes (auth, the listing, the upstream pool).
    let listed: Value = client
        .get(format!("{base}/v1/invoices?account=helodata&limit=1"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let id = listed["data"][0]["id"].as_str().unwrap().to_string();
    // Reset the high-water mark (Linux: `5` to clear_refs), so the peak read afterwards is
    // the download's.
    std::fs::write(format!("/proc/{pid}/clear_refs"), "5").unwrap();
    let (_, before) = memory_kib(pid);
    let response = client
        .get(format!("{base}/v1/invoices/{id}/pdf"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let length: usize = response.headers()["content-length"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!(length >= PDF_BYTES, "{length}");
    let mut stream = response.bytes_stream();
    let (mut received, mut first, mut last) = (0usize, Vec::new(), Vec::new());
    while let Some(chunk) = stream.next().await {
        let chunk = chunk.unwrap();
        if first.is_empty() {
            first = chunk[..chunk.len().min(8)].to_vec();
        }
        received += chunk.len();
        last = chunk.to_vec();
    }
    assert_eq!(received, length, "every byte arrived");
    assert_eq!(first, b"%PDF-1.4");
    assert!(last.ends_with(b"%%EOF\n"));
    let (peak, after) = memory_kib(pid);
    let growth_kib = peak.saturating_sub(before);
    println!(
        "20 MB invoice PDF through the gateway: RSS before {before} KiB, peak {peak} KiB, after {after} KiB, growth {growth_kib} KiB"
    );
    assert!(
        growth_kib < 8 * 1024,
        "the gateway's memory grew by {growth_kib} KiB for a {length}-byte file"
    );
}
