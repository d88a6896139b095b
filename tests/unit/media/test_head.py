"""Idle head motion: the head moves rigidly, the shoulders and background do not."""

from __future__ import annotations

import cv2
import numpy as np

from avatarmedia.head import head_region, head_transform, motion_matrix

SIZE = (320, 320)
FACE = (120.0, 90.0, 200.0, 190.0)  # cheeks, forehead, chin


def textured_frame() -> np.ndarray:
    rng = np.random.default_rng(0)
    noise = rng.integers(0, 255, (SIZE[1] // 4, SIZE[0] // 4, 3), dtype=np.uint8)
    return np.kron(noise, np.ones((4, 4, 1), np.uint8))  # 4-px blocks: shifts are visible


def test_at_rest_the_frame_is_unchanged() -> None:
    region = head_region(SIZE, FACE)
    frame = textured_frame()
    out = frame.copy()
    region.maps(None)
    region.remap(frame, out)
    assert np.array_equal(out, frame)
    assert motion_matrix((160.0, 250.0), 100.0, {"dx": 0.0, "dy": 0.0, "roll_deg": 0.0}) is None


def test_a_shift_moves_the_face_rigidly_and_leaves_the_background_still() -> None:
    region = head_region(SIZE, FACE)
    frame = textured_frame()
    out = frame.copy()
    region.maps(head_transform((160.0, 250.0), 4.0, 0.0, 0.0))
    region.remap(frame, out)
    face = (slice(120, 160), slice(140, 180))
    moved = (slice(120, 160), slice(144, 184))
    assert np.array_equal(out[moved], frame[face])  # whole-pixel shift: exact
    assert np.array_equal(out[:, :40], frame[:, :40])  # far left: untouched
    assert np.array_equal(out[-40:], frame[-40:])  # shoulders: untouched


def test_the_weight_fades_to_zero_at_the_region_edge() -> None:
    region = head_region(SIZE, FACE)
    w = region.weight
    assert w[w.shape[0] // 2, w.shape[1] // 2] == 1.0
    edges = np.concatenate([w[0], w[-1], w[:, 0], w[:, -1]])
    assert edges.max() < 1e-3


def test_roll_turns_about_the_pivot() -> None:
    m = head_transform((160.0, 250.0), 0.0, 0.0, 90.0)
    assert np.allclose(m @ [160.0, 250.0, 1.0], [160.0, 250.0])
    assert np.allclose(m @ [160.0, 150.0, 1.0], [260.0, 250.0])


def test_the_sharp_source_resamples_the_face_nearly_as_exactly_as_bicubic() -> None:
    rng = np.random.default_rng(0)
    noise = rng.integers(0, 255, (SIZE[1], SIZE[0], 3), dtype=np.uint8)
    frame = cv2.normalize(cv2.GaussianBlur(noise, (0, 0), 1.2), None, 0, 255, cv2.NORM_MINMAX)
    region = head_region(SIZE, FACE)
    region.maps(head_transform((160.0, 250.0), 1.3, -0.7, 1.1))  # sub-pixel, rolled
    x0, y0, x1, y1 = region.roi

    def error(out: np.ndarray) -> float:
        exact = cv2.remap(
            frame, region.map_x, region.map_y, cv2.INTER_LANCZOS4, borderMode=cv2.BORDER_REFLECT101
        )
        face = (slice(95 - y0, 185 - y0), slice(125 - x0, 195 - x0))
        return float(np.abs(out[y0:y1, x0:x1][face].astype(float) - exact[face]).mean())

    outputs = {}
    for name, sharp in (("bicubic", None), ("sharp", region.sharp_source(frame, margin=8))):
        outputs[name] = frame.copy()
        region.remap(frame, outputs[name], sharp)
    bilinear = frame.copy()
    bilinear[y0:y1, x0:x1] = cv2.remap(
        frame, region.map_x, region.map_y, cv2.INTER_LINEAR, borderMode=cv2.BORDER_REFLECT101
    )
    assert error(outputs["sharp"]) < 0.5 * error(bilinear)
    assert error(outputs["sharp"]) < 1.5 * error(outputs["bicubic"])
