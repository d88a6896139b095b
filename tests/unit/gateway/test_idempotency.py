"""Idempotency-Key on POST /api/v1: a counting route mounted on real gateway apps that
share one SQLite file, as two gateway worker processes share the gateway database."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from contextlib import AsyncExitStack
from dataclasses import dataclass, field
from datetime import timedelta

import httpx
import pytest
from fastapi import FastAPI, Request
from starlette.types import Message, Receive, Scope, Send

from avatarmesh.errors import DomainError, ErrorCode
from gateway import idempotency_store
from gateway.app import create_app
from gateway.settings import GatewaySettings
from gateway.state import gateway_state
from tests.unit.gateway.support import issue_key, serving


@dataclass
class Counter:
    runs: int = 0
    delay: float = 0.0
    fail_next: bool = False
    bodies: list[bytes] = field(default_factory=list)


def counting_app(settings: GatewaySettings, counter: Counter) -> FastAPI:
    app = create_app(settings)

    @app.post("/api/v1/test-charge", status_code=201)
    async def charge(request: Request) -> dict[str, object]:
        counter.runs += 1
        run = counter.runs
        counter.bodies.append(await request.body())
        await asyncio.sleep(counter.delay)
        if counter.fail_next:
            counter.fail_next = False
            raise DomainError(ErrorCode.INSUFFICIENT_BALANCE, "no money")
        return {"run": run}

    @app.get("/api/v1/test-charge")
    async def read() -> dict[str, int]:
        return {"runs": counter.runs}

    return app


@dataclass
class Workers:
    a: httpx.AsyncClient
    b: httpx.AsyncClient
    headers: dict[str, str]
    counter: Counter
    app: FastAPI


@pytest.fixture
async def workers(make_settings: Callable[..., GatewaySettings]) -> AsyncIterator[Workers]:
    counter = Counter()
    settings = make_settings(idempotency_wait_s=5.0)
    async with AsyncExitStack() as stack:
        app_a = counting_app(settings, counter)
        a = await stack.enter_async_context(serving(app_a))
        b = await stack.enter_async_context(serving(counting_app(settings, counter)))
        key = await issue_key(a, "own_alice")
        yield Workers(a, b, {"Authorization": f"Bearer {key}"}, counter, app_a)


def keyed(headers: dict[str, str], key: str) -> dict[str, str]:
    return {**headers, "Idempotency-Key": key}


async def test_same_key_same_body_replays_the_first_answer_on_either_worker(
    workers: Workers,
) -> None:
    first = await workers.a.post(
        "/api/v1/test-charge", json={"n": 1}, headers=keyed(workers.headers, "k1")
    )
    again = await workers.b.post(
        "/api/v1/test-charge", json={"n": 1}, headers=keyed(workers.headers, "k1")
    )
    assert first.status_code == again.status_code == 201
    assert first.json() == again.json() == {"run": 1}
    assert again.headers["idempotent-replayed"] == "true"
    assert "idempotent-replayed" not in first.headers
    assert workers.counter.runs == 1


async def test_same_key_other_body_is_409_reused(workers: Workers) -> None:
    headers = keyed(workers.headers, "k2")
    assert (await workers.a.post("/api/v1/test-charge", json={"n": 1}, headers=headers)).is_success
    reply = await workers.b.post("/api/v1/test-charge", json={"n": 2}, headers=headers)
    assert reply.status_code == 409
    assert reply.json()["error"]["code"] == "IDEMPOTENCY_KEY_REUSED"
    assert workers.counter.runs == 1


async def test_a_retry_while_the_first_runs_waits_and_gets_the_same_answer(
    workers: Workers,
) -> None:
    workers.counter.delay = 0.6
    headers = keyed(workers.headers, "k3")
    replies = await asyncio.gather(
        workers.a.post("/api/v1/test-charge", json={"n": 3}, headers=headers),
        workers.b.post("/api/v1/test-charge", json={"n": 3}, headers=headers),
        workers.b.post("/api/v1/test-charge", json={"n": 3}, headers=headers),
    )
    assert [r.status_code for r in replies] == [201, 201, 201]
    assert {r.json()["run"] for r in replies} == {1}
    assert workers.counter.runs == 1


async def test_a_retry_past_the_wait_is_409_in_progress(
    make_settings: Callable[..., GatewaySettings],
) -> None:
    counter = Counter(delay=1.0)
    app = counting_app(make_settings(idempotency_wait_s=0.2), counter)
    async with serving(app) as client:
        headers = keyed({"Authorization": f"Bearer {await issue_key(client)}"}, "k4")
        slow = asyncio.create_task(client.post("/api/v1/test-charge", json={}, headers=headers))
        await asyncio.sleep(0.3)
        early = await client.post("/api/v1/test-charge", json={}, headers=headers)
        assert early.status_code == 409
        assert early.json()["error"]["code"] == "IDEMPOTENCY_KEY_IN_PROGRESS"
        assert early.headers["retry-after"] == "1"
        assert (await slow).status_code == 201
    assert counter.runs == 1


async def test_a_failed_request_frees_its_key(workers: Workers) -> None:
    workers.counter.fail_next = True
    headers = keyed(workers.headers, "k5")
    failed = await workers.a.post("/api/v1/test-charge", json={"n": 5}, headers=headers)
    assert failed.status_code == 402
    retried = await workers.b.post("/api/v1/test-charge", json={"n": 5}, headers=headers)
    assert retried.status_code == 201
    assert workers.counter.runs == 2


async def test_a_failed_answer_reaches_the_client_only_once_its_key_is_free(
    workers: Workers,
) -> None:
    """A client that fixes its body the moment the error arrives is not told 409."""
    headers = keyed(workers.headers, "k5b")
    retried: list[int] = []

    async def client_side(scope: Scope, receive: Receive, send: Send) -> None:
        async def on_the_wire(message: Message) -> None:
            if message["type"] == "http.response.start" and message["status"] == 402:
                fixed = await workers.b.post("/api/v1/test-charge", json={"n": 1}, headers=headers)
                retried.append(fixed.status_code)
            await send(message)

        await workers.app(scope, receive, on_the_wire)

    workers.counter.fail_next = True
    transport = httpx.ASGITransport(app=client_side)
    async with httpx.AsyncClient(transport=transport, base_url="http://gateway") as a:
        failed = await a.post("/api/v1/test-charge", json={"n": 0}, headers=headers)
    assert failed.status_code == 402
    assert retried == [201]


async def test_multipart_retries_with_a_new_boundary_match(workers: Workers) -> None:
    headers = keyed(workers.headers, "k6")
    files = {"file": ("a.bin", b"x" * 200_000, "application/octet-stream")}
    first = await workers.a.post("/api/v1/test-charge", files=files, headers=headers)
    again = await workers.b.post("/api/v1/test-charge", files=files, headers=headers)
    assert first.status_code == again.status_code == 201
    assert again.headers["idempotent-replayed"] == "true"
    other = {"file": ("a.bin", b"y" * 200_000, "application/octet-stream")}
    reused = await workers.a.post("/api/v1/test-charge", files=other, headers=headers)
    assert reused.json()["error"]["code"] == "IDEMPOTENCY_KEY_REUSED"
    assert workers.counter.runs == 1
    assert b"x" * 1000 in workers.counter.bodies[0]  # the route saw the whole body


async def test_keys_are_per_owner_and_bad_keys_are_400(workers: Workers) -> None:
    bob = {"Authorization": f"Bearer {await issue_key(workers.a, 'own_bob')}"}
    await workers.a.post("/api/v1/test-charge", json={"n": 7}, headers=keyed(workers.headers, "k7"))
    theirs = await workers.a.post("/api/v1/test-charge", json={"n": 8}, headers=keyed(bob, "k7"))
    assert theirs.status_code == 201 and "idempotent-replayed" not in theirs.headers
    bad = await workers.a.post(
        "/api/v1/test-charge", json={}, headers=keyed(workers.headers, "x" * 256)
    )
    assert bad.status_code == 400
    assert bad.json()["error"]["code"] == "VALIDATION_ERROR"
    assert workers.counter.runs == 2


async def test_gets_and_unkeyed_posts_pass_straight_through(workers: Workers) -> None:
    await workers.a.post("/api/v1/test-charge", json={}, headers=workers.headers)
    await workers.a.post("/api/v1/test-charge", json={}, headers=workers.headers)
    got = await workers.a.get("/api/v1/test-charge", headers=keyed(workers.headers, "k8"))
    assert got.json() == {"runs": 2}
    db = gateway_state(workers.app.state).db
    async with db.read() as session:
        rows = (await session.execute(idempotency_store.idempotency_keys.select())).all()
    assert rows == []


async def test_keys_expire_after_the_retention(workers: Workers) -> None:
    headers = keyed(workers.headers, "k9")
    await workers.a.post("/api/v1/test-charge", json={"n": 9}, headers=headers)
    db = gateway_state(workers.app.state).db
    assert await idempotency_store.purge(db, timedelta(hours=24)) == 0
    assert await idempotency_store.purge(db, timedelta(seconds=0)) == 1
    reply = await workers.a.post("/api/v1/test-charge", json={"n": 10}, headers=headers)
    assert reply.status_code == 201 and reply.json() == {"run": 2}


def test_openapi_lists_the_header_on_every_api_post(
    make_settings: Callable[..., GatewaySettings],
) -> None:
    schema = create_app(make_settings()).openapi()
    posts = {p: ops["post"] for p, ops in schema["paths"].items() if "post" in ops}
    api_posts = [p for p in posts if p.startswith("/api/v1/")]
    assert "/api/v1/files" in api_posts
    for path in api_posts:
        names = [x["name"].lower() for x in posts[path].get("parameters", [])]
        assert names.count("idempotency-key") == 1, (path, names)
    admin = posts["/admin/v1/api-keys"].get("parameters", [])
    assert all(x["name"].lower() != "idempotency-key" for x in admin)
