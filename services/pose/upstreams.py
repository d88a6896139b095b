"""The avatar and billing services as the pose service uses them: typed calls in, the
``logic`` facts out (the gRPC messages stay in this module)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC

from avatarmesh.billing import capture_hold, release_hold
from avatarmesh.money import Micros
from avatarmesh.v1 import avatar_pb2, avatar_pb2_grpc, billing_pb2, billing_pb2_grpc
from services.pose.logic import AvatarFacts


@dataclass
class GrpcUpstreams:
    avatars: avatar_pb2_grpc.AvatarServiceStub
    billing: billing_pb2_grpc.BillingServiceStub

    async def avatar(self, owner_id: str, avatar_id: str) -> AvatarFacts:
        avatar: avatar_pb2.Avatar = await self.avatars.GetAvatar(
            avatar_pb2.GetAvatarRequest(owner_id=owner_id, avatar_id=avatar_id)
        )
        return AvatarFacts(
            id=avatar.id,
            owner_id=avatar.owner_id,
            ready=avatar.status == avatar_pb2.AVATAR_STATUS_READY,
            portrait_key=avatar.portrait_key,
            created_at=avatar.created_at.ToDatetime(tzinfo=UTC),
        )

    async def pose_price(self) -> Micros:
        book = await self.billing.GetPriceBook(billing_pb2.GetPriceBookRequest())
        return int(book.pose_micros)

    async def hold(self, owner_id: str, amount: Micros, pose_id: str) -> str:
        """Hold the pose price (billing applies the daily cap); the hold's id."""
        record = await self.billing.Hold(
            billing_pb2.HoldRequest(
                owner_id=owner_id,
                amount_micros=amount,
                idempotency_key=f"{pose_id}:hold",
                purpose=billing_pb2.CHARGE_PURPOSE_POSE,
                reference=pose_id,
            )
        )
        return str(record.id)

    async def capture(self, hold_id: str, amount: Micros, pose_id: str) -> None:
        await capture_hold(self.billing, hold_id, amount, pose_id)

    async def release(self, hold_id: str, pose_id: str) -> None:
        await release_hold(self.billing, hold_id, pose_id)
