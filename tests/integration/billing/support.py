"""The billing service running in-process on a free port, over SQLite or PostgreSQL."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from avatarmesh.grpc_client import channel
from avatarmesh.service import running
from avatarmesh.v1 import billing_pb2_grpc
from services.billing.__main__ import SPEC
from services.billing.config import BillingSettings


def billing_settings(database_url: str, data_dir: Path, **overrides: Any) -> BillingSettings:
    # model_copy, so the test's environment cannot leak in
    return BillingSettings().model_copy(
        update={"database_url": database_url, "data_dir": data_dir, **overrides}
    )


@asynccontextmanager
async def billing_service(
    settings: BillingSettings,
) -> AsyncIterator[tuple[billing_pb2_grpc.BillingServiceStub, int]]:
    """A started billing service and a stub calling it through the real gRPC stack."""
    async with running(SPEC, settings, port=0) as runtime:
        port = runtime.server.bound_port
        async with channel(f"127.0.0.1:{port}") as ch:
            yield billing_pb2_grpc.BillingServiceStub(ch), port
