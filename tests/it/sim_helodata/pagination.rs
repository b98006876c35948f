//! Cursor pagination: `next_cursor`, the `Link` header and `limit` (§1, overview "约定").

use std::collections::HashSet;

use reqwest::Method;

use super::support::start;

#[tokio::test]
async fn walking_next_cursor_visits_every_subuser_exactly_once() {
    let sim = start().await;
    for i in 0..9 {
        sim.create_subuser(&format!("extra-{i}")).await;
    }
    let everything = sim.get("/subusers?limit=100").await;
    let expected: Vec<_> = everything.data().iter().map(|s| s["id"].clone()).collect();
    assert_eq!(expected.len(), 21);

    let mut seen = Vec::new();
    let mut url = "/subusers?limit=4".to_string();
    let mut pages = 0;
    loop {
        let r = sim.get(&url).await;
        assert_eq!(r.status, 200);
        assert!(r.data().len() <= 4);
        pages += 1;
        seen.extend(r.data().iter().map(|s| s["id"].clone()));
        match r.body["next_cursor"].as_str() {
            Some(c) => {
                let link = r.header("link").expect("a Link header with a next page");
                let expected_link = format!(
                    "<{}>; rel=\"next\"",
                    sim.url(&format!("/subusers?limit=4&cursor={c}"))
                );
                assert_eq!(link, expected_link);
                url = format!("/subusers?limit=4&cursor={c}");
            }
            None => {
                assert!(r.header("link").is_none());
                break;
            }
        }
    }
    assert_eq!(pages, 6);
    assert_eq!(seen, expected);
    let unique: HashSet<String> = seen.iter().map(|v| v.to_string()).collect();
    assert_eq!(unique.len(), 21);
}

#[tokio::test]
async fn following_the_link_header_keeps_the_filters() {
    let sim = start().await;
    let mut url = sim.url("/subusers?product=residential&limit=3");
    let mut seen = Vec::new();
    loop {
        let r = sim
            .call(Method::GET, &url, Some(&sim.token), None, &[])
            .await;
        assert_eq!(r.status, 200, "{}", r.body);
        seen.extend(r.data().iter().cloned());
        let Some(link) = r.header("link") else { break };
        url = link
            .strip_prefix('<')
            .and_then(|l| l.split_once(">; rel=\"next\""))
            .map(|(u, _)| u.to_string())
            .expect("Link: <url>; rel=\"next\"");
        assert!(url.contains("product=residential"), "{url}");
    }
    assert_eq!(seen.len(), 9);
    assert!(seen.iter().all(|s| {
        s["products"]
            .as_array()
            .is_some_and(|p| p.contains(&"residential".into()))
    }));
}

#[tokio::test]
async fn a_deletion_between_pages_neither_repeats_nor_skips_survivors() {
    let sim = start().await;
    let first = sim.get("/subusers?limit=5").await;
    let cursor = first.body["next_cursor"]
        .as_str()
        .expect("cursor")
        .to_string();
    // Delete the first item of what would be page two.
    let all = sim.get("/subusers?limit=100").await;
    let doomed = all.data()[5]["id"].as_str().expect("id").to_string();
    sim.delete(&format!("/subusers/{doomed}")).await;
    let second = sim.get(&format!("/subusers?limit=5&cursor={cursor}")).await;
    let expected: Vec<_> = all.data()[6..11].to_vec();
    assert_eq!(second.data(), &expected);
}

#[tokio::test]
async fn limit_defaults_to_50_accepts_1_to_100_and_names_the_field_otherwise() {
    let sim = start().await;
    assert_eq!(sim.get("/residential/requests").await.data().len(), 50);
    assert_eq!(
        sim.get("/residential/requests?limit=1").await.data().len(),
        1
    );
    assert_eq!(
        sim.get("/residential/requests?limit=100")
            .await
            .data()
            .len(),
        100
    );
    for bad in ["0", "101", "-1", "ten", "1.5"] {
        sim.get(&format!("/subusers?limit={bad}"))
            .await
            .assert_error(400, "invalid_argument", Some("limit"));
    }
    for bad in ["garbage!", "Zm9v", ""] {
        let r = sim.get(&format!("/subusers?cursor={bad}")).await;
        if bad.is_empty() {
            assert_eq!(r.status, 200, "an empty cursor is the first page");
        } else {
            r.assert_error(400, "invalid_argument", Some("cursor"));
        }
    }
}

#[tokio::test]
async fn a_walk_over_the_request_log_visits_1000_samples_once_newest_first() {
    let sim = start().await;
    let all = sim.all("/mobile/requests", 100).await;
    assert_eq!(all.len(), 1_000);
    let ids: HashSet<&str> = all.iter().filter_map(|s| s["id"].as_str()).collect();
    assert_eq!(ids.len(), 1_000);
    let stamps: Vec<&str> = all.iter().filter_map(|s| s["timestamp"].as_str()).collect();
    assert!(stamps.windows(2).all(|w| w[0] >= w[1]));
}
