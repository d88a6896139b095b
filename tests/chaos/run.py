"""Chaos run: the real local mesh (the runner `make up` uses, supervisor included) under
a steady load of avatars, videos of both tiers and poses with webhooks to a local
receiver, while a random child (every service, the worker, the gateway, NATS and S3)
is SIGKILLed every few seconds. Then the load stops, the mesh settles and the audit
checks what must hold whatever was killed:

* every accepted job is terminal, and was settled exactly once in the ledger (one hold,
  at most one capture, a failed or cancelled job captured nothing);
* the ledger equals the wallet (balance and held re-derived from the entries, and the
  billing service's own VerifyLedger);
* captures equal actual costs to the micro-dollar (a video's reconciled charge, an
  avatar's and a pose's price);
* no hold is left open;
* every webhook event the webhook service recorded reached the receiver, and every
  finished video with a webhook has its one terminal event there;
* no traceback in any process's log.

``python -m tests.chaos --kills 20`` (`make chaos`) prints the kill list and the audit
table and exits 1 on any miss.
"""

from __future__ import annotations

import os
import random
import signal
import threading
import time
import uuid
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import grpc
import httpx

from avatarmesh.money import usd
from avatarmesh.v1 import billing_pb2, billing_pb2_grpc
from deploy.local.runner import CRASH_LOOP_EXITS, CRASH_LOOP_WINDOW_S, LocalMesh, free_port
from tests.e2e.receiver import Receiver

ADMIN_KEY = "sk_admin_chaos_key"
OWNER = "own_chaos"
FUNDING_USD = 500
SCRIPT = "Hello from the chaos run. Every process may die; nothing may be lost."
TERMINAL = {
    "video": {"completed", "failed", "cancelled"},
    "avatar": {"ready", "failed"},
    "pose": {"ready", "failed"},
}
PRICE_MICROS = {"avatar": 1_000_000, "pose": 13_000}


def micros(dollars: float | None) -> int:
    """The API's dollar figure (a float with at most 6 decimals) as micro-dollars."""
    return usd(f"{dollars or 0:.6f}")


@dataclass
class Kill:
    at: float
    name: str
    pid: int


@dataclass
class Submitted:
    kind: str  # video, avatar or pose
    id: str
    avatar_id: str = ""
    webhook: bool = False


@dataclass
class Row:
    check: str
    expected: str
    actual: str
    ok: bool


@dataclass
class Report:
    kills: list[Kill]
    rows: list[Row]
    submitted: Counter[str]
    refused: Counter[str]
    seconds: float
    logs: Path
    seed: int

    @property
    def passed(self) -> bool:
        return all(row.ok for row in self.rows)

    def table(self) -> str:
        width = max(len(r.check) for r in self.rows)
        kills = self.kills
        lines = [
            f"chaos: {len(self.kills)} kills in {self.seconds:.0f}s; "
            f"jobs accepted {dict(self.submitted)}; refused while a process was down "
            f"{dict(self.refused)}; seed {self.seed}; logs {self.logs}",
            "kills: " + ", ".join(f"{n} x{c}" for n, c in Counter(k.name for k in kills).items()),
            "",
            f"{'check':<{width}}  {'result':<6}  expected / actual",
        ]
        for r in self.rows:
            lines.append(
                f"{r.check:<{width}}  {'PASS' if r.ok else 'MISS':<6}  {r.expected} / {r.actual}"
            )
        lines.append(f"\nchaos: {'PASS' if self.passed else 'MISS'}")
        return "\n".join(lines)


def _retrying(call: Callable[[], httpx.Response], attempts: int = 60) -> httpx.Response:
    """``call`` until it answers something other than a transport error or 5xx (the
    mesh heals; the audit must not fail on a process that is restarting)."""
    last: Exception | None = None
    for _ in range(attempts):
        try:
            reply = call()
            if reply.status_code < 500:
                return reply
            last = RuntimeError(f"{reply.status_code} {reply.text[:200]}")
        except httpx.HTTPError as exc:
            last = exc
        time.sleep(0.5)
    raise RuntimeError(f"no answer after {attempts} attempts: {last}")


def _error_code(reply: httpx.Response) -> str:
    try:
        return str(reply.json()["error"]["code"])
    except (ValueError, KeyError, TypeError):
        return reply.text[:60]


class Load:
    """Submits a mix of jobs, one every ``every_s``, until stopped; remembers what was
    accepted (2xx) and counts what a dead process refused."""

    def __init__(self, api: httpx.Client, hook_url: str, system_avatar: str, every_s: float):
        self.api = api
        self.hook_url = hook_url
        self.system_avatar = system_avatar
        self.every_s = every_s
        self.accepted: list[Submitted] = []
        self.refused: Counter[str] = Counter()
        self.cancelled = 0
        self.stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def start(self) -> None:
        self._thread.start()

    def join(self) -> None:
        self.stop.set()
        self._thread.join(120)

    def _run(self) -> None:
        actions = [
            self._video("avatar"),
            self._pose,
            self._video("avatar_pro"),
            self._avatar,
            self._video("avatar"),
            self._video("avatar_pro"),
        ]
        n = 0
        while not self.stop.wait(self.every_s):
            kind, submit = actions[n % len(actions)]
            n += 1
            try:
                reply = submit()
            except httpx.HTTPError as exc:
                self.refused[f"{kind} {type(exc).__name__}"] += 1
                continue
            if reply.status_code in (200, 201, 202):
                body = reply.json()
                self.accepted.append(
                    Submitted(kind, body["id"], body.get("avatar_id", ""), kind == "video")
                )
                if kind == "video" and n % 3 == 0:
                    self._cancel(body["id"])  # a third of the videos: the release path
            else:
                self.refused[f"{kind} {reply.status_code} {_error_code(reply)}"] += 1

    def _cancel(self, video_id: str) -> None:
        """Cancel right away (409 once finished; a dead process may refuse it: either
        way the audit checks the outcome)."""
        try:
            reply = self.api.post(f"/api/v1/avatar-videos/{video_id}/cancel")
        except httpx.HTTPError as exc:
            self.refused[f"cancel {type(exc).__name__}"] += 1
            return
        if reply.status_code == 200:
            self.cancelled += 1
        else:
            self.refused[f"cancel {reply.status_code} {_error_code(reply)}"] += 1

    def _video(self, tier: str) -> tuple[str, Callable[[], httpx.Response]]:
        def submit() -> httpx.Response:
            return self.api.post(
                "/api/v1/avatar-videos",
                json={
                    "avatar_id": self.system_avatar,
                    "text": SCRIPT,
                    "tier": tier,
                    "resolution": 512,
                    "webhook_url": self.hook_url,
                },
                headers={"Idempotency-Key": f"chaos-{uuid.uuid4()}"},
            )

        return "video", submit

    @property
    def _pose(self) -> tuple[str, Callable[[], httpx.Response]]:
        def submit() -> httpx.Response:
            return self.api.post(
                f"/api/v1/avatars/{self.system_avatar}/poses",
                json={"prompt": "close-up, head turned slightly left", "name": "chaos"},
            )

        return "pose", submit

    @property
    def _avatar(self) -> tuple[str, Callable[[], httpx.Response]]:
        def submit() -> httpx.Response:
            return self.api.post(
                "/api/v1/avatars",
                json={
                    "name": "Chaos",
                    "description": "Calm presenter, short dark hair, grey jacket",
                    "language": "en",
                    "nationality": "Irish",
                    "gender": "female",
                },
            )

        return "avatar", submit


class Killer:
    """SIGKILLs a random child every ``every_s`` (never one the supervisor is about to
    restart, nor one near the crash-loop threshold: chaos tests healing, not the
    crash-loop stop, which has its own tests)."""

    def __init__(self, mesh: LocalMesh, kills: int, every_s: float, rng: random.Random):
        self.mesh = mesh
        self.kills = kills
        self.every_s = every_s
        self.rng = rng
        self.done: list[Kill] = []

    def run(self) -> None:
        while len(self.done) < self.kills:
            time.sleep(self.every_s)
            now = time.monotonic()
            with self.mesh._lock:
                candidates = [
                    c
                    for c in self.mesh.children
                    if c.restart_at is None
                    and not c.crash_loop
                    and c.proc.poll() is None
                    and sum(t > now - CRASH_LOOP_WINDOW_S for t in c.exits) < CRASH_LOOP_EXITS - 2
                ]
                if not candidates:
                    continue
                child = self.rng.choice(candidates)
                os.kill(child.proc.pid, signal.SIGKILL)
                self.done.append(Kill(now, child.name, child.proc.pid))


def chaos_mesh(data_dir: Path) -> LocalMesh:
    return LocalMesh(
        standard_ports=False,
        data_dir=data_dir,
        http_port=free_port(),
        admin_key=ADMIN_KEY,
        env={
            "AVATARS_API_ENABLED": "true",
            "AVATARMESH_LOG_JSON": "false",
            "AVATARMESH_RATE_LIMIT_PER_MINUTE": "0",
            "AVATARMESH_WEBHOOK_RETRY_SCHEDULE_SECONDS": "[0.5, 1, 2, 4, 8, 8, 8, 8]",
            "AVATARMESH_WEBHOOK_RETRY_JITTER": "0",
            "AVATARMESH_WEBHOOK_POLL_INTERVAL_SECONDS": "0.2",
        },
    )


def run_chaos(
    data_dir: Path,
    kills: int = 20,
    every_s: float = 4.0,
    seed: int | None = None,
    settle_s: float = 600.0,
    load_every_s: float = 1.5,
) -> Report:
    """Start a mesh on ``data_dir``, load it, kill ``kills`` times, settle, audit."""
    seed = random.randrange(1 << 30) if seed is None else seed
    rng = random.Random(seed)
    started = time.monotonic()
    mesh = chaos_mesh(data_dir)
    receiver = Receiver()
    try:
        mesh.start(timeout=240)
        admin = httpx.Client(
            base_url=mesh.base_url, headers={"Authorization": f"Bearer {ADMIN_KEY}"}, timeout=30
        )
        key = admin.post("/admin/v1/api-keys", json={"owner_id": OWNER}).json()["key"]
        funded = admin.post(
            f"/admin/v1/wallets/{OWNER}/top-ups",
            json={"amount_usd": FUNDING_USD, "idempotency_key": "chaos-funding"},
        )
        assert funded.status_code == 201, funded.text
        api = httpx.Client(
            base_url=mesh.base_url, headers={"Authorization": f"Bearer {key}"}, timeout=30
        )
        avatars = api.get("/api/v1/avatars", params={"limit": 100}).json()["data"]
        system = next(a["id"] for a in avatars if a["is_system"] and a["language"] == "en")
        load = Load(api, receiver.url, system, load_every_s)
        load.start()
        killer = Killer(mesh, kills, every_s, rng)
        killer.run()
        time.sleep(every_s)  # the last kill heals under load too
        load.join()
        mesh.wait_healthy(60)
        rows = audit(mesh, api, load, receiver, settle_s)
        return Report(
            killer.done,
            rows,
            Counter(s.kind for s in load.accepted),
            load.refused,
            time.monotonic() - started,
            mesh.run_dir / "logs",
            seed,
        )
    finally:
        receiver.close()
        mesh.stop()


# --------------------------------------------------------------------------- the audit


def _pages(api: httpx.Client, path: str, **params: Any) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    page = 1
    while True:
        query = {**params, "page": page, "limit": 100}
        reply = _retrying(lambda: api.get(path, params=query))  # noqa: B023 (called at once)
        assert reply.status_code == 200, reply.text
        body = reply.json()
        out += body["data"]
        if len(body["data"]) < 100:
            return out
        page += 1


def _jobs(api: httpx.Client, system_avatar: str) -> dict[str, dict[str, Any]]:
    """Every job of the chaos owner, by id, with its kind."""
    jobs: dict[str, dict[str, Any]] = {}
    for video in _pages(api, "/api/v1/avatar-videos"):
        jobs[video["id"]] = {**video, "kind": "video"}
    avatars = [a for a in _pages(api, "/api/v1/avatars") if not a["is_system"]]
    for avatar in avatars:
        jobs[avatar["id"]] = {**avatar, "kind": "avatar"}
    for avatar_id in [system_avatar, *(a["id"] for a in avatars if a["status"] == "ready")]:
        path = f"/api/v1/avatars/{avatar_id}/poses"
        reply = _retrying(lambda: api.get(path))  # noqa: B023 (called at once)
        for pose in reply.json()["data"]:
            if not pose["is_base"]:
                jobs[pose["id"]] = {**pose, "kind": "pose"}
    return jobs


def _settled(api: httpx.Client, system_avatar: str, timeout: float) -> dict[str, dict[str, Any]]:
    """The jobs once every one is terminal and no money is held (a pose abandoned by a
    killed process is released by the pose settler within about a minute)."""
    deadline = time.monotonic() + timeout
    while True:
        jobs = _jobs(api, system_avatar)
        open_jobs = [j for j in jobs.values() if j["status"] not in TERMINAL[j["kind"]]]
        held = _retrying(lambda: api.get("/api/v1/billing/balance")).json()["held_usd"]
        if (not open_jobs and not held) or time.monotonic() > deadline:
            return jobs
        time.sleep(2)


def _verify_ledger(mesh: LocalMesh) -> billing_pb2.VerifyLedgerResponse:
    with grpc.insecure_channel(f"127.0.0.1:{mesh.ports['billing']}") as channel:
        stub = billing_pb2_grpc.BillingServiceStub(channel)
        reply: billing_pb2.VerifyLedgerResponse = stub.VerifyLedger(
            billing_pb2.VerifyLedgerRequest(owner_id=OWNER), timeout=30
        )
        return reply


def _expected_capture(job: dict[str, Any]) -> int:
    if job["kind"] == "video":
        return micros(job["actual_cost_usd"]) if job["status"] == "completed" else 0
    return PRICE_MICROS[job["kind"]] if job["status"] == "ready" else 0


def audit(
    mesh: LocalMesh, api: httpx.Client, load: Load, receiver: Receiver, settle_s: float
) -> list[Row]:
    system_avatar = load.system_avatar
    jobs = _settled(api, system_avatar, settle_s)
    rows: list[Row] = []

    def row(check: str, expected: Any, actual: Any, ok: bool | None = None) -> None:
        passed = expected == actual if ok is None else ok
        rows.append(Row(check, str(expected), str(actual), passed))

    missing = [s.id for s in load.accepted if s.id not in jobs]
    row("accepted jobs found", 0, len(missing))
    open_jobs = sorted(
        f"{j['kind']} {j['id']} {j['status']}"
        for j in jobs.values()
        if j["status"] not in TERMINAL[j["kind"]]
    )
    row("jobs terminal", f"{len(jobs)}/{len(jobs)}", f"{len(jobs) - len(open_jobs)}/{len(jobs)}")
    if open_jobs:
        row("  not terminal", "none", "; ".join(open_jobs[:5]), ok=False)
    statuses = Counter(f"{j['kind']}:{j['status']}" for j in jobs.values())
    row("job outcomes", "-", dict(sorted(statuses.items())), ok=True)

    # ---- money
    entries = _pages(api, "/api/v1/billing/ledger")
    wallet = _retrying(lambda: api.get("/api/v1/billing/balance")).json()
    balance = sum(micros(e["balance_delta_usd"]) for e in entries)
    held = sum(micros(e["held_delta_usd"]) for e in entries)
    row("ledger balance == wallet balance", micros(wallet["balance_usd"]), balance)
    row("ledger held == wallet held", micros(wallet["held_usd"]), held)
    check = _verify_ledger(mesh)
    row("billing VerifyLedger consistent", True, check.consistent)

    by_hold: dict[str, list[dict[str, Any]]] = defaultdict(list)
    reference_of: dict[str, str] = {}
    for entry in entries:
        if entry["hold_id"]:
            by_hold[entry["hold_id"]].append(entry)
        if entry["kind"] == "hold":
            reference_of[entry["hold_id"]] = entry["reference"] or ""
    holds_per_ref = Counter(reference_of.values())
    double_holds = [r for r, n in holds_per_ref.items() if n > 1]
    row("one hold per job", 0, len(double_holds))
    open_holds = [
        h for h, es in by_hold.items() if sum(micros(e["held_delta_usd"]) for e in es) != 0
    ]
    row("no open hold (held 0)", "0 / 0", f"{len(open_holds)} / {micros(wallet['held_usd'])}")
    captured: dict[str, int] = defaultdict(int)
    captures_per_ref: Counter[str] = Counter()
    for hold_id, es in by_hold.items():
        for e in es:
            if e["kind"] == "capture":
                captured[reference_of.get(hold_id, hold_id)] += -micros(e["balance_delta_usd"])
                captures_per_ref[reference_of.get(hold_id, hold_id)] += 1
    row("at most one capture per job", 0, sum(1 for n in captures_per_ref.values() if n > 1))
    wrong = [
        f"{j['kind']} {jid}: captured {captured.get(jid, 0)} expected {_expected_capture(j)}"
        for jid, j in jobs.items()
        if captured.get(jid, 0) != _expected_capture(j)
    ]
    orphan = [r for r in captured if r not in jobs]
    row("captures == actual costs (micro-$)", 0, len(wrong) + len(orphan))
    for line in (wrong + [f"capture for unknown {r}" for r in orphan])[:5]:
        row("  mismatch", "-", line, ok=False)
    total = sum(_expected_capture(j) for j in jobs.values())
    row("total captured == total actual", total, sum(captured.values()))
    row("wallet == funding - captures", micros(FUNDING_USD) - total, micros(wallet["balance_usd"]))

    # ---- webhooks
    rows += _webhook_rows(api, jobs, receiver)

    # ---- logs
    tracebacks = {
        p.name: _exceptions(p.read_text(errors="replace"))
        for p in sorted((mesh.run_dir / "logs").glob("*.log"))
    }
    row("no traceback in the logs", [], [name for name, found in tracebacks.items() if found])
    for name, found in tracebacks.items():
        for line in found[:3]:  # say why in the table itself: CI keeps no logs
            row(f"  {name}", "-", line[:160], ok=False)
    row("no crash loop", [], mesh.crashed())
    return rows


def _exceptions(log_text: str) -> list[str]:
    """The exception line (the first unindented line after the frames) of each
    traceback in a log."""
    found = []
    lines = log_text.splitlines()
    for i, line in enumerate(lines):
        if line.startswith("Traceback (most recent call last)"):
            tail = (x for x in lines[i + 1 :] if x and not x.startswith(" "))
            found.append(next(tail, "(traceback cut off)"))
    return found


def _webhook_rows(
    api: httpx.Client, jobs: dict[str, dict[str, Any]], receiver: Receiver
) -> list[Row]:
    videos = [j for j in jobs.values() if j["kind"] == "video" and j["status"] != "cancelled"]
    deadline = time.monotonic() + 120
    while True:
        recorded: dict[str, str] = {}  # event id -> delivery status, per the webhook service
        for video in videos:
            query = {"video_id": video["id"]}
            reply = _retrying(
                lambda: api.get("/api/v1/webhooks/deliveries", params=query)  # noqa: B023
            )
            for attempt in reply.json()["data"]:
                recorded[attempt["event_id"]] = attempt["delivery_status"]
        got: dict[str, set[str]] = defaultdict(set)  # video id -> "event event_id"
        for request in receiver.received:
            body = request.json
            got[body["video_gen_id"]].add(f"{body['event']} {body['event_id']}")
        received_ids = {e.split()[1] for events in got.values() for e in events}
        undelivered = [e for e in recorded if e not in received_ids]
        pending = [e for e, status in recorded.items() if status == "pending"]
        if (not undelivered and not pending) or time.monotonic() > deadline:
            break
        time.sleep(1)
    wrong = []
    for video in videos:
        events = got.get(video["id"], set())
        ids = {e.split()[1] for e in events}
        names = {e.split()[0] for e in events}
        if len(ids) != 1 or names != {f"video.{video['status']}"}:
            wrong.append(f"{video['id']} {video['status']}: {sorted(events)}")
    out = [
        Row(
            "webhook events recorded -> delivered",
            "0 missing",
            f"{len(undelivered)} missing",
            not undelivered,
        ),
        Row(
            "one terminal event id per video",
            f"{len(videos)} videos",
            f"{len(wrong)} wrong",
            not wrong,
        ),
    ]
    out += [Row("  event mismatch", "-", line, False) for line in wrong[:5]]
    return out
