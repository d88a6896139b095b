"""The read cache across two real gateway processes, invalidated through a real
nats-server, in front of the real billing service.

The cache's time to live is a minute here, so a fresh answer within the test can only
come from an invalidation: a service's settled event, a write through the other
process, or an event about a system avatar.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import time
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import nats
import pytest

from avatarmesh.settings import REPO_ROOT, SERVICES
from avatarmesh.v1 import billing_pb2 as pb
from avatarmesh.v1 import billing_pb2_grpc, events_pb2
from deploy.local.runner import free_port, wait_for_port
from tests.integration.billing.support import billing_service, billing_settings

pytestmark = pytest.mark.integration

DEV_KEY = "sk_dev_read_cache_key"
ADMIN_KEY = "adm_read_cache_0123456789"
OWNER = "own_cache"
BALANCE = "/api/v1/billing/balance"
HIT = "x-avatarmesh-cache"
LIVE_LOG_LINE = "read cache on"


def _gateway_env(
    data_dir: Path, nats_url: str, namespace: str, port: int, billing_port: int
) -> dict[str, str]:
    env = {
        **os.environ,
        "AVATARMESH_DATA_DIR": str(data_dir),
        "AVATARMESH_NATS_URL": nats_url,
        "AVATARMESH_BUS_NAMESPACE": namespace,
        "AVATARMESH_HTTP_PORT": str(port),
        "AVATARMESH_RATE_LIMIT_PER_MINUTE": "0",
        "AVATARMESH_READ_CACHE_S": "60",
        "AVATARMESH_DEV_API_KEY": DEV_KEY,
        "AVATARMESH_DEV_OWNER_ID": OWNER,
        "AVATARMESH_ADMIN_KEY": ADMIN_KEY,
        "AVATARMESH_LOG_JSON": "false",
        "AVATARS_API_ENABLED": "true",
    }
    env.update({f"AVATARMESH_{name.upper()}_ADDR": f"127.0.0.1:{free_port()}" for name in SERVICES})
    env["AVATARMESH_BILLING_ADDR"] = f"127.0.0.1:{billing_port}"
    return env


def _wait_for_log(path: Path, line: str, proc: subprocess.Popen[bytes], timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while line not in path.read_text(errors="replace"):
        assert proc.poll() is None, path.read_text(errors="replace")
        assert time.monotonic() < deadline, f"no {line!r} in {path}"
        time.sleep(0.1)


def _start_gateway(env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    """`python -m gateway`, started (blocking: its start-up is short) and subscribed."""
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "gateway"],
            cwd=REPO_ROOT,
            stdout=out,
            stderr=subprocess.STDOUT,
            env=env,
        )
    wait_for_port(int(env["AVATARMESH_HTTP_PORT"]), 60, proc)
    _wait_for_log(log, LIVE_LOG_LINE, proc, 30)
    return proc


Mesh = tuple[list[httpx.AsyncClient], billing_pb2_grpc.BillingServiceStub]


@pytest.fixture
async def mesh(nats_server: str, bus_namespace: str, tmp_path: Path) -> AsyncIterator[Mesh]:
    """Billing in-process, two `python -m gateway` processes calling it."""
    settings = billing_settings("sqlite+aiosqlite:///{data_dir}/{service}.db", tmp_path / "bill")
    procs: list[subprocess.Popen[bytes]] = []
    async with billing_service(settings) as (stub, billing_port):
        try:
            clients = []
            for index in range(2):  # one after the other: both migrate the same database
                port = free_port()
                env = _gateway_env(tmp_path, nats_server, bus_namespace, port, billing_port)
                procs.append(_start_gateway(env, tmp_path / f"gateway{index}.log"))
                clients.append(
                    httpx.AsyncClient(
                        base_url=f"http://127.0.0.1:{port}",
                        headers={"Authorization": f"Bearer {DEV_KEY}"},
                        timeout=10,
                    )
                )
            yield clients, stub
            for client in clients:
                await client.aclose()
        finally:
            for proc in procs:
                proc.terminate()
            for proc in procs:
                try:
                    proc.wait(15)
                except subprocess.TimeoutExpired:
                    proc.kill()
                    proc.wait()


async def _top_up(stub: billing_pb2_grpc.BillingServiceStub, micros: int, key: str) -> None:
    """Money added behind the gateways' backs (as the billing CLI does)."""
    await stub.TopUp(pb.TopUpRequest(owner_id=OWNER, amount_micros=micros, idempotency_key=key))


async def _balance(client: httpx.AsyncClient) -> tuple[float, bool]:
    reply = await client.get(BALANCE)
    assert reply.status_code == 200, reply.text
    return float(reply.json()["balance_usd"]), reply.headers.get(HIT) == "hit"


async def _both_show(gateways: list[httpx.AsyncClient], dollars: float) -> None:
    """Each gateway answers ``dollars`` within 5 s (well inside the 60 s TTL)."""
    deadline = time.monotonic() + 5.0
    for client in gateways:
        while (seen := (await _balance(client))[0]) != dollars:
            assert time.monotonic() < deadline, f"{client.base_url} still shows {seen}"
            await asyncio.sleep(0.05)


async def test_two_gateways_drop_cached_answers_on_events_and_on_each_others_writes(
    mesh: Mesh, nats_server: str, bus_namespace: str
) -> None:
    gateways, stub = mesh
    await _top_up(stub, 5_000_000, "first")
    await _both_show(gateways, 5.0)
    assert all([(await _balance(g))[1] for g in gateways])  # both now answer from cache

    await _top_up(stub, 1_000_000, "behind")
    assert [await _balance(g) for g in gateways] == [(5.0, True), (5.0, True)]

    # The video service's settled event (it follows the capture or release): both
    # processes drop the owner's answers.
    bus = await nats.connect(nats_server)
    try:
        event = events_pb2.VideoSettled(video_id="vg_x", owner_id=OWNER, status="completed")
        await bus.publish(f"{bus_namespace}.events.video.completed", event.SerializeToString())
        await bus.flush()
        await _both_show(gateways, 6.0)

        # A write through the first process: the second drops its answer too.
        assert [await _balance(g) for g in gateways] == [(6.0, True), (6.0, True)]
        admin_top_up = await gateways[0].post(
            f"/admin/v1/wallets/{OWNER}/top-ups",
            json={"amount_usd": 1},
            headers={"X-Admin-Key": ADMIN_KEY},
        )
        assert admin_top_up.status_code == 201, admin_top_up.text
        assert (await _balance(gateways[0])) == (7.0, False)
        await _both_show(gateways, 7.0)

        # A system avatar settling: it is in every owner's list, everything goes.
        for g in gateways:
            await _balance(g)
        await _top_up(stub, 1_000_000, "system")
        ready = events_pb2.AvatarSettled(avatar_id="av_sys", owner_id="system")
        await bus.publish(f"{bus_namespace}.events.avatar.ready", ready.SerializeToString())
        await bus.flush()
        await _both_show(gateways, 8.0)
    finally:
        await bus.close()
