"""Self-reenactment against real footage (issues 12 and 13), figures and contact sheets.

Self (issue 12): each fixture clip with audio; its first frame is the portrait, its own
audio drives the render, its real frames are the truth. Held-out (issue 13): the avatar
is made from the first 60 % of the clip, driven by the audio of the last 40 %, compared
with those real frames. Both run ours and the frozen first frame (the floor) through
``avatarmedia.reenact`` (mesh-aligned mouth crops and lip points, so our head-and-
shoulders framing and the clip's framing compare point for point) and print PASS/MISS
against the issue's targets. Frames where either side has no face are left out (the
stage clip's camera cuts); the count used is printed.

How "ours" is made is a ``Renderer``: ``(train, drive_audio, sample_rate, size, fps) ->
frames`` at exactly ``frames_for_audio(len(drive_audio), sample_rate, fps)`` frames of
``fps``. ``still`` (the photo engine through ``photo_portrait`` and ``render_video``) is
built in; another is plugged in by name in RENDERERS or as ``module:function``. A
renderer that makes its avatar from a file writes ``train`` with ``reenact.save_clip``.

A/V offset: the fixture clips' audio is not guaranteed to be in sync with their video
(LivePortrait's driving clips). Before either protocol, ``avsync`` estimates each clip's
offset from the REAL speaker's mouth (SyncNet-style: mouth cues against audio cues at
every offset within +-500 ms, a confidence beside it) and, where the confidence is at
least ``avsync.MIN_CONFIDENCE``, moves the clip's audio by it; our renderer is then
driven by, and the figures judged against, the synced audio. The offset and its
confidence are printed beside r and lag (``--no-av-sync``: the clip's audio as is).

Run: .venv/bin/python tests/bench/bench_reenact.py [--renderer NAME|module:function]
         [--parts self,heldout,faces] [--clips name,...] [--no-av-sync]
"""

from __future__ import annotations

import argparse
import importlib
import math
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "libs"))

from PIL import Image, ImageDraw  # noqa: E402

from avatarmedia import avsync, encode, reenact, rest_mouth  # noqa: E402
from avatarmedia.audio import load_audio  # noqa: E402
from avatarmedia.errors import FaceTooSmallError, MediaInputError  # noqa: E402
from avatarmedia.metrics import lag_correlation, loudness_envelope, silence_ratio  # noqa: E402
from avatarmedia.portrait import Portrait, load_image, photo_portrait  # noqa: E402
from avatarmedia.reenact import Clip, MouthObservation, ReenactScores  # noqa: E402
from avatarmedia.render import FRAME_RATES, RESOLUTIONS, RenderRequest, render_video  # noqa: E402
from tests.bench.report import report  # noqa: E402

FIXTURES = REPO.parent / "shared" / "fixtures"
OUT = REPO / "bench-results" / "reenact"
CLIPS = [
    "en_woman_talking_8s",
    "man_talking_7s",
    "child_talking_9s",
    "stage_wideshot_performer_10s",
]
FACES = [
    "man_black_frontal_obama.jpg",
    "man_elderly_frontal_smiling.jpg",
    "woman_asian_frontal_2840px.jpg",
    "woman_white_frontal_astronaut.png",
    "woman_lowres_226px_smiling.png",
    "woman_dark_skin_painted.png",
    "stylized_3d_boy.jpg",
]
FACE_AUDIO = "en_female_5s.wav"
HELD_OUT_SPLIT = 0.6
MAX_LAG_OK_MS = 40.0
SHEET_INSTANTS = 9
EDGE_BAND = (1 / 1.5, 1.5)
# Inner-mouth lightness distribution: at most this far (earth mover's distance, L*) from
# the real speaker's. Added because en_woman_talking_8s passed the near-black share and
# the edges (edges 0.670x, on the band's edge) while the sheets plainly differ: she
# shows two rows of bright teeth, ours a dark red throat under one row (EMD 23 L*; the
# man's and the child's plausible interiors are at 5.5 and 7.2).
EMD_MAX = 12.0
# Teeth along the closed lips' meeting line at rest (``rest_mouth.teeth_share``): at most
# this share. en_woman_talking_8s's first frame kept a line of her teeth there (0.13).
REST_TEETH_MAX = 0.02

Renderer = Callable[[Clip, np.ndarray, int, tuple[int, int], float], list[np.ndarray]]


@dataclass(frozen=True)
class Goal:
    """One issue's targets for ours against the real speaker and the frozen floor."""

    r_min: float  # opening r at the best lag, the lag within +-MAX_LAG_OK_MS
    lip_share: float  # lip distance at most this share of the frozen frame's
    ssim_margin: float  # crop SSIM at least the frozen frame's plus this
    black_tol: float  # near-black share within this of the real speaker's


SELF_GOAL = Goal(r_min=0.6, lip_share=0.75, ssim_margin=0.0, black_tol=0.10)  # issue 12
HELD_OUT_GOAL = Goal(r_min=0.7, lip_share=0.6, ssim_margin=0.1, black_tol=0.05)  # issue 13


def _mark(ok: bool, *values: float) -> str:
    if not all(math.isfinite(v) for v in values):
        return "MISS(NaN)"
    return "PASS" if ok else "MISS"


def verdicts(o: ReenactScores, f: ReenactScores, goal: Goal) -> dict[str, str]:
    """PASS/MISS per target with the numbers it was judged on.

    The near-black target also needs the inner-mouth edges within EDGE_BAND of the real
    speaker's: the black share alone passed a hard-edged black box with a grey band on
    man_talking_7s (see ``reenact``'s docstring); and the inner lightness within EMD_MAX
    of the real one's (see there)."""
    lag_ok = math.isfinite(o.lag_ms) and abs(o.lag_ms) <= MAX_LAG_OK_MS
    lip_max = goal.lip_share * f.lip_distance_pct
    ssim_min = f.crop_ssim + goal.ssim_margin
    black_gap = abs(o.near_black_ours - o.near_black_real)
    edges_ok = EDGE_BAND[0] <= o.edge_ratio <= EDGE_BAND[1] and o.lightness_emd <= EMD_MAX
    return {
        "r_ok": _mark(o.r >= goal.r_min and lag_ok, o.r),
        "r_target": f"r >= {goal.r_min} at a lag within +-{MAX_LAG_OK_MS:.0f} ms",
        "lip_ok": _mark(o.lip_distance_pct <= lip_max, o.lip_distance_pct, lip_max),
        "lip_target": f"<= {goal.lip_share:.0%} of frozen = {lip_max:.2f} %IOD",
        "ssim_ok": _mark(o.crop_ssim >= ssim_min, o.crop_ssim, ssim_min),
        "ssim_target": f">= frozen + {goal.ssim_margin} = {ssim_min:.3f}",
        "black_ok": _mark(
            black_gap <= goal.black_tol and edges_ok, black_gap, o.edge_ratio, o.lightness_emd
        ),
        "black_target": (
            f"near-black within {goal.black_tol} of real, inner edges "
            f"{EDGE_BAND[0]:.2f}-{EDGE_BAND[1]:.1f}x real and L* EMD <= {EMD_MAX:.0f}"
        ),
    }


def print_verdicts(
    title: str,
    o: ReenactScores,
    v: dict[str, str],
    silence: tuple[float, str] | None = None,
    av: avsync.AVOffset | None = None,
) -> None:
    line = (
        f"[bench] reenact    VERDICT {title}: r {o.r:.2f} at {o.lag_ms:+.0f} ms {v['r_ok']}"
        f" | lip {o.lip_distance_pct:.2f} ({v['lip_target']}) {v['lip_ok']}"
        f" | SSIM {o.crop_ssim:.3f} ({v['ssim_target']}) {v['ssim_ok']}"
        f" | near-black {o.near_black_ours:.2f} vs real {o.near_black_real:.2f}, "
        f"edges {o.edge_ratio:.2f}x, L* EMD {o.lightness_emd:.1f} {v['black_ok']}"
    )
    if silence is not None:
        line += f" | silence ratio {silence[0]:.2f} {silence[1]}"
    if av is not None:
        used = "applied" if av.reliable and AV_SYNC["on"] else "not applied"
        line += f" | A/V offset {1000 * av.offset_s:+.0f} ms, confidence {av.confidence:.2f} {used}"
    print(line)


SILENCE_TARGET = 0.3
AV_SYNC = {"on": True}  # --no-av-sync turns it off


def synced(clip: Clip, real: Sequence[MouthObservation | None]) -> tuple[Clip, avsync.AVOffset]:
    """The clip with its audio moved into sync with the real speaker's mouth, where the
    estimate is reliable (``avsync``), and the estimate."""
    est = avsync.estimate_from_observations(real, clip.samples, clip.sample_rate, clip.fps)
    shift = est.applied_s if AV_SYNC["on"] else 0.0
    if shift == 0.0:
        return clip, est
    audio = avsync.align_audio(clip.samples, clip.sample_rate, shift)
    return Clip(clip.frames, clip.fps, audio, clip.sample_rate), est


def av_line(name: str, est: avsync.AVOffset) -> str:
    state = (
        "applied"
        if est.reliable and AV_SYNC["on"]
        else "not applied (--no-av-sync)"
        if est.reliable
        else f"not applied: confidence under {avsync.MIN_CONFIDENCE}"
    )
    return (
        f"[bench] reenact    A/V offset {name}: audio trails video by {1000 * est.offset_s:+.0f} ms"
        f", confidence {est.confidence:.2f} (score {est.score:.2f}), {state}"
    )


def av_fields(est: avsync.AVOffset) -> dict[str, object]:
    applied = est.applied_s if AV_SYNC["on"] else 0.0
    return {
        "av_offset_ms": _fig(1000 * est.offset_s),
        "av_confidence": _fig(est.confidence),
        "av_applied_ms": round(1000 * applied, 1),
    }


# ------------------------------------------------------------------ renderers


def _offered(value: float, offered: Sequence[int]) -> int:
    """The smallest offered value at least ``value`` (else the largest offered)."""
    fits = [v for v in sorted(offered) if v >= value - 0.5]
    return fits[0] if fits else max(offered)


def _at_fps(frames: list[np.ndarray], src_fps: float, fps: float, n: int) -> list[np.ndarray]:
    """Nearest-frame resampling from src_fps to fps, exactly n frames."""
    idx = np.minimum(np.round(np.arange(n) * src_fps / fps).astype(int), len(frames) - 1)
    return [frames[i] for i in idx]


def still_portrait(frame: np.ndarray) -> tuple[Portrait, str]:
    """The photo portrait of a clip frame, as the worker makes it; a face too small for
    the product (the stage shot) is taken down to 20 px so the engine is still measured."""
    try:
        return photo_portrait(frame), "photo_portrait"
    except FaceTooSmallError:
        return photo_portrait(frame, min_face=20), "photo_portrait(min_face=20): face too small"


def still_renderer(
    train: Clip, drive_audio: np.ndarray, sample_rate: int, size: tuple[int, int], fps: float
) -> list[np.ndarray]:
    """Today's still avatar: the training part's first frame through ``photo_portrait``,
    driven by the audio through ``render_video`` at the smallest offered resolution that
    covers the clip and the nearest offered frame rate, decoded from the MP4."""
    portrait, how = still_portrait(train.frames[0])
    resolution = _offered(max(size), RESOLUTIONS["avatar"])
    rate = min(FRAME_RATES, key=lambda r: abs(r - fps))
    print(f"[bench] reenact    still avatar: {how}, render {resolution} px at {rate} fps")
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "ours.mp4"
        render_video(
            RenderRequest(
                portrait=portrait,
                samples=drive_audio,
                sample_rate=sample_rate,
                resolution=resolution,
                fps=rate,
            ),
            out,
        )
        frames, got_fps = encode.read_video(out)
    n = encode.frames_for_audio(len(drive_audio), sample_rate, fps)
    return _at_fps(frames, got_fps, fps, n)


RENDERERS: dict[str, Renderer] = {"still": still_renderer}


def renderer_named(name: str) -> Renderer:
    if name in RENDERERS:
        return RENDERERS[name]
    module, _, attr = name.partition(":")
    fn: Renderer = getattr(importlib.import_module(module), attr)
    return fn


# ------------------------------------------------------------------ figures


def openings(obs: Sequence[MouthObservation | None]) -> np.ndarray:
    return np.array([o.opening if o is not None else np.nan for o in obs])


def silence_of(obs: Sequence[MouthObservation | None], clip: Clip) -> dict[str, float]:
    env = loudness_envelope(clip.samples, clip.sample_rate, clip.fps, len(obs))
    return silence_ratio(openings(obs), env, clip.fps)


def median_iod_px(frames: Sequence[np.ndarray]) -> float:
    """Median inter-ocular distance in pixels over a few frames (how big the face is)."""
    from avatarmedia import face as fm

    iods = []
    for fr in frames[:: max(1, len(frames) // 6)]:
        try:
            mesh = fm.find_face(fr, min_size=20, require_frontal=False).mesh
        except MediaInputError:
            continue
        iods.append(reenact.canonical_transform(mesh)[1])
    return float(np.median(iods)) if iods else float("nan")


def _fig(v: float) -> float | None:
    return round(float(v), 4) if math.isfinite(v) else None


def report_scores(area: str, clip: str, role: str, s: ReenactScores, **extra: object) -> None:
    report(
        area,
        f"{role} r {clip}",
        s.r,
        "r",
        lag_ms=_fig(s.lag_ms),
        r_at_zero=_fig(s.r_at_zero),
        lip_distance_pct=_fig(s.lip_distance_pct),
        crop_ssim=_fig(s.crop_ssim),
        delta_e=_fig(s.delta_e),
        texture_ratio=_fig(s.texture_ratio),
        near_black_ours=_fig(s.near_black_ours),
        near_black_real=_fig(s.near_black_real),
        lightness_emd=_fig(s.lightness_emd),
        edge_ratio=_fig(s.edge_ratio),
        crop_delta_e=_fig(s.crop_delta_e),
        frames=s.frames,
        open_frames=s.open_frames,
        **extra,
    )


def print_table(title: str, rows: list[tuple[str, ReenactScores]]) -> None:
    print(f"[bench] reenact    {title}")
    print(
        f"[bench]   {'':8s} {'r':>6s} {'lag ms':>7s} {'lip %IOD':>8s} {'SSIM':>6s} "
        f"{'dE':>6s} {'tex':>5s} {'edges':>5s} {'black':>6s} {'real':>5s} {'EMD':>5s} "
        f"{'cropdE':>6s} {'frames/open':>11s}"
    )
    for role, s in rows:
        print(
            f"[bench]   {role:8s} {s.r:6.3f} {s.lag_ms:7.0f} {s.lip_distance_pct:8.2f} "
            f"{s.crop_ssim:6.3f} {s.delta_e:6.1f} {s.texture_ratio:5.2f} {s.edge_ratio:5.2f} "
            f"{s.near_black_ours:6.3f} {s.near_black_real:5.3f} {s.lightness_emd:5.1f} "
            f"{s.crop_delta_e:6.1f} "
            f"{s.frames:4d}/{s.open_frames:<3d}"
        )


# ------------------------------------------------------------------ contact sheets


def _label(img: Image.Image, text: str) -> Image.Image:
    ImageDraw.Draw(img).text((3, 2), text, fill=(255, 255, 0))
    return img


def sheet_instants(
    real: Sequence[MouthObservation | None], clip: Clip, n: int = SHEET_INSTANTS
) -> list[tuple[int, str]]:
    """Frames to show: the quietest one, the widest-open ones, the rest spread evenly."""
    op = openings(real)
    env = loudness_envelope(clip.samples, clip.sample_rate, clip.fps, len(real))
    have = np.isfinite(op)
    if not have.any():
        return []
    quiet = int(np.argmin(np.where(have, env, np.inf)))
    chosen: list[tuple[int, str]] = [(quiet, "silent")]
    for i in np.argsort(-np.nan_to_num(op, nan=-1.0)):
        if len(chosen) >= 4:
            break
        if all(abs(int(i) - j) >= 5 for j, _ in chosen):
            chosen.append((int(i), "wide"))
    for i in np.linspace(0, len(real) - 1, n + 2).astype(int)[1:-1]:
        if len(chosen) >= n:
            break
        if have[i] and all(abs(int(i) - j) >= 3 for j, _ in chosen):
            chosen.append((int(i), "even"))
    return sorted(chosen)


def clip_sheet(
    path: Path,
    real_frames: Sequence[np.ndarray],
    ours_frames: Sequence[np.ndarray],
    real: Sequence[MouthObservation | None],
    ours: Sequence[MouthObservation | None],
    instants: list[tuple[int, str]],
    fps: float,
    tile: int = 200,
) -> None:
    """Rows: real frame, our frame, real mouth crop, our mouth crop, at the same instants."""
    crop_h = reenact.CROP_H * 2
    rows_h = [tile, tile, crop_h, crop_h]
    sheet = Image.new("RGB", (tile * len(instants), sum(rows_h)), (20, 20, 24))
    for col, (i, why) in enumerate(instants):
        x = col * tile
        y = 0
        for row, src in enumerate((real_frames, ours_frames)):
            im = Image.fromarray(src[i]) if i < len(src) else Image.new("RGB", (tile, tile))
            im.thumbnail((tile, tile))
            who = "real" if row == 0 else "ours"
            sheet.paste(_label(im, f"{who} {i / fps:.2f}s {why}"), (x, y))
            y += rows_h[row]
        for obs in (real, ours):
            o = obs[i] if i < len(obs) else None
            if o is not None:
                im = Image.fromarray(o.crop).resize((reenact.CROP_W * 2, crop_h), Image.LANCZOS)
                sheet.paste(_label(im, f"open {o.opening:.2f}"), (x, y))
            y += crop_h
    path.parent.mkdir(parents=True, exist_ok=True)
    sheet.save(path)


def mouth_sheet(path: Path, name: str, obs: Sequence[MouthObservation | None]) -> None:
    """3x mouth crops of one rendered video at rest, mid and wide opening."""
    op = openings(obs)
    if not np.isfinite(op).any():
        return
    rest = int(np.nanargmin(op))
    wide = int(np.nanargmax(op))
    mid = int(np.nanargmin(np.abs(op - (op[rest] + op[wide]) / 2)))
    tiles = []
    for i, why in ((rest, "rest"), (mid, "mid"), (wide, "wide")):
        o = obs[i]
        assert o is not None
        im = Image.fromarray(o.crop).resize((reenact.CROP_W * 3, reenact.CROP_H * 3), Image.LANCZOS)
        tiles.append(_label(im, f"{name} {why} f{i} open {o.opening:.2f}"))
    sheet = Image.new("RGB", (reenact.CROP_W * 9, reenact.CROP_H * 3))
    for k, im in enumerate(tiles):
        sheet.paste(im, (k * reenact.CROP_W * 3, 0))
    path.parent.mkdir(parents=True, exist_ok=True)
    sheet.save(path)


# ------------------------------------------------------------------ protocols


def run_self(
    name: str, clip: Clip, real: list[MouthObservation | None], render: Renderer, renderer_name: str
) -> None:
    clip, av = synced(clip, real)
    print(av_line(name, av))
    size = (clip.frames[0].shape[1], clip.frames[0].shape[0])
    t0 = time.perf_counter()
    ours_frames = render(clip, clip.samples, clip.sample_rate, size, clip.fps)
    t_render = time.perf_counter() - t0
    ours = reenact.observe_mouths(ours_frames)
    frozen = reenact.observe_mouths(reenact.frozen_frames(clip.frames[0], len(real)))
    # Our renderer driven by silence: what the portrait path alone (crop, colour
    # levels, resampling, idle motion, closed mouth) scores before any mouth motion.
    at_rest = reenact.observe_mouths(
        render(clip, np.zeros_like(clip.samples), clip.sample_rate, size, clip.fps)
    )
    s_ours = reenact.compare_mouths(real, ours, clip.fps)
    s_frozen = reenact.compare_mouths(real, frozen, clip.fps)
    s_rest = reenact.compare_mouths(real, at_rest, clip.fps)
    sil_ours, sil_real = silence_of(ours, clip), silence_of(real, clip)
    face_share = float(np.mean([o is not None for o in real]))
    print_table(
        f"self-reenactment {name} ({renderer_name}): {s_ours.frames} of {len(real)} "
        f"frames with a face on both sides ({face_share:.0%} of real frames have one)",
        [("ours", s_ours), ("frozen", s_frozen), ("silent", s_rest)],
    )
    ceiling = reenact.audio_ceiling(real, clip.samples, clip.sample_rate, clip.fps)
    print(
        f"[bench] reenact    {name} what the audio can tell (in-sample linear fit of the real "
        f"mouth from the audio features, an optimistic bound): lip {ceiling.lip_distance_pct:.2f} "
        f"%IOD (target {SELF_GOAL.lip_share * s_frozen.lip_distance_pct:.2f}), opening r "
        f"{ceiling.opening_r:.2f}"
    )
    env = loudness_envelope(clip.samples, clip.sample_rate, clip.fps, len(real))
    real_audio = lag_correlation(openings(real), env, clip.fps)
    ours_audio = lag_correlation(openings(ours[: len(real)]), env[: len(ours)], clip.fps)
    print(
        f"[bench] reenact    {name} opening vs the clip's loudness: real speaker r "
        f"{real_audio['pearson_r']:.2f} at {real_audio['best_lag_ms']:+.0f} ms, ours r "
        f"{ours_audio['pearson_r']:.2f} at {ours_audio['best_lag_ms']:+.0f} ms"
    )
    sil = sil_ours["silence_open_ratio"]
    sil_ok = (
        "PASS"
        if sil <= SILENCE_TARGET
        else "MISS"
        if math.isfinite(sil)
        else "n/a (no silence >= 350 ms)"
    )
    marks = verdicts(s_ours, s_frozen, SELF_GOAL)
    print_verdicts(f"self {name} ({renderer_name})", s_ours, marks, (sil, sil_ok), av)
    report_scores(
        "reenact",
        name,
        f"self {renderer_name}",
        s_ours,
        protocol="self",
        **marks,
        silence_ratio=_fig(sil),
        silence_s=round(sil_ours["silence_s"], 2),
        silence_ok=sil_ok,
        real_silence_ratio=_fig(sil_real["silence_open_ratio"]),
        real_face_share=round(face_share, 3),
        render_s=round(t_render, 1),
        real_vs_audio_r=_fig(real_audio["pearson_r"]),
        real_vs_audio_lag_ms=_fig(real_audio["best_lag_ms"]),
        ours_vs_audio_r=_fig(ours_audio["pearson_r"]),
        ours_vs_audio_lag_ms=_fig(ours_audio["best_lag_ms"]),
        iod_px_real=_fig(median_iod_px(clip.frames)),
        iod_px_ours=_fig(median_iod_px(ours_frames)),
        **av_fields(av),
        audio_ceiling_lip_pct=_fig(ceiling.lip_distance_pct),
        audio_ceiling_r=_fig(ceiling.opening_r),
    )
    report_scores(
        "reenact", name, "self frozen", s_frozen, protocol="self", floor="frozen first frame"
    )
    report_scores(
        "reenact",
        name,
        f"self {renderer_name} silent",
        s_rest,
        protocol="self",
        floor="our renderer driven by silence",
    )
    clip_sheet(
        OUT / f"self_{renderer_name}_{name}.png",
        clip.frames,
        ours_frames,
        real,
        ours,
        sheet_instants(real, clip),
        clip.fps,
    )


def run_held_out(
    name: str, clip: Clip, real: list[MouthObservation | None], render: Renderer, renderer_name: str
) -> None:
    clip, av = synced(clip, real)
    print(av_line(name, av))
    train, test = reenact.split_clip(clip, HELD_OUT_SPLIT)
    real_test = real[len(train.frames) :]
    size = (clip.frames[0].shape[1], clip.frames[0].shape[0])
    t0 = time.perf_counter()
    ours_frames = render(train, test.samples, test.sample_rate, size, clip.fps)
    t_render = time.perf_counter() - t0
    ours = reenact.observe_mouths(ours_frames)
    frozen = reenact.observe_mouths(reenact.frozen_frames(train.frames[0], len(real_test)))
    s_ours = reenact.compare_mouths(real_test, ours, clip.fps)
    s_frozen = reenact.compare_mouths(real_test, frozen, clip.fps)
    print_table(
        f"held-out {name} ({renderer_name}): trained on {len(train.frames)} frames, "
        f"compared on {s_ours.frames} of {len(real_test)}",
        [("ours", s_ours), ("frozen", s_frozen)],
    )
    marks = verdicts(s_ours, s_frozen, HELD_OUT_GOAL)
    print_verdicts(f"held-out {name} ({renderer_name})", s_ours, marks, av=av)
    report_scores(
        "reenact",
        name,
        f"heldout {renderer_name}",
        s_ours,
        protocol="heldout",
        **marks,
        render_s=round(t_render, 1),
        **av_fields(av),
    )
    report_scores(
        "reenact", name, "heldout frozen", s_frozen, protocol="heldout", floor="frozen first frame"
    )
    clip_sheet(
        OUT / f"heldout_{renderer_name}_{name}.png",
        test.frames,
        ours_frames,
        real_test,
        ours,
        sheet_instants(real_test, test),
        clip.fps,
    )


def run_faces() -> None:
    """Per frontal fixture face: a render driven by a speech fixture, crops at rest/mid/wide."""
    audio, sr = load_audio(FIXTURES / "speech" / FACE_AUDIO)
    half = len(audio) // 2  # a 0.6 s pause so "rest" is a real rest
    audio = np.concatenate([audio[:half], np.zeros(int(sr * 0.6), np.float32), audio[half:]])
    for face in FACES:
        short = face.rsplit(".", 1)[0]
        try:
            portrait = photo_portrait(load_image(FIXTURES / "faces" / face))
        except MediaInputError as exc:
            print(f"[bench] reenact    face {short} refused: {exc}")
            continue
        mesh = portrait.mesh
        teeth = float("nan") if mesh is None else rest_mouth.teeth_share(portrait.image, mesh)
        print(
            f"[bench] reenact    face {short}: teeth between the lips at rest {teeth:.3f} "
            f"(<= {REST_TEETH_MAX}) {_mark(teeth <= REST_TEETH_MAX)}"
        )
        report("reenact", f"face rest_teeth {short}", teeth, "share", max=REST_TEETH_MAX)
        with tempfile.TemporaryDirectory() as tmp:
            out = Path(tmp) / "face.mp4"
            render_video(
                RenderRequest(
                    portrait=portrait, samples=audio, sample_rate=sr, resolution=512, fps=25
                ),
                out,
            )
            frames, _ = encode.read_video(out)
        obs = reenact.observe_mouths(frames)
        op = openings(obs)
        print(
            f"[bench] reenact    face {short}: opening rest {np.nanmin(op):.3f} "
            f"wide {np.nanmax(op):.3f} IOD, near-black in open frames "
            f"{reenact.near_black_share(obs):.3f}"
        )
        report(
            "reenact",
            f"face near_black {short}",
            reenact.near_black_share(obs),
            "share",
            widest_opening=_fig(float(np.nanmax(op))),
            rest_opening=_fig(float(np.nanmin(op))),
        )
        mouth_sheet(OUT / f"mouths_{short}.png", short, obs)


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--renderer", default="still")
    ap.add_argument("--parts", default="self,heldout,faces")
    ap.add_argument("--clips", default=",".join(CLIPS))
    ap.add_argument("--no-av-sync", action="store_true", help="drive with the audio as is")
    args = ap.parse_args(argv)
    AV_SYNC["on"] = not args.no_av_sync
    parts = set(args.parts.split(","))
    render = renderer_named(args.renderer)
    tag = args.renderer.rsplit(":", 1)[-1]
    OUT.mkdir(parents=True, exist_ok=True)
    t0 = time.perf_counter()
    for name in args.clips.split(","):
        clip = reenact.load_clip(FIXTURES / "clips" / f"{name}.mp4")
        real = reenact.observe_mouths(clip.frames)
        if "self" in parts:
            run_self(name, clip, real, render, tag)
        if "heldout" in parts:
            run_held_out(name, clip, real, render, tag)
    if "faces" in parts:
        run_faces()
    report("reenact", "bench wall time", time.perf_counter() - t0, "s", parts=args.parts)
    print(f"[bench] reenact contact sheets in {OUT}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
