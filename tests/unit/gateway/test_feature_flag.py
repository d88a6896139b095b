"""AVATARS_API_ENABLED absent or falsy: every /api/v1 route answers 503 FEATURE_DISABLED."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from gateway.app import create_app
from gateway.settings import GatewaySettings
from tests.unit.gateway.support import issue_key, serving


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/avatars",
        "/api/v1/avatar-videos",
        "/api/v1/avatar-videos/vg_abc123def456",
        "/api/v1/avatar-videos/vg_abc123def456/cancel",
        "/api/v1/anything/at/all",
        "/api/v1",
    ],
)
async def test_flag_off_is_503_feature_disabled_without_a_key(
    make_settings: Callable[..., GatewaySettings], path: str
) -> None:
    async with serving(create_app(make_settings(avatars_api_enabled=False))) as client:
        for method in ("GET", "POST", "DELETE"):
            reply = await client.request(method, path)
            assert reply.status_code == 503
            assert reply.json()["error"]["code"] == "FEATURE_DISABLED"


async def test_flag_off_is_503_feature_disabled_with_a_valid_key(
    make_settings: Callable[..., GatewaySettings],
) -> None:
    async with serving(create_app(make_settings(avatars_api_enabled=False))) as client:
        key = await issue_key(client)
        reply = await client.post(
            "/api/v1/avatars", json={"name": "Aria"}, headers={"Authorization": f"Bearer {key}"}
        )
        assert reply.status_code == 503
        assert reply.json() == {
            "error": {
                "code": "FEATURE_DISABLED",
                "message": "the Avatars API is disabled (AVATARS_API_ENABLED is not set)",
            }
        }


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("POST", "/api/v1/avatar-videos", {"avatar_id": "av_x", "text": "Hello there."}),
        ("GET", "/api/v1/avatar-videos", None),
        ("GET", "/api/v1/avatar-videos/vg_abc123def456", None),
        ("POST", "/api/v1/avatar-videos/vg_abc123def456/cancel", None),
    ],
)
async def test_avatar_video_routes_are_503_feature_disabled_with_a_valid_key(
    make_settings: Callable[..., GatewaySettings],
    method: str,
    path: str,
    body: dict[str, str] | None,
) -> None:
    async with serving(create_app(make_settings(avatars_api_enabled=False))) as client:
        key = await issue_key(client)
        reply = await client.request(
            method, path, json=body, headers={"Authorization": f"Bearer {key}"}
        )
        assert reply.status_code == 503
        assert reply.json()["error"]["code"] == "FEATURE_DISABLED"


def test_flag_absent_from_the_environment_means_disabled(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("AVATARS_API_ENABLED", raising=False)
    monkeypatch.delenv("AVATARMESH_AVATARS_API_ENABLED", raising=False)
    assert GatewaySettings().avatars_api_enabled is False
    monkeypatch.setenv("AVATARS_API_ENABLED", "true")
    assert GatewaySettings().avatars_api_enabled is True
    monkeypatch.setenv("AVATARS_API_ENABLED", "0")
    assert GatewaySettings().avatars_api_enabled is False


async def test_health_and_docs_are_not_behind_the_flag(
    make_settings: Callable[..., GatewaySettings],
) -> None:
    async with serving(create_app(make_settings(avatars_api_enabled=False))) as client:
        assert (await client.get("/openapi.json")).status_code == 200
        assert (await client.get("/healthz")).status_code == 503  # no services: not 'disabled'
        assert "FEATURE_DISABLED" not in (await client.get("/healthz")).text
