"""``python -m avatarmedia render``: a talking video from a portrait and text or audio."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np

from avatarmedia.footage import Footage
from avatarmedia.portrait import (
    Portrait,
    draw_portrait,
    load_image,
    photo_portrait,
    spec_from_description,
)
from avatarmedia.render import RenderRequest, render_video
from avatarmedia.tracks import MouthTrack


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser("render", help="render a lip-synced talking video (MP4 + poster)")
    src = p.add_mutually_exclusive_group(required=True)
    src.add_argument("--portrait", type=Path, help="portrait image (photo or saved portrait)")
    src.add_argument("--describe", help="draw a presenter from this description instead")
    src.add_argument(
        "--clip",
        type=Path,
        help="talking-head clip: a footage avatar (its own "
        "frames and mouth; a still one when the clip cannot be used)",
    )
    words = p.add_mutually_exclusive_group(required=True)
    words.add_argument("--text", help="script to speak")
    words.add_argument("--audio", type=Path, help="speech audio file (wav, mp3, m4a...)")
    p.add_argument("--out", type=Path, required=True, help="output .mp4")
    p.add_argument("--language", default="en")
    p.add_argument("--gender", default=None)
    p.add_argument("--tier", default="avatar", choices=("avatar", "avatar_pro"))
    p.add_argument("--resolution", type=int, default=720)
    p.add_argument("--fps", type=int, default=25)
    p.add_argument("--motion", default="", help="motion hint, e.g. 'calm, smiling'")
    p.add_argument("--pose", default="", help="pose prompt applied to the portrait first")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--metrics", action="store_true", help="measure lip sync on the result")
    p.set_defaults(func=run)


def speech_for_text(
    text: str, language: str, gender: str | None, fps: int
) -> tuple[np.ndarray, int, MouthTrack]:
    """The script spoken by the language's default voice, and its mouth track."""
    from avatarmedia.script import speak_script
    from avatarmedia.voice import default_voice

    spoken = speak_script(text, default_voice(language, gender), fps)
    return spoken.samples, spoken.sample_rate, spoken.track


def load_portrait(path: Path) -> Portrait:
    data = path.read_bytes()
    portrait = Portrait.from_bytes(data)
    if portrait.kind == "drawn" or portrait.mesh is not None:
        return portrait
    return photo_portrait(load_image(data))


def clip_avatar(path: Path) -> tuple[Portrait, Footage | None, str]:
    """A clip's portrait and footage (None for a still avatar) and the reason."""
    from avatarmedia.footage import analyse_clip
    from avatarmedia.portrait import best_frame

    analysis = analyse_clip(path)
    frame = analysis.portrait_frame
    portrait = photo_portrait(frame if frame is not None else best_frame(path))
    return portrait, analysis.footage, analysis.reason


def run(args: argparse.Namespace) -> int:
    footage: Footage | None = None
    reason = ""
    if args.describe:
        portrait = draw_portrait(spec_from_description(args.describe, args.gender, args.seed))
    elif args.clip:
        portrait, footage, reason = clip_avatar(args.clip)
        print(f"motion: {'footage' if footage else 'still'} ({reason})", file=sys.stderr)
    else:
        portrait = load_portrait(args.portrait)
    if args.pose:
        from avatarmedia.pose import apply_pose

        portrait, applied = apply_pose(portrait, args.pose)
        print(f"pose: {json.dumps(applied)}", file=sys.stderr)
    if args.text:
        samples, sr, track = speech_for_text(args.text, args.language, args.gender, args.fps)
    else:
        from avatarmedia.audio import load_audio

        samples, sr = load_audio(args.audio)
        track = None
    req = RenderRequest(
        portrait=portrait,
        samples=samples,
        sample_rate=sr,
        mouth=track,
        tier=args.tier,
        resolution=args.resolution,
        fps=args.fps,
        motion_hint=args.motion,
        seed=args.seed,
        footage=footage,
    )
    res = render_video(req, args.out)
    out = {
        "video": str(res.video_path),
        "poster": str(res.poster_path),
        "duration_s": round(res.duration_s, 3),
        "frames": res.n_frames,
        "size": f"{res.width}x{res.height}",
        "seconds": round(res.timings.get("total_s", 0.0), 2),
    }
    if args.metrics:
        from avatarmedia.metrics import lipsync_metrics

        out["lipsync"] = {k: round(v, 3) for k, v in lipsync_metrics(res.video_path).items()}
    print(json.dumps(out))
    return 0
