"""What the avatar service consumes and publishes on the bus.

Consumed: the creation saga's events, one durable per subject (one message type each),
all with the settlement policy (its delivery count from ``avatar_event_max_deliver``):

| durable | subject |
|---|---|
| ``avatar-creation-stage`` | ``events.creation.stage`` |
| ``avatar-creation-succeeded`` | ``events.creation.succeeded`` |
| ``avatar-creation-failed`` | ``events.creation.failed`` |

Published through the outbox: ``jobs.avatar.create`` (a creation for the worker),
``events.avatar.ready|failed|rejected`` (a settled creation; rejected: by the consent
review) and ``events.avatar.deleted`` (the
video service deletes the avatar's videos).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from google.protobuf import json_format
from sqlalchemy.ext.asyncio import AsyncSession

from avatarmesh.bus import Bus, Delivery, event_meta
from avatarmesh.outbox import add_to_outbox
from avatarmesh.storage import avatar_prefix
from avatarmesh.subscriptions import SETTLEMENT, Background, RetryPolicy, Subscription
from avatarmesh.v1 import avatar_pb2, common_pb2, events_pb2, jobs_pb2
from services.avatar.logic import Avatar, AvatarStatus, Created, Media, Source, Stage, seed_for
from services.avatar.store import outbox

if TYPE_CHECKING:
    from services.avatar.saga import CreationSaga

# -- consumed ----------------------------------------------------------------------

CREATION_STAGE = Subscription(
    "avatar-creation-stage", "events.creation.stage", events_pb2.AvatarStageChanged, SETTLEMENT
)
CREATION_SUCCEEDED = Subscription(
    "avatar-creation-succeeded",
    "events.creation.succeeded",
    events_pb2.AvatarCreationSucceeded,
    SETTLEMENT,
)
CREATION_FAILED = Subscription(
    "avatar-creation-failed", "events.creation.failed", events_pb2.AvatarCreationFailed, SETTLEMENT
)

STAGE_FROM_PB = {
    avatar_pb2.AVATAR_STAGE_PORTRAIT: Stage.PORTRAIT,
    avatar_pb2.AVATAR_STAGE_DEMO: Stage.DEMO,
    avatar_pb2.AVATAR_STAGE_VOICE: Stage.VOICE,
    avatar_pb2.AVATAR_STAGE_POSES: Stage.POSES,
    avatar_pb2.AVATAR_STAGE_VIDEO_VALIDATING: Stage.VIDEO_VALIDATING,
}


def consumers(bus: Bus, saga: CreationSaga, max_deliver: int) -> list[Background]:
    """The saga's subscriptions bound to its handlers (messages unpacked here; the
    inbox id is the message id, else the event id)."""
    policy: RetryPolicy = SETTLEMENT.with_max_deliver(max_deliver)

    async def stage(d: Delivery[events_pb2.AvatarStageChanged]) -> None:
        reported = STAGE_FROM_PB.get(d.message.stage)
        if reported is not None:
            await saga.stage(d.msg_id or d.message.meta.event_id, d.message.avatar_id, reported)

    async def succeeded(d: Delivery[events_pb2.AvatarCreationSucceeded]) -> None:
        e = d.message
        created = Created(
            portrait_key=e.portrait_key,
            portrait_kind=e.portrait_kind,
            motion=e.motion,
            motion_reason=e.motion_reason,
            demo_video_key=e.demo_video_key,
            voice_profile_json=e.voice_profile_json,
            consent_video_key=e.consent_video_key,
            consent_check_json=json_format.MessageToJson(e.consent_check, indent=None),
            consent_problems=tuple(e.consent_check.problems),
        )
        await saga.succeeded(d.msg_id or e.meta.event_id, e.avatar_id, e.owner_id, created)

    async def failed(d: Delivery[events_pb2.AvatarCreationFailed]) -> None:
        e = d.message
        await saga.failed(d.msg_id or e.meta.event_id, e.avatar_id, e.error)

    return [
        CREATION_STAGE.consumer(bus, stage, policy=policy),
        CREATION_SUCCEEDED.consumer(bus, succeeded, policy=policy),
        CREATION_FAILED.consumer(bus, failed, policy=policy),
    ]


# -- published ---------------------------------------------------------------------

CREATE_SUBJECT = "jobs.avatar.create"
STATUS_TO_PB = {
    AvatarStatus.PENDING: avatar_pb2.AVATAR_STATUS_PENDING,
    AvatarStatus.PROCESSING: avatar_pb2.AVATAR_STATUS_PROCESSING,
    AvatarStatus.READY: avatar_pb2.AVATAR_STATUS_READY,
    AvatarStatus.FAILED: avatar_pb2.AVATAR_STATUS_FAILED,
    AvatarStatus.REJECTED: avatar_pb2.AVATAR_STATUS_REJECTED,
}


def _media_pb(media: Media) -> common_pb2.MediaInput:
    if media.storage_key:
        return common_pb2.MediaInput(storage_key=media.storage_key, content_type=media.content_type)
    return common_pb2.MediaInput(https_url=media.https_url, content_type=media.content_type)


async def queue_creation(
    session: AsyncSession,
    avatar: Avatar,
    ref_image: Media | None = None,
    source_video: Media | None = None,
    consent_video: Media | None = None,
) -> None:
    """``jobs.avatar.create`` for a new avatar, in the caller's transaction."""
    job = jobs_pb2.AvatarCreationJob(
        avatar_id=avatar.id,
        owner_id=avatar.owner_id,
        source=avatar.source.value,
        name=avatar.name,
        description=avatar.description,
        language=avatar.language,
        nationality=avatar.nationality,
        gender=avatar.gender,
        accent=avatar.accent,
        seed=seed_for(avatar.id),
        storage_prefix=avatar_prefix(avatar.owner_id, avatar.id),
    )
    if ref_image is not None and avatar.source is not Source.VIDEO:
        job.ref_image.CopyFrom(_media_pb(ref_image))
    if source_video is not None:
        job.source_video.CopyFrom(_media_pb(source_video))
    if consent_video is not None:
        job.consent_video.CopyFrom(_media_pb(consent_video))
    await add_to_outbox(session, outbox, CREATE_SUBJECT, job, msg_id=f"{avatar.id}:job")


async def queue_settled(session: AsyncSession, avatar: Avatar) -> None:
    """``events.avatar.ready|failed`` for a creation that just settled."""
    await add_to_outbox(
        session,
        outbox,
        f"events.avatar.{avatar.status.value}",
        events_pb2.AvatarSettled(
            meta=event_meta(),
            avatar_id=avatar.id,
            owner_id=avatar.owner_id,
            status=STATUS_TO_PB[avatar.status],
            error=avatar.error,
        ),
        msg_id=f"{avatar.id}:settled",
    )


async def queue_deleted(session: AsyncSession, owner_id: str, avatar_id: str) -> None:
    """``events.avatar.deleted``: the video service deletes the avatar's videos."""
    await add_to_outbox(
        session,
        outbox,
        "events.avatar.deleted",
        events_pb2.AvatarDeleted(meta=event_meta(), avatar_id=avatar_id, owner_id=owner_id),
        msg_id=f"{avatar_id}:deleted",
    )
