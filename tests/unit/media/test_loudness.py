"""Loudness meter against the ITU-R BS.1770 reference: a 997 Hz sine at 0 dBFS reads
-3.01 LUFS (mono), and the meter is linear in level."""

from __future__ import annotations

import numpy as np
import pytest

from avatarmedia.audio import _k_weighting, integrated_lufs, loudness_normalise, peak_dbfs


def _sine(sr: int, dbfs: float, seconds: float = 5.0, hz: float = 997.0) -> np.ndarray:
    t = np.arange(int(sr * seconds)) / sr
    return 10 ** (dbfs / 20) * np.sin(2 * np.pi * hz * t)


@pytest.mark.parametrize("sr", [48000, 44100, 22050, 16000])
@pytest.mark.parametrize(("dbfs", "lufs"), [(0.0, -3.01), (-20.0, -23.01)])
def test_997_hz_sine_reads_the_bs1770_reference(sr: int, dbfs: float, lufs: float) -> None:
    assert integrated_lufs(_sine(sr, dbfs), sr) == pytest.approx(lufs, abs=0.1)


def test_k_weighting_at_48k_has_the_published_coefficients() -> None:
    (b1, a1), (b2, a2) = _k_weighting(48000)
    np.testing.assert_allclose(
        b1, [1.53512485958697, -2.69169618940638, 1.19839281085285], rtol=1e-9
    )
    np.testing.assert_allclose(a1, [1.0, -1.69065929318241, 0.73248077421585], rtol=1e-9)
    np.testing.assert_allclose(b2, [1.0, -2.0, 1.0])
    np.testing.assert_allclose(a2, [1.0, -1.99004745483398, 0.99007225036621], rtol=1e-9)


def test_normalisation_hits_the_target_with_the_corrected_meter() -> None:
    sr = 22050
    y = loudness_normalise(_sine(sr, -30.0).astype(np.float32), sr, -16.0, -1.0)
    assert integrated_lufs(y, sr) == pytest.approx(-16.0, abs=0.1)
    assert peak_dbfs(y) <= -1.0 + 1e-3
