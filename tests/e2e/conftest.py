"""A running mesh for end-to-end tests, started once per test session.

``mesh`` (session scope) is a ``Mesh``: ``base_url``, ``admin`` headers, ``api(owner)``
-> an ``httpx.Client`` authenticated as a fresh API key of ``owner`` (created on first
use, cached), ``fund(owner, dollars)`` (admin top-up), ``storage_keys(prefix)`` (what
the mesh's S3 holds under a prefix) and ``local`` (the ``LocalMesh``: ports, logs).
Every port is a random free one. ``wait_for(client, path, done)`` polls a GET.

The mesh runs with ``AVATARMESH_BILLING_DAILY_POSE_CAPS={"default": 3}`` (so
DAILY_CAP_REACHED is reachable) and ``AVATARMESH_BUS_NAMESPACE`` unset. Loopback webhook
receivers are allowed (the runner's ``AVATARMESH_ALLOW_INSECURE_LOOPBACK``, as for
``make up``); a failed webhook attempt is retried after 0.5 s (not 5 s) so retry tests
are quick; and the worker refuses audio over ``WORKER_MAX_AUDIO_SECONDS`` (34 s, below
the video service's 35 s), so a 34-35 s upload passes submit and fails at render: a
cheap, deterministic ``video.failed``. ``receiver(statuses)`` starts a local webhook
receiver (``tests.e2e.receiver``) closed after the test. ``start_mesh`` starts the same
mesh outside pytest (the webhook soak, which keeps the production retry schedule).
"""

from __future__ import annotations

import base64
import time
import uuid
from collections.abc import Callable, Generator, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest

from avatarmesh.settings import REPO_ROOT, Settings
from deploy.local.runner import LocalMesh, free_port
from tests.e2e.receiver import Receiver

ADMIN_KEY = "sk_admin_e2e_key"
POSE_DAILY_CAP = 3
WORKER_MAX_AUDIO_SECONDS = 34.0
# The one account the mesh lets render without the watermark (watermark_mode none).
UNMARKED_OWNER = "own_unmarked"
FIXTURES = REPO_ROOT.parent / "shared" / "fixtures"


@dataclass
class Mesh:
    local: LocalMesh
    admin: dict[str, str]
    _clients: dict[str, httpx.Client] = field(default_factory=dict)

    @property
    def base_url(self) -> str:
        return self.local.base_url

    def api(self, owner: str) -> httpx.Client:
        """A client authenticated with an API key of ``owner``."""
        if owner not in self._clients:
            reply = httpx.post(
                f"{self.base_url}/admin/v1/api-keys",
                json={"owner_id": owner},
                headers=self.admin,
                timeout=10,
            )
            assert reply.status_code == 201, reply.text
            self._clients[owner] = httpx.Client(
                base_url=self.base_url,
                headers={"Authorization": f"Bearer {reply.json()['key']}"},
                timeout=60,
            )
        return self._clients[owner]

    def fund(self, owner: str, dollars: float) -> None:
        reply = httpx.post(
            f"{self.base_url}/admin/v1/wallets/{owner}/top-ups",
            json={"amount_usd": dollars, "idempotency_key": f"e2e:{uuid.uuid4()}"},
            headers=self.admin,
            timeout=10,
        )
        assert reply.status_code == 201, reply.text

    def storage_keys(self, prefix: str) -> list[str]:
        from minio import Minio

        settings = Settings()
        client = Minio(
            f"127.0.0.1:{self.local.ports['s3']}",
            access_key=settings.s3_access_key,
            secret_key=settings.s3_secret_key,
            secure=False,
            region=settings.s3_region,
        )
        if not client.bucket_exists(settings.s3_bucket):
            return []
        objects = client.list_objects(settings.s3_bucket, prefix=prefix, recursive=True)
        return [o.object_name for o in objects if o.object_name]

    def close(self) -> None:
        for client in self._clients.values():
            client.close()


def wav_data_url(wav: bytes) -> str:
    """``wav`` as the ``audio_data_url`` the videos API accepts."""
    return "data:audio/wav;base64," + base64.b64encode(wav).decode()


def wait_for(
    client: httpx.Client, path: str, done: Any, timeout: float = 120.0, every: float = 0.5
) -> dict[str, Any]:
    """Poll ``path`` until ``done(body)``; returns the last body."""
    deadline = time.monotonic() + timeout
    body: dict[str, Any] = {}
    while time.monotonic() < deadline:
        reply = client.get(path)
        assert reply.status_code == 200, reply.text
        body = reply.json()
        if done(body):
            return body
        time.sleep(every)
    raise AssertionError(f"{path} not done after {timeout:.0f} s: {body}")


# A failed webhook attempt is retried after 0.5 s, not on the production schedule
# (5 s, 30 s, 2 min, ...: services.webhook.config), so retry tests take seconds.
QUICK_WEBHOOK_RETRIES = {
    "AVATARMESH_WEBHOOK_RETRY_SCHEDULE_SECONDS": "[0.5]",
    "AVATARMESH_WEBHOOK_RETRY_JITTER": "0",
    "AVATARMESH_WEBHOOK_POLL_INTERVAL_SECONDS": "0.2",
}


def start_mesh(data_dir: Path, *, quick_webhook_retries: bool = True) -> Mesh:
    """The end-to-end mesh (see the module docstring) on free ports under ``data_dir``;
    ``quick_webhook_retries=False`` keeps the production retry schedule (the webhook
    soak, ``make soak-webhooks``). The caller stops it (``mesh.local.stop()``)."""
    local = LocalMesh(
        standard_ports=False,
        data_dir=data_dir,
        http_port=free_port(),
        admin_key=ADMIN_KEY,
        env={
            "AVATARS_API_ENABLED": "true",
            "AVATARMESH_BILLING_DAILY_POSE_CAPS": f'{{"default": {POSE_DAILY_CAP}}}',
            "AVATARMESH_LOG_JSON": "false",
            "AVATARMESH_RATE_LIMIT_PER_MINUTE": "0",
            **(QUICK_WEBHOOK_RETRIES if quick_webhook_retries else {}),
            "AVATARMESH_WORKER_MAX_AUDIO_SECONDS": str(WORKER_MAX_AUDIO_SECONDS),
            "AVATARMESH_VIDEO_WATERMARK_NONE_OWNERS": f'["{UNMARKED_OWNER}"]',
        },
    )
    try:
        local.start(timeout=180)  # generous: a loaded box starts slowly
    except Exception:
        local.stop()
        raise
    return Mesh(local, {"Authorization": f"Bearer {ADMIN_KEY}"})


@pytest.fixture(scope="session")
def mesh(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Mesh]:
    running = start_mesh(tmp_path_factory.mktemp("e2e-mesh"))
    yield running
    running.close()
    running.local.stop()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    """A failed end-to-end test's report carries the mesh's log tails (CI keeps only
    what pytest prints, not the mesh's run directory)."""
    report = yield
    running = getattr(item, "funcargs", {}).get("mesh")
    if report.failed and isinstance(running, Mesh):
        report.sections.append(("mesh logs", running.local.log_tails()))
    return report


@pytest.fixture
def receiver() -> Iterator[Callable[..., Receiver]]:
    """``receiver(statuses=())``: a webhook receiver on 127.0.0.1 answering ``statuses``
    in turn, then 200; every receiver made is closed after the test."""
    made: list[Receiver] = []

    def make(statuses: Iterable[int] = ()) -> Receiver:
        made.append(Receiver(statuses))
        return made[-1]

    yield make
    for each in made:
        each.close()
