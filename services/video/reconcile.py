"""A submitted video's life: read it, cancel it, settle it from the worker's events.

Each settles a video at most once: the handler first *claims* the row
(queued/processing -> settling) in a transaction, so a concurrent cancel either wins
before the claim (the render's result is discarded and the hold released) or is
refused after it (CONFLICT). Billing calls carry keys derived from the video id
(``:capture``, ``:release``), so a replayed event or a crash between the billing
call and the row update never charges twice.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass

from avatarmesh.bus import Retry
from avatarmesh.clock import utcnow
from avatarmesh.db import Database
from avatarmesh.errors import DomainError, ErrorCode
from avatarmesh.labels import parse_metadata_filters
from avatarmesh.outbox import OutboxRelay, first_time
from avatarmesh.storage import Storage, StorageError, is_upload_of, video_prefix
from services.video import events, store
from services.video.logic import (
    CANCELLED_ERROR,
    RUNNING,
    Settlement,
    Video,
    VideoStatus,
    capture_amount,
    completed,
    failed,
    invalid,
)
from services.video.store import inbox
from services.video.uploads import UploadedAudio
from services.video.upstreams import Upstreams

log = logging.getLogger(__name__)

MAX_PAGE_LIMIT = 100


@dataclass
class Videos:
    db: Database
    relay: OutboxRelay
    upstreams: Upstreams
    storage: Storage
    uploads: UploadedAudio

    # -- read ------------------------------------------------------------------

    async def get(self, owner_id: str, video_id: str) -> Video:
        async with self.db.read() as session:
            video = await store.get(session, video_id, owner_id)
        if video is None:
            raise DomainError(ErrorCode.NOT_FOUND, "Video not found")
        return video

    async def list(
        self,
        owner_id: str,
        page: int,
        limit: int,
        kind: str = "avatar",
        labels: Sequence[str] = (),
        metadata: Sequence[str] = (),
    ) -> tuple[list[Video], int, int, int]:
        """(videos, page, limit, total): one page of the owner's videos of ``kind``
        (avatar or studio), newest first."""
        page = page or 1
        limit = limit or 20
        if page < 1 or not 1 <= limit <= MAX_PAGE_LIMIT:
            raise invalid("page must be >= 1 and limit between 1 and 100")
        if kind not in ("avatar", "studio"):
            raise invalid("kind: must be avatar or studio")
        pairs = parse_metadata_filters(metadata)
        async with self.db.read() as session:
            videos, total = await store.page(session, owner_id, page, limit, kind, labels, pairs)
        return videos, page, limit, total

    # -- cancel ----------------------------------------------------------------

    async def cancel(self, owner_id: str, video_id: str) -> Video:
        """queued/processing -> cancelled, the hold released; a cancelled video never
        captures. Cancelling again answers the cancelled video (and retries the
        release); a finished or finalising video answers CONFLICT."""
        async with self.db.transaction() as session:
            video = await store.get(session, video_id, owner_id)
            if video is None:
                raise DomainError(ErrorCode.NOT_FOUND, "Video not found")
            if video.status in RUNNING and await store.cancel(
                session, video_id, CANCELLED_ERROR, utcnow()
            ):
                video = await store.require(session, video_id)
                await events.queue_settled(session, video)
        if video.status is VideoStatus.CANCELLED:
            self.relay.wake()
            await self.upstreams.release_quietly(video.hold_id, video_id)
            await self.uploads.forget(owner_id, video.audio_key)
            return video
        if video.status is VideoStatus.SETTLING:
            raise DomainError(
                ErrorCode.CONFLICT, "The video is being finalised; it cannot be cancelled"
            )
        raise DomainError(ErrorCode.CONFLICT, f"The video is already {video.status}")

    # -- reconcile: the worker's events ----------------------------------------

    async def progress(self, video_id: str, progress: float) -> None:
        progress = min(0.99, max(0.0, progress))
        async with self.db.transaction() as session:
            await store.record_progress(session, video_id, progress, utcnow())

    async def completed(
        self,
        video_id: str,
        video_key: str,
        poster_key: str,
        actual_seconds: float,
        result_json: str = "",
    ) -> None:
        async def capture(video: Video) -> Settlement:
            actual = round(actual_seconds, 3)
            amount = capture_amount(video.cost_micros, video.rate_micros_per_second, actual)
            captured = await self.upstreams.capture(video.hold_id, amount, video.id)
            return completed(video_key, poster_key, actual, captured, result_json)

        await self._settle(video_id, capture)

    async def failed(self, video_id: str, error: str) -> None:
        async def release(video: Video) -> Settlement:
            await self.upstreams.release(video.hold_id, video.id)
            return failed(error)

        await self._settle(video_id, release)

    async def _settle(self, video_id: str, bill: Callable[[Video], Awaitable[Settlement]]) -> None:
        """The one settle path: claim, bill (capture or release), drop the caller's
        audio, then record the outcome and its ``events.video.<status>`` once."""
        async with self.db.transaction() as session:
            video = await store.claim(session, video_id, utcnow())
        if video is None:
            log.warning("render result for unknown video %s", video_id)
            return
        if video.status is VideoStatus.CANCELLED:
            await self._discard_cancelled(video)
            return
        if video.status is not VideoStatus.SETTLING:
            return  # already settled: a replayed event
        outcome = await bill(video)
        # The render is in storage (or failed): the caller's audio is no longer needed
        # (deleted before the row says settled, so a settled video has no upload left).
        await self.uploads.forget(video.owner_id, video.audio_key)
        async with self.db.transaction() as session:
            if not await first_time(session, inbox, f"{video.id}:settled"):
                return
            settled = await store.settle(session, video.id, outcome, utcnow())
            await events.queue_settled(session, settled)
        self.relay.wake()

    async def avatar_deleted(self, owner_id: str, avatar_id: str) -> None:
        """The avatar is gone: its videos' files go too, outputs and uploaded audio
        (rows stay, for the history); videos still queued or rendering are cancelled
        and their holds released."""
        async with self.db.transaction() as session:
            videos = await store.of_avatar(session, owner_id, avatar_id)
        for video in videos:
            if video.status in RUNNING:
                try:
                    await self.cancel(video.owner_id, video.id)
                except DomainError:
                    pass  # it settled meanwhile
            try:
                await self.storage.delete_prefix(video_prefix(video.owner_id, video.id))
                if is_upload_of(video.owner_id, video.audio_key):
                    await self.storage.delete(video.audio_key)
            except StorageError as exc:
                raise Retry(5.0, str(exc)) from exc

    async def _discard_cancelled(self, video: Video) -> None:
        await self.upstreams.release_quietly(video.hold_id, video.id)
        await self.uploads.forget(video.owner_id, video.audio_key)
        try:
            await self.storage.delete_prefix(video_prefix(video.owner_id, video.id))
        except StorageError as exc:
            log.warning("output of cancelled video %s not deleted: %s", video.id, exc)
