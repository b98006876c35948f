"""Uses the Python client generated from openapi/openapi.json against a sandbox gateway:
lists proxy users, creates one through the typed models, reads it back, and reads an error as
a typed problem. Run by scripts/openapi_checks.sh with PGW_URL and PGW_TOKEN set."""

import os
import sys
import uuid

from pgw_client import AuthenticatedClient
from pgw_client.api.providers import list_providers
from pgw_client.api.proxy_users import create_proxy_user, get_proxy_user, list_proxy_users
from pgw_client.types import Unset
from pgw_client.models import (
    CreateProxyUser,
    ErrorCode,
    Problem,
    ProviderList,
    ProviderName,
    ProxyUserList,
    ProxyUserView,
    RequestedProduct,
)

GIB = 1 << 30


def main() -> int:
    client = AuthenticatedClient(base_url=os.environ["PGW_URL"], token=os.environ["PGW_TOKEN"])
    with client:
        providers = list_providers.sync(client=client)
        assert isinstance(providers, ProviderList), providers
        nine11 = next(p.name for p in providers.data if p.kind == ProviderName.VALUE_1)
        print(f"providers: {', '.join(p.name for p in providers.data)} (sandbox={providers.sandbox})")

        listed = list_proxy_users.sync_detailed(client=client, account=[nine11], limit=5)
        assert listed.status_code == 200, listed
        assert isinstance(listed.parsed, ProxyUserList), listed.parsed
        print(f"list_proxy_users({nine11}, limit=5): {len(listed.parsed.data)} users, "
              f"next page: {'yes' if listed.parsed.next_cursor else 'no'}")

        label = f"client-{uuid.uuid4().hex[:8]}"
        body = CreateProxyUser(
            account=nine11,
            products=[RequestedProduct.RESIDENTIAL],
            label=label,
            traffic_limit_bytes=5 * GIB,
        )
        created = create_proxy_user.sync_detailed(
            client=client, body=body, idempotency_key=f"client-check-{uuid.uuid4().hex}"
        )
        assert created.status_code == 201, (created.status_code, created.content)
        user = created.parsed
        assert isinstance(user, ProxyUserView), user
        assert user.label == label and user.traffic_limit_bytes == 5 * GIB and user.password
        print(f"create_proxy_user: 201 {user.id} label={user.label} "
              f"limit={user.traffic_limit_bytes} bytes, password shown once")

        again = get_proxy_user.sync(client=client, id=user.id)
        assert isinstance(again, ProxyUserView) and again.id == user.id, again
        assert isinstance(again.password, Unset), "a read shows no password without include=password"
        print(f"get_proxy_user({user.id}): {again.status.value}, created_at={again.created_at}")

        listed = list_proxy_users.sync(client=client, account=[nine11], label_contains=label)
        assert isinstance(listed, ProxyUserList) and [u.id for u in listed.data] == [user.id], listed
        print(f"list_proxy_users(label_contains={label}): finds exactly the new user")

        missing = get_proxy_user.sync_detailed(client=client, id=f"{nine11}:nosuchuser{uuid.uuid4().hex[:6]}")
        assert missing.status_code == 404 and isinstance(missing.parsed, Problem), missing
        assert missing.parsed.code == ErrorCode.NOT_FOUND
        print(f"get_proxy_user(unknown): 404 problem code={missing.parsed.code.value}")
    print("generated client: OK")
    return 0


if __name__ == "__main__":
    sys.exit(main())
