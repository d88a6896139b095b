"""Footage avatars (issue 13): held-out reenactment, seams, loops, speed, contact sheets.

* Held-out (``bench_reenact``'s protocol and metrics): the avatar is made from the
  first 60 % of each fixture clip with audio, driven by the audio of the last 40 %
  (the bring-your-own-audio path: the engine's audio mouth track), and compared with
  those real frames; the still avatar of the same training part beside it.
* Seams: along the blend boundary (mask 0.3-0.7) the mean gradient across it (along the
  mask's normal) in our frames vs the same pixels of the untouched loop frames; the
  nose band change (mean absolute grey change over a band across the frame's nostrils,
  ours vs untouched: a sample's nostrils landing off the frame's ghost there); skin
  detail (high-frequency energy over the blend ring, ours / untouched: a re-made mouth
  softer than the face around it); the placement's CPU ms per 720p frame; zoomed
  lower-face sheets (untouched above ours) in bench-results/footage/nose_*.png.
* Loops: the head-pose step at the loop's wrap vs the clip's own frame-to-frame 95th
  percentile (same pose measure, ``footage.pose_vectors``).
* Speed: a ~30 s script at 720p 25 fps from text to MP4 (speech + render + encode) vs
  its duration, with the voices warm as in the worker, in the default voice and in the
  avatar's own cloned voice (what an API-made footage avatar speaks with), CPU per
  video second split into speech and render+encode.
* Creation (analysis + portrait + storage bytes, then the voice clone) from a 60 s
  1080p clip made by looping and scaling a fixture.
* Contact sheets in bench-results/reenact/heldout_footage_*.png (real above ours) and
  bench-results/footage/tts_*.png (a script spoken by each footage avatar).
* Audio-to-mouth (``--parts a2m``): does a mouth model learned from the clip itself
  (``footage_a2m``) predict the real openings better than the generic audio track?
  Held-out protocol (fit on the first 60 %, r at the best lag within +-40 ms on the
  last 40 %) and, to see past the +-0.1 swing of 70-90 frames, blocked 3- and 5-fold
  over the whole clip (fit on the rest, guarded by the context's reach). ``--learn-mouth``
  makes the held-out part's avatars with the model (``analyse_clip(learn_mouth=True)``).

Run: .venv/bin/python tests/bench/bench_footage.py
         [--parts heldout,seams,speed,creation,a2m] [--clips name,...] [--learn-mouth]
"""

from __future__ import annotations

import argparse
import os
import resource
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "libs"))

import cv2  # noqa: E402
from PIL import Image  # noqa: E402

from avatarmedia import encode, reenact  # noqa: E402
from avatarmedia import face as fm  # noqa: E402
from avatarmedia import footage_a2m as a2m  # noqa: E402
from avatarmedia.encode import VideoEncoder, frames_for_audio  # noqa: E402
from avatarmedia.footage import (  # noqa: E402
    Analysis,
    Footage,
    analyse_clip,
    pose_jump,
    pose_vectors,
)
from avatarmedia.footage_mouth import MouthCompositor, detail_energy  # noqa: E402
from avatarmedia.footage_render import LoopReader, footage_frames, footage_size  # noqa: E402
from avatarmedia.portrait import Portrait, photo_portrait  # noqa: E402
from avatarmedia.reenact import Clip  # noqa: E402
from avatarmedia.render import (  # noqa: E402
    FRAME_RATES,
    RESOLUTIONS,
    RenderRequest,
    audio_track,
    render_video,
)
from avatarmedia.tracks import MouthTrack  # noqa: E402
from avatarmedia.voice import VoiceProfile  # noqa: E402
from tests.bench import bench_reenact as br  # noqa: E402
from tests.bench.report import report  # noqa: E402

FIXTURES = REPO.parent / "shared" / "fixtures"
OUT = REPO / "bench-results" / "footage"
CLIPS = [
    "en_woman_talking_8s",
    "man_talking_7s",
    "child_talking_9s",
    "stage_wideshot_performer_10s",
]
SCRIPT = (
    "Good morning, and thank you for joining us today. In the next few minutes I "
    "will walk you through what changed this quarter, why it matters for your team, "
    "and what we plan to do next. First, the numbers. Sales grew by twelve percent, "
    "and most of that came from customers who had been with us for more than a year. "
    "Second, our support team now answers most questions within one hour. Finally, "
    "we are opening two new offices in the spring. Thank you, and see you next time."
)
SPEED_TARGET = 3.0
NOSE_BAND_TARGET = 1.0  # grey levels
DETAIL_TARGET = (0.75, 1.33)  # high-frequency energy, ours / untouched
CREATION_TARGET_S = 30.0
LEARN_MOUTH = {"on": False}  # --learn-mouth: held-out avatars with their own mouth model


def footage_renderer(
    train: Clip, drive_audio: np.ndarray, sample_rate: int, size: tuple[int, int], fps: float
) -> list[np.ndarray]:
    """The footage avatar of ``train`` driven by ``drive_audio`` (bring-your-own audio),
    rendered through ``render_video`` at the smallest offered size covering the clip
    and the nearest offered frame rate; a still avatar where the clip gives one."""
    resolution = br._offered(max(size), RESOLUTIONS["avatar"])
    rate = min(FRAME_RATES, key=lambda r: abs(r - fps))
    with tempfile.TemporaryDirectory() as tmp:
        analysis = analyse_clip(
            reenact.save_clip(train, Path(tmp) / "train.mp4"), learn_mouth=LEARN_MOUTH["on"]
        )
        print(
            f"[bench] footage    avatar: {analysis.motion} ({analysis.reason}), "
            f"render {resolution} px at {rate} fps"
            + (
                f", its clip's own A/V offset {analysis.footage.info.get('av_offset_s')} s "
                f"applied (confidence {analysis.footage.info.get('av_sync_confidence')})"
                + (
                    f"; its own audio-to-mouth model {analysis.footage.info['mouth_model']}, "
                    f"fitted in {analysis.timings.get('mouth_model_s', 0.0):.2f} s"
                    if "mouth_model" in analysis.footage.info
                    else ""
                )
                if analysis.footage is not None
                else ""
            )
        )
        if analysis.footage is None:
            return br.still_renderer(train, drive_audio, sample_rate, size, fps)
        portrait, _ = br.still_portrait(
            analysis.portrait_frame if analysis.portrait_frame is not None else train.frames[0]
        )
        out = Path(tmp) / "ours.mp4"
        render_video(
            RenderRequest(
                portrait=portrait,
                samples=drive_audio,
                sample_rate=sample_rate,
                resolution=resolution,
                fps=rate,
                footage=analysis.footage,
            ),
            out,
        )
        frames, got_fps = encode.read_video(out)
    n = frames_for_audio(len(drive_audio), sample_rate, fps)
    return br._at_fps(frames, got_fps, fps, n)


def bank_ceiling(name: str, clip: Clip, real: Sequence[reenact.MouthObservation | None]) -> None:
    """What the best possible pick from the training part scores: for each test frame,
    the training frame whose 40 lip points are nearest to the real ones (it knows the
    answer; no audio-driven selection can beat it). Where this ceiling misses a target,
    no choice of samples from this clip meets it."""
    n = round(len(clip.frames) * br.HELD_OUT_SPLIT)
    train = [o for o in real[:n] if o is not None]
    if not train:
        return
    lips = np.stack([o.lips for o in train])
    picks = [
        None if o is None else train[int(np.argmin(np.linalg.norm(lips - o.lips, axis=2).mean(1)))]
        for o in real[n:]
    ]
    s = reenact.compare_mouths(real[n:], picks, clip.fps)
    print(
        f"[bench] footage    {name} bank ceiling (nearest real training mouth per test frame): "
        f"r {s.r:.2f}, lip {s.lip_distance_pct:.2f} %IOD, SSIM {s.crop_ssim:.3f}, "
        f"near-black {s.near_black_ours:.2f} vs real {s.near_black_real:.2f}"
    )
    report(
        "footage",
        f"heldout bank ceiling {name}",
        s.crop_ssim,
        "ssim",
        r=round(s.r, 3),
        lip_distance_pct=round(s.lip_distance_pct, 3),
        near_black=round(s.near_black_ours, 3),
    )


def run_held_out(names: Sequence[str]) -> None:
    """``bench_reenact``'s held-out protocol, which first moves each clip's audio into
    sync with the real speaker's mouth where ``avsync`` is confident (the fixture clips'
    audio trails their video by up to ~0.3 s: compared against frames that lead their
    sound, a correctly synced mouth scores a +0.3 s lag)."""
    for name in names:
        clip = reenact.load_clip(FIXTURES / "clips" / f"{name}.mp4")
        real = reenact.observe_mouths(clip.frames)
        bank_ceiling(name, clip, real)
        br.run_held_out(name, clip, real, footage_renderer, "footage")
        br.run_held_out(name, clip, real, br.still_renderer, "still")


# -- audio-to-mouth --------------------------------------------------------------------


def _shapes(obs: reenact.MouthObservation) -> list[float]:
    """Opening, width and aspect (``footage.mouth_features``' first three) of a real
    mouth from its canonical lip points (IOD units)."""
    ids = list(reenact.LIP_POINTS)
    p = obs.lips.astype(np.float64)
    width = float(np.linalg.norm(p[ids.index(fm.MOUTH_RIGHT)] - p[ids.index(fm.MOUTH_LEFT)]))
    outer = float(
        np.linalg.norm(p[ids.index(fm.UPPER_LIP_TOP)] - p[ids.index(fm.LOWER_LIP_BOTTOM)])
    )
    return [obs.opening, width, outer / max(width, 1e-3)]


def r_near(a: np.ndarray, b: np.ndarray, fps: float) -> float:
    """Pearson r of two per-frame series at the best lag within +-40 ms (NaNs skipped)."""
    best = -1.0
    for lag in range(-round(0.04 * fps), round(0.04 * fps) + 1):
        x, y = (a[lag:], b[: len(b) - lag]) if lag >= 0 else (a[:lag], b[-lag:])
        ok = np.isfinite(x) & np.isfinite(y)
        if ok.sum() > 5 and np.std(x[ok]) > 1e-9 and np.std(y[ok]) > 1e-9:
            best = max(best, float(np.corrcoef(x[ok], y[ok])[0, 1]))
    return best


def _learned_r(
    x: np.ndarray,
    shapes: list[list[float] | None],
    train: Sequence[int],
    test: np.ndarray,
    generic: np.ndarray,
    real: np.ndarray,
    fps: float,
) -> tuple[float, float, bool]:
    """(generic r, ours r, model kept) on frames ``test`` for a model fitted on ``train``
    (ours is the generic track where the fit keeps no model, as the avatar does)."""
    have = [i for i in train if shapes[i] is not None]
    fit = a2m.fit_mouth_model(x[have], np.array([shapes[i] for i in have]), a2m.guard_frames(fps))
    r_gen = r_near(generic[test], real[test], fps)
    if fit.model is None:
        return r_gen, r_gen, False
    return r_gen, r_near(fit.model.opening(x[test]), real[test], fps), True


def run_a2m(names: Sequence[str]) -> None:
    """The learned audio-to-mouth model against the generic track (module docstring)."""
    from avatarmedia.mouth_audio import audio_mouth_track

    for name in names:
        clip = reenact.load_clip(FIXTURES / "clips" / f"{name}.mp4")
        obs = reenact.observe_mouths(clip.frames)
        clip, _av = br.synced(clip, obs)
        n, fps = len(clip.frames), clip.fps
        x = a2m.frame_features(clip.samples, clip.sample_rate, fps, n)
        generic = audio_mouth_track(clip.samples, clip.sample_rate, fps, n).opening
        real = np.array([o.opening if o is not None else np.nan for o in obs])
        shapes = [_shapes(o) if o is not None else None for o in obs]
        n0 = round(n * br.HELD_OUT_SPLIT)
        g_h, o_h, kept = _learned_r(x, shapes, range(n0), np.arange(n0, n), generic, real, fps)
        folds: list[tuple[float, float, bool]] = []
        guard = a2m.guard_frames(fps)
        for k in (3, 5):
            for block in np.array_split(np.arange(n), k):
                rest = [i for i in range(n) if i < block[0] - guard or i > block[-1] + guard]
                folds.append(_learned_r(x, shapes, rest, block, generic, real, fps))
        gains = [o - g for g, o, _ in folds]
        print(
            f"[bench] footage    a2m {name}: held-out r generic {g_h:.2f} ours {o_h:.2f} "
            f"(model {'kept' if kept else 'not kept'}); blocked 3+5-fold mean r generic "
            f"{np.mean([f[0] for f in folds]):.2f} ours {np.mean([f[1] for f in folds]):.2f} "
            f"(model kept in {sum(f[2] for f in folds)}/{len(folds)}, gain per fold "
            f"{' '.join(f'{v:+.2f}' for v in gains)})"
        )
        report(
            "footage",
            f"a2m heldout r {name}",
            o_h,
            "r",
            generic=round(g_h, 3),
            kept=kept,
            kfold_generic=round(float(np.mean([f[0] for f in folds])), 3),
            kfold_ours=round(float(np.mean([f[1] for f in folds])), 3),
            kfold_worst_gain=round(float(min(gains)), 3),
        )


# -- seams and loops -------------------------------------------------------------------


def across_gradient(gray: np.ndarray, mask: np.ndarray, band: np.ndarray) -> float:
    """Mean |gradient . mask normal| over the band's pixels."""
    gx = cv2.Sobel(gray, cv2.CV_32F, 1, 0, ksize=3)
    gy = cv2.Sobel(gray, cv2.CV_32F, 0, 1, ksize=3)
    mx = cv2.Sobel(mask, cv2.CV_32F, 1, 0, ksize=3)
    my = cv2.Sobel(mask, cv2.CV_32F, 0, 1, ksize=3)
    norm = np.hypot(mx, my) + 1e-6
    across = np.abs(gx * mx / norm + gy * my / norm)
    return float(across[band].mean())


def nose_band(mesh: np.ndarray, iod: float, shape: tuple[int, ...]) -> tuple[slice, slice]:
    """The frame's band across the nostrils: from the nostrils' top to just under the
    nose's base, between the nose wings (rows, columns)."""
    h, w = shape[:2]
    top = mesh[list(fm.NOSTRILS), 1].min()
    bottom = mesh[list(fm.LOWER_NOSE), 1].max() + 0.03 * iod
    left, right = mesh[list(fm.NOSE_OUTLINE), 0].min(), mesh[list(fm.NOSE_OUTLINE), 0].max()
    rows = slice(max(0, int(top)), min(h, int(np.ceil(bottom)) + 1))
    cols = slice(max(0, int(left)), min(w, int(np.ceil(right)) + 1))
    return rows, cols


@dataclass
class SeamFigures:
    """Per-frame figures along one render (see ``seam_figures``)."""

    ours_g: list[float] = field(default_factory=list)
    base_g: list[float] = field(default_factory=list)
    nose: list[float] = field(default_factory=list)
    detail_ours: list[float] = field(default_factory=list)
    detail_base: list[float] = field(default_factory=list)
    zoom: list[tuple[np.ndarray, np.ndarray]] = field(default_factory=list)


def _grey(img: np.ndarray) -> np.ndarray:
    return np.asarray(cv2.cvtColor(img, cv2.COLOR_RGB2GRAY), np.float32)


def _measure(
    figs: SeamFigures, frame: np.ndarray, base: np.ndarray, mesh: np.ndarray, comp: MouthCompositor
) -> None:
    """Add one frame's seam, nose band and skin detail figures."""
    iod = float(np.linalg.norm(mesh[fm.LEFT_EYE_OUTER] - mesh[fm.RIGHT_EYE_OUTER]))
    rows, cols = nose_band(mesh, iod, frame.shape)
    figs.nose.append(float(np.abs(_grey(frame[rows, cols]) - _grey(base[rows, cols])).mean()))
    if comp.last_mask is None:
        return
    x0, y0, mask = comp.last_mask
    h, w = mask.shape
    g_ours = _grey(frame[y0 : y0 + h, x0 : x0 + w])
    g_base = _grey(base[y0 : y0 + h, x0 : x0 + w])
    ring = (mask > 0.05) & (mask < 0.7)
    if ring.sum() >= 20:
        figs.detail_ours.append(detail_energy(g_ours, ring))
        figs.detail_base.append(detail_energy(g_base, ring))
    band = (mask > 0.3) & (mask < 0.7)
    if band.sum() < 20:
        return
    figs.ours_g.append(across_gradient(g_ours, mask, band))
    figs.base_g.append(across_gradient(g_base, mask, band))


def zoom_sheet(
    path: Path, pairs: Sequence[tuple[np.ndarray, np.ndarray]], per_row: int = 3
) -> None:
    """Lower faces at twice their size: untouched above ours, one column per instant."""
    cols = [np.concatenate([b, o], axis=0) for b, o in pairs]
    hmax, wmax = max(c.shape[0] for c in cols), max(c.shape[1] for c in cols)
    cols = [
        np.pad(c, ((0, hmax - c.shape[0] + 4), (0, wmax - c.shape[1] + 4), (0, 0))) for c in cols
    ]
    cols += [np.zeros_like(cols[0])] * (-len(cols) % per_row)
    rows = [np.concatenate(cols[i : i + per_row], axis=1) for i in range(0, len(cols), per_row)]
    out = cv2.resize(
        np.concatenate(rows, axis=0), None, fx=2, fy=2, interpolation=cv2.INTER_NEAREST
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(out).save(path)


def _lower_face(img: np.ndarray, mesh: np.ndarray) -> np.ndarray:
    """From the eyes' lower lids to under the chin, cheek to cheek."""
    y0 = int(mesh[[fm.RIGHT_EYE_BOTTOM, fm.LEFT_EYE_BOTTOM], 1].max())
    y1 = int(mesh[fm.CHIN, 1] + 0.1 * (mesh[fm.CHIN, 1] - y0))
    x0, x1 = int(mesh[fm.CHEEK_RIGHT, 0]), int(mesh[fm.CHEEK_LEFT, 0])
    h, w = img.shape[:2]
    return img[max(0, y0) : min(h, y1), max(0, x0) : min(w, x1)].copy()


def _verdict(ok: bool) -> str:
    return "PASS" if ok else "MISS"


def seam_figures(name: str, footage: Footage, track_seconds: float = 6.0) -> None:
    """Gradient across the blend boundary, nose band change and skin detail: ours vs
    the untouched loop frame, over a render driven by the clip's own audio."""
    audio, asr = encode.read_audio(FIXTURES / "clips" / f"{name}.mp4")
    audio = audio[: int(asr * track_seconds)]
    n = frames_for_audio(len(audio), asr, 25)
    track = audio_track(audio, asr, 25, n)
    size = footage.loop_size
    comp = MouthCompositor(footage)
    plain = LoopReader(footage.loop_video, size, footage.n_loop)
    figs = SeamFigures()
    show = set(np.linspace(0, n - 1, 8).astype(int)[1:-1].tolist())
    for t, j, _s, frame in footage_frames(footage, track, size, 25, compositor=comp):
        base = plain.get(j)
        mesh = footage.loop_meshes[j]
        _measure(figs, frame, base, mesh, comp)
        if t in show:
            figs.zoom.append((_lower_face(base, mesh), _lower_face(frame, mesh)))
    zoom_sheet(OUT / f"nose_{name}.png", figs.zoom)
    ours, base_mean = float(np.mean(figs.ours_g)), float(np.mean(figs.base_g))
    nose = float(np.mean(figs.nose))
    detail = float(np.mean(figs.detail_ours)) / max(float(np.mean(figs.detail_base)), 1e-6)
    mark = _verdict(ours <= base_mean)
    nose_mark = _verdict(nose <= NOSE_BAND_TARGET)
    detail_mark = _verdict(DETAIL_TARGET[0] <= detail <= DETAIL_TARGET[1])
    print(
        f"[bench] footage    VERDICT seams {name}: gradient across the blend boundary "
        f"{ours:.2f} vs untouched footage {base_mean:.2f} (target: no higher) {mark} | "
        f"nose band change {nose:.2f} grey (target <= {NOSE_BAND_TARGET:.0f}) {nose_mark} | "
        f"skin detail {detail:.2f}x untouched over the blend ring (target "
        f"{DETAIL_TARGET[0]}-{DETAIL_TARGET[1]}) {detail_mark}"
    )
    report(
        "footage",
        f"seam gradient {name}",
        ours,
        "grey/px",
        untouched=round(base_mean, 3),
        ratio=round(ours / (base_mean or 1e-6), 3),
        verdict=mark,
        frames=len(figs.ours_g),
    )
    report(
        "footage",
        f"nose band change {name}",
        nose,
        "grey",
        p95=round(float(np.percentile(figs.nose, 95)), 3),
        verdict=nose_mark,
        frames=len(figs.nose),
    )
    report("footage", f"skin detail {name}", detail, "x untouched", verdict=detail_mark)
    place_cost(name, footage, track)


class TimedCompositor(MouthCompositor):
    """A compositor that adds up the CPU time of its placements (all threads)."""

    cpu_s: float = 0.0
    calls: int = 0

    def place(self, frame: np.ndarray, mesh: np.ndarray, sample: int) -> np.ndarray:
        c0 = time.process_time()
        out = super().place(frame, mesh, sample)
        self.cpu_s += time.process_time() - c0
        self.calls += 1
        return out


def place_cost(name: str, footage: Footage, track: MouthTrack) -> None:
    """CPU ms per frame of placing the mouth (warp, jaw, colour, blend) at 720p."""
    size = footage_size(footage, 720)
    comp = TimedCompositor(footage)
    for _ in footage_frames(footage, track, size, 25, compositor=comp):
        pass
    ms = 1000 * comp.cpu_s / max(comp.calls, 1)
    print(
        f"[bench] footage    {name}: mouth placement {ms:.1f} CPU ms per {size[0]}x{size[1]} "
        f"frame ({comp.calls} frames; load {os.getloadavg()[0]:.1f})"
    )
    report("footage", f"placement cpu per 720p frame {name}", ms, "ms", frames=comp.calls)


def loop_figures(name: str, footage: Footage) -> None:
    """Head-pose step at the wrap vs the clip's own frame-to-frame 95th percentile."""
    m = footage.loop_meshes
    k = min(4, footage.n_loop // 2)
    seq = np.concatenate([m[-k:], m[:k]])
    poses = pose_vectors(
        {i: np.column_stack([x, np.zeros(len(x))]) for i, x in enumerate(seq)}, len(seq)
    )
    wrap = pose_jump(poses[k - 1], poses[k])
    p95 = float(footage.info.get("pose_p95", 0.0))
    mark = "PASS" if wrap <= p95 else "MISS"
    print(
        f"[bench] footage    VERDICT loop {name}: {footage.info.get('mode')} "
        f"{footage.info.get('loop')} wrap step {wrap:.2f} vs clip p95 {p95:.2f} {mark}"
    )
    report(
        "footage",
        f"loop wrap jump {name}",
        wrap,
        "pose",
        clip_p95=round(p95, 3),
        mode=footage.info.get("mode"),
        verdict=mark,
        loop_frames=footage.n_loop,
    )


def sheet(path: Path, frames: Sequence[np.ndarray], n: int = 8) -> None:
    idx = np.linspace(0, len(frames) - 1, n + 2).astype(int)[1:-1]
    tiles = [
        Image.fromarray(frames[i]).resize(
            (240, round(240 * frames[i].shape[0] / frames[i].shape[1]))
        )
        for i in idx
    ]
    w, h = tiles[0].size
    out = Image.new("RGB", (w * 4, h * ((len(tiles) + 3) // 4)))
    for k, tile in enumerate(tiles):
        out.paste(tile, ((k % 4) * w, (k // 4) * h))
    path.parent.mkdir(parents=True, exist_ok=True)
    out.save(path)


def run_seams(names: Sequence[str]) -> None:
    from avatarmedia.cli_render import speech_for_text

    for name in names:
        analysis = analyse_clip(FIXTURES / "clips" / f"{name}.mp4")
        report(
            "footage",
            f"motion {name}",
            1.0 if analysis.footage else 0.0,
            "footage",
            reason=analysis.reason,
        )
        if analysis.footage is None:
            print(f"[bench] footage    {name}: still avatar ({analysis.reason})")
            continue
        seam_figures(name, analysis.footage)
        loop_figures(name, analysis.footage)
        _samples, _sr, track = speech_for_text(SCRIPT.split(". ")[0] + ".", "en", None, 25)
        frames = [
            f for *_, f in footage_frames(analysis.footage, track, analysis.footage.loop_size, 25)
        ]
        sheet(OUT / f"tts_{name}.png", frames)


# -- speed --------------------------------------------------------------------------------


def long_clip(path: Path, seconds: float = 60.0) -> Path:
    """A 1920x1080 clip of ``seconds`` made by looping a fixture scaled to 1080 px high
    (ping-pong, so it has no jumps), the sides filled by the blurred frame."""
    clip = reenact.load_clip(FIXTURES / "clips" / "en_woman_talking_8s.mp4")
    n = round(seconds * clip.fps)
    order = list(range(len(clip.frames))) + list(range(len(clip.frames) - 2, 0, -1))
    enc = VideoEncoder(path, 1920, 1080, clip.fps, preset="ultrafast", crf=20)
    enc.add_audio(clip.sample_rate)
    cache: dict[int, np.ndarray] = {}
    for t in range(n):
        i = order[t % len(order)]
        if i not in cache:
            fr = clip.frames[i]
            face = cv2.resize(
                fr, (1080 * fr.shape[1] // fr.shape[0], 1080), interpolation=cv2.INTER_CUBIC
            )
            bg = cv2.GaussianBlur(cv2.resize(fr, (1920, 1080)), (0, 0), 25)
            x0 = (1920 - face.shape[1]) // 2
            bg[:, x0 : x0 + face.shape[1]] = face
            cache[i] = bg
        enc.write(cache[i])
    reps = int(np.ceil(n / len(clip.frames)))
    audio = np.tile(clip.samples, reps)[: round(seconds * clip.sample_rate)]
    enc.close(audio, clip.sample_rate)
    return path


def cpu_s() -> float:
    """CPU seconds used so far by this process and its finished children (the box is
    shared: wall clock alone says as much about the neighbours as about us)."""
    me, kids = (
        resource.getrusage(resource.RUSAGE_SELF),
        resource.getrusage(resource.RUSAGE_CHILDREN),
    )
    return me.ru_utime + me.ru_stime + kids.ru_utime + kids.ru_stime


def text_to_mp4(
    label: str, voice: VoiceProfile, footage: Footage, portrait: Portrait, tmp: Path
) -> None:
    """Time one script from text to MP4 as the worker runs it (voices warm), per stage,
    in wall and CPU seconds; print and report the verdict."""
    from avatarmedia.script import speak_script

    t0, c0 = time.perf_counter(), cpu_s()
    spoken = speak_script(SCRIPT, voice, 25)
    t_speech, c_speech = time.perf_counter() - t0, cpu_s() - c0
    res = render_video(
        RenderRequest(
            portrait=portrait,
            samples=spoken.samples,
            sample_rate=spoken.sample_rate,
            mouth=spoken.track,
            resolution=720,
            fps=25,
            footage=footage,
        ),
        tmp / f"script_{label}.mp4",
    )
    wall = time.perf_counter() - t0
    cpu = cpu_s() - c0
    secs = spoken.seconds
    ratio = secs / wall
    mark = "PASS" if ratio >= SPEED_TARGET else "MISS"
    print(
        f"[bench] footage    VERDICT speed ({label}: {voice.engine} {voice.base_voice}, "
        f"{voice.source}): {secs:.1f} s script at 720p25 text->MP4 in {wall:.1f} s (speech "
        f"{t_speech:.1f} s, render+encode {res.timings['total_s']:.1f} s) = {ratio:.2f}x real "
        f"time (target >= {SPEED_TARGET}x) {mark}; CPU per video second: speech "
        f"{c_speech / secs:.3f} + render+encode {(cpu - c_speech) / secs:.3f} = "
        f"{cpu / secs:.3f}; load {os.getloadavg()[0]:.1f}"
    )
    report(
        "footage",
        f"script 720p25 text->mp4 speed ({label})",
        ratio,
        "x realtime",
        audio_s=round(secs, 2),
        wall_s=round(wall, 2),
        speech_s=round(t_speech, 2),
        cpu_s=round(cpu, 2),
        speech_cpu_per_s=round(c_speech / secs, 4),
        render_cpu_per_s=round((cpu - c_speech) / secs, 4),
        verdict=mark,
    )


def run_speed() -> None:
    from avatarmedia.voice import default_voice
    from avatarmedia.voice_clone import clone_voice
    from avatarmedia.voices import warm_up

    clip_path = FIXTURES / "clips" / "en_woman_talking_8s.mp4"
    analysis: Analysis = analyse_clip(clip_path)
    assert analysis.footage is not None and analysis.portrait_frame is not None
    portrait = photo_portrait(analysis.portrait_frame)
    # The worker loads every voice (and measures Piper voices' gender and pace) once,
    # at start-up: a job's text->MP4 does not pay it, so neither does the figure. It
    # is printed on its own (the 2.11x figure of 2026-12-05 had it inside the speech).
    t0, c0 = time.perf_counter(), cpu_s()
    warm_up()
    voice = default_voice("en", "female")
    print(
        f"[bench] footage    voice warm-up (once per process, at worker start): "
        f"{time.perf_counter() - t0:.1f} s, CPU {cpu_s() - c0:.1f} s"
    )
    # A footage avatar made through the API speaks with its clip's cloned voice.
    clip_samples, clip_rate = encode.read_audio(clip_path)
    own = clone_voice(clip_samples, clip_rate, language="en")
    with tempfile.TemporaryDirectory() as tmp:
        for label, profile in (("default voice", voice), ("own cloned voice", own)):
            text_to_mp4(label, profile, analysis.footage, portrait, Path(tmp))


def run_creation() -> None:
    from avatarmedia.voice_clone import clone_voice

    with tempfile.TemporaryDirectory() as tmp:
        big = long_clip(Path(tmp) / "long.mp4")
        t0, c0 = time.perf_counter(), cpu_s()
        made = analyse_clip(big)
        frame = made.portrait_frame
        photo_portrait(frame if frame is not None else np.zeros((8, 8, 3), np.uint8))
        stored = made.footage.to_bytes() if made.footage is not None else b""
        t_footage = time.perf_counter() - t0
        samples, sr = encode.read_audio(big)
        t1 = time.perf_counter()
        clone_voice(samples, sr, language="en")
        t_voice = time.perf_counter() - t1
        total = t_footage + t_voice
        cpu = cpu_s() - c0
        mark = "PASS" if total < CREATION_TARGET_S else "MISS"
        print(
            f"[bench] footage    VERDICT creation 60 s 1080p: {made.motion}, analysis+portrait "
            f"{t_footage:.1f} s ({made.timings}), voice clone {t_voice:.1f} s, total "
            f"{total:.1f} s, stored {len(stored) / 1e6:.1f} MB (target < "
            f"{CREATION_TARGET_S:.0f} s) {mark}; CPU {cpu:.1f} s, load {os.getloadavg()[0]:.1f}"
        )
        report(
            "footage",
            "creation 60s 1080p",
            total,
            "s",
            footage_s=round(t_footage, 2),
            voice_s=round(t_voice, 2),
            motion=made.motion,
            stored_mb=round(len(stored) / 1e6, 2),
            cpu_s=round(cpu, 2),
            verdict=mark,
        )


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--parts", default="heldout,seams,speed,creation")
    ap.add_argument("--clips", default=",".join(CLIPS))
    ap.add_argument("--no-av-sync", action="store_true", help="keep each clip's audio/video offset")
    ap.add_argument(
        "--learn-mouth", action="store_true", help="held-out avatars with their own mouth model"
    )
    args = ap.parse_args(argv)
    parts = set(args.parts.split(","))
    names = args.clips.split(",")
    OUT.mkdir(parents=True, exist_ok=True)
    br.OUT.mkdir(parents=True, exist_ok=True)
    if "heldout" in parts:
        br.AV_SYNC["on"] = not args.no_av_sync
        LEARN_MOUTH["on"] = args.learn_mouth
        run_held_out(names)
    if "a2m" in parts:
        run_a2m(names)
    if "seams" in parts:
        run_seams(names)
    if "speed" in parts:
        run_speed()
    if "creation" in parts:
        run_creation()
    print(f"[bench] footage contact sheets in {OUT} and {br.OUT}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
