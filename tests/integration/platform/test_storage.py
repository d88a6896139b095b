"""Object storage through the S3 API against the local S3 server."""

from __future__ import annotations

import logging
import time
from datetime import timedelta
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from avatarmesh.settings import Settings
from avatarmesh.storage import (
    Storage,
    StorageError,
    StorageNotFound,
    avatar_prefix,
    upload_key,
    video_prefix,
)
from deploy.local.s3server import LocalS3Server

# The s3_server and storage fixtures come from the tests.support.s3 plugin (tests/conftest.py).
from tests.support.s3 import free_port, s3_settings

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
    server = LocalS3Server()
    store = Storage(s3_settings(server.start("127.0.0.1", free_port(), tmp_path / "s3")))
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
    server = LocalS3Server()
    endpoint = server.start("127.0.0.1", free_port(), tmp_path / "s3")
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
    data_dir = tmp_path / "s3"
    port = free_port()
    server = LocalS3Server()
    endpoint = server.start("127.0.0.1", port, data_dir)
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

    server.start("127.0.0.1", port, data_dir)
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
    data_dir = tmp_path / "s3"
    port = free_port()
    big = tmp_path / "big.mp4"
    big.write_bytes(bytes(range(256)) * (6 * 4096 + 7))  # > 5 MiB: a multipart upload
    server = LocalS3Server()
    endpoint = server.start("127.0.0.1", port, data_dir)
    try:
        store = Storage(s3_settings(endpoint, bucket="crash"))
        await store.ensure_bucket()
        await store.put_file("videos/big.mp4", big, "video/mp4")
        await store.put_bytes("videos/small.txt", b"s", "text/plain")
        await store.delete("videos/small.txt")
        await store.put_bytes("videos/meta.json", b"{}", "application/json")
    finally:
        server.kill()

    server.start("127.0.0.1", port, data_dir)
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
