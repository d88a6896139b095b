"""What ``wait_for_avatar`` / ``wait_for_video`` stop on, for both clients."""

from __future__ import annotations

from typing import TypeVar

from avatarmesh_sdk.errors import JobFailed

T = TypeVar("T")

AVATAR_DONE = frozenset({"ready", "failed", "rejected"})
VIDEO_DONE = frozenset({"completed", "failed", "cancelled"})
_FAILED = frozenset({"failed", "cancelled", "rejected"})


def check_finished(current: T) -> T:
    """``current`` when it succeeded, else ``JobFailed`` carrying it and its error."""
    status = getattr(current, "status", None)
    if status in _FAILED:
        error = getattr(current, "error", None) or status
        raise JobFailed(f"{getattr(current, 'id', '?')} {status}: {error}", current)
    return current
