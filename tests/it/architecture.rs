//! The architecture guard: reads `src/` and fails on any `use crate::…` (or `crate::…` path,
//! or `super::` that climbs out of its top-level module) that runs against the allowed
//! directions, on an import cycle between top-level modules, on a forbidden outside crate in a
//! layer that must not know it, and on a source file over 600 lines. The table of directions
//! is written once, here; docs/ARCHITECTURE.md draws the same picture.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// Each top-level module of `src/` and the modules it may import, top to bottom. Anything not
/// listed is refused, so a new top-level module must be placed here before it can be used.
pub const LAYERS: &[(&str, &[&str])] = &[
    // The command line: parses arguments and calls the assembly or a one-shot command.
    (
        "cli",
        &[
            "app",
            "api",
            "http",
            "services",
            "providers",
            "store",
            "config",
            "upstream",
            "domain",
            "sim",
            "telemetry",
        ],
    ),
    // Assembly only: builds the state, the router and the workers from a configuration.
    (
        "app",
        &[
            "api",
            "http",
            "services",
            "providers",
            "store",
            "config",
            "upstream",
            "domain",
            "sim",
            "telemetry",
        ],
    ),
    // Handlers and wire types: parse, call one service, map the result.
    (
        "api",
        &["http", "services", "config", "domain", "telemetry"],
    ),
    // Layers, extractors, the request state and the one mapping of errors to problem+json.
    (
        "http",
        &[
            "services",
            "providers",
            "store",
            "config",
            "upstream",
            "domain",
            "telemetry",
        ],
    ),
    // Use cases: the only place that combines providers, the store and domain rules.
    (
        "services",
        &[
            "providers",
            "store",
            "config",
            "upstream",
            "domain",
            "telemetry",
        ],
    ),
    // Provider adapters and the store sit side by side and never import each other.
    ("providers", &["config", "upstream", "domain", "telemetry"]),
    ("store", &["config", "domain", "telemetry"]),
    // The settings: parsed once into the types of the layers below (upstream policy, domain
    // values, log format); each provider describes its own settings from its adapter folder.
    ("config", &["upstream", "domain", "telemetry"]),
    // The shared upstream client: it records its calls; the layers above read the record.
    ("upstream", &["domain", "telemetry"]),
    // Types and pure rules: no store, no providers, no HTTP, no settings.
    ("domain", &["telemetry"]),
    // Logging and the names of every metric.
    ("telemetry", &[]),
    // The provider simulators stand alone: they follow the provider documents, not the gateway.
    ("sim", &[]),
];

/// Outside crates a layer must not name: the HTTP framework stays above the services, the
/// database driver inside the store, the HTTP client inside upstream and the adapters.
const FORBIDDEN_CRATES: &[(&str, &[&str])] = &[
    (
        "services",
        &["axum", "tower_http", "utoipa", "sqlx", "reqwest"],
    ),
    ("providers", &["axum", "tower_http", "utoipa", "sqlx"]),
    ("store", &["axum", "tower_http", "utoipa", "reqwest"]),
    ("upstream", &["axum", "tower_http", "utoipa", "sqlx"]),
    (
        "domain",
        &[
            "axum",
            "tower_http",
            "utoipa",
            "sqlx",
            "reqwest",
            "hyper",
            "tower",
        ],
    ),
    ("telemetry", &["axum", "sqlx", "reqwest"]),
    (
        "config",
        &["axum", "tower_http", "utoipa", "sqlx", "reqwest"],
    ),
];

/// The longest a source file outside `sim/` may grow before it is split by job.
const MAX_LINES: usize = 600;

fn src_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("src")
}

/// Every `.rs` file under `dir`, sorted.
fn rust_files(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).expect("read src/") {
            let path = entry.expect("dir entry").path();
            if path.is_dir() {
                stack.push(path);
            } else if path.extension().is_some_and(|e| e == "rs") {
                out.push(path);
            }
        }
    }
    out.sort();
    out
}

/// The module path of a file: `src/api/proxy_users.rs` → `["api", "proxy_users"]`,
/// `src/api/mod.rs` → `["api"]`, `src/lib.rs` → `[]`.
fn module_path(file: &Path) -> Vec<String> {
    let rel = file.strip_prefix(src_dir()).expect("under src/");
    let mut parts: Vec<String> = rel
        .iter()
        .map(|p| p.to_string_lossy().into_owned())
        .collect();
    let last = parts.pop().expect("a file name");
    let stem = last.trim_end_matches(".rs");
    if !matches!(stem, "mod" | "lib" | "main") {
        parts.push(stem.to_string());
    }
    parts
}

/// The source with comments, string and character literals blanked out, so that a doc
/// comment or a message that mentions `crate::x` is not taken for an import.
fn code_only(source: &str) -> String {
    let chars: Vec<char> = source.chars().collect();
    let mut out = String::with_capacity(source.len());
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        let next = chars.get(i + 1).copied();
        if c == '/' && next == Some('/') {
            while i < chars.len() && chars[i] != '\n' {
                i += 1;
            }
        } else if c == '/' && next == Some('*') {
            let mut depth = 0;
            while i < chars.len() {
                if chars[i] == '/' && chars.get(i + 1) == Some(&'*') {
                    depth += 1;
                    i += 2;
                } else if chars[i] == '*' && chars.get(i + 1) == Some(&'/') {
                    depth -= 1;
                    i += 2;
                    if depth == 0 {
                        break;
                    }
                } else {
                    i += 1;
                }
            }
            out.push(' ');
        } else if c == 'r'
            && (next == Some('"') || next == Some('#'))
            && !chars
                .get(i.wrapping_sub(1))
                .is_some_and(|p| p.is_alphanumeric() || *p == '_')
        {
            // A raw string: r"…", r#"…"#, r##"…"##.
            let mut j = i + 1;
            let mut hashes = 0;
            while chars.get(j) == Some(&'#') {
                hashes += 1;
                j += 1;
            }
            if chars.get(j) != Some(&'"') {
                out.push(c);
                i += 1;
                continue;
            }
            j += 1;
            loop {
                if j >= chars.len() {
                    break;
                }
                if chars[j] == '"' && (0..hashes).all(|k| chars.get(j + 1 + k) == Some(&'#')) {
                    j += 1 + hashes;
                    break;
                }
                j += 1;
            }
            out.push_str("\"\"");
            i = j;
        } else if c == '"' {
            i += 1;
            while i < chars.len() && chars[i] != '"' {
                if chars[i] == '\\' {
                    i += 1;
                }
                i += 1;
            }
            i += 1;
            out.push_str("\"\"");
        } else if c == '\'' {
            // A character literal ('x', '\n', '\''), or a lifetime ('a): keep lifetimes.
            if next == Some('\\') {
                let mut j = i + 2;
                while j < chars.len() && chars[j] != '\'' {
                    j += 1;
                }
                i = j + 1;
                out.push_str("' '");
            } else if chars.get(i + 2) == Some(&'\'') {
                i += 3;
                out.push_str("' '");
            } else {
                out.push(c);
                i += 1;
            }
        } else {
            out.push(c);
            i += 1;
        }
    }
    out
}

/// The names that follow `::{` at the brace's own level: `{a::b, c, d::{e, f}}` → a, c, d.
fn group_heads(code: &str) -> Vec<String> {
    let mut heads = Vec::new();
    let mut depth = 0;
    let mut current = String::new();
    for c in code.chars() {
        match c {
            '{' => {
                depth += 1;
                if depth > 1 {
                    current.push(c);
                }
            }
            '}' => {
                depth -= 1;
                if depth == 0 {
                    heads.push(std::mem::take(&mut current));
                    break;
                }
                current.push(c);
            }
            ',' if depth == 1 => heads.push(std::mem::take(&mut current)),
            _ => current.push(c),
        }
    }
    heads
        .into_iter()
        .filter_map(|h| {
            let head: String = h
                .trim()
                .chars()
                .take_while(|c| c.is_alphanumeric() || *c == '_')
                .collect();
            (!head.is_empty()).then_some(head)
        })
        .collect()
}

/// The identifier that starts `text`, if any.
fn ident_at(text: &str) -> Option<String> {
    let ident: String = text
        .chars()
        .take_while(|c| c.is_alphanumeric() || *c == '_')
        .collect();
    (!ident.is_empty()).then_some(ident)
}

fn is_ident_char(c: char) -> bool {
    c.is_alphanumeric() || c == '_'
}

/// The top-level modules a file's code names through `crate::` or a climbing `super::`, each
/// with the line it is on.
fn referenced_top_modules(
    file: &Path,
    code: &str,
    tops: &BTreeSet<String>,
) -> Vec<(String, usize)> {
    let module = module_path(file);
    let mut found = Vec::new();
    let line_of = |offset: usize| code[..offset].matches('\n').count() + 1;
    for (offset, _) in code.match_indices("crate::") {
        if code[..offset].chars().last().is_some_and(is_ident_char) {
            continue; // `$crate::`, `my_crate::`
        }
        let rest = &code[offset + "crate::".len()..];
        let names = if rest.starts_with('{') {
            group_heads(rest)
        } else {
            ident_at(rest).into_iter().collect()
        };
        for name in names {
            if tops.contains(&name) {
                found.push((name, line_of(offset)));
            }
        }
    }
    // `super::super::x` from `src/a/b.rs` reaches the crate root, then `x`.
    for (offset, _) in code.match_indices("super::") {
        if code[..offset].chars().last().is_some_and(is_ident_char) {
            continue;
        }
        if code[..offset].ends_with("super::") {
            continue; // counted from the first `super` of the chain
        }
        let mut rest = &code[offset..];
        let mut depth = 0;
        while let Some(after) = rest.strip_prefix("super::") {
            depth += 1;
            rest = after;
        }
        if depth < module.len() {
            continue; // still inside the file's own top-level module
        }
        let names = if rest.starts_with('{') {
            group_heads(rest)
        } else {
            ident_at(rest).into_iter().collect()
        };
        for name in names {
            if tops.contains(&name) {
                found.push((name, line_of(offset)));
            }
        }
    }
    found
}

/// Outside crates a file names at the start of a path (`use axum::…`, `axum::Json`).
fn referenced_crates(code: &str, crates: &[&str]) -> Vec<(String, usize)> {
    let mut found = Vec::new();
    for krate in crates {
        let needle = format!("{krate}::");
        for (offset, _) in code.match_indices(&needle) {
            let before = code[..offset].chars().last();
            if before.is_some_and(|c| is_ident_char(c) || c == ':') {
                continue; // `my_axum::`, `crate::axum::`
            }
            found.push((krate.to_string(), code[..offset].matches('\n').count() + 1));
        }
    }
    found
}

struct Finding {
    file: String,
    line: usize,
    what: String,
}

fn layer_table() -> BTreeMap<&'static str, BTreeSet<&'static str>> {
    LAYERS
        .iter()
        .map(|(name, allowed)| (*name, allowed.iter().copied().collect()))
        .collect()
}

fn top_level_modules() -> BTreeSet<String> {
    let lib = std::fs::read_to_string(src_dir().join("lib.rs")).expect("src/lib.rs");
    code_only(&lib)
        .lines()
        .filter_map(|line| {
            let line = line.trim();
            let rest = line
                .strip_prefix("pub mod ")
                .or_else(|| line.strip_prefix("mod "))?;
            Some(rest.trim_end_matches(';').trim().to_string())
        })
        .collect()
}

fn relative(file: &Path) -> String {
    file.strip_prefix(Path::new(env!("CARGO_MANIFEST_DIR")))
        .unwrap_or(file)
        .display()
        .to_string()
}

/// Every import that runs against the table, with the top-level import graph it implies.
fn check_directions() -> (Vec<Finding>, BTreeMap<String, BTreeSet<String>>) {
    let table = layer_table();
    let tops = top_level_modules();
    let mut findings = Vec::new();
    let mut graph: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for file in rust_files(&src_dir()) {
        let module = module_path(&file);
        let Some(own) = module.first().cloned() else {
            continue; // lib.rs and main.rs assemble the crate
        };
        let code = code_only(&std::fs::read_to_string(&file).expect("read a source file"));
        for (target, line) in referenced_top_modules(&file, &code, &tops) {
            if target == own {
                continue;
            }
            graph.entry(own.clone()).or_default().insert(target.clone());
            let allowed = table
                .get(own.as_str())
                .is_some_and(|allowed| allowed.contains(target.as_str()));
            if !allowed {
                findings.push(Finding {
                    file: relative(&file),
                    line,
                    what: format!("`{own}` may not import `crate::{target}`"),
                });
            }
        }
        if let Some((_, crates)) = FORBIDDEN_CRATES.iter().find(|(layer, _)| *layer == own) {
            for (krate, line) in referenced_crates(&code, crates) {
                findings.push(Finding {
                    file: relative(&file),
                    line,
                    what: format!("`{own}` may not use the crate `{krate}`"),
                });
            }
        }
    }
    (findings, graph)
}

fn report(findings: &[Finding]) -> String {
    findings
        .iter()
        .map(|f| format!("  {}:{}: {}", f.file, f.line, f.what))
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn every_import_looks_down_the_table_of_layers() {
    let (findings, _) = check_directions();
    assert!(
        findings.is_empty(),
        "imports against the direction of the layers (tests/it/architecture.rs LAYERS):\n{}",
        report(&findings)
    );
}

#[test]
fn every_top_level_module_has_a_place_in_the_table() {
    let table = layer_table();
    let missing: Vec<String> = top_level_modules()
        .into_iter()
        .filter(|m| !table.contains_key(m.as_str()))
        .collect();
    assert!(
        missing.is_empty(),
        "add these modules of src/lib.rs to LAYERS in tests/it/architecture.rs: {missing:?}"
    );
}

#[test]
fn the_table_itself_has_no_cycle() {
    let table = layer_table();
    let graph: BTreeMap<String, BTreeSet<String>> = table
        .iter()
        .map(|(k, v)| (k.to_string(), v.iter().map(|s| s.to_string()).collect()))
        .collect();
    assert_eq!(find_cycle(&graph), None);
}

#[test]
fn no_import_cycle_between_top_level_modules() {
    let (_, graph) = check_directions();
    let graph: BTreeMap<String, BTreeSet<String>> = graph
        .into_iter()
        .filter(|(from, _)| from != "sim")
        .map(|(from, to)| (from, to.into_iter().filter(|t| t != "sim").collect()))
        .collect();
    assert_eq!(find_cycle(&graph), None, "import graph: {graph:#?}");
}

#[test]
fn no_source_file_outside_the_simulators_is_over_600_lines() {
    let long: Vec<String> = rust_files(&src_dir())
        .into_iter()
        .filter(|f| module_path(f).first().is_none_or(|top| top != "sim"))
        .filter_map(|f| {
            let lines = std::fs::read_to_string(&f).expect("read").lines().count();
            (lines > MAX_LINES).then(|| format!("{} ({lines} lines)", relative(&f)))
        })
        .collect();
    assert!(
        long.is_empty(),
        "split these files by job (at most {MAX_LINES} lines): {long:?}"
    );
}

/// A cycle in `graph` as the list of its nodes, if there is one.
fn find_cycle(graph: &BTreeMap<String, BTreeSet<String>>) -> Option<Vec<String>> {
    fn visit(
        node: &str,
        graph: &BTreeMap<String, BTreeSet<String>>,
        done: &mut BTreeSet<String>,
        path: &mut Vec<String>,
    ) -> Option<Vec<String>> {
        if let Some(start) = path.iter().position(|n| n == node) {
            let mut cycle = path[start..].to_vec();
            cycle.push(node.to_string());
            return Some(cycle);
        }
        if done.contains(node) {
            return None;
        }
        path.push(node.to_string());
        for next in graph.get(node).into_iter().flatten() {
            if let Some(cycle) = visit(next, graph, done, path) {
                return Some(cycle);
            }
        }
        path.pop();
        done.insert(node.to_string());
        None
    }
    let mut done = BTreeSet::new();
    for node in graph.keys() {
        if let Some(cycle) = visit(node, graph, &mut done, &mut Vec::new()) {
            return Some(cycle);
        }
    }
    None
}

/// The checker itself: it must see grouped, nested, inline and climbing imports, and must not
/// see comments or strings.
#[test]
fn the_checker_sees_every_form_of_import_and_ignores_comments_and_strings() {
    let tops: BTreeSet<String> = ["api", "store", "domain", "http", "app"]
        .iter()
        .map(|s| s.to_string())
        .collect();
    let file = src_dir().join("domain").join("x.rs");
    let code = code_only(
        r##"
        use crate::{store::Store, http::{a, b}};
        // use crate::app::AppState;
        /// [`crate::app`] in a doc comment
        fn f() { let _ = crate::api::router(); let s = "crate::app"; let r = r#"crate::app"#; }
        fn g<'a>(x: &'a str) -> char { 'c' }
        use super::super::app::X;
        use super::sibling::Y;
        "##,
    );
    let mut names: Vec<String> = referenced_top_modules(&file, &code, &tops)
        .into_iter()
        .map(|(n, _)| n)
        .collect();
    names.sort();
    assert_eq!(names, vec!["api", "app", "http", "store"]);
    let crates = referenced_crates("use axum::Json; fn f() -> my_axum::X {}", &["axum"]);
    assert_eq!(crates.len(), 1);
}
