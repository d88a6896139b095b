"""The bus against a real nats-server: publish, consume, retries, dead letters, traces."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import pytest
from opentelemetry import trace
from opentelemetry.sdk.trace import TracerProvider

from avatarmesh.bus import (
    DEADLETTER_STREAM,
    JOBS_STREAM,
    Bus,
    DeliveriesExhausted,
    Delivery,
    Poison,
    Retry,
)
from avatarmesh.settings import Settings
from avatarmesh.v1.jobs_pb2 import CanaryJob, DeadLetter

pytestmark = pytest.mark.integration

SUBJECT = "jobs.canary.test"


@pytest.fixture
async def bus(nats_server: str, bus_namespace: str) -> AsyncIterator[Bus]:
    b = Bus(Settings(nats_url=nats_server, bus_namespace=bus_namespace), "test")
    await b.connect()
    yield b
    await b.close()


@contextlib.asynccontextmanager
async def consuming(
    bus: Bus, handler: Callable[[Any], Awaitable[None]], **kw: Any
) -> AsyncIterator[asyncio.Task[None]]:
    options: dict[str, Any] = {
        "stream": JOBS_STREAM,
        "durable": "canary",
        "filter_subject": "jobs.canary.>",
        "message_type": CanaryJob,
    }
    options.update(kw)
    task = asyncio.create_task(bus.consume(handler=handler, **options))
    try:
        yield task
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


async def wait_for(predicate: Callable[[], bool], within: float = 5.0) -> None:
    deadline = time.monotonic() + within
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        await asyncio.sleep(0.02)


def collect_dead_letters(bus: Bus, into: list[DeadLetter]) -> Any:
    async def on_dead(d: Delivery[DeadLetter]) -> None:
        into.append(d.message)

    return consuming(
        bus,
        on_dead,
        stream=DEADLETTER_STREAM,
        durable="dlq",
        filter_subject="deadletter.>",
        message_type=DeadLetter,
    )


async def test_published_job_is_delivered_decoded_and_acked(bus: Bus) -> None:
    seen: list[Delivery[CanaryJob]] = []

    async def handler(d: Delivery[CanaryJob]) -> None:
        seen.append(d)

    assert bus.subject(SUBJECT) == f"{bus.namespace}.{SUBJECT}"
    assert await bus.publish(SUBJECT, CanaryJob(canary_id="c1"), msg_id="m1") is False
    async with consuming(bus, handler):
        await wait_for(lambda: len(seen) == 1)
        d = seen[0]
        assert d.message.canary_id == "c1"
        assert d.subject == SUBJECT
        assert d.msg_id == "m1"
        assert d.num_delivered == 1
        await asyncio.sleep(0.2)
        assert await bus.queue_depth(JOBS_STREAM, "canary") == 0


async def test_queue_depth_counts_waiting_jobs(bus: Bus) -> None:
    await bus.declare_consumer(stream=JOBS_STREAM, durable="canary", filter_subject="jobs.canary.>")
    for i in range(3):
        await bus.publish(SUBJECT, CanaryJob(canary_id=str(i)), msg_id=f"q{i}")
    assert await bus.queue_depth(JOBS_STREAM, "canary") == 3


async def test_repeated_msg_id_is_a_duplicate_and_delivered_once(bus: Bus) -> None:
    seen: list[str] = []

    async def handler(d: Delivery[CanaryJob]) -> None:
        seen.append(d.message.canary_id)

    assert await bus.publish(SUBJECT, CanaryJob(canary_id="a"), msg_id="same") is False
    assert await bus.publish(SUBJECT, CanaryJob(canary_id="b"), msg_id="same") is True
    async with consuming(bus, handler):
        await wait_for(lambda: len(seen) == 1)
        await asyncio.sleep(0.5)
    assert seen == ["a"]


async def test_failing_handler_is_redelivered_after_backoff(bus: Bus) -> None:
    attempts: list[tuple[int, float]] = []

    async def handler(d: Delivery[CanaryJob]) -> None:
        attempts.append((d.num_delivered, time.monotonic()))
        if d.num_delivered == 1:
            raise RuntimeError("transient")

    await bus.publish(SUBJECT, CanaryJob(canary_id="x"), msg_id="r1")
    async with consuming(bus, handler, backoff=(0.5,)):
        await wait_for(lambda: len(attempts) == 2)
    assert [n for n, _ in attempts] == [1, 2]
    assert attempts[1][1] - attempts[0][1] >= 0.4


async def test_retry_naks_with_the_requested_delay(bus: Bus) -> None:
    attempts: list[float] = []

    async def handler(d: Delivery[CanaryJob]) -> None:
        attempts.append(time.monotonic())
        if d.num_delivered == 1:
            raise Retry(0.6)

    await bus.publish(SUBJECT, CanaryJob(canary_id="x"), msg_id="r2")
    async with consuming(bus, handler, backoff=(0.0,)):
        await wait_for(lambda: len(attempts) == 2)
    assert attempts[1] - attempts[0] >= 0.5


async def test_poison_goes_to_dead_letter_and_is_not_redelivered(bus: Bus) -> None:
    calls: list[int] = []
    dead: list[DeadLetter] = []
    told: list[tuple[str, Exception]] = []

    async def handler(d: Delivery[CanaryJob]) -> None:
        calls.append(d.num_delivered)
        raise Poison("bad portrait")

    async def on_dead_letter(d: Delivery[CanaryJob], error: Exception) -> None:
        told.append((d.message.canary_id, error))

    await bus.publish(SUBJECT, CanaryJob(canary_id="p"), msg_id="p1")
    async with (
        collect_dead_letters(bus, dead),
        consuming(bus, handler, on_dead_letter=on_dead_letter, backoff=(0.1,)),
    ):
        await wait_for(lambda: len(dead) == 1)
        await asyncio.sleep(0.6)
    assert calls == [1]
    assert dead[0].subject == SUBJECT
    assert CanaryJob.FromString(dead[0].payload).canary_id == "p"
    assert dead[0].deliveries == 1
    assert "bad portrait" in dead[0].error
    assert [cid for cid, _ in told] == ["p"]
    assert isinstance(told[0][1], Poison)
    assert await bus.queue_depth(JOBS_STREAM, "canary") == 0


async def test_exhausted_deliveries_dead_letter_and_tell_the_owner(bus: Bus) -> None:
    calls: list[int] = []
    dead: list[DeadLetter] = []
    told: list[Delivery[CanaryJob]] = []

    async def handler(d: Delivery[CanaryJob]) -> None:
        calls.append(d.num_delivered)
        raise RuntimeError("render crashed")

    async def on_dead_letter(d: Delivery[CanaryJob], error: Exception) -> None:
        told.append(d)

    await bus.publish(SUBJECT, CanaryJob(canary_id="z"), msg_id="z1")
    async with (
        collect_dead_letters(bus, dead),
        consuming(bus, handler, max_deliver=3, backoff=(0.1, 0.2), on_dead_letter=on_dead_letter),
    ):
        await wait_for(lambda: len(dead) == 1)
        await asyncio.sleep(0.5)
    assert calls == [1, 2, 3]
    assert dead[0].deliveries == 3
    assert "render crashed" in dead[0].error
    assert [d.message.canary_id for d in told] == ["z"]
    assert await bus.queue_depth(JOBS_STREAM, "canary") == 0


async def test_work_queue_shared_by_two_consumers_delivers_each_job_once(
    bus: Bus,
    nats_server: str,
    bus_namespace: str,
) -> None:
    other = Bus(Settings(nats_url=nats_server, bus_namespace=bus_namespace), "test2")
    await other.connect()
    seen: dict[str, list[str]] = {"a": [], "b": []}

    def handler_for(name: str) -> Callable[[Delivery[CanaryJob]], Awaitable[None]]:
        async def handler(d: Delivery[CanaryJob]) -> None:
            seen[name].append(d.message.canary_id)
            await asyncio.sleep(0.01)

        return handler

    try:
        async with (
            consuming(bus, handler_for("a")),
            consuming(other, handler_for("b"), concurrency=2),
        ):
            for i in range(30):
                await bus.publish(SUBJECT, CanaryJob(canary_id=str(i)), msg_id=f"w{i}")
            await wait_for(lambda: len(seen["a"]) + len(seen["b"]) >= 30)
            await asyncio.sleep(0.3)
    finally:
        await other.close()
    everything = seen["a"] + seen["b"]
    assert sorted(everything, key=int) == [str(i) for i in range(30)]
    assert seen["a"] and seen["b"]


async def test_keep_alive_stops_a_slow_job_being_redelivered(bus: Bus) -> None:
    calls: list[int] = []
    done = asyncio.Event()

    async def handler(d: Delivery[CanaryJob]) -> None:
        calls.append(d.num_delivered)
        async with d.keep_alive(every=0.3):
            await asyncio.sleep(2.5)
        done.set()

    await bus.publish(SUBJECT, CanaryJob(canary_id="slow"), msg_id="s1")
    async with consuming(bus, handler, ack_wait=1.0, concurrency=2):
        await asyncio.wait_for(done.wait(), 5)
        await asyncio.sleep(1.2)
    assert calls == [1]


async def test_handler_runs_in_the_publishers_trace(bus: Bus) -> None:
    if not isinstance(trace.get_tracer_provider(), TracerProvider):
        trace.set_tracer_provider(TracerProvider())
    seen: list[tuple[int, int]] = []

    async def handler(d: Delivery[CanaryJob]) -> None:
        ctx = trace.get_current_span().get_span_context()
        with trace.get_tracer("test").start_as_current_span("child") as child:
            seen.append((ctx.trace_id, child.get_span_context().trace_id))

    with trace.get_tracer("test").start_as_current_span("request") as span:
        trace_id = span.get_span_context().trace_id
        await bus.publish(SUBJECT, CanaryJob(canary_id="t"), msg_id="t1")
    assert trace_id != 0
    async with consuming(bus, handler):
        await wait_for(lambda: len(seen) == 1)
    assert seen == [(trace_id, trace_id)]


async def test_cancelled_consumer_leaves_unhandled_jobs_for_the_next(bus: Bus) -> None:
    started = asyncio.Event()
    first: list[str] = []

    async def stuck(d: Delivery[CanaryJob]) -> None:
        first.append(d.message.canary_id)
        started.set()
        await asyncio.Event().wait()

    for i in range(3):
        await bus.publish(SUBJECT, CanaryJob(canary_id=str(i)), msg_id=f"c{i}")
    async with consuming(bus, stuck, ack_wait=30.0):
        await asyncio.wait_for(started.wait(), 5)
    assert first == ["0"]

    second: list[tuple[str, int]] = []

    async def handler(d: Delivery[CanaryJob]) -> None:
        second.append((d.message.canary_id, d.num_delivered))

    async with consuming(bus, handler, ack_wait=30.0):
        await wait_for(lambda: len(second) == 3)
    assert sorted(cid for cid, _ in second) == ["0", "1", "2"]
    assert dict(second)["0"] == 2


async def test_job_whose_handler_never_answers_is_dead_lettered_past_max_deliver(
    bus: Bus,
) -> None:
    started = asyncio.Event()

    async def stuck(d: Delivery[CanaryJob]) -> None:
        started.set()
        await asyncio.Event().wait()

    await bus.publish(SUBJECT, CanaryJob(canary_id="k"), msg_id="k1")
    async with consuming(bus, stuck, max_deliver=1):
        await asyncio.wait_for(started.wait(), 5)
    # The process "died" mid-job (cancelled; the message went back unanswered).

    calls: list[int] = []
    dead: list[DeadLetter] = []
    told: list[Exception] = []

    async def handler(d: Delivery[CanaryJob]) -> None:
        calls.append(d.num_delivered)

    async def on_dead_letter(d: Delivery[CanaryJob], error: Exception) -> None:
        told.append(error)

    async with (
        collect_dead_letters(bus, dead),
        consuming(bus, handler, max_deliver=1, on_dead_letter=on_dead_letter),
    ):
        await wait_for(lambda: len(dead) == 1)
    assert calls == []
    assert dead[0].deliveries == 2
    assert isinstance(told[0], DeliveriesExhausted)
