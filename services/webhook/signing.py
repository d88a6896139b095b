"""How deliveries are signed, and how a receiver verifies them.

Each delivery carries::

    Webhook-Id: <event_id>
    Webhook-Timestamp: <unix seconds>
    Webhook-Signature: v1=<hex HMAC-SHA256(secret, f"{timestamp}.{body}")>

After a rotation the header holds one ``v1=`` entry per valid secret, separated by
spaces (new first); a receiver accepts the delivery when any entry matches its secret.
``verify_signature`` is the receiver's side (the docs show the same in a few lines).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import time
from collections.abc import Iterable

SECRET_PREFIX = "whsec_"
SCHEME = "v1"
ID_HEADER = "Webhook-Id"
TIMESTAMP_HEADER = "Webhook-Timestamp"
SIGNATURE_HEADER = "Webhook-Signature"
USER_AGENT = "avatarmesh-webhooks/1"
DEFAULT_TOLERANCE = 300


def new_secret() -> str:
    """``whsec_`` and 32 random bytes, urlsafe base64 without padding."""
    body = base64.urlsafe_b64encode(secrets.token_bytes(32)).decode("ascii").rstrip("=")
    return f"{SECRET_PREFIX}{body}"


def _mac(secret: str, timestamp: int | str, body: bytes) -> str:
    message = str(timestamp).encode("ascii") + b"." + body
    return hmac.new(secret.encode("utf-8"), message, hashlib.sha256).hexdigest()


def sign(secrets_: Iterable[str], timestamp: int, body: bytes) -> str:
    """The ``Webhook-Signature`` value: ``v1=<hex>`` per secret, space-separated."""
    return " ".join(f"{SCHEME}={_mac(secret, timestamp, body)}" for secret in secrets_)


def delivery_headers(
    event_id: str, secrets_: Iterable[str], body: bytes, *, now: float | None = None
) -> dict[str, str]:
    """Every header a delivery is sent with."""
    timestamp = int(time.time() if now is None else now)
    return {
        "Content-Type": "application/json",
        "User-Agent": USER_AGENT,
        ID_HEADER: event_id,
        TIMESTAMP_HEADER: str(timestamp),
        SIGNATURE_HEADER: sign(secrets_, timestamp, body),
    }


def verify_signature(
    secret: str,
    timestamp: str | int,
    body: bytes,
    signature: str,
    tolerance: float = DEFAULT_TOLERANCE,
    *,
    now: float | None = None,
) -> bool:
    """True when ``signature`` (the ``Webhook-Signature`` header) holds a ``v1=`` entry
    made with ``secret`` over ``timestamp`` and the raw ``body``, and the timestamp is
    within ``tolerance`` seconds of now (a replayed old delivery fails)."""
    try:
        sent = int(timestamp)
    except (TypeError, ValueError):
        return False
    current = time.time() if now is None else now
    if abs(current - sent) > tolerance:
        return False
    expected = _mac(secret, sent, body)
    for entry in signature.split():
        scheme, _, value = entry.partition("=")
        if scheme == SCHEME and hmac.compare_digest(value, expected):
            return True
    return False
