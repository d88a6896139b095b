"""Consent review for operators: the avatars waiting for a decision, approve, reject.

Guarded by the admin key (never a user API key: an owner cannot approve their own
avatar). The rules (who is in review, what a decision does to the money) live in the
avatar service (``CreationSaga.decide``); these routes only translate. See
docs/consent.md.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import BaseModel, ConfigDict, Field

from avatarmesh.errors import ErrorCode
from avatarmesh.ids import IdPrefix
from avatarmesh.v1 import avatar_pb2 as pb
from gateway.bodies import RequestBody
from gateway.deps import AdminCaller, Clients, State
from gateway.errors import ERROR_RESPONSES
from gateway.routes.avatars import AvatarOut, avatar_fields, presign
from gateway.schema import ADMIN_CODES, BODY_CODES, NOT_BLANK, errors, path_id

router = APIRouter(prefix="/admin/v1", tags=["admin"], responses=ERROR_RESPONSES)

AvatarId = Annotated[str, path_id(IdPrefix.AVATAR, "avatar")]


class ConsentCheckOut(BaseModel):
    """The worker's automatic consent check (docs/consent.md).

    ``problems`` are strong evidence the clip cannot be consent; ``notes`` (the face
    comparison, ROC AUC 0.776) only guide the reviewer."""

    ran: bool
    frames: int
    frames_one_face: int
    frames_frontal: int
    frames_several_faces: int
    speech_seconds: float
    identity_distance: float | None = Field(
        description="Face-mesh geometry distance to the source's face (null: not compared)"
    )
    identity_threshold: float
    problems: list[str]
    notes: list[str]


class ReviewOut(BaseModel):
    avatar: AvatarOut
    owner_id: str
    review_status: str = Field(description="pending | approved | rejected")
    consent_video_url: str | None = Field(description="Presigned (1 hour): the consent clip")
    demo_video_url: str | None = Field(description="Presigned (1 hour): the source clip")
    portrait_url: str | None = Field(description="Presigned (1 hour): the avatar's portrait")
    consent_check: ConsentCheckOut


class ReviewList(BaseModel):
    data: list[ReviewOut]


class RejectBody(RequestBody):
    model_config = ConfigDict(
        json_schema_extra={"examples": [{"reason": "the consent clip shows another person"}]}
    )

    reason: str = Field(
        min_length=1,
        max_length=500,
        pattern=NOT_BLANK,
        description="Shown to the owner in the avatar's error (1-500 characters)",
    )


async def _review(review: pb.AvatarReview, state: State) -> ReviewOut:
    check = review.consent_check
    storage = state.storage
    return ReviewOut(
        avatar=AvatarOut.model_validate(await avatar_fields(review.avatar, storage)),
        owner_id=review.avatar.owner_id,
        review_status=review.review_status,
        consent_video_url=await presign(storage, review.consent_video_key),
        demo_video_url=await presign(storage, review.demo_video_key),
        portrait_url=await presign(storage, review.portrait_key),
        consent_check=ConsentCheckOut(
            ran=check.ran,
            frames=check.frames,
            frames_one_face=check.frames_one_face,
            frames_frontal=check.frames_frontal,
            frames_several_faces=check.frames_several_faces,
            speech_seconds=check.speech_seconds,
            identity_distance=check.identity_distance if check.identity_compared else None,
            identity_threshold=check.identity_threshold,
            problems=list(check.problems),
            notes=list(check.notes),
        ),
    )


@router.get(
    "/reviews",
    summary="Avatars waiting for a consent review (every owner, oldest first)",
    responses=errors(ADMIN_CODES, ErrorCode.VALIDATION_ERROR, ErrorCode.STORAGE_ERROR),
)
async def list_reviews(
    _admin: AdminCaller,
    clients: Clients,
    state: State,
    limit: Annotated[int, Query(ge=1, le=100, description="At most this many (1-100)")] = 50,
) -> ReviewList:
    reply = await clients.avatar.ListReviews(pb.ListReviewsRequest(limit=limit))
    return ReviewList(data=[await _review(r, state) for r in reply.reviews])


@router.post(
    "/avatars/{avatar_id}/approve",
    summary="Approve an avatar in review: the hold is captured, the avatar becomes ready",
    responses=errors(
        ADMIN_CODES, ErrorCode.NOT_FOUND, ErrorCode.AVATAR_NOT_IN_REVIEW, ErrorCode.STORAGE_ERROR
    ),
)
async def approve_avatar(
    avatar_id: AvatarId, _admin: AdminCaller, clients: Clients, state: State
) -> ReviewOut:
    reply = await clients.avatar.ReviewAvatar(
        pb.ReviewAvatarRequest(avatar_id=avatar_id, approve=True)
    )
    return await _review(reply, state)


@router.post(
    "/avatars/{avatar_id}/reject",
    summary="Reject an avatar in review: the hold is released, the owner sees the reason",
    responses=errors(
        BODY_CODES,
        ADMIN_CODES,
        ErrorCode.NOT_FOUND,
        ErrorCode.AVATAR_NOT_IN_REVIEW,
        ErrorCode.STORAGE_ERROR,
    ),
)
async def reject_avatar(
    avatar_id: AvatarId, body: RejectBody, _admin: AdminCaller, clients: Clients, state: State
) -> ReviewOut:
    reply = await clients.avatar.ReviewAvatar(
        pb.ReviewAvatarRequest(avatar_id=avatar_id, approve=False, reason=body.reason)
    )
    return await _review(reply, state)
