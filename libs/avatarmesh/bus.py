"""The message bus: NATS JetStream streams, de-duplicated publishing, pull consumers.

Three streams, declared at connect (added or updated, so every replica may do it):

- ``JOBS`` (``jobs.>``), work-queue retention: each job is handed to one worker and
  removed once acked.
- ``EVENTS`` (``events.>``), limits retention (7 days): facts any service may follow
  with its own durable consumer.
- ``DEADLETTER`` (``deadletter.>``): a ``DeadLetter`` for every message a consumer gave
  up on, kept 30 days for inspection and replay.

``settings.bus_namespace`` prefixes every subject (``t1.jobs.lipsync``) and stream
(``t1_JOBS``), so several meshes or tests share one server. Callers always use the
un-namespaced names.

Publishing sets ``Nats-Msg-Id`` (the server drops a repeat inside the duplicate window)
and the W3C trace context. ``consume`` runs a handler per message inside a CONSUMER span
continuing the publisher's trace; the handler's outcome decides ack, nak with delay,
or dead-letter + term (see ``consume``).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import partial
from typing import Generic, TypeVar

import nats
import nats.errors
import nats.js.errors
from google.protobuf.message import DecodeError, Message
from nats.aio.client import Client as NatsClient
from nats.aio.msg import Msg
from nats.js import JetStreamContext
from nats.js.api import (
    AckPolicy,
    ConsumerConfig,
    DeliverPolicy,
    RetentionPolicy,
    StorageType,
    StreamConfig,
)
from opentelemetry import trace
from opentelemetry.trace import SpanKind, Status, StatusCode

from avatarmesh.ids import IdPrefix, new_id
from avatarmesh.settings import Settings
from avatarmesh.telemetry import extract, inject, tracer
from avatarmesh.v1 import events_pb2, jobs_pb2

log = logging.getLogger(__name__)
_tracer = tracer(__name__)

JOBS_STREAM = "JOBS"
EVENTS_STREAM = "EVENTS"
DEADLETTER_STREAM = "DEADLETTER"

MSG_ID_HEADER = "Nats-Msg-Id"
_DAY = 24 * 3600.0
# How long the server remembers a Nats-Msg-Id. Long enough for a relay that crashed
# between publishing and marking a row to come back and publish it again harmlessly.
DUPLICATE_WINDOW = 2 * 3600.0
# How long one fetch waits on an empty queue before asking again. Short, so a pull
# request left on the server by a cancelled consumer expires quickly.
FETCH_TIMEOUT = 1.0
# How long a JetStream API request that timed out (declaring a stream or consumer) is
# asked again before the caller gives up. A server busy with its disk answers late;
# exiting on the first timeout only restarts the service into the same wait.
JETSTREAM_API_RETRY_S = 60.0

_STREAMS: dict[str, tuple[str, RetentionPolicy, float]] = {
    # name: (subject root, retention, max age in seconds; 0 = unlimited)
    JOBS_STREAM: ("jobs", RetentionPolicy.WORK_QUEUE, 0.0),
    EVENTS_STREAM: ("events", RetentionPolicy.LIMITS, 7 * _DAY),
    DEADLETTER_STREAM: ("deadletter", RetentionPolicy.LIMITS, 30 * _DAY),
}

M = TypeVar("M", bound=Message)
T = TypeVar("T")


async def ask_jetstream(
    what: str, request: Callable[[], Awaitable[T]], *, within: float = JETSTREAM_API_RETRY_S
) -> T:
    """``request()``, asked again with backoff while JetStream does not answer in time,
    for at most ``within`` seconds (then the timeout is raised)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + within
    delay = 0.5
    while True:
        try:
            return await request()
        except (TimeoutError, nats.errors.NoRespondersError) as exc:
            if loop.time() + delay > deadline:
                raise
            log.warning(
                "%s: JetStream did not answer (%s); asking again in %.1f s",
                what,
                type(exc).__name__,
                delay,
            )
            await asyncio.sleep(delay)
            delay = min(delay * 2, 5.0)


class Retry(Exception):
    """Raised by a handler: a transient failure, deliver again after ``delay`` seconds."""

    def __init__(self, delay: float, reason: str = "") -> None:
        super().__init__(reason or f"retry in {delay}s")
        self.delay = delay


class Poison(Exception):
    """Raised by a handler: the message can never succeed; dead-letter it now."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class DeliveriesExhausted(Exception):
    """Given to ``on_dead_letter`` when a message arrives past ``max_deliver`` (the
    process handling it earlier died or overran ``ack_wait`` every time)."""


class BusNotConnected(RuntimeError):
    pass


def event_meta() -> events_pb2.EventMeta:
    """The ``meta`` of a new event: a fresh ``ev_`` id (consumers dedupe on it) and the
    moment it happened."""
    meta = events_pb2.EventMeta(event_id=new_id(IdPrefix.EVENT))
    meta.occurred_at.GetCurrentTime()
    return meta


@dataclass
class Delivery(Generic[M]):
    """One delivery of a message to a handler."""

    message: M
    subject: str  # un-namespaced, e.g. "jobs.lipsync.avatar"
    msg_id: str | None
    num_delivered: int
    headers: Mapping[str, str]
    stream_seq: int
    _msg: Msg = field(repr=False)

    async def in_progress(self) -> None:
        """Tell the server the work goes on: resets the ack_wait timer."""
        await self._msg.in_progress()

    @contextlib.asynccontextmanager
    async def keep_alive(self, every: float) -> AsyncIterator[None]:
        """Call ``in_progress`` every ``every`` seconds while the block runs."""

        async def beat() -> None:
            while True:
                await asyncio.sleep(every)
                try:
                    await self.in_progress()
                except Exception:  # a missed beat is not fatal; the next one may land
                    log.warning("in_progress failed for %s", self.subject, exc_info=True)

        task = asyncio.create_task(beat())
        try:
            yield
        finally:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task


Handler = Callable[[Delivery[M]], Awaitable[None]]
DeadLetterCallback = Callable[[Delivery[M], Exception], Awaitable[None]]


class Bus:
    """One service's connection to NATS JetStream."""

    def __init__(self, settings: Settings, service: str) -> None:
        self.settings = settings
        self.service = service
        self.namespace = settings.bus_namespace
        self._nc: NatsClient | None = None
        self._js: JetStreamContext | None = None

    # -- names -----------------------------------------------------------------

    def subject(self, name: str) -> str:
        """``jobs.lipsync`` -> ``<namespace>.jobs.lipsync`` (unchanged without one)."""
        return f"{self.namespace}.{name}" if self.namespace else name

    def stream(self, name: str) -> str:
        """``JOBS`` -> ``<namespace>_JOBS`` (unchanged without a namespace)."""
        return f"{self.namespace}_{name}" if self.namespace else name

    def local_subject(self, subject: str) -> str:
        """The inverse of ``subject``: strips the namespace."""
        prefix = f"{self.namespace}." if self.namespace else ""
        return subject[len(prefix) :] if prefix and subject.startswith(prefix) else subject

    # -- connection ------------------------------------------------------------

    @property
    def js(self) -> JetStreamContext:
        if self._js is None:
            raise BusNotConnected("Bus.connect() was not called")
        return self._js

    @property
    def is_connected(self) -> bool:
        return self._nc is not None and self._nc.is_connected

    async def connect(self) -> None:
        """Connect (reconnecting forever after the first success) and declare streams."""

        async def on_error(exc: Exception) -> None:
            log.warning("nats error: %s", exc)

        async def on_disconnected() -> None:
            if self._nc is not None:  # not our own close()
                log.warning("nats disconnected")

        async def on_reconnected() -> None:
            log.info("nats reconnected")

        self._nc = await nats.connect(
            servers=[self.settings.nats_url],
            name=f"avatarmesh-{self.service}",
            allow_reconnect=True,
            max_reconnect_attempts=-1,
            reconnect_time_wait=1,
            connect_timeout=5,
            error_cb=on_error,
            disconnected_cb=on_disconnected,
            reconnected_cb=on_reconnected,
        )
        self._js = self._nc.jetstream(timeout=10)
        await self.declare_streams()

    async def declare_streams(self) -> None:
        for name, (root, retention, max_age) in _STREAMS.items():
            config = StreamConfig(
                name=self.stream(name),
                subjects=[self.subject(f"{root}.>")],
                retention=retention,
                storage=StorageType.FILE,
                max_age=max_age,
                duplicate_window=DUPLICATE_WINDOW,
            )
            await ask_jetstream(
                f"stream {config.name}", partial(self._add_or_update_stream, config)
            )

    async def _add_or_update_stream(self, config: StreamConfig) -> None:
        assert config.name is not None
        try:
            await self.js.stream_info(config.name)
        except nats.js.errors.NotFoundError:
            try:
                await self.js.add_stream(config)
                return
            except nats.js.errors.BadRequestError:
                pass  # another replica added it first: update it below
        await self.js.update_stream(config)

    async def close(self) -> None:
        """Drain: finish in-flight publishes and subscriptions, then disconnect."""
        nc, self._nc, self._js = self._nc, None, None
        if nc is None or nc.is_closed:
            return
        try:
            await nc.drain()
        except Exception:
            log.warning("nats drain failed; closing", exc_info=True)
            with contextlib.suppress(Exception):
                await nc.close()

    # -- publishing ------------------------------------------------------------

    async def publish(
        self,
        subject: str,
        message: Message,
        *,
        msg_id: str,
        headers: dict[str, str] | None = None,
    ) -> bool:
        """Publish ``message`` to ``subject`` (un-namespaced) with the current trace
        context. Returns True when the server already had ``msg_id`` (a duplicate)."""
        with _tracer.start_as_current_span(
            f"publish {subject}",
            kind=SpanKind.PRODUCER,
            attributes={
                "messaging.system": "nats",
                "messaging.destination.name": subject,
                "messaging.message.id": msg_id,
            },
        ):
            hdrs = dict(headers or {})
            inject(hdrs)
            return await self.publish_raw(
                subject, message.SerializeToString(), msg_id=msg_id, headers=hdrs
            )

    async def publish_raw(
        self,
        subject: str,
        payload: bytes,
        *,
        msg_id: str,
        headers: Mapping[str, str] | None = None,
    ) -> bool:
        """Publish bytes as they are (the outbox relay: headers were captured at write
        time). Returns True when the server says ``msg_id`` is a duplicate."""
        hdrs = dict(headers or {})
        hdrs[MSG_ID_HEADER] = msg_id
        ack = await self.js.publish(self.subject(subject), payload, headers=hdrs)
        return bool(ack.duplicate)

    # -- consuming -------------------------------------------------------------

    async def declare_consumer(
        self,
        *,
        stream: str,
        durable: str,
        filter_subject: str,
        ack_wait: float = 30.0,
        max_ack_pending: int | None = None,
    ) -> None:
        """Add (or update) a durable pull consumer with explicit acks.

        The server's own max_deliver is left unlimited: ``consume`` counts deliveries
        and dead-letters a message itself, so a message whose handler keeps crashing
        the process is dead-lettered (and its owner told) instead of silently dropped.
        """
        config = ConsumerConfig(
            durable_name=durable,
            ack_policy=AckPolicy.EXPLICIT,
            deliver_policy=DeliverPolicy.ALL,
            ack_wait=ack_wait,
            max_deliver=-1,
            filter_subject=self.subject(filter_subject),
            max_ack_pending=max_ack_pending,
        )
        await ask_jetstream(
            f"consumer {durable}", lambda: self.js.add_consumer(self.stream(stream), config)
        )

    async def queue_depth(self, stream: str, durable: str) -> int:
        """Messages waiting for the consumer plus those handed out and not yet acked."""
        info = await self.js.consumer_info(self.stream(stream), durable)
        return (info.num_pending or 0) + (info.num_ack_pending or 0)

    async def consume(
        self,
        *,
        stream: str,
        durable: str,
        filter_subject: str,
        message_type: type[M],
        handler: Handler[M],
        max_deliver: int = 5,
        ack_wait: float = 30.0,
        backoff: Sequence[float] = (1, 5, 15),
        concurrency: int = 1,
        on_dead_letter: DeadLetterCallback[M] | None = None,
    ) -> None:
        """Run ``handler`` for each message on the durable consumer until cancelled.

        - success: ack.
        - ``Retry(delay)``: nak with that delay.
        - ``Poison(reason)`` or an undecodable payload: dead-letter now.
        - any other exception: nak with ``backoff[num_delivered - 1]`` (last value
          repeats) until ``max_deliver`` attempts have failed, then dead-letter.
        - a message delivered more than ``max_deliver`` times (earlier attempts died
          without an answer) is dead-lettered without running the handler.

        Dead-lettering publishes a ``DeadLetter`` to ``deadletter.<subject>``, awaits
        ``on_dead_letter(delivery, error)`` (the owner fails the job, refunds), then
        terms the message. If any of that fails the message is nak'ed and tried again.

        ``concurrency`` handlers run at once, each with its own pull subscription on the
        same durable. On cancellation fetching stops; a message whose handler was
        interrupted is nak'ed (never acked) so another consumer gets it at once.
        """
        await self.declare_consumer(
            stream=stream, durable=durable, filter_subject=filter_subject, ack_wait=ack_wait
        )
        worker = _Worker(
            bus=self,
            stream=self.stream(stream),
            durable=durable,
            message_type=message_type,
            handler=handler,
            max_deliver=max_deliver,
            backoff=tuple(backoff) or (1.0,),
            on_dead_letter=on_dead_letter,
        )
        async with asyncio.TaskGroup() as group:
            for _ in range(max(1, concurrency)):
                group.create_task(worker.run())


@dataclass
class _Worker(Generic[M]):
    bus: Bus
    stream: str
    durable: str
    message_type: type[M]
    handler: Handler[M]
    max_deliver: int
    backoff: tuple[float, ...]
    on_dead_letter: DeadLetterCallback[M] | None

    async def run(self) -> None:
        sub = await ask_jetstream(
            f"consumer {self.durable}",
            lambda: self.bus.js.pull_subscribe_bind(durable=self.durable, stream=self.stream),
        )
        try:
            while True:
                try:
                    msgs = await sub.fetch(1, timeout=FETCH_TIMEOUT)
                except (TimeoutError, nats.errors.TimeoutError):
                    continue  # empty queue
                except nats.errors.ConnectionClosedError:
                    log.info("consumer %s: connection closed, stopping", self.durable)
                    return
                except (nats.errors.Error, OSError) as exc:
                    log.warning("consumer %s: fetch failed: %s", self.durable, exc)
                    await asyncio.sleep(1.0)
                    continue
                for msg in msgs:
                    await self._process(msg)
        finally:
            with contextlib.suppress(Exception):
                await sub.unsubscribe()

    async def _process(self, msg: Msg) -> None:
        meta = msg.metadata
        headers: dict[str, str] = dict(msg.headers or {})
        subject = self.bus.local_subject(msg.subject)
        try:
            message = self.message_type.FromString(msg.data)
        except DecodeError as exc:
            message = self.message_type()
            delivery = self._delivery(msg, message, subject, headers)
            await self._dead_letter(delivery, Poison(f"undecodable payload: {exc}"))
            return
        delivery = self._delivery(msg, message, subject, headers)

        if delivery.num_delivered > self.max_deliver:
            await self._dead_letter(
                delivery,
                DeliveriesExhausted(f"delivered {delivery.num_delivered} times without an answer"),
            )
            return

        parent = extract(headers)
        with _tracer.start_as_current_span(
            f"consume {subject}",
            context=parent,
            kind=SpanKind.CONSUMER,
            attributes={
                "messaging.system": "nats",
                "messaging.destination.name": subject,
                "messaging.message.id": delivery.msg_id or "",
                "messaging.consumer.group.name": self.durable,
                "messaging.nats.num_delivered": delivery.num_delivered,
                "messaging.nats.stream_seq": meta.sequence.stream,
            },
        ) as span:
            try:
                await self.handler(delivery)
            except asyncio.CancelledError:
                # Interrupted by shutdown: hand the message straight back.
                with contextlib.suppress(Exception):
                    await asyncio.shield(msg.nak())
                raise
            except Retry as exc:
                span.set_status(Status(StatusCode.OK, f"retry in {exc.delay}s"))
                await self._settle(msg.nak(delay=exc.delay))
                return
            except Poison as exc:
                span.record_exception(exc)
                span.set_status(Status(StatusCode.ERROR, exc.reason))
                await self._dead_letter(delivery, exc)
                return
            except Exception as exc:
                span.record_exception(exc)
                span.set_status(Status(StatusCode.ERROR, str(exc)))
                if delivery.num_delivered >= self.max_deliver:
                    log.error(
                        "%s: attempt %d/%d failed, dead-lettering: %s",
                        subject,
                        delivery.num_delivered,
                        self.max_deliver,
                        exc,
                    )
                    await self._dead_letter(delivery, exc)
                else:
                    log.warning(
                        "%s: attempt %d/%d failed, retrying: %s",
                        subject,
                        delivery.num_delivered,
                        self.max_deliver,
                        exc,
                    )
                    await self._settle(msg.nak(delay=self._backoff(delivery.num_delivered)))
                return
        await self._settle(msg.ack())

    def _delivery(self, msg: Msg, message: M, subject: str, headers: dict[str, str]) -> Delivery[M]:
        meta = msg.metadata
        return Delivery(
            message=message,
            subject=subject,
            msg_id=headers.get(MSG_ID_HEADER),
            num_delivered=meta.num_delivered,
            headers=headers,
            stream_seq=meta.sequence.stream,
            _msg=msg,
        )

    def _backoff(self, num_delivered: int) -> float:
        return float(self.backoff[min(num_delivered, len(self.backoff)) - 1])

    @staticmethod
    async def _settle(op: Awaitable[None]) -> None:
        try:
            await op
        except Exception as exc:  # the server redelivers after ack_wait; nothing lost
            log.warning("ack/nak failed: %s", exc)

    async def _dead_letter(self, delivery: Delivery[M], error: Exception) -> None:
        dead = jobs_pb2.DeadLetter(
            subject=delivery.subject,
            payload=delivery._msg.data,
            deliveries=delivery.num_delivered,
            error=f"{type(error).__name__}: {error}",
        )
        try:
            await self.bus.publish(
                f"deadletter.{delivery.subject}",
                dead,
                msg_id=f"dl:{self.stream}:{delivery.stream_seq}",
                headers={k: v for k, v in delivery.headers.items() if k != MSG_ID_HEADER},
            )
            if self.on_dead_letter is not None:
                await self.on_dead_letter(delivery, error)
        except asyncio.CancelledError:
            with contextlib.suppress(Exception):
                await asyncio.shield(delivery._msg.nak())
            raise
        except Exception:
            log.exception("dead-lettering %s failed; will retry", delivery.subject)
            await self._settle(delivery._msg.nak(delay=self._backoff(len(self.backoff))))
            return
        await self._settle(delivery._msg.term())


def current_trace_id() -> int:
    """The trace id of the current span (0 when there is none); handy in tests/logs."""
    return trace.get_current_span().get_span_context().trace_id
