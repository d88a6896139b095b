"""/openapi.json says what the server enforces: every body the document forbids is a 400
(or 404 for an id of the wrong shape), every example it gives is valid, and every
closed set is an enum. The cases below are the API fuzzer's findings (issue 19), kept
as regression tests: each was allowed by the document and refused by the server."""

from __future__ import annotations

from typing import Any

import httpx
import jsonschema_rs
import pytest

from gateway.app import create_app
from gateway.settings import GatewaySettings
from tests.unit.gateway.support import issue_key, serving

AVATAR = "av_" + "a" * 24


def validator(doc: dict[str, Any], name: str) -> Any:
    return jsonschema_rs.validator_for(
        {"$ref": f"#/components/schemas/{name}", "components": doc["components"]}
    )


@pytest.fixture
async def api(settings: GatewaySettings) -> Any:
    async with serving(create_app(settings)) as client:
        auth = {"Authorization": f"Bearer {await issue_key(client)}"}
        doc = (await client.get("/openapi.json")).json()
        yield client, auth, doc


GENERATED = {"name": "Aria", "description": "A presenter", "language": "en", "nationality": "US"}
VIDEO = {"avatar_id": AVATAR, "text": "Hello there."}
TTS = {"text": "Hello there.", "tts_voice_id": "voice_" + "a" * 24}

# (path, schema, body): bodies the fuzzer found the old document allowing.
FORBIDDEN = [
    ("/api/v1/tts", "TtsBody", {**TTS, "text": ""}),
    # exactly one voice
    ("/api/v1/tts", "TtsBody", {"text": "Hello there."}),
    ("/api/v1/tts", "TtsBody", {**TTS, "voice_id": "bv_espeak.en-us.male"}),
    ("/api/v1/tts", "TtsBody", {"text": "Hi.", "tts_voice_id": None}),
    ("/api/v1/tts", "TtsBody", {**TTS, "text": "   "}),
    ("/api/v1/tts", "TtsBody", {**TTS, "text": "a\x00b"}),
    # no letter or digit: nothing to speak (found with the system avatar's voice)
    ("/api/v1/tts", "TtsBody", {**TTS, "text": "\u008c\U000f3dea\x0f"}),
    ("/api/v1/avatar-videos", "CreateVideoBody", {**VIDEO, "text": "?! ..."}),
    ("/api/v1/avatar-videos", "CreateVideoBody", {**VIDEO, "output_format": "mp4"}),
    ("/api/v1/avatar-videos", "CreateVideoBody", {**VIDEO, "tier": "ultra"}),
    ("/api/v1/avatar-videos", "CreateVideoBody", {**VIDEO, "resolution": 1536}),
    ("/api/v1/avatar-videos", "CreateVideoBody", {**VIDEO, "fps": 0}),
    ("/api/v1/avatar-videos", "CreateVideoBody", {"avatar_id": AVATAR}),
    (
        "/api/v1/avatar-videos",
        "CreateVideoBody",
        {**VIDEO, "audio_data_url": "data:audio/wav;base64,AAAA"},
    ),
    ("/api/v1/avatar-videos", "CreateVideoBody", {**VIDEO, "webhook_url": ""}),
    # U+0085: white space to the server's regexes, not to JSON Schema's
    ("/api/v1/avatar-videos", "CreateVideoBody", {**VIDEO, "webhook_url": "http://\x85"}),
    (
        "/api/v1/avatars",
        "CreateAvatarBody",
        {k: v for k, v in GENERATED.items() if k != "description"},
    ),
    ("/api/v1/avatars", "CreateAvatarBody", {**GENERATED, "name": " "}),
    ("/api/v1/avatars", "CreateAvatarBody", {**GENERATED, "gender": "other"}),
    ("/api/v1/avatars", "CreateAvatarBody", {**GENERATED, "source": "video"}),
    (
        "/api/v1/avatars",
        "CreateAvatarBody",
        {**GENERATED, "ref_image_data_url": "data:image/png;base64,A"},
    ),
]


@pytest.mark.parametrize(("path", "schema", "body"), FORBIDDEN)
async def test_what_the_document_forbids_the_server_refuses(
    api: Any, path: str, schema: str, body: dict[str, Any]
) -> None:
    client, auth, doc = api
    assert not validator(doc, schema).is_valid(body)
    reply: httpx.Response = await client.post(path, json=body, headers=auth)
    assert reply.status_code == 400, reply.text
    assert reply.json()["error"]["code"] == "VALIDATION_ERROR"


async def test_every_body_example_is_valid(api: Any) -> None:
    _client, _auth, doc = api
    checked = 0
    for name, schema in doc["components"]["schemas"].items():
        for example in schema.get("examples", []):
            assert validator(doc, name).is_valid(example), (name, example)
            checked += 1
    assert checked >= 5


async def test_closed_sets_are_enums(api: Any) -> None:
    _client, _auth, doc = api
    schemas = doc["components"]["schemas"]

    def enum(schema: dict[str, Any]) -> list[Any]:
        if "$ref" in schema:
            return enum(schemas[schema["$ref"].rsplit("/", 1)[1]])
        for option in schema.get("anyOf", []):
            if option.get("type") != "null":
                return enum(option)
        return list(schema.get("enum") or [schema.get("const")])

    avatar = schemas["CreateAvatarBody"]["properties"]
    assert len(enum(avatar["language"])) == 10
    assert enum(avatar["gender"]) == ["male", "female"]
    assert enum(avatar["source"]) == ["generated", "video"]
    video = schemas["CreateVideoBody"]["properties"]
    assert enum(video["tier"]) == ["avatar", "avatar_pro"]
    assert enum(video["output_format"]) == ["url", "raw_key"]
    assert enum(video["fps"]) == [24, 25, 30]
    assert "cancelled" in enum(schemas["VideoOut"]["properties"]["status"])
    assert enum(schemas["AvatarDetail"]["properties"]["stage"]) == [
        "video_validating",
        "portrait",
        "demo",
        "voice",
        "poses",
        "reviewing",
    ]
    assert "rejected" in enum(schemas["AvatarDetail"]["properties"]["status"])
    assert enum(schemas["WalletTier"]["properties"]["tier"]) == ["default", "free", "pro"]


async def test_every_operation_documents_its_error_codes(api: Any) -> None:
    _client, _auth, doc = api
    for path, item in doc["paths"].items():
        for method, operation in item.items():
            statuses = set(operation["responses"])
            if path.startswith(("/api/", "/admin/")):
                assert {"401", "503"} <= statuses, (method, path)
            for status, response in operation["responses"].items():
                if status.startswith(("4", "5")) and path.startswith(("/api/", "/admin/")):
                    body = response["content"]["application/json"]
                    codes = body["schema"]["properties"]["error"]["properties"]["code"]["enum"]
                    assert codes and body["example"]["error"]["code"] in codes


async def test_a_malformed_id_in_a_body_reference_is_404_like_a_missing_one(api: Any) -> None:
    client, auth, _doc = api
    reply = await client.post(
        "/api/v1/avatar-videos", json={**VIDEO, "avatar_id": "av_nope"}, headers=auth
    )
    assert reply.status_code == 404
    assert reply.json()["error"]["code"] == "NOT_FOUND"


async def test_a_pattern_refusal_says_the_rule_in_words(api: Any) -> None:
    client, auth, _doc = api
    reply = await client.post("/api/v1/tts", json={**TTS, "text": "?!"}, headers=auth)
    assert reply.json()["error"]["message"] == (
        "text: must contain a letter or a digit to speak (and no NUL)"
    )


async def test_a_file_upload_body_that_is_not_utf8_is_invalid_json_not_a_500(api: Any) -> None:
    """Found by the API fuzzer: bytes that are not UTF-8 as a JSON upload were a 500."""
    client, auth, _doc = api
    reply = await client.post(
        "/api/v1/files",
        content=b"Sq\xff\xfe",
        headers={**auth, "Content-Type": "application/json"},
    )
    assert reply.status_code == 400, reply.text
    assert reply.json()["error"]["code"] == "INVALID_JSON"


async def test_every_json_request_body_has_an_example(api: Any) -> None:
    _client, _auth, doc = api
    schemas = doc["components"]["schemas"]

    def examples(schema: dict[str, Any]) -> list[Any]:
        refs = [schema, *schema.get("anyOf", [])]
        for option in refs:
            if "$ref" in option:
                return list(schemas[option["$ref"].rsplit("/", 1)[1]].get("examples", []))
        return list(schema.get("examples", []))

    for path, item in doc["paths"].items():
        for method, operation in item.items():
            body = operation.get("requestBody", {}).get("content", {}).get("application/json")
            if body is not None:
                assert "example" in body or examples(body["schema"]), (method, path)
