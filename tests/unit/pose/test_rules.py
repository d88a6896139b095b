"""Pose rules without servers: prompt and name limits, the base pose's derived id."""

from __future__ import annotations

import pytest

from avatarmesh.errors import DomainError, ErrorCode
from avatarmesh.ids import IdPrefix, is_id, new_id
from avatarmesh.v1 import avatar_pb2, pose_pb2
from services.pose.logic import (
    avatar_id_of_base,
    base_pose,
    base_pose_id,
    validate,
)


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
    avatar = avatar_pb2.Avatar(
        id="av_x", status=avatar_pb2.AVATAR_STATUS_READY, portrait_key="avatars/o/av_x/portrait.jpg"
    )
    pose = base_pose(avatar, "own_o")
    assert (pose.is_base, pose.cost_micros, pose.status) == (True, 0, pose_pb2.POSE_STATUS_READY)
    assert pose.image_key == "avatars/o/av_x/portrait.jpg" and pose.prompt == ""
    pending = base_pose(avatar_pb2.Avatar(id="av_x", status=1), "own_o")
    assert pending.status == pose_pb2.POSE_STATUS_PENDING
