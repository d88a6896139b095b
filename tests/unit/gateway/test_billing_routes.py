"""Billing through the gateway, with the real billing service running in-process:
balance and ledger for the caller's own wallet, the admin top-up and plan tier, and
every billing error code as the documented JSON body and HTTP status.

The hold-based codes (INSUFFICIENT_BALANCE, INSUFFICIENT_BALANCE_FOR_POSE,
DAILY_CAP_REACHED) come from a probe route that holds money the way the avatar, pose
and video routes do: gateway -> gRPC -> billing, and the error all the way back.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import APIRouter

from avatarmesh.v1 import billing_pb2 as pb
from gateway.app import create_app
from gateway.deps import Clients, Owner
from gateway.settings import GatewaySettings
from tests.integration.billing.support import billing_service, billing_settings
from tests.unit.gateway.support import admin_headers, issue_key, serving

OWNER = "own_alice"
PURPOSES = {"avatar": pb.CHARGE_PURPOSE_AVATAR_CREATION, "pose": pb.CHARGE_PURPOSE_POSE}

probe = APIRouter(prefix="/api/v1/probe")


@probe.post("/holds/{purpose}/{key}")
async def hold(purpose: str, key: str, owner: Owner, clients: Clients) -> dict[str, Any]:
    price = await clients.billing.GetPriceBook(pb.GetPriceBookRequest())
    amount = price.pose_micros if purpose == "pose" else price.avatar_creation_micros
    record = await clients.billing.Hold(
        pb.HoldRequest(
            owner_id=owner, amount_micros=amount, idempotency_key=key, purpose=PURPOSES[purpose]
        )
    )
    return {"hold_id": record.id}


Api = tuple[httpx.AsyncClient, dict[str, str]]


@pytest.fixture
async def api(make_settings: Callable[..., GatewaySettings], tmp_path: Path) -> AsyncIterator[Api]:
    settings = billing_settings(
        "sqlite+aiosqlite:///{data_dir}/{service}.db",
        tmp_path / "billing",
        billing_daily_pose_caps={"default": 2, "pro": 4},
    )
    async with billing_service(settings) as (_stub, port):
        app = create_app(make_settings(billing_addr=f"127.0.0.1:{port}"))
        app.include_router(probe)
        async with serving(app) as client:
            key = await issue_key(client, OWNER)
            yield client, {"Authorization": f"Bearer {key}"}


async def top_up(client: httpx.AsyncClient, dollars: float | str, **extra: Any) -> httpx.Response:
    return await client.post(
        f"/admin/v1/wallets/{OWNER}/top-ups",
        json={"amount_usd": dollars, **extra},
        headers=admin_headers(),
    )


def assert_error(reply: httpx.Response, status: int, code: str) -> None:
    assert reply.status_code == status, reply.text
    assert reply.json()["error"]["code"] == code, reply.text
    assert reply.json()["error"]["message"]


async def test_balance_before_any_top_up_is_404_wallet_not_found(api: Api) -> None:
    client, auth = api
    assert_error(await client.get("/api/v1/billing/balance", headers=auth), 404, "WALLET_NOT_FOUND")
    assert_error(await client.get("/api/v1/billing/ledger", headers=auth), 404, "WALLET_NOT_FOUND")


async def test_admin_top_up_creates_the_wallet_and_the_balance_shows_it(api: Api) -> None:
    client, auth = api
    reply = await top_up(client, 25, idempotency_key="dev-funding:own_alice")
    assert reply.status_code == 201, reply.text
    assert reply.json() == {
        "owner_id": OWNER,
        "balance_usd": 25.0,
        "held_usd": 0.0,
        "available_usd": 25.0,
        "currency": "USD",
        "tier": "default",
    }
    again = await top_up(client, 25, idempotency_key="dev-funding:own_alice")
    assert again.json()["balance_usd"] == 25.0  # the same key tops up once
    await client.post("/api/v1/probe/holds/avatar/av_1:hold", headers=auth)
    balance = await client.get("/api/v1/billing/balance", headers=auth)
    assert balance.status_code == 200
    assert balance.json() == {
        "balance_usd": 25.0,
        "held_usd": 1.0,
        "available_usd": 24.0,
        "currency": "USD",
        "tier": "default",
    }


async def test_ledger_is_paginated_newest_first(api: Api) -> None:
    client, auth = api
    for dollars in ("1", "2", "3.5"):
        assert (await top_up(client, dollars, note=f"n{dollars}")).status_code == 201
    reply = await client.get("/api/v1/billing/ledger?page=1&limit=2", headers=auth)
    assert reply.status_code == 200
    body = reply.json()
    assert (body["page"], body["limit"], body["total"]) == (1, 2, 3)
    assert [(e["kind"], e["balance_delta_usd"]) for e in body["data"]] == [
        ("top_up", 3.5),
        ("top_up", 2.0),
    ]
    assert body["data"][0]["reference"] == "n3.5"
    last = (await client.get("/api/v1/billing/ledger?page=2&limit=2", headers=auth)).json()
    assert [e["balance_delta_usd"] for e in last["data"]] == [1.0]
    too_many = await client.get("/api/v1/billing/ledger?limit=101", headers=auth)
    assert_error(too_many, 400, "VALIDATION_ERROR")


async def test_top_up_needs_the_admin_key_never_a_user_key(api: Api) -> None:
    client, auth = api
    path = f"/admin/v1/wallets/{OWNER}/top-ups"
    assert_error(await client.post(path, json={"amount_usd": 5}, headers=auth), 401, "UNAUTHORIZED")
    assert_error(await client.post(path, json={"amount_usd": 5}), 401, "UNAUTHORIZED")


async def test_top_up_with_a_reused_key_and_another_amount_is_409(api: Api) -> None:
    client, _auth = api
    assert (await top_up(client, 5, idempotency_key="k")).status_code == 201
    assert_error(await top_up(client, 6, idempotency_key="k"), 409, "IDEMPOTENCY_CONFLICT")


@pytest.mark.parametrize("amount", [0, -1, "0.0000001", "lots", 1e13, "1e100000", "NaN"])
async def test_top_up_of_a_bad_amount_is_400_validation_error(api: Api, amount: Any) -> None:
    client, _auth = api
    assert_error(await top_up(client, amount), 400, "VALIDATION_ERROR")


async def test_ledger_page_beyond_int32_is_400_validation_error(api: Api) -> None:
    client, auth = api
    await top_up(client, 5)
    reply = await client.get("/api/v1/billing/ledger?page=3000000000", headers=auth)
    assert_error(reply, 400, "VALIDATION_ERROR")
    assert "page" in reply.json()["error"]["message"]


async def test_hold_beyond_the_balance_is_402_insufficient_balance(api: Api) -> None:
    client, auth = api
    await top_up(client, "1.5")
    assert (await client.post("/api/v1/probe/holds/avatar/a1", headers=auth)).status_code == 200
    reply = await client.post("/api/v1/probe/holds/avatar/a2", headers=auth)
    assert_error(reply, 402, "INSUFFICIENT_BALANCE")
    assert reply.json()["error"]["message"] == "Insufficient balance. Please top up your account."


async def test_pose_hold_beyond_the_balance_is_402_insufficient_balance_for_pose(api: Api) -> None:
    client, auth = api
    await top_up(client, "0.01")
    reply = await client.post("/api/v1/probe/holds/pose/p1", headers=auth)
    assert_error(reply, 402, "INSUFFICIENT_BALANCE_FOR_POSE")


async def test_pose_hold_without_a_wallet_is_404_wallet_not_found(api: Api) -> None:
    client, auth = api
    reply = await client.post("/api/v1/probe/holds/pose/p1", headers=auth)
    assert_error(reply, 404, "WALLET_NOT_FOUND")


async def test_poses_over_the_daily_cap_are_429_with_retry_after(api: Api) -> None:
    client, auth = api
    await top_up(client, 5)
    for i in range(2):  # the cap is 2 poses a day in this fixture
        assert (await client.post(f"/api/v1/probe/holds/pose/p{i}", headers=auth)).is_success
    reply = await client.post("/api/v1/probe/holds/pose/p2", headers=auth)
    assert_error(reply, 429, "DAILY_CAP_REACHED")
    assert 0 < int(reply.headers["Retry-After"]) <= 86400


async def set_tier(client: httpx.AsyncClient, tier: Any, owner: str = OWNER) -> httpx.Response:
    return await client.put(
        f"/admin/v1/wallets/{owner}/tier", json={"tier": tier}, headers=admin_headers()
    )


async def test_admin_sets_the_tier_and_a_pro_owner_creates_more_poses_a_day(api: Api) -> None:
    client, auth = api
    await top_up(client, 5)
    reply = await set_tier(client, "pro")
    assert reply.status_code == 200, reply.text
    assert reply.json() == {
        "owner_id": OWNER,
        "balance_usd": 5.0,
        "held_usd": 0.0,
        "available_usd": 5.0,
        "currency": "USD",
        "tier": "pro",
    }
    balance = await client.get("/api/v1/billing/balance", headers=auth)
    assert balance.json()["tier"] == "pro"
    for i in range(4):  # "pro" allows 4 poses a day here, "default" 2
        assert (await client.post(f"/api/v1/probe/holds/pose/p{i}", headers=auth)).is_success
    reply = await client.post("/api/v1/probe/holds/pose/p4", headers=auth)
    assert_error(reply, 429, "DAILY_CAP_REACHED")
    assert "'pro'" in reply.json()["error"]["message"]
    # Back on "default" the same day: 4 poses already used, over its cap of 2.
    assert (await set_tier(client, "default")).json()["tier"] == "default"
    reply = await client.post("/api/v1/probe/holds/pose/p5", headers=auth)
    assert_error(reply, 429, "DAILY_CAP_REACHED")


@pytest.mark.parametrize("tier", ["gold", "", "x" * 65, 5, None])
async def test_setting_an_unknown_or_invalid_tier_is_400_validation_error(
    api: Api, tier: Any
) -> None:
    client, auth = api
    await top_up(client, 5)
    assert_error(await set_tier(client, tier), 400, "VALIDATION_ERROR")
    assert (await client.get("/api/v1/billing/balance", headers=auth)).json()["tier"] == "default"


async def test_setting_the_tier_before_the_first_top_up_is_404_wallet_not_found(api: Api) -> None:
    client, _auth = api
    assert_error(await set_tier(client, "pro"), 404, "WALLET_NOT_FOUND")


async def test_setting_the_tier_needs_the_admin_key_never_a_user_key(api: Api) -> None:
    client, auth = api
    await top_up(client, 5)
    path = f"/admin/v1/wallets/{OWNER}/tier"
    assert_error(await client.put(path, json={"tier": "pro"}, headers=auth), 401, "UNAUTHORIZED")
    assert_error(await client.put(path, json={"tier": "pro"}), 401, "UNAUTHORIZED")
    assert (await client.get("/api/v1/billing/balance", headers=auth)).json()["tier"] == "default"
