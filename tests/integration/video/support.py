"""The video path in-process: billing, the video service and a worker on real NATS,
S3 and SQLite, with small fakes for the avatar and pose services at the gRPC seam."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import grpc

from avatarmedia.portrait import draw_portrait, spec_from_description
from avatarmedia.voice import default_voice
from avatarmesh.errors import DomainError, ErrorCode
from avatarmesh.grpc_client import channel
from avatarmesh.ids import IdPrefix, new_id
from avatarmesh.service import Runtime, Servicer, ServiceSpec, Wiring, running
from avatarmesh.settings import Settings
from avatarmesh.storage import Storage, avatar_prefix
from avatarmesh.v1 import (
    avatar_pb2,
    avatar_pb2_grpc,
    billing_pb2,
    billing_pb2_grpc,
    pose_pb2,
    pose_pb2_grpc,
    video_pb2,
    video_pb2_grpc,
)
from services.billing.__main__ import SPEC as BILLING
from services.billing.config import BillingSettings
from services.video.__main__ import SPEC as VIDEO
from services.video.config import VideoSettings
from services.worker.__main__ import SPEC as WORKER
from services.worker.config import WorkerSettings

OWNER = "own_alice"
OTHER = "own_bob"


@dataclass
class FakeAvatars(avatar_pb2_grpc.AvatarServiceServicer):
    avatars: dict[str, avatar_pb2.Avatar] = field(default_factory=dict)
    voices: dict[str, str] = field(default_factory=dict)

    async def GetAvatar(
        self, request: avatar_pb2.GetAvatarRequest, context: grpc.aio.ServicerContext
    ) -> avatar_pb2.Avatar:
        avatar = self.avatars.get(request.avatar_id)
        if avatar is None or (avatar.owner_id != request.owner_id and not avatar.is_public):
            raise DomainError(ErrorCode.NOT_FOUND, "Avatar not found")
        return avatar

    async def GetVoice(
        self, request: avatar_pb2.GetVoiceRequest, context: grpc.aio.ServicerContext
    ) -> avatar_pb2.Voice:
        profile = self.voices.get(request.tts_voice_id)
        if profile is None:
            raise DomainError(ErrorCode.NOT_FOUND, "Voice not found")
        return avatar_pb2.Voice(
            tts_voice_id=request.tts_voice_id, language="en", profile_json=profile
        )


@dataclass
class FakePoses(pose_pb2_grpc.PoseServiceServicer):
    poses: dict[str, pose_pb2.Pose] = field(default_factory=dict)

    async def GetPose(
        self, request: pose_pb2.GetPoseRequest, context: grpc.aio.ServicerContext
    ) -> pose_pb2.Pose:
        pose = self.poses.get(request.pose_id)
        if pose is None or pose.owner_id != request.owner_id:
            raise DomainError(ErrorCode.NOT_FOUND, "Pose not found")
        return pose


def fakes_spec(avatars: FakeAvatars, poses: FakePoses) -> ServiceSpec[Settings]:
    def wire(rt: Runtime[Settings]) -> Wiring:
        return Wiring(
            servicers=[
                Servicer(
                    "avatarmesh.v1.AvatarService",
                    lambda s: avatar_pb2_grpc.add_AvatarServiceServicer_to_server(avatars, s),
                ),
                Servicer(
                    "avatarmesh.v1.PoseService",
                    lambda s: pose_pb2_grpc.add_PoseServiceServicer_to_server(poses, s),
                ),
            ]
        )

    return ServiceSpec(name="avatar", settings_class=Settings, wire=wire, uses_bus=False)


async def seed_avatar(
    storage: Storage,
    avatars: FakeAvatars,
    owner: str = OWNER,
    *,
    status: int = avatar_pb2.AVATAR_STATUS_READY,
    portrait: bool = True,
    voice: bool = True,
) -> avatar_pb2.Avatar:
    """A drawn avatar whose portrait (JPEG + renderable .portrait) is in storage."""
    avatar_id = new_id(IdPrefix.AVATAR)
    key = ""
    if portrait:
        image = await asyncio.to_thread(
            lambda: draw_portrait(spec_from_description("friendly woman presenter"), size=512)
        )
        key = avatar_prefix(owner, avatar_id) + "portrait.jpg"
        await storage.ensure_bucket()
        await storage.put_bytes(key.replace(".jpg", ".portrait"), image.to_bytes(), "image/png")
        await storage.put_bytes(key, image.to_bytes(), "image/png")
    voice_id = ""
    if voice:
        voice_id = f"tv_{avatar_id}"
        avatars.voices[voice_id] = default_voice("en", "female").to_json()
    avatar = avatar_pb2.Avatar(
        id=avatar_id,
        owner_id=owner,
        name="Aria",
        language="en",
        status=status,
        portrait_key=key,
        tts_voice_id=voice_id,
        portrait_kind="drawn",
    )
    avatars.avatars[avatar_id] = avatar
    return avatar


@dataclass
class VideoMesh:
    videos: video_pb2_grpc.VideoServiceStub
    billing: billing_pb2_grpc.BillingServiceStub
    storage: Storage
    avatars: FakeAvatars
    poses: FakePoses
    settings: Settings

    async def fund(self, owner: str, micros: int) -> None:
        await self.billing.TopUp(
            billing_pb2.TopUpRequest(
                owner_id=owner, amount_micros=micros, idempotency_key=f"fund:{owner}:{micros}"
            )
        )

    async def wait(
        self,
        owner: str,
        video_id: str,
        timeout: float = 60.0,
        until: tuple[int, ...] = (
            video_pb2.VIDEO_STATUS_COMPLETED,
            video_pb2.VIDEO_STATUS_FAILED,
            video_pb2.VIDEO_STATUS_CANCELLED,
        ),
    ) -> video_pb2.VideoJob:
        deadline = time.monotonic() + timeout
        while True:
            video = await self.videos.GetVideo(
                video_pb2.GetVideoRequest(owner_id=owner, video_id=video_id)
            )
            if video.status in until:
                return video
            if time.monotonic() > deadline:
                raise TimeoutError(f"video {video_id} still {video.status}")
            await asyncio.sleep(0.2)


@asynccontextmanager
async def video_mesh(
    nats_url: str,
    s3_endpoint: str,
    namespace: str,
    data_dir: Path,
    *,
    worker: bool = True,
    video_overrides: dict[str, Any] | None = None,
    worker_overrides: dict[str, Any] | None = None,
    database_url: str = "sqlite+aiosqlite:///{data_dir}/{service}.db",
) -> AsyncIterator[VideoMesh]:
    common: dict[str, Any] = {
        "nats_url": nats_url,
        "bus_namespace": namespace,
        "s3_endpoint": s3_endpoint,
        "s3_bucket": f"test-{namespace}",
        "data_dir": data_dir,
        "database_url": database_url,
        "log_json": False,
    }
    avatars, poses = FakeAvatars(), FakePoses()
    async with AsyncExitStack() as stack:
        billing_rt = await stack.enter_async_context(
            running(BILLING, BillingSettings().model_copy(update=common), port=0)
        )
        fakes_rt = await stack.enter_async_context(
            running(fakes_spec(avatars, poses), Settings().model_copy(update=common), port=0)
        )
        addrs = {
            "billing_addr": f"127.0.0.1:{billing_rt.server.bound_port}",
            "avatar_addr": f"127.0.0.1:{fakes_rt.server.bound_port}",
            "pose_addr": f"127.0.0.1:{fakes_rt.server.bound_port}",
        }
        video_settings = VideoSettings().model_copy(
            update={**common, **addrs, **(video_overrides or {})}
        )
        video_rt = await stack.enter_async_context(running(VIDEO, video_settings, port=0))
        video_addr = f"127.0.0.1:{video_rt.server.bound_port}"
        if worker:
            worker_settings = WorkerSettings().model_copy(
                update={**common, **addrs, "video_addr": video_addr, **(worker_overrides or {})}
            )
            await stack.enter_async_context(running(WORKER, worker_settings, port=0))
        video_ch = await stack.enter_async_context(channel(video_addr))
        billing_ch = await stack.enter_async_context(channel(addrs["billing_addr"]))
        storage = Storage(video_settings)
        await storage.ensure_bucket()
        yield VideoMesh(
            videos=video_pb2_grpc.VideoServiceStub(video_ch),
            billing=billing_pb2_grpc.BillingServiceStub(billing_ch),
            storage=storage,
            avatars=avatars,
            poses=poses,
            settings=video_settings.model_copy(update={"video_addr": video_addr}),
        )
