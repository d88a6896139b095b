"""The streaming multipart reader: any chunking gives the same parts, the cap stops
an upload as soon as it is passed (the rest of the body is never read), and the
content sniffing that chooses the cap."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from avatarmesh.errors import DomainError, ErrorCode
from avatarmesh.mediatypes import sniff
from gateway.multipart import read_upload

BOUNDARY = b"----b0undary"
PNG = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 40 + b"\r\n--not-the-boundary"


def body(file_bytes: bytes, *, kind: str | None = "image") -> bytes:
    parts = []
    if kind:
        parts.append(
            b"--"
            + BOUNDARY
            + b'\r\nContent-Disposition: form-data; name="kind"\r\n\r\n'
            + kind.encode()
            + b"\r\n"
        )
    parts.append(
        b"--" + BOUNDARY + b'\r\nContent-Disposition: form-data; name="file"; '
        b'filename="me.png"\r\nContent-Type: image/png\r\n\r\n' + file_bytes + b"\r\n"
    )
    return b"".join(parts) + b"--" + BOUNDARY + b"--\r\n"


class Chunks:
    def __init__(self, data: bytes, size: int) -> None:
        self.pieces = [data[i : i + size] for i in range(0, len(data), size)]
        self.read = 0

    async def __aiter__(self) -> AsyncIterator[bytes]:
        for piece in self.pieces:
            self.read += 1
            yield piece


def cap_of(limit: int):  # type: ignore[no-untyped-def]
    def cap_for(head: bytes) -> int:
        if sniff(head) is None:
            raise DomainError(ErrorCode.UNSUPPORTED_MEDIA_TYPE, "no")
        return limit

    return cap_for


@pytest.mark.parametrize("size", [1, 7, 64, 4096, 1 << 20])
async def test_any_chunking_gives_the_same_file_and_fields(size: int) -> None:
    upload = await read_upload(Chunks(body(PNG), size).__aiter__(), BOUNDARY, cap_of(1 << 20), 16)
    assert upload.file is not None and upload.file.read() == PNG
    assert upload.fields == {"kind": "image"}
    assert (upload.filename, upload.declared_type, upload.size) == ("me.png", "image/png", len(PNG))


async def test_the_cap_stops_the_upload_before_the_rest_is_read() -> None:
    big = PNG + b"\0" * 200_000
    chunks = Chunks(body(big), 4096)
    with pytest.raises(DomainError) as caught:
        await read_upload(chunks.__aiter__(), BOUNDARY, cap_of(20_000), 16)
    assert caught.value.code is ErrorCode.PAYLOAD_TOO_LARGE
    assert chunks.read < len(chunks.pieces) // 5


async def test_a_text_file_is_refused_by_its_content() -> None:
    with pytest.raises(DomainError) as caught:
        await read_upload(
            Chunks(body(b"hello, I am a text file\n" * 10), 100).__aiter__(),
            BOUNDARY,
            cap_of(1 << 20),
            16,
        )
    assert caught.value.code is ErrorCode.UNSUPPORTED_MEDIA_TYPE


async def test_no_file_part_or_a_truncated_body_is_400() -> None:
    for data in (b"--" + BOUNDARY + b"--\r\n", body(PNG)[:-40]):
        with pytest.raises(DomainError) as caught:
            await read_upload(Chunks(data, 50).__aiter__(), BOUNDARY, cap_of(1 << 20), 16)
        assert caught.value.code is ErrorCode.VALIDATION_ERROR


def test_sniff_knows_the_formats_by_their_first_bytes() -> None:
    assert sniff(b"\xff\xd8\xff\xe0" + b"\0" * 12) == ("image", "image/jpeg", "jpg")
    assert sniff(b"RIFF\0\0\0\0WAVEfmt ") == ("audio", "audio/wav", "wav")
    assert sniff(b"RIFF\0\0\0\0WEBPVP8 ") == ("image", "image/webp", "webp")
    assert sniff(b"\0\0\0\x20ftypisom\0\0\0\0") == ("video", "video/mp4", "mp4")
    assert sniff(b"\0\0\0\x20ftypM4A \0\0\0\0") == ("audio", "audio/mp4", "m4a")
    assert sniff(b"ID3\x04\0\0\0\0\0\0\0\0\0\0\0\0") == ("audio", "audio/mpeg", "mp3")
    assert sniff(b"%PDF-1.7\n" + b"\0" * 8) is None
    assert sniff(b"") is None
