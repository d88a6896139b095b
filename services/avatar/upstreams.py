"""The billing and pose services as the avatar service uses them: typed calls in and
out (the gRPC messages stay in this module)."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from avatarmesh.billing import capture_hold, hold_money, release_hold
from avatarmesh.errors import DomainError, ErrorCode
from avatarmesh.money import Micros
from avatarmesh.v1 import billing_pb2, billing_pb2_grpc, pose_pb2, pose_pb2_grpc

log = logging.getLogger(__name__)

# Billing codes that mean "try again later" rather than "this will never work".
TRANSIENT = (ErrorCode.SERVICE_UNAVAILABLE, ErrorCode.UPSTREAM_ERROR, ErrorCode.INTERNAL_ERROR)


@dataclass
class Upstreams:
    billing: billing_pb2_grpc.BillingServiceStub
    poses: pose_pb2_grpc.PoseServiceStub

    async def creation_price(self) -> Micros:
        book = await self.billing.GetPriceBook(billing_pb2.GetPriceBookRequest())
        return int(book.avatar_creation_micros)

    async def hold(self, owner_id: str, amount: Micros, avatar_id: str, ttl_seconds: int) -> str:
        """Hold the creation price (idempotent per avatar); the hold's id."""
        record = await hold_money(
            self.billing,
            owner_id=owner_id,
            amount_micros=amount,
            purpose=billing_pb2.CHARGE_PURPOSE_AVATAR_CREATION,
            reference=avatar_id,
            ttl_seconds=ttl_seconds,
        )
        return str(record.id)

    async def settle_hold(self, avatar_id: str, hold_id: str, amount: Micros | None) -> None:
        """Capture ``amount`` of the creation hold, or release it (``amount`` None);
        idempotent by key. A transient billing failure raises (the event is
        redelivered); a refusal (the hold already expired, say) is logged and the
        avatar settles anyway: the customer is never charged twice, at worst not at all."""
        try:
            if amount is not None:
                await capture_hold(self.billing, hold_id, amount, avatar_id)
            else:
                await self.release(avatar_id, hold_id)
        except DomainError as exc:
            if exc.code in TRANSIENT:
                raise
            action = "release" if amount is None else "capture"
            log.error("%s of the hold for %s refused: %s", action, avatar_id, exc)

    async def release(self, avatar_id: str, hold_id: str) -> None:
        await release_hold(self.billing, hold_id, avatar_id)

    async def give_back(self, avatar_id: str, hold_id: str) -> None:
        """Release a hold nothing was written for; only a transient failure raises."""
        try:
            await self.release(avatar_id, hold_id)
        except DomainError as exc:
            log.warning("release of the hold for %s failed: %s", avatar_id, exc)
            if exc.code in TRANSIENT:
                raise

    async def delete_poses(self, owner_id: str, avatar_id: str) -> None:
        await self.poses.DeletePosesForAvatar(
            pose_pb2.DeletePosesForAvatarRequest(owner_id=owner_id, avatar_id=avatar_id)
        )
