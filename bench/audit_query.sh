#!/usr/bin/env bash
# Benchmark of the audit query path (not a timed test): fills a throwaway Postgres database with
# 1,000,000 audit events spread over a year and 50 API keys, then reports the median and p95
# latency of the API's filtered first page (one actor, a 7-day range, 50 newest events).
#
#   bash bench/audit_query.sh                       # needs Postgres on 127.0.0.1:5432 (trust)
#   EVENTS=200000 RUNS=200 bash bench/audit_query.sh
#   TEST_DATABASE_URL=postgres://u@host/db bash bench/audit_query.sh
set -euo pipefail
cd "$(dirname "$0")/.."

admin_url=${TEST_DATABASE_URL:-postgres://postgres@127.0.0.1:5432/postgres}
db="pgw_bench_audit_$(date +%s)_$$"
psql "$admin_url" -qc "CREATE DATABASE \"$db\""
trap 'psql "$admin_url" -qc "DROP DATABASE IF EXISTS \"$db\" WITH (FORCE)" >/dev/null 2>&1 || true' EXIT
url="${admin_url%/*}/$db"

cargo run --quiet --release --example audit_query -- \
  --database-url "$url" --events "${EVENTS:-1000000}" --runs "${RUNS:-500}"
