"""Footage avatars: blinks at loop turns, the wide framing and the motion hint (issue 13
defects)."""

from __future__ import annotations

import numpy as np

from avatarmedia.footage import TURN_CLEAR_S, blink_bottoms, choose_pingpong, eyes_shut
from avatarmedia.footage_motion import footage_style
from avatarmedia.footage_render import PoseFrames


def test_a_pingpong_never_turns_inside_a_blink() -> None:
    fps, n = 25.0, 200
    poses = np.zeros((n, 6), np.float32)
    poses[:, 1] = np.linspace(0, 30, n)  # the head drifts one way throughout
    # ...and stops at frames 40 and 120, where a plain choice would turn.
    for stop in (40, 120):
        poses[stop - 5 : stop + 5, 1] = poses[stop, 1]
    ok = np.ones(n, bool)
    quiet = np.zeros(n, bool)
    a, b, _ = choose_pingpong(poses, ok, quiet, fps)
    shut = np.zeros(n, bool)
    shut[a : a + 3] = True  # a blink right where it turned
    shut[b - 3 : b] = True
    a2, b2, _ = choose_pingpong(poses, ok, quiet, fps, shut)
    clear = round(TURN_CLEAR_S * fps)  # a blink just before a turn would play twice
    for turn in (a2, b2 - 1):
        assert not shut[max(0, turn - clear) : turn + clear + 1].any()


def _frame(w: int, h: int) -> np.ndarray:
    """A test frame: a bright band at the bottom, 8-px stripes across every row."""
    img = np.zeros((h, w, 3), np.uint8)
    img[:, :, 0] = np.linspace(0, 200, w, dtype=np.uint8)[None, :]
    img[-h // 8 :, :, 1] = 250
    img[(np.arange(h) // 8) % 2 == 1, :, 2] = 200
    return img


def test_a_wide_framing_keeps_the_bottom_edge_instead_of_stretching_it() -> None:
    w, h = 160, 200
    mesh = np.zeros((468, 2), np.float32)
    mesh[:, 0], mesh[:, 1] = w / 2, h / 2
    mesh[10] = (w / 2, h * 0.2)  # forehead
    mesh[152] = (w / 2, h * 0.6)  # chin
    posed = PoseFrames({"framing": "wide"}, (w, h), mesh)
    out = posed.apply(_frame(w, h), 0)
    centre = out[:, w // 2 - 20 : w // 2 + 20].astype(np.float32)
    # The clip's bottom band is the frame's bottom rows, and they are the clip's own
    # rows (its stripes go on to the edge): a replicated edge row would repeat one row.
    assert centre[-3:, :, 1].mean() > 200
    assert centre[-24:, :, 2].mean(axis=1).std() > 40
    # The zoomed-out clip is smaller: its stripes are 6 px, not 8.
    rows = centre[h // 3 : 2 * h // 3, :, 2].mean(axis=1) > 100
    runs = np.diff(np.flatnonzero(np.diff(rows.astype(int))))
    assert 5 <= np.median(runs) <= 7


def test_motion_hint_words_steady_or_liven_the_footage() -> None:
    assert not footage_style("avatar", "").moves
    calm = footage_style("avatar", "calm and still")
    assert calm.steady > 0.3 and calm.extra == 0.0
    lively = footage_style("avatar", "energetic, nodding")
    assert lively.extra > 0.3 and lively.steady == 0.0
    assert footage_style("avatar", "smiling").smile > 0.5


def test_a_blink_is_found_as_a_quick_dip_and_its_most_closed_frame_kept() -> None:
    fps, n = 25.0, 100
    eyes = np.full((n, 2), 0.11, np.float32)
    eyes[40:70] = 0.09  # looking down for a while: not a blink
    eyes[20:24, 0] = [0.09, 0.08, 0.085, 0.095]  # a blink the mesh only half follows
    shut = eyes_shut(eyes, fps)
    assert shut[21:23].all() and not shut[45:65].any()
    bottoms = blink_bottoms(eyes, shut)
    assert np.flatnonzero(bottoms).tolist() == [21]
