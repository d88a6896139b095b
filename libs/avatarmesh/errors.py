"""Domain errors and the one table that maps them to gRPC and HTTP.

Services raise ``DomainError(ErrorCode.X, "message")``. The gRPC interceptor turns it
into a status plus the ``avatarmesh-error-code`` trailer; the gateway turns that back
into the documented JSON body and HTTP status. Nothing else maps errors.
"""

from __future__ import annotations

from enum import StrEnum

import grpc


class ErrorCode(StrEnum):
    """Every error code the public contract documents, plus a few internal ones.

    The value is the code's public name; ``http_status`` and ``grpc_status`` come
    from ``_MAPPING`` (several codes share a status, so the status can't be the value).
    """

    INVALID_JSON = "INVALID_JSON"
    VALIDATION_ERROR = "VALIDATION_ERROR"
    POLICY_VIOLATION = "POLICY_VIOLATION"
    UNAUTHORIZED = "UNAUTHORIZED"
    INSUFFICIENT_BALANCE = "INSUFFICIENT_BALANCE"
    INSUFFICIENT_BALANCE_FOR_POSE = "INSUFFICIENT_BALANCE_FOR_POSE"
    FORBIDDEN = "FORBIDDEN"
    NOT_FOUND = "NOT_FOUND"
    METHOD_NOT_ALLOWED = "METHOD_NOT_ALLOWED"
    WALLET_NOT_FOUND = "WALLET_NOT_FOUND"
    AVATAR_NOT_READY = "AVATAR_NOT_READY"
    AVATAR_NOT_IN_REVIEW = "AVATAR_NOT_IN_REVIEW"
    CONFLICT = "CONFLICT"
    IDEMPOTENCY_CONFLICT = "IDEMPOTENCY_CONFLICT"
    IDEMPOTENCY_KEY_REUSED = "IDEMPOTENCY_KEY_REUSED"
    IDEMPOTENCY_KEY_IN_PROGRESS = "IDEMPOTENCY_KEY_IN_PROGRESS"
    FILE_ARCHIVED = "FILE_ARCHIVED"
    FILE_KIND_MISMATCH = "FILE_KIND_MISMATCH"
    UNSUPPORTED_MEDIA_TYPE = "UNSUPPORTED_MEDIA_TYPE"
    WATERMARK_NOT_ALLOWED = "WATERMARK_NOT_ALLOWED"
    PAYLOAD_TOO_LARGE = "PAYLOAD_TOO_LARGE"
    QUEUE_FULL = "QUEUE_FULL"
    RATE_LIMITED = "RATE_LIMITED"
    DAILY_CAP_REACHED = "DAILY_CAP_REACHED"
    INTERNAL_ERROR = "INTERNAL_ERROR"
    NOT_IMPLEMENTED = "NOT_IMPLEMENTED"
    STORAGE_ERROR = "STORAGE_ERROR"
    UPSTREAM_ERROR = "UPSTREAM_ERROR"
    FEATURE_DISABLED = "FEATURE_DISABLED"
    SERVICE_UNAVAILABLE = "SERVICE_UNAVAILABLE"

    @property
    def http_status(self) -> int:
        return _MAPPING[self][0]

    @property
    def grpc_status(self) -> grpc.StatusCode:
        return _MAPPING[self][1]


_MAPPING: dict[ErrorCode, tuple[int, grpc.StatusCode]] = {
    ErrorCode.INVALID_JSON: (400, grpc.StatusCode.INVALID_ARGUMENT),
    ErrorCode.VALIDATION_ERROR: (400, grpc.StatusCode.INVALID_ARGUMENT),
    ErrorCode.POLICY_VIOLATION: (400, grpc.StatusCode.INVALID_ARGUMENT),
    ErrorCode.UNAUTHORIZED: (401, grpc.StatusCode.UNAUTHENTICATED),
    ErrorCode.INSUFFICIENT_BALANCE: (402, grpc.StatusCode.FAILED_PRECONDITION),
    ErrorCode.INSUFFICIENT_BALANCE_FOR_POSE: (402, grpc.StatusCode.FAILED_PRECONDITION),
    ErrorCode.FORBIDDEN: (403, grpc.StatusCode.PERMISSION_DENIED),
    ErrorCode.NOT_FOUND: (404, grpc.StatusCode.NOT_FOUND),
    ErrorCode.WALLET_NOT_FOUND: (404, grpc.StatusCode.NOT_FOUND),
    ErrorCode.METHOD_NOT_ALLOWED: (405, grpc.StatusCode.UNIMPLEMENTED),
    ErrorCode.AVATAR_NOT_READY: (409, grpc.StatusCode.FAILED_PRECONDITION),
    ErrorCode.AVATAR_NOT_IN_REVIEW: (409, grpc.StatusCode.FAILED_PRECONDITION),
    ErrorCode.CONFLICT: (409, grpc.StatusCode.ABORTED),
    ErrorCode.IDEMPOTENCY_CONFLICT: (409, grpc.StatusCode.ALREADY_EXISTS),
    ErrorCode.IDEMPOTENCY_KEY_REUSED: (409, grpc.StatusCode.ALREADY_EXISTS),
    ErrorCode.IDEMPOTENCY_KEY_IN_PROGRESS: (409, grpc.StatusCode.ABORTED),
    ErrorCode.FILE_ARCHIVED: (409, grpc.StatusCode.FAILED_PRECONDITION),
    ErrorCode.FILE_KIND_MISMATCH: (400, grpc.StatusCode.INVALID_ARGUMENT),
    ErrorCode.UNSUPPORTED_MEDIA_TYPE: (400, grpc.StatusCode.INVALID_ARGUMENT),
    ErrorCode.WATERMARK_NOT_ALLOWED: (403, grpc.StatusCode.PERMISSION_DENIED),
    ErrorCode.PAYLOAD_TOO_LARGE: (413, grpc.StatusCode.INVALID_ARGUMENT),
    ErrorCode.QUEUE_FULL: (429, grpc.StatusCode.RESOURCE_EXHAUSTED),
    ErrorCode.RATE_LIMITED: (429, grpc.StatusCode.RESOURCE_EXHAUSTED),
    ErrorCode.DAILY_CAP_REACHED: (429, grpc.StatusCode.RESOURCE_EXHAUSTED),
    ErrorCode.INTERNAL_ERROR: (500, grpc.StatusCode.INTERNAL),
    ErrorCode.NOT_IMPLEMENTED: (501, grpc.StatusCode.UNIMPLEMENTED),
    ErrorCode.STORAGE_ERROR: (502, grpc.StatusCode.UNAVAILABLE),
    ErrorCode.UPSTREAM_ERROR: (502, grpc.StatusCode.UNAVAILABLE),
    ErrorCode.FEATURE_DISABLED: (503, grpc.StatusCode.UNAVAILABLE),
    ErrorCode.SERVICE_UNAVAILABLE: (503, grpc.StatusCode.UNAVAILABLE),
}
assert set(_MAPPING) == set(ErrorCode), "every ErrorCode needs an HTTP and a gRPC status"


# gRPC trailing-metadata keys that carry the domain error across a hop.
ERROR_CODE_KEY = "avatarmesh-error-code"
RETRY_AFTER_KEY = "avatarmesh-retry-after"

# What a bare gRPC status means when no domain code travelled with it.
_FALLBACK_BY_GRPC: dict[grpc.StatusCode, ErrorCode] = {
    grpc.StatusCode.INVALID_ARGUMENT: ErrorCode.VALIDATION_ERROR,
    grpc.StatusCode.NOT_FOUND: ErrorCode.NOT_FOUND,
    grpc.StatusCode.PERMISSION_DENIED: ErrorCode.FORBIDDEN,
    grpc.StatusCode.UNAUTHENTICATED: ErrorCode.UNAUTHORIZED,
    grpc.StatusCode.RESOURCE_EXHAUSTED: ErrorCode.RATE_LIMITED,
    grpc.StatusCode.UNIMPLEMENTED: ErrorCode.NOT_IMPLEMENTED,
    grpc.StatusCode.UNAVAILABLE: ErrorCode.SERVICE_UNAVAILABLE,
    grpc.StatusCode.DEADLINE_EXCEEDED: ErrorCode.SERVICE_UNAVAILABLE,
}


class DomainError(Exception):
    """An expected failure with a documented code and a message a user can act on."""

    def __init__(self, code: ErrorCode, message: str, *, retry_after: int | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.retry_after = retry_after

    def __repr__(self) -> str:
        return f"DomainError({self.code.name}, {self.message!r})"


def code_for_grpc(status: grpc.StatusCode, code_name: str | None) -> ErrorCode:
    """The domain code for a gRPC failure: the travelled code if known, else a fallback."""
    if code_name and code_name in ErrorCode.__members__:
        return ErrorCode[code_name]
    return _FALLBACK_BY_GRPC.get(status, ErrorCode.INTERNAL_ERROR)
