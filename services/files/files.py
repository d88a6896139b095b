"""The files an owner has: record (after the content check), read, list, archive,
public preview links, and the sweeper that archives temporary files when they expire.

Archiving deletes the object and keeps the row, so the id answers ``archived`` and can
no longer be used as a media input; ``events.file.archived`` announces it.
"""

from __future__ import annotations

import asyncio
import logging
import secrets
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from sqlalchemy.ext.asyncio import AsyncSession

from avatarmesh.clock import utcnow
from avatarmesh.db import Database
from avatarmesh.errors import DomainError, ErrorCode
from avatarmesh.ids import IdPrefix, is_id
from avatarmesh.mediatypes import FILE_CAPS
from avatarmesh.outbox import OutboxRelay
from avatarmesh.storage import Storage, StorageError, StorageNotFound
from services.files import events, store
from services.files.logic import (
    FileStatus,
    Output,
    Probed,
    StoredFile,
    check_kind,
    file_key_prefix,
    not_found,
)
from services.files.probe import probe

log = logging.getLogger(__name__)

MAX_FILENAME = 255
SWEEP_BATCH = 100


@dataclass(frozen=True)
class NewFile:
    owner_id: str
    file_id: str
    storage_key: str
    kind: str
    content_type: str
    size_bytes: int
    filename: str
    expires_in_seconds: float = 0.0


@dataclass
class Files:
    db: Database
    storage: Storage
    relay: OutboxRelay | None
    clock: Callable[[], datetime] = utcnow

    async def create(self, new: NewFile) -> StoredFile:
        """Probe the stored object and record it; a bad one is deleted and refused."""
        _check_new(new)
        try:
            probed = await self._probe(new.storage_key, new.kind)
        except BaseException:
            await self.storage.delete_quietly(new.storage_key)
            raise
        content_type = new.content_type
        if probed.kind != new.kind:  # an MP4/WebM with sound only
            content_type = "audio/mp4" if content_type == "video/mp4" else "audio/webm"
        now = self.clock()
        expires = (
            now + timedelta(seconds=new.expires_in_seconds) if new.expires_in_seconds else None
        )
        made = StoredFile(
            id=new.file_id,
            owner_id=new.owner_id,
            kind=probed.kind,
            content_type=content_type,
            size_bytes=new.size_bytes,
            filename=new.filename,
            storage_key=new.storage_key,
            width=probed.width,
            height=probed.height,
            duration_seconds=probed.duration_seconds,
            status=FileStatus.READY,
            public_token=None,
            created_at=now,
            expires_at=expires,
            archived_at=None,
        )
        async with self.db.transaction() as session:
            await store.insert(session, made)
            return await _owned(session, new.owner_id, new.file_id)

    async def _probe(self, key: str, kind: str) -> Probed:
        return (await self._probe_sized(key, kind))[0]

    async def _probe_sized(self, key: str, kind: str) -> tuple[Probed, int]:
        """What the object is, and its size in bytes (``StorageNotFound`` when gone)."""
        with tempfile.TemporaryDirectory(prefix="avatarmesh-file-") as tmp:
            path = Path(tmp) / "upload"
            try:
                await self.storage.download(key, path)
            except StorageNotFound:
                raise
            except StorageError as exc:
                raise DomainError(ErrorCode.STORAGE_ERROR, f"reading the upload: {exc}") from None
            return await asyncio.to_thread(probe, path, kind), path.stat().st_size

    async def record_output(self, output: Output, ttl_seconds: float) -> StoredFile | None:
        """A finished job's output as the owner's file (a temporary one expires after
        ``ttl_seconds``); recorded before: that file. None when the object is gone (the
        video was deleted meanwhile)."""
        async with self.db.read() as session:
            found = await store.owned(session, output.owner_id, output.file_id)
        if found is not None:
            return found
        try:
            probed, size = await self._probe_sized(output.storage_key, output.kind)
        except StorageNotFound:
            log.info("output %s is gone; not recorded", output.storage_key)
            return None
        now = self.clock()
        made = StoredFile(
            id=output.file_id,
            owner_id=output.owner_id,
            kind=output.kind,
            content_type=output.content_type,
            size_bytes=size,
            filename=output.filename,
            storage_key=output.storage_key,
            width=probed.width,
            height=probed.height,
            duration_seconds=probed.duration_seconds,
            status=FileStatus.READY,
            public_token=None,
            created_at=now,
            expires_at=now + timedelta(seconds=ttl_seconds) if output.temporary else None,
            archived_at=None,
        )
        async with self.db.transaction() as session:
            if await store.owned(session, output.owner_id, output.file_id) is None:
                await store.insert(session, made)
            return await _owned(session, output.owner_id, output.file_id)

    async def get(self, owner_id: str, file_id: str) -> StoredFile:
        async with self.db.read() as session:
            return await _owned(session, owner_id, file_id)

    async def list_page(
        self, owner_id: str, kind: str, page: int, limit: int, archived: bool
    ) -> tuple[list[StoredFile], int, int, int]:
        check_kind(kind, allow_empty=True)
        page = max(page, 1)
        limit = 20 if limit <= 0 else min(limit, 100)
        async with self.db.read() as session:
            found, total = await store.page(
                session, owner_id, kind, archived, (page - 1) * limit, limit
            )
        return found, page, limit, total

    async def archive(self, owner_id: str, file_id: str, reason: str = "owner") -> StoredFile:
        """Archive (idempotent): the object goes, the row stays as ``archived``."""
        async with self.db.transaction() as session:
            found = await _owned(session, owner_id, file_id)
            if found.status != FileStatus.ARCHIVED:
                await store.update_file(
                    session,
                    file_id,
                    status=FileStatus.ARCHIVED,
                    archived_at=self.clock(),
                    public_token=None,
                )
                await events.queue_archived(session, file_id, owner_id, found.kind, reason)
            found = await _owned(session, owner_id, file_id)
        await self.storage.delete_quietly(found.storage_key)
        if self.relay is not None:
            self.relay.wake()
        return found

    async def set_public(self, owner_id: str, file_id: str, enabled: bool) -> StoredFile:
        async with self.db.transaction() as session:
            found = await _owned(session, owner_id, file_id)
            if enabled and found.status == FileStatus.ARCHIVED:
                raise DomainError(ErrorCode.FILE_ARCHIVED, f"file {file_id} is archived")
            if enabled and not found.public_token:
                await store.update_file(session, file_id, public_token=secrets.token_urlsafe(24))
            elif not enabled and found.public_token:
                await store.update_file(session, file_id, public_token=None)
            return await _owned(session, owner_id, file_id)

    async def by_token(self, token: str) -> StoredFile:
        async with self.db.read() as session:
            found = await store.by_token(session, token) if token else None
        if found is None or found.status != FileStatus.READY:
            raise DomainError(ErrorCode.NOT_FOUND, "no such public file")
        return found

    async def sweep(self) -> int:
        """Archive every temporary file past its ``expires_at``; how many."""
        async with self.db.read() as session:
            due = await store.expired(session, self.clock(), SWEEP_BATCH)
        for file in due:
            await self.archive(file.owner_id, file.id, reason="expired")
        return len(due)

    async def run_sweeper(self, every_s: float) -> None:
        while True:
            try:
                await self.sweep()
            except Exception:
                log.exception("archiving expired files failed")
            await asyncio.sleep(every_s)


async def _owned(session: AsyncSession, owner_id: str, file_id: str) -> StoredFile:
    """The owner's file; NOT_FOUND when it is missing or another owner's."""
    found = await store.owned(session, owner_id, file_id)
    if found is None:
        raise not_found(file_id)
    return found


def _check_new(new: NewFile) -> None:
    check_kind(new.kind)
    if not new.owner_id:
        raise DomainError(ErrorCode.VALIDATION_ERROR, "owner_id is required")
    if not is_id(new.file_id, IdPrefix.FILE):
        raise DomainError(ErrorCode.VALIDATION_ERROR, "file_id: not a file id")
    if not new.storage_key.startswith(file_key_prefix(new.owner_id)):
        raise DomainError(ErrorCode.VALIDATION_ERROR, "storage_key: not under the owner's files/")
    if not 0 < new.size_bytes <= FILE_CAPS[new.kind]:
        raise DomainError(ErrorCode.PAYLOAD_TOO_LARGE, f"a {new.kind} file is too large")
    if len(new.filename) > MAX_FILENAME:
        raise DomainError(ErrorCode.VALIDATION_ERROR, "filename: at most 255 characters")
    if new.expires_in_seconds < 0:
        raise DomainError(ErrorCode.VALIDATION_ERROR, "expires_in_seconds: not negative")
