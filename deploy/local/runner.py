"""The local mesh behind `make up`: nats-server, an S3 server, every service, one
worker and the gateway, as child processes of one runner.

Standard ports already in use on this machine (4222 for NATS, 9000 for S3, the gRPC
ports) are never touched: the runner picks free ports instead and hands every child
the addresses through the environment. Data lives under ``AVATARMESH_DATA_DIR`` and
survives restarts. Children die with the runner (PR_SET_PDEATHSIG) and are stopped
in reverse start order on SIGINT/SIGTERM.
"""

from __future__ import annotations

import ctypes
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import httpx
from pydantic import AliasChoices

from avatarmesh.settings import SERVICES, Settings

# Start order: billing first (others call it), the worker last.
SERVICE_ORDER = ("billing", "avatar", "pose", "video", "webhook", "worker")
assert set(SERVICE_ORDER) == set(SERVICES)


def _aliases(field_name: str) -> tuple[str, ...]:
    """The environment names a setting is read from, as settings.py declares them."""
    alias = Settings.model_fields[field_name].validation_alias
    assert isinstance(alias, AliasChoices)
    return tuple(str(choice) for choice in alias.choices)


# The development switch for loopback URLs, then its older per-service names.
LOOPBACK_VARIABLES = _aliases("allow_insecure_loopback")


def _first_set(env: Mapping[str, str], *names: str, default: str) -> str:
    """The first of ``names`` set in ``env`` (an operator's explicit choice wins)."""
    return next((env[name] for name in names if name in env), default)


def port_is_free(port: int, host: str = "127.0.0.1") -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError:
            return False
    return True


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def preferred_port(port: int, taken: set[int]) -> int:
    """`port` when nobody listens there, else any free port (never a used one);
    port 0 asks for any free port."""
    chosen = port if port and port not in taken and port_is_free(port) else free_port()
    while chosen in taken:
        chosen = free_port()
    taken.add(chosen)
    return chosen


def wait_for_port(port: int, timeout: float, proc: subprocess.Popen[bytes] | None = None) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            raise RuntimeError(f"process exited with {proc.returncode} before listening on {port}")
        with socket.socket() as sock:
            sock.settimeout(0.2)
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.05)
    raise TimeoutError(f"nothing listening on port {port} after {timeout:.0f}s")


def _die_with_parent() -> None:
    """In the child, before exec: get SIGTERM when the runner dies, even by SIGKILL."""
    libc = ctypes.CDLL("libc.so.6", use_errno=True)
    libc.prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    os.setpgrp()  # Ctrl-C reaches the runner only; it stops children in order


@dataclass
class Child:
    name: str
    proc: subprocess.Popen[bytes]
    log_path: Path


@dataclass
class LocalMesh:
    """Starts and stops the whole mesh. ``env`` overrides the runner's environment."""

    data_dir: Path
    http_port: int
    admin_key: str
    env: Mapping[str, str] = field(default_factory=dict)
    standard_ports: bool = True
    children: list[Child] = field(default_factory=list)
    ports: dict[str, int] = field(default_factory=dict)

    @property
    def run_dir(self) -> Path:
        return self.data_dir / "run"

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.http_port}"

    def child_env(self) -> dict[str, str]:
        env = {**os.environ, **self.env}
        env.update(
            {
                "AVATARMESH_DATA_DIR": str(self.data_dir),
                "AVATARMESH_NATS_URL": f"nats://127.0.0.1:{self.ports['nats']}",
                "AVATARMESH_S3_ENDPOINT": f"127.0.0.1:{self.ports['s3']}",
                "AVATARMESH_HTTP_PORT": str(self.http_port),
                "AVATARMESH_ADMIN_KEY": self.admin_key,
                "AVATARS_API_ENABLED": env.get("AVATARS_API_ENABLED", "true"),
                # Development: webhook_url (checked at submit by the video service and at
                # each delivery by the webhook service) may be a receiver on this machine.
                "AVATARMESH_ALLOW_INSECURE_LOOPBACK": _first_set(
                    env, *LOOPBACK_VARIABLES, default="true"
                ),
                "PYTHONUNBUFFERED": "1",
            }
        )
        for name in SERVICES:
            env[f"AVATARMESH_{name.upper()}_ADDR"] = f"127.0.0.1:{self.ports[name]}"
        return env

    def allocate_ports(self, defaults: Settings) -> None:
        """Standard ports where free (what `make up` users expect), else free ones;
        tests ask for free ports only, so meshes started at once never race."""
        taken: set[int] = {self.http_port}
        standard = {"nats": 4222, "s3": 9000}
        standard.update({name: defaults.grpc_port(name) for name in SERVICE_ORDER})
        for name, port in standard.items():
            self.ports[name] = preferred_port(port if self.standard_ports else 0, taken)

    def _spawn(self, name: str, argv: list[str]) -> Child:
        logs = self.run_dir / "logs"
        logs.mkdir(parents=True, exist_ok=True)
        log_path = logs / f"{name}.log"
        log_file = log_path.open("ab")
        proc = subprocess.Popen(
            argv,
            stdout=log_file,
            stderr=subprocess.STDOUT,
            env=self.child_env(),
            preexec_fn=_die_with_parent,
            cwd=Path(__file__).resolve().parents[2],
        )
        log_file.close()
        child = Child(name, proc, log_path)
        self.children.append(child)
        return child

    def start(self, timeout: float = 60.0) -> None:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self.allocate_ports(Settings())
        nats_bin = shutil.which("nats-server") or "/usr/sbin/nats-server"
        nats = self._spawn(
            "nats",
            [
                nats_bin,
                "-js",
                "-a",
                "127.0.0.1",
                "-p",
                str(self.ports["nats"]),
                "-sd",
                str(self.data_dir / "nats"),
            ],
        )
        s3 = self._spawn(
            "s3",
            [
                sys.executable,
                "-m",
                "deploy.local.s3server",
                "--port",
                str(self.ports["s3"]),
                "--data-dir",
                str(self.data_dir / "s3"),
            ],
        )
        wait_for_port(self.ports["nats"], timeout, nats.proc)
        wait_for_port(self.ports["s3"], timeout, s3.proc)
        for name in SERVICE_ORDER:
            self._spawn(name, [sys.executable, "-m", f"services.{name}"])
        gateway = self._spawn("gateway", [sys.executable, "-m", "gateway"])
        self.write_pids()
        wait_for_port(self.http_port, timeout, gateway.proc)
        self.wait_healthy(timeout)

    def write_pids(self) -> None:
        """``run/pids``: one ``name pid`` line per child, for operators and tests."""
        lines = "".join(f"{c.name} {c.proc.pid}\n" for c in self.children)
        (self.run_dir / "pids").write_text(lines)

    def wait_healthy(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        last = ""
        while time.monotonic() < deadline:
            self.check_children()
            try:
                reply = httpx.get(f"{self.base_url}/healthz", timeout=3)
                if reply.status_code == 200:
                    return
                last = reply.text
            except httpx.HTTPError as exc:
                last = str(exc)
            time.sleep(0.2)
        raise TimeoutError(f"mesh not healthy after {timeout:.0f}s: {last}")

    def check_children(self) -> None:
        """Raise when a child has exited: the mesh is broken, say which and why."""
        for child in self.children:
            code = child.proc.poll()
            if code is not None:
                tail = child.log_path.read_text(errors="replace")[-3000:]
                raise RuntimeError(f"{child.name} exited with {code}; last log lines:\n{tail}")

    def stop(self, grace: float = 10.0) -> None:
        """SIGTERM the gateway, then the services, then NATS and S3 (each tier in
        parallel), then SIGKILL whatever outlived the grace period."""
        tiers = [
            [c for c in self.children if c.name == "gateway"],
            [c for c in self.children if c.name in SERVICES],
            [c for c in self.children if c.name in ("nats", "s3")],
        ]
        for tier in tiers:
            for child in tier:
                if child.proc.poll() is None:
                    child.proc.send_signal(signal.SIGTERM)
            deadline = time.monotonic() + grace
            for child in tier:
                try:
                    child.proc.wait(max(0.1, deadline - time.monotonic()))
                except subprocess.TimeoutExpired:
                    child.proc.kill()
                    child.proc.wait()
        self.children.clear()
