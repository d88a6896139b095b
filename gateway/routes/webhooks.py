"""Webhooks over REST: the caller's signing secret (read, rotate) and the recorded
delivery attempts of their video events. See docs/webhooks.md for the signature scheme."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field

from avatarmesh.v1 import webhook_pb2 as pb
from gateway.deps import Clients, Owner
from gateway.errors import ERROR_RESPONSES

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
    event: str = Field(description="video.completed or video.failed")
    video_gen_id: str
    url: str
    attempt: int = Field(description="1 for the first attempt of this event")
    status_code: int | None = Field(description="The receiver's HTTP status; null: no answer")
    error: str | None
    duration_ms: int
    at: datetime
    delivery_status: str = Field(description="The event's delivery: pending, delivered, failed")


class DeliveryAttempts(BaseModel):
    data: list[DeliveryAttemptOut]


@router.get("/webhooks/secret", summary="The caller's webhook signing secret")
async def get_secret(owner: Owner, clients: Clients) -> SigningSecretOut:
    reply = await clients.webhook.GetSigningSecret(pb.GetSigningSecretRequest(owner_id=owner))
    return _secret(reply)


@router.post(
    "/webhooks/secret/rotate",
    summary="Replace the signing secret (the old one also signs for 24 hours)",
)
async def rotate_secret(owner: Owner, clients: Clients) -> SigningSecretOut:
    reply = await clients.webhook.RotateSigningSecret(pb.RotateSigningSecretRequest(owner_id=owner))
    return _secret(reply)


@router.get("/webhooks/deliveries", summary="Recorded webhook delivery attempts, newest first")
async def list_deliveries(
    owner: Owner,
    clients: Clients,
    video_id: Annotated[str | None, Query(max_length=64, description="Only this video's")] = None,
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
        url=attempt.url,
        attempt=attempt.attempt,
        status_code=attempt.status_code or None,
        error=attempt.error or None,
        duration_ms=attempt.duration_ms,
        at=attempt.at.ToDatetime(tzinfo=UTC),
        delivery_status=attempt.delivery_status,
    )
