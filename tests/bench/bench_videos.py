"""Avatar videos end to end on the local mesh (`make up`'s runner), through the gateway:
submit-to-completed latency for ~5 s and ~30 s scripts per tier (720p, 25 fps), and
jobs per minute with one and with two workers (a burst of 5 s scripts).

Run: .venv/bin/python tests/bench/bench_videos.py
"""

from __future__ import annotations

import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

import httpx

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "libs"))

from deploy.local.runner import LocalMesh, free_port  # noqa: E402
from services.avatar.system import SYSTEM_AVATARS  # noqa: E402
from tests.bench.report import report  # noqa: E402

ADMIN = "sk_admin_bench_videos"
OWNER = "own_bench_videos"
AVA = next(a for a in SYSTEM_AVATARS if a.language == "en").id
SCRIPT_5S = (
    "Hello and welcome. Today I will show you around our new studio, and what it can do for you."
)
SCRIPT_30S = (
    "Good morning and welcome to the quarterly update. Revenue grew in every region, "
    "our customers renewed at record rates, and the new studio shipped on time. Over "
    "the next few minutes I will walk you through the numbers, the launches we have "
    "planned, and what all of this means for the teams building the product. First, "
    "the numbers: bookings are up, costs are flat, and support tickets fell for the "
    "third quarter in a row. Second, the launches: voice cloning in ten languages."
)
BURST = 8


def submit(api: httpx.Client, text: str, tier: str) -> str:
    reply = api.post(
        "/api/v1/avatar-videos",
        json={"avatar_id": AVA, "text": text, "tier": tier, "resolution": 720},
    )
    assert reply.status_code == 202, reply.text
    return str(reply.json()["id"])


def wait_done(
    api: httpx.Client, video_ids: list[str], timeout: float = 900
) -> list[dict[str, Any]]:
    deadline = time.monotonic() + timeout
    pending = set(video_ids)
    done: dict[str, dict[str, Any]] = {}
    while pending:
        assert time.monotonic() < deadline, f"not completed: {pending}"
        for video_id in list(pending):
            body = api.get(f"/api/v1/avatar-videos/{video_id}").json()
            if body["status"] in ("completed", "failed", "cancelled"):
                assert body["status"] == "completed", body
                done[video_id] = body
                pending.discard(video_id)
        time.sleep(0.1)
    return [done[v] for v in video_ids]


def wait_ready(api: httpx.Client) -> None:
    """The system avatar is made by the creation worker at start."""
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline:
        reply = api.post("/api/v1/avatar-videos", json={"avatar_id": AVA, "text": "Ready?"})
        if reply.status_code == 202:
            wait_done(api, [reply.json()["id"]])
            return
        assert reply.json()["error"]["code"] == "AVATAR_NOT_READY", reply.text
        time.sleep(1)
    raise TimeoutError("system avatar not ready")


def throughput(api: httpx.Client, workers: int) -> None:
    started = time.monotonic()
    ids = [submit(api, SCRIPT_5S, "avatar") for _ in range(BURST)]
    bodies = wait_done(api, ids)
    elapsed = time.monotonic() - started
    audio = sum(b["actual_seconds"] for b in bodies)
    report(
        "videos",
        f"jobs per minute, {workers} worker(s), 5 s scripts 720p",
        BURST * 60 / elapsed,
        "jobs/min",
        burst=BURST,
        wall_s=round(elapsed, 1),
        audio_s=round(audio, 1),
    )


def main() -> None:
    with tempfile.TemporaryDirectory(prefix="bench-videos-") as tmp:
        mesh = LocalMesh(
            data_dir=Path(tmp),
            http_port=free_port(),
            admin_key=ADMIN,
            env={
                "AVATARS_API_ENABLED": "true",
                "AVATARMESH_LOG_JSON": "false",
                "AVATARMESH_RATE_LIMIT_PER_MINUTE": "0",
            },
        )
        mesh.start(timeout=90)
        try:
            admin = {"Authorization": f"Bearer {ADMIN}"}
            key = httpx.post(
                f"{mesh.base_url}/admin/v1/api-keys",
                json={"owner_id": OWNER},
                headers=admin,
                timeout=10,
            ).json()["key"]
            httpx.post(
                f"{mesh.base_url}/admin/v1/wallets/{OWNER}/top-ups",
                headers=admin,
                json={"amount_usd": 500, "idempotency_key": f"bench:{uuid.uuid4()}"},
                timeout=10,
            ).raise_for_status()
            with httpx.Client(
                base_url=mesh.base_url, timeout=60, headers={"Authorization": f"Bearer {key}"}
            ) as api:
                wait_ready(api)
                for tier in ("avatar", "avatar_pro"):
                    for label, text in (("5 s", SCRIPT_5S), ("30 s", SCRIPT_30S)):
                        started = time.monotonic()
                        body = wait_done(api, [submit(api, text, tier)])[0]
                        latency = time.monotonic() - started
                        report(
                            "videos",
                            f"submit-to-completed {label} script, {tier} 720p",
                            latency,
                            "s",
                            audio_s=body["actual_seconds"],
                            cost_usd=body["actual_cost_usd"],
                        )
                throughput(api, 1)
                mesh._spawn("worker-2", [sys.executable, "-m", "services.worker"])
                time.sleep(5)  # the second worker connects and binds the durable
                throughput(api, 2)
        finally:
            for child in mesh.children:
                if child.name == "worker-2" and child.proc.poll() is None:
                    child.proc.terminate()
                    child.proc.wait(15)
            mesh.stop()


if __name__ == "__main__":
    main()
