"""Signed webhooks for avatar videos, end to end: a video submitted through the gateway
with ``webhook_url`` pointing at a receiver on this machine (allowed by the mesh's
development switch) is announced with the contract's fields, signed with the owner's
secret from ``GET /api/v1/webhooks/secret``; a failing receiver gets the same event
again until it answers 2xx; a render that fails is announced as ``video.failed``."""

from __future__ import annotations

import io
import re
import time
import wave
from collections.abc import Callable
from datetime import datetime
from typing import Any

import httpx
import pytest

from tests.e2e.conftest import (
    FIXTURES,
    WORKER_MAX_AUDIO_SECONDS,
    Mesh,
    wait_for,
    wav_data_url,
)
from tests.e2e.receiver import Receiver, check_signed, deliveries, secret_of
from tests.e2e.test_videos_api import (
    balance,
    ledger_for,
    micros,
    settled,
    submit,
    wait_avatar_ready,
)

pytestmark = pytest.mark.e2e

ISO_MS = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")
COMPLETED_FIELDS = {
    "event",
    "event_id",
    "video_gen_id",
    "video_url",
    "duration_sec",
    "tier",
    "actual_cost_usd",
    "timestamp",
}


def parse_iso(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


def check_completed_payload(body: dict[str, Any], video: dict[str, Any]) -> None:
    """The contract's video.completed fields, matching what GET answers."""
    assert set(body) == COMPLETED_FIELDS, body
    assert body["event"] == "video.completed"
    assert body["event_id"].startswith("ev_")
    assert body["video_gen_id"] == video["id"]
    assert body["tier"] == video["tier"]
    assert body["duration_sec"] == pytest.approx(video["actual_seconds"], abs=1e-9)
    assert micros(body["actual_cost_usd"]) == micros(video["actual_cost_usd"])
    assert ISO_MS.match(body["timestamp"]), body["timestamp"]
    settled_at = parse_iso(body["timestamp"])
    assert abs((settled_at - parse_iso(video["completed_at"])).total_seconds()) < 30


@pytest.fixture(scope="module")
def api(mesh: Mesh) -> httpx.Client:
    mesh.fund("own_hooks", 30)
    wait_avatar_ready(mesh)
    return mesh.api("own_hooks")


def test_completed_video_is_posted_with_the_contract_fields_and_a_valid_signature(
    mesh: Mesh, api: httpx.Client, receiver: Callable[..., Receiver]
) -> None:
    hook = receiver()
    secret = secret_of(api)
    created = submit(
        api,
        text="Thanks for watching.",
        tier="avatar_pro",
        resolution=512,
        webhook_url=hook.url,
    )
    video = wait_for(api, created["poll_url"], settled, timeout=120)
    assert video["status"] == "completed", video

    (request,) = hook.wait_for(lambda got: len(got) >= 1, timeout=60)
    assert request.path == "/hook"
    check_signed(request, secret)
    body = request.json
    check_completed_payload(body, video)
    download = httpx.get(body["video_url"], timeout=30)  # a working presigned link
    assert download.status_code == 200 and download.content[4:8] == b"ftyp"

    attempts = deliveries(api, video["id"])
    assert [(a["event_id"], a["attempt"], a["status_code"], a["error"]) for a in attempts] == [
        (body["event_id"], 1, 200, None)
    ]
    assert attempts[0]["delivery_status"] == "delivered"
    assert attempts[0]["event"] == "video.completed" and attempts[0]["url"] == hook.url


def test_receiver_failing_twice_gets_the_same_event_again_until_it_answers_2xx(
    mesh: Mesh, api: httpx.Client, receiver: Callable[..., Receiver]
) -> None:
    hook = receiver(statuses=[500, 500])
    secret = secret_of(api)
    created = submit(api, text="Retry me, please.", resolution=512, webhook_url=hook.url)
    video = wait_for(api, created["poll_url"], settled, timeout=120)
    assert video["status"] == "completed", video

    got = hook.wait_for(lambda got: len(got) >= 3, timeout=60)
    event_ids = {r.json["event_id"] for r in got}
    assert len(event_ids) == 1 and {r.headers["webhook-id"] for r in got} == event_ids
    for request in got:
        check_signed(request, secret)
        check_completed_payload(request.json, video)
    # the body is frozen: only video_url is re-signed per attempt
    frozen = [{k: v for k, v in r.json.items() if k != "video_url"} for r in got]
    assert frozen[0] == frozen[1] == frozen[2]

    # after the 2xx nothing more is sent (a retry would come within 0.5 s)
    time.sleep(3)
    assert len(hook.received) == 3
    attempts = sorted(deliveries(api, video["id"]), key=lambda a: a["attempt"])
    assert [(a["attempt"], a["status_code"]) for a in attempts] == [(1, 500), (2, 500), (3, 200)]
    assert [a["error"] for a in attempts] == ["HTTP 500", "HTTP 500", None]
    assert {a["delivery_status"] for a in attempts} == {"delivered"}


def audio_of(seconds: float) -> bytes:
    """A WAV of ``seconds`` cut from the 60 s speech fixture."""
    with wave.open(str(FIXTURES / "speech" / "en_long_60s_16k.wav"), "rb") as src:
        params = src.getparams()
        frames = src.readframes(round(seconds * src.getframerate()))
    out = io.BytesIO()
    with wave.open(out, "wb") as dst:
        dst.setparams(params)
        dst.writeframes(frames)
    return out.getvalue()


def test_failed_render_is_posted_as_video_failed_and_refunded(
    mesh: Mesh, api: httpx.Client, receiver: Callable[..., Receiver]
) -> None:
    hook = receiver()
    secret = secret_of(api)
    before = balance(api)
    # accepted at submit (<= 35 s), refused by the mesh's worker (> 34 s): a render failure
    seconds = WORKER_MAX_AUDIO_SECONDS + 0.5
    created = submit(
        api,
        audio_data_url=wav_data_url(audio_of(seconds)),
        resolution=512,
        webhook_url=hook.url,
    )
    video = wait_for(api, created["poll_url"], settled, timeout=120)
    assert video["status"] == "failed", video
    assert video["actual_cost_usd"] is None and video["video_url"] is None
    assert "limit" in video["error"]

    (request,) = hook.wait_for(lambda got: len(got) >= 1, timeout=60)
    check_signed(request, secret)
    body = request.json
    assert set(body) == {"event", "event_id", "video_gen_id", "error", "timestamp"}, body
    assert body["event"] == "video.failed" and body["video_gen_id"] == video["id"]
    assert body["error"] == video["error"]
    assert ISO_MS.match(body["timestamp"])

    # refunded in full: the hold was released, nothing captured
    assert sorted(e["kind"] for e in ledger_for(api, video["id"])) == ["hold", "release"]
    after = balance(api)
    assert (micros(after["balance_usd"]), micros(after["held_usd"])) == (
        micros(before["balance_usd"]),
        micros(before["held_usd"]),
    )
    # and the uploaded audio went with the settled video
    assert mesh.storage_keys("uploads/own_hooks/") == []
