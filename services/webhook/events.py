"""What the webhook service consumes: every settled video (``events.video.>``) on one
durable, ``webhook-video-events``, and settled avatars (``events.avatar.ready|failed|rejected``,
for webhook endpoints) and archived files (``events.file.archived``), with the intake
retry policy. It publishes nothing
on the bus: its output is the signed POST to the owner's ``webhook_url``."""

from __future__ import annotations

from datetime import UTC

from avatarmesh.bus import Bus, Delivery
from avatarmesh.clock import utcnow
from avatarmesh.subscriptions import INTAKE, Background, Subscription
from avatarmesh.tiers import TIER_FROM_PB, Tier
from avatarmesh.v1 import events_pb2
from services.webhook.intake import Intake
from services.webhook.logic import SettledVideo

VIDEO_SETTLED = Subscription(
    "webhook-video-events", "events.video.>", events_pb2.VideoSettled, INTAKE
)


AVATAR_READY = Subscription(
    "webhook-avatar-ready", "events.avatar.ready", events_pb2.AvatarSettled, INTAKE
)
AVATAR_FAILED = Subscription(
    "webhook-avatar-failed", "events.avatar.failed", events_pb2.AvatarSettled, INTAKE
)
# Rejected by the consent review (docs/consent.md).
AVATAR_REJECTED = Subscription(
    "webhook-avatar-rejected", "events.avatar.rejected", events_pb2.AvatarSettled, INTAKE
)


FILE_ARCHIVED = Subscription(
    "webhook-file-archived", "events.file.archived", events_pb2.FileArchived, INTAKE
)


def consumers(bus: Bus, intake: Intake) -> list[Background]:
    async def settled(d: Delivery[events_pb2.VideoSettled]) -> None:
        await intake.take(settled_video(d.message, d.subject, d.msg_id))

    async def avatar(d: Delivery[events_pb2.AvatarSettled]) -> None:
        event = d.subject.removeprefix("events.")  # avatar.ready | .failed | .rejected
        message = d.message
        at = (
            message.meta.occurred_at.ToDatetime(tzinfo=UTC)
            if message.meta.HasField("occurred_at")
            else utcnow()
        )
        await intake.take_avatar(
            event,
            message.meta.event_id or d.msg_id or "",
            message.avatar_id,
            message.owner_id,
            message.error,
            at,
        )

    async def archived(d: Delivery[events_pb2.FileArchived]) -> None:
        message = d.message
        at = (
            message.meta.occurred_at.ToDatetime(tzinfo=UTC)
            if message.meta.HasField("occurred_at")
            else utcnow()
        )
        await intake.take_file_archived(
            message.meta.event_id or d.msg_id or "",
            message.file_id,
            message.owner_id,
            message.kind,
            message.reason,
            at,
        )

    return [
        VIDEO_SETTLED.consumer(bus, settled),
        FILE_ARCHIVED.consumer(bus, archived),
        AVATAR_READY.consumer(bus, avatar),
        AVATAR_FAILED.consumer(bus, avatar),
        AVATAR_REJECTED.consumer(bus, avatar),
    ]


def settled_video(event: events_pb2.VideoSettled, subject: str, msg_id: str | None) -> SettledVideo:
    """The message as the intake reads it (its event id, else the message id)."""
    occurred_at = (
        event.meta.occurred_at.ToDatetime(tzinfo=UTC)
        if event.meta.HasField("occurred_at")
        else utcnow()
    )
    return SettledVideo(
        subject=subject,
        event_id=event.meta.event_id or msg_id or "",
        occurred_at=occurred_at,
        video_id=event.video_id,
        owner_id=event.owner_id,
        status=event.status,
        webhook_url=event.webhook_url,
        video_key=event.video_key,
        duration_seconds=event.duration_seconds,
        tier=TIER_FROM_PB.get(event.tier, Tier.AVATAR),
        error=event.error,
        actual_cost_micros=(
            event.actual_cost_micros if event.HasField("actual_cost_micros") else None
        ),
    )
