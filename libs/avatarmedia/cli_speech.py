"""Speech commands of ``python -m avatarmedia``.

    speak        text -> WAV (+ optional word/phoneme timeline and mouth track JSON)
    clone-voice  speech recording (wav/mp3/mp4 ...) -> voice profile JSON
    estimate     text -> estimated seconds of speech, without synthesising
    voices       the installed voices and the engine of each (espeak-ng, piper)

Example: ``python -m avatarmedia speak --text "Xin chào" --language vi --accent Southern
--out a.wav``.
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import asdict
from pathlib import Path
from typing import Any

from avatarmedia.errors import MediaInputError


def _voice(args: argparse.Namespace) -> Any:
    from avatarmedia.voice import VoiceProfile, default_voice

    if args.voice:
        raw = Path(args.voice).read_text() if Path(args.voice).is_file() else args.voice
        profile = VoiceProfile.from_json(raw)
        if args.language and profile.language != args.language:
            raise MediaInputError(
                f"the voice profile speaks {profile.language}, not {args.language}"
            )
        return profile
    if not args.language:
        raise MediaInputError("give --language (or --voice with a profile)")
    return default_voice(args.language, args.gender, args.accent)


def _text(args: argparse.Namespace) -> str:
    if args.text_file:
        return str(Path(args.text_file).read_text(encoding="utf-8"))
    if args.text is None:
        raise MediaInputError("give --text or --text-file")
    return str(args.text)


def _speak(args: argparse.Namespace) -> int:
    import numpy as np
    import soundfile as sf

    from avatarmedia.speech import synthesize

    speech = synthesize(_text(args), _voice(args), speed=args.speed, pitch=args.pitch)
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    sf.write(str(out), speech.samples, speech.sample_rate, subtype="PCM_16")
    if args.timeline:
        Path(args.timeline).write_text(
            json.dumps(
                {
                    "sample_rate": speech.sample_rate,
                    "duration_s": speech.duration_s,
                    "words": [asdict(w) for w in speech.words],
                    "phonemes": [asdict(p) for p in speech.phonemes],
                },
                ensure_ascii=False,
                indent=1,
            )
        )
    if args.mouth_track:
        from avatarmedia.visemes import phoneme_mouth_track

        track = phoneme_mouth_track(speech, args.fps)
        Path(args.mouth_track).write_text(
            json.dumps(
                {
                    "fps": track.fps,
                    "visemes": track.visemes,
                    **{
                        k: np.round(getattr(track, k), 4).tolist()
                        for k in ("opening", "width", "rounding", "emphasis")
                    },
                }
            )
        )
    print(
        f"{out}: {speech.duration_s:.2f} s, {len(speech.words)} words, "
        f"{len(speech.phonemes)} phonemes"
    )
    return 0


def _clone(args: argparse.Namespace) -> int:
    from avatarmedia.audio import load_audio
    from avatarmedia.voice_clone import clone_voice

    samples, sr = load_audio(args.audio)
    profile = clone_voice(
        samples, sr, language=args.language, gender=args.gender, accent=args.accent
    )
    if args.out:
        Path(args.out).write_text(profile.to_json())
    else:
        sys.stdout.write(profile.to_json() + "\n")
    return 0


def _estimate(args: argparse.Namespace) -> int:
    from avatarmedia.duration import estimate_seconds

    voice = _voice(args) if args.voice else None
    language = voice.language if voice is not None else args.language
    print(f"{estimate_seconds(_text(args), language, speed=args.speed, voice=voice):.2f}")
    return 0


def _voices(args: argparse.Namespace) -> int:
    from avatarmedia.voices import installed_voices

    for v in installed_voices(args.language):
        print(
            f"{v.id:40} {v.engine:9} {v.language} {v.accent:22} {v.gender:6} "
            f"{v.quality:7} {v.sample_rate} {v.origin}"
        )
    return 0


def _voice_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--language", help="en vi zh ja ko es fr de pt ar")
    p.add_argument("--gender", help="male or female")
    p.add_argument("--accent", help="e.g. British, Scottish, Southern (unknown: default)")
    p.add_argument("--voice", help="voice profile JSON (a file or the JSON itself)")


def _text_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--text", help="what to say (at most 600 characters)")
    p.add_argument("--text-file", help="read the text from this UTF-8 file")
    p.add_argument("--speed", type=float, default=1.0, help="0.5 .. 1.5")


def register(sub: Any) -> None:
    speak = sub.add_parser("speak", help="synthesise speech to a WAV file")
    _text_args(speak)
    _voice_args(speak)
    speak.add_argument("--pitch", type=float, default=0.0, help="-50 .. 50")
    speak.add_argument("--out", required=True, help="output WAV path")
    speak.add_argument("--timeline", help="also write words/phonemes with times (JSON)")
    speak.add_argument("--mouth-track", help="also write the per-frame mouth track (JSON)")
    speak.add_argument("--fps", type=float, default=25.0)
    speak.set_defaults(func=_speak)

    clone = sub.add_parser("clone-voice", help="estimate a voice profile from a recording")
    clone.add_argument("--audio", required=True, help="wav/mp3/m4a/mp4 with speech")
    clone.add_argument("--language", required=True)
    clone.add_argument("--gender")
    clone.add_argument("--accent")
    clone.add_argument("--out", help="write the profile JSON here (default: stdout)")
    clone.set_defaults(func=_clone)

    est = sub.add_parser("estimate", help="estimate the speech duration of a text")
    _text_args(est)
    _voice_args(est)
    est.set_defaults(func=_estimate)

    voices = sub.add_parser("voices", help="list the installed voices and their engines")
    voices.add_argument("--language", help="only this language")
    voices.set_defaults(func=_voices)
