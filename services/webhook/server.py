"""The WebhookService gRPC servicer: protobuf in, typed calls, protobuf out."""

from __future__ import annotations

from datetime import timedelta
from typing import TypeAlias

import grpc

from avatarmesh.db import Database
from avatarmesh.service import Servicer
from avatarmesh.v1 import webhook_pb2 as pb
from avatarmesh.v1 import webhook_pb2_grpc as pb_grpc
from services.webhook.endpoints import Endpoints
from services.webhook.history import list_attempts
from services.webhook.logic import AttemptRecord, Endpoint, SigningSecret
from services.webhook.secrets import SigningSecrets

Context: TypeAlias = grpc.aio.ServicerContext


class WebhookServicer(pb_grpc.WebhookServiceServicer):
    def __init__(self, db: Database, secrets: SigningSecrets, endpoints: Endpoints) -> None:
        self.db = db
        self.secrets = secrets
        self.endpoints = endpoints

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
        if request.endpoint_id:  # another owner's endpoint answers as a missing one
            await self.endpoints.get(request.owner_id, request.endpoint_id)
        records = await list_attempts(
            self.db, request.owner_id, request.subject_id, request.limit, request.endpoint_id
        )
        return pb.ListDeliveriesResponse(attempts=[attempt_pb(r) for r in records])

    async def CreateEndpoint(
        self, request: pb.CreateEndpointRequest, context: Context
    ) -> pb.Endpoint:
        made = await self.endpoints.create(
            request.owner_id, request.url, list(request.events), request.description
        )
        return endpoint_pb(made)

    async def ListEndpoints(
        self, request: pb.ListEndpointsRequest, context: Context
    ) -> pb.ListEndpointsResponse:
        found = await self.endpoints.list_for(request.owner_id)
        return pb.ListEndpointsResponse(endpoints=[endpoint_pb(e) for e in found])

    async def GetEndpoint(self, request: pb.EndpointRequest, context: Context) -> pb.Endpoint:
        return endpoint_pb(await self.endpoints.get(request.owner_id, request.endpoint_id))

    async def DeleteEndpoint(self, request: pb.EndpointRequest, context: Context) -> pb.Endpoint:
        return endpoint_pb(await self.endpoints.delete(request.owner_id, request.endpoint_id))

    async def RotateEndpointSecret(
        self, request: pb.RotateEndpointSecretRequest, context: Context
    ) -> pb.Endpoint:
        overlap = (
            timedelta(seconds=request.overlap_seconds)
            if request.HasField("overlap_seconds")
            else None
        )
        rotated = await self.endpoints.rotate(request.owner_id, request.endpoint_id, overlap)
        return endpoint_pb(rotated)

    async def SendTestEvent(
        self, request: pb.EndpointRequest, context: Context
    ) -> pb.TestEventResponse:
        event_id = await self.endpoints.send_test(request.owner_id, request.endpoint_id)
        return pb.TestEventResponse(event_id=event_id)


def servicer(db: Database, secrets: SigningSecrets, endpoints: Endpoints) -> Servicer:
    impl = WebhookServicer(db, secrets, endpoints)
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


def endpoint_pb(endpoint: Endpoint) -> pb.Endpoint:
    reply = pb.Endpoint(
        id=endpoint.id,
        owner_id=endpoint.owner_id,
        url=endpoint.url,
        events=list(endpoint.events),
        description=endpoint.description,
        secret=endpoint.secret,
    )
    reply.created_at.FromDatetime(endpoint.created_at)
    reply.secret_created_at.FromDatetime(endpoint.secret_created_at)
    if endpoint.previous_valid_until is not None:
        reply.previous_valid_until.FromDatetime(endpoint.previous_valid_until)
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
        endpoint_id=record.endpoint_id,
    )
    reply.at.FromDatetime(record.at)
    return reply
