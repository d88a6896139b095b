"""Fixtures: a local S3 server for the test session, one bucket per test.

Import into a test module (``from tests.support.s3 import s3_server, storage``) or
register with ``pytest_plugins = ["tests.support.s3"]`` in the root conftest.

The server is ``deploy.local.s3server.LocalS3Server`` (MinIO when a ``minio`` binary is
on PATH, otherwise moto with disk persistence) on a free port with a temporary data dir.
"""

from __future__ import annotations

import secrets
import socket
from collections.abc import Iterator

import pytest

from avatarmesh.settings import Settings
from avatarmesh.storage import Storage
from deploy.local.s3server import LocalS3Server


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def s3_settings(endpoint: str, bucket: str | None = None) -> Settings:
    """Settings pointing at a test S3 server; a fresh unique bucket unless one is named."""
    return Settings(
        s3_endpoint=endpoint,
        s3_bucket=bucket or f"test-{secrets.token_hex(6)}",
        s3_secure=False,
    )


@pytest.fixture(scope="session")
def s3_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """Endpoint ``127.0.0.1:PORT`` of an S3 server private to this test session."""
    server = LocalS3Server(Settings())
    server.start("127.0.0.1", free_port(), tmp_path_factory.mktemp("s3"))
    try:
        yield server.endpoint
    finally:
        server.stop()


@pytest.fixture
async def storage(s3_server: str) -> Storage:
    """A ``Storage`` on a fresh bucket of the session's S3 server."""
    store = Storage(s3_settings(s3_server))
    await store.ensure_bucket()
    return store
