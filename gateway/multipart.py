"""A streaming ``multipart/form-data`` reader for uploads: the file part goes to a
temporary file on disk as it arrives, its first bytes decide its kind (and so its
size cap), and the upload is stopped (413) the moment it passes that cap. Nothing
holds the whole body in memory; small text fields are kept (at most 1 KB each).

Why not Starlette's ``request.form()``: it reads the whole file before anyone can
check its size or content.
"""

from __future__ import annotations

import tempfile
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from typing import IO

from avatarmesh.errors import DomainError, ErrorCode

MAX_FIELD_BYTES = 1024
MAX_HEADER_BYTES = 8 * 1024
MAX_FIELDS = 10
# A temp file for the upload's bytes: in memory only up to this much.
SPOOL_IN_MEMORY = 512 * 1024

# head bytes -> the cap for this file (raise DomainError to refuse it)
CapFor = Callable[[bytes], int]


@dataclass
class Upload:
    fields: dict[str, str] = field(default_factory=dict)
    filename: str = ""
    declared_type: str = ""
    file: IO[bytes] | None = None
    size: int = 0
    head: bytes = b""


def boundary_of(content_type: str) -> bytes:
    for part in content_type.split(";")[1:]:
        name, _, value = part.strip().partition("=")
        if name.lower() == "boundary" and value:
            return value.strip('"').encode("latin-1")
    raise DomainError(ErrorCode.VALIDATION_ERROR, "multipart body without a boundary")


def _disposition(headers: bytes) -> tuple[str, str | None, str]:
    """(field name, filename or None, content type) of a part's headers."""
    name, filename, ctype = "", None, ""
    for line in headers.decode("utf-8", "replace").split("\r\n"):
        key, _, value = line.partition(":")
        key = key.strip().lower()
        if key == "content-type":
            ctype = value.strip().lower()
        if key != "content-disposition":
            continue
        for item in value.split(";")[1:]:
            k, _, v = item.strip().partition("=")
            v = v.strip().strip('"')
            if k.lower() == "name":
                name = v
            elif k.lower() == "filename":
                filename = v
    return name, filename, ctype


async def read_upload(
    chunks: AsyncIterator[bytes], boundary: bytes, cap_for: CapFor, head_bytes: int
) -> Upload:
    """Read a multipart body with one file part (``file``) and a few text fields."""
    upload = Upload()
    reader = _Reader(chunks)
    opening = b"--" + boundary
    delimiter = b"\r\n--" + boundary
    await reader.skip_to(opening)
    while True:
        after = await reader.take(2)
        if after == b"--":
            break  # closing delimiter
        if after != b"\r\n":
            raise _malformed()
        headers = await reader.until(b"\r\n\r\n", MAX_HEADER_BYTES)
        name, filename, ctype = _disposition(headers)
        if filename is not None and name == "file":
            if upload.file is not None:
                raise DomainError(ErrorCode.VALIDATION_ERROR, "send one file per upload")
            upload.filename, upload.declared_type = filename, ctype
            await _file_part(reader, delimiter, upload, cap_for, head_bytes)
        else:
            if len(upload.fields) >= MAX_FIELDS:
                raise DomainError(ErrorCode.VALIDATION_ERROR, "too many form fields")
            value = await reader.until(delimiter, MAX_FIELD_BYTES)
            upload.fields[name] = value.decode("utf-8", "replace")
    if upload.file is None:
        raise DomainError(
            ErrorCode.VALIDATION_ERROR, "file: a multipart part named file is required"
        )
    upload.file.seek(0)
    return upload


async def _file_part(
    reader: _Reader, delimiter: bytes, upload: Upload, cap_for: CapFor, head_bytes: int
) -> None:
    out = tempfile.SpooledTemporaryFile(max_size=SPOOL_IN_MEMORY)
    upload.file = out
    cap: int | None = None
    async for piece in reader.stream_until(delimiter):
        if cap is None:
            upload.head += piece[: head_bytes - len(upload.head)]
            if len(upload.head) < head_bytes:
                out.write(piece)
                upload.size += len(piece)
                continue
            cap = cap_for(upload.head)
        upload.size += len(piece)
        if upload.size > cap:
            raise DomainError(ErrorCode.PAYLOAD_TOO_LARGE, f"file: larger than {cap} bytes")
        out.write(piece)
    if cap is None:  # shorter than the sniffing window
        cap = cap_for(upload.head)
        if upload.size > cap:
            raise DomainError(ErrorCode.PAYLOAD_TOO_LARGE, f"file: larger than {cap} bytes")


def _malformed() -> DomainError:
    return DomainError(ErrorCode.VALIDATION_ERROR, "malformed multipart body")


class _Reader:
    """Pulls chunks on demand, with a small look-ahead buffer."""

    def __init__(self, chunks: AsyncIterator[bytes]) -> None:
        self._chunks = chunks
        self._buffer = b""
        self._done = False

    async def _more(self) -> bool:
        if self._done:
            return False
        try:
            self._buffer += await anext(self._chunks)
        except StopAsyncIteration:
            self._done = True
            return False
        return True

    async def take(self, n: int) -> bytes:
        while len(self._buffer) < n:
            if not await self._more():
                raise _malformed()
        out, self._buffer = self._buffer[:n], self._buffer[n:]
        return out

    async def skip_to(self, marker: bytes) -> None:
        while (at := self._buffer.find(marker)) < 0:
            self._buffer = self._buffer[-len(marker) :]
            if not await self._more():
                raise _malformed()
        self._buffer = self._buffer[at + len(marker) :]

    async def until(self, marker: bytes, limit: int) -> bytes:
        """Everything before ``marker`` (consumed too); at most ``limit`` bytes."""
        while (at := self._buffer.find(marker)) < 0:
            if len(self._buffer) > limit + len(marker):
                raise DomainError(ErrorCode.VALIDATION_ERROR, "a form field is too long")
            if not await self._more():
                raise _malformed()
        if at > limit:
            raise DomainError(ErrorCode.VALIDATION_ERROR, "a form field is too long")
        out, self._buffer = self._buffer[:at], self._buffer[at + len(marker) :]
        return out

    async def stream_until(self, marker: bytes) -> AsyncIterator[bytes]:
        """Yield the bytes before ``marker`` as they come (``marker`` consumed)."""
        keep = len(marker) - 1
        while True:
            at = self._buffer.find(marker)
            if at >= 0:
                if at:
                    yield self._buffer[:at]
                self._buffer = self._buffer[at + len(marker) :]
                return
            if len(self._buffer) > keep:
                yield self._buffer[:-keep]
                self._buffer = self._buffer[-keep:]
            if not await self._more():
                raise _malformed()
