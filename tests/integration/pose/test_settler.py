"""The pose settler against a real billing service, a real SQLite pose database and
the test S3 server: what a pose process killed mid-create leaves is finished, once.
(`make chaos` found a ready pose never charged, its hold open, after billing was
killed during the capture.)"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from avatarmesh.clock import utcnow
from avatarmesh.db import Database
from avatarmesh.ids import IdPrefix, new_id
from avatarmesh.storage import Storage
from avatarmesh.v1 import billing_pb2, billing_pb2_grpc
from services.pose.__main__ import SPEC
from services.pose.poses import ABANDONED_AFTER_S, Poses
from services.pose.store import poses
from services.pose.upstreams import GrpcUpstreams
from tests.integration.billing.support import billing_service, billing_settings

pytestmark = pytest.mark.integration

OWNER = "own_pose_settler"
PRICE = 13_000  # the default price book's pose


@pytest.fixture
async def billing(tmp_path: Path) -> AsyncIterator[billing_pb2_grpc.BillingServiceStub]:
    url = "sqlite+aiosqlite:///{data_dir}/{service}.db"
    async with billing_service(billing_settings(url, tmp_path / "billing")) as (stub, _port):
        await stub.TopUp(
            billing_pb2.TopUpRequest(owner_id=OWNER, amount_micros=1_000_000, idempotency_key="t")
        )
        yield stub


@pytest.fixture
async def service(
    tmp_path: Path, billing: billing_pb2_grpc.BillingServiceStub, storage: Storage
) -> AsyncIterator[Poses]:
    db = Database(f"sqlite+aiosqlite:///{tmp_path}/pose.db")
    await db.migrate(SPEC.migrations)
    upstreams = GrpcUpstreams(avatars=None, billing=billing)  # type: ignore[arg-type]
    yield Poses(db=db, upstreams=upstreams, storage=storage)
    await db.close()


async def insert(service: Poses, status: str, *, hold_id: str = "", age_s: float = 0) -> str:
    pose_id = new_id(IdPrefix.POSE)
    async with service.db.transaction() as s:
        await s.execute(
            poses.insert().values(
                id=pose_id,
                avatar_id="av_x",
                owner_id=OWNER,
                name="P",
                prompt="close-up",
                image_key=f"avatars/{OWNER}/av_x/poses/{pose_id}.jpg",
                status=status,
                cost_micros=PRICE,
                applied_json="{}",
                hold_id=hold_id,
                created_at=utcnow() - timedelta(seconds=age_s),
                captured=False,
            )
        )
    return pose_id


async def hold(billing: billing_pb2_grpc.BillingServiceStub, pose_id: str) -> str:
    record = await billing.Hold(
        billing_pb2.HoldRequest(
            owner_id=OWNER,
            amount_micros=PRICE,
            idempotency_key=f"{pose_id}:hold",
            purpose=billing_pb2.CHARGE_PURPOSE_POSE,
            reference=pose_id,
        )
    )
    return str(record.id)


async def wallet(billing: billing_pb2_grpc.BillingServiceStub) -> tuple[int, int]:
    w = await billing.GetWallet(billing_pb2.GetWalletRequest(owner_id=OWNER))
    return int(w.balance_micros), int(w.held_micros)


async def row(service: Poses, pose_id: str) -> Any:
    async with service.db.transaction() as s:
        return (await s.execute(select(poses).where(poses.c.id == pose_id))).first()


async def test_a_ready_pose_whose_capture_was_lost_is_captured_once(
    service: Poses, billing: billing_pb2_grpc.BillingServiceStub
) -> None:
    pose_id = await insert(service, "ready", hold_id="")
    hold_id = await hold(billing, pose_id)
    async with service.db.transaction() as s:
        await s.execute(poses.update().where(poses.c.id == pose_id).values(hold_id=hold_id))
    assert await wallet(billing) == (1_000_000, PRICE)

    assert await service.settle_once() == 1
    assert await wallet(billing) == (1_000_000 - PRICE, 0)
    assert (await row(service, pose_id)).captured is True
    assert await service.settle_once() == 0  # nothing left, nothing charged twice
    assert await wallet(billing) == (1_000_000 - PRICE, 0)


async def test_an_abandoned_pending_pose_has_its_hold_released_and_disappears(
    service: Poses, billing: billing_pb2_grpc.BillingServiceStub
) -> None:
    held = await insert(service, "pending", age_s=ABANDONED_AFTER_S + 5)
    await hold(billing, held)  # the process died after the hold, before the render
    never_held = await insert(service, "pending", age_s=ABANDONED_AFTER_S + 5)
    young = await insert(service, "pending", age_s=1)  # maybe still rendering
    assert await wallet(billing) == (1_000_000, PRICE)

    assert await service.settle_once() == 2
    assert await wallet(billing) == (1_000_000, 0)
    assert await row(service, held) is None and await row(service, never_held) is None
    assert (await row(service, young)).status == "pending"
    assert await service.settle_once() == 0
