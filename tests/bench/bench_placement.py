"""CPU cost of the footage mouth placement (``MouthCompositor.place``, issue 13):
this tree's code and another revision's, alternately on the same 720p frames.

Each clip is analysed once, driven by its own audio (as ``bench_footage --parts
seams``), and its first ``--frames`` loop frames, meshes and chosen samples are kept.
Then, for ``--rounds`` rounds, each implementation places every sample on fresh copies
of those frames with a new compositor (in the order reference, ours; CPU time of
``place`` only; OpenCV at one thread as the renderer runs it, ``--threads 0``: its
default). The minimum pass of each is printed with the load average, and how far the
two outputs differ. ``--profile`` prints where this tree's placement spends its time
(cProfile, by own time).

Run: .venv/bin/python tests/bench/bench_placement.py [--ref main] [--clips a,b]
         [--frames 100] [--rounds 3] [--profile]
"""

from __future__ import annotations

import argparse
import cProfile
import importlib.util
import os
import pstats
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from types import ModuleType

import numpy as np

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "libs"))

import cv2  # noqa: E402

from avatarmedia import encode  # noqa: E402
from avatarmedia import footage_mouth as ours  # noqa: E402
from avatarmedia.encode import frames_for_audio  # noqa: E402
from avatarmedia.footage import Footage, analyse_clip  # noqa: E402
from avatarmedia.footage_render import LoopReader, footage_size, loop_index  # noqa: E402
from avatarmedia.render import audio_track  # noqa: E402
from tests.bench.report import report  # noqa: E402

FIXTURES = REPO.parent / "shared" / "fixtures"
CLIPS = ["en_woman_talking_8s", "man_talking_7s", "child_talking_9s"]
MODULE = "libs/avatarmedia/footage_mouth.py"

Case = tuple[np.ndarray, np.ndarray, int]  # frame, mesh (at the frame's size), sample


def reference_module(ref: str) -> ModuleType:
    """``footage_mouth`` as it is at git revision ``ref``, imported under its own name
    (this tree's own where git has no such revision, e.g. a CI checkout without it)."""
    got = subprocess.run(
        ["git", "-C", str(REPO), "show", f"{ref}:{MODULE}"], capture_output=True, text=True
    )
    if got.returncode != 0:
        print(f"[bench] placement  no {ref} here ({got.stderr.strip()}): ours against ours")
        return ours
    src = got.stdout
    path = Path(tempfile.mkdtemp()) / "footage_mouth_ref.py"
    path.write_text(src)
    spec = importlib.util.spec_from_file_location("footage_mouth_ref", path)
    assert spec is not None and spec.loader is not None
    mod = importlib.util.module_from_spec(spec)
    sys.modules["footage_mouth_ref"] = mod
    spec.loader.exec_module(mod)
    return mod


def cases(footage: Footage, name: str, n_max: int) -> list[Case]:
    """The first ``n_max`` 720p frames of a render driven by the clip's own audio, with
    their meshes and the samples ``select_samples`` chose."""
    audio, asr = encode.read_audio(FIXTURES / "clips" / f"{name}.mp4")
    audio = audio[: int(asr * 6.0)]
    n = frames_for_audio(len(audio), asr, 25)
    track = audio_track(audio, asr, 25, n)
    chosen = ours.select_samples(footage, track, 25)
    size = footage_size(footage, 720)
    scale = np.array([size[0] / footage.loop_size[0], size[1] / footage.loop_size[1]], np.float32)
    reader = LoopReader(footage.loop_video, size, footage.n_loop)
    out: list[Case] = []
    for t in range(min(n, n_max)):
        j = loop_index(t, 25, footage.fps, footage.n_loop)
        out.append((reader.get(j).copy(), footage.loop_meshes[j] * scale, int(chosen[t])))
    return out


def one_pass(
    mod: ModuleType, footage: Footage, data: Sequence[Case]
) -> tuple[float, list[np.ndarray]]:
    """CPU ms per frame of one compositor placing every case, and its frames."""
    comp = mod.MouthCompositor(footage)
    frames: list[np.ndarray] = []
    cpu = 0.0
    for frame, mesh, sample in data:
        f = frame.copy()
        c0 = time.process_time()
        comp.place(f, mesh, sample)
        cpu += time.process_time() - c0
        frames.append(f)
    return 1000 * cpu / max(len(data), 1), frames


def compare(
    name: str, ref: ModuleType, footage: Footage, data: Sequence[Case], rounds: int
) -> None:
    """Both implementations alternately; the minimum pass of each and the output change."""
    best = {"ref": np.inf, "ours": np.inf}
    got: dict[str, list[np.ndarray]] = {}
    for _ in range(rounds):
        for label, mod in (("ref", ref), ("ours", ours)):
            ms, got[label] = one_pass(mod, footage, data)
            best[label] = min(best[label], ms)
    diff = [
        np.abs(a.astype(np.int16) - b).astype(np.float32)
        for a, b in zip(got["ref"], got["ours"], strict=True)
    ]
    mean = float(np.mean([d.mean() for d in diff]))
    worst = float(max(d.max() for d in diff))
    changed = float(np.mean([(d.max(axis=2) > 2).mean() for d in diff]))
    h, w = data[0][0].shape[:2]
    print(
        f"[bench] placement  {name}: {best['ref']:.2f} -> {best['ours']:.2f} CPU ms per "
        f"{w}x{h} frame ({100 * (best['ours'] / best['ref'] - 1):+.0f} %; min of {rounds}, "
        f"{len(data)} frames) | output vs ref: mean |diff| {mean:.3f}, max {worst:.0f}, "
        f"{100 * changed:.2f} % of pixels > 2 | load {os.getloadavg()[0]:.2f}"
    )
    report(
        "footage",
        f"placement cpu per 720p frame {name} (vs ref)",
        best["ours"],
        "ms",
        ref_ms=round(best["ref"], 3),
        frames=len(data),
    )


def profile(name: str, footage: Footage, data: Sequence[Case], top: int) -> None:
    """Where this tree's placement spends its time, by own time."""
    prof = cProfile.Profile()
    comp = ours.MouthCompositor(footage)
    prof.enable()
    for frame, mesh, sample in data:
        comp.place(frame.copy(), mesh, sample)
    prof.disable()
    print(f"[bench] placement  profile {name} ({len(data)} frames):")
    pstats.Stats(prof).sort_stats("tottime").print_stats(top)


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--ref", default="main")
    ap.add_argument("--clips", default=",".join(CLIPS))
    ap.add_argument("--frames", type=int, default=100)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--profile", action="store_true")
    ap.add_argument("--top", type=int, default=25)
    ap.add_argument("--threads", type=int, default=1, help="OpenCV threads (0: its default)")
    args = ap.parse_args(argv)
    if args.threads:
        cv2.setNumThreads(args.threads)
    ref = reference_module(args.ref)
    for name in args.clips.split(","):
        footage = analyse_clip(FIXTURES / "clips" / f"{name}.mp4").footage
        if footage is None:
            print(f"[bench] placement  {name}: still avatar, nothing to place")
            continue
        data = cases(footage, name, args.frames)
        if args.profile:
            profile(name, footage, data, args.top)
        compare(name, ref, footage, data, args.rounds)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
