"""Billing settings and the price book served to the rest of the mesh.

Prices are configured in dollars (exact decimals) and served as micro-dollars by
``GetPriceBook``, so no other service hard-codes a price. Variables are
``AVATARMESH_BILLING_<FIELD>``, e.g. ``AVATARMESH_BILLING_PRICE_POSE_USD=0.013`` or
``AVATARMESH_BILLING_DAILY_POSE_CAPS='{"default": 200, "pro": 2000}'``.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from pydantic import Field, field_validator

from avatarmesh.money import MICROS_PER_USD, Micros, usd
from avatarmesh.settings import Settings

DEFAULT_TIER = "default"
# Tier names fit the wallets.tier / holds.tier / daily_usage.tier columns.
MAX_TIER_LENGTH = 64


@dataclass(frozen=True)
class PriceBook:
    avatar_creation: Micros
    pose: Micros
    video_avatar_per_second: Micros
    video_avatar_pro_per_second: Micros


class BillingSettings(Settings):
    billing_price_avatar_creation_usd: Decimal = Decimal("1.00")
    billing_price_pose_usd: Decimal = Decimal("0.013")
    billing_price_video_avatar_usd_per_second: Decimal = Decimal("0.05")
    billing_price_video_avatar_pro_usd_per_second: Decimal = Decimal("0.08")

    # A hold not captured or released within this time is released automatically.
    # Long enough for a render that waits in the queue; a caller may ask for less or more.
    billing_hold_ttl_seconds: int = Field(default=2 * 3600, gt=0)
    billing_max_hold_ttl_seconds: int = Field(default=7 * 24 * 3600, gt=0)
    # How often the sweeper looks for expired holds.
    billing_sweep_interval_seconds: float = Field(default=30.0, gt=0)

    # Poses per owner per UTC day, by tier; a tier not listed uses "default".
    billing_daily_pose_caps: dict[str, int] = Field(
        default_factory=lambda: {DEFAULT_TIER: 500, "free": 50, "pro": 5000}
    )
    # One top-up may not exceed this (guards against a typo adding six zeros).
    billing_max_top_up_usd: Decimal = Decimal("100000")

    @field_validator(
        "billing_price_avatar_creation_usd",
        "billing_price_pose_usd",
        "billing_price_video_avatar_usd_per_second",
        "billing_price_video_avatar_pro_usd_per_second",
        "billing_max_top_up_usd",
    )
    @classmethod
    def _whole_micros(cls, value: Decimal) -> Decimal:
        if value < 0:
            raise ValueError("must not be negative")
        usd(value)  # raises when it is not a whole number of micro-dollars
        return value

    @field_validator("billing_daily_pose_caps")
    @classmethod
    def _caps(cls, value: dict[str, int]) -> dict[str, int]:
        if any(cap < 0 for cap in value.values()):
            raise ValueError("daily caps must not be negative")
        if any(not 1 <= len(tier) <= MAX_TIER_LENGTH for tier in value):
            raise ValueError(f"tier names must be 1 to {MAX_TIER_LENGTH} characters")
        return value

    def price_book(self) -> PriceBook:
        return PriceBook(
            avatar_creation=usd(self.billing_price_avatar_creation_usd),
            pose=usd(self.billing_price_pose_usd),
            video_avatar_per_second=usd(self.billing_price_video_avatar_usd_per_second),
            video_avatar_pro_per_second=usd(self.billing_price_video_avatar_pro_usd_per_second),
        )

    def rules(self) -> BillingRules:
        return BillingRules(
            hold_ttl_seconds=self.billing_hold_ttl_seconds,
            max_hold_ttl_seconds=self.billing_max_hold_ttl_seconds,
            daily_pose_caps=dict(self.billing_daily_pose_caps),
            max_top_up=usd(self.billing_max_top_up_usd),
        )


@dataclass(frozen=True)
class BillingRules:
    """The knobs the ledger logic needs, independent of where they came from."""

    hold_ttl_seconds: int = 2 * 3600
    max_hold_ttl_seconds: int = 7 * 24 * 3600
    daily_pose_caps: dict[str, int] | None = None
    max_top_up: Micros = 100_000 * MICROS_PER_USD

    def daily_pose_cap(self, tier: str) -> int | None:
        """The cap for a tier (the "default" tier's when unlisted); None: no cap."""
        caps = self.daily_pose_caps or {}
        if tier in caps:
            return caps[tier]
        return caps.get(DEFAULT_TIER)

    def known_tiers(self) -> frozenset[str]:
        """The tiers a wallet may be set to: those with a configured cap, and "default"
        (so a typo cannot silently put an owner on the default cap)."""
        return frozenset(self.daily_pose_caps or ()) | {DEFAULT_TIER}
