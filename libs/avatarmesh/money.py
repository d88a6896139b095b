"""Money as integer micro-dollars, the only representation inside the mesh.

JSON shows dollars as numbers; conversion happens at the edge with these helpers,
never with float arithmetic on amounts.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

Micros = int
MICROS_PER_USD = 1_000_000


def usd(amount: str | int | Decimal) -> Micros:
    """Dollars (given exactly, e.g. "0.013") to micro-dollars."""
    micros = Decimal(str(amount)) * MICROS_PER_USD
    if micros != micros.to_integral_value():
        raise ValueError(f"{amount} USD is not a whole number of micro-dollars")
    return int(micros)


def to_usd(micros: Micros) -> float:
    """Micro-dollars to a dollar number for JSON (exact to 6 decimals)."""
    return float(Decimal(micros) / MICROS_PER_USD)


def cost_for_seconds(rate_micros_per_second: Micros, seconds: float | Decimal) -> Micros:
    """Per-second price times a duration, rounded half-up to the micro-dollar."""
    exact = Decimal(rate_micros_per_second) * Decimal(str(seconds))
    return int(exact.quantize(Decimal(1), rounding=ROUND_HALF_UP))
