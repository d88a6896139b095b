"""Fixtures: a private JetStream nats-server for the test session, one namespace per test.

Register with ``pytest_plugins = ["tests.support.nats"]`` in the root conftest, or
import the fixtures into a test module.
"""

from __future__ import annotations

import secrets
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

NATS_SERVER = shutil.which("nats-server") or "/usr/sbin/nats-server"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _wait_until_listening(proc: subprocess.Popen[bytes], port: int, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"nats-server exited with {proc.returncode}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2) as sock:
                sock.settimeout(0.5)
                if sock.recv(4).startswith(b"INFO"):
                    return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"nats-server did not listen on {port} within {timeout}s")


@pytest.fixture(scope="session")
def nats_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """URL of a nats-server with JetStream, private to this test session."""
    if not Path(NATS_SERVER).exists():
        pytest.fail(f"nats-server not installed ({NATS_SERVER}); run `make setup`")
    store = tmp_path_factory.mktemp("nats")
    port = free_port()
    log = (store / "server.log").open("wb")
    proc = subprocess.Popen(
        [NATS_SERVER, "-js", "-a", "127.0.0.1", "-p", str(port), "-sd", str(store)],
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        _wait_until_listening(proc, port, timeout=10)
        yield f"nats://127.0.0.1:{port}"
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        log.close()


@pytest.fixture
def bus_namespace() -> str:
    """A fresh namespace so each test has its own streams on the shared server."""
    return "t" + secrets.token_hex(4)
