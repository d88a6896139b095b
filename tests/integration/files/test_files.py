"""The files service's rules on real S3 and SQLite: a stored object is probed (pixel
size, duration) or refused and deleted; temporary files are archived by the sweeper
when their time is up (a clock moved 25 hours on); archiving deletes the bytes,
keeps the row, queues ``events.file.archived``; another owner's id is missing."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from avatarmesh.clock import utcnow
from avatarmesh.db import Database
from avatarmesh.errors import DomainError, ErrorCode
from avatarmesh.ids import IdPrefix, new_id
from avatarmesh.settings import Settings
from avatarmesh.storage import Storage
from services.files.__main__ import SPEC
from services.files.files import Files, NewFile
from services.files.store import outbox
from tests.e2e.conftest import FIXTURES

pytestmark = pytest.mark.integration

OWNER = "own_files"


class Clock:
    def __init__(self) -> None:
        self.now = utcnow()

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
async def files(tmp_path: Path, s3_server: str) -> AsyncIterator[tuple[Files, Clock]]:
    settings = Settings().model_copy(
        update={"s3_endpoint": s3_server, "s3_secure": False, "s3_bucket": "files-test"}
    )
    db = Database(f"sqlite+aiosqlite:///{tmp_path}/files.db")
    await db.migrate(SPEC.migrations)  # type: ignore[arg-type]
    storage = Storage(settings)
    await storage.ensure_bucket()
    clock = Clock()
    try:
        yield Files(db, storage, None, clock), clock
    finally:
        await db.close()


async def stored(files: Files, fixture: Path, kind: str, ctype: str, **extra: float) -> NewFile:
    file_id = new_id(IdPrefix.FILE)
    key = f"files/{OWNER}/{file_id}{fixture.suffix}"
    await files.storage.put_file(key, fixture, ctype)
    size = len(fixture.read_bytes())  # noqa: ASYNC240 (a test fixture)
    return NewFile(OWNER, file_id, key, kind, ctype, size, fixture.name, **extra)


async def test_probe_sweep_archive_and_isolation(
    files: tuple[Files, Clock], tmp_path: Path
) -> None:
    service, clock = files
    image = await service.create(
        await stored(
            service, FIXTURES / "faces" / "man_elderly_frontal_smiling.jpg", "image", "image/jpeg"
        )
    )
    assert (image.width, image.height, image.kind) == (1200, 1200, "image")
    clip = await service.create(
        await stored(
            service,
            FIXTURES / "clips" / "man_talking_7s.mp4",
            "video",
            "video/mp4",
            expires_in_seconds=24 * 3600,
        )
    )
    assert clip.kind == "video" and clip.duration_seconds == pytest.approx(7.0, abs=0.1)
    assert (clip.width, clip.height) == (480, 480)

    fake = tmp_path / "fake.png"
    fake.write_bytes(b"\x89PNG\r\n\x1a\n" + b"not really" * 100)
    bad = await stored(service, fake, "image", "image/png")
    with pytest.raises(DomainError) as caught:
        await service.create(bad)
    assert caught.value.code is ErrorCode.VALIDATION_ERROR
    assert not await service.storage.exists(bad.storage_key)  # refused and deleted

    with pytest.raises(DomainError) as missing:
        await service.get("own_someone_else", image.id)
    assert missing.value.code is ErrorCode.NOT_FOUND

    assert await service.sweep() == 0  # not yet
    clock.now += timedelta(hours=25)
    assert await service.sweep() == 1
    swept = await service.get(OWNER, clip.id)
    assert swept.status == "archived" and swept.archived_at == clock.now
    assert not await service.storage.exists(clip.storage_key)
    assert (await service.get(OWNER, image.id)).status == "ready"
    async with service.db.read() as session:
        subjects = list(await session.scalars(select(outbox.c.subject)))
    assert subjects == ["events.file.archived"]
    listed, _, _, total = await service.list_page(OWNER, "", 1, 20, False)
    assert [f.id for f in listed] == [image.id] and total == 1


async def test_a_public_link_turns_on_and_off_and_dies_with_the_file(
    files: tuple[Files, Clock],
) -> None:
    service, _ = files
    image = await service.create(
        await stored(
            service, FIXTURES / "faces" / "man_elderly_frontal_smiling.jpg", "image", "image/jpeg"
        )
    )
    assert image.public_token is None
    shared = await service.set_public(OWNER, image.id, True)
    assert shared.public_token and (await service.by_token(shared.public_token)).id == image.id
    again = await service.set_public(OWNER, image.id, True)
    assert again.public_token == shared.public_token  # the link stays the same
    off = await service.set_public(OWNER, image.id, False)
    assert off.public_token is None
    with pytest.raises(DomainError) as gone:
        await service.by_token(shared.public_token)
    assert gone.value.code is ErrorCode.NOT_FOUND

    archived = await service.archive(OWNER, image.id)
    assert archived.status == "archived" and archived.public_token is None
    assert (await service.archive(OWNER, image.id)).archived_at == archived.archived_at
    with pytest.raises(DomainError) as refused:
        await service.set_public(OWNER, image.id, True)
    assert refused.value.code is ErrorCode.FILE_ARCHIVED
