"""The webhook service in-process with real NATS, SQLite and S3, delivering settled
videos to a local receiver: signed, retried with backoff, recorded, once per event id."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from urllib.parse import urlsplit

import pytest

from avatarmesh.ids import IdPrefix, new_id
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
MakeSettings = Callable[..., WebhookSettings]


async def test_completed_video_is_delivered_once_with_a_valid_signature(
    make_settings: MakeSettings,
) -> None:
    settings = make_settings()
    with receiver() as hook:
        async with webhook_service(settings) as service, publisher(settings) as bus:
            event = settled(hook.url)
            await bus.publish("events.video.completed", event, msg_id="m1")
            await eventually(lambda: hook.requests)
            await asyncio.sleep(0.5)  # no second delivery follows
            secret = await service.secret(OWNER)
            attempts = await service.attempts(OWNER, event.video_id)

    assert len(hook.requests) == 1
    request = hook.requests[0]
    assert hook.verified(secret, request)
    assert not hook.verified(secret + "x", request)
    assert request.headers["webhook-id"] == event.meta.event_id
    assert request.headers["content-type"] == "application/json"
    assert request.headers["user-agent"] == "avatarmesh-webhooks/1"
    body = json.loads(request.body)
    assert list(body) == [
        "event",
        "event_id",
        "video_gen_id",
        "video_url",
        "duration_sec",
        "tier",
        "actual_cost_usd",
        "timestamp",
    ]
    assert body["event"] == "video.completed"
    assert body["video_gen_id"] == event.video_id
    assert body["event_id"] == event.meta.event_id
    assert (body["duration_sec"], body["tier"], body["actual_cost_usd"]) == (3, "avatar", 0.15)
    assert body["timestamp"] == "2025-01-01T12:00:30.000Z"
    video_url = urlsplit(body["video_url"])
    assert video_url.path.endswith(event.video_key) and "X-Amz-Signature" in video_url.query
    assert [(a.attempt, a.status_code, a.delivery_status) for a in attempts] == [
        (1, 200, "delivered")
    ]


async def test_failed_video_is_delivered_with_its_error(make_settings: MakeSettings) -> None:
    settings = make_settings()
    with receiver() as hook:
        async with webhook_service(settings), publisher(settings) as bus:
            event = settled(hook.url, status="failed", cost_micros=None)
            await bus.publish("events.video.failed", event, msg_id="m1")
            await eventually(lambda: hook.requests)
    assert json.loads(hook.requests[0].body) == {
        "event": "video.failed",
        "event_id": event.meta.event_id,
        "video_gen_id": event.video_id,
        "error": "renderer crashed",
        "timestamp": "2025-01-01T12:00:30.000Z",
    }


async def test_receiver_failing_twice_then_succeeding_gets_the_event_once_more(
    make_settings: MakeSettings,
) -> None:
    settings = make_settings()
    with receiver(script=[500, 503]) as hook:
        async with webhook_service(settings) as service, publisher(settings) as bus:
            event = settled(hook.url)
            await bus.publish("events.video.completed", event, msg_id="m1")

            async def delivered() -> bool:
                attempts = await service.attempts(OWNER, event.video_id)
                return any(a.delivery_status == "delivered" for a in attempts)

            await eventually(delivered)
            await asyncio.sleep(0.6)  # several retry periods: nothing more is sent
            attempts = await service.attempts(OWNER, event.video_id)

    assert [r.answered for r in hook.requests] == [500, 503, 200]
    assert len(hook.successes) == 1
    assert len({r.headers["webhook-id"] for r in hook.requests}) == 1
    # the same frozen body each time; only the presigned video_url is made per attempt
    bodies = [json.loads(r.body) for r in hook.requests]
    assert all({**b, "video_url": ""} == {**bodies[0], "video_url": ""} for b in bodies)
    assert [(a.attempt, a.status_code) for a in reversed(attempts)] == [
        (1, 500),
        (2, 503),
        (3, 200),
    ]
    assert attempts[-1].error == "HTTP 500"


async def test_same_event_id_published_twice_is_delivered_once(make_settings: MakeSettings) -> None:
    settings = make_settings()
    with receiver() as hook:
        async with webhook_service(settings) as service, publisher(settings) as bus:
            event = settled(hook.url)
            await bus.publish("events.video.completed", event, msg_id="first")
            await bus.publish("events.video.completed", event, msg_id="second")
            # the same video completing again under a new event id is also dropped
            again = settled(hook.url, video_id=event.video_id)
            await bus.publish("events.video.completed", again, msg_id="third")
            await eventually(lambda: hook.requests)
            await asyncio.sleep(0.6)
            attempts = await service.attempts(OWNER)
    assert len(hook.requests) == 1
    assert len(attempts) == 1


async def test_receiver_down_past_max_age_fails_the_delivery(make_settings: MakeSettings) -> None:
    settings = make_settings(webhook_max_age_seconds=1.0)
    with receiver(then=500) as hook:
        async with webhook_service(settings) as service, publisher(settings) as bus:
            event = settled(hook.url)
            await bus.publish("events.video.completed", event, msg_id="m1")

            async def failed() -> bool:
                attempts = await service.attempts(OWNER, event.video_id)
                return bool(attempts) and attempts[0].delivery_status == "failed"

            await eventually(failed)
            sent = len(hook.requests)
            await asyncio.sleep(0.4)
            attempts = await service.attempts(OWNER, event.video_id)
    assert sent >= 2
    assert len(hook.requests) == sent  # nothing after giving up
    assert len(attempts) == sent
    assert not hook.successes


async def test_non_loopback_http_url_is_refused_without_a_request(
    make_settings: MakeSettings,
) -> None:
    settings = make_settings()
    async with webhook_service(settings) as service, publisher(settings) as bus:
        plain = settled("http://10.1.2.3/hook")
        metadata = settled("https://169.254.169.254/latest/meta-data")
        await bus.publish("events.video.completed", plain, msg_id="m1")
        await bus.publish("events.video.completed", metadata, msg_id="m2")

        async def both_failed() -> bool:
            attempts = await service.attempts(OWNER)
            return len(attempts) == 2 and all(a.delivery_status == "failed" for a in attempts)

        await eventually(both_failed)
        await asyncio.sleep(0.3)  # no retries
        attempts = {a.subject_id: a for a in await service.attempts(OWNER)}
    assert len(attempts) == 2
    assert attempts[plain.video_id].status_code == 0
    assert "must use https" in attempts[plain.video_id].error
    assert "non-public address" in attempts[metadata.video_id].error


async def test_loopback_http_is_refused_without_the_development_setting(
    make_settings: MakeSettings,
) -> None:
    settings = make_settings(allow_insecure_loopback=False)
    with receiver() as hook:
        async with webhook_service(settings) as service, publisher(settings) as bus:
            event = settled(hook.url)
            await bus.publish("events.video.completed", event, msg_id="m1")
            attempts = await eventually(lambda: service.attempts(OWNER))
    assert not hook.requests
    assert attempts[0].delivery_status == "failed"
    assert "must use https" in attempts[0].error


async def test_restart_during_backoff_still_delivers_once(make_settings: MakeSettings) -> None:
    settings = make_settings(webhook_retry_schedule_seconds=(2.5,))
    with receiver(script=[500]) as hook:
        async with webhook_service(settings) as first, publisher(settings) as bus:
            event = settled(hook.url)
            await bus.publish("events.video.completed", event, msg_id="m1")
            # Backoff has begun once the failed attempt is on record (the receiver
            # answering is not enough: stopping then races the attempt's commit).
            await eventually(lambda: first.attempts(OWNER))
        assert len(hook.requests) == 1  # stopped while waiting for the retry
        async with webhook_service(settings) as service:
            await eventually(lambda: hook.successes)
            await asyncio.sleep(0.3)
            attempts = await service.attempts(OWNER)
    assert [r.answered for r in hook.requests] == [500, 200]
    assert [a.status_code for a in reversed(attempts)] == [500, 200]


async def test_cancelled_and_url_less_videos_send_nothing(make_settings: MakeSettings) -> None:
    settings = make_settings()
    with receiver() as hook:
        async with webhook_service(settings) as service, publisher(settings) as bus:
            await bus.publish(
                "events.video.cancelled", settled(hook.url, status="cancelled"), msg_id="c"
            )
            await bus.publish("events.video.completed", settled(""), msg_id="n")
            marker = settled(hook.url, video_id=new_id(IdPrefix.VIDEO))
            await bus.publish("events.video.completed", marker, msg_id="m")
            await eventually(lambda: hook.requests)
            await asyncio.sleep(0.2)
            attempts = await service.attempts(OWNER)
    assert [json.loads(r.body)["video_gen_id"] for r in hook.requests] == [marker.video_id]
    assert len(attempts) == 1
