//! The Dockerfile and .dockerignore, checked without a Docker engine: what the image promises
//! (non-root, port, stop signal, health check through the binary, valid ENV defaults) and what
//! its build needs (a toolchain new enough, every build input in the context). hadolint lints the
//! same file in CI; the compose file is checked by `docker-compose config` and the smoke test.

use std::collections::BTreeMap;
use std::path::Path;

use proxy_gateway::config::{Config, all_settings};

use crate::support::{binary, temp_dir};

fn repo_file(name: &str) -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join(name);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// The Dockerfile's instructions (continuations joined, comments dropped), as (WORD, rest).
fn instructions() -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut current = String::new();
    for line in repo_file("Dockerfile").lines() {
        let line = line.trim();
        if current.is_empty() && (line.is_empty() || line.starts_with('#')) {
            continue;
        }
        if let Some(head) = line.strip_suffix('\\') {
            current.push_str(head);
            current.push(' ');
            continue;
        }
        current.push_str(line);
        let (word, rest) = current.split_once(' ').unwrap_or((&current, ""));
        out.push((word.to_uppercase(), rest.trim().to_string()));
        current.clear();
    }
    out
}

/// The instructions of the last stage (the runtime image).
fn runtime_stage() -> Vec<(String, String)> {
    let all = instructions();
    let last_from = all.iter().rposition(|(w, _)| w == "FROM").unwrap();
    all[last_from..].to_vec()
}

fn one<'a>(stage: &'a [(String, String)], word: &str) -> &'a str {
    let found: Vec<_> = stage.iter().filter(|(w, _)| w == word).collect();
    assert_eq!(found.len(), 1, "exactly one {word} in the runtime stage");
    &found[0].1
}

fn runtime_env(stage: &[(String, String)]) -> BTreeMap<String, String> {
    stage
        .iter()
        .filter(|(w, _)| w == "ENV")
        .flat_map(|(_, rest)| rest.split_whitespace())
        .map(|pair| {
            let (k, v) = pair.split_once('=').expect("ENV KEY=VALUE");
            (k.to_string(), v.trim_matches('"').to_string())
        })
        .collect()
}

fn exec_form(text: &str) -> Vec<String> {
    serde_json::from_str(text).unwrap_or_else(|e| panic!("exec form (JSON array): {text}: {e}"))
}

#[test]
fn the_builder_toolchain_is_at_least_the_crates_rust_version() {
    let manifest: toml::Table = repo_file("Cargo.toml").parse().unwrap();
    let wanted = manifest["package"]["rust-version"].as_str().unwrap();
    let all = instructions();
    let arg = all
        .iter()
        .find_map(|(w, rest)| {
            (w == "ARG")
                .then(|| rest.strip_prefix("RUST_VERSION="))
                .flatten()
        })
        .expect("ARG RUST_VERSION=…");
    let version = |v: &str| -> Vec<u32> { v.split('.').map(|n| n.parse().unwrap()).collect() };
    assert!(
        version(arg) >= version(wanted),
        "{arg} < rust-version {wanted}"
    );
    assert!(
        all.iter()
            .any(|(w, rest)| w == "FROM" && rest.starts_with("rust:${RUST_VERSION}-slim-bookworm")),
        "the builder is Debian 12 like the runtime, so glibc matches"
    );
    assert!(
        all.iter()
            .any(|(w, rest)| w == "RUN"
                && rest.contains("cargo install cargo-chef --locked --version ")),
        "cargo-chef is pinned"
    );
    let cook = all
        .iter()
        .position(|(w, rest)| w == "RUN" && rest.contains("cargo chef cook --release"))
        .expect("dependencies are cooked in their own layer");
    let copy_all = all
        .iter()
        .rposition(|(w, rest)| w == "COPY" && rest == ". .")
        .unwrap();
    assert!(
        cook < copy_all,
        "the dependency layer comes before the sources"
    );
}

#[test]
fn the_runtime_image_is_small_non_root_and_stops_on_sigterm() {
    let stage = runtime_stage();
    let from = one(&stage, "FROM");
    assert!(
        from.starts_with("gcr.io/distroless/cc-debian12") || from.contains("-slim"),
        "{from}"
    );
    let user = one(&stage, "USER");
    assert!(
        !["root", "0", "0:0"].contains(&user) && !user.starts_with("root:"),
        "runs as non-root: {user}"
    );
    assert_eq!(
        one(&stage, "STOPSIGNAL"),
        "SIGTERM",
        "what the graceful shutdown handles"
    );
    let env = runtime_env(&stage);
    assert_eq!(env.get("PGW_LOG_FORMAT").map(String::as_str), Some("json"));
    let listen = env.get("PGW_LISTEN").expect("ENV PGW_LISTEN");
    assert!(
        listen.starts_with("0.0.0.0:"),
        "reachable from outside the container"
    );
    assert_eq!(
        one(&stage, "EXPOSE"),
        listen.rsplit(':').next().unwrap(),
        "EXPOSE is the port PGW_LISTEN binds"
    );
}

#[test]
fn the_image_env_defaults_are_valid_settings() {
    let env = runtime_env(&runtime_stage());
    for key in env.keys() {
        assert!(
            all_settings(&proxy_gateway::providers::registry::specs())
                .iter()
                .any(|s| s.env == key),
            "ENV {key} is not a setting"
        );
    }
    let env: BTreeMap<String, String> = env.into_iter().collect();
    Config::from_sources(None, &env, &proxy_gateway::providers::registry::specs())
        .expect("the image's ENV is a valid configuration");
}

#[tokio::test]
async fn entrypoint_cmd_and_healthcheck_run_the_copied_binary() {
    let stage = runtime_stage();
    let entrypoint = exec_form(one(&stage, "ENTRYPOINT"));
    let binary_path = entrypoint[0].clone();
    assert!(
        stage
            .iter()
            .any(|(w, rest)| w == "COPY" && rest.ends_with(&format!(" {binary_path}"))),
        "ENTRYPOINT runs the binary COPY put there"
    );
    assert_eq!(exec_form(one(&stage, "CMD")), vec!["serve"]);
    let healthcheck = one(&stage, "HEALTHCHECK");
    let (options, command) = healthcheck
        .split_once(" CMD ")
        .expect("HEALTHCHECK … CMD […]");
    for option in ["--interval=", "--timeout=", "--start-period=", "--retries="] {
        assert!(options.contains(option), "HEALTHCHECK sets {option}");
    }
    let command = exec_form(command);
    assert_eq!(command, vec![binary_path, "healthcheck".to_string()]);
    // The subcommand exists in this build.
    let help = binary::command(&temp_dir())
        .args(["healthcheck", "--help"])
        .output()
        .await
        .unwrap();
    assert!(help.status.success());
    assert!(String::from_utf8_lossy(&help.stdout).contains("/readyz"));
}

/// Whether `.dockerignore` (the patterns this repository uses: `dir/`, `*.ext`, `name`, `!name`)
/// keeps `path` out of the build context.
fn ignored(patterns: &[&str], path: &str) -> bool {
    let matches = |pattern: &str| {
        let pattern = pattern.trim_end_matches('/');
        if let Some(ext) = pattern.strip_prefix('*') {
            return path.ends_with(ext) && !path.contains('/');
        }
        if let Some(prefix) = pattern.strip_suffix('*') {
            return path.starts_with(prefix) && !path.contains('/');
        }
        path == pattern || path.starts_with(&format!("{pattern}/"))
    };
    let mut out = false;
    for pattern in patterns {
        match pattern.strip_prefix('!') {
            Some(negated) if matches(negated) => out = false,
            None if matches(pattern) => out = true,
            _ => {}
        }
    }
    out
}

#[test]
fn the_build_context_holds_every_build_input_and_no_local_state() {
    let text = repo_file(".dockerignore");
    let patterns: Vec<&str> = text
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .collect();
    for needed in [
        "Cargo.toml",
        "Cargo.lock",
        "src/main.rs",
        "src/lib.rs",
        "migrations/postgres/0001_api_keys.sql",
        "migrations/sqlite/0001_api_keys.sql",
        "tests/it/main.rs",
    ] {
        assert!(!ignored(&patterns, needed), "{needed} must reach the build");
    }
    for local in [
        "target/release/proxy-gateway",
        ".git/HEAD",
        ".env",
        "data/proxy-gateway.db",
    ] {
        assert!(
            ignored(&patterns, local),
            "{local} must stay out of the build"
        );
    }
}
