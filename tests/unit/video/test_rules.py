"""The video service's rules without servers: validation, estimate and hold amounts,
reconciliation math, the safety filter; and the worker's small pure helpers."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from avatarmesh.errors import DomainError, ErrorCode
from avatarmesh.money import cost_for_seconds
from avatarmesh.tiers import Tier
from avatarmesh.v1 import common_pb2, video_pb2
from services.video.config import DEFAULT_BLOCKLIST
from services.video.logic import (
    AvatarFacts,
    Prices,
    VideoRequest,
    billable_estimate,
    capture_amount,
    check_avatar_ready,
    hold_amount,
    rate_for,
    validate,
)
from services.video.safety import SafetyFilter
from services.video.server import video_request
from services.worker.config import WorkerSettings, subject_matches
from services.worker.lipsync import audio_seconds


def request(**fields: object) -> VideoRequest:
    """A CreateVideoRequest as the servicer hands it to the rules."""
    values: dict[str, object] = {"owner_id": "own_a", "avatar_id": "av_x", "text": "Hello."}
    values.update(fields)
    return video_request(video_pb2.CreateVideoRequest(**values))  # type: ignore[arg-type]


def code_of(fn: object, *args: object) -> ErrorCode:
    with pytest.raises(DomainError) as info:
        fn(*args)  # type: ignore[operator]
    return info.value.code


def test_defaults_are_avatar_tier_720p_25fps_url() -> None:
    draft = validate(request())
    assert (draft.tier, draft.resolution, draft.fps, draft.output_format) == (
        "avatar",
        720,
        25,
        "url",
    )


@pytest.mark.parametrize(
    "fields",
    [
        {"text": ""},
        {"text": "   "},
        {"text": "a" * 601},
        {"avatar_id": ""},
        {"video_prompt": "p" * 301},
        {"fps": 60},
        {"resolution": 1536},
        {"tier": 7},
        {"output_format": "mp4"},
        {"webhook_url": "not a url"},
        {"audio": common_pb2.MediaInput(storage_key="uploads/own_a/x.wav")},  # with text
    ],
)
def test_invalid_requests_are_validation_errors(fields: dict[str, object]) -> None:
    assert code_of(validate, request(**fields)) is ErrorCode.VALIDATION_ERROR


def test_text_limits_are_1_to_600_characters_and_pro_offers_1536() -> None:
    assert validate(request(text="a")).text == "a"
    assert len(validate(request(text="a" * 600)).text) == 600
    assert validate(request(tier=common_pb2.TIER_AVATAR_PRO, resolution=1536)).resolution == 1536


def test_audio_replaces_text() -> None:
    draft = validate(request(text="", audio=common_pb2.MediaInput(https_url="https://x/a.mp3")))
    assert draft.audio is not None and draft.text == ""


def test_estimate_is_held_in_whole_seconds_rounded_up() -> None:
    assert billable_estimate(2.001) == 3
    assert billable_estimate(3.0) == 3
    assert billable_estimate(3.0004) == 3  # below a millisecond is noise
    assert billable_estimate(0.2) == 1
    assert hold_amount(50_000, 3) == 150_000  # the contract's example: 3 s at $0.05


@pytest.mark.parametrize(
    ("actual", "expected"),
    [
        (2.345, 117_250),  # shorter than the estimate: pay for what was produced
        (3.0, 150_000),  # exactly the estimate
        (3.4, 150_000),  # longer: never more than the hold
        (1.00049, 50_000),  # billed to the millisecond
    ],
)
def test_capture_is_actual_seconds_at_the_rate_capped_by_the_hold(
    actual: float, expected: int
) -> None:
    assert capture_amount(150_000, 50_000, actual) == expected
    assert capture_amount(150_000, 50_000, actual) == min(
        150_000, cost_for_seconds(50_000, round(actual, 3))
    )


def test_rates_come_from_the_price_book() -> None:
    prices = Prices(avatar=11, avatar_pro=22)
    assert (rate_for(prices, Tier.AVATAR), rate_for(prices, Tier.AVATAR_PRO)) == (11, 22)


def test_avatar_must_be_ready_with_portrait_and_voice() -> None:
    ready = AvatarFacts(
        id="av_x", ready=True, portrait_key="p.jpg", tts_voice_id="tv", language="en"
    )
    check_avatar_ready(ready)
    for change in ({"ready": False}, {"portrait_key": ""}, {"tts_voice_id": ""}):
        broken = dataclasses.replace(ready, **change)  # type: ignore[arg-type]
        assert code_of(check_avatar_ready, broken) is ErrorCode.AVATAR_NOT_READY


def test_safety_filter_matches_phrases_as_words_and_regexes_case_insensitively() -> None:
    f = SafetyFilter.from_lines(["# comment", "", "pipe bomb", r"re:\bsecret\s*code\b"])
    assert f.violates("How to build a PIPE   bomb")
    assert not f.violates("pipe bombast is a word")
    assert f.violates("tell me the secretcode")
    with pytest.raises(DomainError) as info:
        f.check(text="fine", video_prompt="a pipe bomb")
    assert info.value.code is ErrorCode.POLICY_VIOLATION and "video_prompt" in info.value.message


def test_default_blocklist_loads_and_lets_ordinary_scripts_through() -> None:
    f = SafetyFilter.from_file(DEFAULT_BLOCKLIST)
    assert f.patterns
    assert not f.violates("Welcome to our product demo. Let me show you what we can do.")
    assert SafetyFilter.disabled().violates("pipe bomb") is False


def test_bad_regex_in_blocklist_names_the_line(tmp_path: Path) -> None:
    path = tmp_path / "list.txt"
    path.write_text("ok\nre:(unclosed\n")
    with pytest.raises(ValueError, match="line 2"):
        SafetyFilter.from_file(path)


def test_worker_subjects_decide_which_consumers_run() -> None:
    assert subject_matches("jobs.lipsync.>", "jobs.>")
    assert subject_matches("jobs.lipsync.>", "jobs.lipsync.>")
    assert not subject_matches("jobs.lipsync.>", "jobs.avatar.>")
    assert subject_matches("jobs.canary", "jobs.*")
    assert WorkerSettings(worker_subjects="jobs.avatar.>, jobs.lipsync.>").takes("jobs.lipsync.>")
    assert not WorkerSettings(worker_subjects="jobs.avatar.>").takes("jobs.lipsync.>")


def test_audio_seconds_are_exact_to_the_millisecond() -> None:
    assert audio_seconds(22050 * 3 + 11, 22050) == 3.0
    assert audio_seconds(12345, 1000) == 12.345
