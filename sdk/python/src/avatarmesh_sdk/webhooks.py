"""Verify a webhook delivery before trusting it (docs/webhooks.md, "Headers and
signature"): ``Webhook-Signature`` is ``v1=<hex HMAC-SHA256(secret, "<timestamp>.<raw
body>")>``, one entry per valid secret after a rotation; refuse timestamps more than
``tolerance`` seconds from now (a replayed delivery)."""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from collections.abc import Mapping
from typing import Any

from avatarmesh_sdk.errors import AvatarmeshError


class WebhookVerificationError(AvatarmeshError):
    """The delivery is not signed with the secret, or is too old."""


def sign(secret: str, timestamp: str | int, body: bytes) -> str:
    """The ``v1=`` signature of ``body`` (what the mesh sends; useful in tests)."""
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    return "v1=" + mac.hexdigest()


def verify_signature(
    secret: str,
    timestamp: str,
    body: bytes,
    signature: str,
    *,
    tolerance: float = 300,
    now: float | None = None,
) -> bool:
    """True when one ``v1=`` entry of ``signature`` matches and the timestamp is fresh."""
    try:
        age = abs((time.time() if now is None else now) - int(timestamp))
    except ValueError:
        return False
    if age > tolerance:
        return False
    expected = sign(secret, timestamp, body).removeprefix("v1=")
    return any(
        scheme == "v1" and hmac.compare_digest(value, expected)
        for scheme, _, value in (entry.partition("=") for entry in signature.split())
    )


def construct_event(
    body: bytes, headers: Mapping[str, str], secret: str, *, tolerance: float = 300
) -> dict[str, Any]:
    """The verified event (``video.completed`` / ``video.failed`` ...) of a delivery:
    pass the raw body bytes and the request headers; raises WebhookVerificationError."""
    lowered = {k.lower(): v for k, v in headers.items()}
    timestamp = lowered.get("webhook-timestamp", "")
    signature = lowered.get("webhook-signature", "")
    if not verify_signature(secret, timestamp, body, signature, tolerance=tolerance):
        raise WebhookVerificationError("webhook signature or timestamp is not valid")
    event: dict[str, Any] = json.loads(body)
    return event
