"""The local S3-compatible server behind ``make up`` and the integration tests.

Run in the foreground until SIGTERM/SIGINT::

    python -m deploy.local.s3server --port 9000 --data-dir var/data/s3

or from Python (tests, the local runner) with ``LocalS3Server``, which runs that same
command as a child process and waits until it answers.

Two engines, chosen at start:

* MinIO, when a ``minio`` binary is on PATH: ``minio server DIR --address HOST:PORT``
  with ``MINIO_ROOT_USER``/``MINIO_ROOT_PASSWORD`` taken from the settings
  (``AVATARMESH_S3_ACCESS_KEY``/``AVATARMESH_S3_SECRET_KEY``). This is what production runs.
* Otherwise moto's S3 server (``moto[server]``, pinned). Moto keeps everything in
  memory, so this module adds persistence: on start every bucket and object saved under
  the data dir is loaded before the port opens, and every successful write (PUT, POST,
  DELETE) is mirrored to disk before its response is sent (write-through; one file per
  object, replaced atomically, so a killed server never leaves a torn object).

Limitations of the moto engine (local development and tests only):

* It does NOT verify signatures or expiry of presigned URLs: an expired or tampered
  presigned GET still downloads the object (any credentials are accepted, too). Tests
  that must prove expiry or tamper rejection need MinIO.
* Objects are held in memory (moto spills large ones to temp files); versioning,
  object locks, ACLs, tags and bucket policies are not persisted, only buckets, object
  bytes and object metadata (content type, ``x-amz-meta-*``).
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import json
import logging
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterable
from datetime import datetime
from pathlib import Path
from types import FrameType
from typing import IO, Any
from urllib.parse import parse_qs, unquote

from avatarmesh.settings import REPO_ROOT, Settings, load_settings

__all__ = ["LocalS3Server", "main"]

_OBJECT_SUFFIX = ".obj"
_BUCKET_META = "bucket.json"
_MUTATING = frozenset({"PUT", "POST", "DELETE"})
StartResponse = Callable[..., Any]
WSGIApp = Callable[[dict[str, Any], StartResponse], Iterable[bytes]]


# --------------------------------------------------------------------- moto persistence


class ObjectMirror:
    """Mirrors moto's in-memory S3 state to a folder and loads it back.

    Layout: ``<dir>/<bucket>/bucket.json`` and ``<dir>/<bucket>/objects/<sha256(key)>.obj``,
    each object file being one JSON header line (key, metadata, etag, last modified)
    followed by the raw bytes.
    """

    def __init__(self, root: Path) -> None:
        self.root = root
        self._lock = threading.Lock()
        # bucket -> key -> (etag, last-modified) of what is on disk
        self._index: dict[str, dict[str, tuple[str, str]]] = {}

    # -- moto access (pinned moto; these internals are covered by the storage tests)

    @staticmethod
    def _backends() -> Any:
        from moto.s3.models import s3_backends

        return s3_backends

    def _bucket(self, name: str) -> Any | None:
        backends = self._backends()
        owner = backends.bucket_accounts.get(name)
        if owner is None:
            return None
        partition, account_id = owner
        return backends[account_id][partition].buckets.get(name)

    def _live_buckets(self) -> list[str]:
        return list(self._backends().bucket_accounts.keys())

    # -- restore

    def restore(self, region: str) -> int:
        """Load every saved bucket and object into moto; returns the object count."""
        from moto.core.models import DEFAULT_ACCOUNT_ID
        from moto.s3.models import FakeKey

        self.root.mkdir(parents=True, exist_ok=True)
        backend = self._backends()[DEFAULT_ACCOUNT_ID]["aws"]
        count = 0
        for bucket_dir in sorted(p for p in self.root.iterdir() if p.is_dir()):
            meta_path = bucket_dir / _BUCKET_META
            if not meta_path.exists():
                continue
            meta = json.loads(meta_path.read_text())
            name = str(meta["name"])
            backend.create_bucket(name, str(meta.get("region") or region))
            index = self._index.setdefault(name, {})
            for obj_path in sorted((bucket_dir / "objects").glob(f"*{_OBJECT_SUFFIX}")):
                header, value = _read_object(obj_path)
                etag = str(header.get("etag") or "").strip('"') or None
                key = backend.put_object(
                    name, header["key"], value, etag=etag, disable_notification=True
                )
                assert isinstance(key, FakeKey)
                key.set_metadata(header.get("metadata") or {}, replace=True)
                with contextlib.suppress(ValueError, KeyError):
                    key.last_modified = datetime.fromisoformat(header["last_modified"])
                index[header["key"]] = (key.etag, str(key.last_modified))
                count += 1
        return count

    # -- write-through

    def sync(self, bucket: str | None, key: str | None) -> None:
        """Make disk match moto for one key, one bucket, or (bucket None) all buckets."""
        with self._lock:
            if bucket is None or (bucket not in self._index and self._bucket(bucket) is None):
                names = set(self._live_buckets()) | set(self._index)
                for name in sorted(names):
                    self._sync_bucket(name)
            elif key is None:
                self._sync_bucket(bucket)
            else:
                live = self._bucket(bucket)
                if live is None:
                    self._sync_bucket(bucket)
                else:
                    self._ensure_bucket_dir(live)
                    self._sync_key(bucket, key, live.keys.get(key))

    def _bucket_dir(self, name: str) -> Path:
        return self.root / name

    def _ensure_bucket_dir(self, live: Any) -> None:
        if live.name in self._index:
            return
        bucket_dir = self._bucket_dir(live.name)
        (bucket_dir / "objects").mkdir(parents=True, exist_ok=True)
        _write_atomic(
            bucket_dir / _BUCKET_META,
            json.dumps({"name": live.name, "region": live.region_name}).encode(),
        )
        self._index[live.name] = {}

    def _sync_bucket(self, name: str) -> None:
        live = self._bucket(name)
        if live is None:
            self._index.pop(name, None)
            shutil.rmtree(self._bucket_dir(name), ignore_errors=True)
            return
        self._ensure_bucket_dir(live)
        names = set(self._index[name]) | set(live.keys.keys())
        for key in sorted(names):
            self._sync_key(name, key, live.keys.get(key))

    def _sync_key(self, bucket: str, key: str, obj: Any) -> None:
        from moto.s3.models import FakeKey

        index = self._index[bucket]
        path = self._bucket_dir(bucket) / "objects" / _object_file(key)
        if not isinstance(obj, FakeKey):  # missing, or a delete marker
            if key in index:
                path.unlink(missing_ok=True)
                del index[key]
            return
        stamp = (obj.etag, str(obj.last_modified))
        if index.get(key) == stamp:
            return
        header = {
            "key": key,
            "etag": obj.etag,
            "last_modified": obj.last_modified.isoformat(),
            "metadata": {str(k): str(v) for k, v in obj.metadata.items()},
        }
        _write_atomic(path, json.dumps(header).encode() + b"\n" + obj.value)
        index[key] = stamp


def _object_file(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest() + _OBJECT_SUFFIX


def _read_object(path: Path) -> tuple[dict[str, Any], bytes]:
    raw = path.read_bytes()
    line, _, value = raw.partition(b"\n")
    header: dict[str, Any] = json.loads(line)
    return header, value


def _write_atomic(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{threading.get_ident()}.tmp")
    tmp.write_bytes(data)
    os.replace(tmp, path)


def _target(environ: dict[str, Any]) -> tuple[str | None, str | None]:
    """(bucket, key) of a path-style request; (None, None) when the path has no bucket."""
    path = unquote(str(environ.get("PATH_INFO") or "/")).lstrip("/")
    if not path:
        return None, None
    bucket, _, key = path.partition("/")
    return bucket, (key or None)


class PersistingApp:
    """WSGI middleware: after a successful write, mirror the touched state to disk."""

    def __init__(self, app: WSGIApp, mirror: ObjectMirror) -> None:
        self._app = app
        self._mirror = mirror

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        if environ.get("REQUEST_METHOD") not in _MUTATING:
            return self._app(environ, start_response)
        status: list[str] = []

        def capture(s: str, headers: Any, exc_info: Any = None) -> Any:
            status.append(s)
            return start_response(s, headers, exc_info)

        result = self._app(environ, capture)
        try:
            body = b"".join(result)  # responses to writes are small
        finally:
            close = getattr(result, "close", None)
            if close is not None:
                close()
        if status and status[0][:1] == "2":
            bucket, key = _target(environ)
            query = parse_qs(str(environ.get("QUERY_STRING") or ""), keep_blank_values=True)
            if "uploadId" in query and "partNumber" in query:
                pass  # a multipart part: no object changes until the upload completes
            else:
                self._mirror.sync(bucket, key)
        return [body]


def serve_moto(
    host: str, port: int, data_dir: Path, region: str, *, access_log: bool = False
) -> None:
    """Run moto's S3 server with disk persistence in the foreground until SIGTERM."""
    from moto.moto_server.werkzeug_app import (
        DomainDispatcherApplication,
        MotoRequestHandler,
        create_backend_app,
    )
    from werkzeug.serving import make_server

    if not access_log:
        logging.getLogger("werkzeug").setLevel(logging.WARNING)
    mirror = ObjectMirror(data_dir)
    restored = mirror.restore(region)
    app = PersistingApp(DomainDispatcherApplication(create_backend_app), mirror)
    server = make_server(host, port, app, threaded=True, request_handler=MotoRequestHandler)

    def stop(signum: int, frame: FrameType | None) -> None:
        threading.Thread(target=server.shutdown, daemon=True).start()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    print(
        f"s3server: moto S3 on http://{host}:{port}, data in {data_dir} "
        f"({restored} objects restored)",
        file=sys.stderr,
        flush=True,
    )
    try:
        server.serve_forever(poll_interval=0.1)
    finally:
        server.server_close()


def minio_command(host: str, port: int, data_dir: Path) -> list[str] | None:
    binary = shutil.which("minio")
    if binary is None:
        return None
    return [binary, "server", str(data_dir), "--address", f"{host}:{port}", "--quiet"]


def minio_env(settings: Settings) -> dict[str, str]:
    env = dict(os.environ)
    env["MINIO_ROOT_USER"] = settings.s3_access_key
    env["MINIO_ROOT_PASSWORD"] = settings.s3_secret_key
    env.setdefault("MINIO_REGION", settings.s3_region)  # older releases
    env.setdefault("MINIO_SITE_REGION", settings.s3_region)
    return env


# ------------------------------------------------------------------------ child process


def _port_open(host: str, port: int) -> bool:
    with contextlib.suppress(OSError), socket.create_connection((host, port), timeout=0.5):
        return True
    return False


class LocalS3Server:
    """A local S3 server run as a child process (``python -m deploy.local.s3server``)."""

    def __init__(self, settings: Settings | None = None, *, engine: str = "auto") -> None:
        self._settings = settings or Settings()
        self._engine = engine
        self._proc: subprocess.Popen[bytes] | None = None
        self._log: IO[bytes] | None = None
        self.host = "127.0.0.1"
        self.port = 0
        self.data_dir: Path | None = None

    @property
    def endpoint(self) -> str:
        """``host:port`` as ``Settings.s3_endpoint`` wants it."""
        return f"{self.host}:{self.port}"

    @property
    def running(self) -> bool:
        return self._proc is not None and self._proc.poll() is None

    def start(
        self,
        host: str = "127.0.0.1",
        port: int = 9000,
        data_dir: Path | str | None = None,
        *,
        timeout: float = 30.0,
    ) -> str:
        """Start the server and wait until it accepts connections; returns the endpoint."""
        if self.running:
            raise RuntimeError(f"local S3 server already running on {self.endpoint}")
        self.host, self.port = host, port
        self.data_dir = Path(data_dir) if data_dir else self._settings.data_dir / "s3"
        self.data_dir.mkdir(parents=True, exist_ok=True)
        if _port_open(host, port):
            raise RuntimeError(f"cannot start local S3 server: {host}:{port} is already in use")
        env = dict(os.environ)
        env["AVATARMESH_S3_ACCESS_KEY"] = self._settings.s3_access_key
        env["AVATARMESH_S3_SECRET_KEY"] = self._settings.s3_secret_key
        env["AVATARMESH_S3_REGION"] = self._settings.s3_region
        env["PYTHONPATH"] = os.pathsep.join(
            [str(REPO_ROOT), str(REPO_ROOT / "libs"), env.get("PYTHONPATH", "")]
        ).rstrip(os.pathsep)
        cmd = [
            sys.executable,
            "-m",
            "deploy.local.s3server",
            "--host",
            host,
            "--port",
            str(port),
            "--data-dir",
            str(self.data_dir),
            "--engine",
            self._engine,
        ]
        self._log = tempfile.TemporaryFile()
        self._proc = subprocess.Popen(
            cmd, cwd=REPO_ROOT, env=env, stdout=self._log, stderr=subprocess.STDOUT
        )
        deadline = time.monotonic() + timeout
        while not _port_open(host, port):
            if self._proc.poll() is not None or time.monotonic() > deadline:
                output = self._output()
                self.stop()
                raise RuntimeError(
                    f"local S3 server did not start on {host}:{port}: {output[-2000:]}"
                )
            time.sleep(0.05)
        return self.endpoint

    def _output(self) -> str:
        if self._log is None:
            return ""
        self._log.seek(0)
        return self._log.read().decode(errors="replace")

    def stop(self, timeout: float = 10.0) -> int | None:
        """Stop the server (SIGTERM, then SIGKILL after ``timeout``); data stays on disk.

        Returns the server's exit status (None when it was not running).
        """
        return self._end(signal.SIGTERM, timeout)

    def kill(self) -> int | None:
        """Kill the server without warning (SIGKILL), as a crash would."""
        return self._end(signal.SIGKILL, 10.0)

    def _end(self, sig: signal.Signals, timeout: float) -> int | None:
        proc, self._proc = self._proc, None
        status: int | None = None
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
        return status

    def __enter__(self) -> LocalS3Server:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


# ---------------------------------------------------------------------------- entry point


def _parse(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m deploy.local.s3server", description="local S3-compatible server"
    )
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=9000)
    parser.add_argument("--data-dir", type=Path, default=None, help="default: DATA_DIR/s3")
    parser.add_argument("--engine", choices=("auto", "minio", "moto"), default="auto")
    parser.add_argument("--access-log", action="store_true", help="log every request (moto)")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> None:
    args = _parse(argv)
    settings: Settings = load_settings(Settings)
    data_dir: Path = args.data_dir or settings.data_dir / "s3"
    data_dir.mkdir(parents=True, exist_ok=True)
    command = minio_command(args.host, args.port, data_dir) if args.engine != "moto" else None
    if command is not None:
        # exec: MinIO becomes this process and receives SIGTERM itself.
        os.execve(command[0], command, minio_env(settings))
    if args.engine == "minio":
        raise SystemExit("s3server: --engine minio but no `minio` binary on PATH")
    serve_moto(args.host, args.port, data_dir, settings.s3_region, access_log=args.access_log)


if __name__ == "__main__":
    main()
