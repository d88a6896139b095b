"""Files over REST: upload (multipart, streamed; or JSON with a data URL or an HTTPS URL
the platform fetches), list, get (with a presigned URL), archive, public preview links.

An upload is judged by its content: its first bytes must be a PNG, JPEG, WebP, WAV,
MP3, OGG, FLAC, MP4/M4A, MOV or WebM, whatever its name or declared type, and its kind
(image / audio / video) sets its cap (10 / 50 / 200 MB), enforced as the bytes arrive.
The gateway stores the bytes under ``files/<owner>/``; the files service probes and
records them (and refuses, deleting them, a file that does not decode).
"""

from __future__ import annotations

import base64
import binascii
import json
import tempfile
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Request, status
from fastapi.responses import RedirectResponse
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from avatarmesh import fetch
from avatarmesh.errors import DomainError, ErrorCode
from avatarmesh.ids import IdPrefix, is_id, new_id
from avatarmesh.mediatypes import FILE_CAPS, SNIFF_BYTES, size_text, sniff
from avatarmesh.storage import StorageError
from avatarmesh.v1 import common_pb2
from avatarmesh.v1 import files_pb2 as pb
from gateway.bodies import PageLimit, PageNumber, RequestBody
from gateway.deps import Clients, Owner, State
from gateway.errors import ERROR_RESPONSES, validation_error
from gateway.multipart import Upload, boundary_of, read_upload
from gateway.schema import API_CODES, BASE64, BODY_CODES, NO_NUL, URL_TAIL, errors, path_id

router = APIRouter(prefix="/api/v1", tags=["files"], responses=ERROR_RESPONSES)
public_router = APIRouter(tags=["files"], responses=ERROR_RESPONSES)

MAX_EXPIRES_S = 30 * 24 * 3600


class FileOut(BaseModel):
    id: str
    kind: str = Field(description="image, audio or video (from the content)")
    content_type: str
    size_bytes: int
    filename: str
    width: int | None = Field(description="Pixels (images and video)")
    height: int | None
    duration_seconds: float | None = Field(description="Audio and video")
    status: str = Field(description="ready or archived")
    url: str | None = Field(description="Presigned GET URL (1 hour); null once archived")
    public_url: str | None = Field(description="The public preview link, while it is on")
    created_at: datetime
    expires_at: datetime | None = Field(description="Temporary files are archived then")
    archived_at: datetime | None


class FilePage(BaseModel):
    data: list[FileOut]
    page: int
    limit: int
    total: int


FileKind = Literal["image", "audio", "video"]
FileId = Annotated[str, path_id(IdPrefix.FILE, "file")]


class FileFromUrl(RequestBody):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [{"url": "https://example.com/background.png", "kind": "image"}]
        }
    )

    url: str = Field(
        pattern=rf"^(data:[^,]*;base64,{BASE64}|https://{URL_TAIL})$",
        description="data:<type>;base64,... or a public https:// URL to fetch; the bytes "
        "must be an image, audio or video (the content decides the kind)",
    )
    filename: str = Field(default="", max_length=255, pattern=NO_NUL)
    kind: FileKind | None = Field(default=None, description="If given, must match the content")
    expires_in_seconds: float | None = Field(default=None, gt=0, le=MAX_EXPIRES_S)


class PublicLinkBody(RequestBody):
    model_config = ConfigDict(json_schema_extra={"examples": [{"enabled": True}]})

    enabled: bool


def _time(message: Any, name: str) -> datetime | None:
    return getattr(message, name).ToDatetime(tzinfo=UTC) if message.HasField(name) else None


async def _out(state: Any, f: pb.File, base_url: str) -> FileOut:
    url = None
    if f.status == "ready":
        try:
            url = await state.storage.presigned_get(f.storage_key)
        except StorageError as exc:
            raise DomainError(ErrorCode.STORAGE_ERROR, f"presigning the file: {exc}") from None
    return FileOut(
        id=f.id,
        kind=f.kind,
        content_type=f.content_type,
        size_bytes=f.size_bytes,
        filename=f.filename,
        width=f.width or None,
        height=f.height or None,
        duration_seconds=f.duration_seconds or None,
        status=f.status,
        url=url,
        public_url=f"{base_url}files/public/{f.public_token}" if f.public_token else None,
        created_at=f.created_at.ToDatetime(tzinfo=UTC),
        expires_at=_time(f, "expires_at"),
        archived_at=_time(f, "archived_at"),
    )


def _sniffed(head: bytes, wanted: str | None) -> tuple[str, str, str]:
    found = sniff(head)
    if found is None:
        raise DomainError(
            ErrorCode.UNSUPPORTED_MEDIA_TYPE,
            "file: the content is not a supported image (PNG, JPEG, WebP), audio (WAV, MP3, "
            "OGG, FLAC, M4A) or video (MP4, MOV, WebM); files are judged by content, not name",
        )
    if wanted and wanted not in FILE_CAPS:
        raise DomainError(ErrorCode.VALIDATION_ERROR, "kind: must be image, audio or video")
    if wanted and wanted != found[0] and not (wanted == "audio" and found[0] == "video"):
        raise DomainError(
            ErrorCode.FILE_KIND_MISMATCH, f"kind: {wanted} was given but the file is {found[0]}"
        )
    return found


def _cap_check(kind: str, size: int) -> None:
    if size > FILE_CAPS[kind]:
        raise DomainError(
            ErrorCode.PAYLOAD_TOO_LARGE,
            f"file: a {kind} may be at most {size_text(FILE_CAPS[kind])}",
        )


@router.post(
    "/files",
    status_code=status.HTTP_201_CREATED,
    summary="Upload a file (multipart `file`, or JSON `url`: a data URL or HTTPS URL)",
    responses=errors(
        BODY_CODES,
        API_CODES,
        ErrorCode.STORAGE_ERROR,
        ErrorCode.UNSUPPORTED_MEDIA_TYPE,
        ErrorCode.FILE_KIND_MISMATCH,
    ),
    openapi_extra={
        "requestBody": {
            "content": {
                "multipart/form-data": {
                    "schema": {
                        "type": "object",
                        "required": ["file"],
                        "properties": {
                            "file": {"type": "string", "format": "binary"},
                            "kind": {"type": "string", "enum": ["image", "audio", "video"]},
                            "expires_in_seconds": {
                                "type": "number",
                                "exclusiveMinimum": 0,
                                "maximum": MAX_EXPIRES_S,
                            },
                        },
                    }
                },
                "application/json": {"schema": FileFromUrl.model_json_schema()},
            }
        }
    },
)
async def upload_file(request: Request, owner: Owner, clients: Clients, state: State) -> FileOut:
    content_type = request.headers.get("content-type", "")
    file_id = new_id(IdPrefix.FILE)
    if content_type.lower().startswith("multipart/form-data"):
        made = await _from_multipart(request, owner, file_id, clients, state)
    elif content_type.lower().startswith("application/json"):
        made = await _from_json(request, owner, file_id, clients, state)
    else:
        raise DomainError(
            ErrorCode.VALIDATION_ERROR,
            "send multipart/form-data with a file part, or JSON with a url",
        )
    return await _out(state, made, str(request.base_url))


async def _from_multipart(
    request: Request, owner: Owner, file_id: str, clients: Clients, state: Any
) -> pb.File:
    boundary = boundary_of(request.headers["content-type"])
    found: list[tuple[str, str, str]] = []

    def cap_for(head: bytes) -> int:
        found.append(_sniffed(head, None))
        return FILE_CAPS[found[0][0]]

    with tempfile.TemporaryDirectory(prefix="avatarmesh-upload-") as tmp:
        upload = await read_upload(request.stream(), boundary, cap_for, SNIFF_BYTES)
        assert upload.file is not None
        kind, ctype, ext = _sniffed(upload.head, upload.fields.get("kind") or None)
        expires = _expires(upload.fields.get("expires_in_seconds"))
        path = Path(tmp) / "upload"
        with path.open("wb") as out:
            while chunk := upload.file.read(1024 * 1024):
                out.write(chunk)
        upload.file.close()
        key = f"files/{owner}/{file_id}.{ext}"
        await _put(state, key, path=path, content_type=ctype)
        return await _record(clients, state, owner, file_id, key, kind, ctype, upload, expires)


def _expires(value: str | None) -> float:
    if not value:
        return 0.0
    try:
        seconds = float(value)
    except ValueError:
        raise DomainError(ErrorCode.VALIDATION_ERROR, "expires_in_seconds: a number") from None
    if not 0 < seconds <= MAX_EXPIRES_S:
        raise DomainError(ErrorCode.VALIDATION_ERROR, f"expires_in_seconds: 1 to {MAX_EXPIRES_S}")
    return seconds


async def _from_json(
    request: Request, owner: Owner, file_id: str, clients: Clients, state: Any
) -> pb.File:
    try:
        body = FileFromUrl.model_validate(json.loads(await request.body()))
    except (json.JSONDecodeError, UnicodeDecodeError):
        # Not UTF-8 at all was a 500 (found by the API fuzzer, tests/e2e/test_openapi_fuzz.py)
        raise DomainError(ErrorCode.INVALID_JSON, "request body is not valid JSON") from None
    except ValidationError as exc:
        raise validation_error([{**e, "loc": ("body", *e["loc"])} for e in exc.errors()]) from None
    data = await _json_bytes(body.url, state)
    kind, ctype, ext = _sniffed(data[:SNIFF_BYTES], body.kind)
    _cap_check(kind, len(data))
    key = f"files/{owner}/{file_id}.{ext}"
    await _put(state, key, data=data, content_type=ctype)
    upload = Upload(filename=body.filename or body.url.rsplit("/", 1)[-1][:255], size=len(data))
    if body.url.startswith("data:"):
        upload.filename = body.filename
    return await _record(
        clients, state, owner, file_id, key, kind, ctype, upload, body.expires_in_seconds or 0.0
    )


async def _json_bytes(url: str, state: Any) -> bytes:
    biggest = max(FILE_CAPS.values())
    if url.startswith("data:"):
        header, sep, encoded = url.partition(",")
        if not sep or ";base64" not in header.lower():
            raise DomainError(ErrorCode.VALIDATION_ERROR, "url: a base64 data URL is required")
        try:
            return base64.b64decode("".join(encoded.split()), validate=True)
        except (binascii.Error, ValueError):
            raise DomainError(ErrorCode.VALIDATION_ERROR, "url: invalid base64") from None
    loopback = state.settings.allow_insecure_loopback
    return await fetch.fetch(url, max_bytes=biggest, allow_insecure_loopback=loopback)


async def _put(
    state: Any, key: str, *, content_type: str, path: Path | None = None, data: bytes = b""
) -> None:
    try:
        if path is not None:
            await state.storage.put_file(key, path, content_type)
        else:
            await state.storage.put_bytes(key, data, content_type)
    except StorageError as exc:
        raise DomainError(ErrorCode.STORAGE_ERROR, f"storing the file: {exc}") from None


async def _record(
    clients: Clients,
    state: Any,
    owner: str,
    file_id: str,
    key: str,
    kind: str,
    ctype: str,
    upload: Upload,
    expires: float,
) -> pb.File:
    try:
        made: pb.File = await clients.files.CreateFile(
            pb.CreateFileRequest(
                owner_id=owner,
                file_id=file_id,
                storage_key=key,
                kind=kind,
                content_type=ctype,
                size_bytes=upload.size,
                filename=upload.filename[:255],
                expires_in_seconds=expires,
            )
        )
    except DomainError as exc:
        if exc.code is not ErrorCode.SERVICE_UNAVAILABLE:
            await state.storage.delete_quietly(key)
        raise
    return made


@router.get(
    "/files",
    summary="The caller's files, newest first",
    responses=errors(API_CODES, ErrorCode.VALIDATION_ERROR, ErrorCode.STORAGE_ERROR),
)
async def list_files(
    request: Request,
    owner: Owner,
    clients: Clients,
    state: State,
    kind: Annotated[FileKind | None, Query(description="image, audio or video")] = None,
    include_archived: bool = False,
    page: PageNumber = 1,
    limit: PageLimit = 20,
) -> FilePage:
    reply = await clients.files.ListFiles(
        pb.ListFilesRequest(
            owner_id=owner,
            kind=kind or "",
            page=common_pb2.PageRequest(page=page, limit=limit),
            include_archived=include_archived,
        )
    )
    base = str(request.base_url)
    return FilePage(
        data=[await _out(state, f, base) for f in reply.files],
        page=reply.page.page,
        limit=reply.page.limit,
        total=reply.page.total,
    )


@router.get(
    "/files/{file_id}",
    summary="One file, with a presigned URL",
    responses=errors(API_CODES, ErrorCode.NOT_FOUND, ErrorCode.STORAGE_ERROR),
)
async def get_file(
    file_id: FileId, request: Request, owner: Owner, clients: Clients, state: State
) -> FileOut:
    reply = await clients.files.GetFile(pb.GetFileRequest(owner_id=owner, file_id=file_id))
    return await _out(state, reply, str(request.base_url))


@router.post(
    "/files/{file_id}/archive",
    summary="Archive a file (its bytes are deleted)",
    responses=errors(
        API_CODES, ErrorCode.NOT_FOUND, ErrorCode.STORAGE_ERROR, ErrorCode.FILE_ARCHIVED
    ),
)
async def archive_file(
    file_id: FileId, request: Request, owner: Owner, clients: Clients, state: State
) -> FileOut:
    reply = await clients.files.ArchiveFile(pb.GetFileRequest(owner_id=owner, file_id=file_id))
    return await _out(state, reply, str(request.base_url))


@router.post(
    "/files/{file_id}/public-link",
    summary="Turn the public preview link on or off",
    responses=errors(
        BODY_CODES, API_CODES, ErrorCode.NOT_FOUND, ErrorCode.STORAGE_ERROR, ErrorCode.FILE_ARCHIVED
    ),
)
async def public_link(
    file_id: FileId,
    body: PublicLinkBody,
    request: Request,
    owner: Owner,
    clients: Clients,
    state: State,
) -> FileOut:
    reply = await clients.files.SetPublicLink(
        pb.SetPublicLinkRequest(owner_id=owner, file_id=file_id, enabled=body.enabled)
    )
    return await _out(state, reply, str(request.base_url))


@public_router.get(
    "/files/public/{token}",
    status_code=status.HTTP_302_FOUND,
    response_class=RedirectResponse,
    summary="A public preview link: redirects to a short-lived presigned URL (no API key)",
)
async def public_file(token: str, clients: Clients, state: State) -> RedirectResponse:
    if len(token) > 64:
        raise DomainError(ErrorCode.NOT_FOUND, "no such public file")
    reply = await clients.files.GetPublicFile(pb.GetPublicFileRequest(token=token))
    try:
        url = await state.storage.presigned_get(reply.storage_key)
    except StorageError as exc:
        raise DomainError(ErrorCode.STORAGE_ERROR, f"presigning the file: {exc}") from None
    return RedirectResponse(url, status_code=status.HTTP_302_FOUND)


def is_file_id(value: str | None) -> bool:
    return bool(value) and is_id(str(value), IdPrefix.FILE)


async def file_input(
    clients: Clients, owner: str, file_id: str, kinds: tuple[str, ...], *, field: str
) -> common_pb2.MediaInput:
    """A media input given as a file id: the caller's ready file of one of ``kinds``
    (another owner's id answers like a missing one). Jobs read it and never delete it."""
    try:
        f = await clients.files.GetFile(pb.GetFileRequest(owner_id=owner, file_id=file_id))
    except DomainError as exc:
        if exc.code is ErrorCode.NOT_FOUND:
            raise DomainError(ErrorCode.NOT_FOUND, f"{field}: {exc.message}") from None
        raise
    if f.status != "ready":
        raise DomainError(ErrorCode.FILE_ARCHIVED, f"{field}: file {file_id} is archived")
    if f.kind not in kinds:
        raise DomainError(
            ErrorCode.FILE_KIND_MISMATCH,
            f"{field}: file {file_id} is {f.kind}; expected {' or '.join(kinds)}",
        )
    return common_pb2.MediaInput(storage_key=f.storage_key, content_type=f.content_type)
