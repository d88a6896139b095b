"""Client media in requests: data URLs decoded and stored, HTTPS URLs pre-checked.

A data URL (``data:<type>;base64,<bytes>``) is decoded here, its type and size
checked, and its bytes uploaded to ``uploads/<owner>/<upload id>.<ext>``; services
get ``MediaInput{storage_key}``. An HTTPS URL is checked for syntax and SSRF (it must
resolve to public addresses only) and passed on as ``MediaInput{https_url}``; the
consumer fetches it with ``avatarmesh.fetch.fetch`` (size cap, timeouts, every
redirect checked again).
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Mapping

from avatarmesh.errors import DomainError, ErrorCode
from avatarmesh.fetch import check_url
from avatarmesh.ids import IdPrefix, new_id
from avatarmesh.mediatypes import size_text
from avatarmesh.storage import Storage, StorageError, upload_key
from avatarmesh.v1 import common_pb2

_DATA_URL = re.compile(r"^data:(?P<type>[^;,]*)(?P<params>(;[^;,]*)*),(?P<data>.*)$", re.DOTALL)


def is_data_url(value: str) -> bool:
    return value.startswith("data:")


def decode_data_url(
    value: str, allowed_types: Mapping[str, str], max_bytes: int, *, field: str = "data URL"
) -> tuple[bytes, str]:
    """(bytes, MIME type) of a base64 data URL of one of ``allowed_types`` and at most
    ``max_bytes`` decoded; VALIDATION_ERROR naming ``field`` otherwise."""
    match = _DATA_URL.match(value)
    if match is None:
        raise DomainError(ErrorCode.VALIDATION_ERROR, f"{field}: not a valid data URL")
    content_type = match.group("type").strip().lower()
    if content_type not in allowed_types:
        kinds = ", ".join(sorted(set(allowed_types)))
        raise DomainError(
            ErrorCode.VALIDATION_ERROR,
            f"{field}: unsupported type {content_type or '(none)'!r}; expected one of {kinds}",
        )
    if ";base64" not in match.group("params").lower():
        raise DomainError(ErrorCode.VALIDATION_ERROR, f"{field}: data URL must be base64-encoded")
    too_large = DomainError(
        ErrorCode.VALIDATION_ERROR, f"{field}: larger than {size_text(max_bytes)}"
    )
    encoded = "".join(match.group("data").split())
    if len(encoded) * 3 // 4 > max_bytes + 3:
        raise too_large
    try:
        data = base64.b64decode(encoded, validate=True)
    except (binascii.Error, ValueError):
        raise DomainError(
            ErrorCode.VALIDATION_ERROR, f"{field}: invalid base64 in data URL"
        ) from None
    if not data:
        raise DomainError(ErrorCode.VALIDATION_ERROR, f"{field}: the data URL is empty")
    if len(data) > max_bytes:
        raise too_large
    return data, content_type


async def check_https_url(value: str, *, field: str = "URL") -> str:
    """The URL when it is an absolute https:// URL resolving to public addresses only."""
    if not value.lower().startswith("https://"):
        raise DomainError(
            ErrorCode.VALIDATION_ERROR, f"{field}: must be a data URL or an https:// URL"
        )
    try:
        await check_url(value)
    except DomainError as exc:
        raise DomainError(ErrorCode.VALIDATION_ERROR, f"{field}: {exc.message}") from None
    return value


async def store_upload(
    storage: Storage, owner: str, data: bytes, content_type: str, types: Mapping[str, str]
) -> common_pb2.MediaInput:
    """Upload the bytes under ``uploads/<owner>/<upload id>.<ext>``."""
    ext = types.get(content_type, "bin")
    key = upload_key(owner, new_id(IdPrefix.UPLOAD), ext)
    try:
        await storage.ensure_bucket()
        await storage.put_bytes(key, data, content_type)
    except StorageError as exc:
        raise DomainError(ErrorCode.STORAGE_ERROR, f"storing the upload failed: {exc}") from exc
    return common_pb2.MediaInput(storage_key=key, content_type=content_type)


async def store_data_url(
    storage: Storage,
    owner: str,
    value: str,
    allowed_types: Mapping[str, str],
    max_bytes: int,
    *,
    field: str,
) -> common_pb2.MediaInput:
    """A data URL decoded, checked (VALIDATION_ERROR naming ``field``) and stored."""
    data, content_type = decode_data_url(value, allowed_types, max_bytes, field=field)
    return await store_upload(storage, owner, data, content_type, allowed_types)


async def media_input(
    storage: Storage,
    owner: str,
    value: str,
    allowed_types: Mapping[str, str],
    max_bytes: int,
    *,
    field: str,
) -> common_pb2.MediaInput:
    """A data URL (decoded, checked, stored) or an HTTPS URL (checked) as a MediaInput."""
    if is_data_url(value):
        return await store_data_url(storage, owner, value, allowed_types, max_bytes, field=field)
    url = await check_https_url(value, field=field)
    return common_pb2.MediaInput(https_url=url, content_type=_type_from_path(url, allowed_types))


def _type_from_path(url: str, allowed_types: Mapping[str, str]) -> str:
    path = url.split("?", 1)[0].split("#", 1)[0].lower()
    for content_type, ext in allowed_types.items():
        if path.endswith("." + ext):
            return content_type
    return ""
