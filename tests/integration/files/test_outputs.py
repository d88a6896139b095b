"""Outputs are files (docs/files.md): the files service, running with real NATS, S3 and
SQLite, records a completed video's MP4 and poster as the owner's files on
``events.video.completed`` (ids derived from the video's, so a redelivery records
nothing twice); ``is_output_temporary`` ones are archived by the sweeper when the
output TTL (seconds here, 24 h by default) is up, and their bytes are deleted."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from avatarmesh.bus import Bus
from avatarmesh.errors import DomainError
from avatarmesh.grpc_client import channel
from avatarmesh.ids import IdPrefix, new_id, output_file_id
from avatarmesh.service import running
from avatarmesh.storage import Storage
from avatarmesh.v1 import events_pb2, files_pb2, files_pb2_grpc
from services.files.__main__ import SPEC
from services.files.config import FilesSettings
from tests.e2e.conftest import FIXTURES
from tests.support.s3 import s3_settings

pytestmark = pytest.mark.integration

OWNER = "own_outputs"
TTL_S = 1.5


@dataclass
class Outputs:
    bus: Bus
    storage: Storage
    files: files_pb2_grpc.FileServiceStub

    async def completed(self, temporary: bool, *msg_ids: str) -> tuple[str, str, str]:
        """A video whose MP4 and poster are stored, announced as completed (once per
        message id); (video id, video key, poster key)."""
        video_id = new_id(IdPrefix.VIDEO)
        video_key = f"videos/{OWNER}/{video_id}/video.mp4"
        poster_key = f"videos/{OWNER}/{video_id}/poster.jpg"
        await self.storage.put_file(
            video_key, FIXTURES / "clips" / "man_talking_7s.mp4", "video/mp4"
        )
        face = FIXTURES / "faces" / "man_elderly_frontal_smiling.jpg"
        await self.storage.put_file(poster_key, face, "image/jpeg")
        event = events_pb2.VideoSettled(
            meta=events_pb2.EventMeta(event_id=f"ev-{video_id}"),
            video_id=video_id,
            owner_id=OWNER,
            status="completed",
            video_key=video_key,
            poster_key=poster_key,
            duration_seconds=7.0,
            output_temporary=temporary,
        )
        for msg_id in msg_ids or (f"{video_id}:video:completed",):
            await self.bus.publish("events.video.completed", event, msg_id=msg_id)
        return video_id, video_key, poster_key

    async def file(self, file_id: str, status: str = "ready") -> files_pb2.File:
        """The owner's file once it has ``status`` (the consumer works asynchronously)."""
        for _ in range(150):
            try:
                found: files_pb2.File = await self.files.GetFile(
                    files_pb2.GetFileRequest(owner_id=OWNER, file_id=file_id)
                )
                if found.status == status:
                    return found
            except DomainError:
                pass
            await asyncio.sleep(0.1)
        raise AssertionError(f"{file_id} never became {status}")


@pytest.fixture
async def outputs(
    tmp_path: Path, nats_server: str, bus_namespace: str, s3_server: str
) -> AsyncIterator[Outputs]:
    s3 = s3_settings(s3_server)
    settings = FilesSettings().model_copy(
        update={
            "nats_url": nats_server,
            "bus_namespace": bus_namespace,
            "s3_endpoint": s3.s3_endpoint,
            "s3_bucket": s3.s3_bucket,
            "data_dir": tmp_path,
            "database_url": "sqlite+aiosqlite:///{data_dir}/{service}.db",
            "files_output_ttl_seconds": TTL_S,
            "files_sweep_interval_seconds": 0.2,
        }
    )
    storage = Storage(s3)
    await storage.ensure_bucket()
    async with running(SPEC, settings, port=0) as runtime:
        assert runtime.bus is not None
        stub = files_pb2_grpc.FileServiceStub(channel(f"127.0.0.1:{runtime.server.bound_port}"))
        yield Outputs(runtime.bus, storage, stub)


async def test_a_completed_videos_mp4_and_poster_become_the_owners_files(
    outputs: Outputs,
) -> None:
    video_id, video_key, poster_key = await outputs.completed(False, "m1", "m2")  # redelivered
    video = await outputs.file(output_file_id(video_id, "video"))
    assert (video.kind, video.storage_key, video.filename) == (
        "video",
        video_key,
        f"{video_id}.mp4",
    )
    assert (video.width, video.height) == (480, 480) and video.duration_seconds == pytest.approx(
        7.0, abs=0.1
    )
    assert video.size_bytes == (FIXTURES / "clips" / "man_talking_7s.mp4").stat().st_size
    assert not video.HasField("expires_at")
    poster = await outputs.file(output_file_id(video_id, "poster"))
    assert (poster.kind, poster.storage_key, poster.width) == ("image", poster_key, 1200)
    listed = await outputs.files.ListFiles(files_pb2.ListFilesRequest(owner_id=OWNER))
    assert sorted(f.id for f in listed.files) == sorted([video.id, poster.id])  # once each
    await asyncio.sleep(TTL_S + 0.5)
    assert (await outputs.file(video.id)).status == "ready"  # not temporary: kept


async def test_temporary_outputs_are_archived_when_the_ttl_is_up(outputs: Outputs) -> None:
    video_id, video_key, poster_key = await outputs.completed(True)
    video = await outputs.file(output_file_id(video_id, "video"))
    assert video.HasField("expires_at")
    archived = await outputs.file(video.id, status="archived")
    assert archived.HasField("archived_at")
    await outputs.file(output_file_id(video_id, "poster"), status="archived")
    assert not await outputs.storage.exists(video_key)
    assert not await outputs.storage.exists(poster_key)


async def test_an_output_deleted_before_it_is_recorded_is_skipped(outputs: Outputs) -> None:
    video_id = new_id(IdPrefix.VIDEO)
    event = events_pb2.VideoSettled(
        meta=events_pb2.EventMeta(event_id=f"ev-{video_id}"),
        video_id=video_id,
        owner_id=OWNER,
        status="completed",
        video_key=f"videos/{OWNER}/{video_id}/video.mp4",  # never stored
    )
    await outputs.bus.publish("events.video.completed", event, msg_id=f"{video_id}:gone")
    later_id, _, _ = await outputs.completed(False)  # the consumer moved on past it
    await outputs.file(output_file_id(later_id, "video"))
    with pytest.raises(DomainError):
        await outputs.files.GetFile(
            files_pb2.GetFileRequest(owner_id=OWNER, file_id=output_file_id(video_id, "video"))
        )
