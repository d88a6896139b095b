"""The public system avatars: 2 English and 4 Vietnamese presenters, seeded at start.

Their ids are stable (derived from a fixed name) and have the normal ``av_`` shape,
so every service treats them like any avatar. They are created by the normal creation
job (drawn portraits, default voices with distinct accents) without a hold.
"""

from __future__ import annotations

import base64
import hashlib
from dataclasses import dataclass

SYSTEM_OWNER = "system"


def stable_id(prefix: str, name: str) -> str:
    """``<prefix>_`` plus 24 base32 characters derived from ``name``."""
    digest = hashlib.sha256(name.encode()).digest()[:15]
    return f"{prefix}_{base64.b32encode(digest).decode('ascii').lower()}"


@dataclass(frozen=True)
class SystemAvatar:
    key: str
    name: str
    description: str
    language: str
    nationality: str
    gender: str
    accent: str

    @property
    def id(self) -> str:
        return stable_id("av", f"system-avatar:{self.key}")


SYSTEM_AVATARS: tuple[SystemAvatar, ...] = (
    SystemAvatar(
        "en-ava",
        "Ava",
        "Friendly female news presenter, long brown hair, warm smile, navy blazer",
        "en",
        "American",
        "female",
        "American",
    ),
    SystemAvatar(
        "en-oliver",
        "Oliver",
        "Confident male presenter, short dark hair, light beard, grey suit",
        "en",
        "British",
        "male",
        "British",
    ),
    SystemAvatar(
        "vi-linh",
        "Linh",
        "Young Vietnamese female presenter, long black hair, gentle smile, white ao dai",
        "vi",
        "Vietnamese",
        "female",
        "Northern",
    ),
    SystemAvatar(
        "vi-minh",
        "Minh",
        "Vietnamese male presenter, short black hair, glasses, blue shirt",
        "vi",
        "Vietnamese",
        "male",
        "Southern",
    ),
    SystemAvatar(
        "vi-hoa",
        "Hoa",
        "Vietnamese female presenter, black hair in a bun, calm expression, red jacket",
        "vi",
        "Vietnamese",
        "female",
        "Central",
    ),
    SystemAvatar(
        "vi-nam",
        "Nam",
        "Older Vietnamese male presenter, grey hair, warm smile, dark suit",
        "vi",
        "Vietnamese",
        "male",
        "Northern",
    ),
)
