"""Avatars: what an avatar is and the rules that need no lookups.

The service, top-down: ``__main__`` wires it; ``server`` maps protobuf to the types
here and back; ``avatars`` runs create, read, delete, voices and speech; ``saga``
settles a creation from the worker's events; ``upstreams`` are the billing and pose
services seen as typed calls; ``store`` holds the tables and every query;
``events`` says what the service consumes and publishes; ``system`` lists the
system avatars.

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

Consent review (docs/consent.md): an avatar created with a consent clip is not made
ready by the worker's success. It waits at stage ``reviewing`` (status ``processing``,
so videos and poses answer AVATAR_NOT_READY) with its hold open, until an operator
approves (capture, then ``ready``) or rejects it (release, then ``rejected`` with the
reason). The worker's automatic check never approves; in ``automatic`` review mode its
strong findings (no face, several people, no speech) reject at once, its weak one (the
face geometry) only informs the reviewer.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from avatarmedia.text_norm import LANGUAGES
from avatarmesh.errors import DomainError, ErrorCode
from avatarmesh.labels import check_labels, check_metadata
from avatarmesh.money import Micros

GENDERS = ("male", "female")
TTS_MAX_CHARS = 600
MAX_PAGE_LIMIT = 100
CREATION_FAILED_ERROR = "avatar creation failed"


class AvatarStatus(StrEnum):
    PENDING = "pending"
    PROCESSING = "processing"
    READY = "ready"
    FAILED = "failed"
    REJECTED = "rejected"


ACTIVE = (AvatarStatus.PENDING, AvatarStatus.PROCESSING)


class Stage(StrEnum):
    """The creation stage a processing avatar is in (``NONE`` otherwise), in order."""

    NONE = ""
    VIDEO_VALIDATING = "video_validating"
    PORTRAIT = "portrait"
    DEMO = "demo"
    VOICE = "voice"
    POSES = "poses"
    REVIEWING = "reviewing"


STAGES = (
    Stage.VIDEO_VALIDATING,
    Stage.PORTRAIT,
    Stage.DEMO,
    Stage.VOICE,
    Stage.POSES,
    Stage.REVIEWING,
)


class ReviewStatus(StrEnum):
    """Where an avatar's consent review stands (``NONE``: no consent clip, no review)."""

    NONE = ""
    PENDING = "pending"
    APPROVED = "approved"
    REJECTED = "rejected"


class ReviewMode(StrEnum):
    """The operator's choice (``AVATARMESH_AVATAR_REVIEW_MODE``): ``manual`` sends every
    consent avatar to a human; ``automatic`` also rejects at once on the check's strong
    findings. Neither approves without a human."""

    MANUAL = "manual"
    AUTOMATIC = "automatic"


class Source(StrEnum):
    GENERATED = "generated"
    VIDEO = "video"


class HoldSettlement(StrEnum):
    """How the creation hold was settled."""

    NONE = ""
    CAPTURED = "captured"
    RELEASED = "released"


@dataclass(frozen=True)
class Media:
    """Client media for a creation: an upload under ``uploads/<owner>/`` or an HTTPS URL."""

    storage_key: str = ""
    https_url: str = ""
    content_type: str = ""


@dataclass(frozen=True)
class AvatarRequest:
    """CreateAvatar as the caller sent it (``source`` None: a source this build lacks)."""

    owner_id: str
    name: str
    description: str
    language: str
    nationality: str
    gender: str = ""
    accent: str = ""
    source: Source | None = Source.GENERATED
    ref_image: Media | None = None
    source_video: Media | None = None
    labels: tuple[str, ...] = ()
    metadata: tuple[tuple[str, str], ...] = ()
    consent_video: Media | None = None


@dataclass(frozen=True)
class Avatar:
    """One avatar (an ``avatars`` row)."""

    id: str
    owner_id: str
    name: str
    description: str
    language: str
    nationality: str
    gender: str
    accent: str
    source: Source
    status: AvatarStatus
    stage: Stage
    is_system: bool
    is_public: bool
    portrait_key: str
    portrait_kind: str
    motion: str
    motion_reason: str
    demo_video_key: str
    tts_voice_id: str
    cost_micros: Micros
    error: str
    hold_id: str
    settlement: HoldSettlement
    upload_keys: str
    created_at: datetime
    updated_at: datetime
    # compact JSON (avatarmesh.labels): a list of labels, an object of metadata
    labels_json: str = "[]"
    metadata_json: str = "{}"
    # Consent review: its state, the worker's copy of the clip, the automatic check
    # (protobuf JSON of ConsentCheck) and the voice kept until approval.
    review_status: ReviewStatus = ReviewStatus.NONE
    consent_video_key: str = ""
    consent_check_json: str = "{}"
    pending_voice_json: str = ""

    @property
    def ready(self) -> bool:
        return self.status is AvatarStatus.READY

    @property
    def in_review(self) -> bool:
        """Waiting for an operator's decision."""
        return self.status is AvatarStatus.PROCESSING and self.stage is Stage.REVIEWING


@dataclass(frozen=True)
class Voice:
    """A cloned voice (``voices`` row): what the speech engine needs to speak."""

    id: str
    avatar_id: str
    owner_id: str
    is_system: bool
    language: str
    profile_json: str
    created_at: datetime


@dataclass(frozen=True)
class Created:
    """What a finished creation produced (``events.creation.succeeded``)."""

    portrait_key: str
    portrait_kind: str
    motion: str
    motion_reason: str
    demo_video_key: str
    voice_profile_json: str
    consent_video_key: str = ""
    consent_check_json: str = "{}"
    # The automatic check's strong findings (see ``ReviewMode``).
    consent_problems: tuple[str, ...] = ()


def voice_id_for(avatar_id: str) -> str:
    """The avatar's ``tts_voice_id``: ``voice_<avatar id body>``."""
    return "voice_" + avatar_id.split("_", 1)[-1]


def seed_for(avatar_id: str) -> int:
    """A deterministic drawing seed from the avatar id."""
    return int.from_bytes(avatar_id.encode()[-8:], "big") & 0x7FFFFFFF


def check(condition: bool, message: str) -> None:
    if not condition:
        raise DomainError(ErrorCode.VALIDATION_ERROR, message)


def validate_create(req: AvatarRequest, consent_required: bool = False) -> Source:
    """The contract's field rules (the gateway checks them first); returns the source.
    With ``consent_required`` (the operator's setting) an avatar of a real person's
    media (a clip or a reference photo) needs a consent clip."""
    check_labels(req.labels)
    check_metadata(dict(req.metadata))
    check(req.source is not None, "source: must be generated or video")
    assert req.source is not None
    check(bool(req.owner_id), "owner_id is required")
    check(1 <= len(req.name.strip()) <= 60, "name: must be 1-60 characters")
    check(len(req.description) <= 2000, "description: must be at most 2000 characters")
    if req.source is Source.GENERATED:
        check(bool(req.description.strip()), "description: required for source=generated")
    check(req.language in LANGUAGES, f"language: must be one of {', '.join(LANGUAGES)}")
    check(1 <= len(req.nationality.strip()) <= 60, "nationality: must be 1-60 characters")
    check(req.gender in ("", *GENDERS), "gender: must be male or female")
    check(len(req.accent) <= 40, "accent: must be at most 40 characters")
    if req.source is Source.VIDEO:
        check(req.source_video is not None, "source_video_url: required when source=video")
    if consent_required and (req.source is Source.VIDEO or req.ref_image is not None):
        check(
            req.consent_video is not None,
            "consent_video_url: required for an avatar of a real person on this platform",
        )
    return req.source


def review_after_creation(mode: ReviewMode, problems: tuple[str, ...]) -> ReviewStatus:
    """What a consent avatar's finished creation leads to: a human review, or (only in
    automatic mode, only on strong findings) an immediate rejection. Never approval."""
    if mode is ReviewMode.AUTOMATIC and problems:
        return ReviewStatus.REJECTED
    return ReviewStatus.PENDING


def automatic_rejection(problems: tuple[str, ...]) -> str:
    """The reason an automatically rejected avatar shows its owner."""
    return "consent check: " + "; ".join(problems)


def rejection_message(reason: str) -> str:
    """The reason a reviewer gave, as the owner reads it in ``error``."""
    return "rejected in review: " + reason.strip()


def decision_needed(avatar: Avatar, decision: ReviewStatus) -> bool:
    """Whether an operator's ``decision`` still has work to do: False when it was
    already taken (a retry), True while the avatar waits; AVATAR_NOT_IN_REVIEW else."""
    settled = {
        ReviewStatus.APPROVED: AvatarStatus.READY,
        ReviewStatus.REJECTED: AvatarStatus.REJECTED,
    }
    if avatar.review_status is decision and avatar.status is settled[decision]:
        return False
    if avatar.in_review and avatar.review_status in (ReviewStatus.PENDING, decision):
        return True
    if avatar.review_status is ReviewStatus.NONE:
        state = "has no consent review"
    elif avatar.review_status is not ReviewStatus.PENDING:
        state = f"was already {avatar.review_status.value}"
    elif avatar.status in ACTIVE:
        state = "is still being created; its review has not started"
    else:
        state = f"is {avatar.status.value}"
    raise DomainError(ErrorCode.AVATAR_NOT_IN_REVIEW, f"Avatar {avatar.id} {state}")


def check_reason(reason: str) -> str:
    """A rejection's reason: 1-500 characters, shown to the owner."""
    reason = reason.strip()
    check(1 <= len(reason) <= 500, "reason: required to reject, 1-500 characters")
    return reason


def upload_keys(*inputs: Media | None) -> str:
    """The client uploads a creation reads, to delete once it settles (``uploads/``
    only: a file from the files API, ``files/``, is the owner's to keep)."""
    return ",".join(
        i.storage_key
        for i in inputs
        if i is not None and i.storage_key and i.storage_key.startswith("uploads/")
    )


def is_later_stage(current: Stage, reported: Stage) -> bool:
    """Whether ``reported`` moves an avatar on from ``current`` (a late, older stage
    event does not move it back, nor out of review)."""
    return current is Stage.NONE or STAGES.index(reported) >= STAGES.index(current)
