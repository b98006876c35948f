//! The documentation stays true: the README lists every setting, the committed OpenAPI document
//! is the generated one, and the docs UI is served from the binary.

use crate::support::{Db, binary, problem, spawn_app, temp_dir};

#[test]
fn the_readme_settings_table_lists_every_setting() {
    let readme =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md")).unwrap();
    for setting in proxy_gateway::config::all_settings(&proxy_gateway::providers::registry::specs())
    {
        assert!(
            readme.contains(&format!("`{}`", setting.env)),
            "README lacks {}",
            setting.env
        );
        assert!(
            readme.contains(&format!("`{}`", setting.file_key)),
            "README lacks {}",
            setting.file_key
        );
    }
}

#[test]
fn the_committed_openapi_document_matches_the_generated_one() {
    let committed =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/openapi/openapi.json"))
            .unwrap();
    let generated = proxy_gateway::api::openapi::render(&proxy_gateway::api::openapi::spec());
    assert!(
        committed == generated,
        "openapi/openapi.json is stale: regenerate it with `cargo run -q -- openapi > openapi/openapi.json`"
    );
}

/// Every `src="…"` and `href="…"` value of an HTML page.
fn linked_urls(html: &str) -> Vec<String> {
    let mut urls = Vec::new();
    for attribute in ["src=\"", "href=\""] {
        for rest in html.split(attribute).skip(1) {
            if let Some(url) = rest.split('"').next() {
                urls.push(url.to_string());
            }
        }
    }
    urls
}

#[tokio::test]
async fn the_docs_ui_is_served_from_the_binary_without_any_cdn() {
    let app = spawn_app(Db::Sqlite).await;

    // `/docs` redirects (relatively, so a path prefix survives) to `/docs/`; no key needed.
    let redirect = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
        .get(app.url("/docs"))
        .send()
        .await
        .unwrap();
    assert_eq!(redirect.status(), 308);
    assert_eq!(redirect.headers()["location"], "docs/");

    let page = app.client.get(app.url("/docs")).send().await.unwrap();
    assert_eq!(page.status(), 200);
    assert_eq!(page.url().path(), "/docs/");
    assert!(
        page.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/html")
    );
    let html = page.text().await.unwrap();
    assert!(html.contains("<div id=\"swagger-ui\">"), "{html}");

    let urls = linked_urls(&html);
    assert!(
        urls.iter().any(|u| u.ends_with("swagger-ui-bundle.js")),
        "{urls:?}"
    );
    for url in &urls {
        assert!(
            !url.contains("//") && !url.contains(':'),
            "the page must load nothing from another origin, but links {url}"
        );
        let asset = app
            .client
            .get(app.url(&format!("/docs/{}", url.trim_start_matches("./"))))
            .send()
            .await
            .unwrap();
        assert_eq!(asset.status(), 200, "{url}");
        assert!(!asset.bytes().await.unwrap().is_empty(), "{url}");
    }

    // The UI reads this gateway's own document and never calls the public validator.
    let init = app
        .client
        .get(app.url("/docs/swagger-initializer.js"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(init.contains(r#""url": "../openapi.json""#), "{init}");
    assert!(init.contains(r#""validatorUrl": "none""#), "{init}");
    assert!(!init.contains("petstore"), "{init}");

    let missing = app
        .client
        .get(app.url("/docs/no-such-file.js"))
        .send()
        .await
        .unwrap();
    let (status, body) = problem(missing).await;
    assert_eq!((status, body["code"].as_str()), (404, Some("not_found")));
}

#[tokio::test]
async fn the_served_document_is_what_the_openapi_command_prints() {
    let app = spawn_app(Db::Sqlite).await;
    let served = app
        .client
        .get(app.url("/openapi.json"))
        .send()
        .await
        .unwrap();
    assert_eq!(served.status(), 200);
    assert_eq!(served.headers()["content-type"], "application/json");
    let served = served.text().await.unwrap();

    let printed = binary::command(&temp_dir())
        .arg("openapi")
        .output()
        .await
        .expect("run proxy-gateway openapi");
    assert!(printed.status.success());
    let printed = String::from_utf8(printed.stdout).unwrap();
    assert!(
        served == printed,
        "GET /openapi.json differs from `proxy-gateway openapi`"
    );

    let committed =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/openapi/openapi.json"))
            .unwrap();
    assert!(served == committed, "openapi/openapi.json is stale");
}

fn architecture_page() -> String {
    std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/docs/ARCHITECTURE.md"))
        .expect("docs/ARCHITECTURE.md")
}

#[test]
fn the_architecture_page_draws_the_same_layers_as_the_guard() {
    // Rows of the table: | `layer` | what it is | `a`, `b`, … |
    let mut drawn: Vec<(String, Vec<String>)> = Vec::new();
    for line in architecture_page().lines() {
        let cells: Vec<&str> = line.split('|').map(str::trim).collect();
        if cells.len() < 5 || !cells[1].starts_with('`') {
            continue;
        }
        let layer = cells[1].trim_matches('`').to_string();
        let mut allowed: Vec<String> = cells[3]
            .split(',')
            .map(|s| s.trim().trim_matches('`').to_string())
            .filter(|s| !s.is_empty() && s != "(nothing)")
            .collect();
        allowed.sort();
        drawn.push((layer, allowed));
    }
    let mut guarded: Vec<(String, Vec<String>)> = crate::architecture::LAYERS
        .iter()
        .map(|(layer, allowed)| {
            let mut allowed: Vec<String> = allowed.iter().map(|s| s.to_string()).collect();
            allowed.sort();
            (layer.to_string(), allowed)
        })
        .collect();
    drawn.sort();
    guarded.sort();
    assert_eq!(
        drawn, guarded,
        "docs/ARCHITECTURE.md and tests/it/architecture.rs disagree"
    );
}

#[test]
fn every_file_the_architecture_page_names_exists() {
    let page = architecture_page();
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut named = 0;
    for piece in page.split('`') {
        let Some(start) = piece.find("src/") else {
            continue;
        };
        let path: String = piece[start..]
            .chars()
            .take_while(|c| !c.is_whitespace())
            .collect();
        if !path.ends_with(".rs") || path.contains('…') || path.contains('<') {
            continue;
        }
        named += 1;
        assert!(
            root.join(&path).is_file(),
            "docs/ARCHITECTURE.md names {path}"
        );
    }
    assert!(named > 30, "only {named} files named");
}
