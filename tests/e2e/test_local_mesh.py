"""`make up`'s runner: every process starts, /healthz is green, a canary crosses the
whole mesh in one trace, `kill -9` of any child is healed within 10 s, and Ctrl-C
leaves no process behind."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from avatarmesh.settings import REPO_ROOT, SERVICES
from deploy.local.runner import free_port

pytestmark = pytest.mark.e2e

ADMIN_KEY = "sk_admin_test_key"
DEV_KEY = "sk_dev_test_key"


@dataclass
class RunningMesh:
    proc: subprocess.Popen[str]
    base_url: str
    data_dir: Path
    traces: Path
    output: list[str]


def _pids(data_dir: Path) -> dict[str, int]:
    lines = (data_dir / "run" / "pids").read_text().split("\n")
    return {name: int(pid) for name, pid in (line.split() for line in lines if line.strip())}


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    stat = Path(f"/proc/{pid}/stat")
    return stat.exists() and stat.read_text().split()[2] != "Z"


def _start(data_dir: Path, port: int) -> RunningMesh:
    """`python -m deploy.local` (what `make up` runs) on ``data_dir``, once it says it is up."""
    traces = data_dir / "traces.jsonl"
    env = {
        **os.environ,
        "AVATARMESH_DATA_DIR": str(data_dir),
        "AVATARMESH_HTTP_PORT": str(port),
        "AVATARMESH_ADMIN_KEY": ADMIN_KEY,
        "AVATARMESH_DEV_API_KEY": DEV_KEY,
        "AVATARMESH_TRACES_FILE": str(traces),
        "PYTHONUNBUFFERED": "1",
    }
    proc = subprocess.Popen(
        [sys.executable, "-m", "deploy.local"],
        cwd=REPO_ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    output: list[str] = []
    assert proc.stdout is not None
    deadline = time.monotonic() + 180  # generous: a loaded box starts slowly
    while time.monotonic() < deadline:
        line = proc.stdout.readline()
        if not line and proc.poll() is not None:
            pytest.fail("make up exited early:\n" + "".join(output))
        output.append(line)
        if "Ctrl-C stops every process" in line:
            break
    else:
        proc.kill()
        pytest.fail("mesh not up in 180 s:\n" + "".join(output))
    return RunningMesh(proc, f"http://127.0.0.1:{port}", data_dir, traces, output)


@pytest.fixture(scope="module")
def mesh(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningMesh]:
    running = _start(tmp_path_factory.mktemp("mesh"), free_port())
    yield running
    if running.proc.poll() is None:
        running.proc.kill()


def _balance(mesh: RunningMesh, key: str = DEV_KEY) -> httpx.Response:
    return httpx.get(
        f"{mesh.base_url}/api/v1/billing/balance",
        headers={"Authorization": f"Bearer {key}"},
        timeout=5,
    )


def _stop(mesh: RunningMesh) -> None:
    mesh.proc.send_signal(signal.SIGINT)
    assert mesh.proc.wait(60) == 0


def test_healthz_reports_all_six_services_serving(mesh: RunningMesh) -> None:
    reply = httpx.get(f"{mesh.base_url}/healthz", timeout=5)
    assert reply.status_code == 200, reply.text
    assert reply.json()["services"] == {name: "SERVING" for name in SERVICES}


def test_banner_prints_url_and_both_keys(mesh: RunningMesh) -> None:
    text = "".join(mesh.output)
    assert mesh.base_url in text and DEV_KEY in text and ADMIN_KEY in text


def test_dev_key_authenticates_and_its_wallet_is_funded(mesh: RunningMesh) -> None:
    reply = _balance(mesh)
    assert reply.status_code == 200, reply.text
    assert reply.json()["balance_usd"] == 100.0


def _canary(mesh: RunningMesh, timeout: float = 20) -> dict[str, str]:
    """Start a canary (gateway -> video -> NATS -> worker -> NATS -> video) and wait."""
    admin = {"Authorization": f"Bearer {ADMIN_KEY}"}
    started = httpx.post(f"{mesh.base_url}/admin/v1/canary", headers=admin, timeout=5)
    assert started.status_code == 202, started.text
    canary_id = started.json()["id"]
    deadline = time.monotonic() + timeout
    status: dict[str, str] = {}
    while time.monotonic() < deadline:
        status = httpx.get(
            f"{mesh.base_url}/admin/v1/canary/{canary_id}", headers=admin, timeout=5
        ).json()
        if status["status"] == "completed":
            break
        time.sleep(0.1)
    assert status["status"] == "completed", status
    return status


def test_canary_crosses_gateway_service_nats_worker_in_one_trace(mesh: RunningMesh) -> None:
    status = _canary(mesh)
    assert status["worker"]
    time.sleep(0.5)  # span export of the last hop
    spans = [json.loads(line) for line in mesh.traces.read_text().splitlines()]
    gateway_span = next(
        s
        for s in spans
        if s["service"] == "avatarmesh-gateway" and "canary" in s["name"] and s["kind"] == "SERVER"
    )
    in_trace = {s["service"] for s in spans if s["trace_id"] == gateway_span["trace_id"]}
    assert {"avatarmesh-gateway", "avatarmesh-video", "avatarmesh-worker"} <= in_trace
    consumer_spans = [
        s for s in spans if s["trace_id"] == gateway_span["trace_id"] and s["kind"] == "CONSUMER"
    ]
    assert {s["service"] for s in consumer_spans} >= {"avatarmesh-worker", "avatarmesh-video"}


def _healthy(mesh: RunningMesh) -> bool:
    try:
        return httpx.get(f"{mesh.base_url}/healthz", timeout=2).status_code == 200
    except httpx.HTTPError:
        return False


def test_kill_9_of_any_child_is_healed_within_10_s(mesh: RunningMesh) -> None:
    healed_in: dict[str, float] = {}
    for name, pid in _pids(mesh.data_dir).items():
        os.kill(pid, signal.SIGKILL)
        killed_at = time.monotonic()
        while time.monotonic() - killed_at < 10:
            new_pid = _pids(mesh.data_dir)[name]
            if new_pid != pid and _alive(new_pid) and _healthy(mesh):
                healed_in[name] = time.monotonic() - killed_at
                break
            time.sleep(0.1)
        else:
            pytest.fail(f"{name} not healed 10 s after kill -9: {_pids(mesh.data_dir)}")
    assert set(healed_in) == {*SERVICES, "gateway", "nats", "s3"}, healed_in
    _canary(mesh, timeout=30)  # NATS, S3, video and the worker work together again
    said = (mesh.data_dir / "run" / "logs" / "supervisor.log").read_text()
    assert "supervisor: worker (pid" in said and "exited with -9" in said, said


def test_ctrl_c_stops_every_process(mesh: RunningMesh) -> None:
    pids = _pids(mesh.data_dir)
    assert set(pids) == {*SERVICES, "gateway", "nats", "s3"}
    _stop(mesh)
    time.sleep(0.2)
    assert [name for name, pid in pids.items() if _alive(pid)] == []


@contextmanager
def _listening(port: int) -> Iterator[None]:
    """Hold ``port`` with a listening socket, unless something else already does."""
    sock = socket.socket()
    try:
        sock.bind(("127.0.0.1", port))
        sock.listen()
    except OSError:
        pass  # already taken by another server: just as good for the test
    try:
        yield
    finally:
        sock.close()


def test_restart_keeps_data_and_avoids_taken_standard_ports(
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    data_dir = tmp_path_factory.mktemp("restart")
    with _listening(4222), _listening(9000):
        first = _start(data_dir, free_port())
        try:
            created = httpx.post(
                f"{first.base_url}/admin/v1/api-keys",
                json={"owner_id": "own_dev", "name": "kept"},
                headers={"Authorization": f"Bearer {ADMIN_KEY}"},
                timeout=5,
            )
            assert created.status_code == 201, created.text
            assert _balance(first).json()["balance_usd"] == 100.0
        finally:
            _stop(first)
        second = _start(data_dir, free_port())
        try:
            kept = _balance(second, created.json()["key"])
            assert kept.status_code == 200, kept.text
            assert kept.json()["balance_usd"] == 100.0  # funded once per data dir
        finally:
            _stop(second)
