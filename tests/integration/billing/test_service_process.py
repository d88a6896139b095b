"""``python -m services.billing`` starts, answers gRPC health, and the operators' CLI
tops up, reads, sets the tier of and verifies a wallet through it."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import grpc
import pytest
from grpc_health.v1 import health_pb2, health_pb2_grpc

from services.billing.cli import main as cli

pytestmark = pytest.mark.integration

REPO = Path(__file__).resolve().parents[3]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_serving(addr: str, timeout_s: float = 30) -> None:
    deadline = time.monotonic() + timeout_s
    with grpc.insecure_channel(addr) as ch:
        stub = health_pb2_grpc.HealthStub(ch)
        while True:
            try:
                reply = stub.Check(
                    health_pb2.HealthCheckRequest(service="avatarmesh.v1.BillingService"),
                    timeout=1,
                )
                if reply.status == health_pb2.HealthCheckResponse.SERVING:
                    return
            except grpc.RpcError:
                pass
            if time.monotonic() > deadline:
                raise AssertionError(f"billing did not become healthy on {addr}")
            time.sleep(0.2)


def run_cli(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, dict[str, object]]:
    status = cli(list(argv))
    out, err = capsys.readouterr()
    return status, json.loads(out or err)


def test_service_process_is_healthy_and_the_cli_tops_up_and_verifies(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    addr = f"127.0.0.1:{free_port()}"
    env = {
        **os.environ,
        "AVATARMESH_BILLING_ADDR": addr,
        "AVATARMESH_DATA_DIR": str(tmp_path),
        "AVATARMESH_DATABASE_URL": "sqlite+aiosqlite:///{data_dir}/{service}.db",
        "AVATARMESH_BILLING_SWEEP_INTERVAL_SECONDS": "0.5",
    }
    proc = subprocess.Popen(
        [sys.executable, "-m", "services.billing"],
        cwd=REPO,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        wait_serving(addr)
        status, wallet = run_cli(
            capsys, "--addr", addr, "topup", "--owner", "own_cli", "--usd", "25", "--key", "k1"
        )
        assert status == 0 and wallet["balance_usd"] == 25.0
        # Retried with the same key: no second top-up.
        run_cli(capsys, "--addr", addr, "topup", "--owner", "own_cli", "--usd", "25", "--key", "k1")
        status, wallet = run_cli(capsys, "--addr", addr, "balance", "--owner", "own_cli")
        assert (wallet["available_usd"], wallet["tier"]) == (25.0, "default")
        status, wallet = run_cli(
            capsys, "--addr", addr, "set-tier", "--owner", "own_cli", "--tier", "pro"
        )
        assert (status, wallet["tier"], wallet["balance_usd"]) == (0, "pro", 25.0)
        status, error = run_cli(
            capsys, "--addr", addr, "set-tier", "--owner", "own_cli", "--tier", "gold"
        )
        assert status == 2 and error["error"]["code"] == "VALIDATION_ERROR"  # type: ignore[index]
        status, page = run_cli(capsys, "--addr", addr, "ledger", "--owner", "own_cli")
        assert page["total"] == 1
        status, check = run_cli(capsys, "--addr", addr, "verify", "--owner", "own_cli")
        assert status == 0 and check["consistent"] is True
        status, error = run_cli(capsys, "--addr", addr, "balance", "--owner", "own_nobody")
        assert status == 2 and error["error"]["code"] == "WALLET_NOT_FOUND"  # type: ignore[index]
        status, prices = run_cli(capsys, "--addr", addr, "prices")
        assert prices["pose_usd"] == 0.013
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            assert proc.wait(timeout=15) == 0
        finally:
            if proc.poll() is None:
                proc.kill()
