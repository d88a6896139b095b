"""gRPC servicer for VideoService: thin translation to the rules.

Video generation itself (CreateVideo, GetVideo, CancelVideo, ListVideos) arrives
with the avatar-videos feature; until then the base class answers UNIMPLEMENTED.
"""

from __future__ import annotations

import grpc

from avatarmesh.v1 import video_pb2, video_pb2_grpc
from services.video.canary import Canaries


class VideoServicer(video_pb2_grpc.VideoServiceServicer):
    def __init__(self, canaries: Canaries) -> None:
        self.canaries = canaries

    async def StartCanary(
        self, request: video_pb2.StartCanaryRequest, context: grpc.aio.ServicerContext
    ) -> video_pb2.Canary:
        return await self.canaries.start()

    async def GetCanary(
        self, request: video_pb2.GetCanaryRequest, context: grpc.aio.ServicerContext
    ) -> video_pb2.Canary:
        return await self.canaries.get(request.canary_id)
