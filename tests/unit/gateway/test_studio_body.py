"""The studio body's schema (gateway.studio_body) tells the truth: what the OpenAPI
document allows, the gateway accepts and the video service's own rules
(services/video/studio_logic.py) accept too; what it forbids, the gateway refuses with
400 naming the field by its path (404 for an id of the wrong shape). Bodies at every
boundary, and bodies schemathesis generates from the document (the API fuzzer,
tests/e2e/test_openapi_fuzz.py, sends more to the real mesh)."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from typing import Any
from unittest import mock

import httpx
import jsonschema_rs
import pytest
import schemathesis
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from avatarmedia.engines import PIPER
from avatarmedia.voices import InstalledVoice, espeak_voices
from avatarmesh.errors import DomainError
from avatarmesh.ids import is_voice_id
from avatarmesh.v1 import common_pb2
from gateway.app import create_app
from gateway.routes import studio
from gateway.settings import GatewaySettings
from gateway.studio_body import StudioVideoBody
from sdk.codegen import openapi
from services.avatar.voices import builtin_id
from services.video.studio_logic import validate_studio
from tests.unit.gateway.support import issue_key, serving

AVATAR = "av_" + "a" * 24
FILE = "file_" + "b" * 24
VOICE = "voice_" + "c" * 24


def avatar_scene() -> dict[str, Any]:
    return {
        "character": {"type": "avatar", "avatar_id": AVATAR},
        "voice": {"type": "text", "input_text": "Hello there."},
    }


def body(**changes: Any) -> dict[str, Any]:
    return {"video_inputs": [avatar_scene()], **changes}


def scene(**parts: Any) -> dict[str, Any]:
    return {"video_inputs": [{"voice": {"type": "silence"}, **parts}]}


Edit = Callable[[dict[str, Any]], None]


def edited(edit: Edit) -> dict[str, Any]:
    out = body()
    edit(out)
    return out


def voice(**fields: Any) -> Edit:
    return lambda b: b["video_inputs"][0]["voice"].update(fields)


def character(**fields: Any) -> Edit:
    return lambda b: b["video_inputs"][0]["character"].update(fields)


PHOTO = {"type": "talking_photo", "talking_photo_url": "https://example.com/face.png"}

ALLOWED = [
    body(),
    body(tier="avatar_pro", dimension={"width": 3840, "height": 2160}),
    body(dimension={"width": 1920, "height": 1080}),
    body(dimension={"width": 720, "height": 1280}),
    body(dimension={"width": 256, "height": 128}),
    body(dimension={"width": 256.0, "height": 144}, fps=30.0),  # JSON Schema integers
    edited(voice(pitch=-10.0)),
    body(fps=30, output_format="raw_key", caption=True, alpha_output=True, folder_id="f"),
    body(watermark_mode="always", is_output_temporary=True),
    body(title="t" * 255, callback_id="c" * 255, callback_url="https://example.com/hook"),
    {"video_inputs": [avatar_scene()] * 50},
    edited(voice(speed=0.5, pitch=-50, locale="en-US", voice_id=VOICE)),
    edited(voice(speed=1.5, pitch=50, locale="vi", emotion="Friendly")),
    edited(voice(voice_id="bv_espeak.en-gb-x-rp.female", elevenlabs_settings={"model": "m"})),
    edited(voice(voice_id="bv_piper.en_US-joe-medium", input_text="x" * 5000)),
    edited(character(scale=5, offset={"x": -1, "y": 1}, avatar_style="closeUp")),
    edited(character(pose_id="ap_" + "d" * 24, matting=True, circle_background_color="#abc")),
    edited(character(motion_prompt="m" * 2000, circle_background_color="")),
    scene(character={**PHOTO, "scale": 2, "talking_photo_style": "circle"}),
    scene(character={"type": "talking_photo", "talking_photo_id": FILE, "expression": "happy"}),
    scene(character={**PHOTO, "talking_style": "expressive", "super_resolution": True}),
    scene(background={"value": "#123456"}),
    scene(background={"type": "color", "value": "fff"}),
    scene(background={"type": "image", "url": FILE, "fit": "contain"}),
    scene(background={"type": "image", "image_asset_id": FILE}),
    scene(background={"type": "video", "video_asset_id": FILE, "play_style": "fit_to_scene"}),
    scene(background={"type": "video", "url": "http://127.0.0.1:9/bg.mp4", "fit": "none"}),
    {"video_inputs": [{"voice": {"type": "silence", "duration": 100}}]},
    {"video_inputs": [{"voice": {"type": "audio", "audio_url": "https://example.com/a.wav"}}]},
    {"video_inputs": [{"voice": {"type": "audio", "audio_asset_id": FILE}}]},
    {"video_inputs": [{"voice": {"type": "text", "input_text": "Hi", "voice_id": VOICE}}]},
]

# (body, the field the refusal names)
FORBIDDEN = [
    ({}, "video_inputs"),
    ({"video_inputs": []}, "video_inputs"),
    ({"video_inputs": [avatar_scene()] * 51}, "video_inputs"),
    (body(dimension={"width": 3840, "height": 2160}), "dimension.width"),
    (body(dimension={"width": 1281, "height": 720}), "dimension.width"),
    (body(dimension={"width": 254, "height": 200}), "dimension.width"),
    (body(dimension={"width": 1280, "height": 126}), "dimension.height"),
    (body(dimension={"width": 1280}), "dimension.height"),
    (body(dimension={"width": 1280.5, "height": 720}), "dimension.width"),
    (body(fps=60), "fps"),
    (body(tier="ultra"), "tier"),
    (body(output_format="mp4"), "output_format"),
    (body(watermark_mode="never"), "watermark_mode"),
    (body(caption="yes"), "caption"),
    (body(title="t" * 256), "title"),
    (body(title=None), "title"),
    (body(callback_url="ftp://example.com"), "callback_url"),
    # found by generating from the document: U+0085 is white space to the server's
    # regexes, not to JSON Schema's (URLs are now printable ASCII)
    (body(callback_url="http://\x85"), "callback_url"),
    (scene(background={"type": "image", "url": "https://exa mple.com/bg.png"}), "url"),
    (body(colour="red"), "colour"),
    (edited(voice(speed=1.6)), "video_inputs[0].voice.speed"),
    (edited(voice(pitch=2.5)), "video_inputs[0].voice.pitch"),
    (edited(voice(pitch="2")), "video_inputs[0].voice.pitch"),
    (body(dimension={"width": True, "height": 720}), "dimension.width"),
    (edited(voice(input_text="")), "video_inputs[0].voice.input_text"),
    (edited(voice(input_text="?!")), "video_inputs[0].voice.input_text"),
    (edited(voice(input_text="x" * 5001)), "video_inputs[0].voice.input_text"),
    (edited(voice(locale="English")), "video_inputs[0].voice.locale"),
    (edited(voice(type="song")), "video_inputs[0].voice.type"),
    (edited(voice(typo=1)), "video_inputs[0].voice.typo"),
    (edited(character(scale=0)), "video_inputs[0].character.scale"),
    (edited(character(scale=5.5)), "video_inputs[0].character.scale"),
    (edited(character(offset={"x": 1.5})), "video_inputs[0].character.offset.x"),
    (edited(character(avatar_style="square")), "video_inputs[0].character.avatar_style"),
    (edited(character(circle_background_color="red")), "character.circle_background_color"),
    (edited(character(type="robot")), "video_inputs[0].character.type"),
    (edited(character(matting=None)), "video_inputs[0].character.matting"),
    (scene(character={**PHOTO, "scale": 2.5}), "video_inputs[0].character.scale"),
    (scene(character={"type": "talking_photo"}), "character.talking_photo_url"),
    (scene(character={**PHOTO, "talking_photo_url": "face.png"}), "talking_photo_url"),
    (scene(background={"type": "image"}), "video_inputs[0].background.url"),
    (scene(background={"type": "image", "url": "file-key:files/x/y.png"}), "background.url"),
    (scene(background={"type": "video", "url": FILE, "play_style": "bounce"}), "play_style"),
    (scene(background={"type": "image", "url": FILE, "fit": "stretch"}), "background.fit"),
    (scene(background={"value": "#12345"}), "video_inputs[0].background.value"),
    ({"video_inputs": [{"voice": {"type": "silence", "duration": 0.5}}]}, "voice.duration"),
    ({"video_inputs": [{"voice": {"type": "silence", "duration": 101}}]}, "voice.duration"),
    ({"video_inputs": [{"voice": {"type": "audio"}}]}, "video_inputs[0].voice.audio_url"),
    ({"video_inputs": [{"character": None, "voice": {"type": "silence"}}]}, "character"),
    ({"video_inputs": [{"background": {"type": "color"}}]}, "video_inputs[0].voice"),
    # no avatar, so the text scene must name its voice
    ({"video_inputs": [{"voice": {"type": "text", "input_text": "Hi"}}]}, "voice.voice_id"),
    (
        {"video_inputs": [{"character": PHOTO, "voice": {"type": "text", "input_text": "Hi"}}]},
        "video_inputs[0].voice.voice_id",
    ),
]

# An id of a shape no resource has: 404, as a missing one (the path named).
MALFORMED_IDS = [
    (edited(character(avatar_id="av_nope")), "video_inputs[0].character.avatar_id"),
    (edited(character(pose_id="ap_nope")), "video_inputs[0].character.pose_id"),
    (edited(voice(voice_id="nope")), "video_inputs[0].voice.voice_id"),
    (scene(background={"type": "image", "image_asset_id": "file_x"}), "image_asset_id"),
]


@pytest.fixture
async def api(settings: GatewaySettings) -> Any:
    async with serving(create_app(settings)) as client:
        auth = {"Authorization": f"Bearer {await issue_key(client)}"}
        doc = (await client.get("/openapi.json")).json()
        schema = {"$ref": "#/components/schemas/StudioVideoBody", "components": doc["components"]}
        yield client, auth, jsonschema_rs.validator_for(schema)


async def _resolved(_c: Any, owner: str, file_id: str, *_a: Any, **_k: Any) -> Any:
    return common_pb2.MediaInput(storage_key=f"files/{owner}/{file_id}.bin")


async def service_accepts(data: dict[str, Any]) -> bool:
    """The video service's verdict on the body as the gateway sends it on (file ids
    resolved to the caller's files)."""
    with mock.patch.object(studio, "file_input", _resolved):
        sent = await studio._with_files(json.dumps(data), None, "own_alice")
    try:
        validate_studio(json.loads(sent))
    except DomainError:
        return False
    return True


@pytest.mark.parametrize("data", ALLOWED)
async def test_a_body_the_document_allows_passes_the_gateway_and_the_video_service(
    api: Any, data: dict[str, Any]
) -> None:
    client, auth, document = api
    assert document.is_valid(data)
    assert await service_accepts(data)
    # past validation, the gateway asks the services (none listen in unit tests)
    reply: httpx.Response = await client.post("/api/v1/videos", json=data, headers=auth)
    assert reply.status_code not in (400, 404, 422), reply.text


@pytest.mark.parametrize(("data", "field"), FORBIDDEN)
async def test_a_body_the_document_forbids_is_400_naming_the_field(
    api: Any, data: dict[str, Any], field: str
) -> None:
    client, auth, document = api
    assert not document.is_valid(data)
    reply: httpx.Response = await client.post("/api/v1/videos", json=data, headers=auth)
    assert reply.status_code == 400, reply.text
    error = reply.json()["error"]
    assert error["code"] == "VALIDATION_ERROR" and field in error["message"], error


@pytest.mark.parametrize(("data", "field"), MALFORMED_IDS)
async def test_an_id_of_the_wrong_shape_in_a_scene_is_404_naming_the_field(
    api: Any, data: dict[str, Any], field: str
) -> None:
    client, auth, document = api
    assert not document.is_valid(data)
    reply: httpx.Response = await client.post("/api/v1/videos", json=data, headers=auth)
    assert reply.status_code == 404, reply.text
    error = reply.json()["error"]
    assert error["code"] == "NOT_FOUND" and field in error["message"], error


def _generated_studio_bodies() -> st.SearchStrategy[Any]:
    """Positive bodies schemathesis generates from the document's StudioVideoBody."""
    operation = schemathesis.openapi.from_dict(openapi())["/api/v1/videos"]["POST"]
    return operation.as_strategy().map(lambda case: case.body)


def _utf8(body: Any) -> bool:
    """No lone surrogate (refused by every text field, which JSON Schema cannot say)."""
    try:
        json.dumps(body, ensure_ascii=False).encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


@settings(
    max_examples=20,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=list(HealthCheck),
)
@given(st.deferred(_generated_studio_bodies))
def test_generated_bodies_the_document_allows_pass_the_gateway_and_the_video_service(
    body: Any,
) -> None:
    assume(_utf8(body))
    StudioVideoBody.model_validate(body)  # the gateway's verdict (raises if refused)
    assert asyncio.run(service_accepts(body)), body


def test_the_document_has_no_null_the_gateway_refuses() -> None:
    assert "null" not in json.dumps(StudioVideoBody.model_json_schema())


def test_every_built_in_voice_id_has_the_documented_shape() -> None:
    ids = [builtin_id(v) for v in espeak_voices()]
    piper = InstalledVoice(PIPER, "en_US-joe-medium", "en", "american", "male", "medium", 22050, "")
    ids.append(builtin_id(piper))
    assert len(ids) > 20 and all(is_voice_id(i) for i in ids), [
        i for i in ids if not is_voice_id(i)
    ]
    assert not is_voice_id("bv_piper.my voice") and not is_voice_id("voice_nope")
