"""Webhook settings. Variables are ``AVATARMESH_WEBHOOK_<FIELD>``, e.g.
``AVATARMESH_WEBHOOK_RETRY_SCHEDULE_SECONDS='[5, 30, 120, 600, 1800, 3600]'``.

Plain-HTTP loopback receivers are allowed by the shared development switch
``AVATARMESH_ALLOW_INSECURE_LOOPBACK`` (``Settings.allow_insecure_loopback``), the same
one the video service checks ``webhook_url`` with at submit.
"""

from __future__ import annotations

from pydantic import Field, SecretStr, field_validator

from avatarmesh.settings import Settings

# Delays after the 1st, 2nd, ... failed attempt; the last one repeats (hourly).
DEFAULT_RETRY_SCHEDULE = (5.0, 30.0, 120.0, 600.0, 1800.0, 3600.0)


class WebhookSettings(Settings):
    # The receiver must answer within this many seconds (the contract says 10).
    webhook_timeout_seconds: float = Field(default=10.0, gt=0)
    webhook_retry_schedule_seconds: tuple[float, ...] = DEFAULT_RETRY_SCHEDULE
    # Each delay is stretched or shrunk by up to this fraction, so receivers that come
    # back are not hit by every sender at once.
    webhook_retry_jitter: float = Field(default=0.1, ge=0, lt=1)
    # No attempt is made later than this after the first one; the event is then failed.
    webhook_max_age_seconds: float = Field(default=24 * 3600.0, gt=0)
    # An attempt in flight holds its delivery this long; if the process dies the
    # delivery is attempted again after it (so a receiver may, rarely, see an event twice).
    webhook_lease_seconds: float = Field(default=60.0, gt=0)
    # How often the dispatcher looks for due deliveries (a new event wakes it at once).
    webhook_poll_interval_seconds: float = Field(default=1.0, gt=0)
    # Deliveries attempted at once by one process.
    webhook_concurrency: int = Field(default=16, ge=1)
    # After a rotation the old secret also signs deliveries for this long.
    webhook_secret_grace_seconds: float = Field(default=24 * 3600.0, ge=0)
    # A Fernet key (urlsafe base64 of 32 bytes) encrypting signing secrets at rest;
    # without it secrets are stored as they are.
    webhook_secret_encryption_key: SecretStr | None = None
    # Delivered and failed events (and their attempts) are forgotten after this long.
    webhook_retention_days: int = Field(default=30, ge=1)
    # Presigned video URLs in video.completed stay valid this long.
    webhook_video_url_ttl_seconds: int = Field(default=3600, gt=0, le=7 * 24 * 3600)

    @field_validator("webhook_retry_schedule_seconds")
    @classmethod
    def _schedule(cls, value: tuple[float, ...]) -> tuple[float, ...]:
        if not value or any(delay < 0 for delay in value):
            raise ValueError("needs at least one delay, none negative")
        return value

    @field_validator("webhook_secret_encryption_key")
    @classmethod
    def _fernet_key(cls, value: SecretStr | None) -> SecretStr | None:
        if value is None or not value.get_secret_value():
            return None
        from cryptography.fernet import Fernet

        try:
            Fernet(value.get_secret_value())
        except ValueError:
            raise ValueError("must be a Fernet key (urlsafe base64 of 32 bytes)") from None
        return value
