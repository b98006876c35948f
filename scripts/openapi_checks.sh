#!/usr/bin/env bash
# Outside checks of the OpenAPI document (issue 7), run by .ci/run after the drift check:
#   1. openapi-spec-validator on the committed openapi/openapi.json, and every example in it
#      valid against its schema (examples_check.py, with the validator's jsonschema);
#   2. the Swagger UI at /docs/ in headless Chromium: the rendered DOM lists every operation,
#      and a screenshot is kept;
#   3. a Python client generated from the committed document by openapi-python-client lists
#      proxy users and creates one;
#   4. schemathesis (every check, every operation, the committed document) against the gateway;
#   5. of the cases schemathesis generated as schema-valid, how many each operation accepted
#      (acceptance.py): an operation refusing most of them fails, since its schema says less
#      than its validation does.
# The gateway is the real binary in sandbox mode (simulated helodata and 911Proxy in-process),
# on a fresh SQLite store, with a random bootstrap admin key. The PyPI tools are pinned in
# scripts/openapi/requirements.txt and constraints.txt and installed into .venv/openapi-checks.
#
# Settings: PGW_ST_MAX_EXAMPLES (default 50) examples per operation and phase, PGW_ST_SEED
# (default 20261125), PGW_OPENAPI_CHECKS_OUT (default target/openapi-checks) for the
# artifacts: screenshot, DOM, gateway log, schemathesis report, generated client.
set -euo pipefail
cd "$(dirname "$0")/.."

SPEC=openapi/openapi.json
HERE=scripts/openapi
VENV=.venv/openapi-checks
OUT=${PGW_OPENAPI_CHECKS_OUT:-target/openapi-checks}
MAX_EXAMPLES=${PGW_ST_MAX_EXAMPLES:-50}
SEED=${PGW_ST_SEED:-20261125}
BIN=target/debug/proxy-gateway

section() { printf '\n--- %s\n' "$*"; }
fail() { printf '\nOPENAPI CHECK FAILED: %s\n' "$*" >&2; exit 1; }
started=$(date +%s)
since() { echo "($(($(date +%s) - started)) s so far)"; }

rm -rf "$OUT" && mkdir -p "$OUT" && OUT=$(cd "$OUT" && pwd)

section "PyPI tools (pinned) in $VENV"
stamp=$(cat "$HERE/requirements.txt" "$HERE/constraints.txt" | sha256sum | cut -c1-16)
if [ "$(cat "$VENV/.stamp" 2>/dev/null)" != "$stamp" ]; then
  rm -rf "$VENV"
  python3 -m venv "$VENV" || fail "python3 -m venv failed (Debian: apt-get install python3-venv)"
  "$VENV/bin/pip" install --quiet --disable-pip-version-check \
    -r "$HERE/requirements.txt" -c "$HERE/constraints.txt" || fail "pip install of the pinned tools failed"
  echo "$stamp" >"$VENV/.stamp"
fi
"$VENV/bin/pip" freeze --disable-pip-version-check | grep -iE '^(openapi-spec-validator|schemathesis|openapi-python-client)=='

section "openapi-spec-validator $SPEC"
"$VENV/bin/openapi-spec-validator" "$SPEC" 2>&1 | cut -c1-2000 || fail "$SPEC is not a valid OpenAPI document"
"$VENV/bin/python" "$HERE/examples_check.py" "$SPEC" || fail "$SPEC shows examples its own schemas refuse"

section "sandbox gateway"
[ -x "$BIN" ] || cargo build --quiet
token="pgw_$(python3 -c 'import secrets; print(secrets.token_urlsafe(32))')"
store=$(mktemp -d)
# A clean environment, so no provider account (and no other setting) of the caller leaks in.
env -i PATH="$PATH" HOME="${HOME:-/root}" \
  PGW_LISTEN=127.0.0.1:0 PGW_DATABASE_URL="sqlite://$store/gateway.db" \
  PGW_BOOTSTRAP_ADMIN_KEY="$token" PGW_SANDBOX=true PGW_LOG_LEVEL=warn \
  "$BIN" serve 2>"$OUT/gateway.log" &
gateway=$!
trap 'kill "$gateway" 2>/dev/null; wait "$gateway" 2>/dev/null; rm -rf "$store"' EXIT
for _ in $(seq 1 120); do
  grep -q 'listening on http://' "$OUT/gateway.log" && break
  kill -0 "$gateway" 2>/dev/null || { cat "$OUT/gateway.log"; fail "the gateway exited before listening"; }
  sleep 0.5
done
addr=$(grep -o 'listening on http://[0-9.:]*' "$OUT/gateway.log" | head -1 | sed 's|listening on http://||')
[ -n "$addr" ] || fail "the gateway did not start listening within 60 s"
base="http://$addr"
read -r accounts admin_key_id capabilities products < <(PGW_URL="$base" PGW_TOKEN="$token" python3 - <<'PY'
import json, os, urllib.request
def get(path):
    request = urllib.request.Request(os.environ["PGW_URL"] + path,
                                     headers={"Authorization": "Bearer " + os.environ["PGW_TOKEN"]})
    return json.load(urllib.request.urlopen(request, timeout=30))
providers = get("/v1/providers")
assert providers["sandbox"] is True, providers
capabilities = {p["name"]: p["capabilities"] for p in providers["data"]}
products = {p["name"]: p["products"] for p in providers["data"]}
print(",".join(p["name"] for p in providers["data"]), get("/v1/api-keys")["data"][0]["id"],
      json.dumps(capabilities, separators=(",", ":")), json.dumps(products, separators=(",", ":")))
PY
)
echo "gateway $base (pid $gateway), sandbox accounts: $accounts, log: $OUT/gateway.log"

section "Swagger UI at $base/docs/ in headless Chromium"
if ! command -v chromium >/dev/null; then
  echo "chromium missing: installing Debian's package"
  apt-get update -qq >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null ||
    fail "apt-get install chromium failed"
fi
chromium --version
chrome() {
  local profile
  profile=$(mktemp -d)
  timeout 120 chromium --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
    --disable-background-networking --disable-component-update --disable-sync \
    --user-data-dir="$profile" --virtual-time-budget=15000 "$@" 2>>"$OUT/chromium.log"
  rm -rf "$profile"
}
chrome --dump-dom "$base/docs/" >"$OUT/docs-dom.html" || fail "chromium could not render $base/docs/"
python3 "$HERE/docs_dom_check.py" "$SPEC" "$OUT/docs-dom.html" || fail "the docs page does not list every operation"
chrome --window-size=1280,3200 --screenshot="$OUT/docs.png" "$base/docs/" || fail "chromium could not take a screenshot"
[ -s "$OUT/docs.png" ] || fail "no screenshot was written"
echo "screenshot (CI artifact): $OUT/docs.png"
since

section "Python client generated from $SPEC (openapi-python-client)"
"$VENV/bin/openapi-python-client" generate --path "$SPEC" --meta none \
  --output-path "$OUT/client/pgw_client" --config "$HERE/client-config.yml" ||
  fail "openapi-python-client could not generate a client"
PYTHONPATH="$OUT/client" PGW_URL="$base" PGW_TOKEN="$token" "$VENV/bin/python" "$HERE/client_check.py" ||
  fail "the generated client did not work against the gateway"
since

section "schemathesis: every operation of $SPEC, --checks all, $MAX_EXAMPLES examples, seed $SEED"
root=$(pwd)
set +e
# Run from $OUT: schemathesis keeps its crash cache (for `st replay`) in .schemathesis/ there.
(cd "$OUT" && PGW_ST_ACCOUNTS="$accounts" PGW_ST_PROTECTED_KEY_ID="$admin_key_id" \
  PGW_ST_CAPABILITIES="$capabilities" PGW_ST_PRODUCTS="$products" PGW_ST_TALLY="$OUT/accepted.jsonl" \
  SCHEMATHESIS_HOOKS=hooks PYTHONPATH="$root/$HERE" \
  "$root/$VENV/bin/st" --config-file "$root/$HERE/schemathesis.toml" run "$root/$SPEC" --url "$base" \
  --header "Authorization: Bearer $token" --checks all --max-examples "$MAX_EXAMPLES" --seed "$SEED" \
  --generation-database none --no-color --output-sanitize true --report junit --report-dir "$OUT/schemathesis" \
  >"$OUT/schemathesis.txt" 2>&1)
st_status=$?
set -e
cat "$OUT/schemathesis.txt" | cut -c1-600 | tail -n 400
# The run must have been authenticated to the end: a revoked admin key would turn every later
# case into a 401, which schemathesis counts as an accepted answer.
PGW_URL="$base" PGW_TOKEN="$token" python3 -c '
import os, urllib.request
request = urllib.request.Request(os.environ["PGW_URL"] + "/v1/providers",
                                 headers={"Authorization": "Bearer " + os.environ["PGW_TOKEN"]})
urllib.request.urlopen(request, timeout=30)' || fail "the admin key stopped working during the schemathesis run"
kill -0 "$gateway" 2>/dev/null || fail "the gateway died during the schemathesis run"
operations=$(grep -E '^\s+Selected: ' "$OUT/schemathesis.txt" | head -1 | sed 's/^ *//')
cases=$(grep -A1 '^Test cases:' "$OUT/schemathesis.txt" | tail -1 | sed 's/^ *//')
echo "schemathesis totals: operations $operations; test cases: $cases; exit status $st_status"
[ "$st_status" -eq 0 ] || fail "schemathesis found failures (see above; report in $OUT/schemathesis)"
grep -q 'Selected: \([0-9]*\)/\1' "$OUT/schemathesis.txt" || fail "schemathesis did not select every operation"

section "schema-valid cases accepted, per operation"
"$VENV/bin/python" "$HERE/acceptance.py" "$OUT/accepted.jsonl" ||
  fail "an operation refuses most of what its schema calls valid: the document is looser than the gateway"
echo "openapi checks passed $(since)"
