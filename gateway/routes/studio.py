"""Studio videos over REST (docs/studio.md): scenes, any frame size, backgrounds,
matting, captions. Submit (202), poll, list, cancel.

The body is validated with ``gateway.studio_body`` (the models the OpenAPI document's
schema is generated from: 400 naming the field), its file ids are resolved, and it
goes to the video service as sent: the service checks every rule again (gRPC callers
get the same answers) and does what needs lookups. This module also translates the
stored video back to JSON (presigned URLs for the video, the thumbnail and the caption
files).
"""

from __future__ import annotations

import json
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Header, Query, Request, status
from pydantic import BaseModel, Field

from avatarmesh.clock import iso_millis
from avatarmesh.errors import DomainError, ErrorCode
from avatarmesh.ids import output_file_id
from avatarmesh.money import to_usd
from avatarmesh.storage import Storage, StorageError
from avatarmesh.tiers import TIER_FROM_PB, Tier
from avatarmesh.v1 import common_pb2, video_pb2
from gateway.bodies import PageLimit, PageNumber
from gateway.deps import Clients, Owner, Settings
from gateway.errors import ERROR_RESPONSES
from gateway.routes.files import file_input, is_file_id
from gateway.routes.videos import STATUS_NAMES, OutputFormat, VideoId, VideoStatus
from gateway.schema import API_CODES, BODY_CODES, errors
from gateway.settings import GatewaySettings
from gateway.studio_body import StudioVideoBody

router = APIRouter(prefix="/api/v1", tags=["studio-videos"], responses=ERROR_RESPONSES)

NO_CAPTIONS = "audio and silence scenes have no captions"
FILE_KEY = "file-key:"  # how a resolved file id reaches the video service
# (part of a scene, its URL field, the asset id fields it also takes, the file kinds)
MEDIA_FIELDS = (
    ("character", "talking_photo_url", ("talking_photo_id",), ("image",)),
    ("voice", "audio_url", ("audio_asset_id",), ("audio", "video")),
    ("background", "url", ("image_asset_id", "video_asset_id"), ("image", "video")),
)


class CreatedStudioVideo(BaseModel):
    video_id: str
    id: str
    status: VideoStatus
    tier: Tier
    estimated_cost_usd: float
    poll_url: str


class SceneOut(BaseModel):
    index: int
    character: Literal["avatar", "talking_photo"] | None
    voice: Literal["text", "audio", "silence"]
    background: Literal["color", "image", "video"]
    duration: float | None = Field(description="Rendered seconds (null until completed)")
    captions: bool = Field(description="Whether the scene has captions (text scenes only)")
    captions_note: str | None = None


class CaptionUrls(BaseModel):
    srt: str | None
    vtt: str | None


class StudioVideoOut(BaseModel):
    id: str
    status: VideoStatus = Field(description="queued, processing, completed, failed or cancelled")
    progress: float = Field(description="0..1")
    tier: Tier
    title: str
    callback_id: str | None
    caption: bool
    dimension: dict[str, int]
    fps: int
    scenes: list[SceneOut]
    duration: float | None = Field(description="Rendered seconds (sum of the scenes)")
    estimated_seconds: int = Field(description="Seconds held at submit")
    video_url: str | None
    thumbnail_url: str | None
    caption_url: str | None = Field(description="The SRT file (also in caption_urls)")
    caption_urls: CaptionUrls | None
    alpha_video_url: str | None = Field(
        description="With alpha_output: the presenter alone, transparent (WebM, VP9 + alpha)"
    )
    cost_usd: float = Field(description="The hold taken at submit")
    actual_cost_usd: float | None = Field(description="Reconciled charge; null until then")
    error: str | None
    created_at: str
    completed_at: str | None
    is_output_temporary: bool = False
    output_file_id: str | None = Field(
        default=None, description="Once completed: the MP4 as a file (docs/files.md)"
    )
    poster_file_id: str | None = Field(
        default=None, description="Once completed: the thumbnail as a file"
    )


class StudioVideoPage(BaseModel):
    data: list[StudioVideoOut]
    page: int
    limit: int
    total: int


def _storage(request: Request, settings: GatewaySettings) -> Storage:
    storage = getattr(request.app.state, "video_storage", None)
    if not isinstance(storage, Storage):
        storage = Storage(settings)
        request.app.state.video_storage = storage
    return storage


async def _link(key: str, output_format: str, storage: Storage) -> str | None:
    if not key:
        return None
    if output_format == "raw_key":
        return key
    try:
        return await storage.presigned_get(key)
    except StorageError as exc:
        raise DomainError(
            ErrorCode.STORAGE_ERROR, f"Failed to generate presigned URL: {exc}"
        ) from None


def _scenes(summary: dict[str, Any], result: dict[str, Any]) -> list[SceneOut]:
    seconds = result.get("scene_seconds") or []
    out = []
    for i, scene in enumerate(summary.get("scenes", [])):
        captioned = scene.get("voice") == "text"
        out.append(
            SceneOut(
                index=i,
                character=scene.get("character"),
                voice=scene.get("voice", "text"),
                background=scene.get("background", "color"),
                duration=seconds[i] if i < len(seconds) else None,
                captions=captioned,
                captions_note=None if captioned else NO_CAPTIONS,
            )
        )
    return out


async def _out(video: video_pb2.VideoJob, output_format: str, storage: Storage) -> StudioVideoOut:
    summary: dict[str, Any] = json.loads(video.studio_json or "{}")
    result: dict[str, Any] = json.loads(video.result_json or "{}")
    done = video.status == video_pb2.VIDEO_STATUS_COMPLETED
    keys = result.get("caption_keys") or {}
    captions = None
    if done and keys:
        captions = CaptionUrls(
            srt=await _link(keys.get("srt", ""), output_format, storage),
            vtt=await _link(keys.get("vtt", ""), output_format, storage),
        )
    return StudioVideoOut(
        id=video.id,
        status=STATUS_NAMES.get(video.status, "queued"),
        progress=round(video.progress, 3),
        tier=TIER_FROM_PB.get(video.tier, Tier.AVATAR),
        title=summary.get("title", ""),
        callback_id=summary.get("callback_id") or None,
        caption=bool(summary.get("caption")),
        dimension=summary.get("dimension", {}),
        fps=video.fps,
        scenes=_scenes(summary, result),
        duration=round(video.actual_seconds, 3) if done else None,
        estimated_seconds=round(video.estimated_seconds),
        video_url=await _link(video.video_key, output_format, storage) if done else None,
        thumbnail_url=await _link(video.poster_key, output_format, storage) if done else None,
        caption_url=captions.srt if captions else None,
        caption_urls=captions,
        alpha_video_url=(
            await _link(result.get("alpha_key", ""), output_format, storage) if done else None
        ),
        cost_usd=to_usd(video.cost_micros),
        actual_cost_usd=(
            to_usd(video.actual_cost_micros) if video.HasField("actual_cost_micros") else None
        ),
        error=video.error or None,
        created_at=iso_millis(video.created_at),
        completed_at=iso_millis(video.completed_at) if video.HasField("completed_at") else None,
        is_output_temporary=video.output_temporary,
        output_file_id=output_file_id(video.id, "video") if done and video.video_key else None,
        poster_file_id=output_file_id(video.id, "poster") if done and video.poster_key else None,
    )


async def _studio_video(clients: Any, owner: str, video_id: str) -> video_pb2.VideoJob:
    video: video_pb2.VideoJob = await clients.video.GetVideo(
        video_pb2.GetVideoRequest(owner_id=owner, video_id=video_id)
    )
    if video.kind != "studio":  # an avatar video is not one of these
        raise DomainError(ErrorCode.NOT_FOUND, "Video not found")
    return video


async def _with_files(text: str, clients: Any, owner: str) -> str:
    """The body with every file id (``file_...`` in a URL field, or in the peer's
    ``*_asset_id`` fields) resolved to the caller's ready file of the right kind
    (``file_input``: 404 / 409 FILE_ARCHIVED / 400 FILE_KIND_MISMATCH naming the
    field). Anything that is not a JSON body of scenes goes on as sent: the video
    service names what is wrong with it."""
    try:
        body = json.loads(text)
    except ValueError:
        return text
    scenes = body.get("video_inputs") if isinstance(body, dict) else None
    if not isinstance(scenes, list):
        return text
    changed = False
    for i, scene in enumerate(scenes):
        for part, url_field, id_fields, kinds in MEDIA_FIELDS:
            data = scene.get(part) if isinstance(scene, dict) else None
            if not isinstance(data, dict):
                continue
            value = data.get(url_field)
            if isinstance(value, str) and value.startswith(FILE_KEY):
                raise DomainError(
                    ErrorCode.VALIDATION_ERROR, f"video_inputs[{i}].{part}.{url_field}: invalid URL"
                )
            field, file_id = url_field, value
            for id_field in id_fields:
                if not value and isinstance(data.get(id_field), str) and data[id_field]:
                    field, file_id = id_field, data.pop(id_field)
            if not (isinstance(file_id, str) and is_file_id(file_id)):
                continue
            media = await file_input(
                clients, owner, file_id, kinds, field=f"video_inputs[{i}].{part}.{field}"
            )
            data[url_field] = FILE_KEY + media.storage_key
            changed = True
    return json.dumps(body) if changed else text


@router.post(
    "/videos",
    status_code=status.HTTP_202_ACCEPTED,
    summary="Submit a studio video: scenes, any frame size, backgrounds, captions",
    responses=errors(
        BODY_CODES,
        API_CODES,
        ErrorCode.POLICY_VIOLATION,
        ErrorCode.INSUFFICIENT_BALANCE,
        ErrorCode.NOT_FOUND,
        ErrorCode.WALLET_NOT_FOUND,
        ErrorCode.AVATAR_NOT_READY,
        ErrorCode.WATERMARK_NOT_ALLOWED,
        ErrorCode.FILE_ARCHIVED,
        ErrorCode.FILE_KIND_MISMATCH,
        ErrorCode.IDEMPOTENCY_CONFLICT,
        ErrorCode.QUEUE_FULL,
        ErrorCode.STORAGE_ERROR,
    ),
)
async def create_studio_video(
    body: StudioVideoBody,
    request: Request,
    owner: Owner,
    clients: Clients,
    idempotency_key: Annotated[str | None, Header(max_length=255)] = None,
) -> CreatedStudioVideo:
    del body  # validated; the service takes the JSON as sent
    raw = await request.body()
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise DomainError(ErrorCode.VALIDATION_ERROR, "the body is not UTF-8 JSON") from None
    text = await _with_files(text, clients, owner)
    video = await clients.video.CreateStudioVideo(
        video_pb2.CreateStudioVideoRequest(
            owner_id=owner, request_json=text, idempotency_key=idempotency_key or ""
        )
    )
    return CreatedStudioVideo(
        video_id=video.id,
        id=video.id,
        status=STATUS_NAMES.get(video.status, "queued"),
        tier=TIER_FROM_PB.get(video.tier, Tier.AVATAR),
        estimated_cost_usd=to_usd(video.cost_micros),
        poll_url=f"/api/v1/videos/{video.id}",
    )


@router.get(
    "/videos",
    summary="List the caller's studio videos, newest first",
    responses=errors(API_CODES, ErrorCode.VALIDATION_ERROR, ErrorCode.STORAGE_ERROR),
)
async def list_studio_videos(
    request: Request,
    owner: Owner,
    clients: Clients,
    settings: Settings,
    page: PageNumber = 1,
    limit: PageLimit = 20,
) -> StudioVideoPage:
    reply = await clients.video.ListVideos(
        video_pb2.ListVideosRequest(
            owner_id=owner, page=common_pb2.PageRequest(page=page, limit=limit), kind="studio"
        )
    )
    storage = _storage(request, settings)
    return StudioVideoPage(
        data=[await _out(v, v.output_format or "url", storage) for v in reply.videos],
        page=reply.page.page,
        limit=reply.page.limit,
        total=reply.page.total,
    )


@router.get(
    "/videos/{video_id}",
    summary="Poll a studio video",
    responses=errors(
        API_CODES, ErrorCode.VALIDATION_ERROR, ErrorCode.NOT_FOUND, ErrorCode.STORAGE_ERROR
    ),
)
async def get_studio_video(
    video_id: VideoId,
    request: Request,
    owner: Owner,
    clients: Clients,
    settings: Settings,
    output_format: Annotated[
        OutputFormat | None, Query(description='"url" (presigned, 1 hour) or "raw_key"')
    ] = None,
) -> StudioVideoOut:
    video = await _studio_video(clients, owner, video_id)
    chosen = output_format or video.output_format or "url"
    return await _out(video, chosen, _storage(request, settings))


@router.post(
    "/videos/{video_id}/cancel",
    summary="Cancel a queued or rendering studio video; the hold is released",
    responses=errors(API_CODES, ErrorCode.NOT_FOUND, ErrorCode.CONFLICT, ErrorCode.STORAGE_ERROR),
)
async def cancel_studio_video(
    video_id: VideoId, request: Request, owner: Owner, clients: Clients, settings: Settings
) -> StudioVideoOut:
    await _studio_video(clients, owner, video_id)
    video = await clients.video.CancelVideo(
        video_pb2.CancelVideoRequest(owner_id=owner, video_id=video_id)
    )
    return await _out(video, video.output_format or "url", _storage(request, settings))
