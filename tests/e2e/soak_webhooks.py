"""`make soak-webhooks`: a webhook receiver down for 2 minutes gets every event
afterwards, exactly once per event id, with the production retry schedule (5 s, 30 s,
2 min, ... each ±10 %: ``services.webhook.config``).

``python -m tests.e2e.soak_webhooks [--down 120] [--every 30] [--keep]`` starts a fresh
mesh (the end-to-end one, without its quick retries), takes the receiver down (it
refuses connections), makes a video fail and one complete and sends a ``webhook.test``
every ``--every`` seconds of the outage, brings the receiver back after ``--down``
seconds, waits for every delivery, prints the table (tests/e2e/outage.py) and exits 1
on any missing or duplicated event. About 5 minutes; not part of `make test`.
"""

from __future__ import annotations

import argparse
import os
import shutil
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from tests.e2e.conftest import start_mesh
from tests.e2e.outage import Audit, OutageRun
from tests.e2e.receiver import Receiver
from tests.e2e.test_videos_api import wait_avatar_ready

# After the receiver is back, the last event's next attempt is at most one 2-minute
# step (+10 %) away; this leaves room for a slow machine.
DELIVERY_TIMEOUT_S = 600
# After the last delivery: long enough for a stray repeat of a fast retry to show.
QUIET_S = 10


def load() -> str:
    one, five, fifteen = os.getloadavg()
    return f"load average {one:.2f} {five:.2f} {fifteen:.2f} on {os.cpu_count()} cores"


def soak(data_dir: Path, down_s: float, every_s: float) -> Audit:
    """The outage scenario on a fresh mesh under ``data_dir``; the audit of it."""
    mesh = start_mesh(data_dir, quick_webhook_retries=False)
    hook = Receiver()
    try:
        wait_avatar_ready(mesh)
        run = OutageRun(mesh, "own_soak", hook)
        hook.go_down()
        down_at = time.time()
        print(f"receiver down at {stamp(down_at)} ({load()})", flush=True)
        run.submit_video(fail=True)
        run.submit_video(fail=False)
        offset = 0.0
        while offset < down_s:
            time.sleep(max(0.0, down_at + offset - time.time()))
            print(f"  +{time.time() - down_at:5.1f} s webhook.test {run.send_test_event()}")
            offset += every_s
        time.sleep(max(0.0, down_at + down_s - time.time()))
        hook.come_back()
        back_at = time.time()
        print(f"receiver back at {stamp(back_at)} ({load()})", flush=True)
        run.wait_settled()
        run.wait_delivered(DELIVERY_TIMEOUT_S)
        time.sleep(QUIET_S)
        return run.audit(down_at, back_at, min_failures=1)
    finally:
        hook.close()
        mesh.close()
        mesh.local.stop()


def stamp(at: float) -> str:
    return datetime.fromtimestamp(at, UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.e2e.soak_webhooks", description=__doc__)
    parser.add_argument("--down", type=float, default=120.0, help="seconds the receiver is down")
    parser.add_argument("--every", type=float, default=30.0, help="seconds between test events")
    parser.add_argument("--keep", action="store_true", help="keep the data dir and logs")
    args = parser.parse_args()
    data_dir = Path(tempfile.mkdtemp(prefix="avatarmesh-soak-webhooks-"))
    print(f"soak-webhooks: {stamp(time.time())}, {load()}; mesh in {data_dir}", flush=True)
    audit = soak(data_dir, args.down, args.every)
    print(audit.table())
    print(f"soak-webhooks: done at {stamp(time.time())}, {load()}")
    if not args.keep and audit.passed:
        shutil.rmtree(data_dir, ignore_errors=True)
    return 0 if audit.passed else 1


if __name__ == "__main__":
    raise SystemExit(main())
