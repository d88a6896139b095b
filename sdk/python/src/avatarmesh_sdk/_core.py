"""What the sync and async clients share: settings, one description per API call, the
retry policy and answer parsing. The clients only differ in how they send and sleep.

Retries: 429, 502, 503 and 504 answers, connection failures and a 409
``IDEMPOTENCY_KEY_IN_PROGRESS`` (our own earlier try still running) are retried with
exponential backoff and full jitter, waiting what ``Retry-After`` says when the server
says it. Codes that will not clear by waiting (``DAILY_CAP_REACHED``, resets at midnight;
``FEATURE_DISABLED``, an operator's switch) are not retried. Every POST carries an
``Idempotency-Key`` (one per logical call, the same on each retry), so a retried
submit never makes a second video.
"""

from __future__ import annotations

import base64
import email.utils
import mimetypes
import os
import random
import time
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Generic, TypeVar

import httpx

from avatarmesh_sdk.errors import ApiError, error_for

T = TypeVar("T")

DEFAULT_BASE_URL = "http://127.0.0.1:8080"
RETRY_STATUSES = frozenset({429, 502, 503, 504})
NOT_RETRIED_CODES = frozenset({"DAILY_CAP_REACHED", "FEATURE_DISABLED"})
USER_AGENT = "avatarmesh-python/0.1.0"


@dataclass(frozen=True)
class Options:
    """Connection settings: ``api_key`` / ``base_url`` default to ``AVATARMESH_API_KEY``
    / ``AVATARMESH_BASE_URL``; ``admin_key`` (operators' routes) to
    ``AVATARMESH_ADMIN_KEY``."""

    api_key: str | None = None
    base_url: str | None = None
    admin_key: str | None = None
    timeout: float = 60.0
    max_retries: int = 4
    backoff_base: float = 0.5
    backoff_max: float = 30.0
    retry_after_max: float = 120.0

    def resolved(self) -> Options:
        return Options(
            api_key=self.api_key or os.environ.get("AVATARMESH_API_KEY"),
            base_url=(
                self.base_url or os.environ.get("AVATARMESH_BASE_URL") or DEFAULT_BASE_URL
            ).rstrip("/"),
            admin_key=self.admin_key or os.environ.get("AVATARMESH_ADMIN_KEY"),
            timeout=self.timeout,
            max_retries=self.max_retries,
            backoff_base=self.backoff_base,
            backoff_max=self.backoff_max,
            retry_after_max=self.retry_after_max,
        )


@dataclass
class Call(Generic[T]):
    """One API call: what to send and how to read the answer."""

    method: str
    path: str
    parse: Callable[[httpx.Response], T]
    params: Mapping[str, Any] | None = None
    json: Any = None
    admin: bool = False
    idempotency_key: str | None = None
    headers: dict[str, str] = field(default_factory=dict)
    # Answer as-is, errors included (health checks answer 503 with a body that says why).
    raw: bool = False
    # multipart/form-data parts: {"file": (name, bytes, type)} and plain fields.
    files: dict[str, Any] | None = None
    data: dict[str, str] | None = None

    def ensure_key(self) -> str:
        """This call's Idempotency-Key: made once, sent on every retry."""
        if self.idempotency_key is None:
            self.idempotency_key = f"sdk-{uuid.uuid4()}"
        return self.idempotency_key

    def request_headers(self, options: Options) -> dict[str, str]:
        key = options.admin_key if self.admin else options.api_key
        headers = {"User-Agent": USER_AGENT, **self.headers}
        if key:
            headers["Authorization"] = f"Bearer {key}"
        if self.method == "POST":
            headers["Idempotency-Key"] = self.ensure_key()
        return headers

    def query(self) -> dict[str, Any] | None:
        if not self.params:
            return None
        return {k: v for k, v in self.params.items() if v is not None}


def retry_after_seconds(response: httpx.Response) -> float | None:
    """``Retry-After`` as seconds: a number, or an HTTP date."""
    value = response.headers.get("retry-after")
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        when = email.utils.parsedate_to_datetime(value)
        return max(0.0, when.timestamp() - time.time()) if when else None


def should_retry(response: httpx.Response) -> bool:
    """429/502/503/504 unless the code will not clear by waiting; 409 only while the first
    request with this Idempotency-Key is still running (the gateway says when to retry)."""
    if response.status_code == 409:
        return error_code(response) == "IDEMPOTENCY_KEY_IN_PROGRESS"
    if response.status_code not in RETRY_STATUSES:
        return False
    return error_code(response) not in NOT_RETRIED_CODES


def error_code(response: httpx.Response) -> str | None:
    try:
        body = response.json()
    except ValueError:
        return None
    error = body.get("error") if isinstance(body, dict) else None
    return str(error.get("code")) if isinstance(error, dict) else None


def backoff(options: Options, attempt: int, retry_after: float | None) -> float:
    """Seconds before retry ``attempt`` (0-based): the server's Retry-After when it gave
    one (capped), else full jitter over an exponential ceiling."""
    if retry_after is not None:
        return min(retry_after, options.retry_after_max)
    ceiling = min(options.backoff_max, options.backoff_base * 2**attempt)
    return random.uniform(0, ceiling)


def raise_for(response: httpx.Response) -> None:
    if response.status_code < 400:
        return
    try:
        body: Any = response.json()
    except ValueError:
        body = response.text
    raise error_for(response.status_code, body, retry_after_seconds(response))


def json_of(response: httpx.Response) -> Any:
    return response.json()


def model(cls: Any) -> Callable[[httpx.Response], Any]:
    return lambda response: cls.from_dict(response.json())


def nothing(_response: httpx.Response) -> None:
    return None


def data_url(path: str | os.PathLike[str], default_type: str) -> str:
    """A file as a base64 data URL (the API's upload form), its type from its name."""
    source = Path(path)
    content_type = mimetypes.guess_type(source.name)[0] or default_type
    if source.suffix.lower() == ".wav":
        content_type = "audio/wav"
    encoded = base64.b64encode(source.read_bytes()).decode("ascii")
    return f"data:{content_type};base64,{encoded}"


def drop_none(values: Mapping[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in values.items() if v is not None}


__all__ = ["ApiError", "Call", "Options"]
