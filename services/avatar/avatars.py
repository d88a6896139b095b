"""The avatar calls: create (hold, then row + job together), the system avatars, read,
delete, voices and speech (the rules are in ``logic``)."""

from __future__ import annotations

import asyncio
import io
import logging
import wave
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from avatarmedia.text_norm import LANGUAGES
from avatarmesh.clock import utcnow
from avatarmesh.db import Database
from avatarmesh.errors import DomainError, ErrorCode
from avatarmesh.ids import IdPrefix, new_id
from avatarmesh.labels import encode_labels, encode_metadata, parse_metadata_filters
from avatarmesh.outbox import OutboxRelay
from avatarmesh.storage import Storage, StorageError, avatar_prefix
from services.avatar import events, store
from services.avatar.config import AvatarSettings
from services.avatar.logic import (
    ACTIVE,
    MAX_PAGE_LIMIT,
    TTS_MAX_CHARS,
    Avatar,
    AvatarRequest,
    AvatarStatus,
    HoldSettlement,
    Media,
    ReviewStatus,
    Source,
    Stage,
    Voice,
    check,
    upload_keys,
    validate_create,
)
from services.avatar.system import SYSTEM_AVATARS, SYSTEM_OWNER, SystemAvatar
from services.avatar.upstreams import Upstreams
from services.avatar.voices import (
    VoiceEntry,
    builtin_profile,
    builtin_voices,
    cloned_entry,
    sample_text,
)

log = logging.getLogger(__name__)


@dataclass
class Avatars:
    db: Database
    relay: OutboxRelay
    upstreams: Upstreams
    storage: Storage
    settings: AvatarSettings

    # -- create ----------------------------------------------------------------

    async def create(self, req: AvatarRequest) -> Avatar:
        source = validate_create(req, self.settings.avatar_consent_required)
        await self._check_queue()
        amount = await self.upstreams.creation_price()
        avatar_id = new_id(IdPrefix.AVATAR)
        reviewed = req.consent_video is not None
        ttl = self.settings.avatar_hold_ttl_seconds
        if reviewed:  # waits for a human: the longest hold billing allows
            ttl = max(ttl, self.settings.avatar_review_hold_ttl_seconds)
        hold_id = await self.upstreams.hold(req.owner_id, amount, avatar_id, ttl)
        avatar = _pending(
            avatar_id,
            req.owner_id,
            req,
            source,
            cost_micros=amount,
            hold_id=hold_id,
            uploads=upload_keys(req.ref_image, req.source_video, req.consent_video),
        )
        try:
            await self._insert(avatar, req.ref_image, req.source_video, req.consent_video)
        except Exception:
            await self.upstreams.give_back(avatar_id, hold_id)  # nothing was written
            raise
        return avatar

    async def _check_queue(self) -> None:
        async with self.db.transaction() as s:
            waiting = await store.creations_waiting(s)
        if waiting >= self.settings.avatar_queue_limit:
            raise DomainError(
                ErrorCode.QUEUE_FULL,
                "Avatar creation queue at capacity; retry in a minute",
                retry_after=60,
            )

    async def _insert(
        self,
        avatar: Avatar,
        ref_image: Media | None = None,
        source_video: Media | None = None,
        consent_video: Media | None = None,
    ) -> None:
        async with self.db.transaction() as s:
            await store.insert(s, avatar)
            await events.queue_creation(s, avatar, ref_image, source_video, consent_video)
        self.relay.wake()

    # -- system avatars --------------------------------------------------------

    async def seed_system(self) -> int:
        """Insert (with their creation job) the system avatars that do not exist yet."""
        added = 0
        for system in SYSTEM_AVATARS:
            if await self._seed_one(system):
                added += 1
        if added:
            log.info("seeded %d system avatars", added)
        return added

    async def _seed_one(self, system: SystemAvatar) -> bool:
        async with self.db.transaction() as s:
            if await store.exists(s, system.id):
                return False
        request = AvatarRequest(
            owner_id=SYSTEM_OWNER,
            name=system.name,
            description=system.description,
            language=system.language,
            nationality=system.nationality,
            gender=system.gender,
            accent=system.accent,
        )
        avatar = _pending(system.id, SYSTEM_OWNER, request, Source.GENERATED, system=True)
        try:
            await self._insert(avatar)
        except Exception as exc:  # another replica seeded it first
            log.info("system avatar %s not seeded here: %s", system.id, exc)
            return False
        return True

    # -- read ------------------------------------------------------------------

    async def get(self, owner_id: str, avatar_id: str) -> Avatar:
        async with self.db.read() as s:
            avatar = await store.get_visible(s, avatar_id, owner_id)
        if avatar is None:
            raise DomainError(ErrorCode.NOT_FOUND, "Avatar not found")
        return avatar

    async def list(
        self,
        owner_id: str,
        page: int,
        limit: int,
        labels: Sequence[str] = (),
        metadata: Sequence[str] = (),
    ) -> tuple[list[Avatar], int, int, int]:
        """(avatars, page, limit, total): the owner's avatars, then the system ones
        (only those with every label and ``key:value`` metadata asked for)."""
        pairs = parse_metadata_filters(metadata)
        page = page or 1
        limit = limit or 20
        check(page >= 1, "page: must be at least 1")
        check(1 <= limit <= MAX_PAGE_LIMIT, "limit: must be between 1 and 100")
        async with self.db.read() as s:
            avatars, total = await store.page(s, owner_id, page, limit, labels, pairs)
        return avatars, page, limit, total

    # -- consent review (operators) --------------------------------------------

    async def reviews(self, limit: int) -> Sequence[Avatar]:
        """Avatars of every owner waiting for a review decision, oldest first."""
        limit = limit or 50
        check(1 <= limit <= MAX_PAGE_LIMIT, "limit: must be between 1 and 100")
        async with self.db.read() as s:
            return await store.in_review(s, limit)

    # -- delete ----------------------------------------------------------------

    async def delete(self, owner_id: str, avatar_id: str) -> None:
        """Poses, stored objects (portrait, demo, poses), voice and row; the video
        service deletes the avatar's videos on ``events.avatar.deleted``. Every step is
        idempotent, so a failed delete can simply be repeated."""
        async with self.db.transaction() as s:
            avatar = await store.get(s, avatar_id)
        if avatar is None:
            raise DomainError(ErrorCode.NOT_FOUND, "Avatar not found")
        if avatar.is_system:
            raise DomainError(ErrorCode.FORBIDDEN, "System avatars cannot be deleted")
        if avatar.owner_id != owner_id:
            raise DomainError(ErrorCode.FORBIDDEN, "Avatar not owned by caller")
        if avatar.status in ACTIVE and avatar.hold_id and not avatar.settlement:
            await self.upstreams.give_back(avatar_id, avatar.hold_id)
        await self.upstreams.delete_poses(owner_id, avatar_id)
        await delete_files(self.storage, avatar.owner_id, avatar_id, avatar.upload_keys)
        async with self.db.transaction() as s:
            await store.delete_avatar(s, avatar_id)
            await events.queue_deleted(s, owner_id, avatar_id)
        self.relay.wake()

    # -- voices ----------------------------------------------------------------

    async def voice(self, owner_id: str, tts_voice_id: str) -> Voice:
        """A cloned voice the owner may use, or a built-in voice (``bv_...``)."""
        builtin = await asyncio.to_thread(builtin_profile, tts_voice_id)
        if builtin is not None:
            return Voice(
                id=tts_voice_id,
                avatar_id="",
                owner_id="",
                is_system=True,
                language=builtin.language,
                profile_json=builtin.to_json(),
                created_at=utcnow(),
            )
        async with self.db.transaction() as s:
            voice = await store.voice_visible(s, tts_voice_id, owner_id)
        if voice is None:
            raise DomainError(ErrorCode.NOT_FOUND, "Voice not found")
        return voice

    async def list_voices(self, owner_id: str, language: str) -> Sequence[VoiceEntry]:
        """Built-in voices of every language (or ``language``), then the owner's clones."""
        check(not language or language in LANGUAGES, f"language: one of {', '.join(LANGUAGES)}")
        builtin = await asyncio.to_thread(builtin_voices, language)
        async with self.db.read() as s:
            owned = await store.owned_voices(s, owner_id, language)
        return [*builtin, *(cloned_entry(v.id, v.avatar_id, v.profile_json) for v in owned)]

    async def synthesize(
        self, owner_id: str, tts_voice_id: str, text: str, speed: float, *, sample: bool = False
    ) -> tuple[bytes, float]:
        """(16-bit mono WAV, seconds) of ``text`` in the voice (its sample sentence when
        ``sample``)."""
        if sample:
            text = sample_text((await self.voice(owner_id, tts_voice_id)).language)
        text = text.strip()
        check(1 <= len(text) <= TTS_MAX_CHARS, f"text: must be 1-{TTS_MAX_CHARS} characters")
        speed = speed or 1.0
        check(0.5 <= speed <= 1.5, "speed: must be between 0.5 and 1.5")
        voice = await self.voice(owner_id, tts_voice_id)
        return await asyncio.to_thread(_speak, text, voice.profile_json, speed)


async def delete_files(storage: Storage, owner_id: str, avatar_id: str, uploads: str = "") -> None:
    """The avatar's stored objects (portrait, demo, poses) and its creation's uploads."""
    try:
        await storage.delete_prefix(avatar_prefix(owner_id, avatar_id))
        for key in filter(None, uploads.split(",")):
            await storage.delete(key)
    except StorageError as exc:
        raise DomainError(
            ErrorCode.STORAGE_ERROR, f"deleting the avatar's files failed: {exc}"
        ) from exc


def _pending(
    avatar_id: str,
    owner_id: str,
    req: AvatarRequest,
    source: Source,
    *,
    cost_micros: int = 0,
    hold_id: str = "",
    uploads: str = "",
    system: bool = False,
) -> Avatar:
    now = utcnow()
    return Avatar(
        id=avatar_id,
        owner_id=owner_id,
        name=req.name.strip(),
        description=req.description.strip(),
        language=req.language,
        nationality=req.nationality.strip(),
        gender=req.gender,
        accent=req.accent.strip(),
        source=source,
        status=AvatarStatus.PENDING,
        stage=Stage.NONE,
        is_system=system,
        is_public=system,
        portrait_key="",
        portrait_kind="",
        motion="",
        motion_reason="",
        demo_video_key="",
        tts_voice_id="",
        cost_micros=cost_micros,
        error="",
        hold_id=hold_id,
        settlement=HoldSettlement.NONE,
        upload_keys=uploads,
        created_at=now,
        updated_at=now,
        labels_json=encode_labels(req.labels),
        metadata_json=encode_metadata(dict(req.metadata)),
        review_status=ReviewStatus.PENDING if req.consent_video else ReviewStatus.NONE,
    )


def _speak(text: str, profile_json: str, speed: float) -> tuple[bytes, float]:
    from avatarmedia.errors import MediaInputError
    from avatarmedia.speech import synthesize
    from avatarmedia.voice import VoiceProfile

    try:
        speech = synthesize(text, VoiceProfile.from_json(profile_json), speed=speed)
    except MediaInputError as exc:
        raise DomainError(ErrorCode.VALIDATION_ERROR, str(exc)) from exc
    samples = np.clip(np.asarray(speech.samples, dtype=np.float32), -1.0, 1.0)
    pcm = (samples * 32767.0).astype("<i2").tobytes()
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(int(speech.sample_rate))
        out.writeframes(pcm)
    return buffer.getvalue(), round(len(samples) / speech.sample_rate, 3)
