"""gRPC servicer for AvatarService: thin, the rules live in ``services.avatar.logic``."""

from __future__ import annotations

from typing import Any

from avatarmesh.v1 import avatar_pb2, avatar_pb2_grpc
from services.avatar.logic import Avatars


class AvatarServicer(avatar_pb2_grpc.AvatarServiceServicer):
    def __init__(self, avatars: Avatars) -> None:
        self.avatars = avatars

    async def CreateAvatar(
        self, request: avatar_pb2.CreateAvatarRequest, context: Any
    ) -> avatar_pb2.CreateAvatarResponse:
        return await self.avatars.create(request)

    async def GetAvatar(
        self, request: avatar_pb2.GetAvatarRequest, context: Any
    ) -> avatar_pb2.Avatar:
        return await self.avatars.get(request.owner_id, request.avatar_id)

    async def ListAvatars(
        self, request: avatar_pb2.ListAvatarsRequest, context: Any
    ) -> avatar_pb2.ListAvatarsResponse:
        return await self.avatars.list(request.owner_id, request.page.page, request.page.limit)

    async def DeleteAvatar(
        self, request: avatar_pb2.DeleteAvatarRequest, context: Any
    ) -> avatar_pb2.DeleteAvatarResponse:
        await self.avatars.delete(request.owner_id, request.avatar_id)
        return avatar_pb2.DeleteAvatarResponse()

    async def Synthesize(
        self, request: avatar_pb2.SynthesizeRequest, context: Any
    ) -> avatar_pb2.SynthesizeResponse:
        return await self.avatars.synthesize(request)

    async def GetVoice(
        self, request: avatar_pb2.GetVoiceRequest, context: Any
    ) -> avatar_pb2.Voice:
        return await self.avatars.voice(request.owner_id, request.tts_voice_id)
