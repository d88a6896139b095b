from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from services.webhook.config import WebhookSettings
from tests.integration.webhook.support import webhook_settings


@pytest.fixture
def make_settings(
    tmp_path: Path, nats_server: str, bus_namespace: str, s3_server: str
) -> Callable[..., WebhookSettings]:
    def make(**overrides: Any) -> WebhookSettings:
        return webhook_settings(tmp_path, nats_server, bus_namespace, s3_server, **overrides)

    return make
