"""Domain errors and the one table that maps them to gRPC and HTTP.

Services raise ``DomainError(ErrorCode.X, "message")``. The gRPC interceptor turns it
into a status plus the ``avatarmesh-error-code`` trailer; the gateway turns that back
into the documented JSON body and HTTP status. Nothing else maps errors.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

import grpc


@dataclass(frozen=True)
class _Mapping:
    http_status: int
    grpc_status: grpc.StatusCode


class ErrorCode(Enum):
    """Every error code the public contract documents, plus a few internal ones."""

    INVALID_JSON = _Mapping(400, grpc.StatusCode.INVALID_ARGUMENT)
    VALIDATION_ERROR = _Mapping(400, grpc.StatusCode.INVALID_ARGUMENT)
    POLICY_VIOLATION = _Mapping(400, grpc.StatusCode.INVALID_ARGUMENT)
    UNAUTHORIZED = _Mapping(401, grpc.StatusCode.UNAUTHENTICATED)
    INSUFFICIENT_BALANCE = _Mapping(402, grpc.StatusCode.FAILED_PRECONDITION)
    INSUFFICIENT_BALANCE_FOR_POSE = _Mapping(402, grpc.StatusCode.FAILED_PRECONDITION)
    FORBIDDEN = _Mapping(403, grpc.StatusCode.PERMISSION_DENIED)
    NOT_FOUND = _Mapping(404, grpc.StatusCode.NOT_FOUND)
    WALLET_NOT_FOUND = _Mapping(404, grpc.StatusCode.NOT_FOUND)
    AVATAR_NOT_READY = _Mapping(409, grpc.StatusCode.FAILED_PRECONDITION)
    CONFLICT = _Mapping(409, grpc.StatusCode.ABORTED)
    IDEMPOTENCY_CONFLICT = _Mapping(409, grpc.StatusCode.ALREADY_EXISTS)
    PAYLOAD_TOO_LARGE = _Mapping(413, grpc.StatusCode.INVALID_ARGUMENT)
    QUEUE_FULL = _Mapping(429, grpc.StatusCode.RESOURCE_EXHAUSTED)
    RATE_LIMITED = _Mapping(429, grpc.StatusCode.RESOURCE_EXHAUSTED)
    DAILY_CAP_REACHED = _Mapping(429, grpc.StatusCode.RESOURCE_EXHAUSTED)
    INTERNAL_ERROR = _Mapping(500, grpc.StatusCode.INTERNAL)
    NOT_IMPLEMENTED = _Mapping(501, grpc.StatusCode.UNIMPLEMENTED)
    STORAGE_ERROR = _Mapping(502, grpc.StatusCode.UNAVAILABLE)
    UPSTREAM_ERROR = _Mapping(502, grpc.StatusCode.UNAVAILABLE)
    FEATURE_DISABLED = _Mapping(503, grpc.StatusCode.UNAVAILABLE)
    SERVICE_UNAVAILABLE = _Mapping(503, grpc.StatusCode.UNAVAILABLE)

    @property
    def http_status(self) -> int:
        return self.value.http_status

    @property
    def grpc_status(self) -> grpc.StatusCode:
        return self.value.grpc_status


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
