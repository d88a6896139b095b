"""The avatar, pose and billing services as the video service uses them: typed calls
in, the ``logic`` facts out (the gRPC messages stay in this module)."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any, Protocol

from avatarmesh.billing import capture_hold, hold_money, release_hold
from avatarmesh.errors import DomainError, ErrorCode
from avatarmesh.money import Micros
from avatarmesh.v1 import avatar_pb2, billing_pb2, pose_pb2
from services.video.logic import AvatarFacts, PoseFacts, Prices, VoiceFacts

log = logging.getLogger(__name__)


class AvatarLookup(Protocol):
    async def GetAvatar(
        self, request: avatar_pb2.GetAvatarRequest, **kwargs: Any
    ) -> avatar_pb2.Avatar: ...

    async def GetVoice(
        self, request: avatar_pb2.GetVoiceRequest, **kwargs: Any
    ) -> avatar_pb2.Voice: ...


class PoseLookup(Protocol):
    async def GetPose(self, request: pose_pb2.GetPoseRequest, **kwargs: Any) -> pose_pb2.Pose: ...


class Billing(Protocol):
    async def Hold(
        self, request: billing_pb2.HoldRequest, **kwargs: Any
    ) -> billing_pb2.HoldRecord: ...

    async def Capture(
        self, request: billing_pb2.CaptureRequest, **kwargs: Any
    ) -> billing_pb2.HoldRecord: ...

    async def Release(
        self, request: billing_pb2.ReleaseRequest, **kwargs: Any
    ) -> billing_pb2.HoldRecord: ...

    async def GetHold(
        self, request: billing_pb2.GetHoldRequest, **kwargs: Any
    ) -> billing_pb2.HoldRecord: ...

    async def GetPriceBook(
        self, request: billing_pb2.GetPriceBookRequest, **kwargs: Any
    ) -> billing_pb2.PriceBook: ...


@dataclass
class Upstreams:
    avatars: AvatarLookup
    poses: PoseLookup
    billing: Billing

    async def avatar(self, owner_id: str, avatar_id: str) -> AvatarFacts:
        avatar = await self.avatars.GetAvatar(
            avatar_pb2.GetAvatarRequest(owner_id=owner_id, avatar_id=avatar_id)
        )
        return AvatarFacts(
            id=avatar.id,
            ready=avatar.status == avatar_pb2.AVATAR_STATUS_READY,
            portrait_key=avatar.portrait_key,
            tts_voice_id=avatar.tts_voice_id,
            language=avatar.language,
        )

    async def pose(self, owner_id: str, pose_id: str) -> PoseFacts:
        pose = await self.poses.GetPose(pose_pb2.GetPoseRequest(owner_id=owner_id, pose_id=pose_id))
        return PoseFacts(
            avatar_id=pose.avatar_id,
            ready=pose.status == pose_pb2.POSE_STATUS_READY,
            image_key=pose.image_key,
        )

    async def voice(self, owner_id: str, tts_voice_id: str) -> VoiceFacts:
        voice = await self.avatars.GetVoice(
            avatar_pb2.GetVoiceRequest(owner_id=owner_id, tts_voice_id=tts_voice_id)
        )
        return VoiceFacts(profile_json=voice.profile_json, language=voice.language)

    async def prices(self) -> Prices:
        book = await self.billing.GetPriceBook(billing_pb2.GetPriceBookRequest())
        return Prices(
            avatar=int(book.video_avatar_micros_per_second),
            avatar_pro=int(book.video_avatar_pro_micros_per_second),
        )

    async def hold(self, owner_id: str, amount: Micros, video_id: str, ttl_seconds: int) -> str:
        """Hold ``amount`` for the video (idempotent per video); the hold's id."""
        record = await hold_money(
            self.billing,
            owner_id=owner_id,
            amount_micros=amount,
            purpose=billing_pb2.CHARGE_PURPOSE_VIDEO,
            reference=video_id,
            ttl_seconds=ttl_seconds,
        )
        return record.id

    async def release(self, hold_id: str, video_id: str) -> None:
        await release_hold(self.billing, hold_id, video_id)

    async def release_quietly(self, hold_id: str, video_id: str) -> None:
        """Release a hold; on failure log it (billing's hold TTL releases it anyway)."""
        try:
            await self.release(hold_id, video_id)
        except Exception as exc:
            log.warning("releasing hold %s of video %s failed: %s", hold_id, video_id, exc)

    async def capture(self, hold_id: str, amount: Micros, video_id: str) -> Micros | None:
        """Capture ``amount`` (release when 0); the captured micros, None if nothing
        could be captured (the hold expired meanwhile: the video is then free)."""
        if amount <= 0:
            await self.release(hold_id, video_id)
            return 0
        try:
            record = await capture_hold(self.billing, hold_id, amount, video_id)
            return int(record.captured_micros)
        except DomainError as exc:
            if exc.code not in (ErrorCode.CONFLICT, ErrorCode.VALIDATION_ERROR):
                raise  # billing unavailable: the bus retries the event
            hold = await self.billing.GetHold(billing_pb2.GetHoldRequest(hold_id=hold_id))
            if hold.status == billing_pb2.HOLD_STATUS_CAPTURED:
                return int(hold.captured_micros)
            log.error("video %s: hold %s could not be captured (%s)", video_id, hold_id, exc)
            return None
