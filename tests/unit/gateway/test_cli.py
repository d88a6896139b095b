"""``python -m gateway.cli keys``: create, list and revoke keys on the gateway's database."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest

from gateway import cli


@pytest.fixture(autouse=True)
def gateway_db(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "gateway.db"
    monkeypatch.setenv("AVATARMESH_DATABASE_URL", f"sqlite+aiosqlite:///{path}")
    monkeypatch.setenv("AVATARMESH_ADMIN_KEY", "adm_cli_test_key")
    return path


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, list[str]]:
    code = cli.main(list(argv))
    return code, [line for line in capsys.readouterr().out.splitlines() if line]


def test_keys_create_list_revoke_round_trip(capsys: pytest.CaptureFixture[str]) -> None:
    code, [line] = run(capsys, "keys", "create", "--owner", "own_alice", "--name", "ops")
    assert code == 0
    created = json.loads(line)
    assert created["key"].startswith("sk_live_") and created["id"].startswith("key_")

    code, lines = run(capsys, "keys", "list", "--owner", "own_alice")
    assert code == 0 and [json.loads(x)["id"] for x in lines] == [created["id"]]
    assert created["key"] not in "".join(lines)

    code, [revoked] = run(capsys, "keys", "revoke", created["id"])
    assert code == 0 and json.loads(revoked)["revoked_at"]

    code, [listed] = run(capsys, "keys", "list")
    assert json.loads(listed)["revoked_at"] is not None

    assert run(capsys, "keys", "revoke", "key_missing")[0] == 1


def test_keys_create_with_explicit_secret_is_idempotent(
    capsys: pytest.CaptureFixture[str],
) -> None:
    args = ("keys", "create", "--owner", "own_dev", "--key", "sk-dev-local")
    first = json.loads(run(capsys, *args)[1][0])
    second = json.loads(run(capsys, *args)[1][0])
    assert first["id"] == second["id"] and first["key"] == "sk-dev-local"
    assert run(capsys, "keys", "create", "--owner", "own_other", "--key", "sk-dev-local")[0] == 1
    assert run(capsys, "keys", "create", "--owner", "x", "--key", "adm_cli_test_key")[0] == 2


def test_cli_key_authenticates_through_the_gateway(
    capsys: pytest.CaptureFixture[str], gateway_db: Path
) -> None:
    from gateway.app import create_app
    from gateway.settings import GatewaySettings
    from tests.unit.gateway.support import serving

    settings = GatewaySettings().model_copy(
        update={
            "database_url": f"sqlite+aiosqlite:///{gateway_db}",
            "avatars_api_enabled": True,
        }
    )
    key = json.loads(run(capsys, "keys", "create", "--owner", "own_cli")[1][0])["key"]

    async def call() -> int:
        async with serving(create_app(settings)) as client:
            reply = await client.get("/api/v1/nope", headers={"Authorization": f"Bearer {key}"})
            return reply.status_code

    assert asyncio.run(call()) == 404  # authenticated: past the 401
