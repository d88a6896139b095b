"""The asyncio client: the same methods as ``Client``, awaited::

from avatarmesh_sdk import AsyncClient

async with AsyncClient(api_key="sk_...") as client:
    avatar = await client.avatars.create(name="Aria", description="...",
                                         language="en", nationality="American", wait=True)
    video = await client.videos.generate(avatar_id=avatar.id, text="Hello!")
    await client.videos.download(video, "hello.mp4")
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any, TypeVar

import httpx

from avatarmesh_sdk import _calls as c
from avatarmesh_sdk import models as m
from avatarmesh_sdk._core import (
    Call,
    Options,
    backoff,
    raise_for,
    retry_after_seconds,
    should_retry,
)
from avatarmesh_sdk._wait import AVATAR_DONE, VIDEO_DONE, check_finished
from avatarmesh_sdk.errors import ConnectionFailed, WaitTimeout

T = TypeVar("T")
Progress = Callable[[Any], None]
Bytes = Callable[[int, int | None], None]


class AsyncClient:
    """A client of the avatarmesh API (see ``Options`` for the settings)."""

    def __init__(
        self,
        api_key: str | None = None,
        base_url: str | None = None,
        *,
        admin_key: str | None = None,
        timeout: float = 60.0,
        max_retries: int = 4,
        http: httpx.AsyncClient | None = None,
    ) -> None:
        self.options = Options(
            api_key=api_key,
            base_url=base_url,
            admin_key=admin_key,
            timeout=timeout,
            max_retries=max_retries,
        ).resolved()
        self._http = http or httpx.AsyncClient(timeout=timeout)
        self.avatars = Avatars(self)
        self.videos = Videos(self)
        self.tts = Tts(self)
        self.files = Files(self)
        self.studio = Studio(self)
        self.billing = Billing(self)
        self.webhooks = Webhooks(self)
        self.admin = Admin(self)
        self.avatar = AvatarFacade(self)

    async def __aenter__(self) -> AsyncClient:
        return self

    async def __aexit__(self, *_exc: object) -> None:
        await self.close()

    async def close(self) -> None:
        await self._http.aclose()

    async def send(self, call: Call[T]) -> T:
        """Send ``call``, retrying as ``avatarmesh_sdk._core`` describes."""
        options = self.options
        for attempt in range(options.max_retries + 1):
            last = attempt >= options.max_retries
            try:
                response = await self._http.request(
                    call.method,
                    f"{options.base_url}{call.path}",
                    params=call.query(),
                    json=call.json,
                    files=call.files,
                    data=call.data,
                    headers=call.request_headers(options),
                )
            except httpx.TransportError as exc:
                if last:
                    raise ConnectionFailed(f"{options.base_url}: {exc}") from exc
                await asyncio.sleep(backoff(options, attempt, None))
                continue
            if not call.raw and not last and should_retry(response):
                await asyncio.sleep(backoff(options, attempt, retry_after_seconds(response)))
                continue
            if not call.raw:
                raise_for(response)
            return call.parse(response)
        raise AssertionError("unreachable")

    async def health(self) -> Any:
        return await self.send(c.health())

    async def ready(self) -> Any:
        return await self.send(c.ready())

    async def wait_for_avatar(
        self,
        avatar_id: str,
        *,
        timeout: float = 900.0,
        poll: float = 2.0,
        on_progress: Progress | None = None,
    ) -> m.AvatarDetail:
        """Poll until the avatar is ``ready`` (returned) or ``failed`` (``JobFailed``);
        ``on_progress(avatar)`` sees each poll; ``WaitTimeout`` after ``timeout`` s."""
        return await self._wait(c.get_avatar, avatar_id, AVATAR_DONE, timeout, poll, on_progress)

    async def wait_for_video(
        self,
        video_id: str,
        *,
        timeout: float = 900.0,
        poll: float = 1.0,
        on_progress: Progress | None = None,
    ) -> m.VideoOut:
        """Poll until the video is ``completed`` (returned) or ``failed`` / ``cancelled``
        (``JobFailed``); ``on_progress(video)`` sees each poll (``video.progress`` 0..1)."""
        return await self._wait(c.get_video, video_id, VIDEO_DONE, timeout, poll, on_progress)

    async def _wait(
        self,
        get: Callable[[str], Call[T]],
        resource_id: str,
        done: frozenset[str],
        timeout: float,
        poll: float,
        on_progress: Progress | None,
    ) -> T:
        deadline = time.monotonic() + timeout
        while True:
            current = await self.send(get(resource_id))
            if on_progress is not None:
                on_progress(current)
            if getattr(current, "status", None) in done:
                return check_finished(current)
            if time.monotonic() + poll > deadline:
                raise WaitTimeout(f"{resource_id} not finished after {timeout:g} s", current)
            await asyncio.sleep(poll)

    async def download(self, url: str, path: str | Path, on_bytes: Bytes | None = None) -> Path:
        """Stream ``url`` (a presigned media URL) to ``path``; ``on_bytes(done, total)``."""
        target = Path(path)
        async with self._http.stream("GET", url) as response:
            if response.status_code >= 400:
                await response.aread()
                raise_for(response)
            total = int(response.headers.get("content-length") or 0) or None
            done = 0
            out = await asyncio.to_thread(target.open, "wb")
            try:
                async for chunk in response.aiter_bytes(1 << 16):
                    await asyncio.to_thread(out.write, chunk)
                    done += len(chunk)
                    if on_bytes is not None:
                        on_bytes(done, total)
            finally:
                out.close()
        return target


class _Resource:
    def __init__(self, client: AsyncClient) -> None:
        self._client = client


class Avatars(_Resource):
    async def create(
        self,
        *,
        wait: bool = False,
        timeout: float = 900.0,
        on_progress: Progress | None = None,
        **fields: Any,
    ) -> Any:
        """Submit (``AvatarCreated``); with ``wait=True`` poll until ready
        (``AvatarDetail``). Fields: name, language, nationality, description, gender,
        accent, photo (a file), video (a file), ref_image_url, source_video_url."""
        created = await self._client.send(c.create_avatar(**fields))
        if not wait:
            return created
        return await self._client.wait_for_avatar(
            created.id, timeout=timeout, on_progress=on_progress
        )

    async def list(self, page: int = 1, limit: int = 20) -> m.AvatarPage:
        return await self._client.send(c.list_avatars(page, limit))

    async def iter(self, limit: int = 100) -> AsyncIterator[m.AvatarOut]:
        """Every avatar, page by page."""
        page = 1
        while True:
            batch = (await self.list(page, limit)).data
            for item in batch:
                yield item
            if len(batch) < limit:
                return
            page += 1

    async def get(self, avatar_id: str) -> m.AvatarDetail:
        return await self._client.send(c.get_avatar(avatar_id))

    async def delete(self, avatar_id: str) -> None:
        await self._client.send(c.delete_avatar(avatar_id))

    async def create_pose(
        self, avatar_id: str, *, prompt: str, name: str | None = None
    ) -> m.PoseCreated:
        return await self._client.send(c.create_pose(avatar_id, prompt=prompt, name=name))

    async def list_poses(self, avatar_id: str) -> m.PoseList:
        return await self._client.send(c.list_poses(avatar_id))

    async def wait(self, avatar_id: str, **kwargs: Any) -> m.AvatarDetail:
        return await self._client.wait_for_avatar(avatar_id, **kwargs)


class Videos(_Resource):
    async def create(self, **fields: Any) -> m.CreatedVideo:
        """Submit. Fields: avatar_id, and one of text / audio (a file) / audio_url;
        tier, pose_id, video_prompt, webhook_url, output_format, resolution, fps."""
        return await self._client.send(c.create_video(**fields))

    async def generate(
        self, *, timeout: float = 900.0, on_progress: Progress | None = None, **fields: Any
    ) -> m.VideoOut:
        """Submit and wait until completed (the contract's ``waitForVideo``)."""
        created = await self.create(**fields)
        return await self._client.wait_for_video(
            created.id, timeout=timeout, on_progress=on_progress
        )

    async def get(self, video_id: str, output_format: str | None = None) -> m.VideoOut:
        return await self._client.send(c.get_video(video_id, output_format))

    async def list(self, page: int = 1, limit: int = 20) -> m.VideoPage:
        return await self._client.send(c.list_videos(page, limit))

    async def iter(self, limit: int = 100) -> AsyncIterator[m.VideoOut]:
        page = 1
        while True:
            reply = await self.list(page, limit)
            for item in reply.data:
                yield item
            if not reply.data or page * limit >= reply.total:
                return
            page += 1

    async def cancel(self, video_id: str) -> m.VideoOut:
        return await self._client.send(c.cancel_video(video_id))

    async def wait(self, video_id: str, **kwargs: Any) -> m.VideoOut:
        return await self._client.wait_for_video(video_id, **kwargs)

    async def download(
        self, video: m.VideoOut | str, path: str | Path, on_bytes: Bytes | None = None
    ) -> Path:
        """Save a completed video (or its id) to ``path``."""
        if isinstance(video, str) or not video.video_url:
            video = await self.get(video if isinstance(video, str) else video.id, "url")
        if not video.video_url:
            raise ValueError(f"video {video.id} is {video.status}: no file yet")
        return await self._client.download(video.video_url, path, on_bytes)


class Studio(_Resource):
    """Studio videos (``/api/v1/videos``): scenes, frame sizes, backgrounds, captions."""

    async def create(self, body: dict[str, Any]) -> m.CreatedStudioVideo:
        return await self._client.send(c.create_studio_video(body))

    async def generate(
        self, body: dict[str, Any], *, timeout: float = 900.0, on_progress: Progress | None = None
    ) -> m.StudioVideoOut:
        """Submit and poll until completed (JobFailed if it fails)."""
        created = await self.create(body)
        return await self.wait(created.id, timeout=timeout, on_progress=on_progress)

    async def get(self, video_id: str, output_format: str | None = None) -> m.StudioVideoOut:
        return await self._client.send(c.get_studio_video(video_id, output_format))

    async def list(self, page: int = 1, limit: int = 20) -> m.StudioVideoPage:
        return await self._client.send(c.list_studio_videos(page, limit))

    async def iter(self, limit: int = 100) -> AsyncIterator[m.StudioVideoOut]:
        page = 1
        while True:
            reply = await self.list(page, limit)
            for item in reply.data:
                yield item
            if not reply.data or page * limit >= reply.total:
                return
            page += 1

    async def cancel(self, video_id: str) -> m.StudioVideoOut:
        return await self._client.send(c.cancel_studio_video(video_id))

    async def wait(
        self,
        video_id: str,
        *,
        timeout: float = 900.0,
        poll: float = 1.0,
        on_progress: Progress | None = None,
    ) -> m.StudioVideoOut:
        return await self._client._wait(
            c.get_studio_video, video_id, VIDEO_DONE, timeout, poll, on_progress
        )

    async def download(
        self, video: m.StudioVideoOut | str, path: str | Path, on_bytes: Bytes | None = None
    ) -> Path:
        """Save a completed studio video (or its id) to ``path`` (MP4)."""
        if isinstance(video, str) or not (video.video_url or "").startswith("http"):
            video = await self.get(video if isinstance(video, str) else video.id, "url")
        if not video.video_url:
            raise ValueError(f"video {video.id} is {video.status}: no file yet")
        return await self._client.download(video.video_url, path, on_bytes)


class Files(_Resource):
    """Uploaded media (``/api/v1/files``): upload once, use the id anywhere media goes."""

    async def upload(
        self,
        path: str | Path,
        *,
        kind: str | None = None,
        expires_in_seconds: float | None = None,
        on_bytes: Bytes | None = None,
    ) -> m.FileOut:
        """Upload a file from ``path``; ``on_bytes(sent, total)`` sees the progress."""
        return await self._client.send(
            c.upload_file(Path(path), kind, expires_in_seconds, on_bytes)
        )

    async def upload_url(
        self, url: str, *, filename: str | None = None, kind: str | None = None
    ) -> m.FileOut:
        return await self._client.send(c.upload_file_url(url, filename, kind))

    async def list(
        self,
        kind: str | None = None,
        include_archived: bool | None = None,
        page: int = 1,
        limit: int = 20,
    ) -> m.FilePage:
        return await self._client.send(c.list_files(kind, include_archived, page, limit))

    async def iter(self, kind: str | None = None, limit: int = 100) -> AsyncIterator[m.FileOut]:
        page = 1
        while True:
            reply = await self.list(kind, None, page, limit)
            for item in reply.data:
                yield item
            if len(reply.data) < limit:
                return
            page += 1

    async def get(self, file_id: str) -> m.FileOut:
        return await self._client.send(c.get_file(file_id))

    async def archive(self, file_id: str) -> m.FileOut:
        return await self._client.send(c.archive_file(file_id))

    async def set_public_link(self, file_id: str, enabled: bool) -> m.FileOut:
        return await self._client.send(c.set_public_link(file_id, enabled))

    async def public_target(self, token: str) -> str | None:
        return await self._client.send(c.public_target(token))


class Tts(_Resource):
    async def voices(self, language: str | None = None) -> m.VoiceList:
        """Built-in voices of every language and the caller's cloned voices."""
        return await self._client.send(c.voices(language))

    async def sample(self, voice_id: str) -> bytes:
        """The voice reading its language's sample sentence (WAV)."""
        return await self._client.send(c.voice_sample(voice_id))

    async def synthesize(self, *, voice: str, text: str, speed: float | None = None) -> bytes:
        """A WAV (16-bit mono) of ``text`` in the voice ``voice`` (an avatar's
        ``tts_voice_id``)."""
        return await self._client.send(c.synthesize(voice=voice, text=text, speed=speed))

    async def save(self, path: str | Path, **kwargs: Any) -> Path:
        target = Path(path)
        await asyncio.to_thread(target.write_bytes, await self.synthesize(**kwargs))
        return target


class Billing(_Resource):
    async def balance(self) -> m.Balance:
        return await self._client.send(c.balance())

    async def ledger(self, page: int = 1, limit: int = 20) -> m.LedgerPage:
        return await self._client.send(c.ledger(page, limit))

    async def iter_ledger(self, limit: int = 100) -> AsyncIterator[m.LedgerEntryOut]:
        page = 1
        while True:
            reply = await self.ledger(page, limit)
            for item in reply.data:
                yield item
            if not reply.data or page * limit >= reply.total:
                return
            page += 1


class Webhooks(_Resource):
    async def secret(self) -> m.SigningSecretOut:
        return await self._client.send(c.webhook_secret())

    async def rotate_secret(self) -> m.SigningSecretOut:
        return await self._client.send(c.rotate_webhook_secret())

    async def deliveries(
        self, video_id: str | None = None, limit: int | None = None
    ) -> m.DeliveryAttempts:
        return await self._client.send(c.webhook_deliveries(video_id, limit))

    async def create_endpoint(
        self, url: str, events: list[str], description: str | None = None
    ) -> m.EndpointOut:
        """A receiver for ``events`` (or ["*"]): keep ``.secret``, shown only now."""
        return await self._client.send(c.create_endpoint(url, events, description))

    async def list_endpoints(self) -> m.Endpoints:
        return await self._client.send(c.list_endpoints())

    async def get_endpoint(self, endpoint_id: str) -> m.EndpointOut:
        return await self._client.send(c.get_endpoint(endpoint_id))

    async def delete_endpoint(self, endpoint_id: str) -> None:
        await self._client.send(c.delete_endpoint(endpoint_id))

    async def rotate_endpoint_secret(
        self, endpoint_id: str, overlap_seconds: float | None = None
    ) -> m.EndpointOut:
        return await self._client.send(c.rotate_endpoint_secret(endpoint_id, overlap_seconds))

    async def send_test_event(self, endpoint_id: str) -> m.TestEventOut:
        return await self._client.send(c.send_test_event(endpoint_id))

    async def endpoint_deliveries(
        self, endpoint_id: str, limit: int | None = None
    ) -> m.DeliveryAttempts:
        return await self._client.send(c.endpoint_deliveries(endpoint_id, limit))


class Admin(_Resource):
    """Operators' routes: the client needs ``admin_key`` (or AVATARMESH_ADMIN_KEY)."""

    async def create_api_key(self, owner_id: str, name: str | None = None) -> m.CreatedApiKey:
        return await self._client.send(c.create_api_key(owner_id, name))

    async def list_api_keys(self, owner_id: str | None = None) -> m.ApiKeyList:
        return await self._client.send(c.list_api_keys(owner_id))

    async def revoke_api_key(self, key_id: str) -> None:
        await self._client.send(c.revoke_api_key(key_id))

    async def top_up(self, owner_id: str, amount_usd: float | str, **kwargs: Any) -> m.WalletOut:
        return await self._client.send(c.top_up(owner_id, amount_usd, **kwargs))

    async def set_tier(self, owner_id: str, tier: str) -> m.WalletOut:
        return await self._client.send(c.set_tier(owner_id, tier))

    async def start_canary(self) -> m.CanaryOut:
        return await self._client.send(c.start_canary())

    async def get_canary(self, canary_id: str) -> m.CanaryOut:
        return await self._client.send(c.get_canary(canary_id))

    async def list_reviews(self, limit: int = 50) -> m.ReviewList:
        return await self._client.send(c.list_reviews(limit))

    async def approve_avatar(self, avatar_id: str) -> m.ReviewOut:
        return await self._client.send(c.approve_avatar(avatar_id))

    async def reject_avatar(self, avatar_id: str, reason: str) -> m.ReviewOut:
        return await self._client.send(c.reject_avatar(avatar_id, reason))


class AvatarFacade(_Resource):
    """The contract's ``client.avatar.*`` surface, in Python's spelling."""

    async def create(self, **fields: Any) -> m.AvatarDetail:
        """Create and wait until ready (the contract's SDK polls automatically)."""
        result: m.AvatarDetail = await self._client.avatars.create(wait=True, **fields)
        return result

    async def list(self, page: int = 1, limit: int = 20) -> m.AvatarPage:
        return await self._client.avatars.list(page, limit)

    async def get(self, avatar_id: str) -> m.AvatarDetail:
        return await self._client.avatars.get(avatar_id)

    async def delete(self, avatar_id: str) -> None:
        await self._client.avatars.delete(avatar_id)

    async def create_pose(
        self, avatar_id: str, *, prompt: str, name: str | None = None
    ) -> m.PoseCreated:
        return await self._client.avatars.create_pose(avatar_id, prompt=prompt, name=name)

    async def list_poses(self, avatar_id: str) -> m.PoseList:
        return await self._client.avatars.list_poses(avatar_id)

    async def generate_video(self, **fields: Any) -> m.CreatedVideo:
        return await self._client.videos.create(**fields)

    async def video_status(self, video_id: str) -> m.VideoOut:
        return await self._client.videos.get(video_id)

    async def wait_for_video(self, **fields: Any) -> m.VideoOut:
        """Submit and poll until completed."""
        return await self._client.videos.generate(**fields)
