"""The creation saga's settlement: the worker's stage, success and failure events move
an avatar to processing, ready or failed (the rules are in ``logic``'s docstring)."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from avatarmesh.clock import utcnow
from avatarmesh.db import Database
from avatarmesh.outbox import OutboxRelay, first_time
from avatarmesh.storage import Storage
from services.avatar import events, store
from services.avatar.avatars import delete_files
from services.avatar.logic import (
    ACTIVE,
    CREATION_FAILED_ERROR,
    Avatar,
    AvatarStatus,
    Created,
    HoldSettlement,
    Stage,
    Voice,
    is_later_stage,
    voice_id_for,
)
from services.avatar.store import inbox
from services.avatar.upstreams import Upstreams

log = logging.getLogger(__name__)


@dataclass
class CreationSaga:
    db: Database
    relay: OutboxRelay
    upstreams: Upstreams
    storage: Storage

    async def stage(self, msg_id: str, avatar_id: str, reported: Stage) -> None:
        """A creation reached ``reported``: the avatar is processing, at that stage."""
        async with self.db.transaction() as s:
            if not await first_time(s, inbox, msg_id):
                return
            avatar = await store.get(s, avatar_id)
            if avatar is None or avatar.status not in ACTIVE:
                return
            if not is_later_stage(avatar.stage, reported):
                return  # a late, older stage
            await store.update_avatar(
                s, avatar_id, utcnow(), status=AvatarStatus.PROCESSING, stage=reported
            )

    async def succeeded(self, msg_id: str, avatar_id: str, owner_id: str, created: Created) -> None:
        """Capture the hold, then store the voice and commit ``ready``."""

        async def commit(s: AsyncSession, avatar: Avatar) -> dict[str, Any]:
            voice_id = voice_id_for(avatar.id)
            await store.replace_voice(
                s,
                Voice(
                    id=voice_id,
                    avatar_id=avatar.id,
                    owner_id=avatar.owner_id,
                    is_system=avatar.is_system,
                    language=avatar.language,
                    profile_json=created.voice_profile_json,
                    created_at=utcnow(),
                ),
            )
            return {
                "status": AvatarStatus.READY,
                "portrait_key": created.portrait_key,
                "portrait_kind": created.portrait_kind,
                "motion": created.motion or "still",
                "motion_reason": created.motion_reason,
                "demo_video_key": created.demo_video_key,
                "tts_voice_id": voice_id,
            }

        async def deleted_meanwhile() -> None:
            # Deleted while it was being created: its files were written afterwards.
            await delete_files(self.storage, owner_id, avatar_id)

        await self._settle(
            msg_id, avatar_id, HoldSettlement.CAPTURED, commit, on_missing=deleted_meanwhile
        )

    async def failed(self, msg_id: str, avatar_id: str, error: str) -> None:
        """Release the hold, then commit ``failed`` with the error (nothing is charged)."""
        message = error or CREATION_FAILED_ERROR

        async def commit(s: AsyncSession, avatar: Avatar) -> dict[str, Any]:
            return {"status": AvatarStatus.FAILED, "error": message, "cost_micros": 0}

        await self._settle(msg_id, avatar_id, HoldSettlement.RELEASED, commit)

    async def _settle(
        self,
        msg_id: str,
        avatar_id: str,
        settlement: HoldSettlement,
        commit: Callable[[AsyncSession, Avatar], Awaitable[dict[str, Any]]],
        on_missing: Callable[[], Awaitable[None]] | None = None,
    ) -> None:
        """The one settle path: settle the hold (capture or release) unless done, then in
        one transaction (once per message) apply ``commit``'s values and announce the
        outcome; the creation's uploads are deleted afterwards."""
        async with self.db.transaction() as s:
            avatar = await store.get(s, avatar_id)
        if avatar is None:
            if on_missing is not None:
                await on_missing()
            return
        if avatar.status not in ACTIVE:
            return
        if avatar.hold_id and avatar.settlement is not settlement:
            capture = avatar.cost_micros if settlement is HoldSettlement.CAPTURED else None
            await self.upstreams.settle_hold(avatar.id, avatar.hold_id, capture)
        async with self.db.transaction() as s:
            if not await first_time(s, inbox, msg_id):
                return
            if await store.status_of(s, avatar.id) not in ACTIVE:
                return
            values = await commit(s, avatar)
            values.update(
                stage=Stage.NONE,
                settlement=settlement if avatar.hold_id else HoldSettlement.NONE,
            )
            await store.update_avatar(s, avatar.id, utcnow(), **values)
            settled = await store.get(s, avatar.id)
            assert settled is not None
            await events.queue_settled(s, settled)
        self.relay.wake()
        await self.storage.delete_quietly(*avatar.upload_keys.split(","))
