"""The retry schedule: the configured delays in order, the last repeating, with jitter."""

from __future__ import annotations

import pytest

from services.video.config import VideoSettings
from services.webhook.config import DEFAULT_RETRY_SCHEDULE, WebhookSettings
from services.webhook.logic import retry_delay


def test_default_schedule_is_5s_30s_2min_10min_30min_then_hourly() -> None:
    delays = [retry_delay(DEFAULT_RETRY_SCHEDULE, n) for n in range(1, 10)]
    assert delays == [5, 30, 120, 600, 1800, 3600, 3600, 3600, 3600]


def test_default_schedule_keeps_trying_for_about_24_hours() -> None:
    settings = WebhookSettings()
    elapsed, attempts = 0.0, 1
    while elapsed + retry_delay(settings.webhook_retry_schedule_seconds, attempts) <= (
        settings.webhook_max_age_seconds
    ):
        elapsed += retry_delay(settings.webhook_retry_schedule_seconds, attempts)
        attempts += 1
    assert 24 * 3600 - 3600 < elapsed <= 24 * 3600
    assert attempts == 29  # the first, 5 quick retries, then 23 hourly


@pytest.mark.parametrize(("rand", "expected"), [(0.0, 90.0), (0.5, 100.0), (1.0, 110.0)])
def test_jitter_stretches_or_shrinks_by_at_most_the_fraction(rand: float, expected: float) -> None:
    assert retry_delay([100.0], 1, 0.1, rand=lambda: rand) == pytest.approx(expected)


def test_schedule_is_configurable_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AVATARMESH_WEBHOOK_RETRY_SCHEDULE_SECONDS", "[0.1, 0.2]")
    settings = WebhookSettings()
    assert settings.webhook_retry_schedule_seconds == (0.1, 0.2)


@pytest.mark.parametrize(
    "variable",
    [
        "AVATARMESH_ALLOW_INSECURE_LOOPBACK",
        # the older per-service names still turn on the same one switch
        "AVATARMESH_WEBHOOK_ALLOW_INSECURE_LOOPBACK",
        "AVATARMESH_VIDEO_ALLOW_INSECURE_LOOPBACK_URLS",
    ],
)
def test_one_loopback_switch_governs_video_submit_and_webhook_delivery(
    monkeypatch: pytest.MonkeyPatch, variable: str
) -> None:
    for name in (
        "AVATARMESH_ALLOW_INSECURE_LOOPBACK",
        "AVATARMESH_WEBHOOK_ALLOW_INSECURE_LOOPBACK",
        "AVATARMESH_VIDEO_ALLOW_INSECURE_LOOPBACK_URLS",
    ):
        monkeypatch.delenv(name, raising=False)
    assert WebhookSettings().allow_insecure_loopback is False
    assert VideoSettings().allow_insecure_loopback is False
    monkeypatch.setenv(variable, "true")
    assert WebhookSettings().allow_insecure_loopback is True
    assert VideoSettings().allow_insecure_loopback is True


def test_empty_or_negative_schedule_is_refused() -> None:
    with pytest.raises(ValueError):
        WebhookSettings(webhook_retry_schedule_seconds=())
    with pytest.raises(ValueError):
        WebhookSettings(webhook_retry_schedule_seconds=(1.0, -1.0))
