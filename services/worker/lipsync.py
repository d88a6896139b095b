"""Lip-sync render jobs (``jobs.lipsync.<tier>``): portrait + speech -> MP4 + poster.

One job, start to finish:

1. Skip it when the video was cancelled meanwhile (a cheap ``GetVideo``; if the video
   service cannot answer, render anyway: it discards the output of a cancelled job).
2. Load the portrait (the renderable ``.portrait`` beside the JPEG when there is one,
   else the image as a photo portrait), the avatar's ``footage.npz`` when it is a
   footage avatar (then the video plays the clip's own frames, with the chosen pose
   applied to each), then the speech: the script synthesised in the avatar's voice,
   or the caller's own audio from storage.
3. Render in a worker thread (the event loop keeps beating ``in_progress`` so
   JetStream does not redeliver a long render) and publish ``events.render.progress``
   at every tenth.
4. Upload ``video.mp4`` and ``poster.jpg`` under the job's output prefix, publish
   ``events.render.completed`` (``Nats-Msg-Id`` ``<video>:render:completed``, so a
   re-render after a crash announces the result once) and return: the bus acks.

Bad input (``MediaInputError``: an unreadable portrait, no face, undecodable audio)
publishes ``events.render.failed`` with the engine's readable message and acks: a
retry cannot help. Storage trouble raises ``Retry`` (backoff); any other exception
is retried by the bus; a job that exhausts its deliveries (the worker crashed every
time, or kept failing) is dead-lettered and ``on_dead_letter`` publishes
``events.render.failed`` so the video service refunds the hold.
"""

from __future__ import annotations

import asyncio
import logging
import tempfile
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt

from avatarmedia.audio import load_audio
from avatarmedia.errors import MediaInputError
from avatarmedia.footage import Footage
from avatarmedia.portrait import Portrait
from avatarmedia.render import RenderRequest, render_video
from avatarmedia.script import speak_script
from avatarmedia.tracks import MouthTrack
from avatarmedia.voice import VoiceProfile
from avatarmedia.watermark import load_mark, watermarking
from avatarmesh.bus import Bus, Delivery, Retry
from avatarmesh.grpc_client import channel
from avatarmesh.storage import Storage, StorageError, StorageNotFound
from avatarmesh.tiers import TIER_FROM_PB
from avatarmesh.v1 import jobs_pb2, video_pb2, video_pb2_grpc
from services.worker import events
from services.worker.config import WorkerSettings

log = logging.getLogger(__name__)

VIDEO_FILE = "video.mp4"
POSTER_FILE = "poster.jpg"
FOOTAGE_FILE = "footage.npz"
STORAGE_RETRY_S = 5.0
PROGRESS_STEP = 0.1


def footage_key(portrait_key: str) -> str:
    """Where a footage avatar's analysis lives, from its portrait's or a pose's key:
    ``avatars/o/a/portrait.jpg`` and ``avatars/o/a/poses/p.jpg`` ->
    ``avatars/o/a/footage.npz``."""
    head = (
        portrait_key.split("/poses/", 1)[0] + "/"
        if "/poses/" in portrait_key
        else portrait_key.rsplit("/", 1)[0] + "/"
    )
    return head + FOOTAGE_FILE


@dataclass
class RenderedVideo:
    video_path: Path
    poster_path: Path
    audio_seconds: float


def audio_seconds(n_samples: int, sample_rate: int) -> float:
    """The billed duration: the audio's length, to the millisecond."""
    return round(n_samples / sample_rate, 3)


def render_job(
    job: jobs_pb2.LipsyncJob,
    portrait_bytes: bytes,
    audio_bytes: bytes | None,
    out_dir: Path,
    progress: Callable[[float], None],
    max_audio_seconds: float,
    footage_bytes: bytes | None = None,
    watermark_image: Path | None = None,
) -> RenderedVideo:
    """The blocking part (runs in a thread): speech, mouth track, render, encode."""
    portrait = Portrait.from_bytes(portrait_bytes)
    footage = Footage.from_bytes(footage_bytes) if footage_bytes is not None else None
    tier = TIER_FROM_PB.get(job.tier)
    if tier is None:
        raise MediaInputError(f"unknown tier {job.tier}")
    fps = job.fps or 25
    mouth: MouthTrack | None
    samples: npt.NDArray[np.float32]
    if audio_bytes is not None:
        samples, sample_rate = load_audio(audio_bytes)
        if len(samples) / sample_rate > max_audio_seconds + 0.001:
            raise MediaInputError(
                f"the audio lasts {len(samples) / sample_rate:.1f} s; the limit is "
                f"{max_audio_seconds:g} s"
            )
        mouth = None  # the engine derives the mouth from the audio itself
    else:
        voice = VoiceProfile.from_json(job.voice_profile_json)
        spoken = speak_script(job.text, voice, fps)
        samples, sample_rate, mouth = spoken.samples, spoken.sample_rate, spoken.track
    progress(0.05)
    request = RenderRequest(
        portrait=portrait,
        samples=samples,
        sample_rate=sample_rate,
        mouth=mouth,
        tier=tier,
        resolution=job.resolution or 720,
        fps=fps,
        motion_hint=job.video_prompt,
        seed=zlib.crc32(job.video_id.encode()),
        footage=footage,
    )
    mark = load_mark(watermark_image) if job.watermark else None
    with watermarking(mark):
        result = render_video(
            request, out_dir / VIDEO_FILE, progress=lambda p: progress(0.05 + 0.9 * p)
        )
    poster = out_dir / POSTER_FILE
    if result.poster_path != poster:
        result.poster_path.replace(poster)
    return RenderedVideo(result.video_path, poster, audio_seconds(len(samples), sample_rate))


class LipsyncHandler:
    """Consumes ``jobs.lipsync.>``; see the module docstring for the flow."""

    def __init__(self, bus: Bus, storage: Storage, settings: WorkerSettings) -> None:
        self.bus = bus
        self.storage = storage
        self.settings = settings
        self._videos: video_pb2_grpc.VideoServiceStub | None = None
        self._bucket_ready = False

    # -- the consumer ----------------------------------------------------------

    async def __call__(self, delivery: Delivery[jobs_pb2.LipsyncJob]) -> None:
        job = delivery.message
        if not job.video_id:
            return  # nothing to answer
        if await self._cancelled(job):
            log.info("video %s was cancelled; skipping its render", job.video_id)
            return
        beat = max(1.0, self.settings.worker_lipsync_ack_wait_seconds / 3)
        async with delivery.keep_alive(beat):
            try:
                portrait = await self._portrait(job.portrait_key)
                footage = await self._footage(job.portrait_key)
                audio = await self._audio(job)
            except StorageNotFound as exc:
                await self._failed(job, f"an input is missing from storage: {exc}")
                return
            except StorageError as exc:
                raise Retry(STORAGE_RETRY_S, str(exc)) from exc
            with tempfile.TemporaryDirectory(prefix=f"render-{job.video_id}-") as tmp:
                try:
                    rendered = await asyncio.to_thread(
                        render_job,
                        job,
                        portrait,
                        audio,
                        Path(tmp),
                        self._progress_reporter(job, delivery.num_delivered),
                        self.settings.worker_max_audio_seconds,
                        footage,
                        self.settings.watermark_image,
                    )
                except MediaInputError as exc:
                    await self._failed(job, str(exc))
                    return
                try:
                    keys = await self._upload(job, rendered)
                except StorageError as exc:
                    raise Retry(STORAGE_RETRY_S, str(exc)) from exc
        await events.render_completed(self.bus, job, keys[0], keys[1], rendered.audio_seconds)

    async def on_dead_letter(
        self, delivery: Delivery[jobs_pb2.LipsyncJob], error: Exception
    ) -> None:
        """Deliveries exhausted: the video fails and the video service refunds it."""
        job = delivery.message
        if not job.video_id:
            return
        log.error("render of %s dead-lettered: %s", job.video_id, error)
        await self._failed(job, f"rendering failed after {delivery.num_delivered} attempts")

    # -- steps -----------------------------------------------------------------

    async def _cancelled(self, job: events.VideoJobRef) -> bool:
        try:
            if self._videos is None:
                self._videos = video_pb2_grpc.VideoServiceStub(channel(self.settings.video_addr))
            video = await self._videos.GetVideo(
                video_pb2.GetVideoRequest(owner_id=job.owner_id, video_id=job.video_id),
                timeout=3.0,
            )
        except Exception as exc:  # the check is an optimisation; never fail a job on it
            log.info("could not ask the video service about %s: %s", job.video_id, exc)
            return False
        return bool(video.status == video_pb2.VIDEO_STATUS_CANCELLED)

    async def _portrait(self, image_key: str) -> bytes:
        if not image_key:
            raise StorageNotFound("the job names no portrait")
        return await self.storage.get_portrait(image_key)

    async def _footage(self, portrait_key: str) -> bytes | None:
        """The avatar's footage analysis, or None for a still avatar."""
        if not portrait_key:
            return None
        try:
            return await self.storage.get_bytes(footage_key(portrait_key))
        except StorageNotFound:
            return None

    async def _audio(self, job: jobs_pb2.LipsyncJob) -> bytes | None:
        if not job.HasField("audio"):
            return None
        if job.audio.WhichOneof("source") != "storage_key":
            # The video service stores fetched audio before enqueueing; a URL here
            # is a bug upstream, not something a retry fixes.
            raise StorageNotFound("the job's audio is not in storage")
        return await self.storage.get_bytes(job.audio.storage_key)

    async def _upload(self, job: jobs_pb2.LipsyncJob, rendered: RenderedVideo) -> tuple[str, str]:
        if not self._bucket_ready:
            await self.storage.ensure_bucket()
            self._bucket_ready = True
        prefix = job.output_prefix
        video_key, poster_key = prefix + VIDEO_FILE, prefix + POSTER_FILE
        await self.storage.put_file(poster_key, rendered.poster_path, "image/jpeg")
        await self.storage.put_file(video_key, rendered.video_path, "video/mp4")
        return video_key, poster_key

    async def _failed(self, job: events.VideoJobRef, error: str) -> None:
        await events.render_failed(self.bus, job, error)

    def _progress_reporter(self, job: events.VideoJobRef, attempt: int) -> Callable[[float], None]:
        """A callback for the render thread: publishes at each new tenth, never blocks."""
        loop = asyncio.get_running_loop()
        last = [-1]

        def report(fraction: float) -> None:
            step = int(min(1.0, max(0.0, fraction)) / PROGRESS_STEP)
            if step <= last[0]:
                return
            last[0] = step
            progress = round(step * PROGRESS_STEP, 2)
            publish = self._publish_progress(job.video_id, progress, attempt, step)
            asyncio.run_coroutine_threadsafe(publish, loop)

        return report

    async def _publish_progress(
        self, video_id: str, progress: float, attempt: int, step: int
    ) -> None:
        try:
            await events.render_progress(self.bus, video_id, progress, attempt=attempt, step=step)
        except Exception as exc:  # progress is advisory
            log.warning("progress for %s not published: %s", video_id, exc)
