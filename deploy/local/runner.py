"""The local mesh behind `make up`: NATS and SeaweedFS (S3) from their wheels, every
service, one worker and the gateway, as child processes of one supervising runner.

Standard ports already in use on this machine (4222 for NATS, 9000 for S3, the gRPC
ports) are never touched: the runner picks free ports instead and hands every child
the addresses through the environment. Data lives under ``AVATARMESH_DATA_DIR`` and
survives restarts. Children die with the runner (PR_SET_PDEATHSIG) and are stopped
in reverse start order on SIGINT/SIGTERM.

The runner heals the mesh as Kubernetes would: a child that exits is started again
(same command, same ports) after a backoff, with a line in the runner's output and in
``run/logs/supervisor.log``; the other children keep serving meanwhile. A child that
exits ``CRASH_LOOP_EXITS`` times within ``CRASH_LOOP_WINDOW_S`` is in a crash loop:
it is reported with its last log lines and left stopped, and only it.
"""

from __future__ import annotations

import ctypes
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections import deque
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import httpx
from pydantic import AliasChoices

from avatarmesh.settings import SERVICES, Settings
from deploy.local.servers import (
    WeedPorts,
    nats_argv,
    remove_weed_sockets,
    weed_argv,
)

# Start order: billing first (others call it), the worker last.
SERVICE_ORDER = ("billing", "files", "avatar", "pose", "video", "webhook", "worker")
assert set(SERVICE_ORDER) == set(SERVICES)

# A child exiting this many times within the window is in a crash loop: left stopped.
CRASH_LOOP_EXITS = 5
CRASH_LOOP_WINDOW_S = 60.0
# Delay before restart n (1-based, counted within the window): quick first, then longer.
RESTART_BACKOFF_S = (0.2, 0.5, 1.0, 2.0, 4.0)
SUPERVISE_EVERY_S = 0.1
INFRA = ("nats", "s3")


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
    """One supervised process: its command, the running process and its exit history."""

    name: str
    proc: subprocess.Popen[bytes]
    log_path: Path
    argv: list[str] = field(default_factory=list)
    exits: deque[float] = field(default_factory=deque)  # monotonic times, last window
    restart_at: float | None = None
    restarts: int = 0
    crash_loop: bool = False


def restart_delay(recent_exits: int) -> float:
    """Backoff before the restart that follows the ``recent_exits``-th exit in the window."""
    return RESTART_BACKOFF_S[min(recent_exits, len(RESTART_BACKOFF_S)) - 1]


@dataclass
class LocalMesh:
    """Starts, supervises and stops the whole mesh. ``env`` overrides the runner's
    environment; ``supervise=False`` leaves exited children down (start fails instead)."""

    data_dir: Path
    http_port: int
    admin_key: str
    env: Mapping[str, str] = field(default_factory=dict)
    standard_ports: bool = True
    supervise: bool = True
    children: list[Child] = field(default_factory=list)
    ports: dict[str, int] = field(default_factory=dict)
    weed_ports: WeedPorts | None = None
    _lock: threading.RLock = field(default_factory=threading.RLock)
    _stopping: threading.Event = field(default_factory=threading.Event)
    _ended: threading.Event = field(default_factory=threading.Event)
    _thread: threading.Thread | None = None

    @property
    def run_dir(self) -> Path:
        return self.data_dir / "run"

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.http_port}"

    @property
    def supervisor_log(self) -> Path:
        return self.run_dir / "logs" / "supervisor.log"

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
        tests ask for free ports only, so meshes started at once never race. SeaweedFS's
        own ports (master, volume, filer, ...) are always free ones."""
        taken: set[int] = {self.http_port}
        standard = {"nats": 4222, "s3": 9000}
        standard.update({name: defaults.grpc_port(name) for name in SERVICE_ORDER})
        for name, port in standard.items():
            self.ports[name] = preferred_port(port if self.standard_ports else 0, taken)
        self.weed_ports = WeedPorts.allocate(self.ports["s3"], taken)

    def _popen(self, argv: list[str], log_path: Path) -> subprocess.Popen[bytes]:
        log_path.parent.mkdir(parents=True, exist_ok=True)
        with log_path.open("ab") as log_file:
            return subprocess.Popen(
                argv,
                stdout=log_file,
                stderr=subprocess.STDOUT,
                env=self.child_env(),
                preexec_fn=_die_with_parent,
                cwd=Path(__file__).resolve().parents[2],
            )

    def _spawn(self, name: str, argv: list[str]) -> Child:
        """Start ``argv`` as the supervised child ``name`` (output in logs/NAME.log)."""
        log_path = self.run_dir / "logs" / f"{name}.log"
        with self._lock:
            child = Child(name, self._popen(argv, log_path), log_path, list(argv))
            self.children.append(child)
        return child

    def infrastructure_argv(self) -> dict[str, list[str]]:
        """The NATS and SeaweedFS commands, data under the data dir; S3 accepts the
        keys the children are given (``env`` over the runner's environment)."""
        assert self.weed_ports is not None
        env = {**os.environ, **self.env}
        keys = {
            name: env[f"AVATARMESH_{name.upper()}"]
            for name in ("s3_access_key", "s3_secret_key")
            if f"AVATARMESH_{name.upper()}" in env
        }
        s3_settings = Settings().model_copy(update=keys)
        return {
            "nats": nats_argv(self.ports["nats"], self.data_dir / "nats"),
            "s3": weed_argv(self.weed_ports, self.data_dir / "s3", s3_settings),
        }

    def start(self, timeout: float = 60.0) -> None:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self.allocate_ports(Settings())
        servers = self.infrastructure_argv()
        nats = self._spawn("nats", servers["nats"])
        s3 = self._spawn("s3", servers["s3"])
        wait_for_port(self.ports["nats"], timeout, nats.proc)
        wait_for_port(self.ports["s3"], timeout, s3.proc)
        for name in SERVICE_ORDER:
            self._spawn(name, [sys.executable, "-m", f"services.{name}"])
        gateway = self._spawn("gateway", [sys.executable, "-m", "gateway"])
        self.write_pids()
        if self.supervise:
            self._thread = threading.Thread(target=self._supervise_loop, daemon=True)
            self._thread.start()
        wait_for_port(self.http_port, timeout, None if self.supervise else gateway.proc)
        self.wait_healthy(timeout)

    def write_pids(self) -> None:
        """``run/pids``: one ``name pid`` line per child, for operators and tests."""
        with self._lock:
            lines = "".join(f"{c.name} {c.proc.pid}\n" for c in self.children)
        tmp = self.run_dir / "pids.tmp"
        tmp.write_text(lines)
        tmp.replace(self.run_dir / "pids")

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
        """Raise when a child is beyond help: in a crash loop when supervised, or
        exited at all when not."""
        with self._lock:
            for child in self.children:
                code = child.proc.poll()
                if child.crash_loop or (code is not None and not self.supervise):
                    raise RuntimeError(self._exit_report(child, code))

    def crashed(self) -> list[str]:
        """Names of the children left stopped after a crash loop."""
        with self._lock:
            return [c.name for c in self.children if c.crash_loop]

    def log_tails(self, chars: int = 2500) -> str:
        """The last ``chars`` of the supervisor's and every child's log, most recently
        written first: what the mesh was doing, for a failed test's report."""
        logs = [self.supervisor_log, *(child.log_path for child in self.children)]
        present = [p for p in dict.fromkeys(logs) if p.exists()]
        present.sort(key=lambda p: p.stat().st_mtime, reverse=True)
        return "\n".join(
            f"--- {p.name} (last {chars} chars)\n{p.read_text(errors='replace')[-chars:]}"
            for p in present
        )

    def _exit_report(self, child: Child, code: int | None) -> str:
        tail = child.log_path.read_text(errors="replace")[-3000:]
        what = (
            f"crash loop: exited {CRASH_LOOP_EXITS} times in {CRASH_LOOP_WINDOW_S:.0f}s, "
            "not restarted"
            if child.crash_loop
            else f"exited with {code}"
        )
        return f"{child.name} {what}; last log lines:\n{tail}"

    def say(self, line: str) -> None:
        """A supervisor line: the runner's output and run/logs/supervisor.log."""
        stamped = f"{time.strftime('%H:%M:%S')} supervisor: {line}"
        print(stamped, file=sys.stderr, flush=True)
        with self.supervisor_log.open("a") as log:
            log.write(stamped + "\n")

    def _supervise_loop(self) -> None:
        while not self._ended.wait(SUPERVISE_EVERY_S):
            if not self._stopping.is_set():
                self.supervise_once()

    def supervise_once(self, now: float | None = None) -> None:
        """Notice exits, report crash loops, restart children whose backoff is over."""
        now = time.monotonic() if now is None else now
        restarted = False
        with self._lock:
            for child in self.children:
                if child.crash_loop:
                    continue
                if child.restart_at is None:
                    code = child.proc.poll()
                    if code is not None:
                        self._note_exit(child, code, now)
                elif now >= child.restart_at and not self._stopping.is_set():
                    child.proc = self._popen(child.argv, child.log_path)
                    child.restart_at = None
                    child.restarts += 1
                    restarted = True
                    self.say(f"{child.name} restarted (pid {child.proc.pid})")
        if restarted:
            self.write_pids()

    def _note_exit(self, child: Child, code: int, now: float) -> None:
        child.exits.append(now)
        while child.exits and child.exits[0] < now - CRASH_LOOP_WINDOW_S:
            child.exits.popleft()
        if len(child.exits) >= CRASH_LOOP_EXITS:
            child.crash_loop = True
            self.say(self._exit_report(child, code))
            return
        delay = restart_delay(len(child.exits))
        child.restart_at = now + delay
        self.say(
            f"{child.name} (pid {child.proc.pid}) exited with {code}; "
            f"restart in {delay:.1f}s ({len(child.exits)} exits in the last "
            f"{CRASH_LOOP_WINDOW_S:.0f}s)"
        )

    def stop(self, grace: float = 10.0) -> None:
        """SIGTERM the gateway, then the services, then NATS and S3 (each tier in
        parallel), then SIGKILL whatever outlived the grace period."""
        self._stopping.set()
        with self._lock:
            children = list(self.children)
        tiers = [
            [c for c in children if c.name.startswith("gateway")],
            [c for c in children if not c.name.startswith("gateway") and c.name not in INFRA],
            [c for c in children if c.name in INFRA],
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
        self._ended.set()
        if self._thread is not None:
            self._thread.join(5)
        if self.weed_ports is not None:
            remove_weed_sockets(self.weed_ports)
        with self._lock:
            self.children.clear()
