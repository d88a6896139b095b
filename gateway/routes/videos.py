"""Avatar videos over REST: submit (202), poll, cancel, list.

The contract's fields plus, beyond it: bring-your-own audio (``audio_url`` or
``audio_data_url`` instead of ``text``), ``resolution`` and ``fps``, ``progress``,
``POST /avatar-videos/{id}/cancel`` (status ``cancelled``) and the list route.
Money is dollars in JSON and micro-dollars on the wire; timestamps are ISO-8601 UTC
with milliseconds. The video service owns every rule; this module translates.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Header, Query, Request, status
from pydantic import BaseModel, ConfigDict, Field, model_validator

from avatarmesh.clock import iso_millis
from avatarmesh.errors import DomainError, ErrorCode
from avatarmesh.ids import IdPrefix, output_file_id
from avatarmesh.mediatypes import AUDIO_TYPES, MAX_AUDIO_BYTES
from avatarmesh.money import to_usd
from avatarmesh.storage import Storage, StorageError
from avatarmesh.tiers import TIER_FROM_PB, TIER_TO_PB, Tier
from avatarmesh.v1 import common_pb2, video_pb2
from gateway.bodies import (
    LabelFilter,
    MetadataFilter,
    PageLimit,
    PageNumber,
    RequestBody,
)
from gateway.deps import Clients, Owner, Settings
from gateway.errors import ERROR_RESPONSES
from gateway.readcache import mark_cacheable
from gateway.routes.files import file_input, is_file_id
from gateway.schema import (
    API_CODES,
    BASE64,
    BODY_CODES,
    FILE_ID,
    URL_TAIL,
    Opt300,
    Speech600,
    errors,
    id_pattern,
    path_id,
)
from gateway.settings import GatewaySettings
from gateway.uploads import store_data_url

router = APIRouter(prefix="/api/v1", tags=["avatar-videos"], responses=ERROR_RESPONSES)

VideoStatus = Literal["queued", "processing", "completed", "failed", "cancelled"]
OUTPUT_FORMATS = ("url", "raw_key")
OutputFormat = Literal["url", "raw_key"]
VideoId = Annotated[str, path_id(IdPrefix.VIDEO, "video")]
STATUS_NAMES: dict[int, VideoStatus] = {
    video_pb2.VIDEO_STATUS_QUEUED: "queued",
    video_pb2.VIDEO_STATUS_PROCESSING: "processing",
    video_pb2.VIDEO_STATUS_COMPLETED: "completed",
    video_pb2.VIDEO_STATUS_FAILED: "failed",
    video_pb2.VIDEO_STATUS_CANCELLED: "cancelled",
}
# Settled: nothing changes any more.
SETTLED = (
    video_pb2.VIDEO_STATUS_COMPLETED,
    video_pb2.VIDEO_STATUS_FAILED,
    video_pb2.VIDEO_STATUS_CANCELLED,
)


AUDIO_DATA_URL = (
    r"^data:(audio/(wav|x-wav|wave|vnd\.wave|mpeg|mp3|mp4|x-m4a|m4a|aac|ogg|flac|webm)"
    rf"|video/mp4);base64,{BASE64}$"
)
_INPUT_RULES: dict[str, Any] = {
    # Exactly one of the three inputs; a field given as null counts as absent.
    "oneOf": [
        {
            "title": "text",
            "required": ["text"],
            "properties": {
                "text": {"type": "string"},
                "audio_url": {"type": "null"},
                "audio_data_url": {"type": "null"},
            },
        },
        {
            "title": "audio_url",
            "required": ["audio_url"],
            "properties": {
                "text": {"type": "null"},
                "audio_url": {"type": "string"},
                "audio_data_url": {"type": "null"},
            },
        },
        {
            "title": "audio_data_url",
            "required": ["audio_data_url"],
            "properties": {
                "text": {"type": "null"},
                "audio_url": {"type": "null"},
                "audio_data_url": {"type": "string"},
            },
        },
    ],
    # 1536 is an avatar_pro resolution only; tier avatar is also the default.
    "if": {"properties": {"tier": {"const": "avatar"}}},
    "then": {"properties": {"resolution": {"not": {"const": 1536}}}},
    "examples": [
        {
            "avatar_id": "av_abcdefghijklmnopqrstuvwx",
            "text": "Welcome to our product demo. Let me show you what we can do.",
            "tier": "avatar",
            "video_prompt": "professional confidence, relaxed posture",
        }
    ],
}


class CreateVideoBody(RequestBody):
    """Exactly one input: ``text`` (spoken in the avatar's voice), ``audio_url`` or
    ``audio_data_url`` (the caller's own speech, <= 35 s)."""

    model_config = ConfigDict(json_schema_extra=lambda schema: schema.update(_INPUT_RULES))

    avatar_id: str = Field(pattern=id_pattern(IdPrefix.AVATAR), description="Avatar ID (av_...)")
    text: Speech600 | None = Field(
        default=None, description="Speech text (1-600 chars, at least one letter or digit)"
    )
    tier: Tier = Field(default=Tier.AVATAR, description='"avatar" or "avatar_pro"')
    pose_id: str | None = Field(
        default=None, pattern=id_pattern(IdPrefix.POSE), description="Custom pose ID (ap_...)"
    )
    video_prompt: Opt300 | None = Field(default=None, description="Motion hint (max 300 chars)")
    webhook_url: str | None = Field(
        default=None,
        max_length=2048,
        pattern=rf"^https?://{URL_TAIL}$",
        description="https:// URL for video.* events; its host must resolve to public "
        "addresses (http://127.0.0.1 only where the deployment allows loopback)",
    )
    output_format: OutputFormat = Field(default="url", description='"url" or "raw_key" for GET')
    audio_url: str | None = Field(
        default=None,
        max_length=2048,
        pattern=rf"^(https://{URL_TAIL}|{FILE_ID})$",
        description="Beyond the contract: public https:// audio to lip-sync (<= 35 s), or a "
        "file id (file_..., POST /api/v1/files)",
    )
    audio_data_url: str | None = Field(
        default=None,
        pattern=AUDIO_DATA_URL,
        description="Beyond the contract: data:audio/...;base64,... (<= 25 MB, <= 35 s)",
    )
    resolution: Literal[512, 720, 1080, 1536] | None = Field(
        default=None, description="720 (default), 1080, 512; 1536 for avatar_pro only"
    )
    fps: Literal[24, 25, 30] | None = Field(default=None, description="24, 25 (default) or 30")
    watermark_mode: str | None = Field(
        default=None,
        description="auto (default: the operator's watermark unless the account may skip "
        "it), always, or none (only accounts the operator allows; else 403 "
        "WATERMARK_NOT_ALLOWED)",
    )
    is_output_temporary: bool | None = Field(
        default=None,
        description="true: the output files (output_file_id, poster_file_id) are archived "
        "24 hours after the video completes, and video_url stops working then",
    )
    labels: list[str] | None = Field(
        default=None, description="Up to 20 labels (A-Z a-z 0-9 _ - . :), filterable in lists"
    )
    metadata: dict[str, str] | None = Field(
        default=None, description="Up to 50 free string pairs, filterable as key:value"
    )

    @model_validator(mode="after")
    def _one_input(self) -> CreateVideoBody:
        given = [v is not None for v in (self.text, self.audio_url, self.audio_data_url)]
        if sum(given) > 1:
            raise ValueError("give exactly one of text, audio_url or audio_data_url")
        if not any(given):
            raise ValueError("text: required (1-600 characters), or audio_url / audio_data_url")
        if self.resolution == 1536 and self.tier != Tier.AVATAR_PRO:
            raise ValueError("resolution: 1536 is offered for tier avatar_pro only")
        return self


class CreatedVideo(BaseModel):
    id: str
    status: VideoStatus
    tier: Tier
    estimated_cost_usd: float
    poll_url: str


class VideoOut(BaseModel):
    id: str
    status: VideoStatus = Field(description="queued, processing, completed, failed (or cancelled)")
    tier: Tier
    seconds: int = Field(description="Estimated duration held at submit (whole seconds)")
    actual_seconds: float | None = Field(description="Measured audio duration (ms precision)")
    avatar_id: str
    pose_id: str | None
    video_url: str | None
    cost_usd: float = Field(description="Estimated charge held at submission")
    actual_cost_usd: float | None = Field(description="Reconciled charge; null on failure")
    error: str | None
    progress: float = Field(description="0..1, beyond the contract")
    resolution: int
    fps: int
    has_audio_input: bool
    created_at: str
    completed_at: str | None
    labels: list[str] = Field(default_factory=list)
    metadata: dict[str, str] = Field(default_factory=dict)
    is_output_temporary: bool = False
    output_file_id: str | None = Field(
        default=None,
        description="Once completed: the MP4 as a file (GET /api/v1/files/{id}; recorded "
        "within seconds of completion)",
    )
    poster_file_id: str | None = Field(
        default=None, description="Once completed: the poster JPEG as a file"
    )


class VideoPage(BaseModel):
    data: list[VideoOut]
    page: int
    limit: int
    total: int


def _storage(request: Request, settings: GatewaySettings) -> Storage:
    storage = getattr(request.app.state, "video_storage", None)
    if not isinstance(storage, Storage):
        storage = Storage(settings)
        request.app.state.video_storage = storage
    return storage


async def _video_url(video: video_pb2.VideoJob, output_format: str, storage: Storage) -> str | None:
    if video.status != video_pb2.VIDEO_STATUS_COMPLETED or not video.video_key:
        return None
    if output_format == "raw_key":
        return video.video_key
    try:
        return await storage.presigned_get(video.video_key)
    except StorageError as exc:
        raise DomainError(
            ErrorCode.STORAGE_ERROR, f"Failed to generate presigned URL: {exc}"
        ) from None


async def _out(video: video_pb2.VideoJob, output_format: str, storage: Storage) -> VideoOut:
    done = video.status == video_pb2.VIDEO_STATUS_COMPLETED
    return VideoOut(
        id=video.id,
        status=STATUS_NAMES.get(video.status, "queued"),
        tier=TIER_FROM_PB.get(video.tier, Tier.AVATAR),
        seconds=round(video.estimated_seconds),
        actual_seconds=round(video.actual_seconds, 3) if done else None,
        avatar_id=video.avatar_id,
        pose_id=video.pose_id or None,
        video_url=await _video_url(video, output_format, storage),
        cost_usd=to_usd(video.cost_micros),
        actual_cost_usd=(
            to_usd(video.actual_cost_micros) if video.HasField("actual_cost_micros") else None
        ),
        error=video.error or None,
        progress=round(video.progress, 3),
        resolution=video.resolution,
        fps=video.fps,
        has_audio_input=video.has_audio_input,
        created_at=iso_millis(video.created_at),
        completed_at=iso_millis(video.completed_at) if video.HasField("completed_at") else None,
        labels=list(video.labels),
        metadata=dict(video.metadata),
        is_output_temporary=video.output_temporary,
        output_file_id=output_file_id(video.id, "video") if done and video.video_key else None,
        poster_file_id=output_file_id(video.id, "poster") if done and video.poster_key else None,
    )


@router.post(
    "/avatar-videos",
    status_code=status.HTTP_202_ACCEPTED,
    summary="Submit an async lip-sync video generation job",
    responses=errors(
        BODY_CODES,
        API_CODES,
        ErrorCode.POLICY_VIOLATION,
        ErrorCode.INSUFFICIENT_BALANCE,
        ErrorCode.NOT_FOUND,
        ErrorCode.WALLET_NOT_FOUND,
        ErrorCode.AVATAR_NOT_READY,
        ErrorCode.IDEMPOTENCY_CONFLICT,
        ErrorCode.QUEUE_FULL,
        ErrorCode.STORAGE_ERROR,
        ErrorCode.FILE_ARCHIVED,
        ErrorCode.FILE_KIND_MISMATCH,
    ),
)
async def create_video(
    body: CreateVideoBody,
    request: Request,
    owner: Owner,
    clients: Clients,
    settings: Settings,
    idempotency_key: Annotated[
        str | None,
        Header(
            min_length=1,
            max_length=255,
            description="Repeat the POST safely: the same key answers the same video",
        ),
    ] = None,
) -> CreatedVideo:
    tier = TIER_TO_PB[body.tier]
    audio: common_pb2.MediaInput | None = None
    if body.audio_url and is_file_id(body.audio_url):
        audio = await file_input(
            clients, owner, body.audio_url, ("audio", "video"), field="audio_url"
        )
    elif body.audio_url:
        audio = common_pb2.MediaInput(https_url=body.audio_url)
    elif body.audio_data_url:
        audio = await store_data_url(
            _storage(request, settings),
            owner,
            body.audio_data_url,
            AUDIO_TYPES,
            MAX_AUDIO_BYTES,
            field="audio_data_url",
        )
    try:
        video = await clients.video.CreateVideo(
            video_pb2.CreateVideoRequest(
                owner_id=owner,
                avatar_id=body.avatar_id,
                text=body.text or "",
                tier=tier,
                pose_id=body.pose_id or "",
                video_prompt=body.video_prompt or "",
                webhook_url=body.webhook_url or "",
                audio=audio,
                resolution=body.resolution or 0,
                fps=body.fps or 0,
                idempotency_key=idempotency_key or "",
                output_format=body.output_format,
                labels=body.labels or [],
                metadata=body.metadata or {},
                watermark_mode=body.watermark_mode or "",
                output_temporary=bool(body.is_output_temporary),
            )
        )
    except DomainError as exc:
        # Rejected: no video refers to the upload we just stored, so it goes. When the
        # service could not answer (timeout, down) the video may exist: keep it.
        unknown_outcome = exc.code is ErrorCode.SERVICE_UNAVAILABLE
        ours = audio is not None and audio.storage_key.startswith("uploads/")
        if audio is not None and ours and not unknown_outcome:
            await _storage(request, settings).delete_quietly(audio.storage_key)
        raise
    return CreatedVideo(
        id=video.id,
        status=STATUS_NAMES.get(video.status, "queued"),
        tier=TIER_FROM_PB.get(video.tier, body.tier),
        estimated_cost_usd=to_usd(video.cost_micros),
        poll_url=f"/api/v1/avatar-videos/{video.id}",
    )


@router.get(
    "/avatar-videos",
    summary="List the caller's avatar videos, newest first",
    responses=errors(API_CODES, ErrorCode.VALIDATION_ERROR, ErrorCode.STORAGE_ERROR),
)
async def list_videos(
    request: Request,
    owner: Owner,
    clients: Clients,
    settings: Settings,
    page: PageNumber = 1,
    limit: PageLimit = 20,
    label: LabelFilter = None,
    metadata: MetadataFilter = None,
) -> VideoPage:
    reply = await clients.video.ListVideos(
        video_pb2.ListVideosRequest(
            owner_id=owner,
            page=common_pb2.PageRequest(page=page, limit=limit),
            labels=label or [],
            metadata=metadata or [],
        )
    )
    storage = _storage(request, settings)
    return VideoPage(
        data=[await _out(v, v.output_format or "url", storage) for v in reply.videos],
        page=reply.page.page,
        limit=reply.page.limit,
        total=reply.page.total,
    )


@router.get(
    "/avatar-videos/{video_id}",
    summary="Poll an avatar video",
    responses=errors(
        API_CODES, ErrorCode.VALIDATION_ERROR, ErrorCode.NOT_FOUND, ErrorCode.STORAGE_ERROR
    ),
)
async def get_video(
    video_id: VideoId,
    request: Request,
    owner: Owner,
    clients: Clients,
    settings: Settings,
    output_format: Annotated[
        OutputFormat | None, Query(description='"url" (presigned, 1 hour) or "raw_key"')
    ] = None,
) -> VideoOut:
    video = await clients.video.GetVideo(
        video_pb2.GetVideoRequest(owner_id=owner, video_id=video_id)
    )
    if video.kind == "studio":  # served at /api/v1/videos/{id}
        raise DomainError(ErrorCode.NOT_FOUND, "Video not found")
    chosen = output_format or video.output_format or "url"
    if video.status in SETTLED:
        mark_cacheable(request)
    return await _out(video, chosen, _storage(request, settings))


@router.post(
    "/avatar-videos/{video_id}/cancel",
    summary="Cancel a queued or rendering video (beyond the contract); the hold is released",
    responses=errors(API_CODES, ErrorCode.NOT_FOUND, ErrorCode.CONFLICT, ErrorCode.STORAGE_ERROR),
)
async def cancel_video(
    video_id: VideoId, request: Request, owner: Owner, clients: Clients, settings: Settings
) -> VideoOut:
    video = await clients.video.CancelVideo(
        video_pb2.CancelVideoRequest(owner_id=owner, video_id=video_id)
    )
    return await _out(video, video.output_format or "url", _storage(request, settings))
