"""What the files service consumes and publishes.

Consumed: ``events.video.completed`` (durable ``files-video-outputs``, standard
policy): a completed video's MP4 and poster are recorded as the owner's files
(``Files.record_output``; ids derived from the video's, so a redelivery finds them
recorded; temporary ones expire after ``files_output_ttl_seconds``).

Published: ``events.file.archived`` (through the outbox, in the transaction that
archives the file)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlalchemy.ext.asyncio import AsyncSession

from avatarmesh.bus import Bus, Delivery, event_meta
from avatarmesh.outbox import add_to_outbox
from avatarmesh.subscriptions import STANDARD, Background, Subscription
from avatarmesh.v1 import events_pb2
from services.files.logic import video_outputs
from services.files.store import outbox

if TYPE_CHECKING:
    from services.files.files import Files

ARCHIVED_SUBJECT = "events.file.archived"

VIDEO_COMPLETED = Subscription(
    "files-video-outputs", "events.video.completed", events_pb2.VideoSettled, STANDARD
)


def consumers(bus: Bus, files: Files, output_ttl_seconds: float) -> list[Background]:
    async def completed(d: Delivery[events_pb2.VideoSettled]) -> None:
        e = d.message
        if not (e.owner_id and e.video_id and e.video_key):
            return
        for output in video_outputs(
            e.owner_id, e.video_id, e.video_key, e.poster_key, e.output_temporary
        ):
            await files.record_output(output, output_ttl_seconds)

    return [VIDEO_COMPLETED.consumer(bus, completed)]


async def queue_archived(
    session: AsyncSession, file_id: str, owner_id: str, kind: str, reason: str
) -> None:
    await add_to_outbox(
        session,
        outbox,
        ARCHIVED_SUBJECT,
        events_pb2.FileArchived(
            meta=event_meta(), file_id=file_id, owner_id=owner_id, kind=kind, reason=reason
        ),
        msg_id=f"{file_id}:archived",
    )
