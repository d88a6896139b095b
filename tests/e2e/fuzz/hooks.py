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
  (checked at submit), which no schema can say; a generated one is base64 noise;
- nor a studio body (``video_inputs``) with an ``http(s)://`` media URL in a scene
  (fetched at submit, as above), nor one whose silence scenes add up to more than the
  10 minutes a studio video may last (a sum, which JSON Schema cannot say; the limit
  is in the description). Its ``callback_url`` is sent as the loopback receiver.

Everything else is sent as generated.
"""

from __future__ import annotations

import re
from typing import Any

import schemathesis

MEDIA_URL_FIELDS = ("audio_url", "ref_image_data_url", "source_video_url")
WEBHOOK_URL_FIELDS = ("webhook_url", "url", "callback_url")
STUDIO_MEDIA_FIELDS = ("talking_photo_url", "audio_url", "url")
STUDIO_MAX_SECONDS = 600
LOOPBACK_RECEIVER = "http://127.0.0.1:9/fuzz"
_VALID_URL = re.compile(r"^https?://[!-~]+$")  # gateway.schema.URL_TAIL


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
    if isinstance(body.get("video_inputs"), list) and not _studio_body_sendable(body):
        return False
    return not any(
        isinstance(body.get(field), str) and body[field].lower().startswith("https://")
        for field in MEDIA_URL_FIELDS
    )


def _studio_body_sendable(body: dict[str, Any]) -> bool:
    """No scene fetches a URL, and the silence lasts at most the video's limit."""
    silence = 0.0
    for scene in body["video_inputs"]:
        parts = (
            [scene.get(p) for p in ("character", "voice", "background")]
            if isinstance(scene, dict)
            else []
        )
        for part in parts:
            if not isinstance(part, dict):
                continue
            for field in STUDIO_MEDIA_FIELDS:
                value = part.get(field)
                if isinstance(value, str) and value.lower().startswith(("https://", "http://")):
                    return False
            duration = part.get("duration")
            if part.get("type") == "silence" and isinstance(duration, int | float):
                silence += duration
    return silence <= STUDIO_MAX_SECONDS
