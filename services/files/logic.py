"""Files: what a file is and the rules that need no I/O.

The service, top-down: ``__main__`` wires it; ``server`` maps protobuf to these types;
``files`` records, reads, archives and sweeps (``probe`` checks the content);
``events`` says what it publishes (``events.file.archived``); ``store`` holds the table.

The gateway streams an upload to ``files/<owner>/<file id>.<ext>`` (capped per kind,
sniffed by its first bytes) and asks this service to record it; the service downloads
it, probes it (pixel size, duration) and refuses, deleting the object, anything that
is not what its first bytes claimed.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from avatarmesh.errors import DomainError, ErrorCode
from avatarmesh.ids import output_file_id

KINDS = ("image", "audio", "video")


class FileStatus(StrEnum):
    READY = "ready"
    ARCHIVED = "archived"


@dataclass(frozen=True)
class StoredFile:
    id: str
    owner_id: str
    kind: str
    content_type: str
    size_bytes: int
    filename: str
    storage_key: str
    width: int
    height: int
    duration_seconds: float
    status: FileStatus
    public_token: str | None
    created_at: datetime
    expires_at: datetime | None
    archived_at: datetime | None


@dataclass(frozen=True)
class Probed:
    """What the content turned out to be."""

    kind: str
    width: int = 0
    height: int = 0
    duration_seconds: float = 0.0


def not_found(file_id: str) -> DomainError:
    return DomainError(ErrorCode.NOT_FOUND, f"file {file_id} not found")


def check_kind(kind: str, *, allow_empty: bool = False) -> str:
    if (allow_empty and not kind) or kind in KINDS:
        return kind
    raise DomainError(ErrorCode.VALIDATION_ERROR, "kind: must be image, audio or video")


def file_key_prefix(owner_id: str) -> str:
    return f"files/{owner_id}/"


@dataclass(frozen=True)
class Output:
    """A finished job's output to record as the owner's file: its id is derived from
    the job's (``output_file_id``), so recording it twice finds it recorded."""

    owner_id: str
    file_id: str
    storage_key: str
    kind: str
    content_type: str
    filename: str
    temporary: bool


def video_outputs(
    owner_id: str, video_id: str, video_key: str, poster_key: str, temporary: bool
) -> list[Output]:
    """A completed video's outputs: the MP4 and its poster (when there is one)."""
    found = [
        Output(
            owner_id,
            output_file_id(video_id, "video"),
            video_key,
            "video",
            "video/mp4",
            f"{video_id}.mp4",
            temporary,
        )
    ]
    if poster_key:
        found.append(
            Output(
                owner_id,
                output_file_id(video_id, "poster"),
                poster_key,
                "image",
                "image/jpeg",
                f"{video_id}.jpg",
                temporary,
            )
        )
    return found
