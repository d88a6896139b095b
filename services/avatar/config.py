"""Avatar-service settings. Variables are ``AVATARMESH_AVATAR_<FIELD>``."""

from __future__ import annotations

from pydantic import Field

from avatarmesh.settings import Settings


class AvatarSettings(Settings):
    # Avatars waiting or being created, all owners together, before CreateAvatar
    # answers QUEUE_FULL (Retry-After: 60). System avatars are not counted.
    avatar_queue_limit: int = Field(default=20, ge=1)
    # How long the $1.00 creation hold lives before billing's sweeper expires it: far
    # longer than a creation takes, so a slow queue never loses the charge's hold.
    avatar_hold_ttl_seconds: int = Field(default=6 * 3600, gt=0)
    # Seed the six public system avatars at start (idempotent).
    avatar_seed_system: bool = True
    # Deliveries of one creation event before the consumer gives up on it.
    avatar_event_max_deliver: int = Field(default=20, ge=1)
