"""CreateVideo: validate, look up, estimate, hold, then write the row and the render
job in one transaction (the steps and their order are in ``logic``'s docstring)."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

from avatarmedia.audio import load_audio
from avatarmedia.errors import MediaInputError
from avatarmedia.script import script_seconds
from avatarmedia.voice import VoiceProfile
from avatarmesh import fetch
from avatarmesh.clock import utcnow
from avatarmesh.db import Database
from avatarmesh.errors import DomainError, ErrorCode
from avatarmesh.ids import IdPrefix, new_id
from avatarmesh.mediatypes import extension_for
from avatarmesh.outbox import OutboxRelay
from avatarmesh.storage import (
    Storage,
    StorageError,
    StorageNotFound,
    is_file_of,
    is_upload_of,
    upload_key,
)
from services.video import events, store
from services.video.config import VideoSettings
from services.video.logic import (
    MIN_AUDIO_SECONDS,
    AudioInput,
    AvatarFacts,
    Draft,
    Video,
    VideoRequest,
    VideoStatus,
    VoiceFacts,
    billable_estimate,
    check_avatar_ready,
    check_pose,
    hold_amount,
    invalid,
    rate_for,
    validate,
    watermarked,
)
from services.video.safety import SafetyFilter
from services.video.uploads import UploadedAudio
from services.video.upstreams import Upstreams


@dataclass(frozen=True)
class Subject:
    """Who and what a video shows, from the avatar (and pose) services."""

    avatar: AvatarFacts
    voice: VoiceFacts
    portrait_key: str
    language: str


@dataclass
class Submissions:
    db: Database
    relay: OutboxRelay
    upstreams: Upstreams
    storage: Storage
    uploads: UploadedAudio
    settings: VideoSettings
    safety: SafetyFilter

    async def create(self, request: VideoRequest) -> Video:
        owner = request.owner_id
        if not owner:
            raise invalid("owner_id: required")
        draft = validate(request)
        marked = watermarked(
            draft.watermark_mode, owner in self.settings.video_watermark_none_owners
        )
        if draft.webhook_url:
            await fetch.check_url(
                draft.webhook_url, allow_insecure_loopback=self.settings.allow_insecure_loopback
            )
        key = request.idempotency_key or None
        if key is not None:
            existing = await self._by_idempotency_key(owner, key)
            if existing is not None:
                # a repeat: the upload made for it (if any) is never used
                if draft.audio is not None and draft.audio.storage_key:
                    await self.uploads.forget_unless_used(owner, draft.audio.storage_key)
                return existing
        subject = await self._subject(owner, request.avatar_id, draft.pose_id)
        self.safety.check(text=draft.text, video_prompt=draft.video_prompt)

        video_id = new_id(IdPrefix.VIDEO)
        audio_key = ""
        if draft.audio is not None:
            audio_key, measured = await self._audio_input(owner, draft.audio)
            seconds = billable_estimate(measured)
        else:
            seconds = billable_estimate(
                await self._estimate(draft.text, subject.language, subject.voice)
            )
        # Audio we fetched and stored ourselves is ours to drop if the submit fails from
        # here on (the gateway drops its own uploads when we answer an error).
        fetched = audio_key if draft.audio is not None and draft.audio.https_url else ""
        async with self.uploads.forgotten_on_failure(owner, fetched):
            await self._check_queue(owner)
            rate = rate_for(await self.upstreams.prices(), draft.tier)
            amount = hold_amount(rate, seconds)
            hold_id = await self.upstreams.hold(
                owner, amount, video_id, self.settings.video_hold_ttl_seconds
            )
            video = _queued(
                video_id, owner, draft, subject, audio_key, seconds, rate, hold_id, amount, key
            )
            try:
                async with self.db.transaction() as session:
                    await store.insert(session, video)
                    await events.queue_render(
                        session,
                        video,
                        portrait_key=subject.portrait_key,
                        tts_voice_id=subject.avatar.tts_voice_id,
                        voice_profile_json=subject.voice.profile_json,
                        watermark=marked,
                    )
            except BaseException:
                await self.upstreams.release_quietly(hold_id, video_id)
                if key is not None:
                    existing = await self._by_idempotency_key(owner, key)
                    if existing is not None:  # a concurrent retry of the same request won
                        await self.uploads.forget_unless_used(owner, audio_key)
                        return existing
                raise
            self.relay.wake()
            return video

    async def _subject(self, owner: str, avatar_id: str, pose_id: str) -> Subject:
        """The avatar (the caller's or public, ready), its pose and its voice."""
        avatar = await self.upstreams.avatar(owner, avatar_id)
        check_avatar_ready(avatar)
        portrait_key = avatar.portrait_key
        if pose_id:
            portrait_key = check_pose(await self.upstreams.pose(owner, pose_id), avatar)
        voice = await self.upstreams.voice(owner, avatar.tts_voice_id)
        if not voice.profile_json:
            raise DomainError(ErrorCode.AVATAR_NOT_READY, "Avatar has no voice")
        return Subject(avatar, voice, portrait_key, avatar.language or voice.language)

    async def _by_idempotency_key(self, owner: str, key: str) -> Video | None:
        async with self.db.transaction() as session:
            return await store.by_idempotency_key(session, owner, key)

    async def _estimate(self, text: str, language: str, voice: VoiceFacts) -> float:
        try:
            profile: VoiceProfile | None = VoiceProfile.from_json(voice.profile_json)
            if profile is not None and profile.language != language:
                profile = None
            return await asyncio.to_thread(script_seconds, text, language, profile)
        except MediaInputError as exc:
            raise invalid(f"text: {exc}") from None

    async def _audio_input(self, owner: str, media: AudioInput) -> tuple[str, float]:
        """(storage key, seconds) of the caller's audio; fetched URLs are stored first,
        so the worker renders (and we bill) exactly what was measured."""
        limit = self.settings.video_max_audio_bytes
        if media.storage_key:
            key = media.storage_key
            data = await self._uploaded(owner, key)
        else:
            data = await fetch.fetch(
                media.https_url,
                max_bytes=limit,
                allow_insecure_loopback=self.settings.allow_insecure_loopback,
            )
            key = ""
        if len(data) > limit:
            raise invalid(f"audio: larger than {limit // (1024 * 1024)} MB")
        seconds = await self._measure(data)
        if not key:
            ext = extension_for(media.content_type, media.https_url)
            key = upload_key(owner, new_id(IdPrefix.UPLOAD), ext)
            try:
                await self.storage.put_bytes(key, data, media.content_type or "audio/mpeg")
            except StorageError as exc:
                raise DomainError(ErrorCode.STORAGE_ERROR, str(exc)) from None
        return key, seconds

    async def _uploaded(self, owner: str, key: str) -> bytes:
        if not (is_upload_of(owner, key) or is_file_of(owner, key)):
            raise invalid("audio: upload not found")
        try:
            return await self.storage.get_bytes(key)
        except StorageNotFound:
            raise invalid("audio: upload not found") from None
        except StorageError as exc:
            raise DomainError(ErrorCode.STORAGE_ERROR, str(exc)) from None

    async def _measure(self, data: bytes) -> float:
        """The audio's length in seconds, within the accepted range."""
        try:
            samples, sample_rate = await asyncio.to_thread(load_audio, data)
        except MediaInputError as exc:
            raise invalid(f"audio: {exc}") from None
        seconds = len(samples) / sample_rate
        longest = self.settings.video_max_audio_seconds
        if seconds > longest:
            raise invalid(f"audio: {seconds:.1f} s long; the limit is {longest:g} s")
        if seconds < MIN_AUDIO_SECONDS:
            raise invalid("audio: shorter than 0.2 s")
        return seconds

    async def _check_queue(self, owner: str) -> None:
        async with self.db.transaction() as session:
            mine, total = await store.active_counts(session, owner)
        retry = self.settings.video_queue_retry_after_seconds
        if mine >= self.settings.video_max_active_per_owner:
            raise DomainError(
                ErrorCode.QUEUE_FULL,
                f"You already have {mine} videos queued or rendering; try again later",
                retry_after=retry,
            )
        if total >= self.settings.video_max_active_total:
            raise DomainError(
                ErrorCode.QUEUE_FULL, "Avatar video queue at capacity", retry_after=retry
            )


def _queued(
    video_id: str,
    owner: str,
    draft: Draft,
    subject: Subject,
    audio_key: str,
    seconds: int,
    rate: int,
    hold_id: str,
    amount: int,
    idempotency_key: str | None,
) -> Video:
    now = utcnow()
    return Video(
        id=video_id,
        owner_id=owner,
        avatar_id=subject.avatar.id,
        pose_id=draft.pose_id,
        tier=draft.tier,
        status=VideoStatus.QUEUED,
        text=draft.text,
        audio_key=audio_key,
        video_prompt=draft.video_prompt,
        webhook_url=draft.webhook_url,
        language=subject.language,
        resolution=draft.resolution,
        fps=draft.fps,
        estimated_seconds=float(seconds),
        rate_micros_per_second=rate,
        hold_id=hold_id,
        cost_micros=amount,
        actual_seconds=None,
        actual_cost_micros=None,
        video_key="",
        poster_key="",
        error="",
        progress=0.0,
        output_format=draft.output_format,
        idempotency_key=idempotency_key,
        created_at=now,
        updated_at=now,
        completed_at=None,
        labels_json=draft.labels_json,
        metadata_json=draft.metadata_json,
        output_temporary=draft.output_temporary,
    )
