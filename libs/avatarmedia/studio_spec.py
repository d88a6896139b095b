"""What a studio render is given: the scenes, resolved to storage keys and profiles.

The video service validates the public request, resolves avatars, voices and URLs
(fetched and stored under the video's prefix) and writes this spec, as JSON, into
the ``jobs.studio.<tier>`` job; the worker reads it back. It is a plain versioned
JSON document rather than nested protobuf messages because only the media engine
reads it and it changes with the engine; the job's envelope stays a proto.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from typing import Any

SPEC_VERSION = 1
DEFAULT_BACKGROUND = "#f6f6fc"


@dataclass(frozen=True)
class CharacterSpec:
    type: str = "avatar"  # avatar | talking_photo
    portrait_key: str = ""  # an avatar's portrait (or pose) key, or the stored photo
    scale: float = 1.0
    offset_x: float = 0.0
    offset_y: float = 0.0
    style: str = "normal"  # normal | closeUp | circle | square
    matting: bool = False
    circle_background_color: str = ""
    talking_style: str = "stable"  # stable | expressive
    expression: str = "default"  # default | happy
    motion_prompt: str = ""


@dataclass(frozen=True)
class VoiceSpec:
    type: str = "text"  # text | audio | silence
    text: str = ""
    voice_profile_json: str = ""
    speed: float = 1.0
    pitch: float = 0.0
    audio_key: str = ""
    duration: float = 0.0  # silence seconds


@dataclass(frozen=True)
class BackgroundSpec:
    type: str = "color"  # color | image | video
    value: str = DEFAULT_BACKGROUND
    key: str = ""  # the stored image or video
    fit: str = "cover"
    play_style: str = "loop"  # fit_to_scene | freeze | loop | once


@dataclass(frozen=True)
class SceneSpec:
    voice: VoiceSpec
    character: CharacterSpec | None = None
    background: BackgroundSpec = field(default_factory=BackgroundSpec)


@dataclass(frozen=True)
class StudioSpec:
    width: int
    height: int
    fps: int
    tier: str
    scenes: tuple[SceneSpec, ...]
    caption: bool = False
    seed: int = 0
    alpha: bool = False  # also the presenter alone, transparent (WebM VP9 + alpha)
    version: int = SPEC_VERSION

    def to_json(self) -> str:
        return json.dumps(asdict(self), separators=(",", ":"))

    @classmethod
    def from_json(cls, raw: str) -> StudioSpec:
        data: dict[str, Any] = json.loads(raw)
        if data.get("version") != SPEC_VERSION:
            raise ValueError(f"studio spec version {data.get('version')} is not {SPEC_VERSION}")
        scenes = tuple(
            SceneSpec(
                voice=VoiceSpec(**s["voice"]),
                character=CharacterSpec(**s["character"]) if s.get("character") else None,
                background=BackgroundSpec(**s["background"]),
            )
            for s in data["scenes"]
        )
        return cls(
            width=data["width"],
            height=data["height"],
            fps=data["fps"],
            tier=data["tier"],
            scenes=scenes,
            caption=data.get("caption", False),
            seed=data.get("seed", 0),
            alpha=data.get("alpha", False),
        )

    def keys(self) -> list[str]:
        """Every storage key the render reads."""
        out: list[str] = []
        for s in self.scenes:
            if s.character is not None and s.character.portrait_key:
                out.append(s.character.portrait_key)
            if s.voice.audio_key:
                out.append(s.voice.audio_key)
            if s.background.key:
                out.append(s.background.key)
        return list(dict.fromkeys(out))


def hex_colour(value: str) -> tuple[int, int, int] | None:
    """(r, g, b) of ``#rgb`` or ``#rrggbb`` (the ``#`` optional), None when not one."""
    v = value.strip().lstrip("#")
    if len(v) == 3:
        v = "".join(c * 2 for c in v)
    if len(v) != 6:
        return None
    try:
        n = int(v, 16)
    except ValueError:
        return None
    return (n >> 16) & 255, (n >> 8) & 255, n & 255
