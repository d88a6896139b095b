"""Errors: every API error answer becomes an ``ApiError`` carrying the API's ``code``.

The gateway answers ``{"error": {"code": "...", "message": "..."}}`` with the code's
HTTP status; ``ApiError.code`` is that code (``NOT_FOUND``, ``INSUFFICIENT_BALANCE``...),
so callers branch on the documented code, not on the status or the message text.
"""

from __future__ import annotations

from typing import Any


class AvatarmeshError(Exception):
    """Base of everything this SDK raises."""


class ApiError(AvatarmeshError):
    """An error answer from the API."""

    def __init__(
        self,
        status: int,
        code: str,
        message: str,
        *,
        retry_after: float | None = None,
        body: Any = None,
    ) -> None:
        super().__init__(f"{status} {code}: {message}")
        self.status = status
        self.code = code
        self.message = message
        self.retry_after = retry_after
        self.body = body


class AuthenticationError(ApiError):
    """401: a missing, invalid or revoked key."""


class PermissionDeniedError(ApiError):
    """403: not the caller's."""


class NotFoundError(ApiError):
    """404: no such resource (or not the caller's)."""


class PaymentRequiredError(ApiError):
    """402: the wallet cannot cover the cost."""


class ConflictError(ApiError):
    """409: e.g. AVATAR_NOT_READY, IDEMPOTENCY_CONFLICT."""


class ValidationError(ApiError):
    """400: INVALID_JSON, VALIDATION_ERROR or POLICY_VIOLATION."""


class RateLimitError(ApiError):
    """429: RATE_LIMITED, QUEUE_FULL or DAILY_CAP_REACHED (after the retries)."""


class ServerError(ApiError):
    """5xx: the service failed or is switched off (after the retries)."""


_BY_STATUS: dict[int, type[ApiError]] = {
    400: ValidationError,
    401: AuthenticationError,
    402: PaymentRequiredError,
    403: PermissionDeniedError,
    404: NotFoundError,
    409: ConflictError,
    429: RateLimitError,
}


def error_for(status: int, body: Any, retry_after: float | None) -> ApiError:
    """The ApiError of an error answer (a body without the documented shape still
    gives one, with code ``HTTP_<status>``)."""
    code, message = f"HTTP_{status}", ""
    if isinstance(body, dict) and isinstance(body.get("error"), dict):
        code = str(body["error"].get("code") or code)
        message = str(body["error"].get("message") or "")
    elif isinstance(body, str):
        message = body[:500]
    kind = _BY_STATUS.get(status, ServerError if status >= 500 else ApiError)
    return kind(status, code, message, retry_after=retry_after, body=body)


class ConnectionFailed(AvatarmeshError):
    """The API could not be reached (after the retries)."""


class WaitTimeout(AvatarmeshError):
    """A ``wait_for_*`` gave up before the job finished; ``last`` is its last state."""

    def __init__(self, message: str, last: Any) -> None:
        super().__init__(message)
        self.last = last


class JobFailed(AvatarmeshError):
    """A waited-for avatar or video ended ``failed`` (or ``cancelled``)."""

    def __init__(self, message: str, result: Any) -> None:
        super().__init__(message)
        self.result = result
