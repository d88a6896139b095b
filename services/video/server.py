"""gRPC servicer for VideoService: thin translation to the rules in ``logic``."""

from __future__ import annotations

import grpc

from avatarmesh.v1 import video_pb2, video_pb2_grpc
from services.video.canary import Canaries
from services.video.logic import Videos


class VideoServicer(video_pb2_grpc.VideoServiceServicer):
    def __init__(self, canaries: Canaries, videos: Videos) -> None:
        self.canaries = canaries
        self.videos = videos

    async def CreateVideo(
        self, request: video_pb2.CreateVideoRequest, context: grpc.aio.ServicerContext
    ) -> video_pb2.VideoJob:
        return await self.videos.create(request)

    async def GetVideo(
        self, request: video_pb2.GetVideoRequest, context: grpc.aio.ServicerContext
    ) -> video_pb2.VideoJob:
        return await self.videos.get(request.owner_id, request.video_id)

    async def CancelVideo(
        self, request: video_pb2.CancelVideoRequest, context: grpc.aio.ServicerContext
    ) -> video_pb2.VideoJob:
        return await self.videos.cancel(request.owner_id, request.video_id)

    async def ListVideos(
        self, request: video_pb2.ListVideosRequest, context: grpc.aio.ServicerContext
    ) -> video_pb2.ListVideosResponse:
        return await self.videos.list(request.owner_id, request.page.page, request.page.limit)

    async def StartCanary(
        self, request: video_pb2.StartCanaryRequest, context: grpc.aio.ServicerContext
    ) -> video_pb2.Canary:
        return await self.canaries.start()

    async def GetCanary(
        self, request: video_pb2.GetCanaryRequest, context: grpc.aio.ServicerContext
    ) -> video_pb2.Canary:
        return await self.canaries.get(request.canary_id)
