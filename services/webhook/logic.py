"""Signed webhooks: what a delivery is and the rules that need no database.

The service, top-down: ``__main__`` wires it; ``server`` maps protobuf to these types
and back; ``events`` says what it consumes (settled videos and avatars, archived
files); ``intake`` turns an event into one delivery per receiver (the job's own URL,
each subscribed endpoint); ``dispatch`` attempts due deliveries with retries;
``secrets`` keeps each owner's signing secret; ``endpoints`` an owner's receivers;
``history`` reads the attempts; ``housekeeping`` forgets old deliveries; ``store``
holds the tables and every query (rows come back as the ``Delivery``,
``SigningSecret``, ``StoredEndpoint`` and ``AttemptRecord`` here).

- ``SigningSecrets``: one ``whsec_`` secret per owner, created on first use; a rotation
  keeps the old one signing for a grace period.
- ``Intake``: a settled video with a ``webhook_url`` becomes one ``deliveries`` row, in
  the transaction that records its event id in the inbox (a repeat is dropped).
- ``Dispatcher``: attempts due deliveries, records every attempt, and on failure
  schedules the next with exponential backoff and jitter until ``max_age`` after the
  first attempt. An attempt holds its row with a lease (``locked_until``): if the
  process dies mid-attempt the delivery is attempted again after the lease, so in
  that rare case a receiver sees the event id twice.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from avatarmesh.errors import DomainError, ErrorCode
from avatarmesh.money import Micros
from avatarmesh.tiers import Tier


class DeliveryStatus(StrEnum):
    """``deliveries.status``: pending until delivered or given up on (failed)."""

    PENDING = "pending"
    DELIVERED = "delivered"
    FAILED = "failed"


@dataclass(frozen=True)
class SettledVideo:
    """A settled video as the video service announced it (``events.video.<status>``)."""

    subject: str  # the bus subject it arrived on
    event_id: str  # the event's id, else the message id: receivers dedupe on it
    occurred_at: datetime
    video_id: str
    owner_id: str
    status: str
    webhook_url: str
    video_key: str
    duration_seconds: float
    tier: Tier
    error: str
    actual_cost_micros: Micros | None


@dataclass(frozen=True)
class Delivery:
    """One ``deliveries`` row: a signed POST of one event to one URL, with its retries."""

    event_id: str
    event: str  # "avatar_video.completed", ...
    owner_id: str
    subject_id: str  # the video id
    url: str
    payload: str  # the body's JSON without the presigned video URL (added per attempt)
    video_key: str | None
    status: DeliveryStatus
    attempts: int
    created_at: datetime
    first_attempt_at: datetime | None
    next_attempt_at: datetime
    locked_until: datetime | None
    finished_at: datetime | None
    last_error: str | None
    # Set for a delivery to a webhook endpoint (None: the job's own webhook_url).
    endpoint_id: str | None = None
    # The event id the receiver sees (Webhook-Id); None: ``event_id`` itself.
    webhook_id: str | None = None


@dataclass(frozen=True)
class SigningSecret:
    owner_id: str
    secret: str
    created_at: datetime
    previous_secret: str | None = None
    previous_valid_until: datetime | None = None

    def signing(self, now: datetime) -> list[str]:
        """The secrets a delivery is signed with now: the current one, then the previous
        one while its grace period lasts."""
        keys = [self.secret]
        if (
            self.previous_secret
            and self.previous_valid_until is not None
            and self.previous_valid_until > now
        ):
            keys.append(self.previous_secret)
        return keys


# An endpoint subscribed to "*" gets every event, present and future.
ALL_EVENTS = "*"


@dataclass(frozen=True)
class StoredEndpoint:
    """A receiver as kept: its signing secrets sealed (``secrets.SecretBox``)."""

    id: str
    owner_id: str
    url: str
    events: tuple[str, ...]
    description: str
    secret: str
    secret_created_at: datetime
    created_at: datetime
    previous_secret: str | None = None
    previous_valid_until: datetime | None = None
    deleted_at: datetime | None = None

    def wants(self, event: str) -> bool:
        return ALL_EVENTS in self.events or event in self.events


@dataclass(frozen=True)
class Endpoint:
    """A receiver as its owner sees it."""

    id: str
    owner_id: str
    url: str
    events: tuple[str, ...]
    description: str
    created_at: datetime
    secret_created_at: datetime
    previous_valid_until: datetime | None
    secret: str = ""  # set only when the caller may see it (create, rotate)


@dataclass(frozen=True)
class Outcome:
    status_code: int = 0
    error: str = ""
    permanent: bool = False  # no retry (the URL was refused)

    @property
    def delivered(self) -> bool:
        return 200 <= self.status_code < 300 and not self.error


@dataclass(frozen=True)
class AttemptRecord:
    id: str
    event_id: str
    event: str
    subject_id: str
    url: str
    attempt: int
    status_code: int
    error: str
    duration_ms: int
    at: datetime
    delivery_status: str
    endpoint_id: str = ""


def require_owner(owner_id: str) -> None:
    if not owner_id:
        raise DomainError(ErrorCode.VALIDATION_ERROR, "owner_id is required")


def retry_delay(
    schedule: Sequence[float],
    failed_attempts: int,
    jitter: float = 0.0,
    rand: Callable[[], float] = random.random,
) -> float:
    """Seconds to wait after ``failed_attempts`` failures: ``schedule[n - 1]`` (the last
    value repeats), stretched or shrunk by up to ``jitter`` (a fraction)."""
    base = float(schedule[min(max(failed_attempts, 1), len(schedule)) - 1])
    return max(0.0, base * (1.0 + jitter * (2.0 * rand() - 1.0)))
