"""Schemathesis hooks for the run against a sandbox gateway (scripts/openapi_checks.sh).

They supply what a real client knows and the schema cannot say, as schemathesis' guide
recommends for identifiers that must exist. They touch only values that stay valid: a
schema-invalid (negative) case is never made valid, and checks are not changed here.

In schema-valid (positive) cases only:
- The `Idempotency-Key` is made unique per request. The header means "this exact request";
  generated keys repeat ("0", the example), and a repeat with another request is correctly
  refused with 422 `idempotency_key_reused`. Replays of the same request are covered by the
  Rust integration tests (tests/it/idempotency.rs).
- Provider account names are mapped onto the accounts that exist
  (PGW_ST_ACCOUNTS, read from GET /v1/providers): a name matching the pattern but naming no
  configured account is refused with 400, which no static schema can know.
- Fields the target account's provider does not offer are left out, as a client reading
  `GET /v1/providers` would (PGW_ST_CAPABILITIES): a traffic limit on helodata, rate caps on
  911, a chosen password on helodata. Sending them is answered 501 unsupported_by_provider on
  purpose (tested in tests/it/normalized); left in, they would be the only 5xx of the run.
- Scoped ids (`proxy_user`, `ip_batch`: `<account>:<upstream id>`) in a query or a body are
  aimed at a configured account, inside the `account` filter (or the body's account) and at
  one account together, as a client's own ids would be; ids that agree but do not exist are
  still sent (404).
- Proxy-user creates ask only for products the account sells (GET /v1/providers lists them
  per account) and choose a password only where the provider lets callers choose one.
- Operations only some accounts offer (`OPERATION_CAPABILITY`: extraction on 911Proxy,
  sessions, request samples, IP batch changes and detailed usage on helodata; payment methods
  and promotions on 911Proxy) go to an account that offers them, as a client
  reading `GET /v1/providers` would; elsewhere they are 501 on purpose (tested in
  tests/it/normalized/extract.rs and sessions.rs).
- `order` of `GET /v1/payment-methods` is dropped: it names an order the client placed.
- `cursor` is dropped: a cursor is an opaque token that only the API issues (`next_cursor`);
  random text in its alphabet is rightly 400. Paging is covered by the Rust integration tests.
- Orders (`POST /v1/orders`) are shaped as a client of the account's provider would place
  them (`_order_a_client_would_place`): the fields that provider takes, a package and payment
  method that exist on 911Proxy, a country with ISP stock on helodata. Each provider's own
  rules are tested field by field in tests/it/normalized/orders.rs. Subscriptions
  (`POST /v1/subscriptions`) name a plan, or the renewal of a batch the client owns, which a
  generated id is not: those become plans (`_a_plan_a_client_would_pick`); their PATCH
  changes something, and no IP count on a plan (`_a_change_a_client_would_make`). Reports
  get a name, schedule, format and destination a client would write
  (`_a_report_a_client_would_define`).
- `include=password` on `POST /v1/proxies/connection` is asked only of an account that lists
  passwords (`proxies.connection.password`), as a client reading `GET /v1/providers` would.
- Passthrough calls (`POST /v1/providers/{name}/passthrough`) with method GET carry no `body`,
  as no client sends one with a read (refused 400 naming `body`; tested in
  tests/it/normalized/passthrough.rs).
- `GET /v1/usage`, `GET /v1/audit-events` and `GET /v1/orders`: `to` (or `from`) is moved so that `from` < `to` <= `from` + 366 days when
  they break that rule, which a query schema cannot state; otherwise nearly every generated
  pair is refused (400) and the answer's schema would hardly be checked.

In every case: a path id naming an account without the operation is aimed at one with it
(see `_path_to_able_account`); and a `DELETE /v1/api-keys/{id}` aimed at the run's own admin key
(PGW_ST_PROTECTED_KEY_ID) is aimed at an id that does not exist instead (404); revoking the key
the run authenticates with would turn every later case into a 401.

One finding is set aside (`filter_failure`): ST301 "deleted resource still available" for
`/v1/api-keys/{id}` only. DELETE there revokes a key and keeps it readable with
`status: revoked` and `revoked_at` (README, "A first request"), on purpose, so operators see
which keys existed and when they stopped working. That a revoked key no longer authenticates is
tested in tests/it/api_keys.rs. The same check stays on for proxy users, which DELETE removes.
"""

import datetime
import ipaddress
import json
import os
import random
import uuid
import zlib
from urllib.parse import unquote

import schemathesis
from schemathesis import GenerationMode

ACCOUNTS = [a for a in os.environ.get("PGW_ST_ACCOUNTS", "").split(",") if a]
PROTECTED_KEY_ID = os.environ.get("PGW_ST_PROTECTED_KEY_ID")
# {"account": ["proxy_users.list", ...]}, from GET /v1/providers.
CAPABILITIES = json.loads(os.environ.get("PGW_ST_CAPABILITIES", "{}"))
# {"account": ["residential", ...]}: the products each account offers, from GET /v1/providers.
PRODUCTS = json.loads(os.environ.get("PGW_ST_PRODUCTS", "{}"))
# Body fields of proxy-user writes that need a capability beyond the operation's own.
FIELD_CAPABILITY = {
    "traffic_limit_bytes": "proxy_users.update.traffic_limit_bytes",
    "concurrency_max": "proxy_users.update.rate_limits",
    "rps_max": "proxy_users.update.rate_limits",
}
PROXY_USER_PATHS = ("/v1/proxy-users/{id}", "/v1/proxy-users/{id}/rotate-password")
ABSENT_KEY_ID = "key_00000000000000000000000000"
KEY_CHARS = set(range(0x20, 0x7F))


def _account(name):
    """A configured account, chosen deterministically from the generated name."""
    if not ACCOUNTS or not isinstance(name, str):
        return name
    if name in ACCOUNTS:
        return name
    return ACCOUNTS[zlib.crc32(name.encode("utf-8", "surrogatepass")) % len(ACCOUNTS)]


def _is_positive(case):
    meta = case.meta
    return meta is not None and meta.generation.mode == GenerationMode.POSITIVE


def _instant(text):
    """A `from`/`to` value as an aware datetime, or None."""
    if not isinstance(text, str):
        return None
    try:
        if len(text) == 10:
            return datetime.datetime.fromisoformat(text).replace(tzinfo=datetime.timezone.utc)
        value = datetime.datetime.fromisoformat(text.replace("z", "Z").replace("t", "T"))
        return value if value.tzinfo else None
    except ValueError:
        return None


def _rfc3339(value):
    value = value.astimezone(datetime.timezone.utc)
    return f"{value.year:04d}-{value.month:02d}-{value.day:02d}T{value.hour:02d}:{value.minute:02d}:{value.second:02d}Z"


def _usage_window(query):
    start, end = _instant(query.get("from")), _instant(query.get("to"))
    day = datetime.timedelta(days=1)
    try:
        if start and end and start < end <= start + 366 * day:
            return
        if start:
            query["to"] = _rfc3339(start + day)
        elif end:
            query["from"] = _rfc3339(end - day)
    except OverflowError:
        pass


def _id_account(raw):
    """The account part of a proxy-user id path parameter (which may be percent-encoded)."""
    text = unquote(raw) if isinstance(raw, str) else ""
    return text.split(":", 1)[0] if ":" in text else None


def _offered(account, fields):
    """`fields` without those the account's provider does not offer."""
    offered = CAPABILITIES.get(account)
    if offered is None or not isinstance(fields, dict):
        return fields
    needs = dict(FIELD_CAPABILITY)
    # A password the caller chooses, on create as on update (helodata issues its own).
    needs["password"] = "proxy_users.update.password"
    kept = {k: v for k, v in fields.items() if needs.get(k) is None or needs[k] in offered}
    products = PRODUCTS.get(account)
    if products and isinstance(kept.get("products"), list):
        # Only products the account sells, as GET /v1/providers lists them.
        kept["products"] = [p for p in kept["products"] if p in products] or products[:1]
    return kept


def _only_offered(case, path, method):
    body = case.body
    if path == "/v1/proxy-users" and method == "post" and isinstance(body, dict):
        case.body = _offered(body.get("account"), body)
    elif path == "/v1/proxy-users/batch" and isinstance(body, dict) and isinstance(body.get("users"), list):
        body["users"] = [_offered(body.get("account"), user) for user in body["users"]]
    elif path in PROXY_USER_PATHS and method in ("patch", "post") and isinstance(body, dict):
        account = _id_account((case.path_parameters or {}).get("id"))
        trimmed = _offered(account, body)
        if method == "patch" and body and not trimmed:
            trimmed = {"status": "enabled"}  # the patch must still change something
        case.body = trimmed


@schemathesis.hook
def before_call(context, case, kwargs):
    params = case.path_parameters
    if (
        PROTECTED_KEY_ID
        and case.operation.path == "/v1/api-keys/{id}"
        and case.operation.method.lower() == "delete"
        and params
        and params.get("id") == PROTECTED_KEY_ID
    ):
        params["id"] = ABSENT_KEY_ID
    _path_to_able_account(case, case.operation.path, case.operation.method.lower())
    if not _is_positive(case):
        return
    headers = case.headers
    if headers:
        for name in list(headers):
            if name.lower() != "idempotency-key":
                continue
            value = headers[name]
            if isinstance(value, str) and 1 <= len(value) <= 64 and all(ord(c) in KEY_CHARS for c in value):
                headers[name] = "st-" + uuid.uuid4().hex
    query = case.query
    if query:
        if "account" in query:
            value = query["account"]
            query["account"] = [_account(v) for v in value] if isinstance(value, list) else _account(value)
        _scoped_ids_to_accounts(query, query.get("account"))
        query.pop("cursor", None)
        if case.operation.path == "/v1/payment-methods":
            # An order id is one the client placed (tested in tests/it/normalized/orders.rs).
            query.pop("order", None)
        if case.operation.path in ("/v1/usage", "/v1/audit-events", "/v1/orders", "/v1/invoices"):
            # Both refuse a window whose end is not after its start (a rule across parameters).
            _usage_window(query)
    body = case.body
    if isinstance(body, dict) and "account" in body:
        body["account"] = _account(body["account"])
    if isinstance(body, dict):
        _scoped_ids_to_accounts(body, body.get("account"))
    path, method = case.operation.path, case.operation.method.lower()
    if path in PROXY_USER_PATHS and params and _id_account(params.get("id")):
        # Account names need no percent-encoding, so the raw value starts with the name.
        account = _id_account(params["id"])
        params["id"] = _account(account) + params["id"][len(account):]
    _only_offered(case, path, method)
    if path == "/v1/proxies/connection" and isinstance(case.body, dict) and case.query:
        # A password in the connection only where the account lists passwords (911Proxy);
        # elsewhere it is 501 before any lookup (tests/it/normalized/unsupported.rs).
        account = _id_account(case.body.get("proxy_user"))
        if account and "proxies.connection.password" not in CAPABILITIES.get(account, []):
            case.query.pop("include", None)
    if path == "/v1/providers/{name}/passthrough" and isinstance(case.body, dict):
        if case.body.get("method") == "GET":
            case.body.pop("body", None)
    if path == "/v1/orders" and method == "post" and isinstance(case.body, dict):
        case.body = _order_a_client_would_place(case.body)
    if path == "/v1/subscriptions" and method == "post" and isinstance(case.body, dict):
        _a_plan_a_client_would_pick(case.body)
    if path == "/v1/subscriptions/{id}" and method == "patch" and isinstance(case.body, dict):
        _a_change_a_client_would_make(case.body)
    if path in ("/v1/reports", "/v1/reports/{id}") and method in ("post", "patch") and isinstance(case.body, dict):
        _a_report_a_client_would_define(case.body, method)
    _scopes_offered(case, path, method)
    _to_able_account(case, path, method)


# What a client of each provider knows before it places an order and no schema can: 911's
# package ids (from 911 support) and its payment methods (GET /v1/payment-methods), which
# countries helodata has ISP stock in (GET /v1/static-ips/availability). Everything else the
# case generated is kept where the account's provider takes it.
NINE11_ORDER_FIELDS = ("account", "package_id", "payment_method", "quantity", "months",
                       "use_invitation_discount")
HELODATA_BANDWIDTH_FIELDS = ("account", "product", "gb")
HELODATA_ISP_FIELDS = ("account", "product", "country", "quantity", "months")


def _order_a_client_would_place(body):
    account = body.get("account")
    if "payment_methods.list" in CAPABILITIES.get(account, []):
        order = {k: v for k, v in body.items() if k in NINE11_ORDER_FIELDS and v is not None}
        if not (isinstance(order.get("package_id"), int) and 1 <= order["package_id"] <= 4):
            order["package_id"] = 1 + zlib.crc32(json.dumps(body, sort_keys=True).encode()) % 4
        order["payment_method"] = f"{account}:1"
        if not (isinstance(order.get("quantity"), int) and 1 <= order["quantity"] <= 3):
            order.pop("quantity", None)
        order.pop("months", None)  # static IP renewals only
        return order
    if body.get("product") == "isp":
        order = {k: v for k, v in body.items() if k in HELODATA_ISP_FIELDS}
        order["country"] = "us"
        if not (isinstance(order.get("quantity"), int) and 5 <= order["quantity"] <= 50):
            order["quantity"] = 5
        if not (isinstance(order.get("months"), int) and 1 <= order["months"] <= 12):
            order["months"] = 1
        return order
    order = {k: v for k, v in body.items() if k in HELODATA_BANDWIDTH_FIELDS}
    order["product"] = "residential"
    if not (isinstance(order.get("gb"), int) and 1 <= order["gb"] <= 10):
        order["gb"] = 1
    return order


def _a_plan_a_client_would_pick(body):
    """A bandwidth subscription names a plan and no batch; an ISP renewal names a batch the
    client owns, which a generated id is not, so it becomes a bandwidth plan instead."""
    if body.get("product") not in ("residential", "mobile"):
        body["product"] = "residential"
    body.pop("ip_batch", None)
    if body.get("plan") not in ("starter", "pro", "business"):
        body["plan"] = "starter"


def _a_change_a_client_would_make(body):
    """A PATCH changes something (nulls change nothing), and a quantity only where the
    subscription renews IPs, which the ids a run creates (bandwidth plans) do not."""
    body.pop("quantity", None)
    for field in [k for k, v in body.items() if v is None]:
        body.pop(field)
    if not body:
        body["cycle"] = "monthly"


REPORT_DESTINATIONS = [
    {"type": "email", "email": "ops@example.com"},
    {"type": "webhook", "url": "https://hooks.example.com/reports", "signing_secret": "whsec_st"},
    {"type": "s3", "bucket": "reports", "prefix": "pgw/", "role_arn": "arn:aws:iam::1:role/r"},
    {"type": "gcs", "bucket": "reports", "prefix": "pgw/", "service_account_email": "r@p.iam.gserviceaccount.com"},
]


def _a_report_a_client_would_define(body, method):
    """A report as a client writes one: a name of helodata's alphabet, a cron schedule, csv,
    a destination of a documented type with its fields, the products helodata reports on."""
    name = body.get("name")
    if name is not None and not (isinstance(name, str) and 1 <= len(name) <= 64
                                 and all(c.isascii() and (c.isalnum() or c in " ._-") for c in name)):
        body["name"] = "report-" + uuid.uuid4().hex[:8]
    if "schedule" in body and body["schedule"] is not None:
        body["schedule"] = "0 9 * * MON"
    if "format" in body:
        body["format"] = "csv"
    if "destination" in body or method == "post":
        seed = zlib.crc32(json.dumps(body, sort_keys=True, default=str).encode())
        body["destination"] = dict(REPORT_DESTINATIONS[seed % len(REPORT_DESTINATIONS)])
    if isinstance(body.get("products"), list):
        body["products"] = [p for p in body["products"] if p in ("residential", "mobile", "isp")]
    if method == "patch" and not any(v is not None for v in body.values()):
        body["name"] = "report-" + uuid.uuid4().hex[:8]


# Ids that name their account (`<account>:<upstream id>`) in a query or a body.
SCOPED_IDS = ("proxy_user", "ip_batch")


def _rescope(value, account):
    """A scoped id moved to `account` (its upstream part kept)."""
    if isinstance(value, str) and ":" in value:
        return account + ":" + value.split(":", 1)[1]
    return value


def _scoped_ids_to_accounts(container, accounts):
    """Scoped ids aimed at a configured account, inside the `account` filter or body account
    when there is one, and all at the same account: a client knows which account its ids
    belong to, and a proxy user of one account never filters another's entries (those rules
    across fields are 400 with `field`, tested in tests/it/normalized)."""
    if isinstance(accounts, str):
        accounts = [accounts]
    if not isinstance(accounts, list):
        accounts = []
    chosen = None
    for field in SCOPED_IDS:
        value = container.get(field)
        if not (isinstance(value, str) and ":" in value):
            continue
        if chosen is None:
            chosen = _account(value.split(":", 1)[0])
            if accounts and chosen not in accounts:
                chosen = accounts[0]
        container[field] = _rescope(value, chosen)


# Scoped ids that only some accounts have, per path (GET /v1/providers says which): where a
# whitelist entry may live, and IP batches.
WHITELIST_SCOPES = {
    "proxy_user": "whitelist_entries.scope.proxy_user",
    "ip_batch": "whitelist_entries.scope.ip_batch",
}
SCOPE_CAPABILITY = {
    "/v1/whitelist-entries": WHITELIST_SCOPES,
    "/v1/whitelist-entries/quota": WHITELIST_SCOPES,
    "/v1/static-ips": {"ip_batch": "ip_batches.refresh"},
}


# The IPv4 blocks reserved for documentation (RFC 5737): addresses no real client has.
DOCUMENTATION_NETS = ("192.0.2", "198.51.100", "203.0.113")
# Seeded, so a run's addresses repeat with its cases.
ADDRESSES = random.Random(20261207)
SENT_ADDRESSES = set()


def _is_single_ipv4(value):
    try:
        return isinstance(value, str) and isinstance(ipaddress.ip_address(value), ipaddress.IPv4Address)
    except ValueError:
        return False


def _scopes_offered(case, path, method):
    """A scoped id whose account lacks that kind of scope is aimed at an account that has it
    (with the account filter or body account following it), and a whitelist entry without
    one goes to an account whose entries may cover the whole account, as a client reading
    GET /v1/providers would do."""
    scopes = SCOPE_CAPABILITY.get(path)
    if scopes is None:
        return
    container = case.body if method == "post" else case.query
    if not isinstance(container, dict):
        return
    scoped = False
    for field, capability in scopes.items():
        value = container.get(field)
        if not (isinstance(value, str) and ":" in value):
            continue
        scoped = True
        account = value.split(":", 1)[0]
        able = [a for a in ACCOUNTS if capability in CAPABILITIES.get(a, [])]
        if not able or account in able:
            continue
        for other in scopes:
            if other in container:
                container[other] = _rescope(container[other], able[0])
        if "account" in container:
            container["account"] = able[0]
    ip = container.get("ip")
    if path == "/v1/whitelist-entries" and method == "post" and _is_single_ipv4(ip):
        # A client whitelists an address it has not whitelisted yet: a repeat of one is refused
        # (400 naming `ip`, tested in tests/it/normalized/whitelist.rs), and the generator
        # repeats addresses, the example's above all.
        for _ in range(100):  # 762 documentation addresses; a full set keeps the repeat
            if ip not in SENT_ADDRESSES:
                break
            ip = f"{ADDRESSES.choice(DOCUMENTATION_NETS)}.{ADDRESSES.randint(1, 254)}"
        SENT_ADDRESSES.add(ip)
        container["ip"] = ip
    if path == "/v1/whitelist-entries" and method == "post" and not scoped:
        wide = [a for a in ACCOUNTS if "whitelist_entries.scope.account" in CAPABILITIES.get(a, [])]
        if wide and container.get("account") not in wide:
            container["account"] = wide[0]


# Operations only some accounts offer (GET /v1/providers says which); a client asks those.
OPERATION_CAPABILITY = {
    ("/v1/proxies/extract", "post"): "proxies.extract",
    ("/v1/sessions", "get"): "sessions.list",
    ("/v1/requests", "get"): "requests.list",
    ("/v1/sessions/{id}", "get"): "sessions.get",
    ("/v1/sessions/{id}", "delete"): "sessions.delete",
    ("/v1/ip-batches/{id}/renew", "post"): "ip_batches.renew",
    ("/v1/ip-batches/{id}/refresh", "post"): "ip_batches.refresh",
    ("/v1/static-ips/{id}/replace", "post"): "static_ips.replace",
    ("/v1/payment-methods", "get"): "payment_methods.list",
    ("/v1/promotions", "get"): "promotions.list",
    ("/v1/orders/{id}/cancel", "post"): "orders.cancel",
    ("/v1/invoices", "get"): "invoices.list",
    ("/v1/invoices/{id}", "get"): "invoices.get",
    ("/v1/invoices/{id}/pdf", "get"): "invoices.pdf",
    ("/v1/reports", "get"): "reports.list",
    ("/v1/reports", "post"): "reports.create",
    ("/v1/reports/{id}", "get"): "reports.get",
    ("/v1/reports/{id}", "patch"): "reports.update",
    ("/v1/reports/{id}", "delete"): "reports.delete",
    ("/v1/reports/{id}/run", "post"): "reports.run",
    ("/v1/report-runs/{id}", "get"): "report_runs.get",
    ("/v1/report-runs/{id}/download", "get"): "report_runs.download",
    ("/v1/subscriptions", "post"): "subscriptions.create",
    ("/v1/subscriptions/{id}", "get"): "subscriptions.get",
    ("/v1/subscriptions/{id}", "patch"): "subscriptions.update",
    ("/v1/subscriptions/{id}/pause", "post"): "subscriptions.pause",
    ("/v1/subscriptions/{id}/cancel", "post"): "subscriptions.cancel",
}


DETAIL_GROUPINGS = {"hour", "region", "asn", "tag", "ip", "ip_batch"}


def _to_able_account(case, path, method):
    capability = OPERATION_CAPABILITY.get((path, method))
    query = case.query or {}
    if path == "/v1/usage" and (
        query.get("group_by") in DETAIL_GROUPINGS or "region" in query or "tag" in query
    ):
        # Detailed usage is a capability of some accounts (helodata), as GET /v1/providers says.
        capability = "usage.detail"
    if capability is None:
        return
    able = [a for a in ACCOUNTS if capability in CAPABILITIES.get(a, [])]
    if not able:
        return
    body, query, params = case.body, case.query, case.path_parameters
    if isinstance(body, dict) and "account" in body and body["account"] not in able:
        body["account"] = able[0]
    if query:
        value = query.get("account")
        if isinstance(value, list):
            query["account"] = [v if v in able else able[0] for v in value]
        elif value is not None and value not in able:
            query["account"] = able[0]
        for field in SCOPED_IDS:
            if field in query:
                query[field] = _rescope(query[field], able[0])
    if isinstance(body, dict):
        for field in SCOPED_IDS:
            if field in body:
                body[field] = _rescope(body[field], able[0])
    _path_to_able_account(case, path, method)


def _path_to_able_account(case, path, method):
    """A path id naming a configured account that lacks the operation is aimed at one that
    has it. Also for schema-invalid cases: the id stays as valid or invalid as it was (only a
    configured account's name is replaced by another's), and what makes the case invalid is
    elsewhere, so the answer must be a 4xx, not the 501 of an account without the operation."""
    capability = OPERATION_CAPABILITY.get((path, method))
    params = case.path_parameters
    if capability is None or not params:
        return
    able = [a for a in ACCOUNTS if capability in CAPABILITIES.get(a, [])]
    account = _id_account(params.get("id"))
    if able and account in ACCOUNTS and account not in able:
        params["id"] = able[0] + params["id"][len(account):]


# Where each schema-valid case's answer is tallied (scripts/openapi/acceptance.py reads it):
# the document is only truthful if most data it calls valid is accepted.
TALLY = os.environ.get("PGW_ST_TALLY")


@schemathesis.hook
def after_call(context, case, response):
    if not TALLY or not _is_positive(case):
        return
    line = json.dumps({
        "operation": f"{case.operation.method.upper()} {case.operation.path}",
        "status": response.status_code,
        "code": _problem_code(response),
    })
    with open(TALLY, "a", encoding="utf-8") as tally:
        tally.write(line + "\n")


def _problem_code(response):
    if response.status_code < 400:
        return None
    try:
        body = json.loads(response.text)
    except ValueError:
        return None
    if not isinstance(body, dict):
        return None
    return f"{body.get('code')}:{body.get('field')}: {str(body.get('detail'))[:80]}"


@schemathesis.hook
def filter_failure(context, failure, case, response):
    revoked_key_read = (
        getattr(failure, "code", None) == "ST301"
        and case.operation.path == "/v1/api-keys/{id}"
        and case.operation.method.lower() == "get"
        and response.status_code == 200
        and '"status":"revoked"' in response.text
    )
    return not revoked_key_read
