"""Input no service could store or carry is a 400 naming the field, never a 500.

No service listens behind this gateway: a request that got past validation would be
answered 503/502 by the unreachable service, so a 400 here proves the gateway refused it.
"""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest

from tests.unit.gateway.support import issue_key

AVATAR = {"name": "Aria", "description": "A presenter", "language": "en", "nationality": "US"}


async def auth(client: httpx.AsyncClient) -> dict[str, str]:
    return {"Authorization": f"Bearer {await issue_key(client)}"}


def assert_validation_error(reply: httpx.Response, *words: str) -> None:
    assert reply.status_code == 400, reply.text
    error = reply.json()["error"]
    assert error["code"] == "VALIDATION_ERROR", reply.text
    for word in words:
        assert word in error["message"], reply.text


@pytest.mark.parametrize(
    ("path", "body", "field"),
    [
        ("/api/v1/avatars", {**AVATAR, "name": "Ar\ud800ia"}, "name"),
        ("/api/v1/avatars", {**AVATAR, "description": "nul \x00 byte"}, "description"),
        ("/api/v1/avatars/av_x/poses", {"prompt": "smile \udfff"}, "prompt"),
        ("/api/v1/tts", {"text": "hi\x00", "tts_voice_id": "v"}, "text"),
        ("/api/v1/avatar-videos", {"avatar_id": "av_x", "text": "a\ud800b"}, "text"),
    ],
)
async def test_text_with_a_lone_surrogate_or_nul_is_400_naming_the_field(
    client: httpx.AsyncClient, path: str, body: dict[str, Any], field: str
) -> None:
    # json.dumps escapes the surrogate as \ud800, as a client in another language would.
    headers = {**await auth(client), "Content-Type": "application/json"}
    reply = await client.post(path, content=json.dumps(body), headers=headers)
    assert_validation_error(reply, field)


@pytest.mark.parametrize(
    "path",
    ["/api/v1/avatars?page=2147483648", "/api/v1/avatar-videos?page=99999999999"],
)
async def test_page_beyond_int32_is_400_validation_error(
    client: httpx.AsyncClient, path: str
) -> None:
    assert_validation_error(await client.get(path, headers=await auth(client)), "page")


@pytest.mark.parametrize("field", ["resolution", "fps"])
async def test_video_number_beyond_int32_is_400_validation_error(
    client: httpx.AsyncClient, field: str
) -> None:
    body = {"avatar_id": "av_x", "text": "Hello there.", field: 10_000_000_000}
    reply = await client.post("/api/v1/avatar-videos", json=body, headers=await auth(client))
    assert_validation_error(reply, field)


@pytest.mark.parametrize("body", [[], "a string", 42, None])
async def test_json_that_is_not_an_object_is_400_validation_error(
    client: httpx.AsyncClient, body: Any
) -> None:
    reply = await client.post("/api/v1/avatars", json=body, headers=await auth(client))
    assert_validation_error(reply)


async def test_wrong_type_is_400_naming_the_field(client: httpx.AsyncClient) -> None:
    reply = await client.post(
        "/api/v1/avatars", json={**AVATAR, "name": 123}, headers=await auth(client)
    )
    assert_validation_error(reply, "name")
