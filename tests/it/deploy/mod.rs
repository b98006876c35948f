//! Production deployment: the metrics endpoint, the container health check, replicas starting
//! together on one database, and the deployment files themselves (what can be checked without a
//! Docker engine). The compose setup as a whole is exercised by `scripts/compose_smoke.py`.

mod files;
mod healthcheck;
mod metrics;
mod migration_lock;

use std::collections::BTreeMap;

/// One sample of a Prometheus text exposition: the value of the series named `name` whose labels
/// are exactly `labels` (in any order), or `None` when no such series is rendered.
pub fn sample(text: &str, name: &str, labels: &[(&str, &str)]) -> Option<f64> {
    let wanted: BTreeMap<&str, &str> = labels.iter().copied().collect();
    text.lines()
        .filter(|line| !line.starts_with('#'))
        .find_map(|line| {
            let (series, value) = line.rsplit_once(' ')?;
            let (series_name, rendered) = match series.split_once('{') {
                Some((n, rest)) => (n, parse_labels(rest.strip_suffix('}')?)?),
                None => (series, BTreeMap::new()),
            };
            (series_name == name && rendered == wanted).then(|| value.parse().ok())?
        })
}

/// The value of a sample, 0 when the series is not (yet) rendered.
pub fn value(text: &str, name: &str, labels: &[(&str, &str)]) -> f64 {
    sample(text, name, labels).unwrap_or(0.0)
}

fn parse_labels(text: &str) -> Option<BTreeMap<&str, &str>> {
    let mut labels = BTreeMap::new();
    let mut rest = text;
    while !rest.is_empty() {
        let (key, after) = rest.split_once("=\"")?;
        let end = after.find('"')?;
        labels.insert(key, &after[..end]);
        rest = after[end + 1..].trim_start_matches(',');
    }
    Some(labels)
}

/// A loopback port that was free a moment ago (for settings that cannot take port 0).
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port()
}

#[test]
fn samples_are_found_by_exact_label_set() {
    let text = "# HELP x y\nx_total{a=\"1\",b=\"GET /v1/{id}\"} 3\nx_total{a=\"1\"} 5\ny 2\n";
    assert_eq!(
        sample(text, "x_total", &[("b", "GET /v1/{id}"), ("a", "1")]),
        Some(3.0)
    );
    assert_eq!(sample(text, "x_total", &[("a", "1")]), Some(5.0));
    assert_eq!(sample(text, "y", &[]), Some(2.0));
    assert_eq!(sample(text, "x_total", &[("a", "2")]), None);
}
