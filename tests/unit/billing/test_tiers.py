"""Plan tiers on the wallet: an owner's tier decides its daily pose cap.

The rules here cap "default" at 3 poses a day and "pro" at 5 (tests/unit/billing/support).
"""

from __future__ import annotations

import pytest

from avatarmesh.errors import DomainError, ErrorCode
from avatarmesh.money import usd
from services.billing.ledger import Ledger
from services.billing.logic import Purpose
from tests.unit.billing.support import FakeClock

POSE = usd("0.013")


async def funded(ledger: Ledger, owner: str) -> None:
    await ledger.top_up(owner, usd(10), f"fund:{owner}")


async def poses_until_capped(ledger: Ledger, owner: str, prefix: str = "p") -> int:
    """Hold poses until DAILY_CAP_REACHED; how many were accepted."""
    for i in range(100):
        try:
            await ledger.hold(owner, POSE, f"{owner}:{prefix}{i}", Purpose.POSE)
        except DomainError as exc:
            assert exc.code is ErrorCode.DAILY_CAP_REACHED, exc
            return i
    raise AssertionError("no cap reached")


async def test_a_new_wallet_is_on_the_default_tier(ledger: Ledger) -> None:
    wallet = await ledger.top_up("own_a", usd(1), "k")
    assert wallet.tier == "default"
    assert (await ledger.wallet("own_a")).tier == "default"


async def test_an_owner_on_a_higher_cap_tier_creates_more_poses_the_same_day(
    ledger: Ledger,
) -> None:
    for owner in ("own_default", "own_pro"):
        await funded(ledger, owner)
    wallet = await ledger.set_tier("own_pro", "pro")
    assert (wallet.tier, wallet.balance) == ("pro", usd(10))
    assert (await ledger.wallet("own_pro")).tier == "pro"
    assert await poses_until_capped(ledger, "own_default") == 3
    assert await poses_until_capped(ledger, "own_pro") == 5
    with pytest.raises(DomainError, match="'pro'"):
        await ledger.hold("own_pro", POSE, "own_pro:late", Purpose.POSE)
    for owner in ("own_default", "own_pro"):
        assert (await ledger.verify(owner)).consistent


async def test_a_tier_change_mid_day_moves_the_ceiling_not_the_count(
    ledger: Ledger, clock: FakeClock
) -> None:
    owner = "own_a"
    await funded(ledger, owner)
    first = await ledger.hold(owner, POSE, "first", Purpose.POSE)
    assert await poses_until_capped(ledger, owner, "d") == 2  # 3 on "default"
    await ledger.set_tier(owner, "pro")
    assert await poses_until_capped(ledger, owner, "p") == 2  # 5 today in all, not 5 more
    await ledger.set_tier(owner, "default")
    assert await poses_until_capped(ledger, owner, "x") == 0  # 5 used >= 3
    # A pose held under the earlier tier still stops counting when released.
    await ledger.set_tier(owner, "pro")
    await ledger.release(first.id, "r")
    assert await poses_until_capped(ledger, owner, "y") == 1
    clock.advance(12 * 3600)  # midnight UTC: a fresh day on "pro"
    assert await poses_until_capped(ledger, owner, "z") == 5


@pytest.mark.parametrize("tier", ["platinum", "", "PRO", "pro "])
async def test_setting_a_tier_without_a_configured_cap_is_validation_error(
    ledger: Ledger, tier: str
) -> None:
    await funded(ledger, "own_a")
    with pytest.raises(DomainError) as err:
        await ledger.set_tier("own_a", tier)
    assert err.value.code is ErrorCode.VALIDATION_ERROR
    assert (await ledger.wallet("own_a")).tier == "default"


async def test_setting_a_tier_before_the_first_top_up_is_wallet_not_found(ledger: Ledger) -> None:
    with pytest.raises(DomainError) as err:
        await ledger.set_tier("own_nobody", "pro")
    assert err.value.code is ErrorCode.WALLET_NOT_FOUND


async def test_setting_the_same_tier_again_changes_nothing(ledger: Ledger) -> None:
    await funded(ledger, "own_a")
    first = await ledger.set_tier("own_a", "pro")
    again = await ledger.set_tier("own_a", "pro")
    assert again == first
    assert (await ledger.ledger("own_a")).total == 1  # a tier is not a money movement


async def test_the_request_tier_overrides_the_cap_tier_for_poses_only(ledger: Ledger) -> None:
    owner = "own_pro"
    await funded(ledger, owner)
    await ledger.set_tier(owner, "pro")
    pose = await ledger.hold(owner, POSE, "o0", Purpose.POSE, tier="default")
    assert pose.tier == "default"
    # The video service passes its quality tier; a video hold has no cap tier.
    video = await ledger.hold(owner, usd(1), "v", Purpose.VIDEO, tier="avatar_pro")
    assert video.tier == ""
    for i in (1, 2):
        await ledger.hold(owner, POSE, f"o{i}", Purpose.POSE, tier="default")
    with pytest.raises(DomainError) as err:
        await ledger.hold(owner, POSE, "o3", Purpose.POSE, tier="default")
    assert err.value.code is ErrorCode.DAILY_CAP_REACHED
    assert await poses_until_capped(ledger, owner) == 2  # the wallet's "pro": 5 in all
