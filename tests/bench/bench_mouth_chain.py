"""Where a photo avatar's mouth opening goes, step by step (issue 12's amplitude check).

For each fixture clip (its first frame as the portrait, its own audio, as
``bench_reenact``'s self protocol): the audio track's opening, the plan's (lead and
onset anticipation), the speaking set, the opening the rig is asked to show in
inter-ocular distances (IOD), what the face mesh finds on our frames, and the real
speaker's. Percentiles and the fit of seen against asked on open frames (slope,
intercept): an intercept under zero is opening the warp makes but nobody sees.
Frames are rendered without encoding. Run:
``.venv/bin/python tests/bench/bench_mouth_chain.py [clip,...]`` (~10 s a clip).
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "libs"))

from avatarmedia import reenact  # noqa: E402
from avatarmedia.animate import plan_motion, speaking_set  # noqa: E402
from avatarmedia.animate_photo import SEEN_IOD  # noqa: E402
from avatarmedia.encode import frames_for_audio  # noqa: E402
from avatarmedia.render import (  # noqa: E402
    FRAME_RATES,
    PhotoAnimator,
    audio_track,
    fit_track,
    output_size,
)
from tests.bench.bench_reenact import FIXTURES, openings, still_portrait, synced  # noqa: E402

CLIPS = ["en_woman_talking_8s", "man_talking_7s", "child_talking_9s"]


def spread(values: np.ndarray) -> str:
    v = values[np.isfinite(values)]
    p50, p90, p99 = np.percentile(v, [50, 90, 99])
    return f"p50 {p50:.3f}  p90 {p90:.3f}  p99 {p99:.3f}  max {v.max():.3f}  mean {v.mean():.3f}"


def chain(name: str) -> None:
    clip = reenact.load_clip(FIXTURES / "clips" / f"{name}.mp4")
    real = openings(reenact.observe_mouths(clip.frames))
    clip, _ = synced(clip, reenact.observe_mouths(clip.frames))
    portrait, _ = still_portrait(clip.frames[0])
    fps = min(FRAME_RATES, key=lambda r: abs(r - clip.fps))
    n = frames_for_audio(len(clip.samples), clip.sample_rate, fps)
    track = fit_track(audio_track(clip.samples, clip.sample_rate, fps, n), n)
    plan = plan_motion(track, "avatar", "", seed=0)
    planned = plan.opening.copy()
    plan.opening = speaking_set(plan.opening, fps).astype(np.float32)
    anim = PhotoAnimator(portrait, output_size(portrait, 512))
    seen = openings(reenact.observe_mouths([anim.frame(plan.frame(i)) for i in range(n)]))
    closed = float(np.nanmedian(seen[plan.opening < 0.02])) if (plan.opening < 0.02).any() else 0
    asked = closed + SEEN_IOD * anim.rig.range_gain * plan.opening
    face = anim.rig.height / anim.rig.iod
    print(f"== {name}: {n} frames at {fps} fps, face height {face:.2f} IOD")
    for label, values in (
        ("track opening", track.opening),
        ("plan (anticipated)", planned),
        ("speaking set", plan.opening),
        ("asked, IOD", asked),
        ("seen on ours, IOD", seen),
        ("real speaker, IOD", real),
    ):
        print(f"  {label:20s} {spread(np.asarray(values, np.float64))}")
    m = np.isfinite(seen[:n]) & (plan.opening > 0.05)
    slope, icpt = np.polyfit(asked[m] - closed, seen[:n][m] - closed, 1)
    print(f"  seen vs asked on open frames: slope {slope:.2f}, intercept {icpt:+.3f} IOD")


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    for clip_name in args[0].split(",") if args else CLIPS:
        chain(clip_name)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
