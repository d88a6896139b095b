"""Property-based: random sequences of top-ups, holds, captures, releases, refunds,
clock jumps and sweeps, with replays, concurrent duplicates and reused keys.

After every step: the balance is never negative, the ledger sums to the wallet
(``verify``), and the balance equals what a simple model of first-time effects says.
A key reused with the same parameters answers the first result; with others,
IDEMPOTENCY_CONFLICT. At the end every hold is captured, released or expired (or
refunded), nothing was captured twice, and refunds never exceed captures.
"""

from __future__ import annotations

import asyncio
import tempfile
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from avatarmesh.errors import DomainError, ErrorCode
from services.billing.ledger import Ledger
from services.billing.logic import Hold, HoldStatus, Purpose, Wallet
from services.billing.store import HoldRow, LedgerEntryRow
from tests.unit.billing.support import RULES, FakeClock, sqlite_ledger

OWNER = "own_prop"
CENT = 10_000  # micro-dollars

# Refusals the rules may give for a well-formed call in some state.
EXPECTED_REFUSALS = {
    ErrorCode.WALLET_NOT_FOUND,
    ErrorCode.INSUFFICIENT_BALANCE,
    ErrorCode.INSUFFICIENT_BALANCE_FOR_POSE,
    ErrorCode.DAILY_CAP_REACHED,
    ErrorCode.CONFLICT,
    ErrorCode.VALIDATION_ERROR,
}

keys = st.integers(0, 4)
holds = st.integers(0, 7)
top_ups = st.tuples(st.just("top_up"), st.integers(1, 1500), keys)
new_holds = st.tuples(
    st.just("hold"),
    st.integers(1, 1200),
    st.sampled_from(list(Purpose)),
    st.sampled_from([0, 30, 600]),
    keys,
)
captures = st.tuples(st.just("capture"), holds, st.sampled_from([0.25, 0.5, 1.0, 1.2]), keys)
# Holds first: Hypothesis leans to the first alternatives when it simplifies.
ops = st.one_of(
    new_holds,
    captures,
    new_holds,
    captures,
    top_ups,
    st.tuples(st.just("release"), holds, keys),
    st.tuples(st.just("refund"), holds, st.sampled_from([0.0, 0.3, 0.5]), keys),
    st.tuples(st.just("advance"), st.sampled_from([10, 100, 700, 4000])),
    st.tuples(st.just("sweep")),
    st.tuples(st.just("replay"), st.integers(0, 1000)),
)
FUND = (("top_up", 2000, 4), False)
# Mostly sequences that start by funding the wallet ($20); some that do not.
steps = st.tuples(
    st.sampled_from([True, True, True, False]),
    st.lists(st.tuples(ops, st.booleans()), min_size=4, max_size=25),
).map(lambda funded_ops: [FUND, *funded_ops[1]] if funded_ops[0] else funded_ops[1])


@dataclass
class Model:
    """What the wallet must hold, from the first-time effects the calls reported."""

    balance: int = 0
    hold_ids: list[str] = field(default_factory=list)
    # (operation, key) -> (params, first result)
    first: dict[tuple[str, str], tuple[tuple[Any, ...], Wallet | Hold]] = field(
        default_factory=dict
    )
    calls: list[tuple[str, str, tuple[Any, ...]]] = field(default_factory=list)


async def call(ledger: Ledger, operation: str, key: str, params: tuple[Any, ...]) -> Wallet | Hold:
    if operation == "top_up":
        return await ledger.top_up(OWNER, params[0], key)
    if operation == "hold":
        amount, purpose, ttl = params
        return await ledger.hold(OWNER, amount, key, purpose, ttl_seconds=ttl, reference=key)
    if operation == "capture":
        return await ledger.capture(params[0], params[1], key)
    if operation == "release":
        return await ledger.release(params[0], key)
    if operation == "refund":
        return await ledger.refund(params[0], params[1], key)
    raise AssertionError(operation)


def apply_first_effect(
    model: Model,
    operation: str,
    params: tuple[Any, ...],
    result: Wallet | Hold,
    before: Hold | None,
) -> None:
    if operation == "top_up":
        assert isinstance(result, Wallet)
        model.balance += params[0]
    elif operation == "hold":
        assert isinstance(result, Hold)
        model.hold_ids.append(result.id)
    elif operation == "capture":
        assert isinstance(result, Hold)
        model.balance -= result.captured
    elif operation == "refund":
        assert isinstance(result, Hold) and before is not None
        model.balance += result.refunded - before.refunded


async def step(
    ledger: Ledger, clock: FakeClock, model: Model, op: tuple[Any, ...], twice: bool
) -> None:
    kind = op[0]
    if kind == "advance":
        clock.advance(op[1])
        return
    if kind == "sweep":
        await ledger.expire_due_holds()
        return
    if kind == "replay":
        if not model.calls:
            return
        operation, key, params = model.calls[op[1] % len(model.calls)]
    else:
        operation, key, params = await resolve(ledger, model, op)
        if operation == "":
            return
        model.calls.append((operation, key, params))

    before = await ledger.get_hold(params[0]) if operation in ("capture", "refund") else None
    attempts = 2 if twice else 1
    outcomes = await asyncio.gather(
        *(call(ledger, operation, key, params) for _ in range(attempts)), return_exceptions=True
    )
    for outcome in outcomes:
        if isinstance(outcome, BaseException) and not isinstance(outcome, DomainError):
            raise outcome
    for outcome in outcomes:
        event(f"{operation}: {outcome.code.name if isinstance(outcome, DomainError) else 'ok'}")
    seen = model.first.get((operation, key))
    if seen is not None:
        first_params, first_result = seen
        for outcome in outcomes:
            if params == first_params:
                assert outcome == first_result, (operation, key, outcome, first_result)
            else:
                assert isinstance(outcome, DomainError), outcome
                assert outcome.code is ErrorCode.IDEMPOTENCY_CONFLICT
        return
    successes = [o for o in outcomes if not isinstance(o, BaseException)]
    for outcome in outcomes:
        if isinstance(outcome, DomainError):
            assert outcome.code in EXPECTED_REFUSALS, outcome
    if successes:
        # Concurrent duplicates: both answer the one first result.
        assert all(o == successes[0] for o in successes)
        assert len(successes) == attempts, outcomes
        model.first[(operation, key)] = (params, successes[0])
        apply_first_effect(model, operation, params, successes[0], before)
        # A redelivered message: the same call again answers the same, changes nothing.
        assert await call(ledger, operation, key, params) == successes[0]


async def resolve(
    ledger: Ledger, model: Model, op: tuple[Any, ...]
) -> tuple[str, str, tuple[Any, ...]]:
    kind = op[0]
    if kind == "top_up":
        return kind, f"top_up:{op[2]}", (op[1] * CENT,)
    if kind == "hold":
        return kind, f"hold:{op[4]}", (op[1] * CENT, op[2], op[3])
    if not model.hold_ids:
        return "", "", ()
    hold_id = model.hold_ids[op[1] % len(model.hold_ids)]
    if kind == "release":
        return kind, f"release:{op[2]}", (hold_id,)
    hold = await ledger.get_hold(hold_id)
    if kind == "capture":
        return kind, f"capture:{op[3]}", (hold_id, max(1, int(hold.amount * op[2])))
    return kind, f"refund:{op[3]}", (hold_id, int(hold.captured * op[2]))


async def check_invariants(ledger: Ledger, model: Model) -> None:
    try:
        wallet = await ledger.wallet(OWNER)
    except DomainError as exc:
        assert exc.code is ErrorCode.WALLET_NOT_FOUND
        assert model.balance == 0
        return
    assert wallet.balance >= 0 and wallet.available >= 0
    assert wallet.balance == model.balance
    check = await ledger.verify(OWNER)
    assert check.consistent, check


async def check_final(ledger: Ledger, clock: FakeClock, model: Model) -> None:
    clock.advance(RULES.max_hold_ttl_seconds + 1)
    await ledger.expire_due_holds()
    await check_invariants(ledger, model)
    async with ledger._db.sessions() as s:
        rows = list(await s.scalars(select(HoldRow)))
        entries = list(await s.scalars(select(LedgerEntryRow)))
    settled = {HoldStatus.CAPTURED, HoldStatus.RELEASED, HoldStatus.EXPIRED, HoldStatus.REFUNDED}
    assert {HoldStatus(r.status) for r in rows} <= settled
    captures = Counter(e.hold_id for e in entries if e.kind == "capture")
    assert all(n == 1 for n in captures.values()), captures
    for row in rows:
        charged = -sum(
            e.balance_delta_micros for e in entries if e.hold_id == row.id and e.kind == "capture"
        )
        refunded = sum(
            e.balance_delta_micros for e in entries if e.hold_id == row.id and e.kind == "refund"
        )
        assert charged == row.captured_micros <= row.amount_micros
        assert refunded == row.refunded_micros <= row.captured_micros
        assert sum(e.held_delta_micros for e in entries if e.hold_id == row.id) == 0
    if rows:
        assert (await ledger.wallet(OWNER)).held == 0


async def run_sequence(sequence: list[tuple[tuple[Any, ...], bool]]) -> None:
    clock = FakeClock()
    model = Model()
    with tempfile.TemporaryDirectory() as directory:
        async with sqlite_ledger(Path(directory), clock) as ledger:
            for op, twice in sequence:
                await step(ledger, clock, model, op, twice)
                await check_invariants(ledger, model)
            await check_final(ledger, clock, model)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(steps)
def test_random_operation_sequences_keep_the_ledger_invariants(
    sequence: list[tuple[tuple[Any, ...], bool]],
) -> None:
    asyncio.run(run_sequence(sequence))
