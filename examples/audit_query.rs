//! Benchmark of the audit log's query path on Postgres: fills a database with a year of audit
//! events (1,000,000 by default, bulk-inserted with SQL), seals them all into the hash chain
//! through the store (as the gateway's worker does, timed), then times the query the API runs
//! for a filtered first page — one actor, a 7-day window, newest first, 50 events — through
//! the store, and prints the median, p95 and p99. Run it with `bench/audit_query.sh`.

use std::time::{Duration, Instant};

use clap::Parser;
use proxy_gateway::config::DatabaseUrl;
use proxy_gateway::domain::audit::AuditFilter;
use proxy_gateway::store;

#[derive(Debug, Parser)]
struct Args {
    /// A Postgres database to fill (empty, or filled by an earlier run with --skip-fill).
    #[arg(long)]
    database_url: String,
    /// How many events to insert.
    #[arg(long, default_value_t = 1_000_000)]
    events: u64,
    /// Distinct actors (API keys) the events are spread over.
    #[arg(long, default_value_t = 50)]
    actors: u64,
    /// How many timed queries.
    #[arg(long, default_value_t = 500)]
    runs: usize,
    /// Reuse the events already in the database.
    #[arg(long)]
    skip_fill: bool,
}

/// Events sealed per store transaction.
const SEAL_BATCH: u32 = 5000;

/// One year of events, evenly spread, in chunks so that no transaction grows huge; each event
/// is written as the gateway writes it (migration 0006): the intent, then its outcome row.
const FILL: &str = "
WITH events AS (
INSERT INTO audit_events (seq, id, occurred_at, request_id, actor_key_id, actor_key_name, client_addr,
    method, route, operation, provider, account, resource_type, resource_ids, idempotency_key,
    request_summary, outcome)
SELECT nextval('audit_events_seq'),
       'aud_bench_' || g,
       t,
       'req_bench_' || g,
       'key_bench_' || lpad((g % $4)::text, 3, '0'),
       'service-' || (g % $4),
       '10.0.' || (g % 7) || '.' || (g % 250),
       (ARRAY['POST', 'PATCH', 'DELETE', 'POST'])[1 + g % 4],
       (ARRAY['/v1/proxy-users', '/v1/proxy-users/{id}', '/v1/proxy-users/{id}', '/v1/api-keys'])[1 + g % 4],
       (ARRAY['proxy_users.create', 'proxy_users.update', 'proxy_users.delete', 'api_keys.create'])[1 + g % 4],
       (ARRAY['helodata', '911proxy'])[1 + g % 2],
       (ARRAY['helodata', '911proxy'])[1 + g % 2],
       'proxy_user',
       ARRAY[(ARRAY['helodata', '911proxy'])[1 + g % 2] || ':user' || (g % 5000)],
       CASE WHEN g % 3 = 0 THEN 'idem-' || g END,
       '{\"body\":{\"account\":\"helodata\",\"label\":\"bench\",\"password\":\"[redacted]\"}}',
       'pending'
FROM generate_series($1::bigint, $2::bigint) AS g,
     LATERAL (SELECT now() - ($3::bigint - g) * interval '1 second' * (365 * 86400.0 / $3::bigint)) AS at(t)
RETURNING seq, occurred_at, substr(id, 11)::bigint AS g
)
INSERT INTO audit_outcomes (seq, occurred_at, outcome, status, error_code, upstream_status,
    duration_us, completed_at)
SELECT seq, occurred_at,
       (ARRAY['succeeded', 'succeeded', 'succeeded', 'failed', 'succeeded', 'unknown'])[1 + g % 6],
       (ARRAY[201, 200, 204, 422, 201, 504])[1 + g % 6],
       (ARRAY[NULL, NULL, NULL, 'invalid_argument', NULL, 'upstream_timeout'])[1 + g % 6],
       200,
       20000 + g % 90000,
       occurred_at + interval '80 milliseconds'
FROM events
";

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let index = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[index.min(sorted.len() - 1)]
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args = Args::parse();
    proxy_gateway::upstream::tls::install_crypto_provider();
    let store = store::connect(&DatabaseUrl::new(args.database_url.clone()), 4).await?;
    store.admin.migrate().await?;
    let pool = sqlx::PgPool::connect(&args.database_url).await?;
    if !args.skip_fill {
        // Every month of the year needs its partition (maintenance only creates ahead).
        sqlx::query(
            "SELECT audit_create_partitions((date_trunc('month', now() AT TIME ZONE 'UTC') - make_interval(months => m))::date)
             FROM generate_series(0, 13) AS m",
        )
        .execute(&pool)
        .await?;
        let started = Instant::now();
        let chunk = 100_000u64;
        let mut from = 1u64;
        while from <= args.events {
            let to = (from + chunk - 1).min(args.events);
            sqlx::query(FILL)
                .bind(from as i64)
                .bind(to as i64)
                .bind(args.events as i64)
                .bind(args.actors as i64)
                .execute(&pool)
                .await?;
            eprint!("\rinserted {to} events");
            from = to + 1;
        }
        eprintln!(" in {:.1} s", started.elapsed().as_secs_f64());
        let started = Instant::now();
        let mut sealed = 0u64;
        loop {
            let run = store
                .audit
                .seal(proxy_gateway::domain::api_keys::now(), SEAL_BATCH)
                .await?;
            sealed += run.sealed;
            eprint!("\rsealed {sealed} events");
            if run.sealed < u64::from(SEAL_BATCH) {
                break;
            }
        }
        let secs = started.elapsed().as_secs_f64();
        eprintln!(" in {secs:.1} s ({:.0} events/s)", sealed as f64 / secs);
        sqlx::query("ANALYZE audit_events, audit_outcomes, audit_seals")
            .execute(&pool)
            .await?;
    }
    let total: i64 = sqlx::query_scalar("SELECT count(*) FROM audit_events")
        .fetch_one(&pool)
        .await?;
    let size: String =
        sqlx::query_scalar("SELECT pg_size_pretty(sum(pg_total_relation_size(inhrelid))) FROM pg_inherits WHERE inhparent = 'audit_events'::regclass")
            .fetch_one(&pool)
            .await?;

    // The API's first page: one actor, a 7-day window ending at a random point of the year.
    let now = time::OffsetDateTime::now_utc();
    let mut latencies = Vec::with_capacity(args.runs);
    let mut rows = 0usize;
    for run in 0..args.runs + 20 {
        let actor = format!("key_bench_{:03}", rand::random_range(0..args.actors));
        let end = now - time::Duration::days(rand::random_range(0..358));
        let filter = AuditFilter {
            actor_key_id: Some(actor),
            from: Some(end - time::Duration::days(7)),
            to: Some(end),
            ..AuditFilter::default()
        };
        let started = Instant::now();
        let (page, _) =
            proxy_gateway::services::audit::list_page(store.audit.as_ref(), &filter, None, 50)
                .await?;
        let elapsed = started.elapsed();
        if run >= 20 {
            // The first runs warm the connection pool and the statement cache.
            latencies.push(elapsed);
            rows += page.len();
        }
    }
    latencies.sort();
    println!(
        "audit events: {total} ({size}); query: actor + 7-day range, first page of 50, newest first"
    );
    println!(
        "{} runs, {:.1} rows per page on average: median {:.2} ms, p95 {:.2} ms, p99 {:.2} ms, max {:.2} ms",
        latencies.len(),
        rows as f64 / latencies.len() as f64,
        ms(percentile(&latencies, 0.5)),
        ms(percentile(&latencies, 0.95)),
        ms(percentile(&latencies, 0.99)),
        ms(*latencies.last().unwrap_or(&Duration::ZERO)),
    );
    store.admin.close().await;
    Ok(())
}
