"""A JetStream API request that times out is asked again for a while, not fatal at once
(a server busy with its disk answers late; a service that exited on the first timeout
restarted into the same wait and logged a traceback each time)."""

from __future__ import annotations

import nats.errors
import pytest

from avatarmesh.bus import ask_jetstream


class Flaky:
    def __init__(self, failures: int, error: Exception) -> None:
        self.failures = failures
        self.error = error
        self.calls = 0

    async def __call__(self) -> str:
        self.calls += 1
        if self.calls <= self.failures:
            raise self.error
        return "answered"


@pytest.mark.parametrize(
    "error", [nats.errors.TimeoutError(), TimeoutError(), nats.errors.NoRespondersError()]
)
async def test_a_late_answer_is_waited_for(error: Exception) -> None:
    request = Flaky(failures=2, error=error)
    assert await ask_jetstream("consumer x", request, within=10.0) == "answered"
    assert request.calls == 3


async def test_a_server_that_never_answers_times_out_in_the_end() -> None:
    request = Flaky(failures=1000, error=nats.errors.TimeoutError())
    with pytest.raises(nats.errors.TimeoutError):
        await ask_jetstream("consumer x", request, within=0.4)
    assert request.calls == 1  # the first back-off (0.5 s) would pass the deadline


async def test_other_errors_are_not_retried() -> None:
    request = Flaky(failures=1, error=nats.errors.ConnectionClosedError())
    with pytest.raises(nats.errors.ConnectionClosedError):
        await ask_jetstream("consumer x", request, within=10.0)
    assert request.calls == 1
