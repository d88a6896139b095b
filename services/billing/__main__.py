"""Wire-up: ``python -m services.billing`` serves BillingService (health and
reflection on) and runs the hold-expiry sweeper."""

from __future__ import annotations

from pathlib import Path

from avatarmesh.service import Runtime, ServiceSpec, Wiring, run_service
from services.billing import events
from services.billing.config import BillingSettings
from services.billing.ledger import Ledger
from services.billing.server import servicer


def wire(rt: Runtime[BillingSettings]) -> Wiring:
    assert rt.db is not None, "billing has migrations, so the runtime opens its database"
    ledger = Ledger(rt.db, rt.settings.rules())
    interval = rt.settings.billing_sweep_interval_seconds
    return Wiring(
        servicers=[servicer(ledger, rt.settings.price_book())],
        background=[lambda: ledger.run_sweeper(interval), *events.consumers()],
    )


SPEC = ServiceSpec(
    name="billing",
    settings_class=BillingSettings,
    wire=wire,
    migrations=Path(__file__).parent / "migrations",
    uses_bus=False,
)

if __name__ == "__main__":
    run_service(SPEC)
