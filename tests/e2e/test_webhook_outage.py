"""A webhook receiver that is down gets every event afterwards, exactly once per event
id, through the real mesh (issue 18). The receiver first refuses connections, then
answers 503, then 200; meanwhile a video fails, one completes and three test events
are sent. The mesh retries every 0.5 s here (``QUICK_WEBHOOK_RETRIES``); the same
scenario with the production schedule and a 2-minute outage is ``make soak-webhooks``.
"""

from __future__ import annotations

import time
from collections.abc import Callable

import pytest

from tests.e2e.conftest import Mesh
from tests.e2e.outage import OutageRun
from tests.e2e.receiver import Receiver
from tests.e2e.test_videos_api import wait_avatar_ready

pytestmark = pytest.mark.e2e

REFUSED_ATTEMPTS = 3  # per delivery while nothing listens
UNAVAILABLE_ATTEMPTS = 2  # per delivery while the receiver answers 503


def test_a_receiver_down_then_failing_gets_every_event_exactly_once_when_back(
    mesh: Mesh, receiver: Callable[..., Receiver]
) -> None:
    wait_avatar_ready(mesh)
    hook = receiver()
    run = OutageRun(mesh, "own_outage", hook)
    hook.go_down()
    down_at = time.time()
    run.submit_video(fail=True)
    run.submit_video(fail=False)
    for _ in range(3):
        run.send_test_event()
    assert set(run.wait_settled().values()) == {"failed", "completed"}
    run.wait_failures(None, REFUSED_ATTEMPTS)

    hook.fail_with(503)
    hook.come_back()
    run.wait_failures(503, UNAVAILABLE_ATTEMPTS)
    hook.fail_with(None)
    back_at = time.time()

    run.wait_delivered(timeout=60)
    time.sleep(2)  # four retry periods: a duplicate would have arrived by now
    audit = run.audit(down_at, back_at, min_failures=REFUSED_ATTEMPTS + UNAVAILABLE_ATTEMPTS)
    print(audit.table())
    assert len(audit.rows) == 7  # 3 test events + 2 videos x (job URL, endpoint)
    assert audit.passed, audit.table()
