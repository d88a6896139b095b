"""The photo rig's mouth opening: where and how the lips part."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from avatarmedia.animate_photo import PhotoRig
from avatarmedia.portrait import load_image, photo_portrait

FIXTURES = Path(__file__).resolve().parents[4] / "shared" / "fixtures"


@pytest.fixture(scope="module")
def rig() -> PhotoRig:
    p = photo_portrait(load_image(FIXTURES / "faces" / "woman_asian_frontal_2840px.jpg"), 512)
    assert p.mesh is not None
    return PhotoRig(p.image, p.mesh)


def _gap_across(rig: PhotoRig, opening: float, at: float) -> float:
    """The moved inner lips' gap (px) at ``at`` of the way from the middle to a corner,
    relative to the gap mid-mouth."""
    poly = rig.frame.to_uv(rig.mouth_polygon(opening, 0.0, 0.0))
    n = len(rig.inner_up)
    up, lo = poly[:n], poly[n:]

    def v_of(pts: np.ndarray, u: float) -> float:
        order = np.argsort(pts[:, 0])
        return float(np.interp(u, pts[order, 0], pts[order, 1]))

    u = at * rig.corners[1]
    rest = rig.frame.to_uv(rig.mouth_polygon(0.0, 0.0, 0.0))
    opened = (v_of(lo, u) - v_of(up, u)) - (v_of(rest[n:], u) - v_of(rest[:n], u))
    mid = (v_of(lo, 0.0) - v_of(up, 0.0)) - (v_of(rest[n:], 0.0) - v_of(rest[:n], 0.0))
    return opened / mid


def test_the_lips_part_in_the_middle_first(rig: PhotoRig) -> None:
    """A mouth that barely opens parts in the middle and keeps its corners together (the
    fixture speakers' small openings); opened wide it is a lens from corner to corner."""
    assert _gap_across(rig, 0.1, 0.8) < 0.1
    assert _gap_across(rig, 0.8, 0.8) > 0.3
