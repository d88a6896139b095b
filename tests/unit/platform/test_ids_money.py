"""Prefixed unguessable ids and integer micro-dollar money."""

from __future__ import annotations

from decimal import Decimal

import pytest

from avatarmesh.ids import IdPrefix, is_id, new_id, output_file_id
from avatarmesh.money import cost_for_seconds, to_usd, usd


def test_ids_carry_their_prefix_and_120_random_bits() -> None:
    ids = {new_id(IdPrefix.VIDEO) for _ in range(1000)}
    assert len(ids) == 1000
    assert all(i.startswith("vg_") and len(i) == 3 + 24 for i in ids)
    assert all(is_id(i, IdPrefix.VIDEO) for i in ids)


def test_an_id_of_another_kind_or_shape_is_rejected() -> None:
    avatar_id = new_id(IdPrefix.AVATAR)
    assert not is_id(avatar_id, IdPrefix.POSE)
    assert not is_id("av_abc", IdPrefix.AVATAR)
    assert not is_id(avatar_id.upper(), IdPrefix.AVATAR)


def test_an_output_file_id_is_a_stable_well_formed_id_per_video_and_role() -> None:
    video_id = new_id(IdPrefix.VIDEO)
    video = output_file_id(video_id, "video")
    assert is_id(video, IdPrefix.FILE) and video == output_file_id(video_id, "video")
    assert output_file_id(video_id, "poster") != video
    assert output_file_id(new_id(IdPrefix.VIDEO), "video") != video


def test_contract_prices_are_exact_in_micro_dollars() -> None:
    assert usd("1.00") == 1_000_000
    assert usd("0.013") == 13_000
    assert usd("0.05") == 50_000
    assert to_usd(150_000) == 0.15


def test_sub_micro_dollar_amounts_are_refused() -> None:
    with pytest.raises(ValueError):
        usd("0.0000001")


@pytest.mark.parametrize(
    ("rate", "seconds", "expected"),
    [
        (50_000, 3, 150_000),
        (80_000, 2.5, 200_000),
        (50_000, Decimal("3.21"), 160_500),
        (50_000, 0.00001, 1),  # 0.5 micro-dollars rounds half up
        (13_000, 0, 0),
    ],
)
def test_per_second_cost_rounds_half_up_to_the_micro_dollar(
    rate: int, seconds: float, expected: int
) -> None:
    assert cost_for_seconds(rate, seconds) == expected
