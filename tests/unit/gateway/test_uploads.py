"""Data URLs: one decoder for every upload field, one answer for each fault."""

from __future__ import annotations

import base64

import pytest

from avatarmesh.errors import DomainError, ErrorCode
from avatarmesh.mediatypes import AUDIO_TYPES, IMAGE_TYPES
from gateway.app import create_app
from gateway.settings import GatewaySettings
from tests.unit.gateway.support import issue_key, serving


def data_url(content_type: str, size: int) -> str:
    return f"data:{content_type};base64," + base64.b64encode(b"\0" * size).decode()


@pytest.mark.parametrize(
    ("types", "content_type"), [(AUDIO_TYPES, "audio/wav"), (IMAGE_TYPES, "image/png")]
)
def test_a_data_url_over_its_limit_is_a_validation_error_for_any_field(
    types: dict[str, str], content_type: str
) -> None:
    from gateway.uploads import decode_data_url

    with pytest.raises(DomainError) as info:
        decode_data_url(data_url(content_type, 101), types, 100, field="f")
    assert info.value.code is ErrorCode.VALIDATION_ERROR
    assert info.value.message == "f: larger than 100 bytes"


AVATAR_ID = "av_" + "a" * 24


async def test_video_audio_data_url_over_the_limit_is_400_validation_error(
    settings: GatewaySettings, monkeypatch: pytest.MonkeyPatch
) -> None:
    import gateway.routes.videos as videos

    monkeypatch.setattr(videos, "MAX_AUDIO_BYTES", 100)
    async with serving(create_app(settings)) as client:
        auth = {"Authorization": f"Bearer {await issue_key(client)}"}
        body = {"avatar_id": AVATAR_ID, "audio_data_url": data_url("audio/wav", 101)}
        reply = await client.post("/api/v1/avatar-videos", json=body, headers=auth)
    assert reply.status_code == 400
    assert reply.json()["error"] == {
        "code": "VALIDATION_ERROR",
        "message": "audio_data_url: larger than 100 bytes",
    }
