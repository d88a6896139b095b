"""Presigned GET URLs: signed offline, reused for at most a minute (1/60 of their life),
so a hot poll signs once a minute and every URL handed out stays valid >= 59 minutes."""

from __future__ import annotations

from datetime import timedelta
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from avatarmesh import storage as storage_module
from avatarmesh.settings import Settings
from avatarmesh.storage import PRESIGN_REUSE_S, Storage


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    now = [1000.0]
    monkeypatch.setattr(storage_module.time, "monotonic", lambda: now[0])
    return now


def counting_signatures(store: Storage) -> list[str]:
    """The keys the store's presigner signs, in order (wraps the real signer)."""
    signed: list[str] = []
    real = store._presigner.presigned_get_object

    def sign(bucket: str, key: str, **kwargs: Any) -> str:
        signed.append(key)
        return str(real(bucket, key, **kwargs))

    store._presigner.presigned_get_object = sign  # type: ignore[method-assign]
    return signed


async def test_a_url_is_reused_within_the_window_then_signed_again(clock: list[float]) -> None:
    store = Storage(Settings(s3_endpoint="127.0.0.1:1"))  # never contacted
    signed = counting_signatures(store)
    first = await store.presigned_get("avatars/own_a/av_1/portrait.png")
    query = parse_qs(urlsplit(first).query)
    assert query["X-Amz-Expires"] == ["3600"] and "X-Amz-Signature" in query
    clock[0] += PRESIGN_REUSE_S - 1
    assert await store.presigned_get("avatars/own_a/av_1/portrait.png") == first
    await store.presigned_get("avatars/own_a/av_2/portrait.png")
    assert len(signed) == 2
    clock[0] += 2
    await store.presigned_get("avatars/own_a/av_1/portrait.png")
    assert signed == [
        "avatars/own_a/av_1/portrait.png",
        "avatars/own_a/av_2/portrait.png",
        "avatars/own_a/av_1/portrait.png",
    ]


async def test_short_lived_urls_are_reused_for_a_sixtieth_of_their_life(
    clock: list[float],
) -> None:
    store = Storage(Settings(s3_endpoint="127.0.0.1:1"))
    signed = counting_signatures(store)
    await store.presigned_get("k.mp4", timedelta(minutes=1))
    clock[0] += 0.5
    await store.presigned_get("k.mp4", timedelta(minutes=1))
    assert len(signed) == 1
    clock[0] += 1.0
    await store.presigned_get("k.mp4", timedelta(minutes=1))
    assert len(signed) == 2
