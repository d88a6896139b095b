"""What the OpenAPI document promises, in one place, so it says what the server enforces.

A generated client, a form or a fuzzer built from ``/openapi.json`` must get exactly
the answers the document describes: a request the schema allows is accepted (or meets
a business rule: money, readiness, existence), and one it forbids is refused with 400.
So every text field carries the rules ``gateway.bodies`` enforces (no NUL, not blank
where blank is refused), every id its pattern, every closed set its enum, and every
operation the error codes it can answer with (``responses``).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from typing import Annotated, Any

from fastapi import Path
from pydantic import AfterValidator, Field

from avatarmesh.errors import ErrorCode
from avatarmesh.ids import VOICE_ID_PATTERN, IdPrefix

# 24 lowercase base32 characters after the prefix (avatarmesh.ids).
_ID_BODY = "[a-z2-7]{24}"

# Text every service can store: no NUL (PostgreSQL TEXT refuses it). Lone surrogates are
# refused too, which JSON Schema cannot say; the descriptions do.
NO_NUL = r"^[^\x00]*$"
# ...and with at least one character that is not white space (the server strips).
NOT_BLANK = r"^[^\x00]*[^\s\x00][^\x00]*$"
# ...and text to speak: at least one letter or digit (avatarmedia.text_norm.check_text).
# ``[^\W_]`` is a Unicode letter or digit in Python's and most JSON Schema tools' regex.
SPEAKABLE = r"^[^\x00]*[^\W_][^\x00]*$"


# Standard base64 with its padding, at least one byte (what uploads.decode_data_url takes).
BASE64 = r"(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{4}|[A-Za-z0-9+/]{3}=|[A-Za-z0-9+/]{2}==)"


# A URL's characters after the scheme: printable ASCII, no space (RFC 3986: anything
# else is percent-encoded). Not ``\S``: JSON Schema's regexes (ECMA-262) and the
# server's disagree on what white space is (U+0085 is not in ECMA's ``\s``), so a
# generator sent "http://\x85", which the schema allowed and the gateway refused.
URL_TAIL = "[!-~]+"

# A file uploaded with POST /api/v1/files, usable wherever media is taken.
FILE_ID = f"file_{_ID_BODY}"

# A voice from GET /api/v1/voices: built-in (bv_espeak.<voice>.<gender>, bv_piper.<name>)
# or cloned (voice_ + an avatar id's body).
VOICE_ID = VOICE_ID_PATTERN
VOICE_ID_RULE = (
    "must be a voice id from GET /api/v1/voices (voice_ + 24 base32 characters, "
    "bv_espeak.<voice>.<male|female> or bv_piper.<name>)"
)


def union_tag(kind: str) -> str:
    """The tag of a tagged union's member (``type=text``): pydantic puts it in an error's
    path, where ``gateway.errors`` drops it (it names no field)."""
    return f"type={kind}"


def is_union_tag(segment: object) -> bool:
    return isinstance(segment, str) and segment.startswith("type=")


def id_pattern(prefix: IdPrefix) -> str:
    return f"^{prefix.value}_{_ID_BODY}$"


_RULES = {
    NO_NUL: "must not contain NUL characters",
    NOT_BLANK: "must contain a character that is not white space (and no NUL)",
    SPEAKABLE: "must contain a letter or a digit to speak (and no NUL)",
}


def pattern_rule(pattern: str) -> str | None:
    """The rule a schema pattern stands for, in words, for a 400's message."""
    if pattern in _RULES:
        return _RULES[pattern]
    if pattern == VOICE_ID:
        return VOICE_ID_RULE
    for prefix in IdPrefix:
        if pattern == id_pattern(prefix):
            return (
                f"must be an id like {_example_id(prefix)} ({prefix.value}_ + 24 base32 characters)"
            )
    if pattern.startswith("^(data:") or pattern.startswith("^data:"):
        return "must be a base64 data URL of an accepted type (or an https:// URL where allowed)"
    if pattern.startswith(("^https", "^(https")):
        return "must be an absolute https:// URL" + (" or a file id" if "file_" in pattern else "")
    return None


def _example_id(prefix: IdPrefix) -> str:
    return f"{prefix.value}_abcdefghijklmnopqrstuvwx"


def path_id(prefix: IdPrefix, what: str) -> Any:
    """A path parameter holding an id; one of another shape is 404 NOT_FOUND (no such
    resource can exist), answered without asking a service."""
    return Path(
        pattern=id_pattern(prefix),
        description=f"The {what}'s id ({prefix.value}_ + 24 base32 characters)",
        examples=[_example_id(prefix)],
    )


def _strip(value: str) -> str:
    return value.strip()


def _text(min_length: int, max_length: int, pattern: str) -> Any:
    return Field(min_length=min_length, max_length=max_length, pattern=pattern)


# Display texts: 1..n characters with one not white space, stored stripped.
Name60 = Annotated[str, _text(1, 60, NOT_BLANK), AfterValidator(_strip)]
Text600 = Annotated[str, _text(1, 600, NOT_BLANK)]
# Text to speak: 1..600 characters, at least one letter or digit.
Speech600 = Annotated[str, _text(1, 600, SPEAKABLE)]
Text2000 = Annotated[str, _text(1, 2000, NOT_BLANK), AfterValidator(_strip)]
# Optional texts: 0..n characters (blank is as good as absent), stored stripped.
Opt40 = Annotated[str, _text(0, 40, NO_NUL), AfterValidator(_strip)]
Opt60 = Annotated[str, _text(0, 60, NO_NUL), AfterValidator(_strip)]
Opt300 = Annotated[str, _text(0, 300, NO_NUL)]


ERROR_CODE_TEXT = {
    ErrorCode.INVALID_JSON: "the body is not valid JSON",
    ErrorCode.VALIDATION_ERROR: "a field breaks a rule of this schema; the message names it",
    ErrorCode.POLICY_VIOLATION: "the text fails the safety filter",
    ErrorCode.UNAUTHORIZED: "missing, invalid or revoked key",
    ErrorCode.INSUFFICIENT_BALANCE: "the wallet cannot cover the estimated cost",
    ErrorCode.INSUFFICIENT_BALANCE_FOR_POSE: "the wallet cannot cover a pose",
    ErrorCode.FORBIDDEN: "not the caller's (system avatars cannot be deleted)",
    ErrorCode.NOT_FOUND: "no such resource for this caller (or an id of the wrong shape)",
    ErrorCode.WALLET_NOT_FOUND: "no wallet yet: a first top-up creates it",
    ErrorCode.METHOD_NOT_ALLOWED: "the path has no such method (see the Allow header)",
    ErrorCode.AVATAR_NOT_READY: "the avatar (or pose) is not ready yet",
    ErrorCode.AVATAR_NOT_IN_REVIEW: "the avatar is not waiting for a consent review "
    "(no consent clip, still being created, or already decided otherwise)",
    ErrorCode.CONFLICT: "the resource is in a state that refuses this",
    ErrorCode.IDEMPOTENCY_CONFLICT: "the Idempotency-Key was used for a different request",
    ErrorCode.IDEMPOTENCY_KEY_REUSED: "this Idempotency-Key came with another body or path",
    ErrorCode.IDEMPOTENCY_KEY_IN_PROGRESS: "the first request with this key still runs "
    "(Retry-After)",
    ErrorCode.PAYLOAD_TOO_LARGE: "the body is over the gateway's size cap",
    ErrorCode.QUEUE_FULL: "the queue is at capacity (Retry-After: 60)",
    ErrorCode.RATE_LIMITED: "the per-key rate limit (Retry-After)",
    ErrorCode.DAILY_CAP_REACHED: "the plan tier's daily cap (resets at midnight UTC)",
    ErrorCode.INTERNAL_ERROR: "a bug: reported, never expected",
    ErrorCode.NOT_IMPLEMENTED: "not offered by this deployment",
    ErrorCode.STORAGE_ERROR: "the object store failed (retry)",
    ErrorCode.UPSTREAM_ERROR: "a dependency failed (retry)",
    ErrorCode.FEATURE_DISABLED: "the API is switched off (AVATARS_API_ENABLED)",
    ErrorCode.SERVICE_UNAVAILABLE: "a service did not answer in time (retry)",
}

_RETRY_AFTER_CODES = {
    ErrorCode.QUEUE_FULL,
    ErrorCode.RATE_LIMITED,
    ErrorCode.IDEMPOTENCY_KEY_IN_PROGRESS,
}
_RETRY_AFTER = {
    "description": "Seconds to wait before retrying (QUEUE_FULL, RATE_LIMITED)",
    "schema": {"type": "integer", "minimum": 0},
}

# What every /api/v1 route can answer before it runs (gateway.middleware).
API_CODES = (
    ErrorCode.UNAUTHORIZED,
    ErrorCode.RATE_LIMITED,
    ErrorCode.FEATURE_DISABLED,
    ErrorCode.SERVICE_UNAVAILABLE,
)
# ...and every route with a JSON body.
BODY_CODES = (ErrorCode.INVALID_JSON, ErrorCode.VALIDATION_ERROR, ErrorCode.PAYLOAD_TOO_LARGE)
# The admin routes: the admin key, or the admin API switched off.
ADMIN_CODES = (
    ErrorCode.UNAUTHORIZED,
    ErrorCode.FEATURE_DISABLED,
    ErrorCode.SERVICE_UNAVAILABLE,
)


# gateway.idempotency: every POST /api/v1 takes an Idempotency-Key (1-255 printable ASCII).
IDEMPOTENCY_HEADER: dict[str, Any] = {
    "name": "Idempotency-Key",
    "in": "header",
    "required": False,
    "description": "Repeat the POST safely: the same key and body replay the first 2xx "
    "answer (Idempotent-Replayed: true) instead of running again; kept 24 hours",
    "schema": {"type": "string", "minLength": 1, "maxLength": 255, "pattern": "^[ -~]+$"},
}
IDEMPOTENCY_CODES = (
    ErrorCode.VALIDATION_ERROR,
    ErrorCode.IDEMPOTENCY_KEY_REUSED,
    ErrorCode.IDEMPOTENCY_KEY_IN_PROGRESS,
)


def document_idempotency(operation: dict[str, Any]) -> None:
    """Add the Idempotency-Key header and its error codes to a POST /api/v1 operation."""
    params = [
        p for p in operation.get("parameters", []) if p.get("name", "").lower() != "idempotency-key"
    ]
    operation["parameters"] = [*params, IDEMPOTENCY_HEADER]
    merge_errors(operation, IDEMPOTENCY_CODES)


def merge_errors(operation: dict[str, Any], codes: Iterable[ErrorCode]) -> None:
    """Add ``codes`` to an operation's documented error answers (a route that declared
    none still answers what the middleware answers for every route of its prefix)."""
    responses = operation.setdefault("responses", {})
    for status, entry in errors(codes).items():
        key = str(status)
        if key not in responses:
            responses[key] = entry
            continue
        old = responses[key]["content"]["application/json"]["schema"]
        codes = old["properties"]["error"]["properties"]["code"]["enum"]
        merged = sorted(
            {
                *codes,
                *entry["content"]["application/json"]["schema"]["properties"]["error"][
                    "properties"
                ]["code"]["enum"],
            }
        )
        old["properties"]["error"]["properties"]["code"]["enum"] = merged
        responses[key]["description"] += "; " + entry["description"]
        responses[key].setdefault("headers", {}).update(entry.get("headers", {}))


def error_schema(codes: Iterable[ErrorCode]) -> dict[str, Any]:
    names = sorted({code.name for code in codes})
    return {
        "type": "object",
        "required": ["error"],
        "properties": {
            "error": {
                "type": "object",
                "required": ["code", "message"],
                "properties": {
                    "code": {"type": "string", "enum": names},
                    "message": {"type": "string"},
                },
            }
        },
    }


def errors(*groups: Iterable[ErrorCode] | ErrorCode) -> dict[int | str, dict[str, Any]]:
    """``responses=`` for a route: one entry per HTTP status its codes map to, the body's
    ``code`` an enum of exactly those codes, an example, and ``Retry-After`` on 429."""
    by_status: dict[int, list[ErrorCode]] = defaultdict(list)
    for group in groups:
        for code in [group] if isinstance(group, ErrorCode) else group:
            if code not in by_status[code.http_status]:
                by_status[code.http_status].append(code)
    out: dict[int | str, dict[str, Any]] = {}
    for status in sorted(by_status):
        codes = by_status[status]
        lines = "; ".join(f"`{c.name}`: {ERROR_CODE_TEXT.get(c, c.name)}" for c in codes)
        entry: dict[str, Any] = {
            "description": lines,
            "content": {
                "application/json": {
                    "schema": error_schema(codes),
                    "example": {
                        "error": {
                            "code": codes[0].name,
                            "message": ERROR_CODE_TEXT.get(codes[0], codes[0].name),
                        }
                    },
                }
            },
        }
        if any(c in _RETRY_AFTER_CODES for c in codes):
            entry["headers"] = {"Retry-After": _RETRY_AFTER}
        if status == 405:
            entry["headers"] = {
                "Allow": {"description": "The path's methods", "schema": {"type": "string"}}
            }
        out[status] = entry
    return out
