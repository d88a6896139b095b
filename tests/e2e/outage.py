"""A webhook receiver that is down, then back: every event arrives exactly once.

The scenario shared by the end-to-end test (``test_webhook_outage.py``, the mesh's
quick retry schedule) and the soak (``make soak-webhooks``: the production schedule
and a 2-minute outage). One owner registers a webhook endpoint for video events at the
receiver's ``.../endpoint`` path; its videos carry ``webhook_url`` at ``.../job``; each
``webhook.test`` goes to the endpoint only. While the receiver is down real events
happen (videos fail and complete, test events are sent); once it is back, ``audit``
checks, for every event and each receiver it was meant for:

* it arrived (answered 2xx) exactly once, under one ``Webhook-Id`` on every attempt,
  and every copy that reached the receiver is signed with that receiver's secret;
* the deliveries API shows attempts 1..n: the failed ones (no answer, or the
  receiver's error status, exactly as many of those as the receiver answered), then
  one 200, and the delivery ``delivered``;
* nothing else arrived and nothing else was attempted.

Expected events come from what the test did (the ids ``webhook.test`` answered, the
videos it submitted), not from the service's records, so a lost event shows as missing.
"""

from __future__ import annotations

import statistics
import time
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import httpx

from tests.e2e.conftest import WORKER_MAX_AUDIO_SECONDS, Mesh, wait_for, wav_data_url
from tests.e2e.receiver import Received, Receiver, check_signed, secret_of
from tests.e2e.test_video_webhooks import audio_of
from tests.e2e.test_videos_api import settled, submit

JOB = "job"  # the video's own webhook_url, signed with the account secret
ENDPOINT = "endpoint"  # the registered endpoint, signed with its own secret
ENDPOINTS = "/api/v1/webhooks/endpoints"
# The deliveries API answers at most this many attempts; the audit needs all of them.
ATTEMPTS_PAGE = 500

# (receiver, subject): the subject is a video id, or a webhook.test event's id.
Key = tuple[str, str]


def epoch(iso: str) -> float:
    return datetime.fromisoformat(iso).timestamp()


@dataclass
class Row:
    """One event at one receiver: its attempts as the deliveries API shows them."""

    target: str
    event: str
    event_id: str
    attempts: int
    first_attempt_s: float | None  # after the receiver went down
    delivered_s: float | None  # after the receiver went down
    after_back_s: float | None  # after it came back
    arrivals: int  # answered 2xx by the receiver
    problems: list[str] = field(default_factory=list)


@dataclass
class Audit:
    rows: list[Row]
    problems: list[str]  # not tied to one expected delivery (strays, a truncated log)
    down_s: float  # how long the receiver was not answering 2xx

    @property
    def passed(self) -> bool:
        return not self.problems and all(not row.problems for row in self.rows)

    def table(self) -> str:
        def secs(value: float | None) -> str:
            return "-" if value is None else f"{value:+.1f}"

        lines = [
            f"{'event id':<29} {'receiver':<8} {'event':<15} {'attempts':>8} "
            f"{'first failure s':>15} {'delivered at s':>14} {'after back s':>12}  result"
        ]
        for r in sorted(self.rows, key=lambda r: (r.delivered_s or 1e9, r.target)):
            lines.append(
                f"{r.event_id:<29} {r.target:<8} {r.event:<15} {r.attempts:>8} "
                f"{secs(r.first_attempt_s):>15} {secs(r.delivered_s):>14} "
                f"{secs(r.after_back_s):>12}  {'; '.join(r.problems) or 'once'}"
            )
        lines.append(self.summary())
        lines.extend(f"MISS {problem}" for problem in self.problems)
        return "\n".join(lines)

    def summary(self) -> str:
        once = sum(1 for r in self.rows if r.arrivals == 1)
        missing = sum(1 for r in self.rows if r.arrivals == 0)
        duplicated = sum(1 for r in self.rows if r.arrivals > 1)
        events = len({r.event_id for r in self.rows})
        after = [r.after_back_s for r in self.rows if r.after_back_s is not None]
        spread = (
            f"; delivered {min(after):.1f} / {statistics.median(after):.1f} / "
            f"{max(after):.1f} s (min / median / max) after it came back"
            if after
            else ""
        )
        attempts = [r.attempts for r in self.rows]
        return (
            f"{len(self.rows)} deliveries of {events} events, receiver down {self.down_s:.0f} s: "
            f"{once} arrived exactly once, {missing} missing, {duplicated} duplicated; "
            f"attempts {min(attempts, default=0)}-{max(attempts, default=0)}{spread}; "
            f"{'PASS' if self.passed else 'MISS'}"
        )


class OutageRun:
    """The scenario's owner, endpoint and events, and the audit of what arrived."""

    def __init__(self, mesh: Mesh, owner: str, hook: Receiver, funds_usd: float = 5) -> None:
        mesh.fund(owner, funds_usd)
        self.api = mesh.api(owner)
        self.hook = hook
        reply = self.api.post(
            ENDPOINTS,
            json={
                "url": self.url(ENDPOINT),
                "events": ["video.completed", "video.failed"],
                "description": "outage",
            },
        )
        assert reply.status_code == 201, reply.text
        self.endpoint_id: str = reply.json()["id"]
        self.secrets = {ENDPOINT: reply.json()["secret"], JOB: secret_of(self.api)}
        self.test_events: list[str] = []
        self.videos: dict[str, str] = {}  # id -> status once settled ("" before)

    def url(self, target: str) -> str:
        return f"{self.hook.url}/{target}"

    def send_test_event(self) -> str:
        """A ``webhook.test`` to the endpoint; its event id."""
        reply = self.api.post(f"{ENDPOINTS}/{self.endpoint_id}/test")
        assert reply.status_code == 202, reply.text
        event_id: str = reply.json()["event_id"]
        self.test_events.append(event_id)
        return event_id

    def submit_video(self, *, fail: bool) -> str:
        """A video announced to the job URL and the endpoint: ``fail`` sends audio the
        worker refuses at render (``video.failed``), else a short script completes."""
        if fail:
            audio = audio_of(WORKER_MAX_AUDIO_SECONDS + 0.5)
            fields: dict[str, Any] = {"audio_data_url": wav_data_url(audio)}
        else:
            fields = {"text": "Back online."}
        created = submit(self.api, resolution=512, webhook_url=self.url(JOB), **fields)
        self.videos[created["id"]] = ""
        return str(created["id"])

    def wait_settled(self, timeout: float = 180) -> dict[str, str]:
        for video_id, status in self.videos.items():
            if not status:
                body = wait_for(self.api, f"/api/v1/avatar-videos/{video_id}", settled, timeout)
                self.videos[video_id] = body["status"]
        return dict(self.videos)

    def expected(self) -> list[Key]:
        """Every (receiver, subject) the test caused an event for (videos once settled;
        a cancelled one would send none, and none is cancelled here)."""
        keys = [(ENDPOINT, event_id) for event_id in self.test_events]
        for video_id, status in self.videos.items():
            if status in ("completed", "failed"):
                keys += [(JOB, video_id), (ENDPOINT, video_id)]
        return keys

    def attempts(self) -> dict[Key, list[dict[str, Any]]]:
        """The owner's recorded attempts per (receiver, subject), in attempt order."""
        reply = self.api.get("/api/v1/webhooks/deliveries", params={"limit": ATTEMPTS_PAGE})
        assert reply.status_code == 200, reply.text
        data: list[dict[str, Any]] = reply.json()["data"]
        assert len(data) < ATTEMPTS_PAGE, "the delivery log is longer than one page"
        grouped: dict[Key, list[dict[str, Any]]] = defaultdict(list)
        for attempt in data:
            target = ENDPOINT if attempt["endpoint_id"] else JOB
            subject = (
                attempt["event_id"] if attempt["event"] == "webhook.test" else attempt["subject_id"]
            )
            grouped[(target, subject)].append(attempt)
        for attempts in grouped.values():
            attempts.sort(key=lambda a: a["attempt"])
        return grouped

    def arrivals(self) -> dict[Key, list[Received]]:
        """What reached the receiver (any answer) per (receiver, subject)."""
        grouped: dict[Key, list[Received]] = defaultdict(list)
        for request in self.hook.received:
            body = request.json
            subject = body.get("video_gen_id") or body["event_id"]
            grouped[(request.path.rsplit("/", 1)[-1], subject)].append(request)
        return grouped

    def wait_failures(self, status: int | None, at_least: int, timeout: float = 120) -> None:
        """Until every expected delivery has ``at_least`` failed attempts answered with
        ``status`` (None: no answer, e.g. connection refused)."""
        deadline = time.monotonic() + timeout
        while True:
            attempts = self.attempts()
            short = {
                key: n
                for key in self.expected()
                if (n := sum(1 for a in attempts.get(key, []) if failed(a, status))) < at_least
            }
            if not short:
                return
            assert time.monotonic() < deadline, f"fewer than {at_least} failures: {short}"
            time.sleep(0.5)

    def wait_delivered(self, timeout: float) -> None:
        """Until every expected delivery reached the receiver and is recorded delivered."""
        deadline = time.monotonic() + timeout
        while True:
            arrivals, attempts = self.arrivals(), self.attempts()
            waiting = [
                key
                for key in self.expected()
                if not any(r.accepted for r in arrivals.get(key, []))
                or not attempts.get(key)
                or attempts[key][-1]["delivery_status"] != "delivered"
            ]
            if not waiting:
                return
            assert time.monotonic() < deadline, f"not delivered after {timeout:.0f} s: {waiting}"
            time.sleep(0.5)

    def audit(self, down_at: float, back_at: float, min_failures: int) -> Audit:
        """Every expected delivery checked (module docstring); times from the
        deliveries API, relative to ``down_at`` and ``back_at`` (epoch seconds)."""
        arrivals, attempts = self.arrivals(), self.attempts()
        expected = self.expected()
        rows = [
            self._row(key, attempts.get(key, []), arrivals.get(key, []), down_at, back_at)
            for key in expected
        ]
        for row in rows:
            if row.attempts and row.attempts - 1 < min_failures:
                row.problems.append(f"only {row.attempts - 1} failed attempts")
        problems = [
            f"unexpected {what} for {key}"
            for what, seen in (("arrival", arrivals), ("attempts", attempts))
            for key in seen
            if key not in expected
        ]
        return Audit(rows, problems, back_at - down_at)

    def _row(
        self,
        key: Key,
        attempts: list[dict[str, Any]],
        arrived: list[Received],
        down_at: float,
        back_at: float,
    ) -> Row:
        target = key[0]
        accepted = [r for r in arrived if r.accepted]
        ids = {a["event_id"] for a in attempts} | {r.headers["webhook-id"] for r in arrived}
        last = attempts[-1] if attempts else None
        delivered = last is not None and last["status_code"] == 200 and last["error"] is None
        row = Row(
            target=target,
            event=attempts[0]["event"] if attempts else "?",
            event_id=",".join(sorted(ids)) or "?",
            attempts=len(attempts),
            first_attempt_s=epoch(attempts[0]["at"]) - down_at if attempts else None,
            delivered_s=epoch(last["at"]) - down_at if last and delivered else None,
            after_back_s=epoch(last["at"]) - back_at if last and delivered else None,
            arrivals=len(accepted),
        )
        if len(accepted) != 1:
            row.problems.append("never arrived" if not accepted else f"{len(accepted)} arrivals")
        if len(ids) != 1:
            row.problems.append(f"{len(ids)} event ids")
        for request in arrived:
            try:
                check_signed(request, self.secrets[target])
            except (AssertionError, KeyError):
                row.problems.append(f"bad signature or headers at {request.at:.1f}")
        row.problems += self._attempt_problems(attempts, arrived)
        if accepted and accepted[0].json["event"] == "video.completed":
            download = httpx.get(accepted[0].json["video_url"], timeout=30)
            if download.status_code != 200:
                row.problems.append(f"video_url answered {download.status_code}")
        return row

    @staticmethod
    def _attempt_problems(attempts: list[dict[str, Any]], arrived: list[Received]) -> list[str]:
        """The log: attempts 1..n, every one but the last failed, the last a 200, the
        delivery delivered, and the failures the receiver answered all recorded."""
        if not attempts:
            return ["no attempt recorded"]
        problems = []
        if [a["attempt"] for a in attempts] != list(range(1, len(attempts) + 1)):
            problems.append("attempt numbers are not 1..n")
        if any(a["error"] is None for a in attempts[:-1]):
            problems.append("a success before the last attempt")
        last = attempts[-1]
        if (last["status_code"], last["error"]) != (200, None):
            problems.append(f"last attempt {last['status_code']} {last['error']}")
        if {a["delivery_status"] for a in attempts} != {"delivered"}:
            problems.append("delivery not 'delivered'")
        answered = sum(1 for a in attempts[:-1] if a["status_code"] is not None)
        refused_here = sum(1 for r in arrived if not r.accepted)
        if answered != refused_here:
            problems.append(f"{answered} answered failures logged, receiver saw {refused_here}")
        return problems


def failed(attempt: dict[str, Any], status: int | None) -> bool:
    """A failed attempt answered with ``status`` (None: no HTTP answer at all)."""
    return attempt["error"] is not None and attempt["status_code"] == status
