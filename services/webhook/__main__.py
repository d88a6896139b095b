"""Wire-up: ``python -m services.webhook`` serves WebhookService (signing secrets,
delivery history), takes ``events.video.>`` in on the durable consumer
``webhook-video-events`` and runs the dispatcher that delivers them."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from avatarmesh.bus import EVENTS_STREAM
from avatarmesh.outbox import run_inbox_purge
from avatarmesh.service import Runtime, ServiceSpec, Wiring, run_service
from avatarmesh.storage import Storage
from avatarmesh.v1 import events_pb2
from services.webhook.config import WebhookSettings
from services.webhook.logic import (
    Dispatcher,
    Intake,
    SecretBox,
    SigningSecrets,
    run_housekeeping,
)
from services.webhook.server import servicer
from services.webhook.store import inbox

CONSUMER = ("webhook-video-events", "events.video.>")


def wire(rt: Runtime[WebhookSettings]) -> Wiring:
    assert rt.db is not None and rt.bus is not None
    db, bus, settings = rt.db, rt.bus, rt.settings
    secrets = SigningSecrets(
        db,
        SecretBox(settings.webhook_secret_encryption_key),
        timedelta(seconds=settings.webhook_secret_grace_seconds),
    )
    storage = Storage(settings)
    dispatcher = Dispatcher(db, secrets, settings, storage.presigned_get)
    intake = Intake(db, dispatcher.wake)

    async def consume() -> None:
        await bus.consume(
            stream=EVENTS_STREAM,
            durable=CONSUMER[0],
            filter_subject=CONSUMER[1],
            message_type=events_pb2.VideoSettled,
            handler=intake.handle,
            max_deliver=10,
            backoff=(1, 5, 15, 60),
        )

    retention = timedelta(days=settings.webhook_retention_days)
    return Wiring(
        servicers=[servicer(db, secrets)],
        background=[
            consume,
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
