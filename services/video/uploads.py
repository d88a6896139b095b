"""The caller's uploaded audio (``uploads/<owner>/``) is deleted once no video needs
it: when the video settles (completed, failed, cancelled), when its avatar is deleted,
and, for audio this service fetched itself, when the submit fails."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass

from avatarmesh.db import Database
from avatarmesh.storage import Storage, is_upload_of
from services.video import store


@dataclass
class UploadedAudio:
    db: Database
    storage: Storage

    async def forget(self, owner_id: str, key: str) -> None:
        """Delete the caller's uploaded audio (a settled video or a rejected submit), so
        uploads do not pile up. Only keys under the owner's ``uploads/`` prefix are
        touched; a storage failure is logged, not raised."""
        if is_upload_of(owner_id, key):
            await self.storage.delete_quietly(key)

    async def forget_unless_used(self, owner_id: str, key: str) -> None:
        """``forget`` unless a video refers to ``key`` (an idempotent repeat or a lost
        race must not delete the audio of the video that won)."""
        if not key:
            return
        async with self.db.transaction() as session:
            used = await store.uses_audio(session, key)
        if not used:
            await self.forget(owner_id, key)

    @contextlib.asynccontextmanager
    async def forgotten_on_failure(self, owner_id: str, key: str) -> AsyncIterator[None]:
        """On an exception in the block, ``forget_unless_used(key)`` and re-raise."""
        try:
            yield
        except BaseException:
            await self.forget_unless_used(owner_id, key)
            raise
