"""Pose prompts: what is applied is recorded; drawn avatars are redrawn."""

from __future__ import annotations

import numpy as np
import pytest

from avatarmedia.errors import MediaInputError
from avatarmedia.portrait import draw_portrait, spec_from_description
from avatarmedia.pose import apply_pose, parse_prompt


def test_prompt_words_map_to_operations() -> None:
    ops = parse_prompt("close-up, head tilted left, mirrored, warm light, green background")
    assert ops["framing"] == "close-up" and ops["roll_deg"] < 0 and ops["mirror"]
    assert ops["background"] == "green" and "warm" in ops["grade"]


def test_drawn_portrait_is_redrawn_with_the_pose_and_records_it() -> None:
    p = draw_portrait(spec_from_description("woman, long black hair", "female", seed=2), 384)
    q, applied = apply_pose(p, "turn right, wide shot, teal background")
    assert applied["method"] == "redrawn" and applied["framing"] == "wide"
    assert applied["yaw_deg"] > 0 and applied["background"] == "teal"
    assert q.kind == "drawn" and q.rig is not None and q.rig["transform"]["yaw_deg"] > 0
    assert not np.array_equal(p.image, q.image)


@pytest.mark.parametrize("prompt", ["", "x" * 601])
def test_prompt_length_is_checked(prompt: str) -> None:
    p = draw_portrait(spec_from_description("man", "male", seed=1), 128)
    with pytest.raises(MediaInputError):
        apply_pose(p, prompt)
