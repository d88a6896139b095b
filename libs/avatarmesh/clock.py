"""Time, one way everywhere: aware UTC datetimes in, the contract's timestamps out."""

from __future__ import annotations

from datetime import UTC, datetime

from google.protobuf.timestamp_pb2 import Timestamp


def utcnow() -> datetime:
    """Now, timezone-aware in UTC (never a naive datetime: columns refuse those)."""
    return datetime.now(UTC)


def iso_millis(at: datetime | Timestamp) -> str:
    """``2025-01-01T12:00:30.000Z``: ISO-8601, UTC, milliseconds, as the REST contract
    and the webhook payloads write timestamps (a naive datetime is taken as UTC)."""
    if isinstance(at, Timestamp):
        at = at.ToDatetime(tzinfo=UTC)
    at = at.astimezone(UTC) if at.tzinfo is not None else at.replace(tzinfo=UTC)
    return at.strftime("%Y-%m-%dT%H:%M:%S.") + f"{at.microsecond // 1000:03d}Z"
