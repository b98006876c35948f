//! The README stays true: it documents every setting the binary reads.

#[test]
fn the_readme_settings_table_lists_every_setting() {
    let readme =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md")).unwrap();
    for setting in proxy_gateway::config::SETTINGS {
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
