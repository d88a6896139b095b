"""The same delivery guarantees on PostgreSQL (row locks, SKIP LOCKED claims), with
two service replicas sharing one database and one durable consumer."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

import pytest

from services.webhook.config import WebhookSettings
from tests.integration.webhook.support import (
    eventually,
    publisher,
    receiver,
    settled,
    webhook_service,
)

pytestmark = pytest.mark.integration

OWNER = "own_alice"


async def test_two_replicas_deliver_each_event_once_with_retries(
    make_settings: Callable[..., WebhookSettings], pg_database_url: str
) -> None:
    settings = make_settings(database_url=pg_database_url)
    with receiver(script=[500, 500, 500]) as hook:
        async with (
            webhook_service(settings) as one,
            webhook_service(settings),
            publisher(settings) as bus,
        ):
            events = [settled(hook.url) for _ in range(6)]
            for n, event in enumerate(events):
                await bus.publish("events.video.completed", event, msg_id=f"m{n}")
            await bus.publish("events.video.completed", events[0], msg_id="again")

            async def all_delivered() -> bool:
                attempts = await one.attempts(OWNER)
                delivered = {a.event_id for a in attempts if a.delivery_status == "delivered"}
                return len(delivered) == len(events)

            await eventually(all_delivered)
            await asyncio.sleep(0.5)
            secret = await one.secret(OWNER)
    per_event = [
        sum(1 for r in hook.successes if r.headers["webhook-id"] == e.meta.event_id) for e in events
    ]
    assert per_event == [1] * len(events)
    assert len(hook.requests) == len(events) + 3
    assert all(hook.verified(secret, r) for r in hook.requests)
