"""The Python SDK's own logic, without a mesh: retries (which answers, how long, one
Idempotency-Key), errors carrying the API's code, lenient models, webhook signatures,
and that the SDK and its generated types cover every operation of /openapi.json.
The whole quick start against the real mesh is tests/e2e/test_sdk_python.py."""

from __future__ import annotations

import asyncio
import json
import re
import time
from pathlib import Path

import httpx
import pytest

from avatarmesh_sdk import AsyncClient, Client, models
from avatarmesh_sdk._calls import ROUTES
from avatarmesh_sdk.errors import (
    ConnectionFailed,
    JobFailed,
    NotFoundError,
    RateLimitError,
    WaitTimeout,
)
from avatarmesh_sdk.webhooks import (
    WebhookVerificationError,
    construct_event,
    sign,
    verify_signature,
)
from sdk import codegen

CREATED = {
    "id": "vg_x",
    "status": "queued",
    "tier": "avatar",
    "estimated_cost_usd": 0.1,
    "poll_url": "/api/v1/avatar-videos/vg_x",
}


def error(status: int, code: str, headers: dict[str, str] | None = None) -> httpx.Response:
    body = {"error": {"code": code, "message": code.lower()}}
    return httpx.Response(status, json=body, headers=headers or {})


def scripted(answers: list[httpx.Response], seen: list[httpx.Request]) -> httpx.MockTransport:
    def handle(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return answers.pop(0)

    return httpx.MockTransport(handle)


@pytest.fixture
def sleeps(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    waited: list[float] = []
    monkeypatch.setattr(time, "sleep", waited.append)
    return waited


def client_with(answers: list[httpx.Response], seen: list[httpx.Request]) -> Client:
    http = httpx.Client(transport=scripted(answers, seen))
    return Client(api_key="sk_test", base_url="http://api", http=http)


def test_transient_answers_are_retried_with_one_idempotency_key(sleeps: list[float]) -> None:
    seen: list[httpx.Request] = []
    answers = [
        error(503, "SERVICE_UNAVAILABLE"),
        error(429, "RATE_LIMITED", {"Retry-After": "7"}),
        error(502, "UPSTREAM_ERROR"),
        error(409, "IDEMPOTENCY_KEY_IN_PROGRESS", {"Retry-After": "1"}),
        httpx.Response(202, json=CREATED),
    ]
    created = client_with(answers, seen).videos.create(avatar_id="av_x", text="hi")
    assert created.id == "vg_x" and isinstance(created, models.CreatedVideo)
    keys = {r.headers["idempotency-key"] for r in seen}
    assert len(seen) == 5 and len(keys) == 1 and keys.pop().startswith("sdk-")
    assert sleeps[1] == 7 and sleeps[3] == 1  # Retry-After honoured
    assert 0 <= sleeps[0] <= 0.5 and 0 <= sleeps[2] <= 2.0  # full jitter under the ceiling


@pytest.mark.parametrize("code", ["DAILY_CAP_REACHED"])
def test_a_cap_that_resets_at_midnight_is_not_retried(code: str, sleeps: list[float]) -> None:
    seen: list[httpx.Request] = []
    client = client_with([error(429, code)], seen)
    with pytest.raises(RateLimitError) as caught:
        client.avatars.create_pose("av_x", prompt="p")
    assert caught.value.code == code and len(seen) == 1 and not sleeps


def test_retries_stop_after_max_retries(sleeps: list[float]) -> None:
    seen: list[httpx.Request] = []
    answers = [error(503, "SERVICE_UNAVAILABLE") for _ in range(5)]
    with pytest.raises(Exception) as caught:
        client_with(answers, seen).billing.balance()
    assert getattr(caught.value, "code", None) == "SERVICE_UNAVAILABLE"
    assert len(seen) == 5 and len(sleeps) == 4


def test_unreachable_api_is_connection_failed(sleeps: list[float]) -> None:
    def refuse(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("refused", request=request)

    client = Client(
        api_key="k",
        base_url="http://api",
        http=httpx.Client(transport=httpx.MockTransport(refuse)),
        max_retries=2,
    )
    with pytest.raises(ConnectionFailed):
        client.billing.balance()
    assert len(sleeps) == 2


def test_errors_carry_the_api_code_and_status(sleeps: list[float]) -> None:
    seen: list[httpx.Request] = []
    client = client_with([error(404, "NOT_FOUND")], seen)
    with pytest.raises(NotFoundError) as caught:
        client.avatars.get("av_x")
    assert (caught.value.status, caught.value.code) == (404, "NOT_FOUND")
    assert seen[0].headers["authorization"] == "Bearer sk_test"
    assert "idempotency-key" not in seen[0].headers  # GETs need none


def test_models_ignore_new_fields_and_fill_missing_ones() -> None:
    video = models.VideoOut.from_dict({"id": "vg_x", "status": "completed", "new": 1})
    assert video.id == "vg_x" and video.video_url is None
    page = models.AvatarPage.from_dict(
        {"data": [{"id": "av_x", "name": "A", "status": "ready"}], "page": 1, "limit": 20}
    )
    assert isinstance(page.data[0], models.AvatarOut) and page.data[0].name == "A"


def test_wait_for_video_reports_progress_and_raises_on_failure(sleeps: list[float]) -> None:
    seen: list[httpx.Request] = []
    states = [
        {"id": "vg_x", "status": s, "progress": p, "error": e}
        for s, p, e in (
            ("queued", 0.0, None),
            ("processing", 0.5, None),
            ("failed", 0.5, "render failed"),
        )
    ]
    client = client_with([httpx.Response(200, json=s) for s in states], seen)
    progress: list[float] = []
    with pytest.raises(JobFailed) as caught:
        client.wait_for_video("vg_x", poll=0.01, on_progress=lambda v: progress.append(v.progress))
    assert progress == [0.0, 0.5, 0.5] and "render failed" in str(caught.value)


def test_waiting_for_an_avatar_stops_on_a_review_rejection(sleeps: list[float]) -> None:
    seen: list[httpx.Request] = []
    states = [
        {"id": "av_x", "status": "processing", "stage": "reviewing", "error": None},
        {"id": "av_x", "status": "rejected", "stage": None, "error": "rejected in review: no"},
    ]
    client = client_with([httpx.Response(200, json=s) for s in states], seen)
    with pytest.raises(JobFailed) as caught:
        client.wait_for_avatar("av_x", poll=0.01)
    assert "rejected in review: no" in str(caught.value)


def test_consent_reviews_are_operator_calls_with_the_admin_key() -> None:
    seen: list[httpx.Request] = []
    review = {"avatar": {"id": "av_x"}, "review_status": "rejected", "consent_check": {}}
    answers = [httpx.Response(200, json={"data": []})] + [
        httpx.Response(200, json=review) for _ in range(2)
    ]
    http = httpx.Client(transport=scripted(answers, seen))
    client = Client(api_key="sk_test", admin_key="sk_admin", base_url="http://api", http=http)
    assert client.admin.list_reviews(limit=5).data == []
    client.admin.approve_avatar("av_x")
    assert client.admin.reject_avatar("av_x", "another person").review_status == "rejected"
    assert [(r.method, r.url.path) for r in seen] == [
        ("GET", "/admin/v1/reviews"),
        ("POST", "/admin/v1/avatars/av_x/approve"),
        ("POST", "/admin/v1/avatars/av_x/reject"),
    ]
    assert seen[0].url.params["limit"] == "5"
    assert all(r.headers["authorization"] == "Bearer sk_admin" for r in seen)
    assert json.loads(seen[2].content) == {"reason": "another person"}


def test_wait_gives_up_after_its_timeout(sleeps: list[float]) -> None:
    seen: list[httpx.Request] = []
    queued = {"id": "av_x", "status": "processing", "stage": "voice"}
    client = client_with([httpx.Response(200, json=queued) for _ in range(3)], seen)
    with pytest.raises(WaitTimeout) as caught:
        client.wait_for_avatar("av_x", timeout=0.0, poll=1.0)
    assert caught.value.last.stage == "voice"


def test_async_client_retries_the_same_way() -> None:
    seen: list[httpx.Request] = []
    answers = [error(503, "SERVICE_UNAVAILABLE"), httpx.Response(202, json=CREATED)]

    async def handle(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return answers.pop(0)

    async def run() -> models.CreatedVideo:
        http = httpx.AsyncClient(transport=httpx.MockTransport(handle))
        async with AsyncClient(api_key="k", base_url="http://api", http=http) as client:
            client.options = type(client.options)(
                **{**client.options.__dict__, "backoff_base": 0.001}
            )
            return await client.videos.create(avatar_id="av_x", text="hi")

    assert asyncio.run(run()).id == "vg_x"
    assert len({r.headers["idempotency-key"] for r in seen}) == 1 and len(seen) == 2


def test_webhook_signature_verification() -> None:
    secret, body = "whsec_test", json.dumps({"event": "video.completed"}).encode()
    now = int(time.time())
    signature = sign(secret, now, body)
    assert verify_signature(secret, str(now), body, signature)
    assert verify_signature(secret, str(now), body, f"v1=deadbeef {signature}")  # rotation
    assert not verify_signature(secret, str(now), body + b" ", signature)
    assert not verify_signature(secret, str(now - 600), body, sign(secret, now - 600, body))
    headers = {"Webhook-Timestamp": str(now), "Webhook-Signature": signature}
    assert construct_event(body, headers, secret)["event"] == "video.completed"
    with pytest.raises(WebhookVerificationError):
        construct_event(body, headers, "whsec_other")


def test_the_sdk_covers_every_operation_and_its_types_are_current() -> None:
    """A route added to the gateway fails this until both SDKs call it and
    `python -m sdk.codegen` has regenerated their types."""
    doc = codegen.openapi()
    documented = set(codegen.operations(doc))
    assert set(ROUTES) == documented == set(models.OPERATIONS)
    index_js = (codegen.ROOT / "typescript" / "index.js").read_text()
    listed = index_js.split("export const OPERATIONS = [", 1)[1].split("];", 1)[0]
    in_js = {tuple(op.split(" ", 1)) for op in re.findall(r'"([A-Z]+ /[^"]*)"', listed)}
    assert in_js == documented
    assert codegen.main(["--check"]) == 0


def test_an_upload_reports_its_progress_and_is_sent_whole_again_on_a_retry(
    sleeps: list[float], tmp_path: Path
) -> None:
    data = bytes(range(256)) * 1024  # 256 KiB: several chunks
    path = tmp_path / "tone.wav"
    path.write_bytes(data)
    uploaded = {"id": "file_" + "a" * 24, "kind": "audio", "status": "ready"}
    seen: list[httpx.Request] = []
    client = client_with(
        [error(503, "SERVICE_UNAVAILABLE"), httpx.Response(201, json=uploaded)], seen
    )
    progress: list[tuple[int, int | None]] = []
    file = client.files.upload(path, on_bytes=lambda done, total: progress.append((done, total)))
    assert file.id == uploaded["id"] and len(seen) == 2
    for request in seen:
        assert data in request.read()  # the whole file, the second time too
    assert progress[-1] == (len(data), len(data))
    assert len({done for done, _ in progress}) > 2  # it moved in steps
