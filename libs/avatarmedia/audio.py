"""Audio helpers shared by the media engine: decode, resample, loudness.

Everything works on mono float32 arrays in [-1, 1] with an explicit sample rate.
"""

from __future__ import annotations

import io
import math
from fractions import Fraction
from pathlib import Path

import numpy as np
import numpy.typing as npt
from scipy import signal
from scipy.ndimage import minimum_filter1d, uniform_filter1d

from avatarmedia.errors import MediaInputError

FloatArray = npt.NDArray[np.float32]


def load_audio(source: str | Path | bytes, target_sr: int | None = None) -> tuple[FloatArray, int]:
    """Decode any audio or video file (wav, mp3, m4a, mp4 ...) to mono float32.

    ``source`` is a path or the file's bytes. Channels are averaged. With
    ``target_sr`` the audio is resampled. Raises ``MediaInputError`` when the file
    cannot be decoded or has no audio stream.
    """
    import av  # PyAV; imported lazily, it is heavy

    handle: str | io.BytesIO = io.BytesIO(source) if isinstance(source, bytes) else str(source)
    name = "audio bytes" if isinstance(source, bytes) else str(source)
    try:
        container = av.open(handle, mode="r")
    except (av.error.FFmpegError, OSError) as exc:
        raise MediaInputError(f"cannot decode {name}: {exc}") from exc
    chunks: list[npt.NDArray[np.float32]] = []
    try:
        if not container.streams.audio:
            raise MediaInputError(f"{name} has no audio stream")
        stream = container.streams.audio[0]
        sr = int(stream.codec_context.sample_rate or stream.rate or 0)
        resampler = av.AudioResampler(format="fltp", layout="mono", rate=sr)
        for frame in container.decode(stream):
            for out in resampler.resample(frame):
                chunks.append(out.to_ndarray().reshape(-1).astype(np.float32))
        for out in resampler.resample(None):
            chunks.append(out.to_ndarray().reshape(-1).astype(np.float32))
    except av.error.FFmpegError as exc:
        raise MediaInputError(f"cannot decode {name}: {exc}") from exc
    finally:
        container.close()
    samples = np.concatenate(chunks) if chunks else np.zeros(0, np.float32)
    if samples.size == 0 or sr <= 0:
        raise MediaInputError(f"{name} contains no audio samples")
    samples = np.clip(samples, -1.0, 1.0).astype(np.float32)
    if target_sr is not None and target_sr != sr:
        samples, sr = resample(samples, sr, target_sr), target_sr
    return samples, sr


def resample(samples: npt.ArrayLike, sr: int, target_sr: int) -> FloatArray:
    """Polyphase resampling of a mono signal."""
    x = np.asarray(samples, dtype=np.float32)
    if sr == target_sr or x.size == 0:
        return x.astype(np.float32)
    ratio = Fraction(int(target_sr), int(sr)).limit_denominator(1000)
    y = signal.resample_poly(x, ratio.numerator, ratio.denominator)
    return np.asarray(y, dtype=np.float32)


def to_mono(samples: npt.ArrayLike) -> FloatArray:
    """(n,) or (n, channels) / (channels, n) -> mono float32."""
    x = np.asarray(samples, dtype=np.float32)
    if x.ndim == 1:
        return x
    if x.ndim != 2:
        raise MediaInputError(f"audio must be 1-D or 2-D, got shape {x.shape}")
    axis = 0 if x.shape[0] < x.shape[1] and x.shape[0] <= 8 else 1
    return np.asarray(x.mean(axis=axis), dtype=np.float32)


def _k_weighting(sr: int) -> list[tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]]:
    """ITU-R BS.1770 K-weighting (shelf + high-pass) designed for any sample rate.

    The constants are the ones fitted to the standard's 48 kHz coefficients, and they
    belong to this bilinear (tan pre-warped) design with separate high- and
    band-gain terms (as in libebur128): at 48 kHz it reproduces the published
    coefficients. Plugging them into the RBJ cookbook shelf instead, as this did
    before, gives about +0.26 dB too little gain at 1 kHz (a 997 Hz full-scale sine
    read -3.27 LUFS instead of -3.01).
    """
    # high shelf, +4 dB above ~1.7 kHz (head acoustics)
    f0, g, q = 1681.974450955533, 3.999843853973347, 0.7071752369554196
    k = math.tan(math.pi * f0 / sr)
    vh = 10 ** (g / 20.0)
    vb = vh**0.4996667741545416
    a0 = 1.0 + k / q + k * k
    shelf = (
        np.array(
            [
                (vh + vb * k / q + k * k) / a0,
                2.0 * (k * k - vh) / a0,
                (vh - vb * k / q + k * k) / a0,
            ]
        ),
        np.array([1.0, 2.0 * (k * k - 1.0) / a0, (1.0 - k / q + k * k) / a0]),
    )
    # high-pass at ~38 Hz (RLB weighting); the numerator is unnormalised, as in the
    # standard, whose 48 kHz coefficients are b = (1, -2, 1)
    f0, q = 38.13547087602444, 0.5003270373238773
    k = math.tan(math.pi * f0 / sr)
    a0 = 1.0 + k / q + k * k
    hp = (
        np.array([1.0, -2.0, 1.0]),
        np.array([1.0, 2.0 * (k * k - 1.0) / a0, (1.0 - k / q + k * k) / a0]),
    )
    return [shelf, hp]


def integrated_lufs(samples: npt.ArrayLike, sr: int) -> float:
    """Integrated loudness (BS.1770-4, gated) of a mono signal; -inf when silent."""
    x = np.asarray(samples, dtype=np.float64)
    for b, a in _k_weighting(sr):
        x = signal.lfilter(b, a, x)
    block, hop = int(0.4 * sr), int(0.1 * sr)
    if x.size < block:
        block = hop = max(1, x.size)
    n = 1 + (x.size - block) // hop
    csum = np.concatenate([[0.0], np.cumsum(x * x)])
    starts = np.arange(n) * hop
    power = (csum[starts + block] - csum[starts]) / block
    with np.errstate(divide="ignore"):
        loud = -0.691 + 10 * np.log10(power)
    gated = power[loud > -70.0]
    if gated.size == 0:
        return float("-inf")
    rel = -0.691 + 10 * math.log10(float(gated.mean())) - 10.0
    gated = power[(loud > -70.0) & (loud > rel)]
    if gated.size == 0:
        return float("-inf")
    return float(-0.691 + 10 * math.log10(float(gated.mean())))


def peak_dbfs(samples: npt.ArrayLike) -> float:
    peak = float(np.max(np.abs(np.asarray(samples)))) if np.size(samples) else 0.0
    return 20 * math.log10(peak) if peak > 0 else float("-inf")


def loudness_normalise(
    samples: npt.ArrayLike, sr: int, target_lufs: float = -16.0, peak_dbfs: float = -1.0
) -> FloatArray:
    """Gain to ``target_lufs`` integrated loudness, then a look-ahead limiter so no
    sample exceeds ``peak_dbfs``. Silence is returned unchanged."""
    x = np.asarray(samples, dtype=np.float32)
    lufs = integrated_lufs(x, sr)
    if not math.isfinite(lufs):
        return x.copy()
    ceiling = 10 ** (peak_dbfs / 20.0)
    y = x.astype(np.float64)
    for _ in range(3):  # limiting lowers loudness a little: measure and go again
        y = _limit(y * 10 ** ((target_lufs - lufs) / 20.0), sr, ceiling)
        lufs = integrated_lufs(y, sr)
        if not math.isfinite(lufs) or abs(lufs - target_lufs) < 0.1:
            break
    return y.astype(np.float32)


def _limit(y: npt.NDArray[np.float64], sr: int, ceiling: float) -> npt.NDArray[np.float64]:
    """Look-ahead peak limiter (~4 ms attack and release) to ``ceiling``."""
    mag = np.abs(y)
    if mag.max() <= ceiling:
        return y
    need = np.minimum(1.0, ceiling / np.maximum(mag, 1e-12))
    w = max(3, int(0.004 * sr)) | 1
    gain = uniform_filter1d(minimum_filter1d(need, size=2 * w + 1), size=w)
    return np.asarray(np.clip(y * gain, -ceiling, ceiling), dtype=np.float64)


def frame_rms_db(
    samples: npt.ArrayLike, sr: int, hop_s: float = 0.01, win_s: float = 0.03
) -> FloatArray:
    """RMS level in dBFS per hop (frame i centred at ``i * hop_s``)."""
    x = np.asarray(samples, dtype=np.float64)
    hop = max(1, round(hop_s * sr))
    win = max(hop, round(win_s * sr))
    n = math.ceil(x.size / hop) if x.size else 0
    pad = np.pad(x, (win // 2, win))
    csum = np.concatenate([[0.0], np.cumsum(pad * pad)])
    starts = np.arange(n) * hop
    power = (csum[starts + win] - csum[starts]) / win
    return np.asarray(10 * np.log10(power + 1e-10), dtype=np.float32)
