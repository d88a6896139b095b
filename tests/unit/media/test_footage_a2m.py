"""A footage avatar's own audio-to-mouth model (``footage_a2m``) and its use."""

from __future__ import annotations

import io
from dataclasses import replace

import numpy as np
from scipy import signal
from scipy.ndimage import gaussian_filter1d

from avatarmedia import footage_a2m as a2m
from avatarmedia.footage import FEATURES, Footage
from avatarmedia.footage_mouth import learned_shapes, select_samples
from avatarmedia.mouth_audio import audio_mouth_track
from avatarmedia.tracks import MouthTrack

SR = 16000
FPS = 25.0
LEAD_S = 0.12  # the synthetic speaker's mouth shows a sound this long before it is heard


def _envelope(rng: np.random.Generator, n: int, sigma: float) -> np.ndarray:
    e = gaussian_filter1d(rng.random(n), sigma)
    e = (e - e.min()) / max(float(np.ptp(e)), 1e-9)
    out: np.ndarray = e
    return out


def _band_noise(rng: np.random.Generator, n: int, lo: float, hi: float) -> np.ndarray:
    sos = signal.butter(4, [lo, hi], btype="band", fs=SR, output="sos")
    out: np.ndarray = signal.sosfilt(sos, rng.standard_normal(n))
    return out / (out.std() + 1e-9)


def _speaker(seconds: float, seed: int = 3) -> tuple[np.ndarray, np.ndarray]:
    """(audio, opening per video frame) of a synthetic speaker whose mouth opening
    follows the level of a 3-6 kHz hiss, heard ``LEAD_S`` after the mouth shows it,
    while the loudness (and the F1/F2 band the generic track listens to) follows a
    louder 300-900 Hz hum with its own, unrelated envelope."""
    rng = np.random.default_rng(seed)
    n = int(seconds * SR)
    hop = SR // 100
    hiss_env = _envelope(rng, n // hop + 1, 6.0)
    hum_env = _envelope(rng, n // hop + 1, 6.0)
    t = np.arange(n) / hop
    hiss = np.interp(t, np.arange(hiss_env.size), hiss_env)
    hum = np.interp(t, np.arange(hum_env.size), hum_env)
    audio = 0.05 * hiss * _band_noise(rng, n, 3000, 6000) + 0.2 * hum * _band_noise(
        rng, n, 300, 900
    )
    frames = int(seconds * FPS)
    heard = (np.arange(frames) / FPS + LEAD_S) * 100.0
    opening = 0.02 + 0.25 * np.interp(heard, np.arange(hiss_env.size), hiss_env)
    return audio.astype(np.float32), opening


def _shapes(opening: np.ndarray) -> np.ndarray:
    """Opening, width and aspect of the synthetic speaker (width and aspect follow the
    opening a little)."""
    return np.column_stack([opening, 0.8 - 0.3 * opening, 0.3 + 1.5 * opening])


def _fit(seconds: float = 24.0) -> tuple[a2m.MouthFit, np.ndarray, np.ndarray, int]:
    audio, opening = _speaker(seconds)
    n = len(opening)
    x = a2m.frame_features(audio, SR, FPS, n)
    train = int(0.6 * n)
    fit = a2m.fit_mouth_model(x[:train], _shapes(opening[:train]), a2m.guard_frames(FPS))
    return fit, audio, opening, train


def _r(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.corrcoef(a, b)[0, 1])


def test_the_learned_model_recovers_a_lagged_audio_feature_the_generic_track_misses() -> None:
    fit, audio, opening, train = _fit()
    assert fit.model is not None
    assert fit.skill[0] > 0.6 and fit.skill[0] > fit.base_skill + 0.3
    # On the part it never saw, with its lead: the model follows the real opening.
    x = a2m.frame_features(audio, SR, FPS, len(opening))
    ours = fit.model.opening(x)[train:]
    generic = audio_mouth_track(audio, SR, FPS, len(opening)).opening[train:]
    assert _r(ours, opening[train:]) > 0.8
    assert _r(ours, opening[train:]) > _r(generic, opening[train:]) + 0.3


def test_a_mouth_unrelated_to_the_audio_gives_no_model() -> None:
    audio, _ = _speaker(12.0)
    n = int(12.0 * FPS)
    x = a2m.frame_features(audio, SR, FPS, n)
    rng = np.random.default_rng(7)
    unrelated = 0.1 + 0.05 * gaussian_filter1d(rng.standard_normal(n), 2.0)
    fit = a2m.fit_mouth_model(x, _shapes(unrelated), a2m.guard_frames(FPS))
    assert fit.model is None
    assert fit.skill[0] <= a2m.MIN_SKILL or fit.weight == 0.0
    assert fit.info()["kept"] is False


def test_too_few_frames_give_no_model() -> None:
    audio, opening = _speaker(1.6)
    x = a2m.frame_features(audio, SR, FPS, len(opening))
    fit = a2m.fit_mouth_model(x, _shapes(opening), a2m.guard_frames(FPS))
    assert len(opening) < a2m.MIN_FRAMES and fit.model is None


def test_the_model_survives_storage_and_an_old_store_has_none() -> None:
    fit, audio, opening, _train = _fit(16.0)
    assert fit.model is not None
    buf = io.BytesIO()
    np.savez_compressed(buf, other=np.zeros(3), **fit.model.to_arrays())
    back = a2m.MouthModel.from_arrays(np.load(io.BytesIO(buf.getvalue())))
    assert back is not None
    x = a2m.frame_features(audio, SR, FPS, len(opening))
    np.testing.assert_allclose(back.opening(x), fit.model.opening(x), atol=1e-3)
    old = io.BytesIO()
    np.savez_compressed(old, other=np.zeros(3))
    assert a2m.MouthModel.from_arrays(np.load(io.BytesIO(old.getvalue()))) is None
    other = dict(fit.model.to_arrays(), a2m_version=np.array(a2m.MODEL_VERSION + 1))
    newer = io.BytesIO()
    np.savez_compressed(newer, **other)
    assert a2m.MouthModel.from_arrays(np.load(io.BytesIO(newer.getvalue()))) is None


def _footage(opening: np.ndarray, model: a2m.MouthModel | None) -> Footage:
    """A footage whose bank is the synthetic speaker's training frames (shapes only;
    selection needs no pictures)."""
    n = len(opening)
    feats = np.zeros((n, len(FEATURES)), np.float32)
    feats[:, :3] = _shapes(opening)
    return Footage(
        fps=FPS,
        loop_video=b"",
        loop_meshes=np.zeros((1, 468, 2), np.float32),
        loop_size=(64, 64),
        patch_size=(32, 32),
        bank_jpeg=b"",
        bank_offsets=np.zeros(n + 1, np.int64),
        bank_meshes=np.zeros((n, 468, 2), np.float32),
        bank_features=feats,
        bank_source=np.arange(n, dtype=np.int32),
        bank_speaking=opening > 0.08,
        mouth_model=model,
    )


def _drive(audio: np.ndarray, n: int) -> MouthTrack:
    return audio_mouth_track(audio, SR, FPS, n)


def test_an_avatar_with_a_model_picks_mouths_that_follow_the_real_ones() -> None:
    fit, audio, opening, train = _fit()
    assert fit.model is not None
    start = int(train / FPS * SR)
    drive = audio[start:]
    real = opening[train:]
    track = _drive(drive, len(real))
    with_model = _footage(opening[:train], fit.model)
    without = _footage(opening[:train], None)
    ours = with_model.bank_features[select_samples(with_model, track, FPS, (drive, SR)), 0]
    before = without.bank_features[select_samples(without, track, FPS, (drive, SR)), 0]
    assert _r(ours, real) > 0.65
    assert _r(ours, real) > _r(before, real) + 0.3


def test_an_avatar_without_a_model_selects_as_before() -> None:
    audio, opening = _speaker(12.0)
    footage = _footage(opening, None)
    track = _drive(audio, len(opening))
    assert learned_shapes(footage, track, (audio, SR), FPS) is None
    chosen = select_samples(footage, track, FPS, (audio, SR))
    # The generic track's own selection: it follows the hum, not the mouth.
    assert _r(footage.bank_features[chosen, 0], opening) < 0.5


def test_silence_keeps_the_closed_mouth_with_a_model() -> None:
    fit, audio, opening, train = _fit()
    assert fit.model is not None
    footage = _footage(opening[:train], fit.model)
    quiet = np.zeros(SR, np.float32)
    drive = np.concatenate([audio[: 2 * SR], quiet, audio[2 * SR : 4 * SR]])
    n = int(len(drive) / SR * FPS)
    track = _drive(drive, n)
    shapes = learned_shapes(footage, track, (drive, SR), FPS)
    assert shapes is not None
    silent = slice(int(2.2 * FPS), int(2.8 * FPS))
    assert np.all(shapes.opening[silent] < 0.04)
    chosen = select_samples(footage, track, FPS, (drive, SR))
    gaps = footage.bank_features[:, 0]
    assert np.all(footage.bank_features[chosen[silent], 0] <= np.percentile(gaps, 10))


def test_text_driven_tracks_ignore_the_model() -> None:
    fit, audio, opening, train = _fit()
    assert fit.model is not None
    footage = _footage(opening[:train], fit.model)
    seconds = 6.0
    n = int(seconds * FPS)
    visemes = replace(_drive(audio[: int(seconds * SR)], n), visemes=["AI"] * n)
    plain = _footage(opening[:train], None)
    a = select_samples(footage, visemes, FPS, (audio[: int(seconds * SR)], SR))
    b = select_samples(plain, visemes, FPS, (audio[: int(seconds * SR)], SR))
    assert np.array_equal(a, b)


def test_a_footage_keeps_its_model_through_storage_and_one_without_stays_without() -> None:
    fit, audio, opening, train = _fit(16.0)
    assert fit.model is not None
    stored = Footage.from_bytes(_footage(opening[:train], fit.model).to_bytes())
    assert stored.mouth_model is not None
    x = a2m.frame_features(audio, SR, FPS, len(opening))
    np.testing.assert_allclose(stored.mouth_model.predict(x), fit.model.predict(x), atol=1e-3)
    assert Footage.from_bytes(_footage(opening[:train], None).to_bytes()).mouth_model is None
