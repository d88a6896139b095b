"""The dispatcher on a SQLite file with a fake sender: a refused webhook_url is
recorded with its reason and never sent; outcomes decide delivered/pending/failed."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from cryptography.fernet import Fernet
from pydantic import SecretStr
from sqlalchemy import select

from avatarmesh.db import Database
from avatarmesh.errors import DomainError, ErrorCode
from services.webhook.__main__ import SPEC
from services.webhook.config import WebhookSettings
from services.webhook.dispatch import Dispatcher
from services.webhook.history import list_attempts
from services.webhook.housekeeping import purge_finished
from services.webhook.secrets import SecretBox, SigningSecrets
from services.webhook.store import deliveries, signing_secrets

OWNER = "own_alice"


class FakeSender:
    def __init__(self, *answers: int | Exception) -> None:
        self.answers = list(answers)
        self.calls: list[dict[str, Any]] = []

    async def __call__(self, method: str, url: str, **kwargs: Any) -> tuple[int, bytes]:
        self.calls.append({"method": method, "url": url, **kwargs})
        answer = self.answers.pop(0) if self.answers else 200
        if isinstance(answer, Exception):
            raise answer
        return answer, b""


@pytest.fixture
async def db(tmp_path: Path) -> AsyncIterator[Database]:
    database = Database(f"sqlite+aiosqlite:///{tmp_path}/webhook.db")
    assert SPEC.migrations is not None
    await database.migrate(SPEC.migrations)
    yield database
    await database.close()


def dispatcher(db: Database, send: FakeSender, **overrides: Any) -> Dispatcher:
    values: dict[str, Any] = {
        "webhook_retry_schedule_seconds": (0.0,),
        "webhook_retry_jitter": 0.0,
        "allow_insecure_loopback": True,
        **overrides,
    }
    settings = WebhookSettings().model_copy(update=values)
    secrets = SigningSecrets(db, SecretBox(None), timedelta(hours=24))
    return Dispatcher(db, secrets, settings, None, send=send)


async def add_delivery(db: Database, url: str, event_id: str = "ev_1") -> None:
    now = datetime.now(UTC)
    async with db.transaction() as session:
        await session.execute(
            deliveries.insert().values(
                event_id=event_id,
                event="video.failed",
                owner_id=OWNER,
                subject_id="vg_1",
                url=url,
                payload=json.dumps({"event": "video.failed", "event_id": event_id}),
                status="pending",
                attempts=0,
                created_at=now,
                next_attempt_at=now,
            )
        )


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("http://10.0.0.7/hook", "must use https"),
        ("https://169.254.169.254/latest", "non-public address"),
        ("https://192.168.1.10/hook", "non-public address"),
        ("https://user:pw@8.8.8.8/hook", "credentials"),
        ("ftp://8.8.8.8/hook", "https://"),
    ],
)
async def test_refused_url_is_recorded_with_the_reason_and_never_sent(
    db: Database, url: str, reason: str
) -> None:
    send = FakeSender()
    await add_delivery(db, url)
    assert await dispatcher(db, send).dispatch_due() == 1
    assert await dispatcher(db, send).dispatch_due() == 0  # failed: no retry
    assert send.calls == []
    [attempt] = await list_attempts(db, OWNER)
    assert attempt.status_code == 0
    assert reason in attempt.error and attempt.error.startswith("webhook_url refused")
    assert attempt.delivery_status == "failed"


async def test_loopback_http_is_refused_unless_the_development_setting_is_on(
    db: Database,
) -> None:
    send = FakeSender()
    await add_delivery(db, "http://127.0.0.1:9/hook")
    await dispatcher(db, send, allow_insecure_loopback=False).dispatch_due()
    assert send.calls == []
    [attempt] = await list_attempts(db, OWNER)
    assert "must use https" in attempt.error


async def test_redirect_is_a_failed_attempt_and_retried(db: Database) -> None:
    send = FakeSender(302, DomainError(ErrorCode.UPSTREAM_ERROR, "no answer within 10 s"), 204)
    await add_delivery(db, "http://127.0.0.1:9/hook")
    work = dispatcher(db, send)
    for _ in range(3):
        assert await work.dispatch_due() == 1
    assert await work.dispatch_due() == 0
    attempts = await list_attempts(db, OWNER)
    assert [(a.attempt, a.status_code, a.error) for a in reversed(attempts)] == [
        (1, 302, "HTTP 302 (redirects are not followed)"),
        (2, 0, "no answer within 10 s"),
        (3, 204, ""),
    ]
    assert {a.delivery_status for a in attempts} == {"delivered"}
    assert all(call["follow_redirects"] is False for call in send.calls)
    assert all(call["timeout"] == 10.0 for call in send.calls)


async def test_a_leased_delivery_is_not_attempted_twice_at_once(db: Database) -> None:
    await add_delivery(db, "http://127.0.0.1:9/hook")
    work = dispatcher(db, FakeSender())
    assert len(await work.claim(10)) == 1
    assert await work.claim(10) == []  # held by the first claim's lease


async def test_an_expired_lease_is_claimed_again(db: Database) -> None:
    await add_delivery(db, "http://127.0.0.1:9/hook")
    work = dispatcher(db, FakeSender(), webhook_lease_seconds=0.01)
    assert len(await work.claim(10)) == 1  # the process "dies" mid-attempt
    await asyncio.sleep(0.05)
    assert len(await work.claim(10)) == 1


async def test_secret_is_encrypted_at_rest_with_a_key(db: Database) -> None:
    box = SecretBox(SecretStr(Fernet.generate_key().decode()))
    secret = await SigningSecrets(db, box, timedelta(0)).get(OWNER)
    async with db.transaction() as session:
        stored = await session.scalar(select(signing_secrets.c.secret))
    assert stored is not None and stored.startswith("fernet:") and secret.secret not in stored
    assert (await SigningSecrets(db, box, timedelta(0)).get(OWNER)).secret == secret.secret


async def test_shutdown_mid_attempt_hands_the_delivery_back_at_once(db: Database) -> None:
    started = asyncio.Event()

    async def slow_send(method: str, url: str, **kwargs: Any) -> tuple[int, bytes]:
        started.set()
        await asyncio.sleep(30)
        return 200, b""

    await add_delivery(db, "http://127.0.0.1:9/hook")
    work = dispatcher(db, FakeSender())
    work.send = slow_send
    [claim] = await work.claim(10)
    task = asyncio.create_task(work.attempt(claim))
    await started.wait()
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert len(await work.claim(10)) == 1  # not held until the lease runs out
    assert await list_attempts(db, OWNER) == []


async def test_settled_deliveries_are_purged_after_the_retention(db: Database) -> None:
    async def by_path(method: str, url: str, **kwargs: Any) -> tuple[int, bytes]:
        return (200 if url.endswith("/up") else 500), b""

    await add_delivery(db, "http://127.0.0.1:9/up", event_id="ev_done")
    await add_delivery(db, "http://127.0.0.1:9/down", event_id="ev_waiting")
    work = dispatcher(db, FakeSender(), webhook_retry_schedule_seconds=(3600.0,))
    work.send = by_path
    assert await work.dispatch_due() == 2
    assert await purge_finished(db, timedelta(days=1)) == 0  # too recent
    assert await purge_finished(db, timedelta(0)) == 1  # the delivered one; pending stays
    attempts = await list_attempts(db, OWNER)
    assert [a.delivery_status for a in attempts] == ["pending"]
