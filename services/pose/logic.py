"""The pose rules: the free base pose, paid custom poses rendered on the spot.

CreatePose is synchronous (the contract answers 201 with the ready pose). Rendering a
pose is one pure call into ``avatarmedia.pose.apply_pose`` that takes well under a
second on a CPU, so this service renders it itself (in a thread) rather than queueing
a job and waiting for the answer: fewer moving parts, the same result.

Money: hold the pose price (purpose POSE, key ``<pose>:hold``; billing applies the
daily cap) -> render and store -> commit the pose row -> capture (``<pose>:capture``).
Any failure before the commit releases the hold (``<pose>:release``) and removes what
was stored. A crash between the commit and the capture leaves the hold to billing's
sweeper, which expires it: the pose is then free, never charged twice.

The base pose is not stored: it is derived from the avatar (id ``ap_`` + the avatar
id's body, image = the portrait, cost 0) and listed first.
"""

from __future__ import annotations

import asyncio
import io
import json
import logging
from dataclasses import dataclass
from typing import Any

from PIL import Image
from sqlalchemy import delete, select

from avatarmesh.clock import utcnow
from avatarmesh.db import Database
from avatarmesh.errors import DomainError, ErrorCode
from avatarmesh.ids import IdPrefix, new_id
from avatarmesh.storage import Storage, StorageError, avatar_prefix, renderable_portrait_key
from avatarmesh.v1 import (
    avatar_pb2,
    avatar_pb2_grpc,
    billing_pb2,
    billing_pb2_grpc,
    pose_pb2,
)
from services.pose.store import poses

log = logging.getLogger(__name__)

MAX_PROMPT = 600
MAX_NAME = 60
DEFAULT_NAME = "Pose"
BASE_NAME = "Base Portrait"


def base_pose_id(avatar_id: str) -> str:
    """The base pose's id: ``ap_`` + the avatar id's body (stable, reversible)."""
    return "ap_" + avatar_id.split("_", 1)[-1]


def avatar_id_of_base(pose_id: str) -> str:
    return "av_" + pose_id.split("_", 1)[-1]


def validate(prompt: str, name: str) -> tuple[str, str]:
    """(prompt, name) as stored, or VALIDATION_ERROR naming the field."""
    prompt = prompt.strip()
    if not prompt:
        raise DomainError(ErrorCode.VALIDATION_ERROR, "prompt: required (1-600 characters)")
    if len(prompt) > MAX_PROMPT:
        raise DomainError(ErrorCode.VALIDATION_ERROR, "prompt: too long (max 600 characters)")
    name = name.strip() or DEFAULT_NAME
    if len(name) > MAX_NAME:
        raise DomainError(ErrorCode.VALIDATION_ERROR, "name: too long (max 60 characters)")
    return prompt, name


def base_pose(avatar: avatar_pb2.Avatar, owner_id: str) -> pose_pb2.Pose:
    ready = avatar.status == avatar_pb2.AVATAR_STATUS_READY
    pose = pose_pb2.Pose(
        id=base_pose_id(avatar.id),
        avatar_id=avatar.id,
        owner_id=owner_id,
        name=BASE_NAME,
        image_key=avatar.portrait_key,
        status=pose_pb2.POSE_STATUS_READY if ready else pose_pb2.POSE_STATUS_PENDING,
        is_base=True,
        cost_micros=0,
    )
    pose.created_at.CopyFrom(avatar.created_at)
    return pose


def to_proto(row: Any) -> pose_pb2.Pose:
    pose = pose_pb2.Pose(
        id=row.id,
        avatar_id=row.avatar_id,
        owner_id=row.owner_id,
        name=row.name,
        prompt=row.prompt,
        image_key=row.image_key,
        status=pose_pb2.POSE_STATUS_READY,
        is_base=False,
        cost_micros=row.cost_micros,
        applied_json=row.applied_json,
    )
    pose.created_at.FromDatetime(row.created_at)
    return pose


def render_pose(portrait_bytes: bytes, prompt: str) -> tuple[bytes, bytes, dict[str, Any]]:
    """The blocking part: (JPEG, renderable portrait bytes, what was applied)."""
    from avatarmedia.errors import MediaInputError
    from avatarmedia.portrait import Portrait
    from avatarmedia.pose import apply_pose

    try:
        posed, applied = apply_pose(Portrait.from_bytes(portrait_bytes), prompt)
    except MediaInputError as exc:
        raise DomainError(ErrorCode.VALIDATION_ERROR, str(exc)) from exc
    buffer = io.BytesIO()
    Image.fromarray(posed.image).convert("RGB").save(buffer, format="JPEG", quality=90)
    return buffer.getvalue(), posed.to_bytes(), dict(applied)


@dataclass
class Poses:
    db: Database
    avatars: avatar_pb2_grpc.AvatarServiceStub
    billing: billing_pb2_grpc.BillingServiceStub
    storage: Storage

    async def _avatar(self, owner_id: str, avatar_id: str) -> avatar_pb2.Avatar:
        if not avatar_id.startswith("av_"):
            raise DomainError(ErrorCode.NOT_FOUND, "Avatar not found")
        avatar: avatar_pb2.Avatar = await self.avatars.GetAvatar(
            avatar_pb2.GetAvatarRequest(owner_id=owner_id, avatar_id=avatar_id)
        )
        return avatar

    async def create(self, req: pose_pb2.CreatePoseRequest) -> pose_pb2.Pose:
        prompt, name = validate(req.prompt, req.name)
        avatar = await self._avatar(req.owner_id, req.avatar_id)
        if avatar.status != avatar_pb2.AVATAR_STATUS_READY or not avatar.portrait_key:
            raise DomainError(
                ErrorCode.AVATAR_NOT_READY, "Avatar not in ready status (still processing)"
            )
        price = await self.billing.GetPriceBook(billing_pb2.GetPriceBookRequest())
        pose_id = new_id(IdPrefix.POSE)
        hold = await self.billing.Hold(
            billing_pb2.HoldRequest(
                owner_id=req.owner_id,
                amount_micros=price.pose_micros,
                idempotency_key=f"{pose_id}:hold",
                purpose=billing_pb2.CHARGE_PURPOSE_POSE,
                reference=pose_id,
            )
        )
        prefix = avatar_prefix(avatar.owner_id, avatar.id) + "poses/"
        image_key = f"{prefix}{pose_id}.jpg"
        try:
            portrait = await self._portrait(avatar.portrait_key)
            image, renderable, applied = await asyncio.to_thread(render_pose, portrait, prompt)
            sidecar_key = renderable_portrait_key(image_key)
            await self.storage.put_bytes(sidecar_key, renderable, "image/png")
            await self.storage.put_bytes(image_key, image, "image/jpeg")
            row = {
                "id": pose_id,
                "avatar_id": avatar.id,
                "owner_id": req.owner_id,
                "name": name,
                "prompt": prompt,
                "image_key": image_key,
                "status": "ready",
                "cost_micros": price.pose_micros,
                "applied_json": json.dumps(applied, default=str),
                "hold_id": hold.id,
                "created_at": utcnow(),
            }
            async with self.db.transaction() as s:
                await s.execute(poses.insert().values(**row))
                stored = (await s.execute(select(poses).where(poses.c.id == pose_id))).one()
        except BaseException:
            await self._undo(pose_id, hold.id, image_key)
            raise
        try:
            await self.billing.Capture(
                billing_pb2.CaptureRequest(
                    hold_id=hold.id,
                    amount_micros=price.pose_micros,
                    idempotency_key=f"{pose_id}:capture",
                )
            )
        except DomainError as exc:  # the hold expires on its own: free, never double
            log.error("capture of pose %s failed: %s", pose_id, exc)
        return to_proto(stored)

    async def _portrait(self, portrait_key: str) -> bytes:
        try:
            return await self.storage.get_portrait(portrait_key)
        except StorageError as exc:
            raise DomainError(
                ErrorCode.STORAGE_ERROR, f"reading the portrait failed: {exc}"
            ) from exc

    async def _undo(self, pose_id: str, hold_id: str, image_key: str) -> None:
        try:
            await self.billing.Release(
                billing_pb2.ReleaseRequest(hold_id=hold_id, idempotency_key=f"{pose_id}:release")
            )
        except Exception as exc:  # the sweeper expires it otherwise
            log.warning("release of pose hold %s failed: %s", pose_id, exc)
        for key in (image_key, renderable_portrait_key(image_key)):
            try:
                await self.storage.delete(key)
            except Exception as exc:
                log.warning("could not remove %s: %s", key, exc)

    async def list(self, owner_id: str, avatar_id: str) -> pose_pb2.ListPosesResponse:
        avatar = await self._avatar(owner_id, avatar_id)
        async with self.db.transaction() as s:
            rows = (
                await s.execute(
                    select(poses)
                    .where(poses.c.avatar_id == avatar.id, poses.c.owner_id == owner_id)
                    .order_by(poses.c.created_at, poses.c.id)
                )
            ).all()
        return pose_pb2.ListPosesResponse(
            poses=[base_pose(avatar, owner_id), *(to_proto(r) for r in rows)]
        )

    async def get(self, owner_id: str, pose_id: str) -> pose_pb2.Pose:
        async with self.db.transaction() as s:
            row = (
                await s.execute(
                    select(poses).where(poses.c.id == pose_id, poses.c.owner_id == owner_id)
                )
            ).first()
        if row is not None:
            return to_proto(row)
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
            result = await s.execute(delete(poses).where(poses.c.avatar_id == avatar_id))
        return int(result.rowcount)  # type: ignore[attr-defined]
