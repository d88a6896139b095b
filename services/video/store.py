"""The video service's tables (videos, canaries, the outbox and the inbox) and every
query on them. Functions take the caller's session, so a rule decides what runs in
one transaction; rows come back as ``logic.Video``."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Float,
    Index,
    Integer,
    String,
    Table,
    Text,
    UniqueConstraint,
    and_,
    false,
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
from avatarmesh.tiers import Tier
from services.video.logic import (
    ACTIVE,
    RUNNING,
    Canary,
    CanaryStatus,
    Settlement,
    Video,
    VideoStatus,
)

metadata = service_metadata()
outbox = outbox_table(metadata)
inbox = inbox_table(metadata)

canaries = Table(
    "canaries",
    metadata,
    Column("id", String(40), primary_key=True),
    Column("status", String(16), nullable=False),
    Column("worker", String(120), nullable=False, default=""),
    Column("created_at", UtcDateTime(), nullable=False),
    Column("completed_at", UtcDateTime(), nullable=True),
    Column("round_trip_ms", Float, nullable=True),
)


videos = Table(
    "videos",
    metadata,
    Column("id", String(40), primary_key=True),
    Column("owner_id", String(MAX_OWNER_ID_LENGTH), nullable=False),
    Column("avatar_id", String(40), nullable=False),
    Column("pose_id", String(40), nullable=False, default=""),
    Column("tier", String(16), nullable=False),
    Column("status", String(16), nullable=False),
    Column("text", Text, nullable=False, default=""),
    Column("audio_key", String(512), nullable=False, default=""),
    Column("video_prompt", Text, nullable=False, default=""),
    Column("webhook_url", Text, nullable=False, default=""),
    Column("language", String(8), nullable=False, default=""),
    Column("resolution", Integer, nullable=False),
    Column("fps", Integer, nullable=False),
    Column("estimated_seconds", Float, nullable=False),
    Column("rate_micros_per_second", BigInteger, nullable=False),
    Column("hold_id", String(40), nullable=False),
    Column("cost_micros", BigInteger, nullable=False),
    Column("actual_seconds", Float, nullable=True),
    Column("actual_cost_micros", BigInteger, nullable=True),
    Column("video_key", String(512), nullable=False, default=""),
    Column("poster_key", String(512), nullable=False, default=""),
    Column("error", Text, nullable=False, default=""),
    Column("progress", Float, nullable=False, default=0.0),
    Column("output_format", String(8), nullable=False, default="url"),
    Column("idempotency_key", String(255), nullable=True),
    Column("created_at", UtcDateTime(), nullable=False),
    Column("updated_at", UtcDateTime(), nullable=False),
    Column("completed_at", UtcDateTime(), nullable=True),
    Column("kind", String(16), nullable=False, default="avatar", server_default="avatar"),
    Column("studio_json", Text, nullable=False, default="", server_default=""),
    Column("result_json", Text, nullable=False, default="", server_default=""),
    Column("labels_json", Text, nullable=False, default="[]", server_default="[]"),
    Column("metadata_json", Text, nullable=False, default="{}", server_default="{}"),
    Column("output_temporary", Boolean, nullable=False, default=False, server_default=false()),
    UniqueConstraint("owner_id", "idempotency_key", name="uq_videos_owner_idempotency"),
    Index("ix_videos_owner_created", "owner_id", "created_at"),
    Index("ix_videos_status", "status"),
)


# Every avatar a video shows: an avatar video's one, each avatar scene's of a studio
# video (the videos row keeps only the first), so deleting an avatar finds them all.
video_avatars = Table(
    "video_avatars",
    metadata,
    Column("video_id", String(40), primary_key=True),
    Column("avatar_id", String(40), primary_key=True),
    Column("owner_id", String(MAX_OWNER_ID_LENGTH), nullable=False),
    Index("ix_video_avatars_owner_avatar", "owner_id", "avatar_id"),
)


def video_of(row: Any) -> Video:
    values = dict(row._mapping)
    values["tier"] = Tier(values["tier"])
    values["status"] = VideoStatus(values["status"])
    return Video(**values)


async def insert(session: AsyncSession, video: Video, shows: Iterable[str] = ()) -> None:
    """The video's row, and a link to every avatar it shows (``video.avatar_id`` and
    ``shows``: a studio video's scene avatars)."""
    values = {name: getattr(video, name) for name in videos.c.keys()}
    await session.execute(videos.insert().values(**values))
    avatar_ids = sorted({video.avatar_id, *shows} - {""})
    if avatar_ids:
        links = [
            {"video_id": video.id, "avatar_id": a, "owner_id": video.owner_id} for a in avatar_ids
        ]
        await session.execute(video_avatars.insert(), links)


async def get(session: AsyncSession, video_id: str, owner_id: str | None = None) -> Video | None:
    """The video (None when missing, or when ``owner_id`` is given and not its owner)."""
    query = select(videos).where(videos.c.id == video_id)
    if owner_id is not None:
        query = query.where(videos.c.owner_id == owner_id)
    row = (await session.execute(query)).first()
    return video_of(row) if row is not None else None


async def require(session: AsyncSession, video_id: str) -> Video:
    """A video this transaction knows exists (just written or locked)."""
    video = await get(session, video_id)
    assert video is not None, video_id
    return video


async def by_idempotency_key(session: AsyncSession, owner_id: str, key: str) -> Video | None:
    query = select(videos).where(videos.c.owner_id == owner_id, videos.c.idempotency_key == key)
    row = (await session.execute(query)).first()
    return video_of(row) if row is not None else None


async def page(
    session: AsyncSession,
    owner_id: str,
    page: int,
    limit: int,
    kind: str = "avatar",
    labels: Sequence[str] = (),
    metadata: Sequence[tuple[str, str]] = (),
) -> tuple[list[Video], int]:
    """One page of the owner's videos of ``kind``, newest first, and how many there
    are in all (only those with every label and metadata pair asked for)."""
    mine = and_(
        videos.c.owner_id == owner_id,
        videos.c.kind == kind,
        *(videos.c.labels_json.like(label_pattern(x), escape=LIKE_ESCAPE) for x in labels),
        *(
            videos.c.metadata_json.like(metadata_pattern(k, v), escape=LIKE_ESCAPE)
            for k, v in metadata
        ),
    )
    total = await session.scalar(select(func.count()).select_from(videos).where(mine))
    rows = (
        await session.execute(
            select(videos)
            .where(mine)
            .order_by(videos.c.created_at.desc(), videos.c.id.desc())
            .offset((page - 1) * limit)
            .limit(limit)
        )
    ).all()
    return [video_of(r) for r in rows], int(total or 0)


async def of_avatar(session: AsyncSession, owner_id: str, avatar_id: str) -> list[Video]:
    """Every video of the owner's that shows the avatar, in any scene. Videos made
    before the links existed are found by their first avatar."""
    shown = select(video_avatars.c.video_id).where(
        video_avatars.c.owner_id == owner_id, video_avatars.c.avatar_id == avatar_id
    )
    query = select(videos).where(
        videos.c.owner_id == owner_id,
        or_(videos.c.avatar_id == avatar_id, videos.c.id.in_(shown)),
    )
    return [video_of(r) for r in (await session.execute(query)).all()]


async def active_counts(session: AsyncSession, owner_id: str) -> tuple[int, int]:
    """(the owner's, the whole mesh's) videos queued, rendering or settling."""
    active = videos.c.status.in_([s.value for s in ACTIVE])
    mine = await session.scalar(
        select(func.count()).select_from(videos).where(videos.c.owner_id == owner_id, active)
    )
    total = await session.scalar(select(func.count()).select_from(videos).where(active))
    return int(mine or 0), int(total or 0)


async def uses_audio(session: AsyncSession, key: str) -> bool:
    """Whether any video refers to the uploaded audio at ``key``."""
    used = await session.scalar(
        select(func.count()).select_from(videos).where(videos.c.audio_key == key)
    )
    return bool(used)


def _running(video_id: str) -> Any:
    return (videos.c.id == video_id) & videos.c.status.in_([s.value for s in RUNNING])


async def cancel(session: AsyncSession, video_id: str, error: str, now: datetime) -> bool:
    """queued/processing -> cancelled; False when the video had already moved on."""
    changed = await session.execute(
        update(videos)
        .where(_running(video_id))
        .values(status=VideoStatus.CANCELLED, error=error, updated_at=now, completed_at=now)
    )
    return bool(changed.rowcount == 1)  # type: ignore[attr-defined]


async def record_progress(
    session: AsyncSession, video_id: str, progress: float, now: datetime
) -> None:
    """A running video is processing, its progress only moves forward."""
    await session.execute(
        update(videos)
        .where(_running(video_id), videos.c.progress <= progress)
        .values(status=VideoStatus.PROCESSING, progress=progress, updated_at=now)
    )


async def claim(session: AsyncSession, video_id: str, now: datetime) -> Video | None:
    """Move a running video to settling; the video as it is then (None: unknown)."""
    await session.execute(
        update(videos).where(_running(video_id)).values(status=VideoStatus.SETTLING, updated_at=now)
    )
    return await get(session, video_id)


async def settle(session: AsyncSession, video_id: str, outcome: Settlement, now: datetime) -> Video:
    """settling -> completed/failed with what the render produced; the settled video."""
    values: dict[str, Any] = {
        "status": outcome.status,
        "error": outcome.error,
        "actual_cost_micros": outcome.actual_cost_micros,
        "updated_at": now,
        "completed_at": now,
    }
    if outcome.status is VideoStatus.COMPLETED:
        values.update(
            video_key=outcome.video_key,
            poster_key=outcome.poster_key,
            actual_seconds=outcome.actual_seconds,
            progress=1.0,
            result_json=outcome.result_json,
        )
    await session.execute(
        update(videos)
        .where(videos.c.id == video_id, videos.c.status == VideoStatus.SETTLING)
        .values(**values)
    )
    return await require(session, video_id)


async def insert_canary(session: AsyncSession, canary_id: str, now: datetime) -> None:
    await session.execute(
        canaries.insert().values(
            id=canary_id, status=CanaryStatus.QUEUED, worker="", created_at=now
        )
    )


async def get_canary(session: AsyncSession, canary_id: str) -> Canary | None:
    row = (await session.execute(select(canaries).where(canaries.c.id == canary_id))).first()
    if row is None:
        return None
    return Canary(
        id=row.id,
        status=CanaryStatus(row.status),
        worker=row.worker,
        round_trip_ms=row.round_trip_ms or 0.0,
    )


async def complete_canary(
    session: AsyncSession, canary_id: str, worker: str, now: datetime
) -> None:
    """The canary is completed, with its round trip (nothing when it is unknown)."""
    created = await session.scalar(select(canaries.c.created_at).where(canaries.c.id == canary_id))
    if created is None:
        return
    await session.execute(
        update(canaries)
        .where(canaries.c.id == canary_id)
        .values(
            status=CanaryStatus.COMPLETED,
            worker=worker,
            completed_at=now,
            round_trip_ms=(now - created).total_seconds() * 1000,
        )
    )
