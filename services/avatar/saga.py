"""The creation saga's settlement: the worker's stage, success and failure events move
an avatar to processing, ready or failed; with a consent clip, success moves it to the
review instead, and an operator's decision settles it (the rules are in ``logic``'s
docstring)."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from avatarmesh.clock import utcnow
from avatarmesh.db import Database
from avatarmesh.errors import DomainError, ErrorCode
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
    ReviewMode,
    ReviewStatus,
    Stage,
    Voice,
    automatic_rejection,
    check_reason,
    decision_needed,
    is_later_stage,
    rejection_message,
    review_after_creation,
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
    review_mode: ReviewMode = ReviewMode.MANUAL

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
        """Capture the hold, then store the voice and commit ``ready``; with a consent
        clip, wait for the review instead (or, in automatic mode on strong findings,
        reject at once)."""
        async with self.db.transaction() as s:
            avatar = await store.get(s, avatar_id)
        if avatar is not None and avatar.review_status is not ReviewStatus.NONE:
            outcome = review_after_creation(self.review_mode, created.consent_problems)
            if outcome is ReviewStatus.REJECTED:
                await self._reject(msg_id, avatar, automatic_rejection(created.consent_problems))
            else:
                await self._to_review(msg_id, avatar_id, created)
            return

        async def commit(s: AsyncSession, avatar: Avatar) -> dict[str, Any]:
            return {
                **made_fields(created),
                **await _store_voice(s, avatar, created.voice_profile_json),
            }

        async def deleted_meanwhile() -> None:
            # Deleted while it was being created: its files were written afterwards.
            await delete_files(self.storage, owner_id, avatar_id)

        await self._settle(
            msg_id, avatar_id, HoldSettlement.CAPTURED, commit, on_missing=deleted_meanwhile
        )

    async def _to_review(self, msg_id: str, avatar_id: str, created: Created) -> None:
        """The finished creation waits for an operator (hold open, files kept)."""
        async with self.db.transaction() as s:
            if not await first_time(s, inbox, msg_id):
                return
            if await store.status_of(s, avatar_id) not in ACTIVE:
                return
            fields = made_fields(created)
            fields.update(
                status=AvatarStatus.PROCESSING,
                stage=Stage.REVIEWING,
                review_status=ReviewStatus.PENDING,
                consent_video_key=created.consent_video_key,
                consent_check_json=created.consent_check_json,
                pending_voice_json=created.voice_profile_json,
            )
            await store.update_avatar(s, avatar_id, utcnow(), **fields)
        log.info("avatar %s waits for its consent review", avatar_id)

    async def decide(self, avatar_id: str, approve: bool, reason: str = "") -> Avatar:
        """An operator's decision on an avatar in review: approve (capture, ``ready``)
        or reject (release, ``rejected`` with the reason, files deleted). The decision
        is recorded first, so a competing opposite decision is refused; a retry of the
        same one finishes it (billing calls are idempotent by key)."""
        decision = ReviewStatus.APPROVED if approve else ReviewStatus.REJECTED
        reason = "" if approve else check_reason(reason)
        async with self.db.transaction() as s:
            avatar = await store.get(s, avatar_id)
            if avatar is None:
                raise DomainError(ErrorCode.NOT_FOUND, "Avatar not found")
            if decision_needed(avatar, decision) and not await store.claim_review(
                s, avatar_id, decision, utcnow()
            ):
                raise DomainError(
                    ErrorCode.AVATAR_NOT_IN_REVIEW, f"Avatar {avatar_id}: decided meanwhile"
                )
        if avatar.in_review:
            if approve:
                await self._approve(avatar)
            else:
                await self._reject(f"{avatar_id}:review", avatar, rejection_message(reason))
        async with self.db.transaction() as s:
            decided = await store.get(s, avatar_id)
        assert decided is not None
        return decided

    async def _approve(self, avatar: Avatar) -> None:
        async def commit(s: AsyncSession, current: Avatar) -> dict[str, Any]:
            fields = await _store_voice(s, current, current.pending_voice_json)
            return {**fields, "status": AvatarStatus.READY, "pending_voice_json": ""}

        await self._settle(f"{avatar.id}:review", avatar.id, HoldSettlement.CAPTURED, commit)

    async def _reject(self, msg_id: str, avatar: Avatar, message: str) -> None:
        """Release the hold, commit ``rejected`` with ``message``, delete the avatar's
        files (portrait, demo, the consent copy): without consent nothing is kept."""

        async def commit(s: AsyncSession, current: Avatar) -> dict[str, Any]:
            return {
                "status": AvatarStatus.REJECTED,
                "review_status": ReviewStatus.REJECTED,
                "error": message,
                "cost_micros": 0,
                "portrait_key": "",
                "demo_video_key": "",
                "consent_video_key": "",
                "pending_voice_json": "",
            }

        await self._settle(msg_id, avatar.id, HoldSettlement.RELEASED, commit)
        await delete_files(self.storage, avatar.owner_id, avatar.id)

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


def made_fields(created: Created) -> dict[str, Any]:
    """What the worker made, as the avatar row stores it."""
    return {
        "status": AvatarStatus.READY,
        "portrait_key": created.portrait_key,
        "portrait_kind": created.portrait_kind,
        "motion": created.motion or "still",
        "motion_reason": created.motion_reason,
        "demo_video_key": created.demo_video_key,
    }


async def _store_voice(s: AsyncSession, avatar: Avatar, profile_json: str) -> dict[str, Any]:
    """The avatar's voice row; the fields that point the avatar at it."""
    voice_id = voice_id_for(avatar.id)
    await store.replace_voice(
        s,
        Voice(
            id=voice_id,
            avatar_id=avatar.id,
            owner_id=avatar.owner_id,
            is_system=avatar.is_system,
            language=avatar.language,
            profile_json=profile_json,
            created_at=utcnow(),
        ),
    )
    return {"tts_voice_id": voice_id}
