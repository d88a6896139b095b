"""Studio render jobs (``jobs.studio.<tier>``): scenes -> MP4, poster, captions.

The same life as a lip-sync job (``lipsync``'s docstring: skip when cancelled,
heartbeat while rendering, progress at every tenth, upload then
``events.render.completed`` once, bad input -> ``events.render.failed``, storage
trouble -> retry, dead letter -> failed), with a studio spec
(``avatarmedia.studio_spec``) instead of one portrait and one script. The completed
event carries ``result_json``: each scene's seconds, which scenes have captions,
and the caption files' keys.
"""

from __future__ import annotations

import asyncio
import json
import tempfile
from collections.abc import Callable
from pathlib import Path

from avatarmedia.errors import MediaInputError
from avatarmedia.studio_render import StudioResult, render_studio
from avatarmedia.studio_spec import StudioSpec
from avatarmedia.watermark import load_mark, watermarking
from avatarmesh.bus import Delivery, Retry
from avatarmesh.storage import StorageError, StorageNotFound
from avatarmesh.v1 import jobs_pb2
from services.worker import events
from services.worker.lipsync import STORAGE_RETRY_S, LipsyncHandler, log


def marked_render(
    spec: StudioSpec,
    assets: dict[str, bytes],
    out_dir: Path,
    progress: Callable[[float], None],
    watermark_image: Path | None,
    watermark: bool,
) -> StudioResult:
    """The blocking studio render (runs in a thread), with the operator's watermark in
    every frame of the MP4 when the job asks for it (``watermark_mode``, as for avatar
    videos). The alpha WebM (the presenter alone, for compositing) is not marked."""
    with watermarking(load_mark(watermark_image) if watermark else None):
        return render_studio(spec, assets, out_dir, progress=progress)


class StudioHandler(LipsyncHandler):
    """Consumes ``jobs.studio.>``; shares the lip-sync handler's steps."""

    async def __call__(self, delivery: Delivery[jobs_pb2.StudioJob]) -> None:
        job = delivery.message
        if not job.video_id:
            return
        if await self._cancelled(job):
            log.info("studio video %s was cancelled; skipping its render", job.video_id)
            return
        try:
            spec = StudioSpec.from_json(job.spec_json)
        except (ValueError, KeyError, TypeError) as exc:
            await self._failed(job, f"the studio spec cannot be read: {exc}")
            return
        beat = max(1.0, self.settings.worker_lipsync_ack_wait_seconds / 3)
        async with delivery.keep_alive(beat):
            try:
                assets = await self._assets(spec)
            except StorageNotFound as exc:
                await self._failed(job, f"an input is missing from storage: {exc}")
                return
            except StorageError as exc:
                raise Retry(STORAGE_RETRY_S, str(exc)) from exc
            with tempfile.TemporaryDirectory(prefix=f"studio-{job.video_id}-") as tmp:
                try:
                    result = await asyncio.to_thread(
                        marked_render,
                        spec,
                        assets,
                        Path(tmp),
                        self._progress_reporter(job, delivery.num_delivered),
                        self.settings.watermark_image if job.watermark else None,
                        job.watermark,
                    )
                except MediaInputError as exc:
                    await self._failed(job, str(exc))
                    return
                try:
                    keys, summary = await self._upload_studio(job, result)
                except StorageError as exc:
                    raise Retry(STORAGE_RETRY_S, str(exc)) from exc
        await events.render_completed(
            self.bus, job, keys[0], keys[1], round(result.duration_s, 3), summary
        )

    async def on_dead_letter(
        self, delivery: Delivery[jobs_pb2.StudioJob], error: Exception
    ) -> None:
        """Deliveries exhausted: the video fails and the video service refunds it."""
        job = delivery.message
        if job.video_id:
            log.error("studio render of %s dead-lettered: %s", job.video_id, error)
            await self._failed(job, f"rendering failed after {delivery.num_delivered} attempts")

    async def _assets(self, spec: StudioSpec) -> dict[str, bytes]:
        """Every input the spec names; an avatar's portrait with its animation sidecar."""
        portraits = {
            s.character.portrait_key
            for s in spec.scenes
            if s.character is not None and s.character.type == "avatar"
        }
        assets: dict[str, bytes] = {}
        for key in spec.keys():
            if key in portraits:
                assets[key] = await self.storage.get_portrait(key)
            else:
                assets[key] = await self.storage.get_bytes(key)
        return assets

    async def _upload_studio(
        self, job: jobs_pb2.StudioJob, result: StudioResult
    ) -> tuple[tuple[str, str], str]:
        """Upload the outputs; ((video key, poster key), the result JSON)."""
        if not self._bucket_ready:
            await self.storage.ensure_bucket()
            self._bucket_ready = True
        prefix = job.output_prefix
        keys = {"video": prefix + "video.mp4", "poster": prefix + "poster.jpg"}
        await self.storage.put_file(keys["poster"], result.poster_path, "image/jpeg")
        captions: dict[str, str] = {}
        if result.srt_path is not None and result.vtt_path is not None:
            captions = {"srt": prefix + "captions.srt", "vtt": prefix + "captions.vtt"}
            await self.storage.put_file(captions["srt"], result.srt_path, "application/x-subrip")
            await self.storage.put_file(captions["vtt"], result.vtt_path, "text/vtt")
        if result.alpha_path is not None:
            captions["alpha"] = prefix + "video_alpha.webm"
            await self.storage.put_file(captions["alpha"], result.alpha_path, "video/webm")
        await self.storage.put_file(keys["video"], result.video_path, "video/mp4")
        summary = {
            "scene_seconds": result.scene_seconds,
            "captioned_scenes": result.captioned_scenes,
            "caption_keys": {k: v for k, v in captions.items() if k != "alpha"},
            "alpha_key": captions.get("alpha", ""),
            "duration_s": round(result.duration_s, 3),
            "frames": result.n_frames,
        }
        return (keys["video"], keys["poster"]), json.dumps(summary, separators=(",", ":"))
