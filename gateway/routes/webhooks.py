"""Webhooks over REST: the caller's signing secret (read, rotate), the recorded
delivery attempts, and webhook endpoints (receivers with their own secret and event
filter, a delivery log each and a test event). See docs/webhooks.md."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Query, Response, status
from pydantic import BaseModel, ConfigDict, Field

from avatarmesh.errors import ErrorCode
from avatarmesh.ids import IdPrefix
from avatarmesh.v1 import webhook_pb2 as pb
from gateway.bodies import RequestBody
from gateway.deps import Clients, Owner
from gateway.errors import ERROR_RESPONSES
from gateway.schema import API_CODES, BODY_CODES, NO_NUL, URL_TAIL, errors, id_pattern, path_id

router = APIRouter(prefix="/api/v1", tags=["webhooks"], responses=ERROR_RESPONSES)


class SigningSecretOut(BaseModel):
    secret: str = Field(description="whsec_...: the HMAC-SHA256 key deliveries are signed with")
    created_at: datetime
    previous_valid_until: datetime | None = Field(
        default=None,
        description="After a rotation: until then deliveries also carry a signature "
        "made with the previous secret",
    )


class DeliveryAttemptOut(BaseModel):
    id: str
    event_id: str = Field(description="The Webhook-Id receivers de-duplicate on")
    event: str = Field(description="video.completed, video.failed, avatar.ready, ...")
    video_gen_id: str = Field(description="What the event is about (kept name: any id)")
    subject_id: str = Field(description="What the event is about: a video, avatar, ... id")
    endpoint_id: str | None = Field(description="The webhook endpoint; null: the job's URL")
    url: str
    attempt: int = Field(description="1 for the first attempt of this event")
    status_code: int | None = Field(description="The receiver's HTTP status; null: no answer")
    error: str | None
    duration_ms: int
    at: datetime
    delivery_status: str = Field(description="The event's delivery: pending, delivered, failed")


class DeliveryAttempts(BaseModel):
    data: list[DeliveryAttemptOut]


@router.get(
    "/webhooks/secret",
    summary="The caller's webhook signing secret",
    responses=errors(API_CODES),
)
async def get_secret(owner: Owner, clients: Clients) -> SigningSecretOut:
    reply = await clients.webhook.GetSigningSecret(pb.GetSigningSecretRequest(owner_id=owner))
    return _secret(reply)


@router.post(
    "/webhooks/secret/rotate",
    summary="Replace the signing secret (the old one also signs for 24 hours)",
    responses=errors(API_CODES),
)
async def rotate_secret(owner: Owner, clients: Clients) -> SigningSecretOut:
    reply = await clients.webhook.RotateSigningSecret(pb.RotateSigningSecretRequest(owner_id=owner))
    return _secret(reply)


@router.get(
    "/webhooks/deliveries",
    summary="Recorded webhook delivery attempts, newest first",
    responses=errors(API_CODES, ErrorCode.VALIDATION_ERROR),
)
async def list_deliveries(
    owner: Owner,
    clients: Clients,
    video_id: Annotated[
        str | None,
        Query(pattern=id_pattern(IdPrefix.VIDEO), description="Only this video's"),
    ] = None,
    limit: Annotated[int, Query(ge=1, le=500, description="At most this many")] = 100,
) -> DeliveryAttempts:
    reply = await clients.webhook.ListDeliveries(
        pb.ListDeliveriesRequest(owner_id=owner, subject_id=video_id or "", limit=limit)
    )
    return DeliveryAttempts(data=[_attempt(a) for a in reply.attempts])


def _secret(reply: pb.SigningSecret) -> SigningSecretOut:
    return SigningSecretOut(
        secret=reply.secret,
        created_at=reply.created_at.ToDatetime(tzinfo=UTC),
        previous_valid_until=reply.previous_valid_until.ToDatetime(tzinfo=UTC)
        if reply.HasField("previous_valid_until")
        else None,
    )


def _attempt(attempt: pb.DeliveryAttempt) -> DeliveryAttemptOut:
    return DeliveryAttemptOut(
        id=attempt.id,
        event_id=attempt.event_id,
        event=attempt.event,
        video_gen_id=attempt.subject_id,
        subject_id=attempt.subject_id,
        endpoint_id=attempt.endpoint_id or None,
        url=attempt.url,
        attempt=attempt.attempt,
        status_code=attempt.status_code or None,
        error=attempt.error or None,
        duration_ms=attempt.duration_ms,
        at=attempt.at.ToDatetime(tzinfo=UTC),
        delivery_status=attempt.delivery_status,
    )


# -- webhook endpoints ----------------------------------------------------------------


# services/webhook/endpoints.py EVENT_TYPES, and "*" for every event.
EventName = Literal[
    "avatar.ready",
    "avatar.failed",
    "avatar.rejected",
    "video.completed",
    "video.failed",
    "studio.video.completed",
    "studio.video.failed",
    "file.archived",
    "*",
]
EndpointId = Annotated[str, path_id(IdPrefix.WEBHOOK_ENDPOINT, "webhook endpoint")]


class CreateEndpointBody(RequestBody):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    # A receiver beside `make up` (loopback is allowed there); in
                    # production an https:// URL on a public host.
                    "url": "http://127.0.0.1:8000/hooks/avatarmesh",
                    "events": ["video.completed", "video.failed"],
                    "description": "local receiver",
                }
            ]
        }
    )

    url: str = Field(
        max_length=2048,
        pattern=rf"^https?://{URL_TAIL}$",
        description="https:// URL whose host resolves to public addresses (http://127.0.0.1 "
        "only where the deployment allows loopback)",
    )
    events: list[EventName] = Field(
        min_length=1, max_length=20, description='The events to receive, or "*" for all'
    )
    description: str = Field(default="", max_length=500, pattern=NO_NUL)


class RotateEndpointBody(RequestBody):
    model_config = ConfigDict(json_schema_extra={"examples": [{"overlap_seconds": 3600}]})

    overlap_seconds: float | None = Field(
        default=None,
        ge=0,
        le=7 * 24 * 3600,
        description="How long the old secret keeps signing (default 24 h)",
    )


class EndpointOut(BaseModel):
    id: str
    url: str
    events: list[str]
    description: str
    created_at: datetime
    secret_created_at: datetime
    previous_valid_until: datetime | None = Field(
        description="After a rotation: until then deliveries also carry the old signature"
    )
    secret: str | None = Field(
        default=None, description="Only in the answers to create and rotate-secret"
    )


class Endpoints(BaseModel):
    data: list[EndpointOut]


class TestEventOut(BaseModel):
    event_id: str
    event: str = "webhook.test"


def _endpoint(reply: pb.Endpoint) -> EndpointOut:
    return EndpointOut(
        id=reply.id,
        url=reply.url,
        events=list(reply.events),
        description=reply.description,
        created_at=reply.created_at.ToDatetime(tzinfo=UTC),
        secret_created_at=reply.secret_created_at.ToDatetime(tzinfo=UTC),
        previous_valid_until=reply.previous_valid_until.ToDatetime(tzinfo=UTC)
        if reply.HasField("previous_valid_until")
        else None,
        secret=reply.secret or None,
    )


@router.post(
    "/webhooks/endpoints",
    status_code=status.HTTP_201_CREATED,
    summary="Add a webhook endpoint (its signing secret is shown only now)",
    responses=errors(BODY_CODES, API_CODES, ErrorCode.CONFLICT),
)
async def create_endpoint(body: CreateEndpointBody, owner: Owner, clients: Clients) -> EndpointOut:
    reply = await clients.webhook.CreateEndpoint(
        pb.CreateEndpointRequest(
            owner_id=owner, url=body.url, events=list(body.events), description=body.description
        )
    )
    return _endpoint(reply)


@router.get(
    "/webhooks/endpoints",
    summary="The caller's webhook endpoints",
    responses=errors(API_CODES),
)
async def list_endpoints(owner: Owner, clients: Clients) -> Endpoints:
    reply = await clients.webhook.ListEndpoints(pb.ListEndpointsRequest(owner_id=owner))
    return Endpoints(data=[_endpoint(e) for e in reply.endpoints])


@router.get(
    "/webhooks/endpoints/{endpoint_id}",
    summary="One webhook endpoint",
    responses=errors(API_CODES, ErrorCode.NOT_FOUND),
)
async def get_endpoint(endpoint_id: EndpointId, owner: Owner, clients: Clients) -> EndpointOut:
    reply = await clients.webhook.GetEndpoint(
        pb.EndpointRequest(owner_id=owner, endpoint_id=endpoint_id)
    )
    return _endpoint(reply)


@router.delete(
    "/webhooks/endpoints/{endpoint_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    response_class=Response,
    summary="Delete a webhook endpoint (its pending deliveries stop)",
    responses=errors(API_CODES, ErrorCode.NOT_FOUND),
)
async def delete_endpoint(endpoint_id: EndpointId, owner: Owner, clients: Clients) -> Response:
    await clients.webhook.DeleteEndpoint(
        pb.EndpointRequest(owner_id=owner, endpoint_id=endpoint_id)
    )
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post(
    "/webhooks/endpoints/{endpoint_id}/rotate-secret",
    summary="A new signing secret (shown once); the old one also signs for the overlap",
    responses=errors(BODY_CODES, API_CODES, ErrorCode.NOT_FOUND),
)
async def rotate_endpoint_secret(
    endpoint_id: EndpointId, owner: Owner, clients: Clients, body: RotateEndpointBody | None = None
) -> EndpointOut:
    request = pb.RotateEndpointSecretRequest(owner_id=owner, endpoint_id=endpoint_id)
    if body is not None and body.overlap_seconds is not None:
        request.overlap_seconds = body.overlap_seconds
    return _endpoint(await clients.webhook.RotateEndpointSecret(request))


@router.post(
    "/webhooks/endpoints/{endpoint_id}/test",
    status_code=status.HTTP_202_ACCEPTED,
    summary="Send a signed webhook.test event to this endpoint",
    responses=errors(API_CODES, ErrorCode.NOT_FOUND),
)
async def send_test_event(endpoint_id: EndpointId, owner: Owner, clients: Clients) -> TestEventOut:
    reply = await clients.webhook.SendTestEvent(
        pb.EndpointRequest(owner_id=owner, endpoint_id=endpoint_id)
    )
    return TestEventOut(event_id=reply.event_id)


@router.get(
    "/webhooks/endpoints/{endpoint_id}/deliveries",
    summary="This endpoint's delivery attempts, newest first",
    responses=errors(API_CODES, ErrorCode.VALIDATION_ERROR, ErrorCode.NOT_FOUND),
)
async def endpoint_deliveries(
    endpoint_id: EndpointId,
    owner: Owner,
    clients: Clients,
    limit: Annotated[int, Query(ge=1, le=500, description="At most this many")] = 100,
) -> DeliveryAttempts:
    reply = await clients.webhook.ListDeliveries(
        pb.ListDeliveriesRequest(owner_id=owner, endpoint_id=endpoint_id, limit=limit)
    )
    return DeliveryAttempts(data=[_attempt(a) for a in reply.attempts])
