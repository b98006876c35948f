//! `ip/v3`, the dynamic geo lists and searches, `ip/get-static-ip`, `static-ip-region`.

use std::collections::HashMap;
use std::net::Ipv4Addr;

use serde_json::{Value, json};

use super::{Sim, assert_ok_legacy, assert_param_error, int, is_local_time, keys};

/// `ip:port` split, asserting the shape.
fn split(addr: &str) -> (Ipv4Addr, u16) {
    let (ip, port) = addr.split_once(':').expect("ip:port");
    (ip.parse().expect("ipv4"), port.parse().expect("port"))
}

#[tokio::test]
async fn extraction_json_is_a_nested_list_of_consecutive_ports_on_one_node() {
    let sim = Sim::start().await;
    let v = sim.get("ip/v3", &[("num", "10"), ("format", "json")]).await;
    assert_ok_legacy(&v);
    assert_eq!(keys(&v["data"]), ["list"]);
    let outer = v["data"]["list"].as_array().expect("list");
    assert_eq!(outer.len(), 1);
    let inner = outer[0].as_array().expect("nested list");
    assert_eq!(inner.len(), 10);
    let addrs: Vec<(Ipv4Addr, u16)> = inner
        .iter()
        .map(|a| split(a.as_str().expect("string")))
        .collect();
    for pair in addrs.windows(2) {
        assert_eq!(pair[0].0, pair[1].0, "one entry node");
        assert_eq!(pair[0].1 + 1, pair[1].1, "consecutive ports");
    }
}

#[tokio::test]
async fn extraction_defaults_to_one_address_in_json() {
    let sim = Sim::start().await;
    let v = sim.get("ip/v3", &[]).await;
    assert_ok_legacy(&v);
    assert_eq!(v["data"]["list"][0].as_array().map(Vec::len), Some(1));
}

#[tokio::test]
async fn extraction_text_joins_with_crlf_by_default_or_with_lb() {
    let sim = Sim::start().await;
    let (ct, body) = sim
        .get_text("ip/v3", &[("num", "3"), ("format", "text")])
        .await;
    assert!(ct.starts_with("text/plain"), "{ct}");
    let lines: Vec<&str> = body.split("\r\n").collect();
    assert_eq!(lines.len(), 3, "{body:?}");
    for l in &lines {
        split(l);
    }

    let (_, body) = sim
        .get_text("ip/v3", &[("num", "3"), ("format", "text"), ("lb", "\n")])
        .await;
    assert!(!body.contains('\r'));
    assert_eq!(body.split('\n').count(), 3);

    let (_, body) = sim
        .get_text("ip/v3", &[("num", "2"), ("format", "text"), ("lb", "\\n")])
        .await;
    assert_eq!(
        body.split('\n').count(),
        2,
        "literal \\n is read as newline"
    );

    let (_, body) = sim
        .get_text("ip/v3", &[("num", "2"), ("format", "text"), ("lb", "|")])
        .await;
    assert_eq!(body.split('|').count(), 2);
}

#[tokio::test]
async fn extraction_accepts_known_places_and_entry_networks() {
    let sim = Sim::start().await;
    let ok: [&[(&str, &str)]; 5] = [
        &[("cc", "US")],
        &[("cc", "us"), ("state", "texas")],
        &[("cc", "US"), ("state", "texas"), ("city", "austin")],
        &[
            ("cc", "DE"),
            ("city", "munich"),
            ("life", "60"),
            ("ep", "de"),
        ],
        &[("ep", "hk"), ("life", "1")],
    ];
    for q in ok {
        assert_ok_legacy(&sim.get("ip/v3", q).await);
    }
}

#[tokio::test]
async fn extraction_parameter_errors_name_the_field() {
    let sim = Sim::start().await;
    let cases: [(&[(&str, &str)], &str); 10] = [
        (&[("num", "0")], "num"),
        (&[("num", "1001")], "num"),
        (&[("format", "xml")], "format"),
        (&[("life", "0")], "life"),
        (&[("life", "61")], "life"),
        (&[("ep", "jp")], "ep"),
        (&[("cc", "ZZ")], "cc"),
        (&[("state", "texas")], "cc"),
        (&[("cc", "US"), ("state", "bavaria")], "state"),
        (
            &[("cc", "US"), ("state", "texas"), ("city", "miami")],
            "city",
        ),
    ];
    for (q, field) in cases {
        assert_param_error(&sim.get("ip/v3", q).await, "msg", field);
    }
}

#[tokio::test]
async fn extraction_without_a_dynamic_whitelist_ip_fails() {
    let sim = Sim::start().await;
    let list = sim.get("proxy-ip/list", &[("product_type", "9")]).await;
    let ips: Vec<&str> = list["data"]["list"]
        .as_array()
        .expect("list")
        .iter()
        .map(|w| w["ip"].as_str().expect("ip"))
        .collect();
    assert!(!ips.is_empty());
    let v = sim
        .post(
            "proxy-ip/delete",
            json!({"ips": ips.join(","), "product_type": 9}),
        )
        .await;
    assert_ok_legacy(&v);
    let (ct, body) = sim.get_text("ip/v3", &[("format", "text")]).await;
    assert!(ct.starts_with("text/plain"));
    assert_eq!(body, "请先添加白名单IP");
    assert_param_error(&sim.get("ip/v3", &[]).await, "msg", "whitelist");
    // Parameter errors stay JSON in text mode.
    let (ct, _) = sim
        .get_text("ip/v3", &[("format", "text"), ("num", "0")])
        .await;
    assert_eq!(ct, "application/json");
}

#[tokio::test]
async fn state_list_covers_at_least_20_countries_with_their_states() {
    let sim = Sim::start().await;
    let v = sim.get("ip/dynamic-states", &[]).await;
    assert_ok_legacy(&v);
    let list = v["data"]["list"].as_array().expect("list");
    assert!(list.len() >= 20, "{}", list.len());
    for c in list {
        assert_eq!(
            keys(c),
            [
                "continent_code",
                "country_code",
                "items",
                "name_en",
                "name_zh_cn"
            ]
        );
        let items = c["items"].as_array().expect("items");
        assert!(!items.is_empty());
        for s in items {
            assert_eq!(keys(s), ["continent_code", "country_code", "state"]);
            assert_eq!(s["country_code"], c["country_code"]);
            assert_eq!(s["continent_code"], c["continent_code"]);
            assert!(s["state"].is_string());
        }
    }
    let us = list.iter().find(|c| c["country_code"] == "US").expect("US");
    assert_eq!(us["name_zh_cn"], "美国");
    assert_eq!(us["name_en"], "United States");
    assert_eq!(us["continent_code"], "NA");
}

#[tokio::test]
async fn city_list_gives_each_city_with_its_state() {
    let sim = Sim::start().await;
    let v = sim.get("ip/dynamic-citys", &[]).await;
    assert_ok_legacy(&v);
    let list = v["data"]["list"].as_array().expect("list");
    assert!(list.len() >= 20);
    for c in list {
        for item in c["items"].as_array().expect("items") {
            assert_eq!(
                keys(item),
                ["city", "continent_code", "country_code", "state"]
            );
            assert!(item["city"].is_string() && item["state"].is_string());
        }
    }
    let us = list.iter().find(|c| c["country_code"] == "US").expect("US");
    assert!(us["items"].as_array().expect("items").contains(&json!({
        "city": "austin", "state": "texas", "continent_code": "NA", "country_code": "US"
    })));
}

#[tokio::test]
async fn searches_list_states_of_a_country_and_cities_of_a_state() {
    let sim = Sim::start().await;
    let v = sim
        .get("ip/dynamic-states/search", &[("country_code", "US")])
        .await;
    assert_ok_legacy(&v);
    assert_eq!(
        v["data"],
        json!({"list": ["california", "newyork", "texas", "florida"]})
    );
    let v = sim
        .get(
            "ip/dynamic-citys/search",
            &[("country_code", "US"), ("state", "texas")],
        )
        .await;
    assert_eq!(v["data"], json!({"list": ["houston", "dallas", "austin"]}));
    let v = sim
        .get("ip/dynamic-states/search", &[("country_code", "ZZ")])
        .await;
    assert_eq!(v["data"], json!({"list": []}));
    assert_param_error(
        &sim.get("ip/dynamic-states/search", &[]).await,
        "msg",
        "country_code",
    );
    assert_param_error(
        &sim.get("ip/dynamic-citys/search", &[("country_code", "US")])
            .await,
        "msg",
        "state",
    );
}

#[tokio::test]
async fn static_ip_list_has_fields_statuses_and_pages() {
    let sim = Sim::start().await;
    let v = sim.get("ip/get-static-ip", &[]).await;
    assert_ok_legacy(&v);
    let data = &v["data"];
    assert_eq!(
        keys(data),
        ["list", "page", "page_size", "total_count", "total_page"]
    );
    assert_eq!(data["total_count"], 11);
    let list = data["list"].as_array().expect("list");
    assert_eq!(list.len(), 11);
    for ip in list {
        assert_eq!(
            keys(ip),
            [
                "city",
                "country_code",
                "created_at",
                "expired_at",
                "id",
                "ip",
                "password",
                "port",
                "product_type",
                "state",
                "status",
                "trade_no",
                "username"
            ]
        );
        let _: Ipv4Addr = ip["ip"].as_str().expect("ip").parse().expect("ipv4");
        assert!(ip["port"].is_u64());
        assert!([14, 25].contains(&int(&ip["product_type"])));
        assert!((1..=4).contains(&int(&ip["status"])));
        assert!(is_local_time(
            ip["expired_at"].as_str().expect("expired_at")
        ));
    }
    let paged = sim
        .get("ip/get-static-ip", &[("page", "2"), ("size", "5")])
        .await;
    assert_eq!(paged["data"]["list"].as_array().map(Vec::len), Some(5));
    assert_eq!(paged["data"]["total_page"], 3);
}

#[tokio::test]
async fn static_ip_filters_narrow_the_list() {
    let sim = Sim::start().await;
    let all = sim.get("ip/get-static-ip", &[("size", "100")]).await;
    let all = all["data"]["list"].as_array().expect("list").clone();
    let count = |f: &dyn Fn(&Value) -> bool| all.iter().filter(|x| f(x)).count();
    for pt in [14u64, 25] {
        let v = sim
            .get("ip/get-static-ip", &[("product_type", &pt.to_string())])
            .await;
        let expected = count(&|x| x["product_type"] == pt);
        assert_eq!(int(&v["data"]["total_count"]) as usize, expected);
    }
    let mut by_status: HashMap<u64, usize> = HashMap::new();
    for st in 1u64..=4 {
        let v = sim
            .get("ip/get-static-ip", &[("status", &st.to_string())])
            .await;
        let list = v["data"]["list"].as_array().expect("list");
        assert!(list.iter().all(|x| x["status"] == st));
        by_status.insert(st, list.len());
    }
    assert_eq!(by_status.values().sum::<usize>(), all.len());
    let cc = all[0]["country_code"].as_str().expect("cc");
    let v = sim.get("ip/get-static-ip", &[("country_code", cc)]).await;
    assert_eq!(
        int(&v["data"]["total_count"]) as usize,
        count(&|x| x["country_code"] == cc)
    );
    let tn = all[0]["trade_no"].as_str().expect("trade_no");
    let v = sim.get("ip/get-static-ip", &[("trade_no", tn)]).await;
    assert_eq!(
        int(&v["data"]["total_count"]) as usize,
        count(&|x| x["trade_no"] == tn)
    );
    for (k, bad) in [("status", "5"), ("product_type", "9"), ("size", "0")] {
        assert_param_error(&sim.get("ip/get-static-ip", &[(k, bad)]).await, "msg", k);
    }
}

#[tokio::test]
async fn static_region_counts_per_country_and_isp_split_adds_up() {
    let sim = Sim::start().await;
    let get = |isp: Option<&'static str>| {
        let sim = &sim;
        async move {
            let q: Vec<(&str, &str)> = isp.map(|i| ("isp", i)).into_iter().collect();
            let v = sim.get("static-ip-region", &q).await;
            assert_ok_legacy(&v);
            v["data"]["list"]
                .as_array()
                .expect("list")
                .iter()
                .map(|r| {
                    assert_eq!(keys(r), ["code", "number"]);
                    (
                        r["code"].as_str().expect("code").to_string(),
                        int(&r["number"]),
                    )
                })
                .collect::<HashMap<String, u64>>()
        }
    };
    let both = get(None).await;
    let residential = get(Some("1")).await;
    let datacenter = get(Some("0")).await;
    assert!(both.len() >= 20);
    for (code, n) in &both {
        let r = residential.get(code).copied().unwrap_or(0);
        let d = datacenter.get(code).copied().unwrap_or(0);
        assert_eq!(*n, r + d, "{code}");
    }
    assert_param_error(
        &sim.get("static-ip-region", &[("isp", "2")]).await,
        "msg",
        "isp",
    );
}
