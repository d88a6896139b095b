"""``python -m avatarmedia render``: a talking video from a portrait and text or audio."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np

from .errors import MediaInputError
from .portrait import Portrait, draw_portrait, load_image, photo_portrait, spec_from_description
from .render import RenderRequest, render_video
from .tracks import MouthTrack


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser("render", help="render a lip-synced talking video (MP4 + poster)")
    src = p.add_mutually_exclusive_group(required=True)
    src.add_argument("--portrait", type=Path, help="portrait image (photo or saved portrait)")
    src.add_argument("--describe", help="draw a presenter from this description instead")
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


def _chunks(text: str, limit: int = 500) -> list[str]:
    """Split a long script at sentence ends into pieces the speech engine accepts."""
    import re

    parts: list[str] = []
    current = ""
    for sentence in re.split(r"(?<=[.!?])\s+", text.strip()):
        if current and len(current) + len(sentence) + 1 > limit:
            parts.append(current)
            current = ""
        current = f"{current} {sentence}".strip()
    if current:
        parts.append(current)
    return parts or [text]


PARAGRAPH_PAUSE_S = 0.6


def _paragraphs(text: str) -> list[str]:
    """The script's paragraphs (split at blank lines), empty ones dropped."""
    import re

    return [p.strip() for p in re.split(r"\n\s*\n", text) if p.strip()] or [text]


def speech_for_text(text: str, language: str, gender: str | None,
                    fps: int) -> tuple[np.ndarray, int, MouthTrack | None]:
    """Synthesise text with the speech engine; its phoneme mouth track when available.

    A blank line in the script is a pause of ``PARAGRAPH_PAUSE_S`` (closed mouth):
    espeak's own sentence pauses are under 0.3 s, and a presenter pauses between
    paragraphs.
    """
    try:
        from .speech import synthesize
        from .voice import default_voice
    except ImportError as exc:
        raise MediaInputError("text input needs the speech engine (avatarmedia.speech)") from exc
    voice = default_voice(language, gender)
    paragraphs = [[synthesize(chunk, voice) for chunk in _chunks(para)]
                  for para in _paragraphs(text)]
    sr = paragraphs[0][0].sample_rate
    pause_frames = round(PARAGRAPH_PAUSE_S * fps)
    pause = np.zeros(round(pause_frames * sr / fps), np.float32)
    try:
        from .visemes import phoneme_mouth_track
    except ImportError:
        parts: list[np.ndarray] = []
        for k, para in enumerate(paragraphs):
            parts += ([pause] if k else []) + [p.samples for p in para]
        return np.concatenate(parts), sr, None
    # One track per piece, each sized to its own audio, then joined.
    from .encode import frames_for_audio

    f32 = np.float32
    silence = MouthTrack(fps=fps, opening=np.zeros(pause_frames, f32),
                         width=np.full(pause_frames, 0.5, f32),
                         rounding=np.zeros(pause_frames, f32),
                         emphasis=np.zeros(pause_frames, f32), visemes=["rest"] * pause_frames)
    audio: list[np.ndarray] = []
    tracks: list[MouthTrack] = []
    for k, para in enumerate(paragraphs):
        if k:
            audio.append(pause)
            tracks.append(silence)
        for p in para:
            t = phoneme_mouth_track(p, fps, n_frames=frames_for_audio(len(p.samples), sr, fps))
            # Pad each piece's audio to its frame count so audio and track stay aligned.
            want = round(t.n_frames * sr / fps)
            a = p.samples[:want]
            audio.append(np.concatenate([a, np.zeros(want - len(a), np.float32)]))
            tracks.append(t)
    track = MouthTrack(
        fps=fps, opening=np.concatenate([t.opening for t in tracks]).astype(f32),
        width=np.concatenate([t.width for t in tracks]).astype(f32),
        rounding=np.concatenate([t.rounding for t in tracks]).astype(f32),
        emphasis=np.concatenate([t.emphasis for t in tracks]).astype(f32),
        visemes=[v for t in tracks for v in t.visemes] if all(t.visemes for t in tracks)
        else [])
    return np.concatenate(audio), sr, track


def load_portrait(path: Path) -> Portrait:
    data = path.read_bytes()
    portrait = Portrait.from_bytes(data)
    if portrait.kind == "drawn" or portrait.mesh is not None:
        return portrait
    return photo_portrait(load_image(data))


def run(args: argparse.Namespace) -> int:
    if args.describe:
        portrait = draw_portrait(spec_from_description(args.describe, args.gender, args.seed))
    else:
        portrait = load_portrait(args.portrait)
    if args.pose:
        from .pose import apply_pose

        portrait, applied = apply_pose(portrait, args.pose)
        print(f"pose: {json.dumps(applied)}", file=sys.stderr)
    if args.text:
        samples, sr, track = speech_for_text(args.text, args.language, args.gender, args.fps)
    else:
        from .audio import load_audio

        samples, sr = load_audio(args.audio)
        track = None
    req = RenderRequest(portrait=portrait, samples=samples, sample_rate=sr, mouth=track,
                        tier=args.tier, resolution=args.resolution, fps=args.fps,
                        motion_hint=args.motion, seed=args.seed)
    res = render_video(req, args.out)
    out = {"video": str(res.video_path), "poster": str(res.poster_path),
           "duration_s": round(res.duration_s, 3), "frames": res.n_frames,
           "size": f"{res.width}x{res.height}",
           "seconds": round(res.timings.get("total_s", 0.0), 2)}
    if args.metrics:
        from .metrics import lipsync_metrics

        out["lipsync"] = {k: round(v, 3) for k, v in lipsync_metrics(res.video_path).items()}
    print(json.dumps(out))
    return 0
