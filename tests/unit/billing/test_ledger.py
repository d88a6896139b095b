"""The billing rules on SQLite: wallets, holds, captures, releases, refunds, expiry,
idempotency, daily caps and the ledger that proves the balance."""

from __future__ import annotations

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DatabaseError

from avatarmesh.errors import DomainError, ErrorCode
from avatarmesh.money import usd
from services.billing.config import BillingSettings
from services.billing.ledger import Ledger
from services.billing.logic import EntryKind, HoldStatus, Purpose
from tests.unit.billing.support import FakeClock

OWNER = "own_alice"


async def funded(ledger: Ledger, dollars: str = "10", owner: str = OWNER) -> None:
    await ledger.top_up(owner, usd(dollars), f"fund:{owner}:{dollars}")


async def assert_consistent(ledger: Ledger, owner: str = OWNER) -> None:
    check = await ledger.verify(owner)
    assert check.consistent, check


async def test_first_top_up_creates_the_wallet_with_one_ledger_row(ledger: Ledger) -> None:
    wallet = await ledger.top_up(OWNER, usd("25"), "dev-funding:own_alice", note="dev")
    assert (wallet.balance, wallet.held, wallet.available) == (usd(25), 0, usd(25))
    page = await ledger.ledger(OWNER)
    assert [(e.kind, e.balance_delta, e.reference) for e in page.entries] == [
        (EntryKind.TOP_UP, usd(25), "dev")
    ]
    await assert_consistent(ledger)


@pytest.mark.parametrize("operation", ["wallet", "hold", "ledger", "verify"])
async def test_operations_before_the_first_top_up_are_wallet_not_found(
    ledger: Ledger, operation: str
) -> None:
    calls = {
        "wallet": lambda: ledger.wallet(OWNER),
        "hold": lambda: ledger.hold(OWNER, usd(1), "k", Purpose.VIDEO),
        "ledger": lambda: ledger.ledger(OWNER),
        "verify": lambda: ledger.verify(OWNER),
    }
    with pytest.raises(DomainError) as err:
        await calls[operation]()
    assert err.value.code is ErrorCode.WALLET_NOT_FOUND


async def test_top_up_replayed_with_its_key_adds_the_money_once(ledger: Ledger) -> None:
    first = await ledger.top_up(OWNER, usd(5), "dev-funding:own_alice")
    again = await ledger.top_up(OWNER, usd(5), "dev-funding:own_alice")
    assert again == first
    assert (await ledger.wallet(OWNER)).balance == usd(5)
    assert (await ledger.ledger(OWNER)).total == 1


async def test_same_key_with_other_parameters_is_idempotency_conflict(ledger: Ledger) -> None:
    await ledger.top_up(OWNER, usd(5), "k1")
    with pytest.raises(DomainError) as err:
        await ledger.top_up(OWNER, usd(6), "k1")
    assert err.value.code is ErrorCode.IDEMPOTENCY_CONFLICT
    hold = await ledger.hold(OWNER, usd(1), "vg_x:hold", Purpose.VIDEO, reference="vg_x")
    with pytest.raises(DomainError) as err:
        await ledger.hold(OWNER, usd(2), "vg_x:hold", Purpose.VIDEO, reference="vg_x")
    assert err.value.code is ErrorCode.IDEMPOTENCY_CONFLICT
    await ledger.capture(hold.id, usd("0.5"), "vg_x:capture")
    with pytest.raises(DomainError) as err:
        await ledger.capture(hold.id, usd("0.6"), "vg_x:capture")
    assert err.value.code is ErrorCode.IDEMPOTENCY_CONFLICT
    await assert_consistent(ledger)


async def test_hold_beyond_the_available_balance_is_insufficient_balance(ledger: Ledger) -> None:
    await funded(ledger, "1.5")
    await ledger.hold(OWNER, usd(1), "h1", Purpose.AVATAR_CREATION)
    with pytest.raises(DomainError) as err:
        await ledger.hold(OWNER, usd(1), "h2", Purpose.AVATAR_CREATION)
    assert err.value.code is ErrorCode.INSUFFICIENT_BALANCE
    assert "top up" in err.value.message
    with pytest.raises(DomainError) as err:
        await ledger.hold(OWNER, usd("0.6"), "h3", Purpose.POSE)
    assert err.value.code is ErrorCode.INSUFFICIENT_BALANCE_FOR_POSE


async def test_refused_hold_succeeds_with_the_same_key_after_a_top_up(ledger: Ledger) -> None:
    await funded(ledger, "0.5")
    with pytest.raises(DomainError):
        await ledger.hold(OWNER, usd(1), "vg_y:hold", Purpose.VIDEO)
    await ledger.top_up(OWNER, usd(1), "more")
    hold = await ledger.hold(OWNER, usd(1), "vg_y:hold", Purpose.VIDEO)
    assert hold.status is HoldStatus.HELD


async def test_partial_capture_charges_the_amount_and_releases_the_rest(ledger: Ledger) -> None:
    await funded(ledger)
    hold = await ledger.hold(OWNER, usd("1.50"), "vg_a:hold", Purpose.VIDEO, reference="vg_a")
    assert (await ledger.wallet(OWNER)).available == usd("8.50")
    captured = await ledger.capture(hold.id, usd("1.20"), "vg_a:capture")
    assert (captured.status, captured.captured) == (HoldStatus.CAPTURED, usd("1.20"))
    wallet = await ledger.wallet(OWNER)
    assert (wallet.balance, wallet.held) == (usd("8.80"), 0)
    kinds = [(e.kind, e.balance_delta, e.held_delta) for e in (await ledger.ledger(OWNER)).entries]
    assert kinds[:3] == [
        (EntryKind.RELEASE, 0, -usd("0.30")),
        (EntryKind.CAPTURE, -usd("1.20"), -usd("1.20")),
        (EntryKind.HOLD, 0, usd("1.50")),
    ]
    await assert_consistent(ledger)


async def test_a_hold_is_never_captured_twice(ledger: Ledger) -> None:
    await funded(ledger)
    hold = await ledger.hold(OWNER, usd(1), "vg_b:hold", Purpose.VIDEO)
    first = await ledger.capture(hold.id, usd(1), "vg_b:capture")
    assert await ledger.capture(hold.id, usd(1), "vg_b:capture") == first  # redelivery
    with pytest.raises(DomainError) as err:
        await ledger.capture(hold.id, usd(1), "vg_b:capture-again")
    assert err.value.code is ErrorCode.CONFLICT
    assert (await ledger.wallet(OWNER)).balance == usd(9)
    await assert_consistent(ledger)


async def test_capture_beyond_the_hold_or_of_nothing_is_validation_error(ledger: Ledger) -> None:
    await funded(ledger)
    hold = await ledger.hold(OWNER, usd(1), "h", Purpose.VIDEO)
    for amount in (usd("1.000001"), 0, -5):
        with pytest.raises(DomainError) as err:
            await ledger.capture(hold.id, amount, f"c{amount}")
        assert err.value.code is ErrorCode.VALIDATION_ERROR


async def test_release_returns_the_hold_and_a_released_hold_cannot_be_captured(
    ledger: Ledger,
) -> None:
    await funded(ledger)
    hold = await ledger.hold(OWNER, usd(2), "h", Purpose.AVATAR_CREATION)
    released = await ledger.release(hold.id, "r1")
    assert released.status is HoldStatus.RELEASED
    assert (await ledger.release(hold.id, "r2")).status is HoldStatus.RELEASED  # no-op
    with pytest.raises(DomainError) as err:
        await ledger.capture(hold.id, usd(1), "c")
    assert err.value.code is ErrorCode.CONFLICT
    wallet = await ledger.wallet(OWNER)
    assert (wallet.balance, wallet.held) == (usd(10), 0)
    assert (await ledger.ledger(OWNER)).total == 3  # top-up, hold, one release
    await assert_consistent(ledger)


async def test_refund_gives_back_part_then_the_rest_of_a_capture(ledger: Ledger) -> None:
    await funded(ledger)
    hold = await ledger.hold(OWNER, usd(1), "av_1:hold", Purpose.AVATAR_CREATION)
    with pytest.raises(DomainError) as err:
        await ledger.refund(hold.id, 0, "av_1:refund-early")
    assert err.value.code is ErrorCode.CONFLICT
    await ledger.capture(hold.id, usd(1), "av_1:capture")
    part = await ledger.refund(hold.id, usd("0.25"), "av_1:refund-1")
    assert (part.status, part.refunded) == (HoldStatus.CAPTURED, usd("0.25"))
    with pytest.raises(DomainError) as err:
        await ledger.refund(hold.id, usd(1), "av_1:refund-too-much")
    assert err.value.code is ErrorCode.VALIDATION_ERROR
    rest = await ledger.refund(hold.id, 0, "av_1:refund-2")
    assert (rest.status, rest.refunded) == (HoldStatus.REFUNDED, usd(1))
    with pytest.raises(DomainError) as err:
        await ledger.refund(hold.id, 0, "av_1:refund-3")
    assert err.value.code is ErrorCode.CONFLICT
    assert (await ledger.wallet(OWNER)).balance == usd(10)
    await assert_consistent(ledger)


async def test_hold_not_settled_within_its_ttl_expires_and_cannot_be_captured(
    ledger: Ledger, clock: FakeClock
) -> None:
    await funded(ledger)
    hold = await ledger.hold(OWNER, usd(3), "vg_c:hold", Purpose.VIDEO, ttl_seconds=60)
    assert (await ledger.wallet(OWNER)).available == usd(7)
    clock.advance(61)
    with pytest.raises(DomainError) as err:
        await ledger.capture(hold.id, usd(3), "vg_c:capture")
    assert err.value.code is ErrorCode.CONFLICT
    assert "expired" in err.value.message
    assert (await ledger.get_hold(hold.id)).status is HoldStatus.EXPIRED
    entries = (await ledger.ledger(OWNER)).entries
    assert (entries[0].kind, entries[0].held_delta) == (EntryKind.EXPIRY, -usd(3))
    assert (await ledger.wallet(OWNER)).available == usd(10)
    await assert_consistent(ledger)


async def test_default_ttl_comes_from_the_rules(ledger: Ledger, clock: FakeClock) -> None:
    await funded(ledger)
    hold = await ledger.hold(OWNER, usd(1), "h", Purpose.VIDEO)
    assert (hold.expires_at - clock.now).total_seconds() == ledger.rules.hold_ttl_seconds
    with pytest.raises(DomainError) as err:
        await ledger.hold(OWNER, usd(1), "h2", Purpose.VIDEO, ttl_seconds=10**8)
    assert err.value.code is ErrorCode.VALIDATION_ERROR


async def test_sweeper_expires_due_holds_of_every_owner(ledger: Ledger, clock: FakeClock) -> None:
    for owner in ("own_a", "own_b"):
        await funded(ledger, owner=owner)
        await ledger.hold(owner, usd(1), f"{owner}:h1", Purpose.VIDEO, ttl_seconds=30)
        await ledger.hold(owner, usd(1), f"{owner}:h2", Purpose.VIDEO, ttl_seconds=3000)
    assert await ledger.expire_due_holds() == 0
    clock.advance(31)
    assert await ledger.expire_due_holds() == 2
    assert await ledger.expire_due_holds() == 0
    for owner in ("own_a", "own_b"):
        assert (await ledger.wallet(owner)).held == usd(1)
        await assert_consistent(ledger, owner)


async def test_daily_pose_cap_per_tier_resets_at_midnight_utc(
    ledger: Ledger, clock: FakeClock
) -> None:
    await funded(ledger)
    pose = usd("0.013")
    for i in range(3):  # the "default" tier's cap is 3 in these rules
        await ledger.hold(OWNER, pose, f"p{i}", Purpose.POSE)
    with pytest.raises(DomainError) as err:
        await ledger.hold(OWNER, pose, "p3", Purpose.POSE)
    assert err.value.code is ErrorCode.DAILY_CAP_REACHED
    assert err.value.retry_after == 12 * 3600  # the clock says noon UTC
    await ledger.hold(OWNER, pose, "pro0", Purpose.POSE, tier="pro")  # its own cap
    await ledger.hold(OWNER, usd(1), "video", Purpose.VIDEO)  # caps are for poses
    clock.advance(12 * 3600)
    await ledger.hold(OWNER, pose, "p3", Purpose.POSE)


async def test_released_pose_does_not_count_toward_the_cap(ledger: Ledger) -> None:
    await funded(ledger)
    holds = [await ledger.hold(OWNER, usd("0.013"), f"p{i}", Purpose.POSE) for i in range(3)]
    await ledger.release(holds[0].id, "r0")
    await ledger.capture(holds[1].id, usd("0.013"), "c1")
    await ledger.refund(holds[1].id, 0, "f1")
    await ledger.hold(OWNER, usd("0.013"), "p3", Purpose.POSE)
    await ledger.hold(OWNER, usd("0.013"), "p4", Purpose.POSE)
    with pytest.raises(DomainError) as err:
        await ledger.hold(OWNER, usd("0.013"), "p5", Purpose.POSE)
    assert err.value.code is ErrorCode.DAILY_CAP_REACHED


async def test_ledger_rows_cannot_be_changed_or_deleted(ledger: Ledger) -> None:
    await funded(ledger)
    for statement in (
        "UPDATE ledger_entries SET balance_delta_micros = 0",
        "DELETE FROM ledger_entries",
    ):
        with pytest.raises(DatabaseError, match="append-only"):
            async with ledger._db.transaction() as s:
                await s.execute(text(statement))
    await assert_consistent(ledger)


async def test_schema_refuses_a_negative_balance(ledger: Ledger) -> None:
    await funded(ledger)
    with pytest.raises(DatabaseError):
        async with ledger._db.transaction() as s:
            await s.execute(text("UPDATE wallets SET balance_micros = -1"))


async def test_ledger_pages_newest_first(ledger: Ledger) -> None:
    for i in range(5):
        await ledger.top_up(OWNER, usd(i + 1), f"t{i}")
    first = await ledger.ledger(OWNER, page=1, limit=2)
    third = await ledger.ledger(OWNER, page=3, limit=2)
    assert first.total == third.total == 5
    assert [e.balance_delta for e in first.entries] == [usd(5), usd(4)]
    assert [e.balance_delta for e in third.entries] == [usd(1)]
    with pytest.raises(DomainError) as err:
        await ledger.ledger(OWNER, page=1, limit=101)
    assert err.value.code is ErrorCode.VALIDATION_ERROR


async def test_hold_of_an_unknown_id_is_not_found(ledger: Ledger) -> None:
    for call in (
        ledger.get_hold("hd_missing"),
        ledger.capture("hd_missing", 1, "k"),
        ledger.release("hd_missing", "k"),
    ):
        with pytest.raises(DomainError) as err:
            await call
        assert err.value.code is ErrorCode.NOT_FOUND


def test_price_book_defaults_match_the_contract_and_are_configurable(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    prices = BillingSettings().price_book()
    assert (prices.avatar_creation, prices.pose) == (1_000_000, 13_000)
    assert (prices.video_avatar_per_second, prices.video_avatar_pro_per_second) == (
        50_000,
        80_000,
    )
    monkeypatch.setenv("AVATARMESH_BILLING_PRICE_POSE_USD", "0.02")
    monkeypatch.setenv("AVATARMESH_BILLING_DAILY_POSE_CAPS", '{"default": 7}')
    settings = BillingSettings()
    assert settings.price_book().pose == 20_000
    assert settings.rules().daily_pose_cap("anything") == 7
