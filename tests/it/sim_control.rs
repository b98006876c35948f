//! Tests of the simulators' control layer (`/__sim`): the call log and each fault kind, over real
//! HTTP on loopback, against the simulators and against `control::wrap` around a tiny router.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use axum::Router;
use axum::http::header::CONTENT_TYPE;
use axum::routing::{get, post};
use proxy_gateway::sim::{self, SimHandle, SimOptions, SimProvider, control};
use serde_json::{Value, json};
use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

const ITEMS_BODY: &str = r#"{"items":[1,2,3],"name":"list"}"#;

fn client() -> reqwest::Client {
    let _ = rustls::crypto::ring::default_provider().install_default();
    reqwest::Client::builder()
        .build()
        .expect("reqwest client builds")
}

/// `control::wrap` (helodata style) around `POST /count`, which counts its calls, and
/// `GET /items`, served by `control::serve`.
struct TestServer {
    addr: SocketAddr,
    count: Arc<AtomicU64>,
    control: control::Control,
    stop: Option<oneshot::Sender<()>>,
    task: JoinHandle<std::io::Result<()>>,
}

impl TestServer {
    async fn start() -> Self {
        let count = Arc::new(AtomicU64::new(0));
        let counter = count.clone();
        let routes = Router::new()
            .route(
                "/count",
                post(move || {
                    let counter = counter.clone();
                    async move {
                        let n = counter.fetch_add(1, Ordering::SeqCst) + 1;
                        axum::Json(json!({ "count": n }))
                    }
                }),
            )
            .route(
                "/items",
                get(|| async { ([(CONTENT_TYPE, "application/json")], ITEMS_BODY) }),
            );
        let opts = SimOptions::new(SimProvider::Helodata);
        let (app, control) = control::wrap_with_control(SimProvider::Helodata, routes, &opts);
        let control = control.expect("control is on by default");
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let addr = listener.local_addr().expect("local addr");
        let (stop, stopped) = oneshot::channel::<()>();
        let task = tokio::spawn(control::serve(listener, app, async move {
            let _ = stopped.await;
        }));
        TestServer {
            addr,
            count,
            control,
            stop: Some(stop),
            task,
        }
    }

    fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    fn count(&self) -> u64 {
        self.count.load(Ordering::SeqCst)
    }

    async fn stop(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        let served = (&mut self.task).await.expect("server task");
        assert!(served.is_ok(), "serve returned {served:?}");
    }
}

/// Waits (at most 5 s) until `condition` holds, so a slow machine does not fail a test.
async fn eventually(what: &str, condition: impl Fn() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(5);
    while !condition() {
        assert!(Instant::now() < deadline, "timed out waiting until {what}");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

async fn add_fault(addr: SocketAddr, rule: Value) -> Value {
    let response = client()
        .post(format!("http://{addr}/__sim/faults"))
        .json(&rule)
        .send()
        .await
        .expect("control request");
    assert_eq!(response.status(), 201, "rule {rule} refused");
    response.json().await.expect("rule JSON")
}

async fn calls(addr: SocketAddr, filter: &str) -> Vec<Value> {
    let response = client()
        .get(format!("http://{addr}/__sim/calls{filter}"))
        .send()
        .await
        .expect("control request");
    assert_eq!(response.status(), 200);
    let body: Value = response.json().await.expect("calls JSON");
    body["calls"].as_array().cloned().expect("calls array")
}

async fn spawn(provider: SimProvider) -> SimHandle {
    sim::spawn(provider, SimOptions::new(provider))
        .await
        .expect("simulator starts")
}

#[tokio::test]
async fn latency_before_waits_and_only_then_runs_the_handler() {
    let server = TestServer::start().await;
    add_fault(
        server.addr,
        json!({"kind": "latency", "ms": 400, "phase": "before", "path": "/count"}),
    )
    .await;
    let started = Instant::now();
    let request = tokio::spawn(client().post(server.url("/count")).send());
    eventually("the call arrived", || server.control.calls().len() == 1).await;
    assert_eq!(server.count(), 0, "the handler ran before the delay");
    let response = request.await.expect("task").expect("answer");
    assert!(started.elapsed() >= Duration::from_millis(400));
    assert_eq!(response.status(), 200);
    assert_eq!(
        response.json::<Value>().await.expect("json"),
        json!({"count": 1})
    );
    assert_eq!(server.count(), 1);
    server.stop().await;
}

#[tokio::test]
async fn latency_after_runs_the_handler_first_and_then_delays_the_answer() {
    let server = TestServer::start().await;
    add_fault(
        server.addr,
        json!({"kind": "latency", "ms": 400, "phase": "after"}),
    )
    .await;
    let started = Instant::now();
    let request = tokio::spawn(client().post(server.url("/count")).send());
    eventually("the handler ran", || server.count() == 1).await;
    assert!(!request.is_finished(), "answered before the delay");
    let response = request.await.expect("task").expect("answer");
    assert!(started.elapsed() >= Duration::from_millis(400));
    assert_eq!(response.status(), 200);
    let logged = calls(server.addr, "").await;
    assert_eq!(logged[0]["fault"]["kind"], "latency");
    assert!(logged[0]["duration_ms"].as_u64() >= Some(400));
    server.stop().await;
}

#[tokio::test]
async fn http_error_answers_its_status_and_body_without_running_the_handler() {
    let server = TestServer::start().await;
    add_fault(
        server.addr,
        json!({"kind": "http_error", "status": 503, "body": {"error": "down"}}),
    )
    .await;
    let response = client()
        .post(server.url("/count"))
        .send()
        .await
        .expect("answer");
    assert_eq!(response.status(), 503);
    assert_eq!(
        response.json::<Value>().await.expect("json"),
        json!({"error": "down"})
    );
    assert_eq!(server.count(), 0);
    let logged = calls(server.addr, "").await;
    assert_eq!(logged[0]["status"], 503);
    assert_eq!(
        logged[0]["fault"],
        json!({"rule": 1, "kind": "http_error", "status": 503, "body": {"error": "down"}, "phase": "before"})
    );
    server.stop().await;
}

#[tokio::test]
async fn http_error_after_runs_the_handler_then_answers_the_error() {
    let server = TestServer::start().await;
    add_fault(
        server.addr,
        json!({"kind": "http_error", "status": 502, "phase": "after"}),
    )
    .await;
    let response = client()
        .post(server.url("/count"))
        .send()
        .await
        .expect("answer");
    assert_eq!(response.status(), 502);
    assert_eq!(response.text().await.expect("text"), "Bad Gateway");
    assert_eq!(server.count(), 1);
    server.stop().await;
}

#[tokio::test]
async fn rate_limit_on_helodata_is_a_429_rate_limited_error_with_retry_after() {
    let sim = spawn(SimProvider::Helodata).await;
    add_fault(sim.addr, json!({"kind": "rate_limit", "retry_after": 7})).await;
    let response = client()
        .get(format!("{}/subusers", sim.base_url()))
        .send()
        .await
        .expect("answer");
    assert_eq!(response.status(), 429);
    assert_eq!(response.headers()["retry-after"], "7");
    assert_eq!(response.headers()["x-ratelimit-remaining"], "0");
    let body: Value = response.json().await.expect("json");
    assert_eq!(body["code"], "rate_limited");
    assert_eq!(body["message"], "API rate limit exceeded");
    assert!(
        body["request_id"]
            .as_str()
            .is_some_and(|id| id.starts_with("req_"))
    );
    assert_eq!(body.get("field"), None);
    sim.stop().await;
}

#[tokio::test]
async fn rate_limit_on_911_is_a_429_with_retry_after_and_the_911_envelope() {
    let sim = spawn(SimProvider::Nine11).await;
    add_fault(sim.addr, json!({"kind": "rate_limit", "retry_after": 3})).await;
    let response = client()
        .get(format!(
            "{}/api-gate-way/user/info?language=en",
            sim.base_url()
        ))
        .send()
        .await
        .expect("answer");
    assert_eq!(response.status(), 429);
    assert_eq!(response.headers()["retry-after"], "3");
    assert_eq!(
        response.json::<Value>().await.expect("json"),
        json!({"code": 429, "msg": "Too many requests, please try again later", "data": null})
    );
    sim.stop().await;
}

#[tokio::test]
async fn close_before_drops_the_connection_without_an_answer_or_running_the_handler() {
    let server = TestServer::start().await;
    add_fault(server.addr, json!({"kind": "close", "path": "/count"})).await;
    let result = client().post(server.url("/count")).send().await;
    let err = result.expect_err("an answer came back");
    assert!(!err.is_timeout() && !err.is_status(), "{err:?}");
    assert_eq!(server.count(), 0);
    let logged = calls(server.addr, "").await;
    assert_eq!(logged[0]["status"], Value::Null);
    assert_eq!(
        logged[0]["fault"],
        json!({"rule": 1, "kind": "close", "phase": "before"})
    );
    server.stop().await;
}

#[tokio::test]
async fn close_after_runs_the_handler_exactly_once_then_drops_the_connection() {
    let server = TestServer::start().await;
    add_fault(
        server.addr,
        json!({"kind": "close", "phase": "after", "times": 1}),
    )
    .await;
    let result = client().post(server.url("/count")).send().await;
    assert!(result.is_err(), "an answer came back: {result:?}");
    assert_eq!(server.count(), 1);
    let next = client()
        .post(server.url("/count"))
        .send()
        .await
        .expect("answer");
    assert_eq!(
        next.json::<Value>().await.expect("json"),
        json!({"count": 2})
    );
    server.stop().await;
}

#[tokio::test]
async fn close_after_sends_not_a_single_byte_back() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let server = TestServer::start().await;
    add_fault(server.addr, json!({"kind": "close", "phase": "after"})).await;
    let mut stream = tokio::net::TcpStream::connect(server.addr)
        .await
        .expect("connect");
    stream
        .write_all(b"POST /count HTTP/1.1\r\nhost: sim\r\ncontent-length: 0\r\n\r\n")
        .await
        .expect("write");
    let mut received = Vec::new();
    // EOF or a reset: either way the connection ended; what matters is that nothing came back.
    let _eof_or_reset =
        tokio::time::timeout(Duration::from_secs(5), stream.read_to_end(&mut received))
            .await
            .expect("the connection was closed");
    assert_eq!(received, b"");
    assert_eq!(server.count(), 1);
    server.stop().await;
}

#[tokio::test]
async fn hang_never_answers_so_the_client_times_out() {
    let server = TestServer::start().await;
    add_fault(server.addr, json!({"kind": "hang"})).await;
    let started = Instant::now();
    let result = client()
        .post(server.url("/count"))
        .timeout(Duration::from_millis(300))
        .send()
        .await;
    let err = result.expect_err("an answer came back");
    assert!(err.is_timeout(), "{err:?}");
    assert!(started.elapsed() >= Duration::from_millis(300));
    assert_eq!(server.count(), 0);
    server.stop().await;
}

#[tokio::test]
async fn hang_after_runs_the_handler_and_still_never_answers() {
    let server = TestServer::start().await;
    add_fault(server.addr, json!({"kind": "hang", "phase": "after"})).await;
    let result = client()
        .post(server.url("/count"))
        .timeout(Duration::from_millis(300))
        .send()
        .await;
    assert!(result.expect_err("an answer came back").is_timeout());
    eventually("the handler ran", || server.count() == 1).await;
    server.stop().await;
}

#[tokio::test]
async fn malformed_json_is_a_200_json_answer_that_does_not_parse() {
    let sim = spawn(SimProvider::Helodata).await;
    add_fault(sim.addr, json!({"kind": "malformed_json"})).await;
    let response = client()
        .get(format!("{}/subusers", sim.base_url()))
        .send()
        .await
        .expect("answer");
    assert_eq!(response.status(), 200);
    assert_eq!(
        response.headers()[CONTENT_TYPE.as_str()],
        "application/json"
    );
    let body = response.text().await.expect("text");
    assert_eq!(body, r#"{"data":[{"id":"sub_01HX2K3PQ4M5","name":"s1a2"#);
    assert!(serde_json::from_str::<Value>(&body).is_err());
    sim.stop().await;
}

#[tokio::test]
async fn malformed_json_after_cuts_the_handlers_own_body_in_half() {
    let server = TestServer::start().await;
    add_fault(
        server.addr,
        json!({"kind": "malformed_json", "phase": "after"}),
    )
    .await;
    let response = client()
        .get(server.url("/items"))
        .send()
        .await
        .expect("answer");
    assert_eq!(response.status(), 200);
    assert_eq!(response.text().await.expect("text"), r#"{"items":[1,2,3"#);
    server.stop().await;
}

#[tokio::test]
async fn provider_error_911_code_3_is_http_200_with_the_envelope() {
    let sim = spawn(SimProvider::Nine11).await;
    add_fault(sim.addr, json!({"kind": "provider_error", "code": 3})).await;
    let response = client()
        .get(format!(
            "{}/api-gate-way/user/info?app_key=wrong&language=en",
            sim.base_url()
        ))
        .send()
        .await
        .expect("answer");
    assert_eq!(response.status(), 200);
    assert_eq!(
        response.json::<Value>().await.expect("json"),
        json!({"code": 3, "msg": "Your session has expired, please log in again", "data": null})
    );
    sim.stop().await;
}

#[tokio::test]
async fn provider_error_911_code_156_answers_in_chinese_by_default() {
    let sim = spawn(SimProvider::Nine11).await;
    add_fault(sim.addr, json!({"kind": "provider_error", "code": 156})).await;
    let response = client()
        .post(format!("{}/api-gate-way/order/create", sim.base_url()))
        .send()
        .await
        .expect("answer");
    assert_eq!(response.status(), 200);
    assert_eq!(
        response.json::<Value>().await.expect("json"),
        json!({"code": 156, "msg": "账号未实名认证", "data": null})
    );
    sim.stop().await;
}

#[tokio::test]
async fn provider_error_helodata_insufficient_balance_is_a_402_error_body() {
    let sim = spawn(SimProvider::Helodata).await;
    add_fault(
        sim.addr,
        json!({"kind": "provider_error", "code": "insufficient_balance", "method": "POST"}),
    )
    .await;
    let response = client()
        .post(format!("{}/orders", sim.base_url()))
        .send()
        .await
        .expect("answer");
    assert_eq!(response.status(), 402);
    let body: Value = response.json().await.expect("json");
    assert_eq!(body["code"], "insufficient_balance");
    assert_eq!(
        body["message"],
        "Insufficient balance and auto top-up could not charge"
    );
    assert!(
        body["request_id"]
            .as_str()
            .is_some_and(|id| id.starts_with("req_"))
    );
    sim.stop().await;
}

#[tokio::test]
async fn times_faults_exactly_n_calls_and_then_the_rule_is_gone() {
    let server = TestServer::start().await;
    add_fault(
        server.addr,
        json!({"kind": "http_error", "status": 503, "times": 2}),
    )
    .await;
    let mut statuses = Vec::new();
    for _ in 0..3 {
        let response = client()
            .post(server.url("/count"))
            .send()
            .await
            .expect("answer");
        statuses.push(response.status().as_u16());
    }
    assert_eq!(statuses, [503, 503, 200]);
    assert_eq!(server.count(), 1);
    let faults: Value = client()
        .get(server.url("/__sim/faults"))
        .send()
        .await
        .expect("answer")
        .json()
        .await
        .expect("json");
    assert_eq!(faults, json!({"faults": []}));
    let logged: Vec<Value> = calls(server.addr, "").await;
    let faulted: Vec<bool> = logged.iter().map(|c| !c["fault"].is_null()).collect();
    assert_eq!(faulted, [true, true, false]);
    server.stop().await;
}

#[tokio::test]
async fn fraction_faults_a_bounded_share_and_repeats_for_the_same_seed() {
    let mut runs = Vec::new();
    for _ in 0..2 {
        let server = TestServer::start().await;
        add_fault(
            server.addr,
            json!({"kind": "http_error", "status": 500, "fraction": 0.3, "seed": 42}),
        )
        .await;
        let client = client();
        let mut faulted = Vec::new();
        for _ in 0..200 {
            let response = client
                .get(server.url("/items"))
                .send()
                .await
                .expect("answer");
            faulted.push(response.status() == 500);
        }
        runs.push(faulted);
        server.stop().await;
    }
    let count = runs[0].iter().filter(|f| **f).count();
    assert!((40..=80).contains(&count), "{count} of 200 faulted");
    assert_eq!(runs[0], runs[1], "the same seed faulted other calls");
}

#[tokio::test]
async fn path_and_method_decide_which_calls_are_faulted() {
    let server = TestServer::start().await;
    add_fault(
        server.addr,
        json!({"kind": "http_error", "status": 500, "path": "/count", "method": "get"}),
    )
    .await;
    add_fault(
        server.addr,
        json!({"kind": "http_error", "status": 504, "path": "/it*"}),
    )
    .await;
    let client = client();
    let post_count = client
        .post(server.url("/count"))
        .send()
        .await
        .expect("answer");
    let get_count = client
        .get(server.url("/count"))
        .send()
        .await
        .expect("answer");
    let items = client
        .get(server.url("/items"))
        .send()
        .await
        .expect("answer");
    assert_eq!(post_count.status(), 200);
    assert_eq!(get_count.status(), 500);
    assert_eq!(items.status(), 504);
    server.stop().await;
}

#[tokio::test]
async fn call_log_records_each_call_in_order_with_where_the_credential_was_sent() {
    let server = TestServer::start().await;
    let client = client();
    client
        .get(server.url("/items?app_key=k1&x=1&x=2"))
        .send()
        .await
        .expect("answer");
    client
        .post(server.url("/count"))
        .header(CONTENT_TYPE, "application/json")
        .header("idempotency-key", "order-001")
        .body(r#"{"app_key":"b1","n":1}"#)
        .send()
        .await
        .expect("answer");
    client
        .get(server.url("/nowhere"))
        .bearer_auth("tok-123")
        .header("user-agent", "it/1")
        .header("x-request-id", "r-1")
        .send()
        .await
        .expect("answer");
    client
        .get(server.url("/items"))
        .send()
        .await
        .expect("answer");

    let mut logged = calls(server.addr, "").await;
    assert_eq!(logged.len(), 4);
    for call in &mut logged {
        let received = call["received_at"].as_str().unwrap_or_default();
        assert!(
            time::OffsetDateTime::parse(received, &time::format_description::well_known::Rfc3339)
                .is_ok(),
            "received_at {received:?}"
        );
        assert!(call["duration_ms"].is_u64());
        let obj = call.as_object_mut().expect("object");
        obj.remove("received_at");
        obj.remove("duration_ms");
    }
    assert_eq!(
        logged[0],
        json!({
            "seq": 1, "method": "GET", "path": "/items", "query": "app_key=k1&x=1&x=2",
            "query_params": {"app_key": "k1", "x": ["1", "2"]}, "headers": {},
            "body": "", "body_truncated": false, "body_json": null,
            "auth": {"placement": "query", "value": "k1"}, "status": 200, "fault": null
        })
    );
    assert_eq!(
        logged[1],
        json!({
            "seq": 2, "method": "POST", "path": "/count", "query": null, "query_params": {},
            "headers": {"content-type": "application/json", "idempotency-key": "order-001"},
            "body": r#"{"app_key":"b1","n":1}"#, "body_truncated": false,
            "body_json": {"app_key": "b1", "n": 1},
            "auth": {"placement": "body", "value": "b1"}, "status": 200, "fault": null
        })
    );
    assert_eq!(
        logged[2],
        json!({
            "seq": 3, "method": "GET", "path": "/nowhere", "query": null, "query_params": {},
            "headers": {"authorization": "Bearer tok-123", "user-agent": "it/1", "x-request-id": "r-1"},
            "body": "", "body_truncated": false, "body_json": null,
            "auth": {"placement": "bearer", "value": "tok-123"}, "status": 404, "fault": null
        })
    );
    assert_eq!(
        logged[3]["auth"],
        json!({"placement": "none", "value": null})
    );

    let seqs = |calls: Vec<Value>| calls.iter().map(|c| c["seq"].clone()).collect::<Vec<_>>();
    assert_eq!(seqs(calls(server.addr, "?path=/items").await), [1, 4]);
    assert_eq!(seqs(calls(server.addr, "?method=post").await), [2]);
    assert_eq!(seqs(calls(server.addr, "?path=/no*&method=GET").await), [3]);
    assert_eq!(seqs(calls(server.addr, "?since=2").await), [3, 4]);
    server.stop().await;
}

#[tokio::test]
async fn deleting_the_call_log_empties_it_and_seq_keeps_counting() {
    let server = TestServer::start().await;
    let client = client();
    client
        .get(server.url("/items"))
        .send()
        .await
        .expect("answer");
    client
        .get(server.url("/items"))
        .send()
        .await
        .expect("answer");
    let cleared: Value = client
        .delete(server.url("/__sim/calls"))
        .send()
        .await
        .expect("answer")
        .json()
        .await
        .expect("json");
    assert_eq!(cleared, json!({"cleared": 2}));
    assert_eq!(calls(server.addr, "").await, Vec::<Value>::new());
    client
        .get(server.url("/items"))
        .send()
        .await
        .expect("answer");
    let logged = calls(server.addr, "").await;
    assert_eq!(logged.len(), 1);
    assert_eq!(logged[0]["seq"], 3);
    server.stop().await;
}

#[tokio::test]
async fn control_requests_are_neither_logged_nor_faulted() {
    let sim = spawn(SimProvider::Helodata).await;
    add_fault(sim.addr, json!({"kind": "close"})).await;
    let client = client();
    let unknown = client
        .get(format!("{}/nothing", sim.control_url()))
        .send()
        .await
        .expect("answer");
    assert_eq!(unknown.status(), 404);
    assert_eq!(calls(sim.addr, "").await, Vec::<Value>::new());
    sim.stop().await;
}

#[tokio::test]
async fn control_api_is_absent_and_nothing_is_logged_when_control_is_off() {
    let mut opts = SimOptions::new(SimProvider::Helodata);
    opts.control = false;
    let sim = sim::spawn(SimProvider::Helodata, opts)
        .await
        .expect("simulator starts");
    assert!(sim.control().is_none());
    let client = client();
    let listed = client
        .get(format!("{}/calls", sim.control_url()))
        .send()
        .await
        .expect("answer");
    assert_eq!(listed.status(), 404);
    let added = client
        .post(format!("{}/faults", sim.control_url()))
        .json(&json!({"kind": "close"}))
        .send()
        .await
        .expect("answer");
    assert_eq!(added.status(), 404);
    assert_eq!(added.text().await.expect("text"), "");
    sim.stop().await;
}

#[tokio::test]
async fn bad_fault_rules_are_refused_with_400_naming_the_field() {
    let sim = spawn(SimProvider::Nine11).await;
    let client = client();
    let post = |body: String| {
        client
            .post(format!("{}/faults", sim.control_url()))
            .header(CONTENT_TYPE, "application/json")
            .body(body)
            .send()
    };
    let cases = [
        (r#"{"kind":"latency"}"#, json!("ms")),
        (r#"{"kind":"explode"}"#, json!("kind")),
        (
            r#"{"kind":"close","times":1,"fraction":0.5}"#,
            json!("fraction"),
        ),
        (
            r#"{"kind":"provider_error","code":"insufficient_balance"}"#,
            json!("code"),
        ),
        (
            r#"{"kind":"rate_limit","retry-after":3}"#,
            json!("retry-after"),
        ),
        (r#"[1,2]"#, Value::Null),
        ("not json", Value::Null),
    ];
    for (body, field) in cases {
        let response = post(body.to_owned()).await.expect("answer");
        assert_eq!(response.status(), 400, "{body}");
        let error: Value = response.json().await.expect("json");
        assert_eq!(error["code"], "invalid_argument", "{body}");
        assert_eq!(error["field"], field, "{body}");
    }
    let listed = client
        .get(format!("{}/calls?bogus=1", sim.control_url()))
        .send()
        .await
        .expect("answer");
    assert_eq!(listed.status(), 400);
    assert_eq!(
        listed.json::<Value>().await.expect("json")["field"],
        "bogus"
    );
    sim.stop().await;
}

#[tokio::test]
async fn faults_are_listed_as_active_rules_and_can_be_removed() {
    let sim = spawn(SimProvider::Helodata).await;
    let added = add_fault(
        sim.addr,
        json!({"kind": "http_error", "status": 503, "path": "/v1/orders", "method": "post", "times": 2}),
    )
    .await;
    let expected = json!({
        "id": 1, "kind": "http_error", "status": 503, "phase": "before", "path": "/v1/orders",
        "method": "POST", "times": 2, "remaining": 2, "matched": 0, "applied": 0
    });
    assert_eq!(added, expected);
    add_fault(sim.addr, json!({"kind": "hang"})).await;
    let client = client();
    let removed = client
        .delete(format!("{}/faults/2", sim.control_url()))
        .send()
        .await
        .expect("answer");
    assert_eq!(removed.status(), 204);
    let listed: Value = client
        .get(format!("{}/faults", sim.control_url()))
        .send()
        .await
        .expect("answer")
        .json()
        .await
        .expect("json");
    assert_eq!(listed, json!({"faults": [expected]}));
    let cleared: Value = client
        .delete(format!("{}/faults", sim.control_url()))
        .send()
        .await
        .expect("answer")
        .json()
        .await
        .expect("json");
    assert_eq!(cleared, json!({"cleared": 1}));
    let missing = client
        .delete(format!("{}/faults/1", sim.control_url()))
        .send()
        .await
        .expect("answer");
    assert_eq!(missing.status(), 404);
    sim.stop().await;
}

#[tokio::test]
async fn two_simulators_keep_separate_calls_and_faults() {
    let first = spawn(SimProvider::Helodata).await;
    let second = spawn(SimProvider::Helodata).await;
    add_fault(first.addr, json!({"kind": "http_error", "status": 500})).await;
    let client = client();
    let faulted = client
        .get(format!("{}/users/me", first.base_url()))
        .send()
        .await
        .expect("answer");
    let clean = client
        .get(format!("{}/users/me", second.base_url()))
        .send()
        .await
        .expect("answer");
    assert_eq!(faulted.status(), 500);
    assert_ne!(clean.status(), 500);
    assert_eq!(calls(first.addr, "").await.len(), 1);
    assert_eq!(calls(second.addr, "").await.len(), 1);
    first.stop().await;
    second.stop().await;
}

#[tokio::test]
async fn the_in_process_handle_shares_state_with_the_http_api() {
    let sim = spawn(SimProvider::Nine11).await;
    let control = sim.control().expect("control on").clone();
    let rule = control
        .add_fault(&json!({"kind": "provider_error", "code": 156, "times": 1}))
        .expect("valid rule");
    assert_eq!(rule.id, 1);
    let response = client()
        .get(format!("{}/api-gate-way/user/info", sim.base_url()))
        .send()
        .await
        .expect("answer");
    assert_eq!(response.json::<Value>().await.expect("json")["code"], 156);
    let logged = control.calls();
    assert_eq!(logged.len(), 1);
    assert_eq!(logged[0].path, "/api-gate-way/user/info");
    assert_eq!(logged[0].status, Some(200));
    assert!(control.faults().is_empty());
    let refused = control.add_fault(&json!({"kind": "latency"}));
    assert_eq!(refused.err().and_then(|e| e.field).as_deref(), Some("ms"));
    sim.stop().await;
}

#[tokio::test]
async fn graceful_shutdown_finishes_the_request_in_flight_and_refuses_new_ones() {
    let sim = spawn(SimProvider::Helodata).await;
    add_fault(sim.addr, json!({"kind": "latency", "ms": 500})).await;
    let url = format!("{}/users/me", sim.base_url());
    let addr = sim.addr;
    let in_flight = tokio::spawn(client().get(url.clone()).send());
    let control = sim.control().expect("control on").clone();
    eventually("the call arrived", || control.calls().len() == 1).await;
    let started = Instant::now();
    sim.stop().await;
    assert!(started.elapsed() < control::SHUTDOWN_GRACE);
    let response = in_flight
        .await
        .expect("task")
        .expect("in-flight request answered");
    assert_eq!(
        response.status(),
        401,
        "the request completed: helodata answers 401 to a call without a bearer token"
    );
    let refused = client().get(url).send().await;
    assert!(refused.expect_err("served after stop").is_connect());
    assert!(tokio::net::TcpStream::connect(addr).await.is_err());
}

#[tokio::test]
async fn stopping_releases_a_hung_request_without_an_answer() {
    let sim = spawn(SimProvider::Nine11).await;
    add_fault(sim.addr, json!({"kind": "hang"})).await;
    let in_flight = tokio::spawn(
        client()
            .get(format!("{}/api-gate-way/user/info", sim.base_url()))
            .send(),
    );
    let control = sim.control().expect("control on").clone();
    eventually("the call arrived", || control.calls().len() == 1).await;
    let started = Instant::now();
    sim.stop().await;
    assert!(started.elapsed() < Duration::from_secs(2));
    let result = tokio::time::timeout(Duration::from_secs(2), in_flight)
        .await
        .expect("the hung request was released")
        .expect("task");
    assert!(result.is_err(), "an answer came back: {result:?}");
}

/// The switch that closes an endpoint (911 `user/info` is documented "Not yet open"): the
/// endpoint answers 404 with no body, as a path the provider does not serve, without running
/// its handler or any fault; the call is logged; reopening restores it.
#[tokio::test]
async fn a_closed_endpoint_answers_404_until_reopened() {
    let server = TestServer::start().await;
    let control_url = format!("http://{}/__sim/closed", server.addr);
    add_fault(server.addr, json!({"kind": "http_error", "status": 500})).await;
    let refused = client()
        .post(&control_url)
        .json(&json!({"path": "count"}))
        .send()
        .await
        .expect("control request");
    assert_eq!(refused.status(), 400);
    assert_eq!(refused.json::<Value>().await.unwrap()["field"], "path");
    let closed = client()
        .post(&control_url)
        .json(&json!({"path": "/count"}))
        .send()
        .await
        .expect("control request");
    assert_eq!(closed.status(), 204);
    let listed: Value = client()
        .get(&control_url)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(listed, json!({"closed": ["/count"]}));

    let answer = client()
        .post(server.url("/count"))
        .send()
        .await
        .expect("answer");
    assert_eq!(answer.status(), 404);
    assert!(answer.bytes().await.unwrap().is_empty());
    assert_eq!(server.count(), 0, "a closed endpoint runs no handler");
    let logged = calls(server.addr, "").await;
    assert_eq!(
        (logged[0]["path"].as_str(), logged[0]["status"].as_u64()),
        (Some("/count"), Some(404))
    );
    assert!(logged[0]["fault"].is_null());

    let reopened: Value = client()
        .delete(&control_url)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(reopened, json!({"reopened": 1}));
    client()
        .delete(format!("http://{}/__sim/faults", server.addr))
        .send()
        .await
        .unwrap();
    let answer = client()
        .post(server.url("/count"))
        .send()
        .await
        .expect("answer");
    assert_eq!(answer.status(), 200);
    assert_eq!(server.count(), 1);
    server.stop().await;
}
