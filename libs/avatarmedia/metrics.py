"""Quality figures measured from a finished MP4 alone (and, for identity, the portrait).

Lip sync: the face mesh is run on the decoded frames; mouth opening = inner-lip gap
(landmarks 13/14) / face height. The loudness envelope is the RMS of the MP4's own
audio over a two-frame window centred on each frame's time, in dB (floor 40 dB under
the loud level). Pearson r is taken at lags of -320..+320 ms; a positive lag means the
mouth trails the audio. Silences are runs of >= 350 ms whose loudness stays under the
speech threshold; ``silence_open_ratio`` is the mean opening there over the mean
opening while speaking, both above the clip's closed-mouth baseline (5th percentile).
Identity: each sampled frame is aligned to the portrait by its mesh (similarity
transform on the points above the mouth), then SSIM is averaged over the face oval
minus the lower-face region the mouth and jaw move in.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import cv2
import numpy as np
import numpy.typing as npt

from avatarmedia import face as fm
from avatarmedia.encode import read_audio, read_video
from avatarmedia.errors import MediaInputError, NoFaceError
from avatarmedia.portrait import Portrait

MAX_LAG_S = 0.32
SILENCE_MIN_S = 0.35
ANALYSIS_SIDE = 512
IDENTITY_FACE_PX = 192.0


def mouth_series(frames: list[np.ndarray]) -> tuple[np.ndarray, list[np.ndarray | None]]:
    """Mouth opening per frame (NaN where no face) and the meshes."""
    openings = np.full(len(frames), np.nan)
    meshes: list[np.ndarray | None] = []
    prev: np.ndarray | None = None
    for i, fr in enumerate(frames):
        mesh: np.ndarray | None = None
        if prev is not None:
            mesh, presence = fm.track_mesh(fr, prev)
            if presence < 0.5:
                mesh = None
        if mesh is None:
            try:
                mesh = fm.find_face(fr, min_size=20, require_frontal=False).mesh
            except NoFaceError:
                mesh = None
        meshes.append(mesh)
        prev = mesh
        if mesh is not None:
            openings[i] = fm.mouth_opening(mesh)
    return openings, meshes


def loudness_envelope(samples: np.ndarray, sample_rate: int, fps: float, n: int) -> np.ndarray:
    """RMS level in dB per video frame (two-frame window centred on the frame time)."""
    x = np.asarray(samples, np.float64).reshape(-1)
    hop = sample_rate / fps
    half = int(hop)
    centers = (np.arange(n) * hop + hop / 2).astype(int)
    sq = np.concatenate([[0.0], np.cumsum(x * x)])
    a = np.clip(centers - half, 0, len(x))
    b = np.clip(centers + half, 0, len(x))
    rms = np.sqrt((sq[b] - sq[a]) / np.maximum(b - a, 1))
    db = 20 * np.log10(rms + 1e-8)
    loud = float(np.percentile(db, 95))
    floored: np.ndarray = np.maximum(db, loud - 40.0)
    return floored


def _pearson(a: np.ndarray, b: np.ndarray) -> float:
    ok = np.isfinite(a) & np.isfinite(b)
    if ok.sum() < 10:
        return float("nan")
    a, b = a[ok], b[ok]
    if a.std() < 1e-9 or b.std() < 1e-9:
        return 0.0
    return float(np.corrcoef(a, b)[0, 1])


def lag_correlation(opening: np.ndarray, envelope: np.ndarray, fps: float) -> dict[str, float]:
    """Pearson r at every lag; best lag in ms (positive: mouth trails the audio)."""
    max_lag = round(MAX_LAG_S * fps)
    best_r, best_lag = -2.0, 0
    r0 = _pearson(opening, envelope)
    for lag in range(-max_lag, max_lag + 1):
        # mouth at t compared with audio at t - lag
        if lag >= 0:
            r = _pearson(opening[lag:], envelope[: len(envelope) - lag])
        else:
            r = _pearson(opening[:lag], envelope[-lag:])
        if np.isfinite(r) and r > best_r:
            best_r, best_lag = r, lag
    return {"pearson_r": best_r, "best_lag_ms": best_lag * 1000.0 / fps, "r_at_zero_lag": r0}


def silence_ratio(opening: np.ndarray, envelope: np.ndarray, fps: float) -> dict[str, float]:
    loud = float(np.percentile(envelope, 95))
    floor = float(np.percentile(envelope, 5))
    thr = max(floor + 0.3 * (loud - floor), loud - 30.0)
    quiet = envelope < thr
    min_run = int(np.ceil(SILENCE_MIN_S * fps))
    silent = np.zeros_like(quiet)
    i = 0
    while i < len(quiet):
        if quiet[i]:
            j = i
            while j < len(quiet) and quiet[j]:
                j += 1
            if j - i >= min_run:
                silent[i + 1 : j - 1] = True  # one frame of grace each side
            i = j
        else:
            i += 1
    base = float(np.nanpercentile(opening, 5))
    above = np.clip(opening - base, 0, None)
    speaking = envelope >= thr
    speak_mean = float(np.nanmean(above[speaking])) if speaking.any() else float("nan")
    if not silent.any() or not np.isfinite(speak_mean) or speak_mean <= 0:
        return {
            "silence_open_ratio": float("nan"),
            "silence_s": 0.0,
            "speaking_opening": speak_mean,
        }
    return {
        "silence_open_ratio": float(np.nanmean(above[silent]) / speak_mean),
        "silence_s": float(silent.sum() / fps),
        "speaking_opening": speak_mean,
    }


def lipsync_metrics(mp4_path: str | Path) -> dict[str, float]:
    """Pearson r of mouth opening vs loudness at the best lag, the lag, silence ratio."""
    frames, fps = read_video(mp4_path, max_side=ANALYSIS_SIDE)
    samples, sr = read_audio(mp4_path)
    if not frames:
        raise MediaInputError("the video has no frames")
    opening, _ = mouth_series(frames)
    if np.isnan(opening).mean() > 0.5:
        raise NoFaceError("no face found in most frames of the video")
    env = loudness_envelope(samples, sr, fps, len(frames))
    out: dict[str, float] = {}
    out.update(lag_correlation(opening, env, fps))
    out.update(silence_ratio(opening, env, fps))
    out["face_found"] = float(np.isfinite(opening).mean())
    out["fps"] = fps
    out["n_frames"] = float(len(frames))
    return out


# ------------------------------------------------------------------ identity

_STABLE = [i for i in range(468)]


def _stable_points(mesh: np.ndarray) -> np.ndarray:
    """Mesh points not moved by the mouth or jaw: everything above the nose base."""
    y_cut = mesh[fm.NOSE_BASE, 1]
    idx = np.nonzero(mesh[:, 1] < y_cut)[0]
    return idx


def ssim_map(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    a = a.astype(np.float64)
    b = b.astype(np.float64)
    c1, c2 = (0.01 * 255) ** 2, (0.03 * 255) ** 2

    def blur(x: np.ndarray) -> np.ndarray:
        return np.asarray(cv2.GaussianBlur(x, (7, 7), 1.5))

    mu_a, mu_b = blur(a), blur(b)
    s_aa = blur(a * a) - mu_a**2
    s_bb = blur(b * b) - mu_b**2
    s_ab = blur(a * b) - mu_a * mu_b
    num = (2 * mu_a * mu_b + c1) * (2 * s_ab + c2)
    ssim: np.ndarray = num / ((mu_a**2 + mu_b**2 + c1) * (s_aa + s_bb + c2))
    return ssim


def identity_mask(mesh: np.ndarray, shape: tuple[int, int]) -> np.ndarray:
    """Face oval minus the lower-face region (below the nose base, mouth and jaw)."""
    mask = np.zeros(shape, np.uint8)
    cv2.fillPoly(mask, [np.round(mesh[list(fm.FACE_OVAL), :2]).astype(np.int32)], 1)
    y_cut = int(mesh[fm.NOSE_BASE, 1])
    mask[max(0, y_cut) :, :] = 0
    return mask.astype(bool)


def identity_ssim_frames(
    frames: list[np.ndarray], reference: np.ndarray, ref_mesh: np.ndarray | None = None
) -> dict[str, float]:
    """Mean SSIM (face outside the mouth region) of frames aligned to a reference image."""
    if ref_mesh is None:
        ref_mesh = fm.find_face(reference, min_size=20, require_frontal=False).mesh
    # Work at the video's own face scale (at most a face height of 256 px), so that
    # resampling blur does not count against identity.
    height = float(np.linalg.norm(ref_mesh[fm.FOREHEAD, :2] - ref_mesh[fm.CHIN, :2]))
    metas = [fm.find_face(fr, min_size=20, require_frontal=False) for fr in frames[:1]]
    target = min(IDENTITY_FACE_PX, metas[0].height) if metas else IDENTITY_FACE_PX
    k = min(1.0, target / max(height, 1.0))
    ref = cv2.resize(reference, None, fx=k, fy=k, interpolation=cv2.INTER_AREA)
    rmesh = ref_mesh[:, :2] * k
    ref_gray = cv2.cvtColor(ref, cv2.COLOR_RGB2GRAY)
    mask = identity_mask(rmesh, ref_gray.shape)
    stable = _stable_points(rmesh)
    scores: list[float] = []
    for fr in frames:
        try:
            mesh = fm.find_face(fr, min_size=20, require_frontal=False).mesh
        except NoFaceError:
            scores.append(0.0)
            continue
        m, _ = cv2.estimateAffinePartial2D(
            mesh[stable, :2].astype(np.float32), rmesh[stable].astype(np.float32), method=cv2.LMEDS
        )
        if m is None:
            scores.append(0.0)
            continue
        warped = cv2.warpAffine(
            fr,
            m,
            (ref.shape[1], ref.shape[0]),
            flags=cv2.INTER_AREA,
            borderMode=cv2.BORDER_REPLICATE,
        )
        gray = cv2.cvtColor(warped, cv2.COLOR_RGB2GRAY)
        # Sub-pixel registration (ECC) on the compared region, then SSIM.
        warp: np.ndarray = np.eye(2, 3, dtype=np.float32)
        try:
            _, warp = cv2.findTransformECC(
                ref_gray,
                gray,
                warp,
                cv2.MOTION_EUCLIDEAN,
                (cv2.TERM_CRITERIA_EPS | cv2.TERM_CRITERIA_COUNT, 50, 1e-4),
                mask.astype(np.uint8),
                3,
            )
            gray = cv2.warpAffine(
                gray,
                warp,
                (gray.shape[1], gray.shape[0]),
                flags=cv2.INTER_LINEAR | cv2.WARP_INVERSE_MAP,
                borderMode=cv2.BORDER_REPLICATE,
            )
        except cv2.error:
            pass
        scores.append(float(ssim_map(gray, ref_gray)[mask].mean()))
    arr = np.array(scores)
    return {
        "identity_ssim": float(arr.mean()),
        "identity_ssim_min": float(arr.min()),
        "frames": float(len(arr)),
    }


def identity_ssim(
    mp4_path: str | Path, portrait: Portrait | np.ndarray, n_samples: int = 12
) -> float:
    """Mean SSIM of the face outside the mouth region, video frames vs the portrait."""
    frames, _ = read_video(mp4_path)
    if not frames:
        raise MediaInputError("the video has no frames")
    idx = np.linspace(0, len(frames) - 1, min(n_samples, len(frames))).astype(int)
    image = portrait.image if isinstance(portrait, Portrait) else portrait
    mesh = portrait.mesh if isinstance(portrait, Portrait) else None
    return identity_ssim_frames([frames[i] for i in idx], image, mesh)["identity_ssim"]


def clip_reference(mp4_path: str | Path) -> dict[str, Any]:
    """The same figures for a real talking-head clip (identity vs its own best frame)."""
    from avatarmedia.portrait import best_frame

    out: dict[str, Any] = dict(lipsync_metrics(mp4_path))
    ref = best_frame(mp4_path)
    frames, _ = read_video(mp4_path)
    idx = np.linspace(0, len(frames) - 1, min(12, len(frames))).astype(int)
    out["identity_ssim"] = identity_ssim_frames([frames[i] for i in idx], ref)["identity_ssim"]
    return out


FloatArray = npt.NDArray[np.float32]
