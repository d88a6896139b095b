"""gRPC servicer for WebhookService.

Its RPCs arrive with their feature; until then the generated base class answers
UNIMPLEMENTED (mapped to the NOT_IMPLEMENTED error code).
"""

from __future__ import annotations

from avatarmesh.v1 import webhook_pb2_grpc


class WebhookServicer(webhook_pb2_grpc.WebhookServiceServicer):
    pass
