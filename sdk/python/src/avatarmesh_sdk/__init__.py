"""The avatarmesh Python SDK: ``Client`` (sync), ``AsyncClient`` (asyncio), the API's
models, its errors (``ApiError.code`` is the API's error code) and the webhook
signature check. The ``avatarmesh`` command line is ``avatarmesh_sdk.cli``."""

from avatarmesh_sdk import models
from avatarmesh_sdk.aio import AsyncClient
from avatarmesh_sdk.client import Client
from avatarmesh_sdk.errors import (
    ApiError,
    AuthenticationError,
    AvatarmeshError,
    ConflictError,
    ConnectionFailed,
    JobFailed,
    NotFoundError,
    PaymentRequiredError,
    PermissionDeniedError,
    RateLimitError,
    ServerError,
    ValidationError,
    WaitTimeout,
)
from avatarmesh_sdk.webhooks import WebhookVerificationError, construct_event, verify_signature

__version__ = "0.1.0"
__all__ = [
    "ApiError",
    "AsyncClient",
    "AuthenticationError",
    "AvatarmeshError",
    "Client",
    "ConflictError",
    "ConnectionFailed",
    "JobFailed",
    "NotFoundError",
    "PaymentRequiredError",
    "PermissionDeniedError",
    "RateLimitError",
    "ServerError",
    "ValidationError",
    "WaitTimeout",
    "WebhookVerificationError",
    "construct_event",
    "models",
    "verify_signature",
]
