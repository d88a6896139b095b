"""The WebhookService gRPC servicer: protobuf in, typed calls, protobuf out."""

from __future__ import annotations

from typing import TypeAlias

import grpc

from avatarmesh.db import Database
from avatarmesh.service import Servicer
from avatarmesh.v1 import webhook_pb2 as pb
from avatarmesh.v1 import webhook_pb2_grpc as pb_grpc
from services.webhook.history import list_attempts
from services.webhook.logic import AttemptRecord, SigningSecret
from services.webhook.secrets import SigningSecrets

Context: TypeAlias = grpc.aio.ServicerContext


class WebhookServicer(pb_grpc.WebhookServiceServicer):
    def __init__(self, db: Database, secrets: SigningSecrets) -> None:
        self.db = db
        self.secrets = secrets

    async def GetSigningSecret(
        self, request: pb.GetSigningSecretRequest, context: Context
    ) -> pb.SigningSecret:
        return secret_pb(await self.secrets.get(request.owner_id))

    async def RotateSigningSecret(
        self, request: pb.RotateSigningSecretRequest, context: Context
    ) -> pb.SigningSecret:
        return secret_pb(await self.secrets.rotate(request.owner_id))

    async def ListDeliveries(
        self, request: pb.ListDeliveriesRequest, context: Context
    ) -> pb.ListDeliveriesResponse:
        records = await list_attempts(self.db, request.owner_id, request.subject_id, request.limit)
        return pb.ListDeliveriesResponse(attempts=[attempt_pb(r) for r in records])


def servicer(db: Database, secrets: SigningSecrets) -> Servicer:
    impl = WebhookServicer(db, secrets)
    return Servicer(
        "avatarmesh.v1.WebhookService",
        lambda server: pb_grpc.add_WebhookServiceServicer_to_server(impl, server),
    )


def secret_pb(secret: SigningSecret) -> pb.SigningSecret:
    reply = pb.SigningSecret(owner_id=secret.owner_id, secret=secret.secret)
    reply.created_at.FromDatetime(secret.created_at)
    if secret.previous_secret and secret.previous_valid_until is not None:
        reply.previous_valid_until.FromDatetime(secret.previous_valid_until)
    return reply


def attempt_pb(record: AttemptRecord) -> pb.DeliveryAttempt:
    reply = pb.DeliveryAttempt(
        id=record.id,
        event_id=record.event_id,
        url=record.url,
        attempt=record.attempt,
        status_code=record.status_code,
        error=record.error,
        duration_ms=record.duration_ms,
        event=record.event,
        subject_id=record.subject_id,
        delivery_status=record.delivery_status,
    )
    reply.at.FromDatetime(record.at)
    return reply
