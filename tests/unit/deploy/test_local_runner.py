"""The `make up` runner's environment: a local mesh lets both the video service (at
submit) and the webhook service (at delivery) accept loopback webhook receivers."""

from __future__ import annotations

from pathlib import Path

import pytest

from avatarmesh.settings import SERVICES
from deploy.local.runner import LOOPBACK_VARIABLES, LocalMesh
from services.video.config import VideoSettings
from services.webhook.config import WebhookSettings


def mesh(tmp_path: Path, **env: str) -> LocalMesh:
    local = LocalMesh(data_dir=tmp_path, http_port=18080, admin_key="sk_admin", env=env)
    local.ports = {name: 20000 + i for i, name in enumerate(("nats", "s3", *SERVICES))}
    return local


@pytest.fixture(autouse=True)
def _clean(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in LOOPBACK_VARIABLES:
        monkeypatch.delenv(name, raising=False)


def test_local_mesh_turns_on_loopback_urls_for_video_and_webhook_services(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    env = mesh(tmp_path).child_env()
    assert env["AVATARMESH_ALLOW_INSECURE_LOOPBACK"] == "true"
    for name, value in env.items():
        if name.startswith("AVATARMESH_"):
            monkeypatch.setenv(name, value)
    assert VideoSettings().allow_insecure_loopback is True
    assert WebhookSettings().allow_insecure_loopback is True


@pytest.mark.parametrize("variable", LOOPBACK_VARIABLES)
def test_an_explicit_off_under_any_name_wins(tmp_path: Path, variable: str) -> None:
    env = mesh(tmp_path, **{variable: "false"}).child_env()
    assert env["AVATARMESH_ALLOW_INSECURE_LOOPBACK"] == "false"
