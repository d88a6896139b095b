from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from avatarmesh.v1 import billing_pb2_grpc
from tests.integration.billing.support import billing_service, billing_settings


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "postgresql":
        return str(request.getfixturevalue("pg_database_url"))
    return "sqlite+aiosqlite:///{data_dir}/{service}.db"


@pytest.fixture
async def billing(
    database_url: str, tmp_path: Path
) -> AsyncIterator[billing_pb2_grpc.BillingServiceStub]:
    async with billing_service(billing_settings(database_url, tmp_path)) as (stub, _port):
        yield stub
