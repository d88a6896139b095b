"""Avatar creation figures through the REST gateway on a local mesh: time from
``POST /avatars`` to ``status: ready`` for each mode (generated, photo, video), one
avatar at a time on an idle mesh (after the system avatars are seeded), a few rounds
each, plus a pose's round trip.

Run: .venv/bin/python tests/bench/bench_avatars.py
"""

from __future__ import annotations

import base64
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "libs"))

import httpx  # noqa: E402

from deploy.local.runner import LocalMesh, free_port  # noqa: E402
from tests.bench.report import report  # noqa: E402
from tests.e2e.conftest import ADMIN_KEY, FIXTURES, Mesh  # noqa: E402

ROUNDS = 3
OWNER = "own_bench_avatars"


def data_url(path: str, mime: str) -> str:
    return f"data:{mime};base64," + base64.b64encode((FIXTURES / path).read_bytes()).decode()


def bodies() -> dict[str, dict[str, Any]]:
    base = {
        "name": "Bench",
        "description": "Professional female presenter, warm smile, business attire",
        "language": "en",
        "nationality": "American",
        "gender": "female",
    }
    return {
        "generated": base,
        "photo": {
            **base,
            "ref_image_data_url": data_url("faces/woman_white_frontal_astronaut.png", "image/png"),
        },
        "video": {
            "name": "Bench clip",
            "language": "en",
            "nationality": "American",
            "source": "video",
            "source_video_url": data_url("clips/en_woman_talking_8s.mp4", "video/mp4"),
        },
    }


def time_to_ready(client: httpx.Client, body: dict[str, Any]) -> float:
    start = time.perf_counter()
    reply = client.post("/api/v1/avatars", json=body)
    assert reply.status_code == 202, reply.text
    path = reply.json()["poll_url"]
    while True:
        status = client.get(path).json()["status"]
        if status in ("ready", "failed"):
            assert status == "ready", client.get(path).text
            return time.perf_counter() - start
        time.sleep(0.05)


def wait_idle(client: httpx.Client) -> None:
    """Until every system avatar is ready (their creation would skew the figures)."""
    while True:
        data = client.get("/api/v1/avatars?limit=100").json()["data"]
        if all(a["status"] in ("ready", "failed") for a in data if a["is_system"]):
            return
        time.sleep(0.2)


def main() -> None:
    with tempfile.TemporaryDirectory(prefix="bench-avatars-") as tmp:
        local = LocalMesh(
            standard_ports=False,
            data_dir=Path(tmp),
            http_port=free_port(),
            admin_key=ADMIN_KEY,
            env={"AVATARMESH_RATE_LIMIT_PER_MINUTE": "0", "AVATARMESH_LOG_JSON": "false"},
        )
        local.start(timeout=90)
        mesh = Mesh(local, {"Authorization": f"Bearer {ADMIN_KEY}"})
        try:
            client = mesh.api(OWNER)
            mesh.fund(OWNER, 100)
            wait_idle(client)
            ready_ids: list[str] = []
            for mode, body in bodies().items():
                times = [time_to_ready(client, body) for _ in range(ROUNDS)]
                report(
                    "avatars",
                    f"time-to-ready {mode}",
                    statistics.median(times),
                    "s",
                    rounds=ROUNDS,
                    min=round(min(times), 3),
                    max=round(max(times), 3),
                )
            ready_ids = [
                a["id"] for a in client.get("/api/v1/avatars").json()["data"] if not a["is_system"]
            ]
            pose_times = []
            for _ in range(ROUNDS):
                start = time.perf_counter()
                reply = client.post(
                    f"/api/v1/avatars/{ready_ids[0]}/poses", json={"prompt": "close-up, smiling"}
                )
                assert reply.status_code == 201, reply.text
                pose_times.append(time.perf_counter() - start)
            report(
                "avatars",
                "pose create round trip",
                statistics.median(pose_times),
                "s",
                rounds=ROUNDS,
            )
        finally:
            mesh.close()
            local.stop()


if __name__ == "__main__":
    main()
