"""A presenter's script spoken as one take: paragraphs, pauses and the mouth track.

``synthesize`` speaks one utterance. A script is a little more: a blank line is a
pause of ``PARAGRAPH_PAUSE_S`` with the mouth closed (espeak-ng's own sentence pauses
are under 0.3 s, and a presenter breathes between paragraphs), a script longer than
one utterance is spoken sentence by sentence, and each piece's mouth track is sized to
its own audio so sound and mouth stay on the same frame. The worker and the render CLI
both speak scripts here, and ``script_seconds`` prices one the same way.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from avatarmedia.duration import estimate_seconds
from avatarmedia.encode import frames_for_audio
from avatarmedia.speech import synthesize
from avatarmedia.text_norm import MAX_TEXT_CHARS
from avatarmedia.tracks import MouthTrack
from avatarmedia.visemes import phoneme_mouth_track
from avatarmedia.voice import VoiceProfile

PARAGRAPH_PAUSE_S = 0.6


@dataclass(frozen=True)
class SpokenScript:
    samples: npt.NDArray[np.float32]
    sample_rate: int
    track: MouthTrack

    @property
    def seconds(self) -> float:
        return len(self.samples) / self.sample_rate


def paragraphs(text: str) -> list[str]:
    """The script's paragraphs (split at blank lines), empty ones dropped."""
    return [p.strip() for p in re.split(r"\n\s*\n", text) if p.strip()] or [text]


def sentence_chunks(text: str, limit: int = MAX_TEXT_CHARS) -> list[str]:
    """Split text at sentence ends into pieces of at most ``limit`` characters where it can."""
    parts: list[str] = []
    current = ""
    # A Latin sentence ends in .!? and a space ("3.5" is no end); CJK ones need no space.
    for sentence in re.split(r"(?<=[.!?])\s+|(?<=[。！？])", text.strip()):
        if not sentence:
            continue
        if current and len(current) + len(sentence) + 1 > limit:
            parts.append(current)
            current = ""
        current = f"{current} {sentence}".strip()
    if current:
        parts.append(current)
    return parts or [text]


def _silence(frames: int, fps: float) -> MouthTrack:
    f32 = np.float32
    return MouthTrack(
        fps=fps,
        opening=np.zeros(frames, f32),
        width=np.full(frames, 0.5, f32),
        rounding=np.zeros(frames, f32),
        emphasis=np.zeros(frames, f32),
        visemes=["rest"] * frames,
    )


def _joined(tracks: list[MouthTrack], fps: float) -> MouthTrack:
    def cat(name: str) -> npt.NDArray[np.float32]:
        return np.concatenate([getattr(t, name) for t in tracks]).astype(np.float32)

    visemes = [v for t in tracks for v in t.visemes] if all(t.visemes for t in tracks) else []
    return MouthTrack(
        fps=fps,
        opening=cat("opening"),
        width=cat("width"),
        rounding=cat("rounding"),
        emphasis=cat("emphasis"),
        visemes=visemes,
    )


def speak_script(text: str, voice: VoiceProfile, fps: int) -> SpokenScript:
    """The whole script in ``voice``, with its phoneme-derived mouth track at ``fps``."""
    audio: list[npt.NDArray[np.float32]] = []
    tracks: list[MouthTrack] = []
    sample_rate = 0
    pause_frames = round(PARAGRAPH_PAUSE_S * fps)
    for k, paragraph in enumerate(paragraphs(text)):
        if k:
            audio.append(np.zeros(round(pause_frames * sample_rate / fps), np.float32))
            tracks.append(_silence(pause_frames, fps))
        for piece in sentence_chunks(paragraph):
            speech = synthesize(piece, voice)
            sample_rate = speech.sample_rate
            frames = frames_for_audio(len(speech.samples), sample_rate, fps)
            # Pad (or trim) each piece to whole frames so audio and track stay aligned.
            want = round(frames * sample_rate / fps)
            samples = speech.samples[:want]
            audio.append(np.concatenate([samples, np.zeros(want - len(samples), np.float32)]))
            tracks.append(phoneme_mouth_track(speech, fps, frames))
    return SpokenScript(np.concatenate(audio), sample_rate, _joined(tracks, fps))


def script_seconds(text: str, language: str, voice: VoiceProfile | None = None) -> float:
    """How long ``speak_script`` will speak ``text`` (the speech engine's estimate)."""
    parts = paragraphs(text)
    spoken = sum(
        estimate_seconds(piece, language, voice=voice)
        for paragraph in parts
        for piece in sentence_chunks(paragraph)
    )
    return spoken + PARAGRAPH_PAUSE_S * (len(parts) - 1)
