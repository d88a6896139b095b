"""Webhooks through the gateway, with the real webhook service running in-process:
the caller's signing secret (read, rotate), the recorded attempts, and isolation
between owners."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from avatarmesh.bus import Bus
from gateway.app import create_app
from gateway.settings import GatewaySettings
from services.webhook.signing import verify_signature
from tests.integration.webhook.support import (
    Receiver,
    eventually,
    publisher,
    receiver,
    settled,
    webhook_service,
    webhook_settings,
)
from tests.unit.gateway.support import issue_key, serving


@dataclass
class Api:
    client: httpx.AsyncClient
    alice: dict[str, str]
    bob: dict[str, str]
    bus: Bus
    hook: Receiver


@pytest.fixture
async def api(
    make_settings: Callable[..., GatewaySettings],
    tmp_path: Path,
    nats_server: str,
    bus_namespace: str,
    s3_server: str,
) -> AsyncIterator[Api]:
    settings = webhook_settings(tmp_path / "webhook", nats_server, bus_namespace, s3_server)
    with receiver() as hook:
        async with webhook_service(settings) as service, publisher(settings) as bus:
            app = create_app(make_settings(webhook_addr=f"127.0.0.1:{service.port}"))
            async with serving(app) as client:
                alice = await issue_key(client, "own_alice")
                bob = await issue_key(client, "own_bob")
                yield Api(
                    client,
                    {"Authorization": f"Bearer {alice}"},
                    {"Authorization": f"Bearer {bob}"},
                    bus,
                    hook,
                )


async def test_secret_is_created_on_first_read_and_stays_the_same(api: Api) -> None:
    first = await api.client.get("/api/v1/webhooks/secret", headers=api.alice)
    assert first.status_code == 200, first.text
    body = first.json()
    assert body["secret"].startswith("whsec_") and len(body["secret"]) > 40
    assert body["created_at"] and body["previous_valid_until"] is None
    again = await api.client.get("/api/v1/webhooks/secret", headers=api.alice)
    assert again.json()["secret"] == body["secret"]
    other = await api.client.get("/api/v1/webhooks/secret", headers=api.bob)
    assert other.json()["secret"] != body["secret"]


async def test_rotate_gives_a_new_secret_and_both_sign_during_the_grace_period(api: Api) -> None:
    old = (await api.client.get("/api/v1/webhooks/secret", headers=api.alice)).json()["secret"]
    rotated = await api.client.post("/api/v1/webhooks/secret/rotate", headers=api.alice)
    assert rotated.status_code == 200, rotated.text
    new = rotated.json()["secret"]
    assert new != old and new.startswith("whsec_")
    assert rotated.json()["previous_valid_until"] is not None
    current = await api.client.get("/api/v1/webhooks/secret", headers=api.alice)
    assert current.json()["secret"] == new

    await api.bus.publish("events.video.completed", settled(api.hook.url), msg_id="m1")
    await eventually(lambda: api.hook.requests)
    request = api.hook.requests[0]
    timestamp = request.headers["webhook-timestamp"]
    signature = request.headers["webhook-signature"]
    assert len(signature.split()) == 2  # v1=<new> v1=<old>
    assert verify_signature(new, timestamp, request.body, signature)
    assert verify_signature(old, timestamp, request.body, signature)


async def test_deliveries_list_the_callers_attempts_only(api: Api) -> None:
    event = settled(api.hook.url)
    await api.bus.publish("events.video.completed", event, msg_id="m1")
    await api.bus.publish(
        "events.video.completed", settled(api.hook.url, owner_id="own_bob"), msg_id="m2"
    )
    await eventually(lambda: len(api.hook.requests) == 2)

    async def listed() -> list[dict[str, object]]:
        reply = await api.client.get(
            f"/api/v1/webhooks/deliveries?video_id={event.video_id}", headers=api.alice
        )
        assert reply.status_code == 200, reply.text
        return list(reply.json()["data"])

    data = await eventually(listed)
    assert len(data) == 1
    attempt = data[0]
    assert attempt["event_id"] == event.meta.event_id
    assert attempt["event"] == "video.completed"
    assert attempt["video_gen_id"] == event.video_id
    assert (attempt["attempt"], attempt["status_code"], attempt["error"]) == (1, 200, None)
    assert attempt["delivery_status"] == "delivered"

    everything = await api.client.get("/api/v1/webhooks/deliveries", headers=api.alice)
    assert [a["video_gen_id"] for a in everything.json()["data"]] == [event.video_id]
    bobs_view = await api.client.get(
        f"/api/v1/webhooks/deliveries?video_id={event.video_id}", headers=api.bob
    )
    assert bobs_view.json()["data"] == []


async def test_webhook_routes_need_an_api_key(api: Api) -> None:
    for method, path in (
        ("GET", "/api/v1/webhooks/secret"),
        ("POST", "/api/v1/webhooks/secret/rotate"),
        ("GET", "/api/v1/webhooks/deliveries"),
    ):
        reply = await api.client.request(method, path)
        assert reply.status_code == 401, (path, reply.text)
        assert reply.json()["error"]["code"] == "UNAUTHORIZED"
