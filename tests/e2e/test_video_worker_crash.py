"""Fault test: the worker is SIGKILLed mid-render. JetStream hands the job to a fresh
worker once the ack wait passes; the video completes once, is charged once, and its
webhook fires once per event id.

What the webhook part asserts: the receiver (a local HTTP server the job's webhook_url
points at) gets ``video.completed`` for the video under exactly ONE event id, with a
valid signature; deliveries are de-duplicated by that id (docs/webhooks.md: delivery is
at-least-once, so a repeat, if any, must carry the same id and is counted once), no
``video.failed`` arrives, and the webhook service recorded one event for the video."""

from __future__ import annotations

import os
import signal
import time
from collections.abc import Callable

import pytest

from avatarmesh.money import cost_for_seconds
from tests.e2e.conftest import Mesh, wait_for
from tests.e2e.receiver import Receiver, check_signed, deliveries, secret_of
from tests.e2e.test_videos_api import (
    AVA,
    LONG_SCRIPT,
    RATE,
    balance,
    ledger_for,
    micros,
    wait_avatar_ready,
)

pytestmark = pytest.mark.e2e


def test_worker_killed_mid_render_completes_once_charges_once_and_notifies_once(
    mesh: Mesh, receiver: Callable[..., Receiver]
) -> None:
    mesh.fund("own_crash", 20)
    wait_avatar_ready(mesh)
    api = mesh.api("own_crash")
    hook = receiver()
    before = balance(api)
    reply = api.post(
        "/api/v1/avatar-videos",
        json={
            "avatar_id": AVA,
            "text": LONG_SCRIPT,
            "tier": "avatar_pro",
            "resolution": 1080,
            "webhook_url": hook.url,
        },
    )
    assert reply.status_code == 202, reply.text
    poll = reply.json()["poll_url"]

    rendering = wait_for(
        api,
        poll,
        lambda b: b["status"] == "processing" and b["progress"] >= 0.1,
        timeout=180,
        every=0.2,
    )
    assert rendering["progress"] < 0.95
    assert hook.received == []  # nothing announced before the kill
    worker = next(c for c in mesh.local.children if c.name == "worker")
    killed = worker.proc
    os.kill(killed.pid, signal.SIGKILL)
    killed.wait()
    assert api.get(poll).json()["status"] == "processing"  # nobody finished it

    # the runner's supervisor starts a new worker, which takes the job over
    deadline = time.monotonic() + 20
    while worker.proc is killed and time.monotonic() < deadline:
        time.sleep(0.1)
    assert worker.proc is not killed and worker.restarts >= 1
    body = wait_for(api, poll, lambda b: b["status"] in ("completed", "failed"), timeout=180)
    assert body["status"] == "completed", body

    entries = ledger_for(api, body["id"])
    assert sorted(e["kind"] for e in entries if e["kind"] != "release") == ["capture", "hold"]
    charged = micros(-sum(e["balance_delta_usd"] for e in entries))
    expected = min(
        micros(body["cost_usd"]), cost_for_seconds(RATE["avatar_pro"], body["actual_seconds"])
    )
    assert charged == expected == micros(body["actual_cost_usd"])
    after = balance(api)
    assert micros(before["balance_usd"]) - micros(after["balance_usd"]) == expected
    assert micros(after["held_usd"]) == micros(before["held_usd"])

    # the webhook: one event id for the completion, however many times it arrived
    hook.wait_for(lambda got: len(got) >= 1, timeout=60)
    time.sleep(3)  # room for a duplicate delivery, if one were coming
    got = hook.received
    secret = secret_of(api)
    by_event_id: dict[str, list[bytes]] = {}
    for request in got:
        check_signed(request, secret)
        by_event_id.setdefault(request.json["event_id"], []).append(request.body)
    assert len(by_event_id) == 1, [r.json for r in got]
    (event_id,) = by_event_id
    first = got[0].json
    assert first["event"] == "video.completed" and first["video_gen_id"] == body["id"]
    assert micros(first["actual_cost_usd"]) == expected
    assert all(r.json["event"] == "video.completed" for r in got)  # never video.failed
    assert {a["event_id"] for a in deliveries(api, body["id"])} == {event_id}
