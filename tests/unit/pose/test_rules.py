"""Pose rules without servers: prompt and name limits, the base pose's derived id."""

from __future__ import annotations

import dataclasses

import pytest

from avatarmesh.clock import utcnow
from avatarmesh.errors import DomainError, ErrorCode
from avatarmesh.ids import IdPrefix, is_id, new_id
from avatarmesh.v1 import pose_pb2
from services.pose.logic import (
    AvatarFacts,
    avatar_id_of_base,
    base_pose,
    base_pose_id,
    validate,
)
from services.pose.server import pose_pb


def test_name_defaults_to_pose_and_text_is_trimmed() -> None:
    assert validate("  close-up  ", "") == ("close-up", "Pose")
    assert validate("p" * 600, "n" * 60) == ("p" * 600, "n" * 60)


@pytest.mark.parametrize(
    ("prompt", "name", "field"),
    [("", "", "prompt"), ("   ", "", "prompt"), ("p" * 601, "", "prompt"), ("p", "n" * 61, "name")],
)
def test_bad_prompt_or_name_is_validation_error(prompt: str, name: str, field: str) -> None:
    with pytest.raises(DomainError) as caught:
        validate(prompt, name)
    assert caught.value.code is ErrorCode.VALIDATION_ERROR
    assert caught.value.message.startswith(field)


def test_base_pose_id_is_well_formed_and_leads_back_to_its_avatar() -> None:
    avatar_id = new_id(IdPrefix.AVATAR)
    pose_id = base_pose_id(avatar_id)
    assert is_id(pose_id, IdPrefix.POSE)
    assert avatar_id_of_base(pose_id) == avatar_id


def test_base_pose_is_free_ready_and_uses_the_portrait_once_ready() -> None:
    avatar = AvatarFacts(
        id="av_x",
        owner_id="own_o",
        ready=True,
        portrait_key="avatars/o/av_x/portrait.jpg",
        created_at=utcnow(),
    )
    pose = pose_pb(base_pose(avatar, "own_o"))
    assert (pose.is_base, pose.cost_micros, pose.status) == (True, 0, pose_pb2.POSE_STATUS_READY)
    assert pose.image_key == "avatars/o/av_x/portrait.jpg" and pose.prompt == ""
    pending = pose_pb(base_pose(dataclasses.replace(avatar, ready=False), "own_o"))
    assert pending.status == pose_pb2.POSE_STATUS_PENDING
