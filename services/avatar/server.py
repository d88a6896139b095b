"""gRPC servicer for AvatarService.

Its RPCs arrive with their feature; until then the generated base class answers
UNIMPLEMENTED (mapped to the NOT_IMPLEMENTED error code).
"""

from __future__ import annotations

from avatarmesh.v1 import avatar_pb2_grpc


class AvatarServicer(avatar_pb2_grpc.AvatarServiceServicer):
    pass
