"""The `make up` runner's environment: a local mesh lets both the video service (at
submit) and the webhook service (at delivery) accept loopback webhook receivers."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from avatarmesh.settings import SERVICES
from deploy.local.runner import LOOPBACK_VARIABLES, Child, LocalMesh
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


def test_log_tails_show_each_log_s_end_most_recently_written_first(tmp_path: Path) -> None:
    local = mesh(tmp_path)
    logs = local.run_dir / "logs"
    logs.mkdir(parents=True)
    local.supervisor_log.write_text("supervisor started\n")
    worker_log = logs / "worker.log"
    worker_log.write_text("x" * 5000 + "Traceback: boom\n")
    os.utime(local.supervisor_log, (1, 1))  # older than the worker's
    proc = subprocess.Popen(["true"])
    proc.wait()
    local.children.append(Child("worker", proc, worker_log))

    tails = local.log_tails(chars=100)

    assert tails.index("--- worker.log") < tails.index("--- supervisor.log")
    assert "Traceback: boom" in tails and "supervisor started" in tails
    assert "x" * 101 not in tails  # only the end of a long log
