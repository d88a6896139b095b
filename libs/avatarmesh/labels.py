"""``labels`` and free ``metadata`` on avatars and videos: one set of rules for every
service that stores them, and the stored form their list filters search.

- labels: at most 20, each 1-64 characters of ``a-z A-Z 0-9 _ - . :``; kept in order,
  duplicates dropped; stored as a compact JSON list.
- metadata: at most 50 string keys (1-64 characters, the label alphabet but ``:``) with string
  values (at most 500 characters); stored as compact JSON with sorted keys.

A list filter matches the exact JSON-encoded element inside the stored text
(``"label"`` in the list, ``"key":"value"`` in the object): with the compact, sorted
encoding and the restricted key alphabet that is an exact match, and ``LIKE``'s own
wildcards in a value are escaped (``ESCAPE``).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping

from avatarmesh.errors import DomainError, ErrorCode

MAX_LABELS = 20
MAX_KEYS = 50
MAX_VALUE = 500
_NAME = re.compile(r"^[A-Za-z0-9_.:\-]{1,64}$")
_KEY = re.compile(r"^[A-Za-z0-9_.\-]{1,64}$")  # no ":" (it splits key:value filters)
LIKE_ESCAPE = "\\"


def _invalid(message: str) -> DomainError:
    return DomainError(ErrorCode.VALIDATION_ERROR, message)


def check_labels(labels: Iterable[str]) -> list[str]:
    out = list(dict.fromkeys(labels))
    if len(out) > MAX_LABELS:
        raise _invalid(f"labels: at most {MAX_LABELS}")
    for label in out:
        if not _NAME.match(label):
            raise _invalid(f"labels: {label!r} must be 1-64 characters of A-Z a-z 0-9 _ - . :")
    return out


def check_metadata(metadata: Mapping[str, str]) -> dict[str, str]:
    if len(metadata) > MAX_KEYS:
        raise _invalid(f"metadata: at most {MAX_KEYS} keys")
    for key, value in metadata.items():
        if not _KEY.match(key):
            raise _invalid(f"metadata: key {key!r} must be 1-64 characters of A-Z a-z 0-9 _ - .")
        if not isinstance(value, str) or len(value) > MAX_VALUE:
            raise _invalid(f"metadata.{key}: a string of at most {MAX_VALUE} characters")
    return dict(sorted(metadata.items()))


def encode_labels(labels: Iterable[str]) -> str:
    return json.dumps(check_labels(labels), separators=(",", ":"))


def encode_metadata(metadata: Mapping[str, str]) -> str:
    return json.dumps(check_metadata(metadata), separators=(",", ":"), ensure_ascii=True)


def decode_labels(stored: str | None) -> list[str]:
    return list(json.loads(stored or "[]"))


def decode_metadata(stored: str | None) -> dict[str, str]:
    return dict(json.loads(stored or "{}"))


def _like(fragment: str) -> str:
    escaped = fragment.replace(LIKE_ESCAPE, LIKE_ESCAPE * 2).replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def label_pattern(label: str) -> str:
    """``LIKE`` pattern (escape ``\\``) matching a stored label list holding ``label``."""
    check_labels([label])
    return _like(json.dumps(label))


def metadata_pattern(key: str, value: str) -> str:
    """``LIKE`` pattern matching stored metadata whose ``key`` is exactly ``value``."""
    check_metadata({key: value})
    pair = json.dumps({key: value}, separators=(",", ":"), ensure_ascii=True)[1:-1]
    return _like(pair)


def parse_metadata_filters(filters: Iterable[str]) -> list[tuple[str, str]]:
    """``key:value`` query filters (the first ``:`` splits)."""
    out = []
    for item in filters:
        key, sep, value = item.partition(":")
        if not sep:
            raise _invalid(f"metadata filter {item!r}: write key:value")
        out.append((key, value))
    return out
