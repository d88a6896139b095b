"""Studio videos: the request's own rules (no lookups), and the price rule.

A studio request is the JSON body of ``POST /api/v1/videos`` (docs/studio.md):
``video_inputs`` (1-50 scenes, each a character, a voice and a background),
``dimension``, ``caption``, ``title``, ``callback_id``, ``callback_url``, ``tier``,
``fps`` and ``output_format``. ``validate_studio`` checks every field and answers
the first problem as VALIDATION_ERROR naming the field by its path
(``video_inputs[2].voice.speed: ...``); nothing is looked up, held or written
before it passes. Fields the peer API has and we do not use (``folder_id``,
``super_resolution``, ``emotion``, ``elevenlabs_settings``) are accepted and
ignored; any other unknown field is refused, so a typo never silently does nothing.

Price: the tier's per-second rate on the whole output, silence scenes included.
The hold is the estimate (text scenes +10 %, since the speech engine's estimate can
fall short) rounded up to whole seconds; the capture is the rendered seconds at the
same rate, never more than the hold (``logic.capture_amount``).
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass
from typing import Any

from avatarmedia.studio_layout import FITS, check_dimension
from avatarmedia.studio_spec import DEFAULT_BACKGROUND, hex_colour
from avatarmesh.tiers import Tier
from services.video.logic import (
    MAX_WEBHOOK_URL_CHARS,
    OUTPUT_FORMATS,
    invalid,
    watermark_mode_of,
)

MAX_SCENES = 50
MAX_SCENE_TEXT_CHARS = 5000
MAX_MOTION_PROMPT_CHARS = 2000
MAX_TITLE_CHARS = 255
MAX_CALLBACK_ID_CHARS = 255
MAX_URL_CHARS = 2048
MAX_VIDEO_SECONDS = 600.0  # the whole studio video
MAX_BACKGROUND_VIDEO_SECONDS = 300.0
MAX_SCENE_AUDIO_SECONDS = 300.0
TEXT_ESTIMATE_MARGIN = 1.10
DEFAULT_DIMENSION = (1280, 720)
FRAME_RATES = (24, 25, 30)
PLAY_STYLES = ("fit_to_scene", "freeze", "loop", "once")
AVATAR_STYLES = ("normal", "circle", "closeUp")
PHOTO_STYLES = ("square", "circle")
TALKING_STYLES = ("stable", "expressive")
EXPRESSIONS = ("default", "happy")
IGNORED = {"folder_id", "super_resolution", "emotion", "elevenlabs_settings"}
FILE_KEY = "file-key:"  # a file id the gateway resolved: file-key:files/<owner>/<id>.<ext>
LOCALE = re.compile(r"^[a-z]{2,3}(-[A-Za-z0-9]{2,8})?$")


@dataclass(frozen=True)
class CharacterDraft:
    type: str  # avatar | talking_photo
    avatar_id: str = ""
    pose_id: str = ""
    photo_url: str = ""
    scale: float = 1.0
    offset_x: float = 0.0
    offset_y: float = 0.0
    style: str = "normal"  # normal | closeUp | circle | square
    matting: bool = False
    circle_background_color: str = ""
    talking_style: str = "stable"
    expression: str = "default"
    motion_prompt: str = ""


@dataclass(frozen=True)
class VoiceDraft:
    type: str  # text | audio | silence
    text: str = ""
    voice_id: str = ""
    speed: float = 1.0
    pitch: float = 0.0
    locale: str = ""
    audio_url: str = ""
    duration: float = 0.0


@dataclass(frozen=True)
class BackgroundDraft:
    type: str = "color"
    value: str = DEFAULT_BACKGROUND
    url: str = ""
    fit: str = "cover"
    play_style: str = "loop"


@dataclass(frozen=True)
class SceneDraft:
    voice: VoiceDraft
    character: CharacterDraft | None
    background: BackgroundDraft


@dataclass(frozen=True)
class StudioDraft:
    scenes: tuple[SceneDraft, ...]
    width: int
    height: int
    tier: Tier
    fps: int
    caption: bool
    title: str
    callback_id: str
    callback_url: str
    output_format: str
    alpha_output: bool = False
    watermark_mode: str = "auto"
    output_temporary: bool = False

    def summary(self) -> dict[str, Any]:
        """What GET shows of the request (and ``studio_json`` keeps)."""
        return {
            "title": self.title,
            "callback_id": self.callback_id,
            "caption": self.caption,
            "alpha_output": self.alpha_output,
            "dimension": {"width": self.width, "height": self.height},
            "scenes": [
                {
                    "voice": s.voice.type,
                    "character": s.character.type if s.character else None,
                    "background": s.background.type,
                }
                for s in self.scenes
            ],
        }


# -- field readers -----------------------------------------------------------------


def _obj(value: Any, path: str, allowed: set[str]) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise invalid(f"{path}: must be an object")
    for key in value:
        if key not in allowed and key not in IGNORED:
            raise invalid(f"{path}.{key}: unknown field")
    return value


def _number(
    data: dict[str, Any], key: str, path: str, lo: float, hi: float, default: float
) -> float:
    value = data.get(key, default)
    if value is None:
        return default
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise invalid(f"{path}.{key}: must be a number")
    if not lo <= value <= hi:
        raise invalid(f"{path}.{key}: must be between {lo:g} and {hi:g}, got {value:g}")
    return float(value)


def _text(data: dict[str, Any], key: str, path: str, limit: int, default: str = "") -> str:
    value = data.get(key, default)
    if value is None:
        return default
    if not isinstance(value, str):
        raise invalid(f"{path}.{key}: must be a string")
    if len(value) > limit:
        raise invalid(f"{path}.{key}: at most {limit} characters, got {len(value)}")
    return value


def _choice(
    data: dict[str, Any], key: str, path: str, options: tuple[str, ...], default: str
) -> str:
    value = _text(data, key, path, 64, default) or default
    if value not in options:
        raise invalid(f"{path}.{key}: must be one of {', '.join(options)}, got {value!r}")
    return value


def _flag(data: dict[str, Any], key: str, path: str) -> bool:
    value = data.get(key, False)
    if value is None:
        return False
    if not isinstance(value, bool):
        raise invalid(f"{path}.{key}: must be true or false")
    return value


def _colour(data: dict[str, Any], key: str, path: str, default: str) -> str:
    value = _text(data, key, path, 16, default) or default
    if hex_colour(value) is None:
        raise invalid(f"{path}.{key}: must be a hex colour such as #1a2b3c, got {value!r}")
    return value


def _url(data: dict[str, Any], key: str, path: str) -> str:
    """An https URL, or (from the gateway) ``file-key:<storage key>`` for a file id."""
    value = _text(data, key, path, MAX_URL_CHARS).strip()
    for asset in ("image_asset_id", "video_asset_id", "audio_asset_id", "talking_photo_id"):
        if data.get(asset) and not value:
            raise invalid(f"{path}.{asset}: give a file id (file_...) through the REST API")
    if not value:
        raise invalid(f"{path}.{key}: required")
    if value.startswith(FILE_KEY):
        return value
    if "://" not in value:
        raise invalid(f"{path}.{key}: must be an absolute https:// URL")
    return value


# -- scenes ------------------------------------------------------------------------


def _offset(data: dict[str, Any], path: str) -> tuple[float, float]:
    raw = data.get("offset")
    if raw is None:
        return 0.0, 0.0
    offset = _obj(raw, f"{path}.offset", {"x", "y"})
    return (
        _number(offset, "x", f"{path}.offset", -1.0, 1.0, 0.0),
        _number(offset, "y", f"{path}.offset", -1.0, 1.0, 0.0),
    )


def _character(raw: Any, path: str) -> CharacterDraft | None:
    if raw is None:
        return None
    common = {"type", "scale", "offset", "matting", "circle_background_color", "motion_prompt"}
    kind = raw.get("type") if isinstance(raw, dict) else None
    if kind == "avatar":
        data = _obj(raw, path, common | {"avatar_id", "pose_id", "avatar_style"})
        avatar_id = _text(data, "avatar_id", path, 64).strip()
        if not avatar_id:
            raise invalid(f"{path}.avatar_id: required")
        x, y = _offset(data, path)
        return CharacterDraft(
            type="avatar",
            avatar_id=avatar_id,
            pose_id=_text(data, "pose_id", path, 64).strip(),
            scale=_positive_scale(data, path, 5.0),
            offset_x=x,
            offset_y=y,
            style=_choice(data, "avatar_style", path, AVATAR_STYLES, "normal"),
            matting=_flag(data, "matting", path),
            circle_background_color=_optional_colour(data, path),
            motion_prompt=_text(data, "motion_prompt", path, MAX_MOTION_PROMPT_CHARS),
        )
    if kind == "talking_photo":
        extra = {"talking_photo_url", "talking_photo_id", "talking_photo_style"}
        data = _obj(raw, path, common | extra | {"talking_style", "expression"})
        x, y = _offset(data, path)
        return CharacterDraft(
            type="talking_photo",
            photo_url=_url(data, "talking_photo_url", path),
            scale=_positive_scale(data, path, 2.0),
            offset_x=x,
            offset_y=y,
            style=_choice(data, "talking_photo_style", path, PHOTO_STYLES, "square"),
            matting=_flag(data, "matting", path),
            circle_background_color=_optional_colour(data, path),
            talking_style=_choice(data, "talking_style", path, TALKING_STYLES, "stable"),
            expression=_choice(data, "expression", path, EXPRESSIONS, "default"),
            motion_prompt=_text(data, "motion_prompt", path, MAX_MOTION_PROMPT_CHARS),
        )
    raise invalid(f"{path}.type: must be avatar or talking_photo")


def _positive_scale(data: dict[str, Any], path: str, hi: float) -> float:
    scale = _number(data, "scale", path, 0.0, hi, 1.0)
    if scale <= 0.0:
        raise invalid(f"{path}.scale: must be above 0 (at most {hi:g})")
    return scale


def _optional_colour(data: dict[str, Any], path: str) -> str:
    if not data.get("circle_background_color"):
        return ""
    return _colour(data, "circle_background_color", path, "#ffffff")


def _voice(raw: Any, path: str) -> VoiceDraft:
    if raw is None:
        raise invalid(f"{path}: required")
    kind = raw.get("type") if isinstance(raw, dict) else None
    if kind == "text":
        data = _obj(raw, path, {"type", "input_text", "voice_id", "speed", "pitch", "locale"})
        text = _text(data, "input_text", path, MAX_SCENE_TEXT_CHARS)
        if not text.strip():
            raise invalid(f"{path}.input_text: required (1-{MAX_SCENE_TEXT_CHARS} characters)")
        locale = _text(data, "locale", path, 16).strip()
        if locale and not LOCALE.match(locale):
            raise invalid(f"{path}.locale: must look like en-US, got {locale!r}")
        pitch = _number(data, "pitch", path, -50, 50, 0)
        if pitch != int(pitch):
            raise invalid(f"{path}.pitch: must be a whole number")
        return VoiceDraft(
            type="text",
            text=text,
            voice_id=_text(data, "voice_id", path, 64).strip(),
            speed=_number(data, "speed", path, 0.5, 1.5, 1.0),
            pitch=pitch,
            locale=locale,
        )
    if kind == "audio":
        data = _obj(raw, path, {"type", "audio_url", "audio_asset_id"})
        return VoiceDraft(type="audio", audio_url=_url(data, "audio_url", path))
    if kind == "silence":
        data = _obj(raw, path, {"type", "duration"})
        return VoiceDraft(type="silence", duration=_number(data, "duration", path, 1.0, 100.0, 1.0))
    raise invalid(f"{path}.type: must be text, audio or silence")


def _background(raw: Any, path: str) -> BackgroundDraft:
    if raw is None:
        return BackgroundDraft()
    kind = raw.get("type", "color") if isinstance(raw, dict) else None
    if kind == "color":
        data = _obj(raw, path, {"type", "value"})
        return BackgroundDraft(value=_colour(data, "value", path, DEFAULT_BACKGROUND))
    if kind == "image":
        data = _obj(raw, path, {"type", "url", "image_asset_id", "fit"})
        return BackgroundDraft(
            type="image", url=_url(data, "url", path), fit=_choice(data, "fit", path, FITS, "cover")
        )
    if kind == "video":
        data = _obj(raw, path, {"type", "url", "video_asset_id", "fit", "play_style"})
        return BackgroundDraft(
            type="video",
            url=_url(data, "url", path),
            fit=_choice(data, "fit", path, FITS, "cover"),
            play_style=_choice(data, "play_style", path, PLAY_STYLES, "loop"),
        )
    raise invalid(f"{path}.type: must be color, image or video")


def _scene(raw: Any, path: str) -> SceneDraft:
    data = _obj(raw, path, {"character", "voice", "background"})
    character = _character(data.get("character"), f"{path}.character")
    voice = _voice(data.get("voice"), f"{path}.voice")
    if (
        voice.type == "text"
        and not voice.voice_id
        and (character is None or character.type != "avatar")
    ):
        raise invalid(f"{path}.voice.voice_id: required unless the character is an avatar")
    return SceneDraft(voice, character, _background(data.get("background"), f"{path}.background"))


def parse_request(raw: str) -> dict[str, Any]:
    try:
        data = json.loads(raw)
    except (ValueError, RecursionError):
        raise invalid("the body is not valid JSON") from None
    if not isinstance(data, dict):
        raise invalid("the body must be a JSON object")
    return data


def validate_studio(body: dict[str, Any]) -> StudioDraft:
    """The request's own rules; VALIDATION_ERROR naming the field (module doc)."""
    allowed = {
        "video_inputs", "dimension", "caption", "title", "callback_id", "callback_url",
        "tier", "fps", "output_format", "alpha_output", "watermark_mode",
        "is_output_temporary",
    }  # fmt: skip
    data = _obj(body, "body", allowed)
    try:
        tier = Tier(_text(data, "tier", "body", 32, "avatar") or "avatar")
    except ValueError:
        raise invalid("tier: must be avatar or avatar_pro") from None
    inputs = data.get("video_inputs")
    if not isinstance(inputs, list) or not inputs:
        raise invalid(f"video_inputs: required, 1 to {MAX_SCENES} scenes")
    if len(inputs) > MAX_SCENES:
        raise invalid(f"video_inputs: at most {MAX_SCENES} scenes, got {len(inputs)}")
    scenes = tuple(_scene(s, f"video_inputs[{i}]") for i, s in enumerate(inputs))
    width, height = _dimension(data.get("dimension"), tier)
    fps = data.get("fps", 25) or 25
    if fps not in FRAME_RATES or isinstance(fps, bool):
        raise invalid("fps: must be 24, 25 or 30")
    output_format = _text(data, "output_format", "body", 16, "url") or "url"
    if output_format not in OUTPUT_FORMATS:
        raise invalid("output_format: must be url or raw_key")
    callback_url = _text(data, "callback_url", "body", MAX_WEBHOOK_URL_CHARS).strip()
    if callback_url and "://" not in callback_url:
        raise invalid("callback_url: must be an absolute https:// URL")
    return StudioDraft(
        scenes=scenes,
        width=width,
        height=height,
        tier=tier,
        fps=int(fps),
        caption=_flag(data, "caption", "body"),
        title=_text(data, "title", "body", MAX_TITLE_CHARS),
        callback_id=_text(data, "callback_id", "body", MAX_CALLBACK_ID_CHARS),
        callback_url=callback_url,
        output_format=output_format,
        alpha_output=_flag(data, "alpha_output", "body"),
        watermark_mode=watermark_mode_of(_text(data, "watermark_mode", "body", 16)),
        output_temporary=_flag(data, "is_output_temporary", "body"),
    )


def _dimension(raw: Any, tier: Tier) -> tuple[int, int]:
    if raw is None:
        return DEFAULT_DIMENSION
    data = _obj(raw, "dimension", {"width", "height"})
    sizes = []
    for key in ("width", "height"):
        value = data.get(key)
        if isinstance(value, float) and value.is_integer():  # JSON's 720.0 is whole
            value = int(value)
        if isinstance(value, bool) or not isinstance(value, int):
            raise invalid(f"dimension.{key}: must be a whole number of pixels")
        sizes.append(value)
    width, height = sizes
    problem = check_dimension(width, height, tier.value)
    if problem:
        raise invalid(problem)
    return width, height


def studio_hold_seconds(text_seconds: float, other_seconds: float) -> int:
    """Whole seconds held: the text estimate with its margin plus the measured rest."""
    return max(1, math.ceil(round(text_seconds * TEXT_ESTIMATE_MARGIN + other_seconds, 3)))
