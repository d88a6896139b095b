"""The `make up` runner's supervisor on real child processes (tiny Python commands in
place of the services): an exit is restarted after a backoff with a log line, a crash
loop stops that child only, and exits spread out in time are not a crash loop."""

from __future__ import annotations

import sys
import time
from pathlib import Path

import pytest

from avatarmesh.settings import SERVICES
from deploy.local.runner import (
    CRASH_LOOP_EXITS,
    CRASH_LOOP_WINDOW_S,
    RESTART_BACKOFF_S,
    Child,
    LocalMesh,
    restart_delay,
)

EXIT_3 = [sys.executable, "-c", "print('about to fail'); raise SystemExit(3)"]
SLEEP = [sys.executable, "-c", "import time; time.sleep(60)"]


@pytest.fixture
def mesh(tmp_path: Path) -> LocalMesh:
    local = LocalMesh(data_dir=tmp_path, http_port=18080, admin_key="sk_admin")
    local.ports = {name: 20000 + i for i, name in enumerate(("nats", "s3", *SERVICES))}
    return local


def exited(child: Child) -> None:
    child.proc.wait(10)


def supervisor_lines(mesh: LocalMesh) -> list[str]:
    return mesh.supervisor_log.read_text().splitlines()


def test_restart_delay_grows_with_recent_exits_and_is_capped() -> None:
    delays = [restart_delay(n) for n in range(1, 8)]
    assert delays == sorted(delays)
    assert delays[0] == RESTART_BACKOFF_S[0] and delays[-1] == RESTART_BACKOFF_S[-1]


def test_an_exited_child_is_restarted_after_its_backoff_with_a_log_line(mesh: LocalMesh) -> None:
    child = mesh._spawn("billing", EXIT_3)
    first = child.proc
    exited(child)
    now = time.monotonic()
    mesh.supervise_once(now)
    assert child.proc is first and child.restart_at == now + RESTART_BACKOFF_S[0]
    mesh.supervise_once(now + RESTART_BACKOFF_S[0] / 2)
    assert child.proc is first  # still backing off
    mesh.supervise_once(now + RESTART_BACKOFF_S[0])
    assert child.proc is not first and child.restarts == 1
    lines = supervisor_lines(mesh)
    assert "billing (pid" in lines[0] and "exited with 3" in lines[0] and "restart in" in lines[0]
    assert f"billing restarted (pid {child.proc.pid})" in lines[1]
    assert f"billing {child.proc.pid}" in (mesh.run_dir / "pids").read_text()
    mesh.stop()


def test_a_crash_loop_stops_that_child_only_and_says_so(mesh: LocalMesh) -> None:
    steady = mesh._spawn("video", SLEEP)
    flaky = mesh._spawn("billing", EXIT_3)
    now = time.monotonic()
    for n in range(CRASH_LOOP_EXITS):
        exited(flaky)
        mesh.supervise_once(now)
        if n < CRASH_LOOP_EXITS - 1:
            now += restart_delay(n + 1)
            mesh.supervise_once(now)  # restarted
    assert flaky.crash_loop and mesh.crashed() == ["billing"]
    exited(flaky)
    mesh.supervise_once(now + 100)
    assert flaky.restarts == CRASH_LOOP_EXITS - 1  # never started again
    assert steady.proc.poll() is None and steady.restarts == 0
    said = "billing crash loop: exited 5 times in 60s, not restarted"
    assert any(said in line for line in supervisor_lines(mesh))
    assert "about to fail" in mesh.supervisor_log.read_text()  # the child's last log lines
    with pytest.raises(RuntimeError, match="billing crash loop"):
        mesh.check_children()
    mesh.stop()


def test_exits_further_apart_than_the_window_are_not_a_crash_loop(mesh: LocalMesh) -> None:
    flaky = mesh._spawn("webhook", EXIT_3)
    now = time.monotonic()
    for _ in range(CRASH_LOOP_EXITS * 2):
        exited(flaky)
        mesh.supervise_once(now)
        now += CRASH_LOOP_WINDOW_S / (CRASH_LOOP_EXITS - 1) + 0.1
        mesh.supervise_once(now)
    assert not flaky.crash_loop and flaky.restarts == CRASH_LOOP_EXITS * 2
    mesh.stop()
