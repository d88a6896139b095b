"""The lip-sync metric itself: it must see a lag and a missing correlation."""

from __future__ import annotations

import numpy as np

from avatarmedia.metrics import lag_correlation, silence_ratio


def test_lag_sign_positive_when_the_mouth_trails() -> None:
    rng = np.random.default_rng(0)
    env = np.convolve(rng.random(300), np.ones(4) / 4, mode="same")
    mouth = np.roll(env, 2)  # the mouth shows at t what the audio had at t-2
    out = lag_correlation(mouth, env, 25)
    assert out["best_lag_ms"] == 80 and out["pearson_r"] > 0.95


def test_unrelated_mouth_has_low_correlation() -> None:
    rng = np.random.default_rng(1)
    out = lag_correlation(rng.random(400), rng.random(400), 25)
    assert out["pearson_r"] < 0.3


def test_mouth_open_in_silence_is_reported() -> None:
    env = np.r_[np.full(30, -20.0), np.full(30, -60.0), np.full(30, -20.0)]
    mouth = (
        np.r_[np.full(30, 0.06), np.full(30, 0.06), np.full(30, 0.06)]
        + np.r_[np.zeros(30), np.zeros(30), np.zeros(30)]
    )
    mouth[:5] = 0.0
    assert silence_ratio(mouth, env, 25)["silence_open_ratio"] > 0.9
