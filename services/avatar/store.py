"""The avatar service's tables (avatars, their voices, the outbox and the inbox) and
every query on them. Functions take the caller's session, so a rule decides what runs
in one transaction; rows come back as ``logic.Avatar`` and ``logic.Voice``."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Index,
    String,
    Table,
    Text,
    and_,
    delete,
    func,
    or_,
    select,
    update,
)
from sqlalchemy.ext.asyncio import AsyncSession

from avatarmesh.db import UtcDateTime, service_metadata
from avatarmesh.ids import MAX_OWNER_ID_LENGTH
from avatarmesh.labels import LIKE_ESCAPE, label_pattern, metadata_pattern
from avatarmesh.outbox import inbox_table, outbox_table
from services.avatar.logic import (
    ACTIVE,
    Avatar,
    AvatarStatus,
    HoldSettlement,
    ReviewStatus,
    Source,
    Stage,
    Voice,
)

metadata = service_metadata()
outbox = outbox_table(metadata)
inbox = inbox_table(metadata)

avatars = Table(
    "avatars",
    metadata,
    Column("id", String(64), primary_key=True),
    Column("owner_id", String(MAX_OWNER_ID_LENGTH), nullable=False),
    Column("name", String(60), nullable=False),
    Column("description", Text(), nullable=False, default=""),
    Column("language", String(8), nullable=False),
    Column("nationality", String(60), nullable=False, default=""),
    Column("gender", String(16), nullable=False, default=""),
    Column("accent", String(40), nullable=False, default=""),
    Column("source", String(16), nullable=False),
    # pending | processing | ready | failed
    Column("status", String(16), nullable=False),
    # "" | portrait | demo | voice | poses
    Column("stage", String(16), nullable=False, default=""),
    Column("is_system", Boolean(), nullable=False, default=False),
    Column("is_public", Boolean(), nullable=False, default=False),
    Column("portrait_key", String(512), nullable=False, default=""),
    Column("portrait_kind", String(16), nullable=False, default=""),
    # "" until ready | footage | still, and the reason (see Avatar.motion).
    Column("motion", String(16), nullable=False, default=""),
    Column("motion_reason", Text(), nullable=False, default=""),
    Column("demo_video_key", String(512), nullable=False, default=""),
    Column("tts_voice_id", String(64), nullable=False, default=""),
    Column("cost_micros", BigInteger(), nullable=False, default=0),
    Column("error", Text(), nullable=False, default=""),
    # The creation hold, and how it was settled: "" | captured | released.
    Column("hold_id", String(64), nullable=False, default=""),
    Column("settlement", String(16), nullable=False, default=""),
    # Client uploads the job read (uploads/<owner>/...), deleted once settled.
    Column("upload_keys", Text(), nullable=False, default=""),
    Column("created_at", UtcDateTime(), nullable=False),
    Column("updated_at", UtcDateTime(), nullable=False),
    Column("labels_json", Text(), nullable=False, default="[]"),
    Column("metadata_json", Text(), nullable=False, default="{}"),
    # Consent review: "" | pending | approved | rejected (see logic.ReviewStatus).
    Column("review_status", String(16), nullable=False, default=""),
    Column("consent_video_key", String(512), nullable=False, default=""),
    Column("consent_check_json", Text(), nullable=False, default="{}"),
    # The cloned voice of an avatar in review, stored as a voice once approved.
    Column("pending_voice_json", Text(), nullable=False, default=""),
    Index("ix_avatars_owner_created", "owner_id", "created_at"),
    Index("ix_avatars_status", "status"),
)

voices = Table(
    "voices",
    metadata,
    Column("id", String(64), primary_key=True),  # the tts_voice_id
    Column("avatar_id", String(64), nullable=False),
    Column("owner_id", String(MAX_OWNER_ID_LENGTH), nullable=False),
    Column("is_system", Boolean(), nullable=False, default=False),
    Column("language", String(8), nullable=False),
    Column("profile_json", Text(), nullable=False),
    Column("created_at", UtcDateTime(), nullable=False),
    Index("ix_voices_avatar", "avatar_id"),
)


def avatar_of(row: Any) -> Avatar:
    values = dict(row._mapping)
    values.update(
        source=Source(values["source"]),
        status=AvatarStatus(values["status"]),
        stage=Stage(values["stage"]),
        settlement=HoldSettlement(values["settlement"]),
        review_status=ReviewStatus(values["review_status"]),
    )
    return Avatar(**values)


def _visible(owner_id: str) -> Any:
    """The owner's avatars and the system ones."""
    return or_(avatars.c.owner_id == owner_id, avatars.c.is_system.is_(True))


async def insert(session: AsyncSession, avatar: Avatar) -> None:
    values = {name: getattr(avatar, name) for name in avatars.c.keys()}
    await session.execute(avatars.insert().values(**values))


async def get(session: AsyncSession, avatar_id: str) -> Avatar | None:
    row = (await session.execute(select(avatars).where(avatars.c.id == avatar_id))).first()
    return avatar_of(row) if row is not None else None


async def get_visible(session: AsyncSession, avatar_id: str, owner_id: str) -> Avatar | None:
    query = select(avatars).where(avatars.c.id == avatar_id, _visible(owner_id))
    row = (await session.execute(query)).first()
    return avatar_of(row) if row is not None else None


async def exists(session: AsyncSession, avatar_id: str) -> bool:
    return await session.scalar(select(avatars.c.id).where(avatars.c.id == avatar_id)) is not None


async def status_of(session: AsyncSession, avatar_id: str) -> AvatarStatus | None:
    status = await session.scalar(select(avatars.c.status).where(avatars.c.id == avatar_id))
    return AvatarStatus(status) if status is not None else None


async def page(
    session: AsyncSession,
    owner_id: str,
    page: int,
    limit: int,
    labels: Sequence[str] = (),
    metadata: Sequence[tuple[str, str]] = (),
) -> tuple[list[Avatar], int]:
    """One page of the owner's and the system avatars (the owner's first, newest first),
    only those carrying every label and metadata pair asked for."""
    where = and_(
        _visible(owner_id),
        *(avatars.c.labels_json.like(label_pattern(x), escape=LIKE_ESCAPE) for x in labels),
        *(
            avatars.c.metadata_json.like(metadata_pattern(k, v), escape=LIKE_ESCAPE)
            for k, v in metadata
        ),
    )
    total = await session.scalar(select(func.count()).select_from(avatars).where(where))
    rows = (
        await session.execute(
            select(avatars)
            .where(where)
            .order_by(avatars.c.is_system, avatars.c.created_at.desc(), avatars.c.id)
            .offset((page - 1) * limit)
            .limit(limit)
        )
    ).all()
    return [avatar_of(r) for r in rows], int(total or 0)


async def creations_waiting(session: AsyncSession) -> int:
    """Customer avatars pending or processing (system avatars do not count, nor those
    waiting for a human review: they use no worker)."""
    waiting = await session.scalar(
        select(func.count())
        .select_from(avatars)
        .where(
            avatars.c.status.in_([s.value for s in ACTIVE]),
            avatars.c.is_system.is_(False),
            avatars.c.stage != Stage.REVIEWING.value,
        )
    )
    return int(waiting or 0)


async def in_review(session: AsyncSession, limit: int) -> list[Avatar]:
    """Avatars of every owner waiting for a review decision, oldest first."""
    rows = (
        await session.execute(
            select(avatars)
            .where(
                avatars.c.status == AvatarStatus.PROCESSING.value,
                avatars.c.stage == Stage.REVIEWING.value,
            )
            .order_by(avatars.c.updated_at, avatars.c.id)
            .limit(limit)
        )
    ).all()
    return [avatar_of(r) for r in rows]


async def update_avatar(
    session: AsyncSession, avatar_id: str, now: datetime, **values: Any
) -> None:
    await session.execute(
        update(avatars).where(avatars.c.id == avatar_id).values(updated_at=now, **values)
    )


async def claim_review(
    session: AsyncSession, avatar_id: str, decision: ReviewStatus, now: datetime
) -> bool:
    """Record an operator's decision unless another one was recorded first: a
    conditional update, so two racing decisions cannot both pass (the second one's
    UPDATE re-reads the row once the first commits and matches nothing)."""
    result = await session.execute(
        update(avatars)
        .where(
            avatars.c.id == avatar_id,
            avatars.c.review_status.in_([ReviewStatus.PENDING.value, decision.value]),
        )
        .values(review_status=decision.value, updated_at=now)
    )
    return bool(getattr(result, "rowcount", 0))


async def delete_avatar(session: AsyncSession, avatar_id: str) -> None:
    """The avatar and its voice."""
    await session.execute(delete(voices).where(voices.c.avatar_id == avatar_id))
    await session.execute(delete(avatars).where(avatars.c.id == avatar_id))


async def replace_voice(session: AsyncSession, voice: Voice) -> None:
    await session.execute(delete(voices).where(voices.c.id == voice.id))
    await session.execute(
        voices.insert().values(
            id=voice.id,
            avatar_id=voice.avatar_id,
            owner_id=voice.owner_id,
            is_system=voice.is_system,
            language=voice.language,
            profile_json=voice.profile_json,
            created_at=voice.created_at,
        )
    )


async def owned_voices(session: AsyncSession, owner_id: str, language: str) -> list[Voice]:
    """The owner's cloned voices (oldest first), of ``language`` when given."""
    query = select(voices).where(voices.c.owner_id == owner_id, voices.c.is_system.is_(False))
    if language:
        query = query.where(voices.c.language == language)
    rows = (await session.execute(query.order_by(voices.c.created_at, voices.c.id))).all()
    return [Voice(**dict(row._mapping)) for row in rows]


async def voice_visible(session: AsyncSession, voice_id: str, owner_id: str) -> Voice | None:
    """The voice when it is the owner's or a system avatar's."""
    query = select(voices).where(
        voices.c.id == voice_id, or_(voices.c.owner_id == owner_id, voices.c.is_system.is_(True))
    )
    row = (await session.execute(query)).first()
    return Voice(**dict(row._mapping)) if row is not None else None
