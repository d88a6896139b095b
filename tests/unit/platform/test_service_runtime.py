"""The service runtime: a process whose background work died exits instead of staying up."""

from __future__ import annotations

import asyncio
import os
import signal
from pathlib import Path

from avatarmesh.service import ServiceSpec, Wiring, running, serve_until_stopped
from avatarmesh.settings import Settings


def _spec(*background: object) -> ServiceSpec[Settings]:
    return ServiceSpec(
        name="worker",
        settings_class=Settings,
        wire=lambda _rt: Wiring(servicers=[], background=list(background)),  # type: ignore[arg-type]
        uses_bus=False,
    )


def _settings(tmp_path: Path) -> Settings:
    return Settings().model_copy(update={"data_dir": tmp_path})


async def test_a_background_task_that_fails_stops_the_process_with_exit_1(
    tmp_path: Path,
) -> None:
    async def consumer() -> None:
        await asyncio.sleep(0.05)
        raise RuntimeError("consumer could not bind")

    async with running(_spec(consumer), _settings(tmp_path), port=0) as runtime:
        status = await asyncio.wait_for(serve_until_stopped(runtime), timeout=10)
    assert status == 1


async def test_a_one_shot_task_that_returns_keeps_the_process_serving(tmp_path: Path) -> None:
    async def seed() -> None:
        return None

    async with running(_spec(seed), _settings(tmp_path), port=0) as runtime:
        sigterm = asyncio.get_running_loop().call_later(0.3, os.kill, os.getpid(), signal.SIGTERM)
        try:
            status = await asyncio.wait_for(serve_until_stopped(runtime), timeout=10)
        finally:
            sigterm.cancel()  # never let a late SIGTERM hit pytest itself
        assert status == 0 and runtime.tasks[0].done()


async def test_sigterm_stops_the_process_gracefully_while_tasks_run(tmp_path: Path) -> None:
    async def forever() -> None:
        await asyncio.Event().wait()

    async with running(_spec(forever), _settings(tmp_path), port=0) as runtime:
        sigterm = asyncio.get_running_loop().call_later(0.1, os.kill, os.getpid(), signal.SIGTERM)
        try:
            status = await asyncio.wait_for(serve_until_stopped(runtime), timeout=10)
        finally:
            sigterm.cancel()  # never let a late SIGTERM hit pytest itself
        assert status == 0
        assert not runtime.tasks[0].done()
