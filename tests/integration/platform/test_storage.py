"""Object storage through the S3 API against a real S3 server (SeaweedFS, as `make up`
runs it): signatures, presigned expiry and restarts are the server's, not a fake's."""

from __future__ import annotations

import io
import logging
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from minio import Minio
from minio.error import S3Error

from avatarmesh.settings import Settings
from avatarmesh.storage import (
    Storage,
    StorageError,
    StorageNotFound,
    avatar_prefix,
    upload_key,
    video_prefix,
)

# The s3_server and storage fixtures come from the tests.support.s3 plugin (tests/conftest.py).
from tests.support.s3 import s3_settings, start_s3

pytestmark = pytest.mark.integration


async def test_put_bytes_then_get_bytes_returns_same_content(storage: Storage) -> None:
    data = bytes(range(256)) * 1000
    await storage.put_bytes("a/b/blob.bin", data, "application/octet-stream")
    assert await storage.get_bytes("a/b/blob.bin") == data


async def test_put_file_then_download_round_trips(storage: Storage, tmp_path: Path) -> None:
    src = tmp_path / "in.mp4"
    src.write_bytes(b"\x00\x00\x00\x18ftypmp42" + b"x" * 50_000)
    await storage.put_file("videos/v.mp4", src, "video/mp4")
    dst = tmp_path / "out" / "nested" / "v.mp4"
    await storage.download("videos/v.mp4", dst)
    assert dst.read_bytes() == src.read_bytes()


async def test_missing_key_raises_storage_not_found(storage: Storage, tmp_path: Path) -> None:
    with pytest.raises(StorageNotFound):
        await storage.get_bytes("no/such/key")
    with pytest.raises(StorageNotFound):
        await storage.download("no/such/key", tmp_path / "x")


async def test_exists_is_true_only_for_stored_keys(storage: Storage) -> None:
    assert not await storage.exists("k.txt")
    await storage.put_bytes("k.txt", b"hi", "text/plain")
    assert await storage.exists("k.txt")
    await storage.delete("k.txt")
    assert not await storage.exists("k.txt")
    await storage.delete("k.txt")  # deleting a missing key is not an error


async def test_presigned_get_downloads_over_http_and_expires_in_one_hour(
    storage: Storage,
) -> None:
    await storage.put_bytes("portrait.png", b"\x89PNG fake", "image/png")
    url = await storage.presigned_get("portrait.png")
    parts = urlsplit(url)
    assert parts.scheme == "http"
    assert parts.netloc == storage.endpoint
    assert parse_qs(parts.query)["X-Amz-Expires"] == ["3600"]
    async with httpx.AsyncClient() as client:
        response = await client.get(url)
    assert response.status_code == 200
    assert response.content == b"\x89PNG fake"
    assert response.headers["content-type"] == "image/png"

    short = await storage.presigned_get("portrait.png", expires=timedelta(minutes=5))
    assert parse_qs(urlsplit(short).query)["X-Amz-Expires"] == ["300"]


async def test_delete_prefix_removes_everything_under_prefix_and_nothing_else(
    storage: Storage,
) -> None:
    doomed = avatar_prefix("own_1", "av_1")
    kept = avatar_prefix("own_1", "av_10")  # shares a string prefix without the slash
    for i in range(5):
        await storage.put_bytes(f"{doomed}poses/{i}.png", b"p", "image/png")
    await storage.put_bytes(f"{doomed}portrait.png", b"p", "image/png")
    await storage.put_bytes(f"{kept}portrait.png", b"k", "image/png")
    await storage.put_bytes("other.txt", b"o", "text/plain")

    assert await storage.delete_prefix(doomed) == 6
    assert await storage.list_keys(doomed) == []
    assert await storage.list_keys("") == [f"{kept}portrait.png", "other.txt"]
    assert await storage.delete_prefix(doomed) == 0
    with pytest.raises(ValueError):
        await storage.delete_prefix("")


async def test_delete_quietly_removes_the_keys_and_skips_empty_ones(storage: Storage) -> None:
    for key in ("q/a", "q/b", "q/keep"):
        await storage.put_bytes(key, b"x", "text/plain")
    await storage.delete_quietly("q/a", "", "q/b", "q/missing")
    assert await storage.list_keys("q/") == ["q/keep"]


async def test_delete_quietly_logs_a_store_failure_instead_of_raising(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    server = start_s3(tmp_path / "s3")
    store = Storage(s3_settings(server.endpoint))
    await store.ensure_bucket()
    server.stop()
    with caplog.at_level(logging.WARNING, logger="avatarmesh.storage"):
        await store.delete_quietly("uploads/own_1/up_1.wav")
    assert "could not delete uploads/own_1/up_1.wav" in caplog.text


async def test_list_keys_is_recursive_and_sorted(storage: Storage) -> None:
    prefix = video_prefix("own_1", "vg_1")
    for name in ("c.mp4", "a/thumb.jpg", "b.json"):
        await storage.put_bytes(prefix + name, b"x", "application/octet-stream")
    assert await storage.list_keys(prefix) == [
        prefix + "a/thumb.jpg",
        prefix + "b.json",
        prefix + "c.mp4",
    ]


def test_key_helpers_give_the_documented_layout() -> None:
    assert avatar_prefix("own_1", "av_2") == "avatars/own_1/av_2/"
    assert video_prefix("own_1", "vg_2") == "avatar-videos/own_1/vg_2/"
    assert upload_key("own_1", "up_3", ".PNG") == "uploads/own_1/up_3.png"
    for bad in ("", "a/b", "..", "../x"):
        with pytest.raises(ValueError):
            avatar_prefix(bad, "av_1")
    with pytest.raises(ValueError):
        upload_key("own_1", "up_3", "p/ng")


async def test_stopped_server_raises_storage_error_quickly(tmp_path: Path) -> None:
    server = start_s3(tmp_path / "s3")
    endpoint = server.endpoint
    store = Storage(s3_settings(endpoint))
    await store.ensure_bucket()
    server.stop()

    started = time.monotonic()
    with pytest.raises(StorageError) as info:
        await store.get_bytes("anything")
    assert not isinstance(info.value, StorageNotFound)
    assert endpoint in str(info.value)
    with pytest.raises(StorageError):
        await store.put_bytes("k", b"v", "text/plain")
    with pytest.raises(StorageError):
        await store.exists("k")
    assert time.monotonic() - started < 10


async def test_data_persists_across_server_restart(tmp_path: Path) -> None:
    server = start_s3(tmp_path / "s3")
    endpoint = server.endpoint
    try:
        store = Storage(s3_settings(endpoint, bucket="persist"))
        await store.ensure_bucket()
        await store.put_bytes("keep/a.bin", b"A" * 100_000, "application/octet-stream")
        await store.put_bytes("keep/b.png", b"B", "image/png")
        await store.put_bytes("gone/c.txt", b"C", "text/plain")
        await store.put_bytes("keep/b.png", b"B2", "image/png")  # overwrite
        assert await store.delete_prefix("gone/") == 1
    finally:
        assert server.stop() == 0  # SIGTERM is a clean shutdown

    server.start()
    try:
        store = Storage(s3_settings(endpoint, bucket="persist"))
        await store.ensure_bucket()  # idempotent on an existing bucket
        assert await store.list_keys("") == ["keep/a.bin", "keep/b.png"]
        assert await store.get_bytes("keep/a.bin") == b"A" * 100_000
        assert await store.get_bytes("keep/b.png") == b"B2"
        url = await store.presigned_get("keep/b.png")
        async with httpx.AsyncClient() as client:
            response = await client.get(url)
        assert response.headers["content-type"] == "image/png"
    finally:
        server.stop()


async def test_writes_survive_a_killed_server(tmp_path: Path) -> None:
    big = tmp_path / "big.mp4"
    big.write_bytes(bytes(range(256)) * (6 * 4096 + 7))  # > 5 MiB: a multipart upload
    server = start_s3(tmp_path / "s3")
    endpoint = server.endpoint
    try:
        store = Storage(s3_settings(endpoint, bucket="crash"))
        await store.ensure_bucket()
        await store.put_file("videos/big.mp4", big, "video/mp4")
        await store.put_bytes("videos/small.txt", b"s", "text/plain")
        await store.delete("videos/small.txt")
        await store.put_bytes("videos/meta.json", b"{}", "application/json")
    finally:
        server.kill()

    server.start()
    try:
        assert await store.list_keys("videos/") == ["videos/big.mp4", "videos/meta.json"]
        assert await store.get_bytes("videos/big.mp4") == big.read_bytes()
        await store.put_bytes("videos/after.txt", b"a", "text/plain")  # still writable
        assert await store.exists("videos/after.txt")
    finally:
        server.stop()


async def test_presigned_get_uses_public_endpoint_when_configured(s3_server: str) -> None:
    class PublicSettings(Settings):
        s3_public_endpoint: str | None = None

    settings = PublicSettings(
        s3_endpoint=s3_server, s3_public_endpoint="media.example.test:8443", s3_secure=False
    )
    url = await Storage(settings).presigned_get("avatars/x/y/portrait.png")
    assert urlsplit(url).netloc == "media.example.test:8443"


def _client(endpoint: str, secret: str | None = None) -> Minio:
    settings = Settings()
    return Minio(
        endpoint,
        access_key=settings.s3_access_key,
        secret_key=secret or settings.s3_secret_key,
        secure=False,
        region=settings.s3_region,
    )


async def test_a_wrong_secret_key_is_refused(storage: Storage) -> None:
    await storage.put_bytes("private.txt", b"secret", "text/plain")
    intruder = _client(storage.endpoint, secret="not-the-secret")
    with pytest.raises(S3Error) as info:
        intruder.get_object(storage.bucket, "private.txt")
    assert info.value.code in ("SignatureDoesNotMatch", "AccessDenied"), info.value.code
    with pytest.raises(S3Error):
        intruder.put_object(storage.bucket, "planted.txt", io.BytesIO(b"x"), 1)
    assert not await storage.exists("planted.txt")


async def test_an_expired_presigned_get_is_403(storage: Storage) -> None:
    await storage.put_bytes("short.txt", b"soon gone", "text/plain")
    client = _client(storage.endpoint)
    now = datetime.now(UTC)
    fresh, expired = (
        client.presigned_get_object(
            storage.bucket, "short.txt", expires=timedelta(minutes=1), request_date=signed_at
        )
        for signed_at in (now, now - timedelta(minutes=2))
    )
    async with httpx.AsyncClient() as http:
        assert (await http.get(fresh)).status_code == 200
        refused = await http.get(expired)
    assert refused.status_code == 403, refused.text
    assert b"soon gone" not in refused.content


async def test_a_tampered_presigned_signature_is_403(storage: Storage) -> None:
    await storage.put_bytes("doc.txt", b"content", "text/plain")
    await storage.put_bytes("other.txt", b"not yours", "text/plain")
    url = await storage.presigned_get("doc.txt")
    query = parse_qs(urlsplit(url).query)
    signature = query["X-Amz-Signature"][0]
    flipped = "0" if signature[-1] != "0" else "1"
    async with httpx.AsyncClient() as client:
        assert (await client.get(url)).status_code == 200
        tampered = await client.get(url.replace(signature, signature[:-1] + flipped))
        other_key = await client.get(url.replace("/doc.txt?", "/other.txt?"))
        longer = await client.get(url.replace("X-Amz-Expires=3600", "X-Amz-Expires=604800"))
    assert [tampered.status_code, other_key.status_code, longer.status_code] == [403] * 3


async def test_a_presigned_put_uploads_and_only_to_its_key(storage: Storage) -> None:
    client = _client(storage.endpoint)
    key = "uploads/own_1/up_1.wav"
    url = client.presigned_put_object(storage.bucket, key, timedelta(minutes=5))
    async with httpx.AsyncClient() as http:
        stored = await http.put(url, content=b"RIFF....WAVE")
        elsewhere = await http.put(url.replace("/up_1.wav?", "/up_2.wav?"), content=b"x")
    assert stored.status_code == 200, stored.text
    assert elsewhere.status_code == 403
    assert await storage.get_bytes("uploads/own_1/up_1.wav") == b"RIFF....WAVE"
    assert not await storage.exists("uploads/own_1/up_2.wav")
