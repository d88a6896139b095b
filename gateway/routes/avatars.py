"""Avatars over REST: create (202, then poll), list (owned + system), get, delete.

The request is validated here field by field as the contract documents it; media
arrive as data URLs (decoded, checked and uploaded here) or HTTPS URLs (SSRF-checked
here, fetched by the worker). Storage keys never leave the mesh: clients get presigned
URLs (1 hour) once the avatar is ready.
"""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Request, Response, status
from pydantic import BaseModel, ConfigDict, Field, model_validator

from avatarmesh.clock import iso_millis
from avatarmesh.errors import DomainError, ErrorCode
from avatarmesh.ids import IdPrefix
from avatarmesh.mediatypes import IMAGE_TYPES, MAX_IMAGE_BYTES, MAX_VIDEO_BYTES, VIDEO_TYPES
from avatarmesh.money import to_usd
from avatarmesh.storage import Storage, StorageError
from avatarmesh.v1 import avatar_pb2 as pb
from avatarmesh.v1 import common_pb2
from gateway.bodies import (
    LabelFilter,
    Language,
    MetadataFilter,
    PageLimit,
    PageNumber,
    RequestBody,
)
from gateway.deps import Clients, Owner, State
from gateway.errors import ERROR_RESPONSES
from gateway.readcache import mark_cacheable
from gateway.routes.files import file_input, is_file_id
from gateway.schema import (
    API_CODES,
    BASE64,
    BODY_CODES,
    FILE_ID,
    URL_TAIL,
    Name60,
    Opt40,
    Text2000,
    errors,
    path_id,
)
from gateway.uploads import media_input

log = logging.getLogger(__name__)

router = APIRouter(prefix="/api/v1", tags=["avatars"], responses=ERROR_RESPONSES)

URL_TTL = timedelta(hours=1)
VIDEO_DEFAULT_DESCRIPTION = "Presenter from a talking-head video clip"

IMAGE_URL = rf"^(data:image/(jpeg|jpg|png|webp);base64,{BASE64}|https://{URL_TAIL}|{FILE_ID})$"
VIDEO_URL = (
    rf"^(data:video/(mp4|quicktime|webm|x-m4v|m4v);base64,{BASE64}|https://{URL_TAIL}|{FILE_ID})$"
)
_CREATE_EXAMPLE = {
    "name": "Aria",
    "description": "Professional female presenter, confident and warm, business attire",
    "language": "en",
    "nationality": "American",
    "gender": "female",
    "accent": "Neutral",
}
_SOURCE_RULES: dict[str, Any] = {
    "oneOf": [
        {
            "title": "generated",
            "description": "source generated (the default): description is required",
            "properties": {"source": {"const": "generated"}},
            "required": ["description"],
            "not": {"properties": {"description": {"type": "null"}}},
        },
        {
            "title": "video",
            "description": "source video: source_video_url is required",
            "properties": {"source": {"const": "video"}},
            "required": ["source", "source_video_url"],
            "not": {"properties": {"source_video_url": {"type": "null"}}},
        },
    ],
    "examples": [_CREATE_EXAMPLE],
}


class CreateAvatarBody(RequestBody):
    """Two modes: ``generated`` (portrait from ``description``) or ``video`` (face and
    voice from ``source_video_url``); the ``oneOf`` says which fields each needs."""

    model_config = ConfigDict(json_schema_extra=lambda schema: schema.update(_SOURCE_RULES))

    name: Name60 = Field(description="Display name (1-60 chars)")
    description: Text2000 | None = Field(
        default=None,
        description="Portrait/persona description (1-2000 chars). Required for "
        "source=generated; optional for source=video (defaulted)",
    )
    language: Language
    nationality: Name60 = Field(description='Nationality label (1-60 chars), e.g. "American"')
    gender: Literal["male", "female"] | None = None
    accent: Opt40 | None = Field(default=None, description="Accent label (max 40 chars)")
    source: Literal["generated", "video"] = "generated"
    ref_image_data_url: Annotated[str, Field(pattern=IMAGE_URL)] | None = Field(
        default=None,
        description="Seed image: a base64 data URL (image/jpeg, png, webp; <= 4 MB decoded) "
        "or an https:// URL whose host resolves to public addresses only, or a file id "
        "(file_..., POST /api/v1/files). Ignored for source=video",
    )
    labels: list[str] | None = Field(
        default=None, description="Up to 20 labels (A-Z a-z 0-9 _ - . :), filterable in lists"
    )
    metadata: dict[str, str] | None = Field(
        default=None, description="Up to 50 free string pairs, filterable as key:value"
    )
    source_video_url: Annotated[str, Field(pattern=VIDEO_URL)] | None = Field(
        default=None,
        description="Required when source=video: a base64 data URL (video/mp4, quicktime, "
        "webm, x-m4v; <= 80 MB decoded), a public https:// URL or a file id (file_...)",
    )
    consent_video_url: Annotated[str, Field(pattern=VIDEO_URL)] | None = Field(
        default=None,
        description="The person's consent clip (same forms as source_video_url): the "
        "avatar is checked and reviewed by an operator (stage reviewing) before it "
        "becomes ready, or is rejected (docs/consent.md). Required by some deployments "
        "for avatars of a real person (a clip or a reference photo)",
    )

    @model_validator(mode="after")
    def _mode_fields(self) -> CreateAvatarBody:
        if self.source == "generated" and not self.description:
            raise ValueError("description: required for source=generated (1-2000 chars)")
        if self.source == "video" and not self.source_video_url:
            raise ValueError("source_video_url: required when source=video")
        return self


class AvatarCreated(BaseModel):
    id: str
    status: str
    estimated_cost_usd: float
    poll_url: str


AvatarStatus = Literal["pending", "processing", "ready", "failed", "rejected"]
AvatarStage = Literal["video_validating", "portrait", "demo", "voice", "poses", "reviewing"]
ReviewStatus = Literal["pending", "approved", "rejected"]


class AvatarOut(BaseModel):
    id: str
    name: str
    description: str
    language: str
    nationality: str
    gender: str | None
    accent: str | None
    image_url: str | None = Field(description="Presigned portrait URL (1 hour) once ready")
    status: AvatarStatus
    stage: AvatarStage | None
    is_system: bool
    is_public: bool
    motion: Literal["footage", "still"] | None = Field(
        default=None,
        description='Once ready: "footage" (videos play the clip\'s own frames, only the '
        'mouth re-made) or "still" (the portrait is animated)',
    )
    motion_reason: str | None = Field(default=None, description="Why the avatar has that motion")
    cost_usd: float
    error: str | None
    created_at: str
    updated_at: str
    labels: list[str] = Field(default_factory=list)
    metadata: dict[str, str] = Field(default_factory=dict)
    review_status: ReviewStatus | None = Field(
        default=None,
        description="With a consent clip: pending (until an operator decides), approved "
        "or rejected (the reason in error); null without one",
    )


class AvatarDetail(BaseModel):
    id: str
    name: str
    description: str
    language: str
    nationality: str
    gender: str | None
    accent: str | None
    image_url: str | None = Field(description="Presigned portrait URL (1 hour) once ready")
    status: AvatarStatus
    stage: AvatarStage | None
    is_system: bool
    is_public: bool
    motion: Literal["footage", "still"] | None = Field(
        default=None,
        description='Once ready: "footage" (videos play the clip\'s own frames, only the '
        'mouth re-made) or "still" (the portrait is animated)',
    )
    motion_reason: str | None = Field(default=None, description="Why the avatar has that motion")
    tts_voice_id: str | None = Field(description="For /api/v1/tts, once ready")
    cost_usd: float
    error: str | None
    created_at: str
    updated_at: str
    demo_video_url: str | None = Field(
        default=None, description="Presigned demo video URL (1 hour) once ready"
    )
    labels: list[str] = Field(default_factory=list)
    metadata: dict[str, str] = Field(default_factory=dict)
    review_status: ReviewStatus | None = Field(
        default=None,
        description="With a consent clip: pending (until an operator decides), approved "
        "or rejected (the reason in error); null without one",
    )


class AvatarPage(BaseModel):
    data: list[AvatarOut]
    page: int
    limit: int


AvatarId = Annotated[str, path_id(IdPrefix.AVATAR, "avatar")]

_STATUS = {
    pb.AVATAR_STATUS_PENDING: "pending",
    pb.AVATAR_STATUS_PROCESSING: "processing",
    pb.AVATAR_STATUS_READY: "ready",
    pb.AVATAR_STATUS_FAILED: "failed",
    pb.AVATAR_STATUS_REJECTED: "rejected",
}
# Settled: nothing changes any more but through an event (deleted).
_SETTLED = (pb.AVATAR_STATUS_READY, pb.AVATAR_STATUS_FAILED, pb.AVATAR_STATUS_REJECTED)

_STAGE = {
    pb.AVATAR_STAGE_PORTRAIT: "portrait",
    pb.AVATAR_STAGE_DEMO: "demo",
    pb.AVATAR_STAGE_VOICE: "voice",
    pb.AVATAR_STAGE_POSES: "poses",
    pb.AVATAR_STAGE_VIDEO_VALIDATING: "video_validating",
    pb.AVATAR_STAGE_REVIEWING: "reviewing",
}


async def presign(storage: Storage, key: str) -> str | None:
    """A 1-hour URL for ``key`` (None without a key); 502 STORAGE_ERROR on failure."""
    if not key:
        return None
    try:
        return await storage.presigned_get(key, URL_TTL)
    except StorageError as exc:
        log.error("presigning %s failed: %s", key, exc)
        raise DomainError(ErrorCode.STORAGE_ERROR, "could not sign the download URL") from exc


async def avatar_fields(avatar: pb.Avatar, storage: Storage) -> dict[str, object]:
    ready = avatar.status == pb.AVATAR_STATUS_READY
    return {
        "id": avatar.id,
        "name": avatar.name,
        "description": avatar.description,
        "language": avatar.language,
        "nationality": avatar.nationality,
        "gender": avatar.gender or None,
        "accent": avatar.accent or None,
        "image_url": await presign(storage, avatar.portrait_key) if ready else None,
        "status": _STATUS.get(avatar.status, "pending"),
        "stage": _STAGE.get(avatar.stage),
        "is_system": avatar.is_system,
        "is_public": avatar.is_public,
        "motion": (avatar.motion or "still") if ready else None,
        "motion_reason": (avatar.motion_reason or None) if ready else None,
        "cost_usd": to_usd(avatar.cost_micros),
        "error": avatar.error or None,
        "created_at": iso_millis(avatar.created_at),
        "updated_at": iso_millis(avatar.updated_at),
        "labels": list(avatar.labels),
        "metadata": dict(avatar.metadata),
        "review_status": avatar.review_status or None,
    }


@router.post(
    "/avatars",
    status_code=status.HTTP_202_ACCEPTED,
    summary="Submit an avatar creation job (generated or video)",
    responses=errors(
        BODY_CODES,
        API_CODES,
        ErrorCode.INSUFFICIENT_BALANCE,
        ErrorCode.WALLET_NOT_FOUND,
        ErrorCode.QUEUE_FULL,
        ErrorCode.STORAGE_ERROR,
        ErrorCode.FILE_ARCHIVED,
        ErrorCode.FILE_KIND_MISMATCH,
        ErrorCode.NOT_FOUND,
    ),
)
async def create_avatar(
    body: CreateAvatarBody, owner: Owner, clients: Clients, state: State
) -> AvatarCreated:
    description = body.description or ""
    if body.source == "video":
        description = description or VIDEO_DEFAULT_DESCRIPTION
    request = pb.CreateAvatarRequest(
        owner_id=owner,
        name=body.name,
        description=description,
        language=body.language,
        nationality=body.nationality,
        gender=body.gender or "",
        accent=body.accent or "",
        source=pb.AVATAR_SOURCE_VIDEO if body.source == "video" else pb.AVATAR_SOURCE_GENERATED,
        labels=body.labels or [],
        metadata=body.metadata or {},
    )
    uploads: list[str] = []
    try:
        await _media_inputs(body, request, uploads, owner, clients, state)
        reply = await clients.avatar.CreateAvatar(request)
    except DomainError:
        await state.storage.delete_quietly(*uploads)  # nothing half-written stays behind
        raise
    return AvatarCreated(
        id=reply.avatar.id,
        status=_STATUS.get(reply.avatar.status, "pending"),
        estimated_cost_usd=to_usd(reply.estimated_cost_micros),
        poll_url=f"/api/v1/avatars/{reply.avatar.id}",
    )


async def _media_inputs(
    body: CreateAvatarBody,
    request: pb.CreateAvatarRequest,
    uploads: list[str],
    owner: str,
    clients: Clients,
    state: State,
) -> None:
    """Resolve the body's media into ``request``; every object uploaded here is named
    in ``uploads`` as soon as it exists (the caller deletes them if the create fails)."""

    def uploaded(media: common_pb2.MediaInput) -> common_pb2.MediaInput:
        if media.storage_key.startswith("uploads/"):
            uploads.append(media.storage_key)
        return media

    if body.source == "video":
        assert body.source_video_url is not None
        video = await _video_input(clients, state, owner, body.source_video_url, "source")
        request.source_video.CopyFrom(uploaded(video))
    elif body.ref_image_data_url and is_file_id(body.ref_image_data_url):
        request.ref_image.CopyFrom(
            await file_input(
                clients, owner, body.ref_image_data_url, ("image",), field="ref_image_data_url"
            )
        )
    elif body.ref_image_data_url:
        image = await media_input(
            state.storage,
            owner,
            body.ref_image_data_url,
            IMAGE_TYPES,
            MAX_IMAGE_BYTES,
            field="ref_image_data_url",
        )
        request.ref_image.CopyFrom(uploaded(image))
    if body.consent_video_url:
        consent = await _video_input(clients, state, owner, body.consent_video_url, "consent")
        request.consent_video.CopyFrom(uploaded(consent))


async def _video_input(
    clients: Clients, state: State, owner: str, value: str, name: str
) -> common_pb2.MediaInput:
    """A ``<name>_video_url``: a file id (own, ready, a video) or a data/HTTPS URL."""
    field = f"{name}_video_url"
    if is_file_id(value):
        return await file_input(clients, owner, value, ("video",), field=field)
    return await media_input(state.storage, owner, value, VIDEO_TYPES, MAX_VIDEO_BYTES, field=field)


@router.get(
    "/avatars",
    summary="Owned avatars plus the public system avatars",
    responses=errors(API_CODES, ErrorCode.VALIDATION_ERROR, ErrorCode.STORAGE_ERROR),
)
async def list_avatars(
    request: Request,
    owner: Owner,
    clients: Clients,
    state: State,
    page: PageNumber = 1,
    limit: PageLimit = 20,
    label: LabelFilter = None,
    metadata: MetadataFilter = None,
) -> AvatarPage:
    reply = await clients.avatar.ListAvatars(
        pb.ListAvatarsRequest(
            owner_id=owner,
            page=common_pb2.PageRequest(page=page, limit=limit),
            labels=label or [],
            metadata=metadata or [],
        )
    )
    data = [AvatarOut.model_validate(await avatar_fields(a, state.storage)) for a in reply.avatars]
    if all(a.status in _SETTLED for a in reply.avatars):
        mark_cacheable(request)
    return AvatarPage(data=data, page=page, limit=limit)


@router.get(
    "/avatars/{avatar_id}",
    summary="One avatar (owned or system)",
    responses=errors(API_CODES, ErrorCode.NOT_FOUND, ErrorCode.STORAGE_ERROR),
)
async def get_avatar(
    avatar_id: AvatarId, request: Request, owner: Owner, clients: Clients, state: State
) -> AvatarDetail:
    avatar = await clients.avatar.GetAvatar(
        pb.GetAvatarRequest(owner_id=owner, avatar_id=avatar_id)
    )
    if avatar.status in _SETTLED:
        mark_cacheable(request)
    fields = await avatar_fields(avatar, state.storage)
    ready = avatar.status == pb.AVATAR_STATUS_READY
    fields["tts_voice_id"] = avatar.tts_voice_id if ready and avatar.tts_voice_id else None
    demo = await presign(state.storage, avatar.demo_video_key) if ready else None
    fields["demo_video_url"] = demo
    return AvatarDetail.model_validate(fields)


@router.delete(
    "/avatars/{avatar_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    response_class=Response,
    summary="Delete an owned avatar and everything stored for it",
    responses=errors(API_CODES, ErrorCode.NOT_FOUND, ErrorCode.FORBIDDEN),
)
async def delete_avatar(avatar_id: AvatarId, owner: Owner, clients: Clients) -> Response:
    await clients.avatar.DeleteAvatar(pb.DeleteAvatarRequest(owner_id=owner, avatar_id=avatar_id))
    return Response(status_code=status.HTTP_204_NO_CONTENT)
