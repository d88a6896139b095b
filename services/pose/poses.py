"""The pose calls: CreatePose (hold, render, store, commit, capture), list, get, and
dropping an avatar's poses (the steps and the money rules are in ``logic``)."""

from __future__ import annotations

import asyncio
import json
import logging
from dataclasses import dataclass

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
        hold_id = await self.upstreams.hold(owner_id, price, pose_id)
        image_key = f"{avatar_prefix(avatar.owner_id, avatar.id)}poses/{pose_id}.jpg"
        try:
            portrait = await self._portrait(avatar.portrait_key)
            image, renderable, applied = await asyncio.to_thread(render_pose, portrait, prompt)
            sidecar_key = renderable_portrait_key(image_key)
            await self.storage.put_bytes(sidecar_key, renderable, "image/png")
            await self.storage.put_bytes(image_key, image, "image/jpeg")
            pose = Pose(
                id=pose_id,
                avatar_id=avatar.id,
                owner_id=owner_id,
                name=name,
                prompt=prompt,
                image_key=image_key,
                ready=True,
                is_base=False,
                cost_micros=price,
                applied_json=json.dumps(applied, default=str),
                hold_id=hold_id,
                created_at=utcnow(),
            )
            async with self.db.transaction() as s:
                await store.insert(s, pose)
        except BaseException:
            await self._undo(pose_id, hold_id, image_key)
            raise
        try:
            await self.upstreams.capture(hold_id, price, pose_id)
        except DomainError as exc:  # the hold expires on its own: free, never double
            log.error("capture of pose %s failed: %s", pose_id, exc)
        return pose

    async def _portrait(self, portrait_key: str) -> bytes:
        try:
            return await self.storage.get_portrait(portrait_key)
        except StorageError as exc:
            raise DomainError(
                ErrorCode.STORAGE_ERROR, f"reading the portrait failed: {exc}"
            ) from exc

    async def _undo(self, pose_id: str, hold_id: str, image_key: str) -> None:
        try:
            await self.upstreams.release(hold_id, pose_id)
        except Exception as exc:  # the sweeper expires it otherwise
            log.warning("release of pose hold %s failed: %s", pose_id, exc)
        for key in (image_key, renderable_portrait_key(image_key)):
            try:
                await self.storage.delete(key)
            except Exception as exc:
                log.warning("could not remove %s: %s", key, exc)

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
