from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from services.billing.ledger import Ledger
from tests.unit.billing.support import FakeClock, sqlite_ledger


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
async def ledger(tmp_path: Path, clock: FakeClock) -> AsyncIterator[Ledger]:
    async with sqlite_ledger(tmp_path, clock) as ledger:
        yield ledger
