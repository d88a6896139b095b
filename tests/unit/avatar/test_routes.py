"""Avatar routes' edges that need no running service: the feature flag on every
avatar, pose and tts route, and a presigning failure as 502 STORAGE_ERROR."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from avatarmesh.errors import DomainError, ErrorCode
from avatarmesh.storage import Storage, StorageError
from gateway.app import create_app
from gateway.routes.avatars import presign
from gateway.settings import GatewaySettings
from tests.unit.gateway.support import ADMIN_KEY, serving


class BrokenStorage(Storage):
    def __init__(self) -> None:  # no client: every call fails
        pass

    async def presigned_get(self, key: str, expires: timedelta = timedelta(hours=1)) -> str:
        raise StorageError("object store unavailable")


async def test_presigning_failure_is_502_storage_error() -> None:
    with pytest.raises(DomainError) as caught:
        await presign(BrokenStorage(), "avatars/own_a/av_x/portrait.jpg")
    assert caught.value.code is ErrorCode.STORAGE_ERROR
    assert caught.value.code.http_status == 502
    assert await presign(BrokenStorage(), "") is None


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("POST", "/api/v1/avatars"),
        ("GET", "/api/v1/avatars"),
        ("GET", "/api/v1/avatars/av_x"),
        ("DELETE", "/api/v1/avatars/av_x"),
        ("POST", "/api/v1/avatars/av_x/poses"),
        ("GET", "/api/v1/avatars/av_x/poses"),
        ("POST", "/api/v1/tts"),
    ],
)
async def test_avatar_routes_without_the_flag_are_503_feature_disabled(
    tmp_path: Path, method: str, path: str
) -> None:
    settings = GatewaySettings().model_copy(
        update={
            "database_url": f"sqlite+aiosqlite:///{tmp_path}/gateway.db",
            "data_dir": tmp_path,
            "avatars_api_enabled": False,
            "admin_key": ADMIN_KEY,
            "dev_api_key": None,
        }
    )
    async with serving(create_app(settings)) as client:
        reply = await client.request(method, path, json={}, headers={"Authorization": "Bearer x"})
    assert reply.status_code == 503, reply.text
    assert reply.json()["error"]["code"] == "FEATURE_DISABLED"
