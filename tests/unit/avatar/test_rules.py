"""Avatar rules without servers: request validation, data URLs, ids of voices and
system avatars."""

from __future__ import annotations

import base64

import pytest

from avatarmesh.errors import DomainError, ErrorCode
from avatarmesh.ids import IdPrefix, is_id
from avatarmesh.mediatypes import IMAGE_TYPES, VIDEO_TYPES
from avatarmesh.v1 import avatar_pb2, common_pb2
from gateway.uploads import check_https_url, decode_data_url
from services.avatar.logic import AvatarRequest, seed_for, validate_create, voice_id_for
from services.avatar.server import avatar_request
from services.avatar.system import SYSTEM_AVATARS


def request(**changes: object) -> AvatarRequest:
    """A CreateAvatarRequest as the servicer hands it to the rules."""
    values: dict[str, object] = {
        "owner_id": "own_a",
        "name": "Aria",
        "description": "Warm presenter",
        "language": "en",
        "nationality": "American",
    }
    values.update(changes)
    return avatar_request(avatar_pb2.CreateAvatarRequest(**values))  # type: ignore[arg-type]


def test_valid_generated_request_passes() -> None:
    assert validate_create(request()) == "generated"


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"name": ""}, "name"),
        ({"name": "x" * 61}, "name"),
        ({"description": ""}, "description"),
        ({"description": "x" * 2001}, "description"),
        ({"language": "xx"}, "language"),
        ({"nationality": ""}, "nationality"),
        ({"gender": "other"}, "gender"),
        ({"accent": "x" * 41}, "accent"),
        ({"source": avatar_pb2.AVATAR_SOURCE_VIDEO}, "source_video_url"),
    ],
)
def test_invalid_field_is_validation_error_naming_it(
    changes: dict[str, object], field: str
) -> None:
    with pytest.raises(DomainError) as caught:
        validate_create(request(**changes))
    assert caught.value.code is ErrorCode.VALIDATION_ERROR
    assert field in caught.value.message


def test_video_source_needs_no_description() -> None:
    video = common_pb2.MediaInput(storage_key="uploads/own_a/up_x.mp4")
    req = request(source=avatar_pb2.AVATAR_SOURCE_VIDEO, description="", source_video=video)
    assert validate_create(req) == "video"


def test_data_url_is_decoded_with_its_type() -> None:
    url = "data:image/png;base64," + base64.b64encode(b"\x89PNG....").decode()
    assert decode_data_url(url, IMAGE_TYPES, 100) == (b"\x89PNG....", "image/png")


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("data:text/plain;base64,aGk=", "unsupported type"),
        ("data:image/png,plain", "base64"),
        ("data:image/png;base64,***", "invalid base64"),
        ("data:image/png;base64,", "empty"),
        ("data:image/png;base64," + base64.b64encode(b"x" * 101).decode(), "larger than"),
        ("nonsense", "not a valid data URL"),
    ],
)
def test_bad_data_url_is_validation_error(url: str, reason: str) -> None:
    with pytest.raises(DomainError) as caught:
        decode_data_url(url, IMAGE_TYPES, 100, field="ref_image_data_url")
    assert caught.value.code is ErrorCode.VALIDATION_ERROR
    assert reason in caught.value.message and "ref_image_data_url" in caught.value.message


def test_video_types_are_mp4_mov_webm_m4v() -> None:
    assert {"video/mp4", "video/quicktime", "video/webm", "video/x-m4v"} <= set(VIDEO_TYPES)
    assert set(VIDEO_TYPES.values()) == {"mp4", "mov", "webm", "m4v"}


@pytest.mark.parametrize(
    "url",
    [
        "http://example.com/a.jpg",
        "https://127.0.0.1/a.jpg",
        "https://10.1.2.3/a.jpg",
        "https://169.254.169.254/latest/meta-data",
        "https://[::1]/a.jpg",
        "https://user:pw@example.com/a.jpg",
        "https://metadata.google.internal/x",
    ],
)
async def test_url_that_may_not_be_fetched_is_validation_error(url: str) -> None:
    with pytest.raises(DomainError) as caught:
        await check_https_url(url, field="ref_image_data_url")
    assert caught.value.code is ErrorCode.VALIDATION_ERROR


def test_system_avatars_are_two_english_four_vietnamese_with_stable_well_formed_ids() -> None:
    languages = sorted(a.language for a in SYSTEM_AVATARS)
    assert languages == ["en", "en", "vi", "vi", "vi", "vi"]
    ids = [a.id for a in SYSTEM_AVATARS]
    assert len(set(ids)) == 6 and all(is_id(i, IdPrefix.AVATAR) for i in ids)
    assert ids == [a.id for a in SYSTEM_AVATARS]  # stable
    voices = {(a.language, a.accent, a.gender) for a in SYSTEM_AVATARS}
    assert len(voices) == 6


def test_voice_id_and_seed_derive_from_the_avatar_id() -> None:
    assert voice_id_for("av_abc") == "voice_abc"
    assert seed_for("av_abc") == seed_for("av_abc") >= 0
