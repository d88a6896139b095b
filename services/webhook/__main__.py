"""Wire-up: ``python -m services.webhook`` serves WebhookService (signing secrets,
delivery history, webhook endpoints), takes ``events.video.>`` and
``events.avatar.ready|failed`` in (``events``) and runs the dispatcher
that delivers them, the housekeeping and the inbox purge."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from avatarmesh.outbox import run_inbox_purge
from avatarmesh.service import Runtime, ServiceSpec, Wiring, run_service
from avatarmesh.storage import Storage
from services.webhook import events
from services.webhook.config import WebhookSettings
from services.webhook.dispatch import Dispatcher
from services.webhook.endpoints import Endpoints
from services.webhook.housekeeping import run_housekeeping
from services.webhook.intake import Intake
from services.webhook.secrets import SecretBox, SigningSecrets
from services.webhook.server import servicer
from services.webhook.store import inbox


def wire(rt: Runtime[WebhookSettings]) -> Wiring:
    assert rt.db is not None and rt.bus is not None
    db, bus, settings = rt.db, rt.bus, rt.settings
    secrets = SigningSecrets(
        db,
        SecretBox(settings.webhook_secret_encryption_key),
        timedelta(seconds=settings.webhook_secret_grace_seconds),
    )
    endpoints = Endpoints(
        db,
        SecretBox(settings.webhook_secret_encryption_key),
        timedelta(seconds=settings.webhook_secret_grace_seconds),
        allow_insecure_loopback=settings.allow_insecure_loopback,
    )
    storage = Storage(settings)
    dispatcher = Dispatcher(
        db, secrets, settings, storage.presigned_get, endpoint_keys=endpoints.signing_keys
    )
    endpoints.wake = dispatcher.wake
    intake = Intake(db, dispatcher.wake)

    retention = timedelta(days=settings.webhook_retention_days)
    return Wiring(
        servicers=[servicer(db, secrets, endpoints)],
        background=[
            *events.consumers(bus, intake),
            dispatcher.run,
            lambda: run_housekeeping(db, retention),
            lambda: run_inbox_purge(db, inbox),
        ],
    )


SPEC = ServiceSpec(
    name="webhook",
    settings_class=WebhookSettings,
    wire=wire,
    migrations=Path(__file__).parent / "migrations",
)

if __name__ == "__main__":
    run_service(SPEC)
