"""The canary: operators start a synthetic job that crosses the whole mesh (video
service, outbox, JetStream, a worker, events, back) and poll until it completes."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, status
from pydantic import BaseModel

from avatarmesh.errors import ErrorCode
from avatarmesh.ids import IdPrefix
from avatarmesh.v1 import video_pb2
from gateway.deps import AdminCaller, Clients
from gateway.errors import ERROR_RESPONSES
from gateway.schema import ADMIN_CODES, errors, path_id

router = APIRouter(prefix="/admin/v1", tags=["admin"], responses=ERROR_RESPONSES)


class CanaryOut(BaseModel):
    id: str
    status: str
    worker: str | None
    round_trip_ms: float | None

    @classmethod
    def of(cls, canary: video_pb2.Canary) -> CanaryOut:
        done = canary.status == "completed"
        return cls(
            id=canary.id,
            status=canary.status,
            worker=canary.worker or None,
            round_trip_ms=round(canary.round_trip_ms, 1) if done else None,
        )


@router.post(
    "/canary",
    status_code=status.HTTP_202_ACCEPTED,
    summary="Start a canary job",
    responses=errors(ADMIN_CODES),
)
async def start_canary(_admin: AdminCaller, clients: Clients) -> CanaryOut:
    return CanaryOut.of(await clients.video.StartCanary(video_pb2.StartCanaryRequest()))


@router.get(
    "/canary/{canary_id}",
    summary="Poll a canary job",
    responses=errors(ADMIN_CODES, ErrorCode.NOT_FOUND),
)
async def get_canary(
    canary_id: Annotated[str, path_id(IdPrefix.JOB, "canary")],
    _admin: AdminCaller,
    clients: Clients,
) -> CanaryOut:
    return CanaryOut.of(
        await clients.video.GetCanary(video_pb2.GetCanaryRequest(canary_id=canary_id))
    )
