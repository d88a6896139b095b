"""Prefixed, unguessable identifiers (``av_``, ``ap_``, ``vg_`` ...).

120 random bits in lowercase base32: safe in URLs, never sequential, so another
tenant's id cannot be guessed and answers exactly like a missing one.
"""

from __future__ import annotations

import base64
import hashlib
import re
import secrets
from enum import StrEnum


class IdPrefix(StrEnum):
    AVATAR = "av"
    POSE = "ap"
    VIDEO = "vg"
    HOLD = "hd"
    LEDGER_ENTRY = "le"
    API_KEY = "key"
    EVENT = "ev"
    OWNER = "own"
    WEBHOOK_ATTEMPT = "wa"
    WEBHOOK_ENDPOINT = "we"
    FILE = "file"
    JOB = "job"
    UPLOAD = "up"


# The longest owner id any service stores: the gateway issues keys for owner ids up to
# this length, so every ``owner_id`` column and check uses this one number (a narrower
# column elsewhere turned a valid owner into a 500 on PostgreSQL).
MAX_OWNER_ID_LENGTH = 200

_BODY_LEN = 24
_PATTERN = re.compile(rf"^(?P<prefix>[a-z]+)_(?P<body>[a-z2-7]{{{_BODY_LEN}}})$")


def new_id(prefix: IdPrefix) -> str:
    body = base64.b32encode(secrets.token_bytes(15)).decode("ascii").lower()
    return f"{prefix.value}_{body}"


def is_id(value: str, prefix: IdPrefix) -> bool:
    """True when `value` is well-formed for `prefix` (says nothing about existence)."""
    match = _PATTERN.match(value)
    return bool(match) and match.group("prefix") == prefix.value  # type: ignore[union-attr]


def derived_id(prefix: IdPrefix, source_id: str, role: str) -> str:
    """A stable id of ``prefix`` for what ``source_id`` produced as ``role`` (a video's
    output file: ``derived_id(FILE, video_id, "video")``): every service holding the
    source id computes the same one without asking, and it is as hard to guess as the
    source id itself."""
    digest = hashlib.sha256(f"{source_id}:{role}".encode()).digest()[:15]
    return f"{prefix.value}_{base64.b32encode(digest).decode('ascii').lower()}"


def output_file_id(job_id: str, role: str) -> str:
    """The file id of a finished job's output (``role``: video, poster), which the files
    service records on the job's completion event (docs/files.md)."""
    return derived_id(IdPrefix.FILE, job_id, role)


# A voice id, as the avatar service issues them (services/avatar/voices.py): an
# avatar's cloned voice ``voice_<the avatar id's body>``, or a built-in voice
# ``bv_espeak.<espeak voice>.<male|female>`` / ``bv_piper.<voice file stem>``. The
# gateway refuses any other shape (the document's pattern), and the catalogue offers no
# built-in voice whose id would not match (a Piper file named otherwise is skipped).
VOICE_ID_PATTERN = (
    rf"^(voice_[a-z2-7]{{{_BODY_LEN}}}"
    r"|bv_espeak\.[a-z0-9-]{1,40}\.(male|female)"
    r"|bv_piper\.[A-Za-z0-9_-][A-Za-z0-9_.-]{0,50})$"
)
_VOICE_ID = re.compile(VOICE_ID_PATTERN)


def is_voice_id(value: str) -> bool:
    """True when ``value`` has a voice id's shape (says nothing about existence)."""
    return bool(_VOICE_ID.match(value))
