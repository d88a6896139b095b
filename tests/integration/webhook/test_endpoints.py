"""Webhook endpoints in the webhook service (real NATS, SQLite, S3, gRPC): events fan
out to every subscribed endpoint and the job's own URL under one Webhook-Id, each
signed with its receiver's secret; a receiver that is down gets every event once it is
back, exactly once per event id; rotation overlaps; deletion stops deliveries."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from datetime import UTC, datetime

import pytest

from avatarmesh.errors import DomainError, ErrorCode
from avatarmesh.ids import IdPrefix, new_id
from avatarmesh.v1 import events_pb2
from avatarmesh.v1 import webhook_pb2 as pb
from services.webhook.config import WebhookSettings
from tests.integration.webhook.support import (
    Receiver,
    Service,
    eventually,
    publisher,
    receiver,
    settled,
    webhook_service,
)

pytestmark = pytest.mark.integration

OWNER = "own_alice"
MakeSettings = Callable[..., WebhookSettings]


async def endpoint(service: Service, url: str, *events: str, owner: str = OWNER) -> pb.Endpoint:
    return await service.stub.CreateEndpoint(
        pb.CreateEndpointRequest(owner_id=owner, url=url, events=list(events))
    )


def avatar_settled(status: str, owner: str = OWNER) -> events_pb2.AvatarSettled:
    event = events_pb2.AvatarSettled(avatar_id=new_id(IdPrefix.AVATAR), owner_id=owner)
    event.meta.event_id = new_id(IdPrefix.EVENT)
    event.meta.occurred_at.FromDatetime(datetime(2026, 1, 1, tzinfo=UTC))
    if status == "failed":
        event.error = "no face found"
    return event


def bodies(hook: Receiver) -> list[dict[str, object]]:
    return [json.loads(r.body) for r in hook.successes]


async def test_events_fan_out_to_subscribed_endpoints_and_the_job_url(
    make_settings: MakeSettings,
) -> None:
    settings = make_settings()
    with receiver() as job, receiver() as videos, receiver() as avatars, receiver() as other:
        async with webhook_service(settings) as service, publisher(settings) as bus:
            to_videos = await endpoint(service, videos.url, "video.failed", "video.completed")
            to_avatars = await endpoint(service, avatars.url, "avatar.ready", "file.archived")
            await endpoint(service, other.url, "*", owner="own_bob")
            failed = settled(job.url, status="failed")
            ready = avatar_settled("ready")
            await bus.publish("events.video.failed", failed, msg_id="v1")
            await bus.publish("events.avatar.ready", ready, msg_id="a1")
            await bus.publish("events.avatar.failed", avatar_settled("failed"), msg_id="a2")
            archived = events_pb2.FileArchived(
                file_id="file_x", owner_id=OWNER, kind="image", reason="expired"
            )
            archived.meta.event_id = new_id(IdPrefix.EVENT)
            await bus.publish("events.file.archived", archived, msg_id="f1")
            await eventually(
                lambda: job.successes and videos.successes and len(avatars.successes) == 2
            )
            await asyncio.sleep(0.5)  # nothing more follows
            owner_secret = await service.secret(OWNER)
            logs = await service.stub.ListDeliveries(
                pb.ListDeliveriesRequest(owner_id=OWNER, endpoint_id=to_videos.id)
            )

    assert len(job.requests) == len(videos.requests) == 1 and len(avatars.requests) == 2
    assert other.requests == []  # another owner's endpoint hears nothing of ours
    event_id = failed.meta.event_id
    assert job.requests[0].headers["webhook-id"] == event_id
    assert videos.requests[0].headers["webhook-id"] == event_id
    assert job.requests[0].body == videos.requests[0].body
    assert json.loads(videos.requests[0].body)["event"] == "video.failed"
    assert hook_verified(job, owner_secret) and not hook_verified(videos, owner_secret)
    assert hook_verified(videos, to_videos.secret)
    assert hook_verified(avatars, to_avatars.secret)
    assert sorted(bodies(avatars), key=lambda b: str(b["event"])) == [
        {
            "event": "avatar.ready",
            "event_id": ready.meta.event_id,
            "avatar_id": ready.avatar_id,
            "status": "ready",
            "timestamp": "2026-01-01T00:00:00.000Z",
        },
        {
            "event": "file.archived",
            "event_id": archived.meta.event_id,
            "file_id": "file_x",
            "kind": "image",
            "reason": "expired",
            "timestamp": next(
                b["timestamp"] for b in bodies(avatars) if b["event"] == "file.archived"
            ),
        },
    ]
    assert [(a.event_id, a.endpoint_id, a.status_code) for a in logs.attempts] == [
        (event_id, to_videos.id, 200)
    ]


def hook_verified(hook: Receiver, secret: str) -> bool:
    return all(hook.verified(secret, r) for r in hook.requests)


async def test_a_receiver_down_for_a_while_gets_every_event_exactly_once(
    make_settings: MakeSettings,
) -> None:
    settings = make_settings(webhook_retry_schedule_seconds=(0.2, 0.4))
    with receiver(script=[503] * 12) as hook:
        async with webhook_service(settings) as service, publisher(settings) as bus:
            made = await endpoint(service, hook.url, "*")
            events = [settled("", status="failed") for _ in range(3)]
            for number, event in enumerate(events):
                await bus.publish("events.video.failed", event, msg_id=f"d{number}")
            # the same event again (a redelivery): still one delivery
            await bus.publish("events.video.failed", events[0], msg_id="d0-again")
            await eventually(lambda: len(hook.successes) == 3, timeout=20)
            await asyncio.sleep(1.0)
            logs = await service.stub.ListDeliveries(
                pb.ListDeliveriesRequest(owner_id=OWNER, endpoint_id=made.id, limit=500)
            )

    assert len([r for r in hook.requests if r.answered == 503]) == 12
    delivered = sorted(r.headers["webhook-id"] for r in hook.successes)
    assert delivered == sorted(e.meta.event_id for e in events)
    assert {a.delivery_status for a in logs.attempts} == {"delivered"}
    assert len(logs.attempts) == 15


async def test_rotation_overlaps_deletion_stops_and_other_owners_ids_are_missing(
    make_settings: MakeSettings,
) -> None:
    """One service for both: a rotation's overlap, then a deleted endpoint's retries."""
    settings = make_settings(webhook_retry_schedule_seconds=(0.3,))
    with receiver() as hook, receiver(then=503) as down:
        async with webhook_service(settings) as service:
            made = await endpoint(service, hook.url, "video.completed")
            rotated = await service.stub.RotateEndpointSecret(
                pb.RotateEndpointSecretRequest(owner_id=OWNER, endpoint_id=made.id)
            )
            await service.stub.SendTestEvent(
                pb.EndpointRequest(owner_id=OWNER, endpoint_id=made.id)
            )
            await eventually(lambda: len(hook.successes) == 1)
            again = await service.stub.RotateEndpointSecret(
                pb.RotateEndpointSecretRequest(
                    owner_id=OWNER, endpoint_id=made.id, overlap_seconds=0
                )
            )
            await service.stub.SendTestEvent(
                pb.EndpointRequest(owner_id=OWNER, endpoint_id=made.id)
            )
            await eventually(lambda: len(hook.successes) == 2)
            shown = await service.stub.GetEndpoint(
                pb.EndpointRequest(owner_id=OWNER, endpoint_id=made.id)
            )

            failing = await endpoint(service, down.url, "*")
            for stranger in ("own_bob", OWNER):
                target = failing.id if stranger == "own_bob" else "we_missing"
                with pytest.raises(DomainError) as caught:
                    await service.stub.GetEndpoint(
                        pb.EndpointRequest(owner_id=stranger, endpoint_id=target)
                    )
                assert caught.value.code is ErrorCode.NOT_FOUND
                assert caught.value.message == f"webhook endpoint {target} not found"
            await service.stub.SendTestEvent(
                pb.EndpointRequest(owner_id=OWNER, endpoint_id=failing.id)
            )
            await eventually(lambda: down.requests)
            await service.stub.DeleteEndpoint(
                pb.EndpointRequest(owner_id=OWNER, endpoint_id=failing.id)
            )
            seen = len(down.requests)
            await asyncio.sleep(1.0)
            listed = await service.stub.ListEndpoints(pb.ListEndpointsRequest(owner_id=OWNER))

    assert made.secret and rotated.secret and made.secret != rotated.secret
    assert rotated.HasField("previous_valid_until")
    first, second = hook.requests
    assert hook.verified(made.secret, first) and hook.verified(rotated.secret, first)
    assert hook.verified(again.secret, second) and not hook.verified(rotated.secret, second)
    assert json.loads(first.body)["event"] == "webhook.test"
    assert shown.secret == ""  # shown once: never by GET
    assert len(down.requests) <= seen + 1  # at most the attempt already in flight
    assert [e.id for e in listed.endpoints] == [made.id]
