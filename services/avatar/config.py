"""Avatar-service settings. Variables are ``AVATARMESH_AVATAR_<FIELD>``."""

from __future__ import annotations

from pydantic import Field

from avatarmesh.settings import Settings
from services.avatar.logic import ReviewMode


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
    # Consent review (docs/consent.md): "manual" sends every avatar with a consent clip
    # to an operator; "automatic" also rejects at once when the automatic check finds
    # the clip cannot be consent (no face, several people, no speech). Neither mode
    # approves without an operator: the face comparison is too weak (AUC 0.776).
    avatar_review_mode: ReviewMode = ReviewMode.MANUAL
    # Avatars of a real person's media (a clip, a reference photo) need a consent clip.
    avatar_consent_required: bool = False
    # The hold of an avatar with a consent clip lives this long (billing's maximum),
    # since it waits for a human: a review decided later finds the hold expired and
    # the avatar is not charged.
    avatar_review_hold_ttl_seconds: int = Field(default=7 * 24 * 3600, gt=0)
