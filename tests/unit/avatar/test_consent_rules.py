"""Consent review rules without servers (docs/consent.md): what a finished creation
leads to, which operator decisions are taken, when a consent clip is required."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime

import pytest

from avatarmesh.errors import DomainError, ErrorCode
from avatarmesh.v1 import avatar_pb2, common_pb2
from services.avatar.logic import (
    Avatar,
    AvatarStatus,
    HoldSettlement,
    ReviewMode,
    ReviewStatus,
    Source,
    Stage,
    automatic_rejection,
    check_reason,
    decision_needed,
    is_later_stage,
    review_after_creation,
    validate_create,
)
from services.avatar.server import avatar_request

CLIP = common_pb2.MediaInput(storage_key="uploads/own_a/up_1.mp4", content_type="video/mp4")
NOW = datetime(2026, 12, 5, tzinfo=UTC)


def avatar(status: AvatarStatus, stage: Stage, review: ReviewStatus) -> Avatar:
    return Avatar(
        id="av_x",
        owner_id="own_a",
        name="Aria",
        description="",
        language="en",
        nationality="US",
        gender="",
        accent="",
        source=Source.VIDEO,
        status=status,
        stage=stage,
        is_system=False,
        is_public=False,
        portrait_key="",
        portrait_kind="",
        motion="",
        motion_reason="",
        demo_video_key="",
        tts_voice_id="",
        cost_micros=1_000_000,
        error="",
        hold_id="hold_1",
        settlement=HoldSettlement.NONE,
        upload_keys="",
        created_at=NOW,
        updated_at=NOW,
        review_status=review,
    )


IN_REVIEW = avatar(AvatarStatus.PROCESSING, Stage.REVIEWING, ReviewStatus.PENDING)


def test_manual_mode_sends_every_consent_avatar_to_a_human() -> None:
    assert review_after_creation(ReviewMode.MANUAL, ("no face",)) is ReviewStatus.PENDING
    assert review_after_creation(ReviewMode.MANUAL, ()) is ReviewStatus.PENDING


def test_automatic_mode_rejects_on_strong_findings_and_never_approves() -> None:
    assert review_after_creation(ReviewMode.AUTOMATIC, ("no face",)) is ReviewStatus.REJECTED
    assert review_after_creation(ReviewMode.AUTOMATIC, ()) is ReviewStatus.PENDING
    assert automatic_rejection(("a", "b")) == "consent check: a; b"


@pytest.mark.parametrize("decision", [ReviewStatus.APPROVED, ReviewStatus.REJECTED])
def test_a_decision_on_an_avatar_in_review_is_taken(decision: ReviewStatus) -> None:
    assert decision_needed(IN_REVIEW, decision)
    # recorded but not finished (a crash between): the same decision finishes it
    assert decision_needed(dataclasses.replace(IN_REVIEW, review_status=decision), decision)


def test_a_repeated_decision_has_nothing_left_to_do() -> None:
    approved = avatar(AvatarStatus.READY, Stage.NONE, ReviewStatus.APPROVED)
    assert not decision_needed(approved, ReviewStatus.APPROVED)


@pytest.mark.parametrize(
    ("current", "decision", "says"),
    [
        (avatar(AvatarStatus.READY, Stage.NONE, ReviewStatus.NONE), "approved", "no consent"),
        (
            avatar(AvatarStatus.PROCESSING, Stage.DEMO, ReviewStatus.PENDING),
            "approved",
            "still being created",
        ),
        (
            avatar(AvatarStatus.READY, Stage.NONE, ReviewStatus.APPROVED),
            "rejected",
            "already approved",
        ),
        (
            dataclasses.replace(IN_REVIEW, review_status=ReviewStatus.REJECTED),
            "approved",
            "already rejected",
        ),
    ],
)
def test_other_decisions_are_avatar_not_in_review(
    current: Avatar, decision: str, says: str
) -> None:
    with pytest.raises(DomainError) as caught:
        decision_needed(current, ReviewStatus(decision))
    assert caught.value.code is ErrorCode.AVATAR_NOT_IN_REVIEW
    assert says in caught.value.message


def test_a_rejection_needs_a_reason_of_at_most_500_characters() -> None:
    assert check_reason("  another person ") == "another person"
    for bad in ("", "   ", "x" * 501):
        with pytest.raises(DomainError):
            check_reason(bad)


def test_review_is_the_last_stage_and_no_stage_event_leaves_it() -> None:
    assert is_later_stage(Stage.NONE, Stage.VIDEO_VALIDATING)
    assert is_later_stage(Stage.VIDEO_VALIDATING, Stage.PORTRAIT)
    assert not is_later_stage(Stage.REVIEWING, Stage.POSES)


def test_required_consent_applies_to_clips_and_photos_only() -> None:
    base = {"owner_id": "own_a", "name": "A", "description": "d", "language": "en"}
    base["nationality"] = "US"
    video = avatar_pb2.CreateAvatarRequest(
        **base, source=avatar_pb2.AVATAR_SOURCE_VIDEO, source_video=CLIP
    )
    photo = avatar_pb2.CreateAvatarRequest(**base, ref_image=CLIP)
    drawn = avatar_pb2.CreateAvatarRequest(**base)
    for needs in (video, photo):
        with pytest.raises(DomainError) as caught:
            validate_create(avatar_request(needs), consent_required=True)
        assert "consent_video_url" in caught.value.message
        needs.consent_video.CopyFrom(CLIP)
        validate_create(avatar_request(needs), consent_required=True)
    validate_create(avatar_request(drawn), consent_required=True)
    video.ClearField("consent_video")
    validate_create(avatar_request(video))  # the default: optional
