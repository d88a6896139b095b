"""The video tiers: their names in JSON, rows and media presets, and the wire enum."""

from __future__ import annotations

from enum import StrEnum

from avatarmesh.v1 import common_pb2


class Tier(StrEnum):
    AVATAR = "avatar"
    AVATAR_PRO = "avatar_pro"


TIER_TO_PB: dict[Tier, common_pb2.Tier] = {
    Tier.AVATAR: common_pb2.TIER_AVATAR,
    Tier.AVATAR_PRO: common_pb2.TIER_AVATAR_PRO,
}
TIER_FROM_PB: dict[common_pb2.Tier, Tier] = {pb: tier for tier, pb in TIER_TO_PB.items()}


def tier_from_pb(value: int, default: Tier = Tier.AVATAR) -> Tier:
    """The tier of a wire value; ``TIER_UNSPECIFIED`` (0) is ``default``.
    ValueError for a value this build does not know."""
    if value == common_pb2.TIER_UNSPECIFIED:
        return default
    try:
        return TIER_FROM_PB[value]  # type: ignore[index]
    except KeyError:
        raise ValueError(f"unknown tier {value}") from None
