"""Schemathesis hooks for the e2e fuzz run (tests/e2e/test_openapi_fuzz.py).

The schema allows any ``https://`` URL for media and webhooks, and says in each
field's description that the host must resolve to public addresses: the server
resolves it (SSRF guard) and refuses the rest with 400. JSON Schema cannot say which
hosts resolve, and the test box has no DNS for the internet, so:

- a webhook URL (``webhook_url``, an endpoint's ``url``) that the schema allows is sent
  as a loopback receiver address, which this mesh accepts (``make up`` and the e2e mesh
  allow insecure loopback, as the description says); nothing listens there, so a
  delivery simply fails and is retried;
- a body with an ``https://`` media URL (fetched at submit) is not sent as a positive
  case: the positive-data check would be checking the sandbox's network, not the schema;
- nor is one with ``audio_data_url``: its bytes must decode as 0.2-35 s of audio
  (checked at submit), which no schema can say; a generated one is base64 noise.

Everything else is sent as generated.
"""

from __future__ import annotations

import re
from typing import Any

import schemathesis

MEDIA_URL_FIELDS = ("audio_url", "ref_image_data_url", "source_video_url")
WEBHOOK_URL_FIELDS = ("webhook_url", "url")
LOOPBACK_RECEIVER = "http://127.0.0.1:9/fuzz"
_VALID_URL = re.compile(r"^https?://\S+$")


@schemathesis.hook
def map_body(ctx: schemathesis.HookContext, body: Any) -> Any:
    if not isinstance(body, dict):
        return body
    for field in WEBHOOK_URL_FIELDS:
        value = body.get(field)
        if isinstance(value, str) and len(value) <= 2048 and _VALID_URL.match(value):
            body[field] = LOOPBACK_RECEIVER
    return body


@schemathesis.hook
def filter_body(ctx: schemathesis.HookContext, body: Any) -> bool:
    if not isinstance(body, dict):
        return True
    if isinstance(body.get("audio_data_url"), str):
        return False
    return not any(
        isinstance(body.get(field), str) and body[field].lower().startswith("https://")
        for field in MEDIA_URL_FIELDS
    )
