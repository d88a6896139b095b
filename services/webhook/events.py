"""What the webhook service consumes: every settled video (``events.video.>``) on one
durable, ``webhook-video-events``, with the intake retry policy. It publishes nothing
on the bus: its output is the signed POST to the owner's ``webhook_url``."""

from __future__ import annotations

from avatarmesh.bus import Bus
from avatarmesh.subscriptions import INTAKE, Background, Subscription
from avatarmesh.v1 import events_pb2
from services.webhook.intake import Intake

VIDEO_SETTLED = Subscription(
    "webhook-video-events", "events.video.>", events_pb2.VideoSettled, INTAKE
)


def consumers(bus: Bus, intake: Intake) -> list[Background]:
    return [VIDEO_SETTLED.consumer(bus, intake.handle)]
