"""Fault test: the worker is SIGKILLed mid-render. JetStream hands the job to a fresh
worker once the ack wait passes; the video completes once and is charged once."""

from __future__ import annotations

import os
import signal
import sys
import time

import pytest

from avatarmesh.money import cost_for_seconds
from tests.e2e.conftest import Mesh, wait_for
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


def test_worker_killed_mid_render_completes_once_and_charges_once(mesh: Mesh) -> None:
    mesh.fund("own_crash", 20)
    wait_avatar_ready(mesh)
    api = mesh.api("own_crash")
    before = balance(api)
    reply = api.post(
        "/api/v1/avatar-videos",
        json={"avatar_id": AVA, "text": LONG_SCRIPT, "tier": "avatar_pro", "resolution": 1080},
    )
    assert reply.status_code == 202, reply.text
    poll = reply.json()["poll_url"]

    rendering = wait_for(
        api, poll, lambda b: b["status"] == "processing" and b["progress"] >= 0.1,
        timeout=180, every=0.2,
    )
    assert rendering["progress"] < 0.95
    worker = next(c for c in mesh.local.children if c.name == "worker")
    os.kill(worker.proc.pid, signal.SIGKILL)
    worker.proc.wait()
    mesh.local.children.remove(worker)
    time.sleep(2)
    assert api.get(poll).json()["status"] == "processing"  # nobody finished it

    mesh.local._spawn("worker", [sys.executable, "-m", "services.worker"])
    mesh.local.write_pids()
    body = wait_for(api, poll, lambda b: b["status"] in ("completed", "failed"), timeout=180)
    assert body["status"] == "completed", body

    entries = ledger_for(api, body["id"])
    assert sorted(e["kind"] for e in entries if e["kind"] != "release") == ["capture", "hold"]
    charged = micros(-sum(e["balance_delta_usd"] for e in entries))
    expected = min(micros(body["cost_usd"]),
                   cost_for_seconds(RATE["avatar_pro"], body["actual_seconds"]))
    assert charged == expected == micros(body["actual_cost_usd"])
    after = balance(api)
    assert micros(before["balance_usd"]) - micros(after["balance_usd"]) == expected
    assert micros(after["held_usd"]) == micros(before["held_usd"])
