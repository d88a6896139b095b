"""CreateStudioVideo: validate, resolve, fetch, estimate, hold, then write the row and
the ``jobs.studio.<tier>`` job in one transaction.

Studio videos live in the video service, in its ``videos`` table (``kind`` studio):
they share everything after submit with avatar videos (the hold, the outbox, the
worker's render events, settle/capture/release, cancel, ``events.video.*`` for
webhooks), so this module only adds what differs before the hold.

In order (the first failure answers; nothing is held before step 5, nothing
written before step 7, and inputs stored in step 4 are deleted on any failure):

1. ``studio_logic.validate_studio``: every field (VALIDATION_ERROR naming it);
   ``watermark_mode`` none for an account the operator does not allow is 403
   WATERMARK_NOT_ALLOWED, as for avatar videos;
2. the callback URL is public (the SSRF rules of ``avatarmesh.fetch``); a repeat
   idempotency key answers the first video; the safety filter on every script;
3. each scene's avatar (the caller's or public, ready), pose and voice
   (``voice_id`` or the avatar's own): unknown is 404 NOT_FOUND, not ready 409
   AVATAR_NOT_READY, each naming the field (as for avatar videos);
4. each URL fetched through ``avatarmesh.fetch`` (public addresses only, size
   capped), checked (a decodable image with a face for a talking photo, an image,
   audio up to 300 s, a video up to 5 min) and stored under the video's prefix,
   so the worker renders, and we bill, exactly what was checked;
5. the estimate (text by the speech engine at the scene's speed, audio and silence
   measured), at most 10 minutes; QUEUE_FULL; the hold;
6. the render spec (``avatarmedia.studio_spec``);
7. one transaction: the row and the job.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import tempfile
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from avatarmedia.audio import load_audio
from avatarmedia.encode import probe
from avatarmedia.errors import MediaInputError
from avatarmedia.portrait import load_image, photo_portrait
from avatarmedia.script import script_seconds
from avatarmedia.studio_spec import BackgroundSpec, CharacterSpec, SceneSpec, StudioSpec, VoiceSpec
from avatarmedia.voice import VoiceProfile
from avatarmesh import fetch
from avatarmesh.clock import utcnow
from avatarmesh.errors import DomainError, ErrorCode
from avatarmesh.ids import IdPrefix, new_id
from avatarmesh.mediatypes import STUDIO_FETCH_CAPS
from avatarmesh.storage import StorageError, StorageNotFound, video_prefix
from services.video import events, store
from services.video.logic import (
    AvatarFacts,
    Video,
    VideoStatus,
    VoiceFacts,
    check_avatar_ready,
    check_pose,
    hold_amount,
    invalid,
    rate_for,
    watermarked,
)
from services.video.studio_logic import (
    FILE_KEY,
    MAX_BACKGROUND_VIDEO_SECONDS,
    MAX_SCENE_AUDIO_SECONDS,
    MAX_VIDEO_SECONDS,
    SceneDraft,
    StudioDraft,
    parse_request,
    studio_hold_seconds,
    validate_studio,
)
from services.video.submit import Submissions

log = logging.getLogger(__name__)


@contextlib.contextmanager
def _naming(field_path: str) -> Iterator[None]:
    """A lookup's NOT_FOUND or AVATAR_NOT_READY, with the field it came from named: the
    same codes as for avatar videos (an id naming nothing the caller can use is 404,
    as a file id is), so a body the schema allows is never a 400 for another
    resource's existence."""
    try:
        yield
    except DomainError as exc:
        if exc.code in (ErrorCode.NOT_FOUND, ErrorCode.AVATAR_NOT_READY):
            raise DomainError(exc.code, f"{field_path}: {exc.message}") from None
        raise


@dataclass
class Resolved:
    """Lookups and stored inputs of one request (cached: scenes repeat avatars)."""

    avatars: dict[str, AvatarFacts] = field(default_factory=dict)
    voices: dict[str, VoiceFacts] = field(default_factory=dict)
    stored: dict[str, str] = field(default_factory=dict)  # url -> key
    measured: dict[str, float] = field(default_factory=dict)  # key -> seconds


@dataclass
class StudioSubmissions:
    base: Submissions

    async def create(self, owner: str, request_json: str, idempotency_key: str) -> Video:
        if not owner:
            raise invalid("owner_id: required")
        draft = validate_studio(parse_request(request_json))
        settings = self.base.settings
        watermarked(draft.watermark_mode, owner in settings.video_watermark_none_owners)
        if draft.callback_url:
            await fetch.check_url(
                draft.callback_url, allow_insecure_loopback=settings.allow_insecure_loopback
            )
        key = idempotency_key or None
        if key is not None:
            existing = await self.base._by_idempotency_key(owner, key)
            if existing is not None:
                return existing
        for scene in draft.scenes:
            self.base.safety.check(text=scene.voice.text, video_prompt="")
        video_id = new_id(IdPrefix.VIDEO)
        prefix = video_prefix(owner, video_id)
        resolved = Resolved()
        try:
            scenes = [
                await self._scene(owner, scene, f"video_inputs[{i}]", prefix, resolved)
                for i, scene in enumerate(draft.scenes)
            ]
            text_s, other_s = await self._estimate(draft, scenes, resolved)
            return await self._submit(owner, video_id, draft, scenes, text_s, other_s, key)
        except BaseException:
            if any(k.startswith(prefix) for k in resolved.stored.values()):
                await self._drop_inputs(prefix)
            raise

    # -- resolve ---------------------------------------------------------------

    async def _scene(
        self, owner: str, scene: SceneDraft, path: str, prefix: str, resolved: Resolved
    ) -> SceneSpec:
        character = None
        avatar: AvatarFacts | None = None
        c = scene.character
        if c is not None and c.type == "avatar":
            avatar = await self._avatar(owner, c.avatar_id, f"{path}.character.avatar_id", resolved)
            portrait_key = avatar.portrait_key
            if c.pose_id:
                field_path = f"{path}.character.pose_id"
                with _naming(field_path):
                    pose = await self.base.upstreams.pose(owner, c.pose_id)
                    portrait_key = check_pose(pose, avatar)
            character = self._character(c, portrait_key)
        elif c is not None:
            url_path = f"{path}.character.talking_photo_url"
            key = await self._input(owner, c.photo_url, "photo", url_path, prefix, resolved)
            character = self._character(c, key)
        voice = await self._voice(owner, scene, avatar, path, prefix, resolved)
        b = scene.background
        background = BackgroundSpec(type=b.type, value=b.value, fit=b.fit, play_style=b.play_style)
        if b.type in ("image", "video"):
            kind = b.type
            key = await self._input(owner, b.url, kind, f"{path}.background.url", prefix, resolved)
            background = BackgroundSpec(
                type=b.type, value=b.value, key=key, fit=b.fit, play_style=b.play_style
            )
        return SceneSpec(voice=voice, character=character, background=background)

    @staticmethod
    def _character(c: object, portrait_key: str) -> CharacterSpec:
        from services.video.studio_logic import CharacterDraft

        assert isinstance(c, CharacterDraft)
        return CharacterSpec(
            type=c.type,
            portrait_key=portrait_key,
            scale=c.scale,
            offset_x=c.offset_x,
            offset_y=c.offset_y,
            style=c.style,
            matting=c.matting,
            circle_background_color=c.circle_background_color,
            talking_style=c.talking_style,
            expression=c.expression,
            motion_prompt=c.motion_prompt,
        )

    async def _avatar(
        self, owner: str, avatar_id: str, path: str, resolved: Resolved
    ) -> AvatarFacts:
        if avatar_id not in resolved.avatars:
            with _naming(path):
                avatar = await self.base.upstreams.avatar(owner, avatar_id)
                check_avatar_ready(avatar)
            resolved.avatars[avatar_id] = avatar
        return resolved.avatars[avatar_id]

    async def _voice(
        self,
        owner: str,
        scene: SceneDraft,
        avatar: AvatarFacts | None,
        path: str,
        prefix: str,
        resolved: Resolved,
    ) -> VoiceSpec:
        v = scene.voice
        if v.type == "silence":
            return VoiceSpec(type="silence", duration=v.duration)
        if v.type == "audio":
            key = await self._input(
                owner, v.audio_url, "audio", f"{path}.voice.audio_url", prefix, resolved
            )
            return VoiceSpec(type="audio", audio_key=key)
        voice_id = v.voice_id or (avatar.tts_voice_id if avatar is not None else "")
        field_path = f"{path}.voice.voice_id"
        if voice_id not in resolved.voices:
            with _naming(field_path):
                facts = await self.base.upstreams.voice(owner, voice_id)
            if not facts.profile_json:
                raise invalid(f"{field_path}: the voice has no profile")
            resolved.voices[voice_id] = facts
        facts = resolved.voices[voice_id]
        if v.locale and v.locale.split("-")[0].lower() != facts.language.split("-")[0].lower():
            raise invalid(f"{path}.voice.locale: the voice speaks {facts.language}, not {v.locale}")
        return VoiceSpec(
            type="text",
            text=v.text,
            voice_profile_json=facts.profile_json,
            speed=v.speed,
            pitch=v.pitch,
        )

    async def _input(
        self, owner: str, url: str, kind: str, path: str, prefix: str, resolved: Resolved
    ) -> str:
        """Fetch, check and store one URL (once per request); its storage key. A file
        (``file-key:``, the caller's own upload) is read and checked the same way and
        used where it is (a talking photo is stored aligned, under the video)."""
        cache = f"{kind}:{url}"
        if cache in resolved.stored:
            return resolved.stored[cache]
        file_key = url[len(FILE_KEY) :] if url.startswith(FILE_KEY) else ""
        data = await (
            self._file(owner, file_key, path) if file_key else self._fetch(url, kind, path)
        )
        try:
            data, ext, content_type, seconds = await asyncio.to_thread(_checked, kind, data)
        except MediaInputError as exc:
            raise invalid(f"{path}: {exc}") from None
        if file_key and kind != "photo":
            resolved.stored[cache] = file_key
            resolved.measured[file_key] = seconds
            return file_key
        key = f"{prefix}inputs/{len(resolved.stored)}-{kind}.{ext}"
        try:
            await self.base.storage.put_bytes(key, data, content_type)
        except StorageError as exc:
            raise DomainError(ErrorCode.STORAGE_ERROR, str(exc)) from None
        resolved.stored[cache] = key
        resolved.measured[key] = seconds
        return key

    async def _fetch(self, url: str, kind: str, path: str) -> bytes:
        limit = STUDIO_FETCH_CAPS.get(kind, STUDIO_FETCH_CAPS["image"])
        try:
            return await fetch.fetch(
                url,
                max_bytes=limit,
                allow_insecure_loopback=self.base.settings.allow_insecure_loopback,
            )
        except DomainError as exc:
            if exc.code is ErrorCode.VALIDATION_ERROR:
                raise invalid(f"{path}: {exc.message}") from None
            raise

    async def _file(self, owner: str, key: str, path: str) -> bytes:
        """The caller's own file (under ``files/<owner>/``; anything else is refused)."""
        if not key.startswith(f"files/{owner}/") or ".." in key:
            raise invalid(f"{path}: file not found")
        try:
            return await self.base.storage.get_bytes(key)
        except StorageNotFound:
            raise invalid(f"{path}: file not found (archived?)") from None
        except StorageError as exc:
            raise DomainError(ErrorCode.STORAGE_ERROR, str(exc)) from None

    async def _drop_inputs(self, prefix: str) -> None:
        try:
            await self.base.storage.delete_prefix(prefix)
        except Exception as exc:
            log.warning("inputs under %s not deleted: %s", prefix, exc)

    # -- estimate and submit ---------------------------------------------------

    async def _estimate(
        self, draft: StudioDraft, scenes: list[SceneSpec], resolved: Resolved
    ) -> tuple[float, float]:
        """(text seconds, other seconds) of the whole video."""
        text_s = other_s = 0.0
        for i, scene in enumerate(scenes):
            v = scene.voice
            if v.type == "silence":
                other_s += v.duration
            elif v.type == "audio":
                other_s += resolved.measured[v.audio_key]
            else:
                profile = VoiceProfile.from_json(v.voice_profile_json)
                language = profile.language if profile is not None else "en"
                try:
                    spoken = await asyncio.to_thread(script_seconds, v.text, language, profile)
                except MediaInputError as exc:
                    raise invalid(f"video_inputs[{i}].voice.input_text: {exc}") from None
                text_s += spoken / v.speed
        if text_s * 1.0 + other_s > MAX_VIDEO_SECONDS:
            raise invalid(
                f"video_inputs: the video would last about {text_s + other_s:.0f} s; "
                f"the limit is {MAX_VIDEO_SECONDS:.0f} s"
            )
        return text_s, other_s

    async def _submit(
        self,
        owner: str,
        video_id: str,
        draft: StudioDraft,
        scenes: list[SceneSpec],
        text_s: float,
        other_s: float,
        key: str | None,
    ) -> Video:
        base = self.base
        await base._check_queue(owner)
        seconds = studio_hold_seconds(text_s, other_s)
        rate = rate_for(await base.upstreams.prices(), draft.tier)
        amount = hold_amount(rate, seconds)
        hold_id = await base.upstreams.hold(
            owner, amount, video_id, base.settings.video_hold_ttl_seconds
        )
        spec = StudioSpec(
            width=draft.width,
            height=draft.height,
            fps=draft.fps,
            tier=draft.tier.value,
            scenes=tuple(scenes),
            caption=draft.caption,
            seed=zlib.crc32(video_id.encode()),
            alpha=draft.alpha_output,
        )
        video = _queued(video_id, owner, draft, scenes, seconds, rate, hold_id, amount, key)
        try:
            async with base.db.transaction() as session:
                await store.insert(session, video, shows=_avatars_shown(draft))
                await events.queue_studio(
                    session,
                    video,
                    spec.to_json(),
                    watermark=watermarked(
                        draft.watermark_mode, owner in base.settings.video_watermark_none_owners
                    ),
                )
        except BaseException:
            await base.upstreams.release_quietly(hold_id, video_id)
            if key is not None:
                existing = await base._by_idempotency_key(owner, key)
                if existing is not None:  # a concurrent retry of the same request won
                    return existing
            raise
        base.relay.wake()
        return video


def _checked(kind: str, data: bytes) -> tuple[bytes, str, str, float]:
    """(bytes to store, extension, content type, seconds) of a fetched input, or
    MediaInputError saying what is wrong with it."""
    if kind == "photo":
        portrait = photo_portrait(load_image(data))  # no face: MediaInputError
        return portrait.to_bytes(), "png", "image/png", 0.0
    if kind == "image":
        image = load_image(data)
        if min(image.shape[:2]) < 16:
            raise MediaInputError("the image is smaller than 16 px")
        return data, "img", "application/octet-stream", 0.0
    if kind == "audio":
        samples, rate = load_audio(data)
        seconds = len(samples) / rate
        if seconds < 0.2:
            raise MediaInputError("the audio is shorter than 0.2 s")
        if seconds > MAX_SCENE_AUDIO_SECONDS:
            raise MediaInputError(
                f"the audio lasts {seconds:.0f} s; the limit is {MAX_SCENE_AUDIO_SECONDS:.0f} s"
            )
        return data, "audio", "application/octet-stream", seconds
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "background"
        path.write_bytes(data)
        info = probe(path)
    if "video_codec" not in info:
        raise MediaInputError("not a video (no video stream)")
    seconds = float(info.get("video_duration_s") or info.get("duration_s") or 0.0)
    if seconds > MAX_BACKGROUND_VIDEO_SECONDS:
        raise MediaInputError(
            f"the video lasts {seconds:.0f} s; a background video may last at most "
            f"{MAX_BACKGROUND_VIDEO_SECONDS / 60:.0f} minutes"
        )
    return data, "video", "application/octet-stream", seconds


def _avatars_shown(draft: StudioDraft) -> set[str]:
    """The avatar of every avatar scene (deleting any of them deletes the video's files)."""
    return {d.character.avatar_id for d in draft.scenes if d.character and d.character.avatar_id}


def _queued(
    video_id: str,
    owner: str,
    draft: StudioDraft,
    scenes: list[SceneSpec],
    seconds: int,
    rate: int,
    hold_id: str,
    amount: int,
    idempotency_key: str | None,
) -> Video:
    now = utcnow()
    first_avatar = ""
    for s, d in zip(scenes, draft.scenes, strict=True):
        if s.character is not None and d.character is not None and d.character.avatar_id:
            first_avatar = d.character.avatar_id
            break
    return Video(
        id=video_id,
        owner_id=owner,
        avatar_id=first_avatar,
        pose_id="",
        tier=draft.tier,
        status=VideoStatus.QUEUED,
        text="",
        audio_key="",
        video_prompt="",
        webhook_url=draft.callback_url,
        language="",
        resolution=max(draft.width, draft.height),
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
        kind="studio",
        studio_json=json.dumps(draft.summary(), separators=(",", ":")),
        output_temporary=draft.output_temporary,
    )
