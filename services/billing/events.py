"""What the billing service consumes and publishes on the bus: nothing. Every movement
of money is a synchronous gRPC call (Hold, Capture, Release, Refund, TopUp) answered
from one transaction, and holds expire by the sweeper in ``__main__``; the service
runs without the bus (``uses_bus=False``)."""

from __future__ import annotations

from avatarmesh.subscriptions import Background


def consumers() -> list[Background]:
    return []
