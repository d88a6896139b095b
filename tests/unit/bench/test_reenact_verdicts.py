"""The reenactment verdicts judge what the sheets show: an inner mouth with the right
share of near-black and soft edges but the wrong lightness (one dark row where the real
speaker shows two bright rows of teeth) is a MISS."""

from __future__ import annotations

from avatarmedia.reenact import ReenactScores
from tests.bench import bench_reenact as br


def scores(emd: float) -> ReenactScores:
    return ReenactScores(
        r=0.7,
        lag_ms=0.0,
        lip_distance_pct=2.0,
        crop_ssim=0.8,
        delta_e=10.0,
        texture_ratio=1.0,
        near_black_ours=0.06,
        near_black_real=0.11,
        frames=100,
        open_frames=40,
        lightness_emd=emd,
        edge_ratio=0.9,
    )


def test_inner_mouth_verdict_needs_the_real_lightness() -> None:
    frozen = scores(float("nan"))
    assert br.verdicts(scores(5.5), frozen, br.SELF_GOAL)["black_ok"] == "PASS"
    assert br.verdicts(scores(23.0), frozen, br.SELF_GOAL)["black_ok"] == "MISS"
