"""Object storage: the one home of the S3 API (MinIO in production, any S3 server locally).

Every service and worker stores media through ``Storage``; nothing else talks S3. The
minio SDK is synchronous, so each call runs in a worker thread (``asyncio.to_thread``).

Failures are two exceptions: ``StorageNotFound`` for a missing object, ``StorageError``
for everything else (server down, timeouts, S3 errors). The gateway maps
``StorageError`` to the documented 502 ``STORAGE_ERROR``.

The key layout lives here too (``avatar_prefix``, ``video_prefix``, ``upload_key``), so
no service spells a storage path by hand. Keys are internal; clients get presigned URLs.
"""

from __future__ import annotations

import asyncio
import io
import logging
import re
import time
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import TypeVar

import certifi
import urllib3
from minio import Minio
from minio.deleteobjects import DeleteObject
from minio.error import MinioException, S3Error

from avatarmesh.settings import Settings

log = logging.getLogger(__name__)

__all__ = [
    "Storage",
    "StorageError",
    "StorageNotFound",
    "avatar_prefix",
    "upload_key",
    "video_prefix",
]

T = TypeVar("T")

# A dead or unreachable server must fail fast, not hang a request: short connect
# timeout, a generous read timeout (large media), and few retries with a short backoff.
CONNECT_TIMEOUT_S = 3.0
READ_TIMEOUT_S = 120.0
RETRIES = 2
RETRY_BACKOFF_S = 0.1

# A presigned URL is handed out again for up to this long (at most 1/60 of its
# lifetime), so every URL a client gets is valid for at least 59/60 of what was asked.
PRESIGN_REUSE_S = 60.0
PRESIGN_CACHE_ENTRIES = 10_000

_NOT_FOUND_CODES = frozenset({"NoSuchKey", "NoSuchObject", "NoSuchVersion"})
_BUCKET_EXISTS_CODES = frozenset({"BucketAlreadyOwnedByYou", "BucketAlreadyExists"})
_SEGMENT = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.\-]*$")
_EXT = re.compile(r"^[a-z0-9]{1,10}$")


class StorageError(Exception):
    """The object store failed (unreachable, timed out, or answered with an error)."""


class StorageNotFound(StorageError):
    """The object does not exist."""


# ---------------------------------------------------------------------------- key layout


def _segment(name: str, value: str) -> str:
    if not _SEGMENT.match(value) or ".." in value:
        raise ValueError(f"invalid {name} for a storage key: {value!r}")
    return value


def avatar_prefix(owner_id: str, avatar_id: str) -> str:
    """Everything stored for one avatar: ``avatars/<owner>/<avatar>/``."""
    return f"avatars/{_segment('owner_id', owner_id)}/{_segment('avatar_id', avatar_id)}/"


def video_prefix(owner_id: str, video_id: str) -> str:
    """Everything stored for one avatar video: ``avatar-videos/<owner>/<video>/``."""
    return f"avatar-videos/{_segment('owner_id', owner_id)}/{_segment('video_id', video_id)}/"


RENDERABLE_SUFFIX = ".portrait"


def renderable_portrait_key(image_key: str) -> str:
    """``avatars/o/a/portrait.jpg`` -> ``avatars/o/a/portrait.portrait``: the PNG with
    the animation sidecar (``avatarmedia.portrait``) stored beside every portrait JPEG."""
    stem = image_key.rsplit(".", 1)[0] if "." in image_key.rsplit("/", 1)[-1] else image_key
    return stem + RENDERABLE_SUFFIX


def upload_key(owner_id: str, upload_id: str, ext: str) -> str:
    """A client upload (reference image, audio, video): ``uploads/<owner>/<upload>.<ext>``."""
    suffix = ext.lower().lstrip(".")
    if not _EXT.match(suffix):
        raise ValueError(f"invalid file extension for a storage key: {ext!r}")
    return f"uploads/{_segment('owner_id', owner_id)}/{_segment('upload_id', upload_id)}.{suffix}"


def is_upload_of(owner_id: str, key: str) -> bool:
    """Whether ``key`` is one of ``owner_id``'s uploads (never another owner's, never an
    output): the check before a service reads or deletes a key a caller handed it."""
    return bool(key) and key.startswith(f"uploads/{owner_id}/")


def is_file_of(owner_id: str, key: str) -> bool:
    """Whether ``key`` is one of ``owner_id``'s files (``files/<owner>/``, the files
    service's): readable as a media input, never deleted by the job that read it."""
    return bool(key) and key.startswith(f"files/{owner_id}/")


# ------------------------------------------------------------------------------- client


def _http_client(secure: bool) -> urllib3.PoolManager:
    retry = urllib3.Retry(
        total=RETRIES,
        backoff_factor=RETRY_BACKOFF_S,
        status_forcelist=[500, 502, 503, 504],
    )
    timeout = urllib3.Timeout(connect=CONNECT_TIMEOUT_S, read=READ_TIMEOUT_S)
    if secure:
        return urllib3.PoolManager(
            timeout=timeout,
            retries=retry,
            maxsize=16,
            cert_reqs="CERT_REQUIRED",
            ca_certs=certifi.where(),
        )
    return urllib3.PoolManager(timeout=timeout, retries=retry, maxsize=16)


def _minio(settings: Settings, endpoint: str) -> Minio:
    return Minio(
        endpoint,
        access_key=settings.s3_access_key,
        secret_key=settings.s3_secret_key,
        secure=settings.s3_secure,
        # A known region means presigning never asks the server for the bucket location.
        region=settings.s3_region,
        http_client=_http_client(settings.s3_secure),
    )


def _describe(exc: BaseException) -> str:
    if isinstance(exc, S3Error):
        return f"{exc.code}: {exc.message}"
    return f"{type(exc).__name__}: {exc}"


class Storage:
    """Async access to one bucket of an S3-compatible object store."""

    def __init__(self, settings: Settings) -> None:
        self.bucket = settings.s3_bucket
        self.endpoint = settings.s3_endpoint
        self._region = settings.s3_region
        self._client = _minio(settings, settings.s3_endpoint)
        # Presigned URLs are signed for the host clients will use; the signature covers
        # the host, so a public endpoint needs its own (offline) signing client.
        public = settings.s3_public_endpoint or settings.s3_endpoint
        self._presigner = (
            self._client if public == settings.s3_endpoint else _minio(settings, public)
        )
        # (key, lifetime) -> (URL, monotonic time it was signed)
        self._presigned: dict[tuple[str, timedelta], tuple[str, float]] = {}

    async def _run(self, what: str, key: str | None, fn: Callable[[], T]) -> T:
        try:
            return await asyncio.to_thread(fn)
        except (MinioException, urllib3.exceptions.HTTPError, OSError) as exc:
            raise self._error(what, key, exc) from exc

    def _error(self, what: str, key: str | None, exc: Exception) -> StorageError:
        if isinstance(exc, S3Error):
            target = f"s3://{self.bucket}/{key}" if key is not None else f"s3://{self.bucket}"
            if key is not None and exc.code in _NOT_FOUND_CODES:
                return StorageNotFound(f"object not found: {target}")
            return StorageError(f"storage {what} failed for {target}: {_describe(exc)}")
        return StorageError(
            f"storage {what} failed: object store at {self.endpoint} unavailable ({_describe(exc)})"
        )

    async def ensure_bucket(self) -> None:
        """Create the bucket when it does not exist yet (idempotent, race-safe)."""

        def ensure() -> None:
            if self._client.bucket_exists(self.bucket):
                return
            try:
                self._client.make_bucket(self.bucket, location=self._region)
            except S3Error as exc:
                if exc.code not in _BUCKET_EXISTS_CODES:
                    raise

        await self._run("ensure_bucket", None, ensure)

    async def put_bytes(self, key: str, data: bytes, content_type: str) -> None:
        await self._run(
            "put",
            key,
            lambda: self._client.put_object(
                self.bucket, key, io.BytesIO(data), len(data), content_type=content_type
            ),
        )

    async def put_file(self, key: str, path: Path, content_type: str) -> None:
        await self._run(
            "put",
            key,
            lambda: self._client.fput_object(
                self.bucket, key, str(path), content_type=content_type
            ),
        )

    async def get_bytes(self, key: str) -> bytes:
        """The object's content; ``StorageNotFound`` when there is no such key."""

        def get() -> bytes:
            response = self._client.get_object(self.bucket, key)
            try:
                return response.read()
            finally:
                response.close()
                response.release_conn()

        return await self._run("get", key, get)

    async def get_portrait(self, image_key: str) -> bytes:
        """The renderable portrait of a portrait or pose JPEG: the ``.portrait`` PNG
        beside it (with its animation sidecar), else the JPEG itself (uploads from
        before sidecars existed, which the media engine re-detects)."""
        try:
            return await self.get_bytes(renderable_portrait_key(image_key))
        except StorageNotFound:
            return await self.get_bytes(image_key)

    async def download(self, key: str, path: Path) -> None:
        """Write the object to ``path`` (parent folders created); ``StorageNotFound``."""
        await self._run(
            "download", key, lambda: self._client.fget_object(self.bucket, key, str(path))
        )

    async def exists(self, key: str) -> bool:
        try:
            await self._run("stat", key, lambda: self._client.stat_object(self.bucket, key))
        except StorageNotFound:
            return False
        return True

    async def presigned_get(self, key: str, expires: timedelta = timedelta(hours=1)) -> str:
        """A URL anyone can GET until it expires. Signed offline (the region is known:
        no request is made), so in this thread: a thread hop costs more than the HMAC.
        A URL is reused for ``PRESIGN_REUSE_S`` (hot polls sign once a minute)."""
        now = time.monotonic()
        cached = self._presigned.get((key, expires))
        reuse_s = min(PRESIGN_REUSE_S, expires.total_seconds() / 60)
        if cached is not None and now - cached[1] < reuse_s:
            return cached[0]
        try:
            url = self._presigner.presigned_get_object(self.bucket, key, expires=expires)
        except (MinioException, urllib3.exceptions.HTTPError, OSError, ValueError) as exc:
            raise self._error("presign", key, exc) from exc
        if len(self._presigned) >= PRESIGN_CACHE_ENTRIES:
            self._presigned.clear()
        self._presigned[(key, expires)] = (url, now)
        return url

    async def delete(self, key: str) -> None:
        """Remove the object; removing a missing key is not an error."""
        await self._run("delete", key, lambda: self._client.remove_object(self.bucket, key))

    async def delete_quietly(self, *keys: str) -> None:
        """Best-effort removal of objects nothing needs any more (empty keys skipped): a
        failure is logged, never raised, so it cannot turn a caller's answer into an
        error; a leftover object is only wasted space."""
        for key in filter(None, keys):
            try:
                await self.delete(key)
            except StorageError as exc:
                log.warning("could not delete %s: %s", key, exc)

    async def list_keys(self, prefix: str) -> list[str]:
        """Every key under ``prefix`` (recursive), in lexical order."""

        def keys() -> list[str]:
            objects = self._client.list_objects(self.bucket, prefix=prefix, recursive=True)
            return [o.object_name for o in objects if o.object_name is not None]

        return await self._run("list", None, keys)

    async def delete_prefix(self, prefix: str) -> int:
        """Delete every object under ``prefix`` (batched); returns how many were deleted."""
        if not prefix:
            raise ValueError("delete_prefix needs a non-empty prefix")

        def delete_all() -> int:
            objects = self._client.list_objects(self.bucket, prefix=prefix, recursive=True)
            keys = [o.object_name for o in objects if o.object_name is not None]
            if not keys:
                return 0
            errors = list(self._client.remove_objects(self.bucket, [DeleteObject(k) for k in keys]))
            if errors:
                first = errors[0]
                raise StorageError(
                    f"storage delete_prefix failed for {len(errors)} of {len(keys)} objects "
                    f"under s3://{self.bucket}/{prefix}: first {first.name}: "
                    f"{first.code} {first.message}"
                )
            return len(keys)

        return await self._run("delete_prefix", None, delete_all)
