"""CreatePose when the object store fails after the render: the documented
STORAGE_ERROR, the hold released, no pose left (fakes at the storage and upstream
seams, the pose database real)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from avatarmesh.clock import utcnow
from avatarmesh.db import Database
from avatarmesh.errors import DomainError, ErrorCode
from avatarmesh.storage import StorageError
from services.pose import poses as poses_module
from services.pose.__main__ import SPEC
from services.pose.logic import AvatarFacts
from services.pose.poses import Poses
from services.pose.store import poses


class Upstreams:
    def __init__(self) -> None:
        self.calls: list[str] = []

    async def avatar(self, owner_id: str, avatar_id: str) -> AvatarFacts:
        return AvatarFacts(avatar_id, owner_id, True, "avatars/o/av_1/portrait.png", utcnow())

    async def pose_price(self) -> int:
        return 13_000

    async def hold(self, owner_id: str, amount: int, pose_id: str) -> str:
        self.calls.append("hold")
        return "hd_1"

    async def capture(self, hold_id: str, amount: int, pose_id: str) -> None:
        self.calls.append("capture")

    async def release(self, hold_id: str, pose_id: str) -> None:
        self.calls.append(f"release {hold_id}")


class StoreDownAfterRead:
    """Reads the portrait, then the store goes away (a killed S3 server)."""

    async def get_portrait(self, key: str) -> bytes:
        return b"portrait"

    async def put_bytes(self, key: str, data: bytes, content_type: str) -> None:
        raise StorageError("storage put failed: object store at 127.0.0.1:9 unavailable")

    async def delete_quietly(self, *keys: str) -> None:
        pass


@pytest.fixture
async def db(tmp_path: Path) -> AsyncIterator[Database]:
    database = Database(f"sqlite+aiosqlite:///{tmp_path}/pose.db")
    await database.migrate(SPEC.migrations)
    yield database
    await database.close()


async def test_a_store_failure_after_the_render_is_storage_error_and_releases_the_hold(
    db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    def render(portrait: bytes, prompt: str) -> tuple[bytes, bytes, dict[str, Any]]:
        return b"jpeg", b"renderable", {}

    monkeypatch.setattr(poses_module, "render_pose", render)
    upstreams = Upstreams()
    service = Poses(db=db, upstreams=upstreams, storage=StoreDownAfterRead())  # type: ignore[arg-type]
    with pytest.raises(DomainError) as caught:
        await service.create("own_1", "av_1", "close-up", "")
    assert caught.value.code is ErrorCode.STORAGE_ERROR
    assert "storing the pose failed" in caught.value.message
    assert upstreams.calls == ["hold", "release hd_1"]
    async with db.transaction() as s:
        assert (await s.execute(select(poses))).all() == []
