"""The files service's table, its outbox (``events.file.archived``) and every query on
them; rows come back as ``logic.StoredFile``.

``files``: one row per uploaded file; ``status`` is ready or archived (the object is
deleted from S3 then, the row kept so the id still answers, as archived);
``public_token`` is set while a public preview link is on; ``expires_at`` makes the
sweeper archive a temporary file.
"""

from __future__ import annotations

from dataclasses import asdict
from datetime import datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    Column,
    Float,
    Index,
    Integer,
    String,
    Table,
    Text,
    func,
    select,
    update,
)
from sqlalchemy.ext.asyncio import AsyncSession

from avatarmesh.db import UtcDateTime, service_metadata
from avatarmesh.ids import MAX_OWNER_ID_LENGTH
from avatarmesh.outbox import outbox_table
from services.files.logic import FileStatus, StoredFile

metadata = service_metadata()
outbox = outbox_table(metadata)

files = Table(
    "files",
    metadata,
    Column("id", String(64), primary_key=True),
    Column("owner_id", String(MAX_OWNER_ID_LENGTH), nullable=False),
    Column("kind", String(8), nullable=False),
    Column("content_type", String(100), nullable=False),
    Column("size_bytes", BigInteger(), nullable=False),
    Column("filename", String(255), nullable=False),
    Column("storage_key", Text(), nullable=False),
    Column("width", Integer(), nullable=False),
    Column("height", Integer(), nullable=False),
    Column("duration_seconds", Float(), nullable=False),
    Column("status", String(16), nullable=False),
    Column("public_token", String(64), nullable=True, unique=True),
    Column("created_at", UtcDateTime(), nullable=False),
    Column("expires_at", UtcDateTime(), nullable=True),
    Column("archived_at", UtcDateTime(), nullable=True),
    Index("ix_files_owner_id_created_at", "owner_id", "created_at"),
    Index("ix_files_status_expires_at", "status", "expires_at"),
)


def file_of(row: Any) -> StoredFile:
    return StoredFile(
        id=row.id,
        owner_id=row.owner_id,
        kind=row.kind,
        content_type=row.content_type,
        size_bytes=row.size_bytes,
        filename=row.filename,
        storage_key=row.storage_key,
        width=row.width,
        height=row.height,
        duration_seconds=row.duration_seconds,
        status=FileStatus(row.status),
        public_token=row.public_token,
        created_at=row.created_at,
        expires_at=row.expires_at,
        archived_at=row.archived_at,
    )


async def insert(session: AsyncSession, file: StoredFile) -> None:
    await session.execute(files.insert().values(**asdict(file)))


async def owned(session: AsyncSession, owner_id: str, file_id: str) -> StoredFile | None:
    """The owner's file, or None (missing or another owner's: the same answer)."""
    f = files.c
    query = select(files).where(f.id == file_id, f.owner_id == owner_id)
    row = (await session.execute(query)).first()
    return None if row is None else file_of(row)


async def by_token(session: AsyncSession, token: str) -> StoredFile | None:
    query = select(files).where(files.c.public_token == token)
    row = (await session.execute(query)).first()
    return None if row is None else file_of(row)


async def page(
    session: AsyncSession, owner_id: str, kind: str, archived: bool, offset: int, limit: int
) -> tuple[list[StoredFile], int]:
    """One page of the owner's files, newest first, and how many there are in all."""
    f = files.c
    where = [f.owner_id == owner_id]
    if kind:
        where.append(f.kind == kind)
    if not archived:
        where.append(f.status == FileStatus.READY)
    total = await session.scalar(select(func.count()).select_from(files).where(*where))
    query = (
        select(files).where(*where).order_by(f.created_at.desc(), f.id).offset(offset).limit(limit)
    )
    return [file_of(row) for row in (await session.execute(query)).all()], int(total or 0)


async def update_file(session: AsyncSession, file_id: str, **values: Any) -> None:
    await session.execute(update(files).where(files.c.id == file_id).values(**values))


async def expired(session: AsyncSession, now: datetime, limit: int) -> list[StoredFile]:
    f = files.c
    query = (
        select(files)
        .where(f.status == FileStatus.READY, f.expires_at.is_not(None), f.expires_at <= now)
        .order_by(f.expires_at)
        .limit(limit)
    )
    return [file_of(row) for row in (await session.execute(query)).all()]
