"""The PoseService gRPC servicer: protobuf in, a typed call, protobuf out."""

from __future__ import annotations

from typing import TypeAlias

import grpc

from avatarmesh.v1 import pose_pb2 as pb
from avatarmesh.v1 import pose_pb2_grpc as pb_grpc
from services.pose.logic import Pose
from services.pose.poses import Poses

Context: TypeAlias = grpc.aio.ServicerContext


class PoseServicer(pb_grpc.PoseServiceServicer):
    def __init__(self, poses: Poses) -> None:
        self.poses = poses

    async def CreatePose(self, request: pb.CreatePoseRequest, context: Context) -> pb.Pose:
        pose = await self.poses.create(
            request.owner_id, request.avatar_id, request.prompt, request.name
        )
        return pose_pb(pose)

    async def ListPoses(
        self, request: pb.ListPosesRequest, context: Context
    ) -> pb.ListPosesResponse:
        poses = await self.poses.list(request.owner_id, request.avatar_id)
        return pb.ListPosesResponse(poses=[pose_pb(p) for p in poses])

    async def GetPose(self, request: pb.GetPoseRequest, context: Context) -> pb.Pose:
        return pose_pb(await self.poses.get(request.owner_id, request.pose_id))

    async def DeletePosesForAvatar(
        self, request: pb.DeletePosesForAvatarRequest, context: Context
    ) -> pb.DeletePosesForAvatarResponse:
        deleted = await self.poses.delete_for_avatar(request.avatar_id)
        return pb.DeletePosesForAvatarResponse(deleted=deleted)


def pose_pb(pose: Pose) -> pb.Pose:
    reply = pb.Pose(
        id=pose.id,
        avatar_id=pose.avatar_id,
        owner_id=pose.owner_id,
        name=pose.name,
        prompt=pose.prompt,
        image_key=pose.image_key,
        status=pb.POSE_STATUS_READY if pose.ready else pb.POSE_STATUS_PENDING,
        is_base=pose.is_base,
        cost_micros=pose.cost_micros,
        applied_json=pose.applied_json,
    )
    reply.created_at.FromDatetime(pose.created_at)
    return reply
