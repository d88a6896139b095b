"""gRPC servicer for PoseService.

Its RPCs arrive with their feature; until then the generated base class answers
UNIMPLEMENTED (mapped to the NOT_IMPLEMENTED error code).
"""

from __future__ import annotations

from avatarmesh.v1 import pose_pb2_grpc


class PoseServicer(pose_pb2_grpc.PoseServiceServicer):
    pass
