"""Avatar videos: what a video is and the rules that need no lookups.

The service, top-down: ``__main__`` wires it; ``server`` maps protobuf to the types
here and back; ``submit`` runs CreateVideo; ``reconcile`` follows the worker's events
and cancels; ``uploads`` deletes the caller's audio once no video needs it;
``upstreams`` are the avatar, pose and billing services seen as typed calls;
``store`` holds the tables and every query; ``events`` says what the service
consumes and publishes.

CreateVideo, in order (the first failure answers, nothing is written before the hold):

1. validate the request (text 1-600 characters or one audio input, tier, resolution,
   fps, prompt <= 300, webhook URL https and public);
2. the avatar must be the caller's (or public) and ready, with a portrait and a voice
   (else NOT_FOUND / AVATAR_NOT_READY); a pose must belong to that avatar;
3. the safety filter (POLICY_VIOLATION);
4. the billable estimate: the speech engine's duration estimate of the script, or the
   measured length of the caller's audio (at most 35 s), rounded up to whole seconds;
5. QUEUE_FULL when the owner (or the mesh) has too many videos queued or rendering;
6. a billing hold of ``cost_for_seconds(rate, seconds)`` (idempotency ``<video>:hold``;
   an owner without a wallet is INSUFFICIENT_BALANCE, as the contract lists);
7. one transaction: the ``videos`` row (queued) and the ``jobs.lipsync.<tier>`` job in
   the outbox. If it fails the hold is released; if the process dies between 6 and 7
   the hold expires on its own (``video_hold_ttl_seconds``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from avatarmedia.render import FRAME_RATES, RESOLUTIONS
from avatarmesh.errors import DomainError, ErrorCode
from avatarmesh.labels import encode_labels, encode_metadata
from avatarmesh.money import Micros, cost_for_seconds
from avatarmesh.tiers import Tier

MAX_TEXT_CHARS = 600
MAX_PROMPT_CHARS = 300
MAX_WEBHOOK_URL_CHARS = 2048
DEFAULT_RESOLUTION = 720
DEFAULT_FPS = 25
MIN_AUDIO_SECONDS = 0.2
CANCELLED_ERROR = "cancelled by the user"
RENDER_FAILED_ERROR = "rendering failed"
OUTPUT_FORMATS = ("url", "raw_key")


class VideoStatus(StrEnum):
    """``videos.status``. SETTLING is internal (the render is done and billing is being
    reconciled); the API shows it as processing."""

    QUEUED = "queued"
    PROCESSING = "processing"
    SETTLING = "settling"
    COMPLETED = "completed"
    FAILED = "failed"
    CANCELLED = "cancelled"


ACTIVE = (VideoStatus.QUEUED, VideoStatus.PROCESSING, VideoStatus.SETTLING)
# What a cancel or a render event may still move (a settling video is being finalised).
RUNNING = (VideoStatus.QUEUED, VideoStatus.PROCESSING)


@dataclass(frozen=True)
class AudioInput:
    """The caller's own audio: an upload under ``uploads/<owner>/`` or an HTTPS URL."""

    storage_key: str = ""
    https_url: str = ""
    content_type: str = ""


@dataclass(frozen=True)
class VideoRequest:
    """CreateVideo as the caller sent it (``tier`` None: a tier this build lacks)."""

    owner_id: str
    avatar_id: str
    text: str = ""
    audio: AudioInput | None = None
    tier: Tier | None = Tier.AVATAR
    pose_id: str = ""
    video_prompt: str = ""
    webhook_url: str = ""
    resolution: int = 0
    fps: int = 0
    output_format: str = ""
    idempotency_key: str = ""
    labels: tuple[str, ...] = ()
    metadata: tuple[tuple[str, str], ...] = ()
    watermark_mode: str = ""
    output_temporary: bool = False


@dataclass(frozen=True)
class Draft:
    """A request that passed validation, with defaults applied."""

    tier: Tier
    text: str
    audio: AudioInput | None
    resolution: int
    fps: int
    video_prompt: str
    webhook_url: str
    pose_id: str
    output_format: str
    labels_json: str = "[]"
    metadata_json: str = "{}"
    watermark_mode: str = "auto"
    output_temporary: bool = False


WATERMARK_MODES = ("auto", "always", "none")


def watermarked(mode: str, owner_may_skip: bool) -> bool:
    """Whether the render carries the operator's watermark: ``always`` yes; ``none`` no
    (only for accounts the operator allows, else WATERMARK_NOT_ALLOWED); ``auto`` yes
    unless the account is allowed to go without."""
    if mode == "none" and not owner_may_skip:
        raise DomainError(
            ErrorCode.WATERMARK_NOT_ALLOWED,
            "watermark_mode: none is not enabled for this account; use auto or always",
        )
    return mode == "always" or (mode == "auto" and not owner_may_skip)


@dataclass(frozen=True)
class Video:
    """One avatar video (a ``videos`` row)."""

    id: str
    owner_id: str
    avatar_id: str
    pose_id: str
    tier: Tier
    status: VideoStatus
    text: str
    audio_key: str
    video_prompt: str
    webhook_url: str
    language: str
    resolution: int
    fps: int
    estimated_seconds: float
    rate_micros_per_second: Micros
    hold_id: str
    cost_micros: Micros
    actual_seconds: float | None
    actual_cost_micros: Micros | None
    video_key: str
    poster_key: str
    error: str
    progress: float
    output_format: str
    idempotency_key: str | None
    created_at: datetime
    updated_at: datetime
    completed_at: datetime | None
    # studio videos (``studio``): the request as accepted and the render's result
    kind: str = "avatar"
    studio_json: str = ""
    result_json: str = ""
    # compact JSON (avatarmesh.labels): a list of labels, an object of metadata
    labels_json: str = "[]"
    metadata_json: str = "{}"
    # is_output_temporary: the files service archives the output 24 h after it is made
    output_temporary: bool = False


class CanaryStatus(StrEnum):
    QUEUED = "queued"
    COMPLETED = "completed"


@dataclass(frozen=True)
class Canary:
    """A synthetic job that proves the queue and the workers are alive."""

    id: str
    status: CanaryStatus
    worker: str = ""
    round_trip_ms: float = 0.0


@dataclass(frozen=True)
class Settlement:
    """How a render ended, as the row records it."""

    status: VideoStatus  # COMPLETED or FAILED
    video_key: str = ""
    poster_key: str = ""
    actual_seconds: float | None = None
    actual_cost_micros: Micros | None = None
    error: str = ""
    result_json: str = ""


@dataclass(frozen=True)
class AvatarFacts:
    """What the video service needs of an avatar (from the avatar service)."""

    id: str
    ready: bool
    portrait_key: str
    tts_voice_id: str
    language: str


@dataclass(frozen=True)
class PoseFacts:
    avatar_id: str
    ready: bool
    image_key: str


@dataclass(frozen=True)
class VoiceFacts:
    profile_json: str
    language: str


@dataclass(frozen=True)
class Prices:
    """The per-second video rates of the price book."""

    avatar: Micros
    avatar_pro: Micros


def invalid(message: str) -> DomainError:
    return DomainError(ErrorCode.VALIDATION_ERROR, message)


def validate(request: VideoRequest) -> Draft:
    """The request's own rules (no lookups); VALIDATION_ERROR naming the field."""
    if not request.avatar_id:
        raise invalid("avatar_id: required")
    if request.tier is None:
        raise invalid("tier: must be avatar or avatar_pro")
    tier = request.tier
    audio = request.audio
    if audio is not None and not (audio.storage_key or audio.https_url):
        audio = None
    text = request.text
    if audio is not None:
        if text.strip():
            raise invalid("give either text or audio, not both")
        text = ""
    else:
        if not text.strip():
            raise invalid("text: required (1-600 characters)")
        if len(text) > MAX_TEXT_CHARS:
            raise invalid(f"text: {len(text)} characters; the limit is {MAX_TEXT_CHARS}")
    resolution = request.resolution or DEFAULT_RESOLUTION
    if resolution not in RESOLUTIONS[tier]:
        allowed = ", ".join(str(r) for r in RESOLUTIONS[tier])
        raise invalid(f"resolution: {resolution} is not offered for tier {tier} ({allowed})")
    fps = request.fps or DEFAULT_FPS
    if fps not in FRAME_RATES:
        raise invalid("fps: must be 24, 25 or 30")
    if len(request.video_prompt) > MAX_PROMPT_CHARS:
        raise invalid(f"video_prompt: at most {MAX_PROMPT_CHARS} characters")
    webhook = request.webhook_url.strip()
    if webhook and (len(webhook) > MAX_WEBHOOK_URL_CHARS or "://" not in webhook):
        raise invalid("webhook_url: must be an absolute https:// URL")
    output_format = request.output_format or "url"
    if output_format not in OUTPUT_FORMATS:
        raise invalid("output_format: must be url or raw_key")
    return Draft(
        tier=tier,
        text=text,
        audio=audio,
        resolution=resolution,
        fps=fps,
        video_prompt=request.video_prompt,
        webhook_url=webhook,
        pose_id=request.pose_id,
        output_format=output_format,
        labels_json=encode_labels(request.labels),
        metadata_json=encode_metadata(dict(request.metadata)),
        watermark_mode=watermark_mode_of(request.watermark_mode),
        output_temporary=request.output_temporary,
    )


def watermark_mode_of(mode: str) -> str:
    """The request's ``watermark_mode`` (avatar and studio videos), ``auto`` by default."""
    mode = mode or "auto"
    if mode not in WATERMARK_MODES:
        raise DomainError(ErrorCode.VALIDATION_ERROR, "watermark_mode: auto, always or none")
    return mode


def billable_estimate(seconds: float) -> int:
    """The estimate held at submit: whole seconds, rounded up (at least one)."""
    return max(1, math.ceil(round(seconds, 3)))


def hold_amount(rate_micros_per_second: Micros, estimated_seconds: float) -> Micros:
    return cost_for_seconds(rate_micros_per_second, estimated_seconds)


def capture_amount(hold: Micros, rate_micros_per_second: Micros, actual_seconds: float) -> Micros:
    """What a completed video costs: its actual seconds at the submit-time rate, to
    the millisecond, never more than the hold."""
    return min(hold, cost_for_seconds(rate_micros_per_second, round(actual_seconds, 3)))


def rate_for(prices: Prices, tier: Tier) -> Micros:
    return prices.avatar_pro if tier is Tier.AVATAR_PRO else prices.avatar


def check_avatar_ready(avatar: AvatarFacts) -> None:
    if not avatar.ready:
        raise DomainError(ErrorCode.AVATAR_NOT_READY, "Avatar is not ready yet")
    if not avatar.portrait_key:
        raise DomainError(ErrorCode.AVATAR_NOT_READY, "Avatar has no portrait")
    if not avatar.tts_voice_id:
        raise DomainError(ErrorCode.AVATAR_NOT_READY, "Avatar has no voice")


def check_pose(pose: PoseFacts, avatar: AvatarFacts) -> str:
    """The portrait key a pose renders from; the pose must be the avatar's and ready."""
    if pose.avatar_id != avatar.id:
        raise DomainError(ErrorCode.NOT_FOUND, "Pose not found for this avatar")
    if not pose.ready:
        raise DomainError(ErrorCode.AVATAR_NOT_READY, "Pose is not ready yet")
    return pose.image_key or avatar.portrait_key


def completed(
    video_key: str,
    poster_key: str,
    actual_seconds: float,
    captured: Micros | None,
    result_json: str = "",
) -> Settlement:
    return Settlement(
        status=VideoStatus.COMPLETED,
        video_key=video_key,
        poster_key=poster_key,
        actual_seconds=round(actual_seconds, 3),
        actual_cost_micros=captured,
        result_json=result_json,
    )


def failed(error: str) -> Settlement:
    return Settlement(status=VideoStatus.FAILED, error=error or RENDER_FAILED_ERROR)
