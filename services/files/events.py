"""What the files service publishes: ``events.file.archived`` (through the outbox, in
the transaction that archives the file). It consumes nothing."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from avatarmesh.bus import event_meta
from avatarmesh.outbox import add_to_outbox
from avatarmesh.subscriptions import Background
from avatarmesh.v1 import events_pb2
from services.files.store import outbox

ARCHIVED_SUBJECT = "events.file.archived"


def consumers() -> list[Background]:
    return []


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
