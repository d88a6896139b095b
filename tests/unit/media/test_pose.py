"""Pose prompts: what is applied is recorded; drawn avatars are redrawn."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from avatarmedia.errors import MediaInputError
from avatarmedia.portrait import draw_portrait, load_image, photo_portrait, spec_from_description
from avatarmedia.pose import apply_pose, parse_prompt

FIXTURES = Path(__file__).resolve().parents[3].parent / "shared" / "fixtures"


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


def test_only_what_changes_the_portrait_is_recorded_as_applied() -> None:
    """A photo is already a medium shot; a drawn backdrop blur would change nothing."""
    photo = load_image(FIXTURES / "faces" / "woman_lowres_226px_smiling.png")
    p = photo_portrait(photo, size=256)
    q, applied = apply_pose(p, "medium shot")
    skipped = applied["not_applied"]
    assert "framing" not in applied and isinstance(skipped, dict) and "framing" in skipped
    assert np.array_equal(p.image, q.image)
    d = draw_portrait(spec_from_description("man, short hair", "male", seed=1), 256)
    _, applied = apply_pose(d, "blurred background, mirrored")
    assert applied["mirror"] is True and "background_blur" not in applied
    skipped = applied["not_applied"]
    assert isinstance(skipped, dict) and "background_blur" in skipped
    _, applied = apply_pose(d, "medium shot")  # drawn portraits are drawn medium already
    assert "framing" not in applied
