"""Typed settings from the environment: defaults, per-service databases, fail-fast."""

from __future__ import annotations

import subprocess
import sys

import pytest

from avatarmesh.settings import REPO_ROOT, Settings


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("AVATARMESH_DATABASE_URL", "AVATARS_API_ENABLED", "AVATARMESH_BILLING_ADDR"):
        monkeypatch.delenv(name, raising=False)


def test_each_service_gets_its_own_sqlite_file_by_default(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AVATARMESH_DATA_DIR", "/data")
    settings = Settings()
    assert settings.database_url_for("billing") == "sqlite+aiosqlite:////data/billing.db"
    assert settings.database_url_for("video") == "sqlite+aiosqlite:////data/video.db"


def test_one_postgres_url_template_names_a_database_per_service(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("AVATARMESH_DATABASE_URL", "postgresql+asyncpg://u@db/am_{service}")
    assert Settings().database_url_for("avatar") == "postgresql+asyncpg://u@db/am_avatar"


def test_feature_flag_reads_the_contract_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    assert Settings().avatars_api_enabled is False
    monkeypatch.setenv("AVATARS_API_ENABLED", "true")
    assert Settings().avatars_api_enabled is True


@pytest.mark.parametrize("value", ["", " ", "0", "false", "no", "off"])
def test_feature_flag_empty_or_falsy_is_off(monkeypatch: pytest.MonkeyPatch, value: str) -> None:
    monkeypatch.setenv("AVATARS_API_ENABLED", value)
    assert Settings().avatars_api_enabled is False


def test_grpc_port_comes_from_the_service_address(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AVATARMESH_BILLING_ADDR", "billing:6000")
    assert Settings().grpc_port("billing") == 6000
    with pytest.raises(KeyError):
        Settings().grpc_addr("nonexistent")


def test_a_malformed_variable_stops_the_process_naming_it() -> None:
    env = {"AVATARMESH_HTTP_PORT": "eighty", "PATH": "/usr/bin"}
    result = subprocess.run(
        [sys.executable, "-c", "from avatarmesh.settings import load_settings; load_settings()"],
        env=env,
        capture_output=True,
        text=True,
        cwd=REPO_ROOT,
        check=False,
    )
    assert result.returncode == 2
    assert "AVATARMESH_HTTP_PORT" in result.stderr
