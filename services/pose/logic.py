"""Poses: what a pose is and the rules; the free base pose, paid custom poses rendered
on the spot.

The service, top-down: ``__main__`` wires it; ``server`` maps protobuf to these types
and back; ``poses`` runs the calls; ``upstreams`` are the avatar and billing services
seen as typed calls; ``store`` holds the table and its queries; ``events`` says it
consumes and publishes nothing.

CreatePose is synchronous (the contract answers 201 with the ready pose). Rendering a
pose is one pure call into ``avatarmedia.pose.apply_pose`` that takes well under a
second on a CPU, so this service renders it itself (in a thread) rather than queueing
a job and waiting for the answer: fewer moving parts, the same result.

Money: write the pose row ``pending`` -> hold the pose price (purpose POSE, key
``<pose>:hold``; billing applies the daily cap) -> render and store -> the row becomes
``ready`` -> capture (``<pose>:capture``) -> the row is marked captured. Any failure
before ``ready`` releases the hold (``<pose>:release``), removes what was stored and
the row. A process killed midway is finished by the settler (``Poses.settle``, a
background task of every pose process): a ready pose whose capture is unconfirmed is
captured (the same key: never twice), and a row left ``pending`` longer than a render
can take has its hold released (asked of billing by its key first, so a hold whose
answer was lost is found too) and is removed. Without it a pose delivered while
billing restarted was never charged and its hold stayed open for hours (`make chaos`).

The base pose is not stored: it is derived from the avatar (id ``ap_`` + the avatar
id's body, image = the portrait, cost 0) and listed first.
"""

from __future__ import annotations

import io
import logging
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any, Protocol

from PIL import Image

from avatarmesh.errors import DomainError, ErrorCode
from avatarmesh.money import Micros

log = logging.getLogger(__name__)

MAX_PROMPT = 600
MAX_NAME = 60
DEFAULT_NAME = "Pose"
BASE_NAME = "Base Portrait"


class PoseStatus(StrEnum):
    """``poses.status``: a row is written ``pending`` before the hold and never answered
    until it is ``ready`` (``Pose.ready``)."""

    PENDING = "pending"
    READY = "ready"


@dataclass(frozen=True)
class Pose:
    id: str
    avatar_id: str
    owner_id: str
    name: str
    image_key: str
    ready: bool  # custom poses are answered once ready; a base pose waits for its avatar
    is_base: bool
    cost_micros: Micros
    created_at: datetime
    prompt: str = ""
    applied_json: str = ""
    hold_id: str = ""


@dataclass(frozen=True)
class AvatarFacts:
    """What poses need of an avatar (from the avatar service)."""

    id: str
    owner_id: str
    ready: bool
    portrait_key: str
    created_at: datetime


class Upstreams(Protocol):
    """The avatar and billing services as poses use them (``upstreams`` implements it)."""

    async def avatar(self, owner_id: str, avatar_id: str) -> AvatarFacts: ...
    async def pose_price(self) -> Micros: ...
    async def hold(self, owner_id: str, amount: Micros, pose_id: str) -> str: ...
    async def capture(self, hold_id: str, amount: Micros, pose_id: str) -> None: ...
    async def release(self, hold_id: str, pose_id: str) -> None: ...


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


def base_pose(avatar: AvatarFacts, owner_id: str) -> Pose:
    """The free pose every avatar has: its own portrait, ready once the avatar is."""
    return Pose(
        id=base_pose_id(avatar.id),
        avatar_id=avatar.id,
        owner_id=owner_id,
        name=BASE_NAME,
        image_key=avatar.portrait_key,
        ready=avatar.ready,
        is_base=True,
        cost_micros=0,
        created_at=avatar.created_at,
    )


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
