"""The avatar rules: create (hold, then row + job together), read, delete, voices, and
the creation saga's settlement.

Creation: the $1.00 hold is taken first (idempotency key ``<avatar>:hold``); only when
it succeeds are the avatar row (``pending``) and the ``jobs.avatar.create`` job written,
in one transaction (outbox). A failed hold writes nothing.

Settlement: the worker reports ``events.creation.stage|succeeded|failed``. A stage
moves the avatar to ``processing`` with that stage. Success captures the hold, then
commits ``ready`` (voice stored, keys set) with ``events.avatar.ready`` in one
transaction; failure releases the hold, then commits ``failed`` with the error. The
billing call comes first and is idempotent by key (``<avatar>:capture`` /
``<avatar>:release``): a crash before the commit redelivers the event and repeats the
call harmlessly, and the commit is never visible without the money settled. The inbox
(the event's ``Nats-Msg-Id``) makes a redelivered event a no-op once committed.
"""

from __future__ import annotations

import asyncio
import io
import logging
import wave
from dataclasses import dataclass
from typing import Any

import numpy as np
from sqlalchemy import delete, func, or_, select, update

from avatarmedia.text_norm import LANGUAGES
from avatarmesh.billing import hold_money
from avatarmesh.bus import Delivery, event_meta
from avatarmesh.clock import utcnow
from avatarmesh.db import Database
from avatarmesh.errors import DomainError, ErrorCode
from avatarmesh.ids import IdPrefix, new_id
from avatarmesh.outbox import OutboxRelay, add_to_outbox, first_time
from avatarmesh.storage import Storage, StorageError, avatar_prefix
from avatarmesh.v1 import (
    avatar_pb2,
    billing_pb2,
    billing_pb2_grpc,
    common_pb2,
    events_pb2,
    jobs_pb2,
    pose_pb2,
    pose_pb2_grpc,
)
from services.avatar.config import AvatarSettings
from services.avatar.store import avatars, inbox, outbox, voices
from services.avatar.system import SYSTEM_AVATARS, SYSTEM_OWNER, SystemAvatar

log = logging.getLogger(__name__)

CREATE_SUBJECT = "jobs.avatar.create"
GENDERS = ("male", "female")
STAGES = ("portrait", "demo", "voice", "poses")
ACTIVE = ("pending", "processing")
TTS_MAX_CHARS = 600
# Billing codes that mean "try again later" rather than "this will never work".
TRANSIENT = (ErrorCode.SERVICE_UNAVAILABLE, ErrorCode.UPSTREAM_ERROR, ErrorCode.INTERNAL_ERROR)

_STATUS = {
    "pending": avatar_pb2.AVATAR_STATUS_PENDING,
    "processing": avatar_pb2.AVATAR_STATUS_PROCESSING,
    "ready": avatar_pb2.AVATAR_STATUS_READY,
    "failed": avatar_pb2.AVATAR_STATUS_FAILED,
}
_STAGE = {
    "": avatar_pb2.AVATAR_STAGE_UNSPECIFIED,
    "portrait": avatar_pb2.AVATAR_STAGE_PORTRAIT,
    "demo": avatar_pb2.AVATAR_STAGE_DEMO,
    "voice": avatar_pb2.AVATAR_STAGE_VOICE,
    "poses": avatar_pb2.AVATAR_STAGE_POSES,
}
_STAGE_NAME = {v: k for k, v in _STAGE.items()}
_SOURCE = {"generated": avatar_pb2.AVATAR_SOURCE_GENERATED, "video": avatar_pb2.AVATAR_SOURCE_VIDEO}


def voice_id_for(avatar_id: str) -> str:
    """The avatar's ``tts_voice_id``: ``voice_<avatar id body>``."""
    return "voice_" + avatar_id.split("_", 1)[-1]


def seed_for(avatar_id: str) -> int:
    """A deterministic drawing seed from the avatar id."""
    return int.from_bytes(avatar_id.encode()[-8:], "big") & 0x7FFFFFFF


def to_proto(row: Any) -> avatar_pb2.Avatar:
    avatar = avatar_pb2.Avatar(
        id=row.id,
        owner_id=row.owner_id,
        name=row.name,
        description=row.description,
        language=row.language,
        nationality=row.nationality,
        gender=row.gender,
        accent=row.accent,
        source=_SOURCE.get(row.source, avatar_pb2.AVATAR_SOURCE_UNSPECIFIED),
        status=_STATUS[row.status],
        stage=_STAGE.get(row.stage, avatar_pb2.AVATAR_STAGE_UNSPECIFIED),
        is_system=row.is_system,
        is_public=row.is_public,
        portrait_key=row.portrait_key if row.status == "ready" else "",
        demo_video_key=row.demo_video_key if row.status == "ready" else "",
        tts_voice_id=row.tts_voice_id if row.status == "ready" else "",
        cost_micros=row.cost_micros,
        error=row.error,
        portrait_kind=row.portrait_kind,
        motion=row.motion if row.status == "ready" else "",
        motion_reason=row.motion_reason if row.status == "ready" else "",
    )
    avatar.created_at.FromDatetime(row.created_at)
    avatar.updated_at.FromDatetime(row.updated_at)
    return avatar


def _check(condition: bool, message: str) -> None:
    if not condition:
        raise DomainError(ErrorCode.VALIDATION_ERROR, message)


def validate_create(req: avatar_pb2.CreateAvatarRequest) -> str:
    """The contract's field rules (the gateway checks them first); returns the source."""
    source = {
        avatar_pb2.AVATAR_SOURCE_UNSPECIFIED: "generated",
        avatar_pb2.AVATAR_SOURCE_GENERATED: "generated",
        avatar_pb2.AVATAR_SOURCE_VIDEO: "video",
    }.get(req.source)
    _check(source is not None, "source: must be generated or video")
    _check(bool(req.owner_id), "owner_id is required")
    _check(1 <= len(req.name.strip()) <= 60, "name: must be 1-60 characters")
    _check(len(req.description) <= 2000, "description: must be at most 2000 characters")
    if source == "generated":
        _check(bool(req.description.strip()), "description: required for source=generated")
    _check(req.language in LANGUAGES, f"language: must be one of {', '.join(LANGUAGES)}")
    _check(1 <= len(req.nationality.strip()) <= 60, "nationality: must be 1-60 characters")
    _check(req.gender in ("", *GENDERS), "gender: must be male or female")
    _check(len(req.accent) <= 40, "accent: must be at most 40 characters")
    if source == "video":
        _check(
            req.HasField("source_video") and bool(req.source_video.WhichOneof("source")),
            "source_video_url: required when source=video",
        )
    assert source is not None
    return source


def _upload_keys(*inputs: common_pb2.MediaInput) -> str:
    return ",".join(i.storage_key for i in inputs if i.WhichOneof("source") == "storage_key")


@dataclass
class Avatars:
    db: Database
    relay: OutboxRelay
    billing: billing_pb2_grpc.BillingServiceStub
    poses: pose_pb2_grpc.PoseServiceStub
    storage: Storage
    settings: AvatarSettings

    # -- create ----------------------------------------------------------------

    async def create(self, req: avatar_pb2.CreateAvatarRequest) -> avatar_pb2.CreateAvatarResponse:
        source = validate_create(req)
        await self._check_queue()
        price = await self.billing.GetPriceBook(billing_pb2.GetPriceBookRequest())
        amount = price.avatar_creation_micros
        avatar_id = new_id(IdPrefix.AVATAR)
        hold = await hold_money(self.billing, owner_id=req.owner_id, amount_micros=amount,
                                purpose=billing_pb2.CHARGE_PURPOSE_AVATAR_CREATION,
                                reference=avatar_id,
                                ttl_seconds=self.settings.avatar_hold_ttl_seconds)
        values = {
            "id": avatar_id,
            "owner_id": req.owner_id,
            "name": req.name.strip(),
            "description": req.description.strip(),
            "language": req.language,
            "nationality": req.nationality.strip(),
            "gender": req.gender,
            "accent": req.accent.strip(),
            "source": source,
            "is_system": False,
            "is_public": False,
            "cost_micros": amount,
            "hold_id": hold.id,
            "upload_keys": _upload_keys(req.ref_image, req.source_video),
        }
        job = self._job(values, req.ref_image, req.source_video)
        try:
            row = await self._insert(values, job)
        except Exception:
            await self._release(avatar_id, hold.id)  # nothing was written: give it back
            raise
        return avatar_pb2.CreateAvatarResponse(avatar=to_proto(row), estimated_cost_micros=amount)

    async def _check_queue(self) -> None:
        async with self.db.transaction() as s:
            waiting = await s.scalar(
                select(func.count())
                .select_from(avatars)
                .where(avatars.c.status.in_(ACTIVE), avatars.c.is_system.is_(False))
            )
        if int(waiting or 0) >= self.settings.avatar_queue_limit:
            raise DomainError(
                ErrorCode.QUEUE_FULL,
                "Avatar creation queue at capacity; retry in a minute",
                retry_after=60,
            )

    @staticmethod
    def _job(
        values: dict[str, Any],
        ref_image: common_pb2.MediaInput | None = None,
        source_video: common_pb2.MediaInput | None = None,
    ) -> jobs_pb2.AvatarCreationJob:
        job = jobs_pb2.AvatarCreationJob(
            avatar_id=values["id"],
            owner_id=values["owner_id"],
            source=values["source"],
            name=values["name"],
            description=values["description"],
            language=values["language"],
            nationality=values["nationality"],
            gender=values["gender"],
            accent=values["accent"],
            seed=seed_for(values["id"]),
            storage_prefix=avatar_prefix(values["owner_id"], values["id"]),
        )
        if ref_image is not None and ref_image.WhichOneof("source") and values["source"] != "video":
            job.ref_image.CopyFrom(ref_image)
        if source_video is not None and source_video.WhichOneof("source"):
            job.source_video.CopyFrom(source_video)
        return job

    async def _insert(self, values: dict[str, Any], job: jobs_pb2.AvatarCreationJob) -> Any:
        now = utcnow()
        row = {
            "status": "pending",
            "stage": "",
            "portrait_key": "",
            "portrait_kind": "",
            "motion": "",
            "motion_reason": "",
            "demo_video_key": "",
            "tts_voice_id": "",
            "error": "",
            "settlement": "",
            "created_at": now,
            "updated_at": now,
            **values,
        }
        async with self.db.transaction() as s:
            await s.execute(avatars.insert().values(**row))
            await add_to_outbox(s, outbox, CREATE_SUBJECT, job, msg_id=f"{values['id']}:job")
            created = (await s.execute(select(avatars).where(avatars.c.id == values["id"]))).one()
        self.relay.wake()
        return created

    # -- system avatars --------------------------------------------------------

    async def seed_system(self) -> int:
        """Insert (with their creation job) the system avatars that do not exist yet."""
        added = 0
        for system in SYSTEM_AVATARS:
            if await self._seed_one(system):
                added += 1
        if added:
            log.info("seeded %d system avatars", added)
        return added

    async def _seed_one(self, system: SystemAvatar) -> bool:
        values = {
            "id": system.id,
            "owner_id": SYSTEM_OWNER,
            "name": system.name,
            "description": system.description,
            "language": system.language,
            "nationality": system.nationality,
            "gender": system.gender,
            "accent": system.accent,
            "source": "generated",
            "is_system": True,
            "is_public": True,
            "cost_micros": 0,
            "hold_id": "",
            "upload_keys": "",
        }
        async with self.db.transaction() as s:
            exists = await s.scalar(select(avatars.c.id).where(avatars.c.id == system.id))
        if exists is not None:
            return False
        try:
            await self._insert(values, self._job(values))
        except Exception as exc:  # another replica seeded it first
            log.info("system avatar %s not seeded here: %s", system.id, exc)
            return False
        return True

    # -- read ------------------------------------------------------------------

    @staticmethod
    def _visible(owner_id: str) -> Any:
        return or_(avatars.c.owner_id == owner_id, avatars.c.is_system.is_(True))

    async def get(self, owner_id: str, avatar_id: str) -> avatar_pb2.Avatar:
        async with self.db.transaction() as s:
            row = (
                await s.execute(
                    select(avatars).where(avatars.c.id == avatar_id, self._visible(owner_id))
                )
            ).first()
        if row is None:
            raise DomainError(ErrorCode.NOT_FOUND, "Avatar not found")
        return to_proto(row)

    async def list(self, owner_id: str, page: int, limit: int) -> avatar_pb2.ListAvatarsResponse:
        page = page or 1
        limit = limit or 20
        _check(page >= 1, "page: must be at least 1")
        _check(1 <= limit <= 100, "limit: must be between 1 and 100")
        where = self._visible(owner_id)
        async with self.db.transaction() as s:
            total = await s.scalar(select(func.count()).select_from(avatars).where(where))
            rows = (
                await s.execute(
                    select(avatars)
                    .where(where)
                    .order_by(avatars.c.is_system, avatars.c.created_at.desc(), avatars.c.id)
                    .offset((page - 1) * limit)
                    .limit(limit)
                )
            ).all()
        return avatar_pb2.ListAvatarsResponse(
            avatars=[to_proto(r) for r in rows],
            page=common_pb2.PageInfo(page=page, limit=limit, total=int(total or 0)),
        )

    # -- delete ----------------------------------------------------------------

    async def delete(self, owner_id: str, avatar_id: str) -> None:
        """Poses, stored objects (portrait, demo, poses), voice and row; the video
        service deletes the avatar's videos on ``events.avatar.deleted``. Every step is
        idempotent, so a failed delete can simply be repeated."""
        async with self.db.transaction() as s:
            row = (await s.execute(select(avatars).where(avatars.c.id == avatar_id))).first()
        if row is None:
            raise DomainError(ErrorCode.NOT_FOUND, "Avatar not found")
        if row.is_system:
            raise DomainError(ErrorCode.FORBIDDEN, "System avatars cannot be deleted")
        if row.owner_id != owner_id:
            raise DomainError(ErrorCode.FORBIDDEN, "Avatar not owned by caller")
        if row.status in ACTIVE and row.hold_id and not row.settlement:
            await self._release(avatar_id, row.hold_id)
        await self.poses.DeletePosesForAvatar(
            pose_pb2.DeletePosesForAvatarRequest(owner_id=owner_id, avatar_id=avatar_id)
        )
        await self._delete_objects(row.owner_id, avatar_id, row.upload_keys)
        async with self.db.transaction() as s:
            await s.execute(delete(voices).where(voices.c.avatar_id == avatar_id))
            await s.execute(delete(avatars).where(avatars.c.id == avatar_id))
            await add_to_outbox(
                s,
                outbox,
                "events.avatar.deleted",
                events_pb2.AvatarDeleted(meta=event_meta(), avatar_id=avatar_id, owner_id=owner_id),
                msg_id=f"{avatar_id}:deleted",
            )
        self.relay.wake()

    async def _delete_objects(self, owner_id: str, avatar_id: str, upload_keys: str) -> None:
        try:
            await self.storage.delete_prefix(avatar_prefix(owner_id, avatar_id))
            for key in filter(None, upload_keys.split(",")):
                await self.storage.delete(key)
        except StorageError as exc:
            raise DomainError(
                ErrorCode.STORAGE_ERROR, f"deleting the avatar's files failed: {exc}"
            ) from exc

    # -- voices ----------------------------------------------------------------

    async def voice(self, owner_id: str, tts_voice_id: str) -> avatar_pb2.Voice:
        async with self.db.transaction() as s:
            row = (
                await s.execute(
                    select(voices).where(
                        voices.c.id == tts_voice_id,
                        or_(voices.c.owner_id == owner_id, voices.c.is_system.is_(True)),
                    )
                )
            ).first()
        if row is None:
            raise DomainError(ErrorCode.NOT_FOUND, "Voice not found")
        return avatar_pb2.Voice(
            tts_voice_id=row.id, language=row.language, profile_json=row.profile_json
        )

    async def synthesize(self, req: avatar_pb2.SynthesizeRequest) -> avatar_pb2.SynthesizeResponse:
        text = req.text.strip()
        _check(1 <= len(text) <= TTS_MAX_CHARS, f"text: must be 1-{TTS_MAX_CHARS} characters")
        speed = req.speed or 1.0
        _check(0.5 <= speed <= 1.5, "speed: must be between 0.5 and 1.5")
        voice = await self.voice(req.owner_id, req.tts_voice_id)
        wav, seconds = await asyncio.to_thread(_speak, text, voice.profile_json, speed)
        return avatar_pb2.SynthesizeResponse(wav=wav, duration_seconds=seconds)

    # -- the saga's events -----------------------------------------------------

    async def on_stage(self, delivery: Delivery[events_pb2.AvatarStageChanged]) -> None:
        event = delivery.message
        stage = _STAGE_NAME.get(event.stage, "")
        if not stage:
            return
        async with self.db.transaction() as s:
            if not await first_time(s, inbox, delivery.msg_id or event.meta.event_id):
                return
            row = (await s.execute(select(avatars).where(avatars.c.id == event.avatar_id))).first()
            if row is None or row.status not in ACTIVE:
                return
            if row.stage and STAGES.index(row.stage) > STAGES.index(stage):
                return  # a late, older stage
            await s.execute(
                update(avatars)
                .where(avatars.c.id == event.avatar_id)
                .values(status="processing", stage=stage, updated_at=utcnow())
            )

    async def on_succeeded(self, delivery: Delivery[events_pb2.AvatarCreationSucceeded]) -> None:
        event = delivery.message
        row = await self._row(event.avatar_id)
        if row is None:
            # Deleted while it was being created: its files were written afterwards.
            await self._delete_objects(event.owner_id, event.avatar_id, "")
            return
        if row.status not in ACTIVE:
            return
        if row.hold_id and row.settlement != "captured":
            await self._settle(row, capture=True)
        voice_id = voice_id_for(row.id)
        async with self.db.transaction() as s:
            if not await first_time(s, inbox, delivery.msg_id or event.meta.event_id):
                return
            current = await s.scalar(select(avatars.c.status).where(avatars.c.id == row.id))
            if current not in ACTIVE:
                return
            await s.execute(delete(voices).where(voices.c.id == voice_id))
            await s.execute(
                voices.insert().values(
                    id=voice_id,
                    avatar_id=row.id,
                    owner_id=row.owner_id,
                    is_system=row.is_system,
                    language=row.language,
                    profile_json=event.voice_profile_json,
                    created_at=utcnow(),
                )
            )
            await s.execute(
                update(avatars)
                .where(avatars.c.id == row.id)
                .values(
                    status="ready",
                    stage="",
                    portrait_key=event.portrait_key,
                    portrait_kind=event.portrait_kind,
                    motion=event.motion or "still",
                    motion_reason=event.motion_reason,
                    demo_video_key=event.demo_video_key,
                    tts_voice_id=voice_id,
                    settlement="captured" if row.hold_id else "",
                    updated_at=utcnow(),
                )
            )
            await self._announce(s, row, "ready", "")
        self.relay.wake()
        await self.storage.delete_quietly(*row.upload_keys.split(","))

    async def on_failed(self, delivery: Delivery[events_pb2.AvatarCreationFailed]) -> None:
        event = delivery.message
        row = await self._row(event.avatar_id)
        if row is None or row.status not in ACTIVE:
            return
        if row.hold_id and row.settlement != "released":
            await self._settle(row, capture=False)
        error = event.error or "avatar creation failed"
        async with self.db.transaction() as s:
            if not await first_time(s, inbox, delivery.msg_id or event.meta.event_id):
                return
            current = await s.scalar(select(avatars.c.status).where(avatars.c.id == row.id))
            if current not in ACTIVE:
                return
            await s.execute(
                update(avatars)
                .where(avatars.c.id == row.id)
                .values(
                    status="failed",
                    stage="",
                    error=error,
                    cost_micros=0,
                    settlement="released" if row.hold_id else "",
                    updated_at=utcnow(),
                )
            )
            await self._announce(s, row, "failed", error)
        self.relay.wake()
        await self.storage.delete_quietly(*row.upload_keys.split(","))

    async def _row(self, avatar_id: str) -> Any:
        async with self.db.transaction() as s:
            return (await s.execute(select(avatars).where(avatars.c.id == avatar_id))).first()

    async def _announce(self, s: Any, row: Any, status: str, error: str) -> None:
        await add_to_outbox(
            s,
            outbox,
            f"events.avatar.{status}",
            events_pb2.AvatarSettled(
                meta=event_meta(),
                avatar_id=row.id,
                owner_id=row.owner_id,
                status=_STATUS[status],
                error=error,
            ),
            msg_id=f"{row.id}:settled",
        )

    async def _settle(self, row: Any, *, capture: bool) -> None:
        """Capture or release the creation hold; idempotent by key. A transient billing
        failure raises (the event is redelivered); a refusal (the hold already expired,
        say) is logged and the avatar settles anyway: the customer is never charged
        twice, at worst not at all."""
        try:
            if capture:
                await self.billing.Capture(
                    billing_pb2.CaptureRequest(
                        hold_id=row.hold_id,
                        amount_micros=row.cost_micros,
                        idempotency_key=f"{row.id}:capture",
                    )
                )
            else:
                await self.billing.Release(
                    billing_pb2.ReleaseRequest(
                        hold_id=row.hold_id, idempotency_key=f"{row.id}:release"
                    )
                )
        except DomainError as exc:
            if exc.code in TRANSIENT:
                raise
            log.error(
                "%s of the hold for %s refused: %s",
                "capture" if capture else "release",
                row.id,
                exc,
            )

    async def _release(self, avatar_id: str, hold_id: str) -> None:
        try:
            await self.billing.Release(
                billing_pb2.ReleaseRequest(hold_id=hold_id, idempotency_key=f"{avatar_id}:release")
            )
        except DomainError as exc:
            log.warning("release of the hold for %s failed: %s", avatar_id, exc)
            if exc.code in TRANSIENT:
                raise



def _speak(text: str, profile_json: str, speed: float) -> tuple[bytes, float]:
    from avatarmedia.errors import MediaInputError
    from avatarmedia.speech import synthesize
    from avatarmedia.voice import VoiceProfile

    try:
        speech = synthesize(text, VoiceProfile.from_json(profile_json), speed=speed)
    except MediaInputError as exc:
        raise DomainError(ErrorCode.VALIDATION_ERROR, str(exc)) from exc
    samples = np.clip(np.asarray(speech.samples, dtype=np.float32), -1.0, 1.0)
    pcm = (samples * 32767.0).astype("<i2").tobytes()
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(int(speech.sample_rate))
        out.writeframes(pcm)
    return buffer.getvalue(), round(len(samples) / speech.sample_rate, 3)

