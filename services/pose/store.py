"""The pose service's table (custom poses; no outbox or inbox: it has no bus traffic) and
every query on it; rows come back as ``logic.Pose``.

A custom pose row is written ``pending`` before its hold is placed and becomes ``ready``
with its image; only ready rows are ever answered. ``captured`` is false until billing
confirmed the capture (or said the hold was gone): the settler in ``poses`` finishes
what a killed process left."""

from __future__ import annotations

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
    delete,
    select,
    true,
    update,
)
from sqlalchemy.ext.asyncio import AsyncSession

from avatarmesh.db import UtcDateTime, service_metadata
from avatarmesh.ids import MAX_OWNER_ID_LENGTH
from services.pose.logic import Pose, PoseStatus

metadata = service_metadata()

poses = Table(
    "poses",
    metadata,
    Column("id", String(64), primary_key=True),
    Column("avatar_id", String(64), nullable=False),
    Column("owner_id", String(MAX_OWNER_ID_LENGTH), nullable=False),
    Column("name", String(60), nullable=False),
    Column("prompt", Text(), nullable=False),
    Column("image_key", String(512), nullable=False),
    Column("status", String(16), nullable=False),
    Column("cost_micros", BigInteger(), nullable=False),
    Column("applied_json", Text(), nullable=False),
    Column("hold_id", String(64), nullable=False),
    Column("created_at", UtcDateTime(), nullable=False),
    # Rows before migration 0004 were settled one way or the other.
    Column("captured", Boolean(), nullable=False, server_default=true()),
    Index("ix_poses_avatar_owner", "avatar_id", "owner_id", "created_at"),
)


def pose_of(row: Any) -> Pose:
    return Pose(
        id=row.id,
        avatar_id=row.avatar_id,
        owner_id=row.owner_id,
        name=row.name,
        prompt=row.prompt,
        image_key=row.image_key,
        ready=row.status == PoseStatus.READY,
        is_base=False,
        cost_micros=row.cost_micros,
        applied_json=row.applied_json,
        hold_id=row.hold_id,
        created_at=row.created_at,
    )


async def insert_pending(session: AsyncSession, pose: Pose) -> None:
    """The row of a pose being created (ready, image and hold come with ``mark_ready``)."""
    await session.execute(
        poses.insert().values(
            id=pose.id,
            avatar_id=pose.avatar_id,
            owner_id=pose.owner_id,
            name=pose.name,
            prompt=pose.prompt,
            image_key=pose.image_key,
            status=PoseStatus.PENDING,
            cost_micros=pose.cost_micros,
            applied_json=pose.applied_json,
            hold_id=pose.hold_id,
            created_at=pose.created_at,
            captured=False,
        )
    )


async def mark_ready(session: AsyncSession, pose: Pose) -> None:
    await session.execute(
        update(poses)
        .where(poses.c.id == pose.id)
        .values(status=PoseStatus.READY, hold_id=pose.hold_id, applied_json=pose.applied_json)
    )


async def mark_captured(session: AsyncSession, pose_id: str) -> None:
    await session.execute(update(poses).where(poses.c.id == pose_id).values(captured=True))


async def uncaptured(session: AsyncSession) -> list[Pose]:
    """Ready poses whose capture billing has not confirmed."""
    query = select(poses).where(poses.c.status == PoseStatus.READY, poses.c.captured.is_(False))
    return [pose_of(row) for row in (await session.execute(query)).all()]


async def pending_before(session: AsyncSession, before: datetime) -> list[Pose]:
    """Poses still pending that were started before ``before`` (abandoned)."""
    query = select(poses).where(poses.c.status == PoseStatus.PENDING, poses.c.created_at < before)
    return [pose_of(row) for row in (await session.execute(query)).all()]


async def delete_one(session: AsyncSession, pose_id: str) -> None:
    await session.execute(delete(poses).where(poses.c.id == pose_id))


async def get(session: AsyncSession, pose_id: str, owner_id: str) -> Pose | None:
    query = select(poses).where(
        poses.c.id == pose_id, poses.c.owner_id == owner_id, poses.c.status == PoseStatus.READY
    )
    row = (await session.execute(query)).first()
    return pose_of(row) if row is not None else None


async def of_avatar(session: AsyncSession, avatar_id: str, owner_id: str) -> list[Pose]:
    query = (
        select(poses)
        .where(
            poses.c.avatar_id == avatar_id,
            poses.c.owner_id == owner_id,
            poses.c.status == PoseStatus.READY,
        )
        .order_by(poses.c.created_at, poses.c.id)
    )
    return [pose_of(row) for row in (await session.execute(query)).all()]


async def delete_of_avatar(session: AsyncSession, avatar_id: str) -> int:
    result = await session.execute(delete(poses).where(poses.c.avatar_id == avatar_id))
    return int(result.rowcount)  # type: ignore[attr-defined]
