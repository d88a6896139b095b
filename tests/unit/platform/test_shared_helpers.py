"""The one home of each small cross-cutting helper: clock, tiers, media types, keys."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta, timezone
from typing import Any, get_args

import pytest

from avatarmedia.text_norm import LANGUAGES
from avatarmesh.billing import capture_hold, release_hold
from avatarmesh.bus import event_meta
from avatarmesh.clock import iso_millis, utcnow
from avatarmesh.ids import IdPrefix, is_id
from avatarmesh.mediatypes import AUDIO_TYPES, MB, extension_for, size_text
from avatarmesh.storage import renderable_portrait_key
from avatarmesh.tiers import TIER_FROM_PB, TIER_TO_PB, Tier, tier_from_pb
from avatarmesh.v1 import billing_pb2, common_pb2


def test_utcnow_is_aware_utc() -> None:
    assert utcnow().tzinfo is UTC


def test_iso_millis_is_utc_with_three_decimals_from_any_offset() -> None:
    at = datetime(2025, 1, 1, 14, 0, 30, 123_999, tzinfo=timezone(timedelta(hours=2)))
    assert iso_millis(at) == "2025-01-01T12:00:30.123Z"
    assert iso_millis(datetime(2025, 1, 1, 12, 0, 30)) == "2025-01-01T12:00:30.000Z"


def test_tiers_map_both_ways_and_unspecified_is_the_default() -> None:
    assert {TIER_FROM_PB[pb] for pb in TIER_TO_PB.values()} == set(Tier)
    assert tier_from_pb(common_pb2.TIER_AVATAR_PRO) is Tier.AVATAR_PRO
    assert tier_from_pb(common_pb2.TIER_UNSPECIFIED) is Tier.AVATAR
    with pytest.raises(ValueError):
        tier_from_pb(99)


def test_event_meta_has_a_fresh_event_id_and_the_moment() -> None:
    one, two = event_meta(), event_meta()
    assert is_id(one.event_id, IdPrefix.EVENT) and one.event_id != two.event_id
    assert abs(one.occurred_at.ToDatetime(tzinfo=UTC) - utcnow()) < timedelta(seconds=5)


def test_stored_audio_extension_from_type_then_url_then_bin() -> None:
    assert extension_for("audio/x-wav") == "wav" and AUDIO_TYPES["video/mp4"] == "mp4"
    assert extension_for("", "https://a.example/x/voice.OGG?sig=1") == "ogg"
    assert extension_for("application/octet-stream", "https://a.example/x/voice") == "bin"
    assert size_text(25 * MB) == "25 MB" and size_text(100) == "100 bytes"


def test_renderable_portrait_sits_beside_the_jpeg() -> None:
    assert renderable_portrait_key("a/b/poses/ap_1.jpg") == "a/b/poses/ap_1.portrait"
    assert renderable_portrait_key("avatars/o/a/pose") == "avatars/o/a/pose.portrait"


def test_the_gateway_offers_exactly_the_languages_the_speech_engine_speaks() -> None:
    from gateway.bodies import Language

    assert get_args(Language) == LANGUAGES


def test_the_gateway_offers_exactly_the_webhook_events_the_service_knows() -> None:
    from gateway.routes.webhooks import EventName
    from services.webhook.endpoints import EVENT_TYPES
    from services.webhook.logic import ALL_EVENTS

    assert set(get_args(EventName)) == EVENT_TYPES | {ALL_EVENTS}


class _RecordingBilling:
    def __init__(self) -> None:
        self.requests: list[Any] = []

    async def Capture(self, request: Any, **kwargs: Any) -> billing_pb2.HoldRecord:
        self.requests.append(request)
        return billing_pb2.HoldRecord(id=request.hold_id, captured_micros=request.amount_micros)

    async def Release(self, request: Any, **kwargs: Any) -> billing_pb2.HoldRecord:
        self.requests.append(request)
        return billing_pb2.HoldRecord(id=request.hold_id)


def test_capture_and_release_are_keyed_by_the_reference_so_a_replay_moves_no_money() -> None:
    billing = _RecordingBilling()
    asyncio.run(capture_hold(billing, "hold_1", 250, "vid_1"))
    asyncio.run(release_hold(billing, "hold_2", "av_1"))
    capture, release = billing.requests
    assert (capture.hold_id, capture.amount_micros, capture.idempotency_key) == (
        "hold_1",
        250,
        "vid_1:capture",
    )
    assert (release.hold_id, release.idempotency_key) == ("hold_2", "av_1:release")
