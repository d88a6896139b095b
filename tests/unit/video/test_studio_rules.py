"""Studio request rules: every field checked, the field named, defaults applied,
and the hold's seconds."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest

from avatarmesh.errors import DomainError, ErrorCode
from avatarmesh.tiers import Tier
from services.video.studio_logic import (
    MAX_SCENES,
    parse_request,
    studio_hold_seconds,
    validate_studio,
)

SCENE: dict[str, Any] = {
    "character": {"type": "avatar", "avatar_id": "av_x"},
    "voice": {"type": "text", "input_text": "Hello."},
}


def body(**fields: Any) -> dict[str, Any]:
    return {"video_inputs": [copy.deepcopy(SCENE)], **fields}


def refused(data: dict[str, Any]) -> str:
    with pytest.raises(DomainError) as caught:
        validate_studio(data)
    assert caught.value.code is ErrorCode.VALIDATION_ERROR
    return caught.value.message


def test_defaults() -> None:
    draft = validate_studio(body())
    assert (draft.width, draft.height, draft.fps, draft.tier) == (1280, 720, 25, Tier.AVATAR)
    scene = draft.scenes[0]
    assert scene.background.type == "color" and scene.background.value == "#f6f6fc"
    assert scene.character is not None and scene.character.style == "normal"
    assert scene.voice.speed == 1.0 and scene.voice.pitch == 0.0
    assert not draft.caption and draft.output_format == "url"


def test_a_full_request_is_read_field_for_field() -> None:
    data = {
        "caption": True,
        "title": "t",
        "callback_id": "c",
        "callback_url": "https://example.com/hook",
        "tier": "avatar_pro",
        "fps": 30,
        "dimension": {"width": 3840, "height": 2160},
        "folder_id": "ignored",
        "video_inputs": [
            {
                "character": {
                    "type": "talking_photo",
                    "talking_photo_url": "https://example.com/p.jpg",
                    "scale": 1.5,
                    "offset": {"x": 0.25, "y": -0.1},
                    "talking_photo_style": "circle",
                    "talking_style": "expressive",
                    "expression": "happy",
                    "matting": True,
                    "circle_background_color": "#fff",
                },
                "voice": {
                    "type": "text",
                    "input_text": "Hi",
                    "voice_id": "v1",
                    "speed": 0.5,
                    "pitch": -50,
                    "locale": "en-US",
                    "emotion": "Friendly",
                },
                "background": {
                    "type": "video",
                    "url": "https://example.com/b.mp4",
                    "fit": "contain",
                    "play_style": "fit_to_scene",
                },
            },
            {"voice": {"type": "silence", "duration": 100}},
        ],
    }
    draft = validate_studio(data)
    a, b = draft.scenes
    assert a.character is not None and a.character.style == "circle"
    assert (a.character.offset_x, a.character.offset_y, a.character.scale) == (0.25, -0.1, 1.5)
    assert a.voice.pitch == -50 and a.voice.locale == "en-US"
    assert a.background.play_style == "fit_to_scene" and a.background.fit == "contain"
    assert b.character is None and b.voice.duration == 100.0
    assert (draft.width, draft.height, draft.fps) == (3840, 2160, 30)


@pytest.mark.parametrize(
    ("path", "value", "field"),
    [
        (("voice", "speed"), 0.49, "video_inputs[0].voice.speed"),
        (("voice", "speed"), 1.51, "video_inputs[0].voice.speed"),
        (("voice", "pitch"), 51, "video_inputs[0].voice.pitch"),
        (("voice", "pitch"), 1.5, "video_inputs[0].voice.pitch"),
        (("voice", "locale"), "english", "video_inputs[0].voice.locale"),
        (("voice", "input_text"), "", "video_inputs[0].voice.input_text"),
        (("voice", "input_text"), "x" * 5001, "video_inputs[0].voice.input_text"),
        (("voice", "type"), "song", "video_inputs[0].voice.type"),
        (("character", "scale"), 0, "video_inputs[0].character.scale"),
        (("character", "scale"), 5.01, "video_inputs[0].character.scale"),
        (("character", "offset"), {"x": 1.5}, "video_inputs[0].character.offset.x"),
        (("character", "avatar_style"), "square", "video_inputs[0].character.avatar_style"),
        (("character", "matting"), "yes", "video_inputs[0].character.matting"),
        (("character", "circle_background_color"), "blue", "circle_background_color"),
        (("character", "type"), "robot", "video_inputs[0].character.type"),
        (("character", "avatar_id"), "", "video_inputs[0].character.avatar_id"),
        (("character", "colour"), "#fff", "video_inputs[0].character.colour: unknown field"),
        (("background",), {"type": "color", "value": "#12345"}, "background.value"),
        (("background",), {"type": "image"}, "video_inputs[0].background.url"),
        (("background",), {"type": "image", "url": "x", "fit": "fill"}, "background.url"),
        (
            ("background",),
            {"type": "image", "url": "https://e.com/a.png", "fit": "fill"},
            "background.fit",
        ),
        (
            ("background",),
            {"type": "video", "url": "https://e.com/a.mp4", "play_style": "bounce"},
            "background.play_style",
        ),
        (("background",), {"type": "gradient"}, "video_inputs[0].background.type"),
    ],
)
def test_a_scene_field_out_of_range_is_named(path: tuple[str, ...], value: Any, field: str) -> None:
    data = body()
    target = data["video_inputs"][0]
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = value
    assert field in refused(data)


def test_silence_lasts_1_to_100_seconds() -> None:
    for duration in (0.5, 100.5):
        data = {"video_inputs": [{"voice": {"type": "silence", "duration": duration}}]}
        assert "video_inputs[0].voice.duration" in refused(data)


def test_a_text_scene_without_an_avatar_needs_a_voice_id() -> None:
    data = {"video_inputs": [{"voice": {"type": "text", "input_text": "Hi"}}]}
    assert "video_inputs[0].voice.voice_id" in refused(data)


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"video_inputs": []}, "video_inputs"),
        ({"video_inputs": [SCENE] * (MAX_SCENES + 1)}, "video_inputs: at most 50"),
        ({"dimension": {"width": 1281, "height": 720}}, "dimension.width: must be even"),
        ({"dimension": {"width": 3840, "height": 2160}}, "dimension.width"),
        ({"dimension": {"width": 1080, "height": 1922}}, "dimension.height"),
        ({"dimension": {"width": 254, "height": 128}}, "dimension.width"),
        ({"dimension": {"width": 720, "height": 100}}, "dimension.height"),
        ({"dimension": {"width": "720", "height": 1280}}, "dimension.width"),
        ({"tier": "gold"}, "tier"),
        ({"fps": 60}, "fps"),
        ({"caption": "yes"}, "body.caption"),
        ({"alpha_output": 1}, "body.alpha_output"),
        ({"output_format": "file"}, "output_format"),
        ({"callback_url": "example.com"}, "callback_url"),
        ({"title": "t" * 256}, "body.title"),
        ({"colour": 1}, "body.colour: unknown field"),
    ],
)
def test_a_video_field_out_of_range_is_named(fields: dict[str, Any], field: str) -> None:
    data = body()
    data.update(fields)
    assert field in refused(data)


def test_4k_is_for_the_pro_tier_only() -> None:
    big = {"dimension": {"width": 2160, "height": 3840}}
    assert "dimension.height" in refused(body(**big))
    assert validate_studio(body(tier="avatar_pro", **big)).height == 3840


def test_the_body_must_be_a_json_object() -> None:
    for raw in ("[1]", "{", '"x"'):
        with pytest.raises(DomainError):
            validate_studio(parse_request(raw))
    assert validate_studio(parse_request(json.dumps(body()))).scenes


def test_the_hold_covers_the_text_estimate_with_a_margin_and_silence_exactly() -> None:
    assert studio_hold_seconds(10.0, 0.0) == 11
    assert studio_hold_seconds(0.0, 3.0) == 3
    assert studio_hold_seconds(0.0, 0.2) == 1
    assert studio_hold_seconds(2.0, 1.0) == 4  # 2.2 + 1.0 rounded up


def test_watermark_mode_and_temporary_outputs_as_for_avatar_videos() -> None:
    draft = validate_studio(body())
    assert (draft.watermark_mode, draft.output_temporary) == ("auto", False)
    draft = validate_studio(body(watermark_mode="always", is_output_temporary=True))
    assert (draft.watermark_mode, draft.output_temporary) == ("always", True)
    assert refused(body(watermark_mode="sometimes")) == "watermark_mode: auto, always or none"
    assert "is_output_temporary" in refused(body(is_output_temporary="yes"))
