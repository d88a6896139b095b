"""The VideoService gRPC servicer: protobuf in, a typed call, protobuf out.

No rules live here; DomainErrors travel to the caller through the platform
interceptor with their documented codes.
"""

from __future__ import annotations

from datetime import datetime
from typing import TypeAlias

import grpc
from google.protobuf.timestamp_pb2 import Timestamp

from avatarmesh.labels import decode_labels, decode_metadata
from avatarmesh.tiers import TIER_FROM_PB, TIER_TO_PB, Tier
from avatarmesh.v1 import common_pb2
from avatarmesh.v1 import video_pb2 as pb
from avatarmesh.v1 import video_pb2_grpc as pb_grpc
from services.video.canary import Canaries
from services.video.logic import AudioInput, Canary, Video, VideoRequest, VideoStatus
from services.video.reconcile import Videos
from services.video.studio import StudioSubmissions
from services.video.submit import Submissions

Context: TypeAlias = grpc.aio.ServicerContext

_STATUS_TO_PB = {
    VideoStatus.QUEUED: pb.VIDEO_STATUS_QUEUED,
    VideoStatus.PROCESSING: pb.VIDEO_STATUS_PROCESSING,
    VideoStatus.SETTLING: pb.VIDEO_STATUS_PROCESSING,  # internal: shown as processing
    VideoStatus.COMPLETED: pb.VIDEO_STATUS_COMPLETED,
    VideoStatus.FAILED: pb.VIDEO_STATUS_FAILED,
    VideoStatus.CANCELLED: pb.VIDEO_STATUS_CANCELLED,
}


class VideoServicer(pb_grpc.VideoServiceServicer):
    def __init__(
        self,
        submissions: Submissions,
        videos: Videos,
        canaries: Canaries,
        studio: StudioSubmissions | None = None,
    ) -> None:
        self.submissions = submissions
        self.videos = videos
        self.canaries = canaries
        self.studio = studio or StudioSubmissions(submissions)

    async def CreateStudioVideo(
        self, request: pb.CreateStudioVideoRequest, context: Context
    ) -> pb.VideoJob:
        return video_pb(
            await self.studio.create(
                request.owner_id, request.request_json, request.idempotency_key
            )
        )

    async def CreateVideo(self, request: pb.CreateVideoRequest, context: Context) -> pb.VideoJob:
        return video_pb(await self.submissions.create(video_request(request)))

    async def GetVideo(self, request: pb.GetVideoRequest, context: Context) -> pb.VideoJob:
        return video_pb(await self.videos.get(request.owner_id, request.video_id))

    async def CancelVideo(self, request: pb.CancelVideoRequest, context: Context) -> pb.VideoJob:
        return video_pb(await self.videos.cancel(request.owner_id, request.video_id))

    async def ListVideos(
        self, request: pb.ListVideosRequest, context: Context
    ) -> pb.ListVideosResponse:
        videos, page, limit, total = await self.videos.list(
            request.owner_id,
            request.page.page,
            request.page.limit,
            request.kind or "avatar",
            list(request.labels),
            list(request.metadata),
        )
        return pb.ListVideosResponse(
            videos=[video_pb(v) for v in videos],
            page=common_pb2.PageInfo(page=page, limit=limit, total=total),
        )

    async def StartCanary(self, request: pb.StartCanaryRequest, context: Context) -> pb.Canary:
        return canary_pb(await self.canaries.start())

    async def GetCanary(self, request: pb.GetCanaryRequest, context: Context) -> pb.Canary:
        return canary_pb(await self.canaries.get(request.canary_id))


def video_request(request: pb.CreateVideoRequest) -> VideoRequest:
    audio = None
    if request.HasField("audio") and request.audio.WhichOneof("source") is not None:
        audio = AudioInput(
            storage_key=request.audio.storage_key,
            https_url=request.audio.https_url,
            content_type=request.audio.content_type,
        )
    tier = Tier.AVATAR if not request.tier else TIER_FROM_PB.get(request.tier)
    return VideoRequest(
        owner_id=request.owner_id,
        avatar_id=request.avatar_id,
        text=request.text,
        audio=audio,
        tier=tier,
        pose_id=request.pose_id,
        video_prompt=request.video_prompt,
        webhook_url=request.webhook_url,
        resolution=request.resolution,
        fps=request.fps,
        output_format=request.output_format,
        idempotency_key=request.idempotency_key,
        labels=tuple(request.labels),
        metadata=tuple(request.metadata.items()),
        watermark_mode=request.watermark_mode,
        output_temporary=request.output_temporary,
    )


def video_pb(video: Video) -> pb.VideoJob:
    job = pb.VideoJob(
        id=video.id,
        owner_id=video.owner_id,
        avatar_id=video.avatar_id,
        pose_id=video.pose_id,
        tier=TIER_TO_PB[video.tier],
        status=_STATUS_TO_PB[video.status],
        text=video.text,
        video_prompt=video.video_prompt,
        webhook_url=video.webhook_url,
        resolution=video.resolution,
        fps=video.fps,
        estimated_seconds=video.estimated_seconds,
        actual_seconds=video.actual_seconds or 0.0,
        cost_micros=video.cost_micros,
        video_key=video.video_key,
        poster_key=video.poster_key,
        error=video.error,
        progress=1.0 if video.status is VideoStatus.COMPLETED else video.progress,
        has_audio_input=bool(video.audio_key),
        output_format=video.output_format,
        created_at=_timestamp(video.created_at),
        kind=video.kind,
        studio_json=video.studio_json,
        result_json=video.result_json,
        labels=decode_labels(video.labels_json),
        metadata=decode_metadata(video.metadata_json),
        output_temporary=video.output_temporary,
    )
    if video.actual_cost_micros is not None:
        job.actual_cost_micros = video.actual_cost_micros
    if video.completed_at is not None:
        job.completed_at.CopyFrom(_timestamp(video.completed_at))
    return job


def canary_pb(canary: Canary) -> pb.Canary:
    return pb.Canary(
        id=canary.id,
        status=canary.status.value,
        worker=canary.worker,
        round_trip_ms=canary.round_trip_ms,
    )


def _timestamp(at: datetime) -> Timestamp:
    stamp = Timestamp()
    stamp.FromDatetime(at)
    return stamp
