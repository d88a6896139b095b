"""Poses over REST: create a custom pose (201 with the ready pose, $0.013) and list an
avatar's poses (the free base portrait first)."""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter, status
from pydantic import BaseModel, ConfigDict, Field

from avatarmesh.clock import iso_millis
from avatarmesh.errors import ErrorCode
from avatarmesh.money import to_usd
from avatarmesh.v1 import pose_pb2 as pb
from gateway.bodies import RequestBody
from gateway.deps import Clients, Owner, State
from gateway.errors import ERROR_RESPONSES
from gateway.routes.avatars import AvatarId, presign
from gateway.schema import API_CODES, BODY_CODES, Opt60, Text600, errors

router = APIRouter(prefix="/api/v1", tags=["poses"], responses=ERROR_RESPONSES)


class CreatePoseBody(RequestBody):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {"prompt": "side profile, arms crossed, confident posture", "name": "Side Profile"}
            ]
        }
    )

    prompt: Text600 = Field(description="Pose description for the i2i variation (1-600 chars)")
    name: Opt60 | None = Field(
        default=None, description='Display label (max 60 chars); "Pose" when omitted'
    )


class PoseCreated(BaseModel):
    id: str
    avatar_id: str
    prompt: str | None
    name: str
    image_key: str | None
    image_url: str | None
    status: Literal["pending", "ready", "failed"]
    is_base: bool
    cost_usd: float


class PoseOut(BaseModel):
    id: str
    avatar_id: str
    name: str
    prompt: str | None
    image_key: str | None
    image_url: str | None
    status: Literal["pending", "ready", "failed"]
    is_base: bool
    cost_usd: float
    created_at: str


class PoseList(BaseModel):
    data: list[PoseOut]


_STATUS: dict[int, Literal["pending", "ready", "failed"]] = {
    pb.POSE_STATUS_PENDING: "pending",
    pb.POSE_STATUS_READY: "ready",
    pb.POSE_STATUS_FAILED: "failed",
}


async def _fields(pose: pb.Pose, state: State) -> dict[str, object]:
    ready = pose.status == pb.POSE_STATUS_READY
    return {
        "id": pose.id,
        "avatar_id": pose.avatar_id,
        "name": pose.name,
        "prompt": None if pose.is_base else pose.prompt,
        "image_key": None if pose.is_base else (pose.image_key or None),
        "image_url": await presign(state.storage, pose.image_key) if ready else None,
        "status": _STATUS.get(pose.status, "pending"),
        "is_base": pose.is_base,
        "cost_usd": to_usd(pose.cost_micros),
        "created_at": iso_millis(pose.created_at),
    }


@router.post(
    "/avatars/{avatar_id}/poses",
    status_code=status.HTTP_201_CREATED,
    summary="Create a pose (i2i variation of the portrait); answers the ready pose",
    responses=errors(
        BODY_CODES,
        API_CODES,
        ErrorCode.NOT_FOUND,
        ErrorCode.WALLET_NOT_FOUND,
        ErrorCode.INSUFFICIENT_BALANCE_FOR_POSE,
        ErrorCode.AVATAR_NOT_READY,
        ErrorCode.DAILY_CAP_REACHED,
        ErrorCode.STORAGE_ERROR,
    ),
)
async def create_pose(
    avatar_id: AvatarId, body: CreatePoseBody, owner: Owner, clients: Clients, state: State
) -> PoseCreated:
    pose = await clients.pose.CreatePose(
        pb.CreatePoseRequest(
            owner_id=owner, avatar_id=avatar_id, prompt=body.prompt, name=body.name or ""
        )
    )
    return PoseCreated.model_validate(await _fields(pose, state))


@router.get(
    "/avatars/{avatar_id}/poses",
    summary="The base portrait, then custom poses",
    responses=errors(API_CODES, ErrorCode.NOT_FOUND, ErrorCode.STORAGE_ERROR),
)
async def list_poses(avatar_id: AvatarId, owner: Owner, clients: Clients, state: State) -> PoseList:
    reply = await clients.pose.ListPoses(pb.ListPosesRequest(owner_id=owner, avatar_id=avatar_id))
    return PoseList(data=[PoseOut.model_validate(await _fields(p, state)) for p in reply.poses])
