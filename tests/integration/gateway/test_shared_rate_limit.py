"""One rate limit for every gateway process: token buckets in NATS KV, changed by
compare-and-set, against a real nats-server; then two real gateway processes."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest

from avatarmesh.settings import REPO_ROOT, SERVICES, Settings
from deploy.local.runner import free_port, wait_for_port
from gateway.ratelimit import SharedBuckets, SharedRateLimiter

pytestmark = pytest.mark.integration

DEV_KEY = "sk_dev_shared_limit_key"
SHARED_LOG_LINE = "rate limit shared through NATS KV"


async def _connected(buckets: SharedBuckets, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while buckets.kv() is None:
        assert time.monotonic() < deadline, "the limiter never reached NATS KV"
        await asyncio.sleep(0.05)


@pytest.fixture
async def two_connections(
    nats_server: str, bus_namespace: str
) -> AsyncIterator[tuple[SharedBuckets, SharedBuckets]]:
    settings = Settings(nats_url=nats_server, bus_namespace=bus_namespace)
    pair = (SharedBuckets(settings), SharedBuckets(settings))
    for buckets in pair:
        buckets.start()
        await _connected(buckets)
    yield pair
    for buckets in pair:
        await buckets.close()


async def test_racing_limiters_on_two_connections_allow_exactly_the_bucket(
    two_connections: tuple[SharedBuckets, SharedBuckets],
) -> None:
    """With time frozen nothing refills: 60 concurrent requests through two limiters
    (two NATS connections, as two processes have) get exactly 10 tokens between them;
    a lost compare-and-set must read again, never spend a token twice."""
    frozen = 1_700_000_000.0
    limiters = [
        SharedRateLimiter(10, buckets.kv, clock=lambda: frozen) for buckets in two_connections
    ]
    waits = await asyncio.gather(*(limiters[i % 2].acquire("key_race") for i in range(60)))
    assert sum(wait is None for wait in waits) == 10
    assert all(wait == 6 for wait in waits if wait is not None)  # 1 token at 10/min
    assert await limiters[0].acquire("key_other") is None  # buckets are per key


async def test_spent_bucket_refills_at_the_rate_for_every_limiter(
    two_connections: tuple[SharedBuckets, SharedBuckets],
) -> None:
    now = [1_700_000_000.0]
    first, second = (SharedRateLimiter(60, b.kv, clock=lambda: now[0]) for b in two_connections)
    for _ in range(60):
        assert await first.acquire("key_refill") is None
    assert await second.acquire("key_refill") == 1
    now[0] += 1.0  # one token back (60 a minute)
    assert await second.acquire("key_refill") is None
    assert await first.acquire("key_refill") == 1


def _gateway_env(data_dir: Path, nats_url: str, namespace: str, port: int) -> dict[str, str]:
    env = {
        **os.environ,
        "AVATARMESH_DATA_DIR": str(data_dir),
        "AVATARMESH_NATS_URL": nats_url,
        "AVATARMESH_BUS_NAMESPACE": namespace,
        "AVATARMESH_HTTP_PORT": str(port),
        "AVATARMESH_RATE_LIMIT_PER_MINUTE": "20",
        "AVATARMESH_RATE_LIMIT_SHARED": "true",
        "AVATARMESH_DEV_API_KEY": DEV_KEY,
        "AVATARMESH_LOG_JSON": "false",
        "AVATARS_API_ENABLED": "true",
    }
    # No service runs: a request the limit lets through fails upstream (503), fast.
    env.update({f"AVATARMESH_{name.upper()}_ADDR": f"127.0.0.1:{free_port()}" for name in SERVICES})
    return env


def _wait_for_log(path: Path, line: str, proc: subprocess.Popen[bytes], timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while line not in path.read_text(errors="replace"):
        assert proc.poll() is None, path.read_text(errors="replace")
        assert time.monotonic() < deadline, f"no {line!r} in {path}"
        time.sleep(0.1)


@pytest.fixture
def two_gateways(nats_server: str, bus_namespace: str, tmp_path: Path) -> Iterator[list[str]]:
    """Two `python -m gateway` processes on one database, sharing the limit via NATS."""
    procs: list[subprocess.Popen[bytes]] = []
    urls: list[str] = []
    try:
        for index in range(2):  # one after the other: both migrate the same database
            port = free_port()
            log = tmp_path / f"gateway{index}.log"
            with log.open("wb") as out:
                proc = subprocess.Popen(
                    [sys.executable, "-m", "gateway"],
                    cwd=REPO_ROOT,
                    stdout=out,
                    stderr=subprocess.STDOUT,
                    env=_gateway_env(tmp_path, nats_server, bus_namespace, port),
                )
            procs.append(proc)
            wait_for_port(port, 60, proc)
            _wait_for_log(log, SHARED_LOG_LINE, proc, 30)
            urls.append(f"http://127.0.0.1:{port}")
        yield urls
    finally:
        for proc in procs:
            proc.terminate()
        for proc in procs:
            try:
                proc.wait(15)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


def test_two_gateway_processes_allow_a_key_one_limit_between_them(
    two_gateways: list[str],
) -> None:
    """20 a minute for the key: alternating between the two processes, 60 requests get
    20 through (plus what refills meanwhile), not 20 per process; the rest are 429
    RATE_LIMITED with Retry-After."""
    headers = {"Authorization": f"Bearer {DEV_KEY}"}
    started = time.monotonic()
    replies = [
        httpx.get(f"{two_gateways[i % 2]}/api/v1/billing/balance", headers=headers, timeout=10)
        for i in range(60)
    ]
    elapsed = time.monotonic() - started
    limited = [r for r in replies if r.status_code == 429]
    allowed = len(replies) - len(limited)
    refilled = int(elapsed * 20 / 60) + 1
    assert 20 <= allowed <= 20 + refilled, (allowed, elapsed)
    assert {r.json()["error"]["code"] for r in limited} == {"RATE_LIMITED"}
    assert all(int(r.headers["Retry-After"]) >= 1 for r in limited)
    assert {i % 2 for i, r in enumerate(replies) if r.status_code == 429} == {0, 1}
