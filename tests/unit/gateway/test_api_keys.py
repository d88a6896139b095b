"""Bearer API keys: hashed at rest, issued and revoked through the admin route only."""

from __future__ import annotations

from collections.abc import Callable

import httpx
import pytest
from fastapi import APIRouter

from gateway.app import create_app
from gateway.auth import hash_secret
from gateway.deps import Owner
from gateway.settings import GatewaySettings
from tests.unit.gateway.support import (
    ADMIN_KEY,
    admin_headers,
    issue_key,
    serving,
)

whoami = APIRouter(prefix="/api/v1")


@whoami.get("/whoami")
async def who(owner: Owner) -> dict[str, str]:
    return {"owner_id": owner}


def bearer(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


async def test_missing_or_wrong_key_is_401_unauthorized(settings: GatewaySettings) -> None:
    app = create_app(settings)
    app.include_router(whoami)
    async with serving(app) as client:
        for headers in ({}, bearer("sk_live_wrong"), {"Authorization": "Basic abc"}):
            reply = await client.get("/api/v1/whoami", headers=headers)
            assert reply.status_code == 401
            assert reply.json()["error"]["code"] == "UNAUTHORIZED"
        # unknown /api/v1 paths do not reveal themselves to anonymous callers
        assert (await client.get("/api/v1/nothing-here")).json()["error"]["code"] == (
            "UNAUTHORIZED"
        )


async def test_admin_created_key_authenticates_as_its_owner(settings: GatewaySettings) -> None:
    app = create_app(settings)
    app.include_router(whoami)
    async with serving(app) as client:
        created = await client.post(
            "/admin/v1/api-keys",
            json={"owner_id": "own_alice", "name": "ci"},
            headers=admin_headers(),
        )
        assert created.status_code == 201
        body = created.json()
        assert body["id"].startswith("key_")
        assert body["key"].startswith("sk_live_") and len(body["key"]) == len("sk_live_") + 43
        assert body["owner_id"] == "own_alice"
        assert body["created_at"]

        reply = await client.get("/api/v1/whoami", headers=bearer(body["key"]))
        assert reply.status_code == 200
        assert reply.json() == {"owner_id": "own_alice"}

        listed = await client.get(
            "/admin/v1/api-keys", params={"owner_id": "own_alice"}, headers=admin_headers()
        )
        assert listed.status_code == 200
        [entry] = listed.json()["data"]
        assert entry["id"] == body["id"] and entry["revoked_at"] is None
        assert body["key"] not in listed.text  # never the secret again
        assert hash_secret(body["key"]) not in listed.text

        # unknown route under /api/v1 with a valid key: the documented 404
        missing = await client.get("/api/v1/nothing-here", headers=bearer(body["key"]))
        assert missing.status_code == 404
        assert missing.json()["error"]["code"] == "NOT_FOUND"


async def test_revoked_key_is_401_unauthorized(settings: GatewaySettings) -> None:
    app = create_app(settings)
    app.include_router(whoami)
    async with serving(app) as client:
        created = (
            await client.post(
                "/admin/v1/api-keys", json={"owner_id": "own_bob"}, headers=admin_headers()
            )
        ).json()
        assert (await client.get("/api/v1/whoami", headers=bearer(created["key"]))).is_success
        revoked = await client.delete(
            f"/admin/v1/api-keys/{created['id']}", headers={"X-Admin-Key": ADMIN_KEY}
        )
        assert revoked.status_code == 204
        reply = await client.get("/api/v1/whoami", headers=bearer(created["key"]))
        assert reply.status_code == 401
        assert reply.json()["error"]["code"] == "UNAUTHORIZED"
        again = await client.delete("/admin/v1/api-keys/key_nope", headers=admin_headers())
        assert again.status_code == 404 and again.json()["error"]["code"] == "NOT_FOUND"


async def test_user_key_cannot_call_admin_routes(client: httpx.AsyncClient) -> None:
    key = await issue_key(client)
    for headers in (bearer(key), {"X-Admin-Key": key}, {}):
        reply = await client.post(
            "/admin/v1/api-keys", json={"owner_id": "own_mallory"}, headers=headers
        )
        assert reply.status_code == 401
        assert reply.json()["error"]["code"] == "UNAUTHORIZED"
        assert (await client.get("/admin/v1/api-keys", headers=headers)).status_code == 401


async def test_admin_key_is_not_an_api_key(settings: GatewaySettings) -> None:
    app = create_app(settings)
    app.include_router(whoami)
    async with serving(app) as client:
        reply = await client.get("/api/v1/whoami", headers=admin_headers())
        assert reply.status_code == 401


async def test_admin_routes_refused_when_no_admin_key_is_configured(
    make_settings: Callable[..., GatewaySettings],
) -> None:
    async with serving(create_app(make_settings(admin_key=None))) as client:
        for headers in ({}, admin_headers(), {"Authorization": "Bearer "}):
            reply = await client.post(
                "/admin/v1/api-keys", json={"owner_id": "own_alice"}, headers=headers
            )
            assert reply.status_code == 503
            assert reply.json()["error"]["code"] == "FEATURE_DISABLED"
            assert "AVATARMESH_ADMIN_KEY" in reply.json()["error"]["message"]


async def test_dev_key_from_settings_authenticates(
    make_settings: Callable[..., GatewaySettings],
) -> None:
    settings = make_settings(dev_api_key="sk-dev-local-key", dev_owner_id="own_dev")
    app = create_app(settings)
    app.include_router(whoami)
    async with serving(app) as client:
        reply = await client.get("/api/v1/whoami", headers=bearer("sk-dev-local-key"))
        assert reply.json() == {"owner_id": "own_dev"}
    async with serving(app) as client:  # a restart ensures the same key again
        assert (await client.get("/api/v1/whoami", headers=bearer("sk-dev-local-key"))).is_success


async def test_revoked_dev_key_stays_revoked_and_the_gateway_still_starts(
    make_settings: Callable[..., GatewaySettings],
) -> None:
    app = create_app(make_settings(dev_api_key="sk-dev-local-key", dev_owner_id="own_dev"))
    app.include_router(whoami)
    async with serving(app) as client:
        keys = (await client.get("/admin/v1/api-keys", headers=admin_headers())).json()
        dev = next(k for k in keys["data"] if k["owner_id"] == "own_dev")
        revoked = await client.delete(f"/admin/v1/api-keys/{dev['id']}", headers=admin_headers())
        assert revoked.status_code == 204
    async with serving(app) as client:  # the restart must not fail nor revive the key
        reply = await client.get("/api/v1/whoami", headers=bearer("sk-dev-local-key"))
        assert reply.status_code == 401


async def test_rate_limit_per_key_is_429_with_retry_after(
    make_settings: Callable[..., GatewaySettings],
) -> None:
    app = create_app(make_settings(rate_limit_per_minute=3))
    app.include_router(whoami)
    async with serving(app) as client:
        alice, bob = await issue_key(client, "own_alice"), await issue_key(client, "own_bob")
        for _ in range(3):
            assert (await client.get("/api/v1/whoami", headers=bearer(alice))).is_success
        limited = await client.get("/api/v1/whoami", headers=bearer(alice))
        assert limited.status_code == 429
        assert limited.json()["error"]["code"] == "RATE_LIMITED"
        assert int(limited.headers["Retry-After"]) >= 1
        assert (await client.get("/api/v1/whoami", headers=bearer(bob))).is_success


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("POST", "/api/v1/avatars"),
        ("GET", "/api/v1/avatars/av_x"),
        ("POST", "/api/v1/avatars/av_x/poses"),
        ("POST", "/api/v1/avatar-videos"),
        ("GET", "/api/v1/avatar-videos/vg_x"),
    ],
)
async def test_documented_routes_are_rate_limited_per_key(
    make_settings: Callable[..., GatewaySettings], method: str, path: str
) -> None:
    """The limit is checked before the route runs: once spent, even a request the
    (unreachable) service would have refused is 429 RATE_LIMITED."""
    async with serving(create_app(make_settings(rate_limit_per_minute=1))) as client:
        key = bearer(await issue_key(client))
        first = await client.request(method, path, headers=key, json={})
        assert first.status_code != 429, first.text
        limited = await client.request(method, path, headers=key, json={})
        assert limited.status_code == 429, limited.text
        assert limited.json()["error"]["code"] == "RATE_LIMITED"
        assert int(limited.headers["Retry-After"]) >= 1
