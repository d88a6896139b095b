"""Avatar creation jobs (``jobs.avatar.create``): description, photo or clip -> a ready
avatar's portrait, demo video and voice.

Stages, each announced by ``events.creation.stage`` (``Nats-Msg-Id``
``<avatar>:stage:<name>``) before it runs:

0. ``video_validating`` (only with a consent clip): the clip is copied to
   ``consent.<ext>`` beside the portrait (the reviewer watches it) and checked
   (``avatarmedia.consent``: one frontal face, speech, face geometry against the
   source); the findings travel in the success event, the avatar service decides
   what they lead to (docs/consent.md). An unreadable consent clip fails the creation.
1. ``portrait``: drawn from the description (seeded by the avatar id), or a photo
   portrait of the reference image, or of the clip's best frame. Stored as
   ``portrait.jpg`` (what users see) and ``portrait.portrait`` (what renders load).
   A clip is analysed once (``avatarmedia.footage``): when it can be used, its loop
   footage and mouth bank are stored as ``footage.npz`` and the avatar's videos play
   the person's own frames ("footage" motion); otherwise the avatar is a still one and
   the reason is kept (never a failure for that alone).
2. ``demo``: generated avatars speak a short greeting in their voice (512 px, avatar
   tier); video avatars keep the clip itself. Stored as ``demo.<ext>`` + ``demo.jpg``.
3. ``voice``: the default voice for language, gender and accent, or a clone of the
   clip's speech.
4. ``poses``: the base pose is the portrait itself; nothing more to make.

Then ``events.creation.succeeded`` (``<avatar>:succeeded``) and the bus acks. Bad input
(no face, no audio, an unreadable file, a URL that may not or cannot be fetched)
publishes ``events.creation.failed`` with the readable reason and acks; storage trouble
raises ``Retry``; a job that exhausts its deliveries is dead-lettered and
``on_dead_letter`` fails it, so the avatar service releases the hold either way. The
media work runs in a thread while ``keep_alive`` beats.
"""

from __future__ import annotations

import asyncio
import io
import logging
import tempfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image

from avatarmedia.audio import load_audio
from avatarmedia.consent import IDENTITY_THRESHOLD, check_consent, face_descriptor, sampled_frames
from avatarmedia.errors import MediaInputError, NoFaceError
from avatarmedia.footage import analyse_clip
from avatarmedia.portrait import (
    Portrait,
    best_frame,
    draw_portrait,
    load_image,
    photo_portrait,
    spec_from_description,
)
from avatarmedia.render import RenderRequest, render_video
from avatarmedia.speech import synthesize
from avatarmedia.voice import VoiceProfile, default_voice
from avatarmedia.voice_clone import clone_voice
from avatarmesh.bus import Bus, Delivery, Retry
from avatarmesh.errors import DomainError
from avatarmesh.fetch import fetch
from avatarmesh.mediatypes import MAX_IMAGE_BYTES, MAX_VIDEO_BYTES
from avatarmesh.storage import Storage, StorageError, StorageNotFound, renderable_portrait_key
from avatarmesh.v1 import avatar_pb2, common_pb2, jobs_pb2
from services.worker import events

log = logging.getLogger(__name__)

FETCH_TIMEOUT_S = 60.0
STORAGE_RETRY_S = 5.0
DEMO_RESOLUTION = 512
PORTRAIT_JPEG = "portrait.jpg"
FOOTAGE_FILE = "footage.npz"
DEMO_POSTER = "demo.jpg"

GREETINGS = {
    "en": "Hello, I'm {name}. Nice to meet you!",
    "vi": "Xin chào, tôi là {name}. Rất vui được gặp bạn!",
    "zh": "你好，我是{name}。很高兴认识你！",
    "ja": "こんにちは、{name}です。よろしくお願いします！",
    "ko": "안녕하세요, 저는 {name}입니다. 만나서 반가워요!",
    "es": "Hola, soy {name}. ¡Encantado de conocerte!",
    "fr": "Bonjour, je suis {name}. Ravi de vous rencontrer !",
    "de": "Hallo, ich bin {name}. Schön, Sie kennenzulernen!",
    "pt": "Olá, eu sou {name}. Prazer em conhecer você!",
    "ar": "مرحبا، أنا {name}. سعيد بلقائك!",
}
VIDEO_EXT = {
    "video/mp4": "mp4",
    "video/quicktime": "mov",
    "video/webm": "webm",
    "video/x-m4v": "m4v",
    "video/m4v": "m4v",
}


@dataclass(frozen=True)
class Consent:
    """The stored copy of a consent clip and what the automatic check found."""

    key: str
    check: avatar_pb2.ConsentCheck


def has_consent(job: jobs_pb2.AvatarCreationJob) -> bool:
    return job.HasField("consent_video") and job.consent_video.WhichOneof("source") is not None


def consent_check(
    clip: Path, image: bytes | None, source_clip: Path | None
) -> avatar_pb2.ConsentCheck:
    """The blocking check (runs in a thread): the consent clip against the source's
    face (the reference photo, or a frame of the source clip; none for a drawn one)."""
    source_face = None
    if source_clip is not None:
        frames = sampled_frames(source_clip, 3)
        source_face = face_descriptor(frames[len(frames) // 2]) if frames else None
    elif image is not None:
        source_face = face_descriptor(load_image(image))
    found = check_consent(clip, source_face)
    return avatar_pb2.ConsentCheck(
        ran=True,
        frames=found.frames,
        frames_one_face=found.frames_one_face,
        frames_frontal=found.frames_frontal,
        frames_several_faces=found.frames_several_faces,
        speech_seconds=found.speech_seconds,
        identity_compared=found.identity_distance is not None,
        identity_distance=found.identity_distance or 0.0,
        identity_threshold=IDENTITY_THRESHOLD,
        problems=list(found.problems),
        notes=list(found.notes),
    )


class CreationFailed(Exception):
    """The job's input cannot make an avatar; the message says why (for the user)."""


def jpeg(image: np.ndarray, quality: int = 90) -> bytes:
    buffer = io.BytesIO()
    Image.fromarray(image).convert("RGB").save(buffer, format="JPEG", quality=quality)
    return buffer.getvalue()


@dataclass
class MadePortrait:
    """The portrait step's result: the portrait, and for clips the footage (or why not)."""

    portrait: Portrait
    motion: str
    motion_reason: str
    footage: bytes | None = None


def make_portrait(
    job: jobs_pb2.AvatarCreationJob, image: bytes | None, clip: Path | None
) -> MadePortrait:
    """The blocking portrait step (runs in a thread)."""
    if clip is not None:
        return clip_portrait(clip)
    if image is not None:
        return MadePortrait(photo_portrait(load_image(image)), "still", "made from a photo")
    spec = spec_from_description(job.description, job.gender or None, seed=job.seed)
    return MadePortrait(draw_portrait(spec), "still", "made from a description")


def clip_portrait(clip: Path) -> MadePortrait:
    """A clip's footage and portrait; a still avatar (with the reason) when its footage
    cannot be used. A clip with no face at all fails as before."""
    try:
        analysis = analyse_clip(clip)
    except NoFaceError:
        raise
    except MediaInputError as exc:
        log.info("footage analysis of %s failed: %s", clip.name, exc)
        return MadePortrait(
            photo_portrait(best_frame(clip)), "still", f"the clip's footage cannot be used: {exc}"
        )
    footage = analysis.footage
    frame = analysis.portrait_frame
    portrait: Portrait | None = None
    if frame is not None:
        try:
            portrait = photo_portrait(frame)
        except MediaInputError as exc:
            log.info("the footage's portrait frame cannot be used: %s", exc)
    if portrait is None:
        portrait = photo_portrait(best_frame(clip))
    return MadePortrait(
        portrait,
        analysis.motion,
        analysis.reason,
        footage.to_bytes() if footage is not None else None,
    )


def make_voice(job: jobs_pb2.AvatarCreationJob, clip: Path | None) -> VoiceProfile:
    gender = job.gender or None
    accent = job.accent or None
    if clip is None:
        return default_voice(job.language, gender, accent)
    try:
        samples, sample_rate = load_audio(clip)
    except MediaInputError as exc:
        raise MediaInputError(f"the clip's voice cannot be used: {exc}") from exc
    return clone_voice(samples, sample_rate, language=job.language, gender=gender, accent=accent)


def make_demo(
    job: jobs_pb2.AvatarCreationJob, portrait: Portrait, voice: VoiceProfile, out_dir: Path
) -> tuple[Path, bytes]:
    """A short greeting in the avatar's voice: (mp4 path, poster JPEG)."""
    name = job.name.strip() or "your presenter"
    text = GREETINGS.get(job.language, GREETINGS["en"]).format(name=name)
    speech = synthesize(text, voice)
    result = render_video(
        RenderRequest(
            portrait=portrait,
            samples=speech.samples,
            sample_rate=speech.sample_rate,
            tier="avatar",
            resolution=DEMO_RESOLUTION,
            seed=int(job.seed),
        ),
        out_dir / "demo.mp4",
    )
    return result.video_path, result.poster_path.read_bytes()


class CreationHandler:
    """Consumes ``jobs.avatar.>``; see the module docstring for the flow."""

    def __init__(self, bus: Bus, storage: Storage, ack_wait: float = 30.0) -> None:
        self.bus = bus
        self.storage = storage
        self.beat = max(1.0, ack_wait / 3)
        self._bucket_ready = False

    async def __call__(self, delivery: Delivery[jobs_pb2.AvatarCreationJob]) -> None:
        job = delivery.message
        if not job.avatar_id:
            return
        async with delivery.keep_alive(self.beat):
            try:
                await self._create(job)
            except CreationFailed as exc:
                await self._failed(job, str(exc))
            except MediaInputError as exc:
                await self._failed(job, str(exc))
            except StorageNotFound as exc:
                await self._failed(job, f"an uploaded input is missing: {exc}")
            except StorageError as exc:
                raise Retry(STORAGE_RETRY_S, str(exc)) from exc

    async def on_dead_letter(
        self, delivery: Delivery[jobs_pb2.AvatarCreationJob], error: Exception
    ) -> None:
        job = delivery.message
        if not job.avatar_id:
            return
        log.error("creation of %s dead-lettered: %s", job.avatar_id, error)
        await self._failed(job, f"avatar creation failed after {delivery.num_delivered} attempts")

    # -- the stages ------------------------------------------------------------

    async def _create(self, job: jobs_pb2.AvatarCreationJob) -> None:
        prefix = job.storage_prefix
        with tempfile.TemporaryDirectory(prefix=f"avatar-{job.avatar_id}-") as tmp:
            out = Path(tmp)
            consent: Consent | None = None
            if has_consent(job):
                await self._stage(job, "video_validating")
                image, clip, clip_type = await self._inputs(job, out)
                consent = await self._consent(job, out, image, clip)
            else:
                await self._stage(job, "portrait")
                image, clip, clip_type = await self._inputs(job, out)
            if consent is not None:
                await self._stage(job, "portrait")
            made = await asyncio.to_thread(make_portrait, job, image, clip)
            portrait = made.portrait
            await self._ensure_bucket()
            portrait_key = prefix + PORTRAIT_JPEG
            if made.footage is not None:
                await self.storage.put_bytes(
                    prefix + FOOTAGE_FILE, made.footage, "application/octet-stream"
                )
            await self.storage.put_bytes(
                renderable_portrait_key(portrait_key), portrait.to_bytes(), "image/png"
            )
            await self.storage.put_bytes(portrait_key, jpeg(portrait.image), "image/jpeg")

            await self._stage(job, "demo")
            if clip is None:
                voice = await asyncio.to_thread(make_voice, job, None)
                demo_path, poster = await asyncio.to_thread(make_demo, job, portrait, voice, out)
                demo_type = "video/mp4"
            else:
                demo_path, demo_type, poster = clip, clip_type, jpeg(portrait.image)
            demo_key = prefix + "demo." + VIDEO_EXT.get(demo_type, "mp4")
            await self.storage.put_file(demo_key, demo_path, demo_type)
            await self.storage.put_bytes(prefix + DEMO_POSTER, poster, "image/jpeg")

            await self._stage(job, "voice")
            if clip is not None:
                voice = await asyncio.to_thread(make_voice, job, clip)

            await self._stage(job, "poses")
        await events.creation_succeeded(
            self.bus,
            job,
            portrait_key=portrait_key,
            portrait_kind=portrait.kind,
            demo_video_key=demo_key,
            voice_profile_json=voice.to_json(),
            motion=made.motion,
            motion_reason=made.motion_reason,
            consent_video_key=consent.key if consent else "",
            consent_check=consent.check if consent else None,
        )

    async def _consent(
        self, job: jobs_pb2.AvatarCreationJob, out: Path, image: bytes | None, clip: Path | None
    ) -> Consent:
        """Keep a copy of the consent clip for the reviewer and check it."""
        data, content_type = await self._read(job.consent_video, MAX_VIDEO_BYTES, "consent video")
        content_type = content_type if content_type in VIDEO_EXT else "video/mp4"
        path = out / f"consent.{VIDEO_EXT[content_type]}"
        path.write_bytes(data)
        await self._ensure_bucket()
        key = job.storage_prefix + path.name
        await self.storage.put_file(key, path, content_type)
        try:
            check = await asyncio.to_thread(consent_check, path, image, clip)
        except MediaInputError as exc:
            raise CreationFailed(f"the consent video cannot be used: {exc}") from exc
        return Consent(key, check)

    async def _inputs(
        self, job: jobs_pb2.AvatarCreationJob, out: Path
    ) -> tuple[bytes | None, Path | None, str]:
        """(reference image bytes, clip path, clip MIME type) for the job's mode."""
        if job.source == "video":
            if not job.HasField("source_video"):
                raise CreationFailed("source_video_url is required when source=video")
            data, content_type = await self._read(job.source_video, MAX_VIDEO_BYTES, "video")
            ext = VIDEO_EXT.get(content_type, "mp4")
            clip = out / f"source.{ext}"
            clip.write_bytes(data)
            return None, clip, content_type if content_type in VIDEO_EXT else "video/mp4"
        if job.HasField("ref_image") and job.ref_image.WhichOneof("source"):
            data, _ = await self._read(job.ref_image, MAX_IMAGE_BYTES, "reference image")
            return data, None, ""
        return None, None, ""

    async def _read(
        self, media: common_pb2.MediaInput, max_bytes: int, what: str
    ) -> tuple[bytes, str]:
        which = media.WhichOneof("source")
        if which == "storage_key":
            return await self.storage.get_bytes(media.storage_key), media.content_type
        if which == "https_url":
            try:
                data = await fetch(media.https_url, max_bytes=max_bytes, timeout=FETCH_TIMEOUT_S)
            except DomainError as exc:
                raise CreationFailed(f"the {what} URL could not be fetched: {exc.message}") from exc
            return data, media.content_type
        raise CreationFailed(f"the {what} is missing")

    async def _ensure_bucket(self) -> None:
        if not self._bucket_ready:
            await self.storage.ensure_bucket()
            self._bucket_ready = True

    async def _stage(self, job: jobs_pb2.AvatarCreationJob, stage: str) -> None:
        await events.creation_stage(self.bus, job, stage)

    async def _failed(self, job: jobs_pb2.AvatarCreationJob, error: str) -> None:
        log.info("creation of %s failed: %s", job.avatar_id, error)
        await events.creation_failed(self.bus, job, error)
