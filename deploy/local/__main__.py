"""`make up`: run the whole mesh locally and print how to call it. Ctrl-C stops it."""

from __future__ import annotations

import os
import signal
import sys
import time
from pathlib import Path
from types import FrameType

import httpx

from avatarmesh.settings import REPO_ROOT
from deploy.local.runner import LocalMesh

DEFAULT_DEV_API_KEY = "sk_dev_avatarmesh_local_key"
DEFAULT_ADMIN_KEY = "sk_admin_avatarmesh_local_key"
DEV_OWNER = "own_dev"


def fund_dev_wallet(mesh: LocalMesh, balance_usd: str) -> None:
    """Fund the dev wallet once per data dir, through the operators' admin route; the
    top-up is idempotent on its key. The gateway itself creates the dev API key at
    start (AVATARMESH_DEV_API_KEY)."""
    reply = httpx.post(
        f"{mesh.base_url}/admin/v1/wallets/{DEV_OWNER}/top-ups",
        headers={"Authorization": f"Bearer {mesh.admin_key}"},
        json={
            "amount_usd": balance_usd,
            "idempotency_key": f"dev-funding:{DEV_OWNER}",
            "note": "make up: AVATARMESH_DEV_BALANCE_USD",
        },
        timeout=10,
    )
    already_funded = reply.status_code == 409  # same key, another amount: funded before
    if reply.status_code != 201 and not already_funded:
        raise RuntimeError(f"funding the dev wallet failed: {reply.status_code} {reply.text}")


def banner(mesh: LocalMesh, dev_key: str, admin_key: str, seconds: float) -> str:
    url = mesh.base_url
    return f"""
avatarmesh is up in {seconds:.1f}s  (data: {mesh.data_dir}, logs: {mesh.run_dir / "logs"})

  base URL   {url}/api/v1
  API key    {dev_key}        (owner {DEV_OWNER})
  admin key  {admin_key}
  docs       {url}/docs

  curl -s {url}/healthz
  curl -s -H "Authorization: Bearer {dev_key}" {url}/api/v1/billing/balance
  curl -s -X POST -H "Authorization: Bearer {admin_key}" {url}/admin/v1/canary

A process that exits is restarted (lines below); Ctrl-C stops every process.
"""


def _interrupt(signum: int, _frame: FrameType | None) -> None:
    raise KeyboardInterrupt


def main() -> int:
    started = time.monotonic()
    data_dir = Path(os.environ.get("AVATARMESH_DATA_DIR", REPO_ROOT / "var" / "data")).resolve()
    http_port = int(os.environ.get("AVATARMESH_HTTP_PORT", "8080"))
    dev_key = os.environ.get("AVATARMESH_DEV_API_KEY") or DEFAULT_DEV_API_KEY
    admin_key = os.environ.get("AVATARMESH_ADMIN_KEY") or DEFAULT_ADMIN_KEY
    balance = os.environ.get("AVATARMESH_DEV_BALANCE_USD", "100")
    mesh = LocalMesh(
        data_dir=data_dir,
        http_port=http_port,
        admin_key=admin_key,
        env={"AVATARMESH_DEV_API_KEY": dev_key, "AVATARMESH_DEV_OWNER_ID": DEV_OWNER},
    )

    # Set both explicitly: a shell starts background jobs with SIGINT ignored.
    signal.signal(signal.SIGINT, _interrupt)
    signal.signal(signal.SIGTERM, _interrupt)
    try:
        mesh.start()
        fund_dev_wallet(mesh, balance)
        print(banner(mesh, dev_key, admin_key, time.monotonic() - started), flush=True)
        while True:  # the supervisor thread heals the mesh; a crash loop stops one child
            time.sleep(0.5)
    except KeyboardInterrupt:
        print("stopping...", flush=True)
        return 0
    except (RuntimeError, TimeoutError, httpx.HTTPError) as exc:
        print(f"make up failed: {exc}", file=sys.stderr)
        return 1
    finally:
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        mesh.stop()
        print("all processes stopped", flush=True)


if __name__ == "__main__":
    raise SystemExit(main())
