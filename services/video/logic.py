"""Avatar videos: the rules. Estimate, hold, enqueue; reconcile; cancel.

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

Uploaded audio (``uploads/<owner>/``) is deleted once no video needs it: when the
video settles (completed, failed, cancelled), when its avatar is deleted, and for audio
this service fetched itself, when the submit fails.

Reconciliation follows the worker's events. Each settles a video at most once: the
handler first *claims* the row (queued/processing -> settling) in a transaction, so
a concurrent cancel either wins before the claim (the render's result is discarded
and the hold released) or is refused after it (CONFLICT). Billing calls carry keys
derived from the video id (``:capture``, ``:release``), so a replayed event or a
crash between the billing call and the row update never charges twice.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Protocol

from google.protobuf.timestamp_pb2 import Timestamp
from sqlalchemy import func, select, update

from avatarmedia.audio import load_audio
from avatarmedia.errors import MediaInputError
from avatarmedia.render import FRAME_RATES, RESOLUTIONS
from avatarmedia.script import script_seconds
from avatarmedia.voice import VoiceProfile
from avatarmesh import fetch
from avatarmesh.billing import hold_money
from avatarmesh.bus import Delivery, Retry, event_meta
from avatarmesh.clock import utcnow
from avatarmesh.db import Database
from avatarmesh.errors import DomainError, ErrorCode
from avatarmesh.ids import IdPrefix, new_id
from avatarmesh.mediatypes import extension_for
from avatarmesh.money import Micros, cost_for_seconds
from avatarmesh.outbox import OutboxRelay, add_to_outbox, first_time
from avatarmesh.storage import (
    Storage,
    StorageError,
    StorageNotFound,
    is_upload_of,
    upload_key,
    video_prefix,
)
from avatarmesh.v1 import (
    avatar_pb2,
    billing_pb2,
    common_pb2,
    events_pb2,
    jobs_pb2,
    pose_pb2,
    video_pb2,
)
from services.video import store
from services.video.config import VideoSettings
from services.video.safety import SafetyFilter
from services.video.store import inbox, outbox, videos

log = logging.getLogger(__name__)

MAX_TEXT_CHARS = 600
MAX_PROMPT_CHARS = 300
MAX_WEBHOOK_URL_CHARS = 2048
DEFAULT_RESOLUTION = 720
DEFAULT_FPS = 25
MIN_AUDIO_SECONDS = 0.2
CANCELLED_ERROR = "cancelled by the user"

TIER_NAMES: dict[common_pb2.Tier, str] = {
    common_pb2.TIER_AVATAR: "avatar",
    common_pb2.TIER_AVATAR_PRO: "avatar_pro",
}
TIER_BY_NAME = {name: tier for tier, name in TIER_NAMES.items()}

STATUS_TO_PROTO = {
    store.QUEUED: video_pb2.VIDEO_STATUS_QUEUED,
    store.PROCESSING: video_pb2.VIDEO_STATUS_PROCESSING,
    store.SETTLING: video_pb2.VIDEO_STATUS_PROCESSING,
    store.COMPLETED: video_pb2.VIDEO_STATUS_COMPLETED,
    store.FAILED: video_pb2.VIDEO_STATUS_FAILED,
    store.CANCELLED: video_pb2.VIDEO_STATUS_CANCELLED,
}


# ----------------------------------------------------------------------- the seams


class AvatarLookup(Protocol):
    async def GetAvatar(
        self, request: avatar_pb2.GetAvatarRequest, **kwargs: Any
    ) -> avatar_pb2.Avatar: ...

    async def GetVoice(
        self, request: avatar_pb2.GetVoiceRequest, **kwargs: Any
    ) -> avatar_pb2.Voice: ...


class PoseLookup(Protocol):
    async def GetPose(self, request: pose_pb2.GetPoseRequest, **kwargs: Any) -> pose_pb2.Pose: ...


class Billing(Protocol):
    async def Hold(
        self, request: billing_pb2.HoldRequest, **kwargs: Any
    ) -> billing_pb2.HoldRecord: ...

    async def Capture(
        self, request: billing_pb2.CaptureRequest, **kwargs: Any
    ) -> billing_pb2.HoldRecord: ...

    async def Release(
        self, request: billing_pb2.ReleaseRequest, **kwargs: Any
    ) -> billing_pb2.HoldRecord: ...

    async def GetHold(
        self, request: billing_pb2.GetHoldRequest, **kwargs: Any
    ) -> billing_pb2.HoldRecord: ...

    async def GetPriceBook(
        self, request: billing_pb2.GetPriceBookRequest, **kwargs: Any
    ) -> billing_pb2.PriceBook: ...


@dataclass
class Upstreams:
    avatars: AvatarLookup
    poses: PoseLookup
    billing: Billing


# ------------------------------------------------------------------ pure rules


@dataclass(frozen=True)
class Draft:
    """A request that passed validation, with defaults applied."""

    tier: str
    text: str
    audio: common_pb2.MediaInput | None
    resolution: int
    fps: int
    video_prompt: str
    webhook_url: str
    pose_id: str
    output_format: str


OUTPUT_FORMATS = ("url", "raw_key")


def _invalid(message: str) -> DomainError:
    return DomainError(ErrorCode.VALIDATION_ERROR, message)


def validate(request: video_pb2.CreateVideoRequest) -> Draft:
    """The request's own rules (no lookups); VALIDATION_ERROR naming the field."""
    if not request.avatar_id:
        raise _invalid("avatar_id: required")
    tier = TIER_NAMES.get(request.tier or common_pb2.TIER_AVATAR)
    if tier is None:
        raise _invalid("tier: must be avatar or avatar_pro")
    audio = request.audio if request.HasField("audio") else None
    if audio is not None and audio.WhichOneof("source") is None:
        audio = None
    text = request.text
    if audio is not None:
        if text.strip():
            raise _invalid("give either text or audio, not both")
        text = ""
    else:
        if not text.strip():
            raise _invalid("text: required (1-600 characters)")
        if len(text) > MAX_TEXT_CHARS:
            raise _invalid(f"text: {len(text)} characters; the limit is {MAX_TEXT_CHARS}")
    resolution = request.resolution or DEFAULT_RESOLUTION
    if resolution not in RESOLUTIONS[tier]:
        allowed = ", ".join(str(r) for r in RESOLUTIONS[tier])
        raise _invalid(f"resolution: {resolution} is not offered for tier {tier} ({allowed})")
    fps = request.fps or DEFAULT_FPS
    if fps not in FRAME_RATES:
        raise _invalid("fps: must be 24, 25 or 30")
    if len(request.video_prompt) > MAX_PROMPT_CHARS:
        raise _invalid(f"video_prompt: at most {MAX_PROMPT_CHARS} characters")
    webhook = request.webhook_url.strip()
    if webhook and (len(webhook) > MAX_WEBHOOK_URL_CHARS or "://" not in webhook):
        raise _invalid("webhook_url: must be an absolute https:// URL")
    output_format = request.output_format or "url"
    if output_format not in OUTPUT_FORMATS:
        raise _invalid("output_format: must be url or raw_key")
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
    )


def billable_estimate(seconds: float) -> int:
    """The estimate held at submit: whole seconds, rounded up (at least one)."""
    return max(1, math.ceil(round(seconds, 3)))


def hold_amount(rate_micros_per_second: Micros, estimated_seconds: float) -> Micros:
    return cost_for_seconds(rate_micros_per_second, estimated_seconds)


def capture_amount(hold: Micros, rate_micros_per_second: Micros, actual_seconds: float) -> Micros:
    """What a completed video costs: its actual seconds at the submit-time rate, to
    the millisecond, never more than the hold."""
    return min(hold, cost_for_seconds(rate_micros_per_second, round(actual_seconds, 3)))


def rate_for(prices: billing_pb2.PriceBook, tier: str) -> Micros:
    if tier == "avatar_pro":
        return int(prices.video_avatar_pro_micros_per_second)
    return int(prices.video_avatar_micros_per_second)


def check_avatar_ready(avatar: avatar_pb2.Avatar) -> None:
    if avatar.status != avatar_pb2.AVATAR_STATUS_READY:
        raise DomainError(ErrorCode.AVATAR_NOT_READY, "Avatar is not ready yet")
    if not avatar.portrait_key:
        raise DomainError(ErrorCode.AVATAR_NOT_READY, "Avatar has no portrait")
    if not avatar.tts_voice_id:
        raise DomainError(ErrorCode.AVATAR_NOT_READY, "Avatar has no voice")


def _ts(value: datetime | None) -> Timestamp | None:
    if value is None:
        return None
    ts = Timestamp()
    ts.FromDatetime(value if value.tzinfo else value.replace(tzinfo=UTC))
    return ts


def to_proto(row: Any) -> video_pb2.VideoJob:
    job = video_pb2.VideoJob(
        id=row.id,
        owner_id=row.owner_id,
        avatar_id=row.avatar_id,
        pose_id=row.pose_id,
        tier=TIER_BY_NAME[row.tier],
        status=STATUS_TO_PROTO[row.status],
        text=row.text,
        video_prompt=row.video_prompt,
        webhook_url=row.webhook_url,
        resolution=row.resolution,
        fps=row.fps,
        estimated_seconds=row.estimated_seconds,
        actual_seconds=row.actual_seconds or 0.0,
        cost_micros=row.cost_micros,
        video_key=row.video_key,
        poster_key=row.poster_key,
        error=row.error,
        progress=1.0 if row.status == store.COMPLETED else row.progress,
        has_audio_input=bool(row.audio_key),
        output_format=row.output_format,
    )
    if row.actual_cost_micros is not None:
        job.actual_cost_micros = row.actual_cost_micros
    created, completed = _ts(row.created_at), _ts(row.completed_at)
    if created is not None:
        job.created_at.CopyFrom(created)
    if completed is not None:
        job.completed_at.CopyFrom(completed)
    return job


def settled_event(row: Any, status: str) -> events_pb2.VideoSettled:
    """``events.video.<status>`` for the webhook service (from the settled row)."""
    event = events_pb2.VideoSettled(
        meta=event_meta(),
        video_id=row.id,
        owner_id=row.owner_id,
        status=status,
        webhook_url=row.webhook_url,
        video_key=row.video_key,
        duration_seconds=row.actual_seconds or 0.0,
        tier=TIER_BY_NAME[row.tier],
        error=row.error,
    )
    if row.actual_cost_micros is not None:
        event.actual_cost_micros = row.actual_cost_micros
    return event


# ----------------------------------------------------------------- the service


class Videos:
    def __init__(
        self,
        db: Database,
        relay: OutboxRelay,
        upstreams: Upstreams,
        storage: Storage,
        settings: VideoSettings,
        safety: SafetyFilter,
    ) -> None:
        self.db = db
        self.relay = relay
        self.up = upstreams
        self.storage = storage
        self.settings = settings
        self.safety = safety

    # -- create ----------------------------------------------------------------

    async def create(self, request: video_pb2.CreateVideoRequest) -> video_pb2.VideoJob:
        owner = request.owner_id
        if not owner:
            raise _invalid("owner_id: required")
        draft = validate(request)
        if draft.webhook_url:
            await fetch.check_url(
                draft.webhook_url,
                allow_insecure_loopback=self.settings.allow_insecure_loopback,
            )
        key = request.idempotency_key or None
        if key is not None:
            existing = await self._by_idempotency_key(owner, key)
            if existing is not None:
                # a repeat: the upload made for it (if any) is never used
                if draft.audio is not None and draft.audio.storage_key:
                    await self._forget_unless_used(owner, draft.audio.storage_key)
                return existing

        avatar = await self.up.avatars.GetAvatar(
            avatar_pb2.GetAvatarRequest(owner_id=owner, avatar_id=request.avatar_id)
        )
        check_avatar_ready(avatar)
        portrait_key = avatar.portrait_key
        if draft.pose_id:
            pose = await self.up.poses.GetPose(
                pose_pb2.GetPoseRequest(owner_id=owner, pose_id=draft.pose_id)
            )
            if pose.avatar_id != avatar.id:
                raise DomainError(ErrorCode.NOT_FOUND, "Pose not found for this avatar")
            if pose.status != pose_pb2.POSE_STATUS_READY:
                raise DomainError(ErrorCode.AVATAR_NOT_READY, "Pose is not ready yet")
            portrait_key = pose.image_key or portrait_key
        voice = await self.up.avatars.GetVoice(
            avatar_pb2.GetVoiceRequest(owner_id=owner, tts_voice_id=avatar.tts_voice_id)
        )
        if not voice.profile_json:
            raise DomainError(ErrorCode.AVATAR_NOT_READY, "Avatar has no voice")
        language = avatar.language or voice.language

        self.safety.check(text=draft.text, video_prompt=draft.video_prompt)

        video_id = new_id(IdPrefix.VIDEO)
        audio_key = ""
        if draft.audio is not None:
            audio_key, measured = await self._audio_input(owner, draft.audio)
            seconds = billable_estimate(measured)
        else:
            seconds = billable_estimate(await self._estimate(draft.text, language, voice))
        # Audio we fetched and stored ourselves is ours to drop if the submit fails from
        # here on (the gateway drops its own uploads when we answer an error).
        fetched = audio_key if draft.audio is not None and draft.audio.https_url else ""
        async with self._forgetting_on_failure(owner, fetched):
            await self._check_queue(owner)

            prices = await self.up.billing.GetPriceBook(billing_pb2.GetPriceBookRequest())
            rate = rate_for(prices, draft.tier)
            amount = hold_amount(rate, seconds)
            hold = await hold_money(self.up.billing, owner_id=owner, amount_micros=amount,
                                    purpose=billing_pb2.CHARGE_PURPOSE_VIDEO,
                                    reference=video_id,
                                    ttl_seconds=self.settings.video_hold_ttl_seconds)
            now = utcnow()
            row = {
                "id": video_id,
                "owner_id": owner,
                "avatar_id": avatar.id,
                "pose_id": draft.pose_id,
                "tier": draft.tier,
                "status": store.QUEUED,
                "text": draft.text,
                "audio_key": audio_key,
                "video_prompt": draft.video_prompt,
                "webhook_url": draft.webhook_url,
                "language": language,
                "resolution": draft.resolution,
                "fps": draft.fps,
                "estimated_seconds": float(seconds),
                "rate_micros_per_second": rate,
                "hold_id": hold.id,
                "cost_micros": amount,
                "actual_seconds": None,
                "actual_cost_micros": None,
                "video_key": "",
                "poster_key": "",
                "error": "",
                "progress": 0.0,
                "output_format": draft.output_format,
                "idempotency_key": key,
                "created_at": now,
                "updated_at": now,
                "completed_at": None,
            }
            job = jobs_pb2.LipsyncJob(
                video_id=video_id,
                owner_id=owner,
                avatar_id=avatar.id,
                portrait_key=portrait_key,
                tts_voice_id=avatar.tts_voice_id,
                voice_profile_json=voice.profile_json,
                language=language,
                text=draft.text,
                tier=TIER_BY_NAME[draft.tier],
                resolution=draft.resolution,
                fps=draft.fps,
                video_prompt=draft.video_prompt,
                output_prefix=video_prefix(owner, video_id),
            )
            if audio_key:
                job.audio.storage_key = audio_key
            try:
                async with self.db.transaction() as session:
                    await session.execute(videos.insert().values(**row))
                    await add_to_outbox(
                        session, outbox, f"jobs.lipsync.{draft.tier}", job, msg_id=f"{video_id}:job"
                    )
            except BaseException:
                await self._release_quietly(hold.id, video_id)
                if key is not None:
                    existing = await self._by_idempotency_key(owner, key)
                    if existing is not None:  # a concurrent retry of the same request won
                        await self._forget_unless_used(owner, audio_key)
                        return existing
                raise
            self.relay.wake()
            return await self.get(owner, video_id)

    async def _estimate(self, text: str, language: str, voice: avatar_pb2.Voice) -> float:
        try:
            profile = VoiceProfile.from_json(voice.profile_json)
            if profile.language != language:
                profile = None  # type: ignore[assignment]
            return await asyncio.to_thread(script_seconds, text, language, profile)
        except MediaInputError as exc:
            raise _invalid(f"text: {exc}") from None

    async def _audio_input(self, owner: str, media: common_pb2.MediaInput) -> tuple[str, float]:
        """(storage key, seconds) of the caller's audio; fetched URLs are stored first,
        so the worker renders (and we bill) exactly what was measured."""
        limit = self.settings.video_max_audio_bytes
        if media.WhichOneof("source") == "storage_key":
            key = media.storage_key
            if not is_upload_of(owner, key):
                raise _invalid("audio: upload not found")
            try:
                data = await self.storage.get_bytes(key)
            except StorageNotFound:
                raise _invalid("audio: upload not found") from None
            except StorageError as exc:
                raise DomainError(ErrorCode.STORAGE_ERROR, str(exc)) from None
        else:
            data = await fetch.fetch(
                media.https_url,
                max_bytes=limit,
                allow_insecure_loopback=self.settings.allow_insecure_loopback,
            )
            key = ""
        if len(data) > limit:
            raise _invalid(f"audio: larger than {limit // (1024 * 1024)} MB")
        try:
            samples, sample_rate = await asyncio.to_thread(load_audio, data)
        except MediaInputError as exc:
            raise _invalid(f"audio: {exc}") from None
        seconds = len(samples) / sample_rate
        if seconds > self.settings.video_max_audio_seconds:
            raise _invalid(
                f"audio: {seconds:.1f} s long; the limit is "
                f"{self.settings.video_max_audio_seconds:g} s"
            )
        if seconds < MIN_AUDIO_SECONDS:
            raise _invalid("audio: shorter than 0.2 s")
        if not key:
            ext = extension_for(media.content_type, media.https_url)
            key = upload_key(owner, new_id(IdPrefix.UPLOAD), ext)
            try:
                await self.storage.put_bytes(key, data, media.content_type or "audio/mpeg")
            except StorageError as exc:
                raise DomainError(ErrorCode.STORAGE_ERROR, str(exc)) from None
        return key, seconds

    async def _check_queue(self, owner: str) -> None:
        async with self.db.transaction() as session:
            mine = await session.scalar(
                select(func.count())
                .select_from(videos)
                .where(videos.c.owner_id == owner, videos.c.status.in_(store.ACTIVE))
            )
            total = await session.scalar(
                select(func.count()).select_from(videos).where(videos.c.status.in_(store.ACTIVE))
            )
        retry = self.settings.video_queue_retry_after_seconds
        if (mine or 0) >= self.settings.video_max_active_per_owner:
            raise DomainError(
                ErrorCode.QUEUE_FULL,
                f"You already have {mine} videos queued or rendering; try again later",
                retry_after=retry,
            )
        if (total or 0) >= self.settings.video_max_active_total:
            raise DomainError(
                ErrorCode.QUEUE_FULL, "Avatar video queue at capacity", retry_after=retry
            )

    async def _by_idempotency_key(self, owner: str, key: str) -> video_pb2.VideoJob | None:
        async with self.db.transaction() as session:
            row = (
                await session.execute(
                    select(videos).where(
                        videos.c.owner_id == owner, videos.c.idempotency_key == key
                    )
                )
            ).first()
        return to_proto(row) if row is not None else None

    # -- read ------------------------------------------------------------------

    async def _row(self, owner: str, video_id: str) -> Any:
        async with self.db.transaction() as session:
            row = (
                await session.execute(
                    select(videos).where(videos.c.id == video_id, videos.c.owner_id == owner)
                )
            ).first()
        if row is None:
            raise DomainError(ErrorCode.NOT_FOUND, "Video not found")
        return row

    async def get(self, owner: str, video_id: str) -> video_pb2.VideoJob:
        return to_proto(await self._row(owner, video_id))

    async def list(self, owner: str, page: int, limit: int) -> video_pb2.ListVideosResponse:
        page = page or 1
        limit = limit or 20
        if page < 1 or not 1 <= limit <= 100:
            raise _invalid("page must be >= 1 and limit between 1 and 100")
        async with self.db.transaction() as session:
            total = await session.scalar(
                select(func.count()).select_from(videos).where(videos.c.owner_id == owner)
            )
            rows = (
                await session.execute(
                    select(videos)
                    .where(videos.c.owner_id == owner)
                    .order_by(videos.c.created_at.desc(), videos.c.id.desc())
                    .offset((page - 1) * limit)
                    .limit(limit)
                )
            ).all()
        return video_pb2.ListVideosResponse(
            videos=[to_proto(r) for r in rows],
            page=common_pb2.PageInfo(page=page, limit=limit, total=int(total or 0)),
        )

    # -- cancel ----------------------------------------------------------------

    async def cancel(self, owner: str, video_id: str) -> video_pb2.VideoJob:
        """queued/processing -> cancelled, the hold released; a cancelled video never
        captures. Cancelling again answers the cancelled video (and retries the
        release); a finished or finalising video answers CONFLICT."""
        async with self.db.transaction() as session:
            row = (
                await session.execute(
                    select(videos).where(videos.c.id == video_id, videos.c.owner_id == owner)
                )
            ).first()
            if row is None:
                raise DomainError(ErrorCode.NOT_FOUND, "Video not found")
            if row.status in (store.QUEUED, store.PROCESSING):
                now = utcnow()
                changed = await session.execute(
                    update(videos)
                    .where(
                        videos.c.id == video_id,
                        videos.c.status.in_((store.QUEUED, store.PROCESSING)),
                    )
                    .values(
                        status=store.CANCELLED,
                        error=CANCELLED_ERROR,
                        updated_at=now,
                        completed_at=now,
                    )
                )
                if changed.rowcount == 1:  # type: ignore[attr-defined]
                    settled = (
                        await session.execute(select(videos).where(videos.c.id == video_id))
                    ).one()
                    await add_to_outbox(
                        session,
                        outbox,
                        "events.video.cancelled",
                        settled_event(settled, store.CANCELLED),
                        msg_id=f"{video_id}:video:cancelled",
                    )
                    row = settled
        if row.status == store.CANCELLED:
            self.relay.wake()
            await self._release_quietly(row.hold_id, video_id)
            await self._forget_upload(owner, row.audio_key)
            return to_proto(row)
        if row.status == store.SETTLING:
            raise DomainError(
                ErrorCode.CONFLICT, "The video is being finalised; it cannot be cancelled"
            )
        raise DomainError(ErrorCode.CONFLICT, f"The video is already {row.status}")

    # -- reconcile: the worker's events ----------------------------------------

    async def on_render_progress(self, delivery: Delivery[events_pb2.RenderProgress]) -> None:
        event = delivery.message
        progress = min(0.99, max(0.0, event.progress))
        async with self.db.transaction() as session:
            await session.execute(
                update(videos)
                .where(
                    videos.c.id == event.video_id,
                    videos.c.status.in_((store.QUEUED, store.PROCESSING)),
                    videos.c.progress <= progress,
                )
                .values(status=store.PROCESSING, progress=progress, updated_at=utcnow())
            )

    async def _claim(self, video_id: str) -> Any:
        """The row, after moving an active video to settling (None: unknown video)."""
        async with self.db.transaction() as session:
            await session.execute(
                update(videos)
                .where(
                    videos.c.id == video_id, videos.c.status.in_((store.QUEUED, store.PROCESSING))
                )
                .values(status=store.SETTLING, updated_at=utcnow())
            )
            return (await session.execute(select(videos).where(videos.c.id == video_id))).first()

    async def on_render_completed(self, delivery: Delivery[events_pb2.RenderCompleted]) -> None:
        event = delivery.message
        row = await self._claim(event.video_id)
        if row is None:
            log.warning("render completed for unknown video %s", event.video_id)
            return
        if row.status == store.CANCELLED:
            await self._discard_cancelled(row)
            return
        if row.status != store.SETTLING:
            return  # already settled: a replayed event
        actual = round(event.actual_seconds, 3)
        amount = capture_amount(row.cost_micros, row.rate_micros_per_second, actual)
        captured = await self._capture(row, amount)
        # The render is in storage: the caller's audio is no longer needed (deleted
        # before the row says completed, so a completed video has no upload left).
        await self._forget_upload(row.owner_id, row.audio_key)
        now = utcnow()
        async with self.db.transaction() as session:
            if not await first_time(session, inbox, f"{row.id}:settled"):
                return
            await session.execute(
                update(videos)
                .where(videos.c.id == row.id, videos.c.status == store.SETTLING)
                .values(
                    status=store.COMPLETED,
                    video_key=event.video_key,
                    poster_key=event.poster_key,
                    actual_seconds=actual,
                    actual_cost_micros=captured,
                    progress=1.0,
                    updated_at=now,
                    completed_at=now,
                )
            )
            settled = (await session.execute(select(videos).where(videos.c.id == row.id))).one()
            await add_to_outbox(
                session,
                outbox,
                "events.video.completed",
                settled_event(settled, store.COMPLETED),
                msg_id=f"{row.id}:video:completed",
            )
        self.relay.wake()

    async def on_render_failed(self, delivery: Delivery[events_pb2.RenderFailed]) -> None:
        event = delivery.message
        row = await self._claim(event.video_id)
        if row is None:
            log.warning("render failed for unknown video %s", event.video_id)
            return
        if row.status == store.CANCELLED:
            await self._discard_cancelled(row)
            return
        if row.status != store.SETTLING:
            return
        await self.up.billing.Release(
            billing_pb2.ReleaseRequest(hold_id=row.hold_id, idempotency_key=f"{row.id}:release")
        )
        await self._forget_upload(row.owner_id, row.audio_key)
        now = utcnow()
        async with self.db.transaction() as session:
            if not await first_time(session, inbox, f"{row.id}:settled"):
                return
            await session.execute(
                update(videos)
                .where(videos.c.id == row.id, videos.c.status == store.SETTLING)
                .values(
                    status=store.FAILED,
                    error=event.error or "rendering failed",
                    actual_cost_micros=None,
                    updated_at=now,
                    completed_at=now,
                )
            )
            settled = (await session.execute(select(videos).where(videos.c.id == row.id))).one()
            await add_to_outbox(
                session,
                outbox,
                "events.video.failed",
                settled_event(settled, store.FAILED),
                msg_id=f"{row.id}:video:failed",
            )
        self.relay.wake()

    async def on_avatar_deleted(self, delivery: Delivery[events_pb2.AvatarDeleted]) -> None:
        """The avatar is gone: its videos' files go too, outputs and uploaded audio
        (rows stay, for the history); videos still queued or rendering are cancelled
        and their holds released."""
        event = delivery.message
        async with self.db.transaction() as session:
            rows = (
                await session.execute(
                    select(videos).where(
                        videos.c.owner_id == event.owner_id, videos.c.avatar_id == event.avatar_id
                    )
                )
            ).all()
        for row in rows:
            if row.status in (store.QUEUED, store.PROCESSING):
                try:
                    await self.cancel(row.owner_id, row.id)
                except DomainError:
                    pass  # it settled meanwhile
            try:
                await self.storage.delete_prefix(video_prefix(row.owner_id, row.id))
                if is_upload_of(row.owner_id, row.audio_key):
                    await self.storage.delete(row.audio_key)
            except StorageError as exc:
                raise Retry(5.0, str(exc)) from exc

    async def _capture(self, row: Any, amount: Micros) -> Micros | None:
        """Capture ``amount`` (release when 0); the captured micros, None if nothing
        could be captured (the hold expired meanwhile: the video is then free)."""
        if amount <= 0:
            await self.up.billing.Release(
                billing_pb2.ReleaseRequest(hold_id=row.hold_id, idempotency_key=f"{row.id}:release")
            )
            return 0
        try:
            record = await self.up.billing.Capture(
                billing_pb2.CaptureRequest(
                    hold_id=row.hold_id, amount_micros=amount, idempotency_key=f"{row.id}:capture"
                )
            )
            return int(record.captured_micros)
        except DomainError as exc:
            if exc.code not in (ErrorCode.CONFLICT, ErrorCode.VALIDATION_ERROR):
                raise  # billing unavailable: the bus retries the event
            hold = await self.up.billing.GetHold(billing_pb2.GetHoldRequest(hold_id=row.hold_id))
            if hold.status == billing_pb2.HOLD_STATUS_CAPTURED:
                return int(hold.captured_micros)
            log.error("video %s: hold %s could not be captured (%s)", row.id, row.hold_id, exc)
            return None

    async def _discard_cancelled(self, row: Any) -> None:
        await self._release_quietly(row.hold_id, row.id)
        await self._forget_upload(row.owner_id, row.audio_key)
        try:
            await self.storage.delete_prefix(video_prefix(row.owner_id, row.id))
        except StorageError as exc:
            log.warning("output of cancelled video %s not deleted: %s", row.id, exc)

    @contextlib.asynccontextmanager
    async def _forgetting_on_failure(self, owner: str, key: str) -> AsyncIterator[None]:
        """On an exception, ``_forget_unless_used(key)`` and re-raise."""
        try:
            yield
        except BaseException:
            await self._forget_unless_used(owner, key)
            raise

    async def _forget_upload(self, owner: str, key: str) -> None:
        """Delete the caller's uploaded audio once nothing needs it (a settled video
        or a rejected submit), so uploads do not pile up. Only keys under the owner's
        ``uploads/`` prefix are touched; a storage failure is logged, not raised."""
        if is_upload_of(owner, key):
            await self.storage.delete_quietly(key)

    async def _forget_unless_used(self, owner: str, key: str) -> None:
        """``_forget_upload`` unless a video row refers to ``key`` (an idempotent repeat
        or a lost race must not delete the audio of the video that won)."""
        if not key:
            return
        async with self.db.transaction() as session:
            used = await session.scalar(
                select(func.count()).select_from(videos).where(videos.c.audio_key == key)
            )
        if not used:
            await self._forget_upload(owner, key)

    async def _release_quietly(self, hold_id: str, video_id: str) -> None:
        """Release a hold; on failure log it (billing's hold TTL releases it anyway)."""
        try:
            await self.up.billing.Release(
                billing_pb2.ReleaseRequest(hold_id=hold_id, idempotency_key=f"{video_id}:release")
            )
        except Exception as exc:
            log.warning("releasing hold %s of video %s failed: %s", hold_id, video_id, exc)

