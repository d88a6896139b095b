"""Billing throughput: hold + capture pairs per second through the real gRPC service,
on SQLite (the embedded default) and on PostgreSQL (skipped, with a line saying so,
when nothing answers on 127.0.0.1:5432).

Each pair is two RPCs and two transactions (hold; capture of part, releasing the
rest): four ledger rows, two idempotency records. Figures: one client in sequence,
then 16 concurrent clients over 8 wallets (PostgreSQL locks a wallet row, so wallets
proceed in parallel; SQLite serialises every writer).

    .venv/bin/python tests/bench/bench_billing.py
"""

from __future__ import annotations

import asyncio
import logging
import secrets
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from avatarmesh.money import usd
from avatarmesh.v1 import billing_pb2 as pb
from avatarmesh.v1 import billing_pb2_grpc
from tests.bench.report import report
from tests.integration.billing.support import billing_service, billing_settings

PG_ADMIN = {"host": "127.0.0.1", "port": 5432, "user": "postgres", "database": "postgres"}
SEQUENTIAL_PAIRS = 200
CONCURRENT_PAIRS = 400
CLIENTS = 16
WALLETS = 8


async def pair(stub: billing_pb2_grpc.BillingServiceStub, owner: str, job: str) -> None:
    record = await stub.Hold(
        pb.HoldRequest(
            owner_id=owner,
            amount_micros=usd("0.50"),
            idempotency_key=f"{job}:hold",
            purpose=pb.CHARGE_PURPOSE_VIDEO,
            reference=job,
        )
    )
    await stub.Capture(
        pb.CaptureRequest(
            hold_id=record.id, amount_micros=usd("0.35"), idempotency_key=f"{job}:capture"
        )
    )


async def measure(backend: str, database_url: str) -> None:
    with tempfile.TemporaryDirectory() as directory:
        settings = billing_settings(database_url, Path(directory))
        async with billing_service(settings) as (stub, _port):
            owners = [f"own_bench_{i}" for i in range(WALLETS)]
            for owner in owners:
                await stub.TopUp(
                    pb.TopUpRequest(
                        owner_id=owner, amount_micros=usd(100_000), idempotency_key=f"fund:{owner}"
                    )
                )
            await pair(stub, owners[0], "vg_warmup")

            started = time.perf_counter()
            for i in range(SEQUENTIAL_PAIRS):
                await pair(stub, owners[0], f"vg_seq_{i}")
            elapsed = time.perf_counter() - started
            report(
                "billing",
                f"{backend}: hold+capture pairs/s, 1 client",
                SEQUENTIAL_PAIRS / elapsed,
                "pairs/s",
                pairs=SEQUENTIAL_PAIRS,
                ms_per_pair=round(1000 * elapsed / SEQUENTIAL_PAIRS, 2),
            )

            queue: asyncio.Queue[int] = asyncio.Queue()
            for i in range(CONCURRENT_PAIRS):
                queue.put_nowait(i)

            async def client() -> None:
                while not queue.empty():
                    i = queue.get_nowait()
                    await pair(stub, owners[i % WALLETS], f"vg_par_{i}")

            started = time.perf_counter()
            await asyncio.gather(*(client() for _ in range(CLIENTS)))
            elapsed = time.perf_counter() - started
            report(
                "billing",
                f"{backend}: hold+capture pairs/s, {CLIENTS} clients",
                CONCURRENT_PAIRS / elapsed,
                "pairs/s",
                pairs=CONCURRENT_PAIRS,
                wallets=WALLETS,
            )
            for owner in owners:
                check = await stub.VerifyLedger(pb.VerifyLedgerRequest(owner_id=owner))
                assert check.consistent, check


async def postgres_database() -> str | None:
    import asyncpg

    try:
        conn = await asyncpg.connect(**PG_ADMIN, timeout=3)
    except Exception as exc:
        print(f"[bench] billing    PostgreSQL skipped: nothing usable on 127.0.0.1:5432 ({exc!r})")
        return None
    name = "am_bench_" + secrets.token_hex(6)
    try:
        await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()
    return name


async def drop_database(name: str) -> None:
    import asyncpg

    conn = await asyncpg.connect(**PG_ADMIN, timeout=3)
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await conn.close()


async def main() -> None:
    logging.disable(logging.INFO)
    await measure("sqlite", "sqlite+aiosqlite:///{data_dir}/{service}.db")
    name = await postgres_database()
    if name is not None:
        try:
            await measure("postgresql", f"postgresql+asyncpg://postgres@127.0.0.1:5432/{name}")
        finally:
            await drop_database(name)


if __name__ == "__main__":
    asyncio.run(main())
