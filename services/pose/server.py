"""gRPC servicer for PoseService: thin, the rules live in ``services.pose.logic``."""

from __future__ import annotations

from typing import Any

from avatarmesh.v1 import pose_pb2, pose_pb2_grpc
from services.pose.logic import Poses


class PoseServicer(pose_pb2_grpc.PoseServiceServicer):
    def __init__(self, poses: Poses) -> None:
        self.poses = poses

    async def CreatePose(self, request: pose_pb2.CreatePoseRequest, context: Any) -> pose_pb2.Pose:
        return await self.poses.create(request)

    async def ListPoses(
        self, request: pose_pb2.ListPosesRequest, context: Any
    ) -> pose_pb2.ListPosesResponse:
        return await self.poses.list(request.owner_id, request.avatar_id)

    async def GetPose(self, request: pose_pb2.GetPoseRequest, context: Any) -> pose_pb2.Pose:
        return await self.poses.get(request.owner_id, request.pose_id)

    async def DeletePosesForAvatar(
        self, request: pose_pb2.DeletePosesForAvatarRequest, context: Any
    ) -> pose_pb2.DeletePosesForAvatarResponse:
        deleted = await self.poses.delete_for_avatar(request.avatar_id)
        return pose_pb2.DeletePosesForAvatarResponse(deleted=deleted)
