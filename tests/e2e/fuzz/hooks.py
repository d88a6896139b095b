"""Schemathesis hooks for the e2e fuzz run (tests/e2e/test_openapi_fuzz.py).

The schema allows any ``https://`` URL for media and webhooks, and says in each
field's description that the host must resolve to public addresses: the server
resolves it (SSRF guard) and refuses the rest with 400. JSON Schema cannot say which
hosts resolve, and the test box has no DNS for the internet, so a generated valid
body holding an https URL is not sent as a positive case: the positive-data check
would be checking the sandbox's network, not the schema. Likewise ``audio_data_url``:
its bytes must decode as 0.2-35 s of audio (checked at submit), which no schema can
say; a generated one is base64 noise. Everything else is sent.
"""

from __future__ import annotations

from typing import Any

import schemathesis

URL_FIELDS = ("webhook_url", "audio_url", "ref_image_data_url", "source_video_url")


@schemathesis.hook
def filter_body(ctx: schemathesis.HookContext, body: Any) -> bool:
    if not isinstance(body, dict):
        return True
    if isinstance(body.get("audio_data_url"), str):
        return False
    return not any(
        isinstance(body.get(field), str) and body[field].lower().startswith("https://")
        for field in URL_FIELDS
    )
