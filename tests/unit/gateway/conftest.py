"""Gateway apps on a temporary SQLite file, with every service address pointing at a
port where nothing listens unless a test starts fake health servers there."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import httpx
import pytest

from avatarmesh.settings import SERVICES
from gateway.app import create_app
from gateway.settings import GatewaySettings
from tests.unit.gateway.support import ADMIN_KEY, free_port, serving


@pytest.fixture
def make_settings(tmp_path: Path) -> Callable[..., GatewaySettings]:
    def make(**overrides: Any) -> GatewaySettings:
        values: dict[str, Any] = {
            "database_url": f"sqlite+aiosqlite:///{tmp_path}/gateway.db",
            "data_dir": tmp_path,
            "avatars_api_enabled": True,
            "admin_key": ADMIN_KEY,
            "dev_api_key": None,
            "health_timeout_s": 1.0,
            # No NATS in unit tests: each app limits in its own memory.
            "rate_limit_shared": False,
            # No NATS either: the read cache stays off unless a test turns it on.
            "read_cache_s": 0.0,
            **{f"{name}_addr": f"127.0.0.1:{free_port()}" for name in SERVICES},
        }
        values.update(overrides)
        # model_copy, so the test's environment (AVATARS_API_ENABLED...) cannot leak in
        return GatewaySettings().model_copy(update=values)

    return make


@pytest.fixture
def settings(make_settings: Callable[..., GatewaySettings]) -> GatewaySettings:
    return make_settings()


@pytest.fixture
async def client(settings: GatewaySettings) -> AsyncIterator[httpx.AsyncClient]:
    async with serving(create_app(settings)) as client:
        yield client
