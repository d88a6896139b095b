"""Avatar routes' edges that need no real service: the feature flag on every avatar,
pose and tts route, and a presigning failure as 502 STORAGE_ERROR (through the route,
with a fake avatar service at the gRPC seam)."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import grpc
import pytest

from avatarmesh.errors import DomainError, ErrorCode
from avatarmesh.storage import Storage, StorageError
from avatarmesh.v1 import avatar_pb2 as pb
from avatarmesh.v1 import avatar_pb2_grpc
from gateway.app import create_app
from gateway.routes.avatars import presign
from gateway.settings import GatewaySettings
from gateway.state import gateway_state
from tests.unit.gateway.support import ADMIN_KEY, issue_key, serving


def gateway_settings(tmp_path: Path, **update: object) -> GatewaySettings:
    """A gateway on a temporary SQLite file, the API on, whatever the environment says."""
    values: dict[str, object] = {
        "database_url": f"sqlite+aiosqlite:///{tmp_path}/gateway.db",
        "data_dir": tmp_path,
        "avatars_api_enabled": True,
        "admin_key": ADMIN_KEY,
        "dev_api_key": None,
        "rate_limit_shared": False,  # no NATS in unit tests
        "read_cache_s": 0.0,
    }
    return GatewaySettings().model_copy(update={**values, **update})


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
    async with serving(create_app(gateway_settings(tmp_path, avatars_api_enabled=False))) as client:
        reply = await client.request(method, path, json={}, headers={"Authorization": "Bearer x"})
    assert reply.status_code == 503, reply.text
    assert reply.json()["error"]["code"] == "FEATURE_DISABLED"


class ReadyAvatar(avatar_pb2_grpc.AvatarServiceServicer):
    """Answers GetAvatar with a ready avatar whose portrait is stored."""

    async def GetAvatar(self, request: pb.GetAvatarRequest, context: Any) -> pb.Avatar:
        return pb.Avatar(
            id=request.avatar_id,
            owner_id=request.owner_id,
            name="Aria",
            language="en",
            nationality="American",
            status=pb.AVATAR_STATUS_READY,
            portrait_key=f"avatars/{request.owner_id}/{request.avatar_id}/portrait.jpg",
            tts_voice_id="voice_x",
        )


async def test_get_avatar_when_presigning_fails_is_502_storage_error(tmp_path: Path) -> None:
    server = grpc.aio.server()
    avatar_pb2_grpc.add_AvatarServiceServicer_to_server(ReadyAvatar(), server)
    port = server.add_insecure_port("127.0.0.1:0")
    await server.start()
    try:
        app = create_app(gateway_settings(tmp_path, avatar_addr=f"127.0.0.1:{port}"))
        async with serving(app) as client:
            gateway_state(app.state).storage = BrokenStorage()
            auth = {"Authorization": f"Bearer {await issue_key(client, owner_id='own_a')}"}
            reply = await client.get("/api/v1/avatars/av_" + "a" * 24, headers=auth)
    finally:
        await server.stop(None)
    assert reply.status_code == 502, reply.text
    assert reply.json()["error"]["code"] == "STORAGE_ERROR"
