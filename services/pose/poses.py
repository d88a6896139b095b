"""The pose calls: CreatePose (pending row, hold, render, store, ready, capture), list,
get, dropping an avatar's poses, and the settler that finishes what a killed process
left (the steps and the money rules are in ``logic``)."""

from __future__ import annotations

import asyncio
import json
import logging
from dataclasses import dataclass, replace
from datetime import timedelta

from avatarmesh.clock import utcnow
from avatarmesh.db import Database
from avatarmesh.errors import DomainError, ErrorCode
from avatarmesh.ids import IdPrefix, new_id
from avatarmesh.storage import Storage, StorageError, avatar_prefix, renderable_portrait_key
from services.pose import store
from services.pose.logic import (
    AvatarFacts,
    Pose,
    Upstreams,
    avatar_id_of_base,
    base_pose,
    render_pose,
    validate,
)

log = logging.getLogger(__name__)

# A pending row older than this was abandoned by a process that died mid-create (a
# render takes well under a second; this leaves room for a loaded machine).
ABANDONED_AFTER_S = 60.0
SETTLE_EVERY_S = 2.0


@dataclass
class Poses:
    db: Database
    upstreams: Upstreams
    storage: Storage

    async def _avatar(self, owner_id: str, avatar_id: str) -> AvatarFacts:
        if not avatar_id.startswith("av_"):
            raise DomainError(ErrorCode.NOT_FOUND, "Avatar not found")
        return await self.upstreams.avatar(owner_id, avatar_id)

    async def create(self, owner_id: str, avatar_id: str, prompt: str, name: str) -> Pose:
        prompt, name = validate(prompt, name)
        avatar = await self._avatar(owner_id, avatar_id)
        if not avatar.ready or not avatar.portrait_key:
            raise DomainError(
                ErrorCode.AVATAR_NOT_READY, "Avatar not in ready status (still processing)"
            )
        price = await self.upstreams.pose_price()
        pose_id = new_id(IdPrefix.POSE)
        image_key = f"{avatar_prefix(avatar.owner_id, avatar.id)}poses/{pose_id}.jpg"
        pose = Pose(
            id=pose_id,
            avatar_id=avatar.id,
            owner_id=owner_id,
            name=name,
            prompt=prompt,
            image_key=image_key,
            ready=False,
            is_base=False,
            cost_micros=price,
            applied_json="{}",
            created_at=utcnow(),
        )
        async with self.db.transaction() as s:
            await store.insert_pending(s, pose)
        hold_id = ""
        try:
            hold_id = await self.upstreams.hold(owner_id, price, pose_id)
            portrait = await self._portrait(avatar.portrait_key)
            image, renderable, applied = await asyncio.to_thread(render_pose, portrait, prompt)
            await self._store(image_key, image, renderable)
            pose = replace(
                pose, ready=True, hold_id=hold_id, applied_json=json.dumps(applied, default=str)
            )
            async with self.db.transaction() as s:
                await store.mark_ready(s, pose)
        except BaseException:
            await self._undo(pose_id, hold_id, image_key)
            raise
        await self._capture(pose)
        return pose

    async def _capture(self, pose: Pose) -> bool:
        """Capture a ready pose's hold (idempotent on its key) and remember that it is
        settled; False when billing could not answer (the settler tries again)."""
        try:
            await self.upstreams.capture(pose.hold_id, pose.cost_micros, pose.id)
        except DomainError as exc:
            if exc.code is ErrorCode.SERVICE_UNAVAILABLE:
                log.warning("capture of pose %s deferred: %s", pose.id, exc)
                return False
            # the hold is gone (expired or released): the pose stays free, never double
            log.error("capture of pose %s refused: %s", pose.id, exc)
        async with self.db.transaction() as s:
            await store.mark_captured(s, pose.id)
        return True

    async def settle(self) -> None:
        """Background task of every pose process: ``settle_once`` every few seconds."""
        while True:
            try:
                await self.settle_once()
            except DomainError as exc:
                log.warning("pose settler: %s", exc)
            await asyncio.sleep(SETTLE_EVERY_S)

    async def settle_once(self) -> int:
        """Capture ready poses whose capture is unconfirmed; undo poses left pending
        longer than a render can take. Returns how many it settled."""
        async with self.db.transaction() as s:
            uncaptured = await store.uncaptured(s)
            abandoned = await store.pending_before(
                s, utcnow() - timedelta(seconds=ABANDONED_AFTER_S)
            )
        settled = 0
        for pose in uncaptured:
            settled += await self._capture(pose)
        for pose in abandoned:
            await self._abandon(pose)
            settled += 1
        return settled

    async def _abandon(self, pose: Pose) -> None:
        """Release an abandoned pose's hold, found by its key (so a hold whose answer
        was lost is found too), and remove the pose."""
        try:
            hold_id = await self.upstreams.hold(pose.owner_id, pose.cost_micros, pose.id)
        except DomainError as exc:
            if exc.code is ErrorCode.SERVICE_UNAVAILABLE:
                raise
            hold_id = ""  # refused (a refused hold is not recorded): nothing to release
        log.warning("pose %s abandoned mid-create: releasing its hold", pose.id)
        await self._undo(pose.id, hold_id, pose.image_key)

    async def _store(self, image_key: str, image: bytes, renderable: bytes) -> None:
        """The pose image and its renderable sidecar; an unreachable store is
        STORAGE_ERROR (502) like reading the portrait, never an internal error (a 500
        that `make chaos` found with S3 killed mid-create)."""
        try:
            await self.storage.put_bytes(
                renderable_portrait_key(image_key), renderable, "image/png"
            )
            await self.storage.put_bytes(image_key, image, "image/jpeg")
        except StorageError as exc:
            raise DomainError(ErrorCode.STORAGE_ERROR, f"storing the pose failed: {exc}") from exc

    async def _portrait(self, portrait_key: str) -> bytes:
        try:
            return await self.storage.get_portrait(portrait_key)
        except StorageError as exc:
            raise DomainError(
                ErrorCode.STORAGE_ERROR, f"reading the portrait failed: {exc}"
            ) from exc

    async def _undo(self, pose_id: str, hold_id: str, image_key: str) -> None:
        """Release the hold, remove the images, then the row; when billing cannot
        answer the row stays pending and the settler tries again."""
        if hold_id:
            try:
                await self.upstreams.release(hold_id, pose_id)
            except Exception as exc:
                log.warning("release of pose hold %s failed: %s", pose_id, exc)
                return
        await self.storage.delete_quietly(image_key, renderable_portrait_key(image_key))
        try:
            async with self.db.transaction() as s:
                await store.delete_one(s, pose_id)
        except Exception as exc:
            log.warning("could not remove pose row %s: %s", pose_id, exc)

    async def list(self, owner_id: str, avatar_id: str) -> list[Pose]:
        """The base pose first, then the custom poses oldest first."""
        avatar = await self._avatar(owner_id, avatar_id)
        async with self.db.transaction() as s:
            custom = await store.of_avatar(s, avatar.id, owner_id)
        return [base_pose(avatar, owner_id), *custom]

    async def get(self, owner_id: str, pose_id: str) -> Pose:
        async with self.db.transaction() as s:
            pose = await store.get(s, pose_id, owner_id)
        if pose is not None:
            return pose
        if pose_id.startswith("ap_"):
            try:
                avatar = await self._avatar(owner_id, avatar_id_of_base(pose_id))
            except DomainError as exc:
                if exc.code is not ErrorCode.NOT_FOUND:
                    raise
            else:
                return base_pose(avatar, owner_id)
        raise DomainError(ErrorCode.NOT_FOUND, "Pose not found")

    async def delete_for_avatar(self, avatar_id: str) -> int:
        """Every pose of the avatar (its images go with the avatar's storage prefix)."""
        async with self.db.transaction() as s:
            return await store.delete_of_avatar(s, avatar_id)
