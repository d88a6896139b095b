"""The studio request body (``POST /api/v1/videos``, docs/studio.md) as pydantic models.

The route validates every body with these models before anything else runs, and the
OpenAPI document's schema is generated from the same models, so the document and the
gateway cannot drift. They accept no more than the video service's own rules
(``services/video/studio_logic.py``, which still checks every field for gRPC callers):
a body the document allows passes those rules too. ``tests/unit/gateway/
test_studio_body.py`` holds the two to that on a table of bodies at every boundary,
and the API fuzzer on generated ones.

Where the models are stricter than the service, the REST answer is a 400 naming the
field: ``null`` for a field (leave it out), the peer's ignored fields anywhere but
where the peer has them, colours with white space. The either-or rules are in the
schema: an avatar scene may leave out ``voice_id`` (the avatar's own voice), any other
text scene names one; a media field takes a URL or a file id (``*_asset_id``); the
``avatar`` tier's frames are at most 1920 px on the long edge. What JSON Schema cannot
say is in the descriptions: a URL is fetched at submit (public addresses only), a
talking photo must show one face, audio lasts 0.2-300 s, a background video at most
5 minutes, the whole video at most 10 minutes, a ``locale`` must be the voice's
language; each is a 400 naming the field. An avatar, pose, voice or file id that names
nothing the caller can use is 404 ``NOT_FOUND`` naming the field.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import (
    BeforeValidator,
    ConfigDict,
    Discriminator,
    Field,
    GetJsonSchemaHandler,
    Tag,
    field_validator,
    model_validator,
)
from pydantic.json_schema import JsonSchemaValue

from avatarmesh.ids import IdPrefix
from avatarmesh.tiers import Tier
from gateway.bodies import RequestBody
from gateway.schema import (
    FILE_ID,
    NO_NUL,
    SPEAKABLE,
    URL_TAIL,
    VOICE_ID,
    id_pattern,
    union_tag,
)

MAX_SCENES = 50
AVATAR_TIER_LONG_EDGE = 1920
# A media URL (fetched at submit) or a file id (POST /api/v1/files).
MEDIA_URL = rf"^(https?://{URL_TAIL}|{FILE_ID})$"
MEDIA_URL_TEXT = (
    "an https:// URL fetched at submit (its host must resolve to public addresses; "
    "http://127.0.0.1 only where the deployment allows loopback), or a file id "
    "(file_..., POST /api/v1/files) of the right kind"
)
# ``#rgb`` or ``#rrggbb`` (the ``#`` optional); empty: the default.
COLOUR = r"^(#?([0-9a-fA-F]{3}|[0-9a-fA-F]{6}))?$"
# e.g. en-US (or empty: the voice's own).
LOCALE = r"^([a-z]{2,3}(-[A-Za-z0-9]{2,8})?)?$"

MediaUrl = Annotated[str, Field(max_length=2048, pattern=MEDIA_URL, description=MEDIA_URL_TEXT)]
FileId = Annotated[
    str, Field(pattern=f"^{FILE_ID}$", description="A file id (file_..., POST /api/v1/files)")
]
Colour = Annotated[
    str, Field(max_length=16, pattern=COLOUR, description="Hex colour: #rgb or #rrggbb")
]
Scale = Annotated[float, Field(gt=0)]
MotionPrompt = Annotated[
    str, Field(max_length=2000, pattern=NO_NUL, description="Motion hint (max 2000 chars)")
]
Text255 = Annotated[str, Field(max_length=255, pattern=NO_NUL)]


def _whole(value: Any) -> Any:
    """JSON Schema's ``integer`` is any whole number, ``256.0`` included (a generator
    sends one): taken as the int; a fraction, text or a boolean stays refused."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


# An ``integer`` field (strict: no text, no boolean, no fraction).
Whole = BeforeValidator(_whole)
PoseId = Annotated[
    str, Field(pattern=id_pattern(IdPrefix.POSE), description="One of the avatar's poses")
]
VoiceId = Annotated[
    str,
    Field(
        max_length=64,
        pattern=VOICE_ID,
        description="A voice from GET /api/v1/voices (built-in bv_... or cloned voice_...); "
        "default the avatar's own, required when the scene's character is not an avatar",
    ),
]
CallbackUrl = Annotated[
    str,
    Field(
        max_length=2048,
        pattern=rf"^https?://{URL_TAIL}$",
        description="https:// URL for video.* events; its host must resolve to public "
        "addresses (http://127.0.0.1 only where the deployment allows loopback)",
    ),
]


class StudioPart(RequestBody):
    """Every object of the body: strict JSON types, no unknown field (a typo is
    refused, never silently ignored), no ``null`` (leave the field out instead)."""

    model_config = ConfigDict(strict=True, extra="forbid", allow_inf_nan=False)

    @field_validator("*", mode="before")
    @classmethod
    def _not_null(cls, value: Any) -> Any:
        if value is None:
            raise ValueError("must not be null (leave the field out for its default)")
        return value

    @classmethod
    def __get_pydantic_json_schema__(
        cls, core_schema: Any, handler: GetJsonSchemaHandler
    ) -> JsonSchemaValue:
        """No ``null`` in the document: it is refused (leave an optional field out)."""
        schema = handler(core_schema)
        target = handler.resolve_ref_schema(schema)
        for name, prop in target.get("properties", {}).items():
            target["properties"][name] = _without_null(prop)
        return schema


def _without_null(prop: dict[str, Any]) -> dict[str, Any]:
    """``prop`` less its ``null`` option and ``"default": null``."""
    options = [o for o in prop.get("anyOf", []) if o != {"type": "null"}]
    if "anyOf" in prop and len(options) == 1:
        rest = {k: v for k, v in prop.items() if k != "anyOf"}
        prop = {**options[0], **rest}
    elif "anyOf" in prop:
        prop = {**prop, "anyOf": options}
    if "default" in prop and prop["default"] is None:
        prop = {k: v for k, v in prop.items() if k != "default"}
    return prop


def _either(first: str, second: str) -> dict[str, Any]:
    """JSON Schema for "give ``first`` or ``second``" (both: ``first`` wins)."""
    return {"anyOf": [{"required": [first]}, {"required": [second]}]}


def _require_one(values: tuple[object, ...], message: str) -> None:
    if all(value is None for value in values):
        raise ValueError(message)


class Offset(StudioPart):
    x: float = Field(default=0.0, ge=-1, le=1, description="Fraction of the frame width")
    y: float = Field(default=0.0, ge=-1, le=1, description="Fraction of the frame height")


class _Character(StudioPart):
    offset: Offset = Field(default_factory=Offset, description="Moves the presenter box")
    matting: bool = Field(default=False, description="Cut the presenter out of its portrait")
    circle_background_color: Colour = Field(
        default="", description="Fill behind a circle/square presenter (#rgb or #rrggbb)"
    )
    motion_prompt: MotionPrompt = ""


class AvatarCharacter(_Character):
    type: Literal["avatar"]
    avatar_id: str = Field(
        pattern=id_pattern(IdPrefix.AVATAR), description="Yours or a system avatar, ready"
    )
    pose_id: PoseId | None = None
    scale: Scale = Field(default=1.0, le=5, description="x the frame's short edge (0-5]")
    avatar_style: Literal["normal", "circle", "closeUp"] = "normal"


class TalkingPhotoCharacter(_Character):
    model_config = ConfigDict(json_schema_extra=_either("talking_photo_url", "talking_photo_id"))

    type: Literal["talking_photo"]
    talking_photo_url: MediaUrl | None = Field(
        default=None, description=f"The photo (one animatable face): {MEDIA_URL_TEXT}"
    )
    talking_photo_id: FileId | None = None
    scale: Scale = Field(default=1.0, le=2, description="x the frame's short edge (0-2]")
    talking_photo_style: Literal["square", "circle"] = "square"
    talking_style: Literal["stable", "expressive"] = "stable"
    expression: Literal["default", "happy"] = "default"
    super_resolution: bool = Field(default=False, description="The peer's; accepted, ignored")

    @model_validator(mode="after")
    def _photo(self) -> TalkingPhotoCharacter:
        _require_one(
            (self.talking_photo_url, self.talking_photo_id),
            "talking_photo_url: required (a URL or a file id), or talking_photo_id",
        )
        return self


class TextVoice(StudioPart):
    type: Literal["text"]
    input_text: str = Field(
        min_length=1,
        max_length=5000,
        pattern=SPEAKABLE,
        description="The script (1-5000 chars, at least one letter or digit); it passes "
        "the safety filter (else 400 POLICY_VIOLATION)",
    )
    voice_id: VoiceId | None = None
    speed: float = Field(default=1.0, ge=0.5, le=1.5)
    pitch: Annotated[int, Whole] = Field(default=0, ge=-50, le=50)
    locale: str = Field(
        default="",
        max_length=16,
        pattern=LOCALE,
        description="e.g. en-US; its language must be the voice's (else 400)",
    )
    emotion: str = Field(
        default="", max_length=64, pattern=NO_NUL, description="The peer's; accepted, ignored"
    )
    elevenlabs_settings: dict[str, Any] = Field(
        default_factory=dict, description="The peer's; accepted, ignored"
    )

    @field_validator("input_text", mode="before")
    @classmethod
    def _script_given(cls, value: Any) -> Any:
        """An empty or blank script says what is wanted (the console shows it by the
        field), as the video service does."""
        if isinstance(value, str) and not value.strip():
            raise ValueError("required (1-5000 characters)")
        return value


class AudioVoice(StudioPart):
    model_config = ConfigDict(json_schema_extra=_either("audio_url", "audio_asset_id"))

    type: Literal["audio"]
    audio_url: MediaUrl | None = Field(
        default=None, description=f"Speech, 0.2-300 s: {MEDIA_URL_TEXT}"
    )
    audio_asset_id: FileId | None = None

    @model_validator(mode="after")
    def _audio(self) -> AudioVoice:
        _require_one(
            (self.audio_url, self.audio_asset_id),
            "audio_url: required (a URL or a file id), or audio_asset_id",
        )
        return self


class SilenceVoice(StudioPart):
    type: Literal["silence"]
    duration: float = Field(default=1.0, ge=1, le=100, description="Seconds")


class ColorBackground(StudioPart):
    type: Literal["color"] = "color"
    value: Colour = Field(default="#f6f6fc", description="#rgb or #rrggbb")


Fit = Literal["cover", "crop", "contain", "none"]


class ImageBackground(StudioPart):
    model_config = ConfigDict(json_schema_extra=_either("url", "image_asset_id"))

    type: Literal["image"]
    url: MediaUrl | None = Field(default=None, description=f"An image: {MEDIA_URL_TEXT}")
    image_asset_id: FileId | None = None
    fit: Fit = "cover"

    @model_validator(mode="after")
    def _image(self) -> ImageBackground:
        _require_one((self.url, self.image_asset_id), "url: required, or image_asset_id")
        return self


class VideoBackground(StudioPart):
    model_config = ConfigDict(json_schema_extra=_either("url", "video_asset_id"))

    type: Literal["video"]
    url: MediaUrl | None = Field(
        default=None, description=f"A video of at most 5 minutes: {MEDIA_URL_TEXT}"
    )
    video_asset_id: FileId | None = None
    fit: Fit = "cover"
    play_style: Literal["fit_to_scene", "freeze", "loop", "once"] = "loop"

    @model_validator(mode="after")
    def _video(self) -> VideoBackground:
        _require_one((self.url, self.video_asset_id), "url: required, or video_asset_id")
        return self


def _tagged(default: str = "") -> Any:
    """A tagged union's discriminator: the object's ``type`` (``default`` when absent).
    The tag names (``gateway.schema.union_tag``) are dropped from error paths."""

    def tag(value: Any) -> str | None:
        kind = value.get("type", default) if isinstance(value, dict) else None
        return union_tag(kind) if isinstance(kind, str) and kind else None

    return tag


def _union(default: str, *names: str) -> Any:
    return Discriminator(
        _tagged(default),
        custom_error_type="studio_union_type",
        custom_error_message=f"type: must be one of {', '.join(names)}",
    )


Character = Annotated[
    Annotated[AvatarCharacter, Tag(union_tag("avatar"))]
    | Annotated[TalkingPhotoCharacter, Tag(union_tag("talking_photo"))],
    _union("", "avatar", "talking_photo"),
]
Voice = Annotated[
    Annotated[TextVoice, Tag(union_tag("text"))]
    | Annotated[AudioVoice, Tag(union_tag("audio"))]
    | Annotated[SilenceVoice, Tag(union_tag("silence"))],
    _union("", "text", "audio", "silence"),
]
Background = Annotated[
    Annotated[ColorBackground, Tag(union_tag("color"))]
    | Annotated[ImageBackground, Tag(union_tag("image"))]
    | Annotated[VideoBackground, Tag(union_tag("video"))],
    _union("color", "color", "image", "video"),
]

# A text scene names its voice unless its character is an avatar (then: the avatar's).
AVATAR = {"const": "avatar"}
_VOICE_NAMED: dict[str, Any] = {
    "anyOf": [
        {"required": ["character"], "properties": {"character": {"properties": {"type": AVATAR}}}},
        {"properties": {"voice": {"properties": {"type": {"enum": ["audio", "silence"]}}}}},
        {"properties": {"voice": {"required": ["voice_id"]}}},
    ]
}  # fmt: skip


class Scene(StudioPart):
    """A character (optional: none shows the background alone), a voice, a background."""

    model_config = ConfigDict(json_schema_extra=_VOICE_NAMED)

    character: Character | None = Field(
        default=None, description="An avatar or a talking photo; leave out for none"
    )
    voice: Voice = Field(description="Text in a voice, your audio, or silence")
    background: Background = Field(
        default_factory=ColorBackground, description="A colour (default), an image or a video"
    )

    @model_validator(mode="after")
    def _voice_named(self) -> Scene:
        avatar = isinstance(self.character, AvatarCharacter)
        if isinstance(self.voice, TextVoice) and self.voice.voice_id is None and not avatar:
            raise ValueError("voice.voice_id: required unless the character is an avatar")
        return self


class Dimension(StudioPart):
    """A frame size: even sides, the long edge 256-3840 (1920 on tier avatar).

    The short edge is at least 128 pixels."""

    model_config = ConfigDict(
        json_schema_extra={
            "anyOf": [
                {"properties": {"width": {"minimum": 256}}},
                {"properties": {"height": {"minimum": 256}}},
            ]
        }
    )

    width: Annotated[int, Whole] = Field(ge=128, le=3840, multiple_of=2, description="Pixels, even")
    height: Annotated[int, Whole] = Field(
        ge=128, le=3840, multiple_of=2, description="Pixels, even"
    )

    @model_validator(mode="after")
    def _long_edge(self) -> Dimension:
        if max(self.width, self.height) < 256:
            field = "width" if self.width >= self.height else "height"
            raise ValueError(f"{field}: the long edge must be at least 256")
        return self


EXAMPLE_FILE = "file_abcdefghijklmnopqrstuvwx"
_AVATAR_TIER_FRAME: dict[str, Any] = {
    # The avatar tier (also the default) renders frames up to 1920 px on the long edge.
    "if": {"properties": {"tier": {"const": "avatar"}}},
    "then": {
        "properties": {
            "dimension": {
                "properties": {
                    "width": {"maximum": AVATAR_TIER_LONG_EDGE},
                    "height": {"maximum": AVATAR_TIER_LONG_EDGE},
                }
            }
        }
    },
    "examples": [
        {
            "title": "Welcome",
            "dimension": {"width": 1280, "height": 720},
            "video_inputs": [
                {
                    "character": {"type": "avatar", "avatar_id": "av_abcdefghijklmnopqrstuvwx"},
                    "voice": {"type": "text", "input_text": "Welcome to the studio!"},
                    "background": {"type": "color", "value": "#204060"},
                },
                {
                    "voice": {"type": "silence", "duration": 2},
                    "background": {"type": "image", "image_asset_id": EXAMPLE_FILE},
                },
            ],
        }
    ],
}  # fmt: skip


class StudioVideoBody(StudioPart):
    """A studio video: 1-50 scenes rendered in order, at most 10 minutes in all.

    A longer video is 400 on ``video_inputs``."""

    model_config = ConfigDict(json_schema_extra=_AVATAR_TIER_FRAME)

    video_inputs: list[Scene] = Field(min_length=1, max_length=MAX_SCENES)
    dimension: Dimension = Field(
        default_factory=lambda: Dimension(width=1280, height=720),
        description="Frame size; default 1280x720",
    )
    caption: bool = Field(default=False, description="Burn the captions in (files come anyway)")
    title: Text255 = ""
    callback_id: Text255 = Field(default="", description="Yours, shown by GET")
    callback_url: CallbackUrl | None = None
    tier: Literal["avatar", "avatar_pro"] = Field(
        default=Tier.AVATAR.value, description='"avatar" or "avatar_pro"'
    )
    fps: Annotated[Literal[24, 25, 30], Whole] = 25
    output_format: Literal["url", "raw_key"] = Field(
        default="url", description='"url" (presigned, 1 hour) or "raw_key" for GET'
    )
    alpha_output: bool = Field(
        default=False, description="Also the presenter alone, transparent (WebM)"
    )
    watermark_mode: Literal["auto", "always", "none"] = Field(
        default="auto",
        description="auto (the operator's watermark unless the account may skip it), "
        "always, or none (only accounts the operator allows; else 403 "
        "WATERMARK_NOT_ALLOWED), as for avatar videos",
    )
    is_output_temporary: bool = Field(
        default=False, description="The output files are archived after 24 h"
    )
    folder_id: Text255 = Field(default="", description="The peer's; accepted, ignored")

    @model_validator(mode="after")
    def _frame_for_tier(self) -> StudioVideoBody:
        d = self.dimension
        if self.tier == Tier.AVATAR.value and max(d.width, d.height) > AVATAR_TIER_LONG_EDGE:
            field = "width" if d.width >= d.height else "height"
            raise ValueError(
                f"dimension.{field}: the long edge must be 256-{AVATAR_TIER_LONG_EDGE} on "
                f"tier avatar (3840 on avatar_pro)"
            )
        return self
