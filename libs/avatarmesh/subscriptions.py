"""What a service consumes, declared as data: one ``Subscription`` per durable consumer,
with a named ``RetryPolicy`` instead of delivery counts and backoff tuples spelled at
each call site.

A service's ``events.py`` declares its subscriptions at the top (durable, subject,
message type, policy) and binds them to handlers in one function that the wire-up
calls, so what the service listens to reads as one table::

    RENDER_COMPLETED = Subscription(
        "video-render-completed", "events.render.completed", events_pb2.RenderCompleted,
        SETTLEMENT,
    )

    def consumers(bus: Bus, videos: Reconciler) -> list[Background]:
        return [RENDER_COMPLETED.consumer(bus, videos.on_render_completed)]
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from typing import Any, Generic

from avatarmesh.bus import EVENTS_STREAM, Bus, DeadLetterCallback, Handler, M

Background = Callable[[], Coroutine[Any, Any, None]]


@dataclass(frozen=True)
class RetryPolicy:
    """How many times a failing message is tried (``max_deliver``) and how long the bus
    waits before each retry (``backoff[n - 1]`` after the n-th failure; the last value
    repeats). After the last try the message is dead-lettered."""

    name: str
    max_deliver: int
    backoff: tuple[float, ...]

    def with_max_deliver(self, max_deliver: int) -> RetryPolicy:
        """The same policy with another delivery count (a setting may tune it)."""
        return dataclasses.replace(self, max_deliver=max_deliver)


# Progress reports: a newer one follows soon, so a failing one is dropped quickly.
LATEST_WINS = RetryPolicy("latest-wins", max_deliver=2, backoff=(1.0,))
# The bus's default: a few quick retries for work whose failure is reported anyway.
STANDARD = RetryPolicy("standard", max_deliver=5, backoff=(1.0, 5.0, 15.0))
# Money and final states (captures, releases, settled records): keep trying for about
# a quarter of an hour, so a billing or database outage does not lose a settlement.
SETTLEMENT = RetryPolicy("settlement", max_deliver=20, backoff=(1.0, 5.0, 15.0, 30.0, 60.0))
# Intake of events that are delivered onwards (webhooks): retried for a few minutes.
INTAKE = RetryPolicy("intake", max_deliver=10, backoff=(1.0, 5.0, 15.0, 60.0))
# Rendering and creation jobs: expensive, so tried a few times with longer pauses.
RENDER = RetryPolicy("render", max_deliver=3, backoff=(2.0, 10.0, 30.0))
# Canary probes: a few quick retries; a probe that keeps failing is itself the alarm
# (the video service times the canary out and reports the worker pool down).
PROBE = RetryPolicy("probe", max_deliver=3, backoff=(1.0, 5.0, 15.0))


@dataclass(frozen=True)
class Subscription(Generic[M]):
    """One durable pull consumer: where it reads, what it decodes, how it retries."""

    durable: str
    subject: str
    message_type: type[M]
    policy: RetryPolicy
    stream: str = EVENTS_STREAM
    ack_wait: float = 30.0
    concurrency: int = 1

    def tuned(
        self, *, ack_wait: float | None = None, concurrency: int | None = None
    ) -> Subscription[M]:
        """The same subscription with another ack wait or concurrency (from settings)."""
        return dataclasses.replace(
            self,
            ack_wait=self.ack_wait if ack_wait is None else ack_wait,
            concurrency=self.concurrency if concurrency is None else concurrency,
        )

    def consumer(
        self,
        bus: Bus,
        handler: Handler[M],
        *,
        policy: RetryPolicy | None = None,
        on_dead_letter: DeadLetterCallback[M] | None = None,
    ) -> Background:
        """The background task that runs ``handler`` for each message (``policy``
        overrides the declared one, e.g. from settings)."""
        chosen = policy or self.policy

        async def run() -> None:
            await bus.consume(
                stream=self.stream,
                durable=self.durable,
                filter_subject=self.subject,
                message_type=self.message_type,
                handler=handler,
                max_deliver=chosen.max_deliver,
                ack_wait=self.ack_wait,
                backoff=chosen.backoff,
                concurrency=self.concurrency,
                on_dead_letter=on_dead_letter,
            )

        run.__qualname__ = f"consume[{self.durable}]"
        return run
