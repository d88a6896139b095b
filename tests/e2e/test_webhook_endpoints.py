"""Webhook endpoints through the gateway on the real mesh: create (secret shown once),
list, get, the test event, the delivery log, rotation, delete, every documented error,
and a failed render announced to the job's own webhook_url and to a subscribed
endpoint under one event id (each signed with its receiver's secret)."""

from __future__ import annotations

import time
from collections.abc import Callable

import httpx
import pytest

from tests.e2e.conftest import WORKER_MAX_AUDIO_SECONDS, Mesh, wait_for, wav_data_url
from tests.e2e.receiver import Receiver, check_signed, secret_of
from tests.e2e.test_video_webhooks import audio_of
from tests.e2e.test_videos_api import settled, submit, wait_avatar_ready

pytestmark = pytest.mark.e2e

OWNER = "own_endpoints"
ROUTE = "/api/v1/webhooks/endpoints"


@pytest.fixture(scope="module")
def api(mesh: Mesh) -> httpx.Client:
    mesh.fund(OWNER, 10)
    return mesh.api(OWNER)


def create(api: httpx.Client, url: str, *events: str) -> dict[str, str]:
    reply = api.post(ROUTE, json={"url": url, "events": list(events), "description": "e2e"})
    assert reply.status_code == 201, reply.text
    made: dict[str, str] = reply.json()
    assert made["secret"].startswith("whsec_")
    return made


def error(reply: httpx.Response, status: int, code: str) -> str:
    assert reply.status_code == status, reply.text
    assert reply.json()["error"]["code"] == code, reply.text
    message: str = reply.json()["error"]["message"]
    return message


def test_endpoint_lifecycle_test_event_log_and_rotation(
    mesh: Mesh, api: httpx.Client, receiver: Callable[..., Receiver]
) -> None:
    hook = receiver()
    made = create(api, hook.url, "video.completed", "avatar.ready")
    got = api.get(f"{ROUTE}/{made['id']}").json()
    assert got["secret"] is None and got["events"] == ["video.completed", "avatar.ready"]
    assert made["id"] in [e["id"] for e in api.get(ROUTE).json()["data"]]

    sent = api.post(f"{ROUTE}/{made['id']}/test")
    assert sent.status_code == 202, sent.text
    (request,) = hook.wait_for(lambda got: len(got) >= 1)
    assert request.json["event"] == "webhook.test"
    assert request.headers["webhook-id"] == sent.json()["event_id"]
    check_signed(request, made["secret"])
    log = wait_for_log(api, made["id"], 1)
    assert [(a["event"], a["status_code"], a["endpoint_id"]) for a in log] == [
        ("webhook.test", 200, made["id"])
    ]

    rotated = api.post(f"{ROUTE}/{made['id']}/rotate-secret", json={"overlap_seconds": 60})
    assert rotated.status_code == 200, rotated.text
    assert rotated.json()["secret"] != made["secret"] and rotated.json()["previous_valid_until"]
    api.post(f"{ROUTE}/{made['id']}/test")
    second = hook.wait_for(lambda got: len(got) >= 2)[1]
    check_signed(second, rotated.json()["secret"])
    check_signed(second, made["secret"])  # still, for the overlap

    assert api.delete(f"{ROUTE}/{made['id']}").status_code == 204
    error(api.get(f"{ROUTE}/{made['id']}"), 404, "NOT_FOUND")


def wait_for_log(api: httpx.Client, endpoint_id: str, count: int) -> list[dict[str, object]]:
    for _ in range(50):
        data: list[dict[str, object]] = api.get(f"{ROUTE}/{endpoint_id}/deliveries").json()["data"]
        if len(data) >= count:
            return data
        time.sleep(0.2)
    raise AssertionError("delivery log did not fill")


def test_every_documented_error(mesh: Mesh, api: httpx.Client) -> None:
    assert "non-public" in error(
        api.post(ROUTE, json={"url": "https://10.0.0.5/hook", "events": ["video.failed"]}),
        400,
        "VALIDATION_ERROR",
    )
    assert "https" in error(
        api.post(ROUTE, json={"url": "http://93.184.216.34/hook", "events": ["video.failed"]}),
        400,
        "VALIDATION_ERROR",
    )
    assert "events[0]: Input should be 'avatar.ready'" in error(
        api.post(ROUTE, json={"url": "https://93.184.216.34/h", "events": ["video.exploded"]}),
        400,
        "VALIDATION_ERROR",
    )
    error(
        api.post(ROUTE, json={"url": "https://93.184.216.34/h", "events": []}),
        400,
        "VALIDATION_ERROR",
    )
    error(
        api.post(ROUTE, content=b"{", headers={"Content-Type": "application/json"}),
        400,
        "INVALID_JSON",
    )
    made = create(api, "https://93.184.216.34/h", "video.failed")
    # another owner's endpoint answers exactly like a missing one
    stranger = mesh.api("own_endpoints_stranger")
    missing = "we_aaaaaaaaaaaaaaaaaaaaaaaa"
    for path in ("", "/deliveries"):
        theirs = stranger.get(f"{ROUTE}/{made['id']}{path}")
        none = stranger.get(f"{ROUTE}/{missing}{path}")
        assert theirs.status_code == none.status_code == 404
        assert (
            theirs.json()["error"]["message"].replace(made["id"], missing)
            == (none.json()["error"]["message"])
        )
    error(stranger.delete(f"{ROUTE}/{made['id']}"), 404, "NOT_FOUND")
    error(stranger.post(f"{ROUTE}/{made['id']}/test"), 404, "NOT_FOUND")
    error(stranger.post(f"{ROUTE}/{made['id']}/rotate-secret"), 404, "NOT_FOUND")
    error(
        api.post(f"{ROUTE}/{made['id']}/rotate-secret", json={"overlap_seconds": -1}),
        400,
        "VALIDATION_ERROR",
    )
    assert api.delete(f"{ROUTE}/{made['id']}").status_code == 204


def test_a_failed_render_goes_to_the_job_url_and_the_subscribed_endpoint(
    mesh: Mesh, api: httpx.Client, receiver: Callable[..., Receiver]
) -> None:
    wait_avatar_ready(mesh)
    job, subscribed, other = receiver(), receiver(), receiver()
    to_failed = create(api, subscribed.url, "video.failed")
    to_ready = create(api, other.url, "avatar.ready")
    audio = audio_of(WORKER_MAX_AUDIO_SECONDS + 0.5)  # refused at render: video.failed
    created = submit(api, audio_data_url=wav_data_url(audio), resolution=512, webhook_url=job.url)
    video = wait_for(api, created["poll_url"], settled, timeout=120)
    assert video["status"] == "failed", video
    (at_job,) = job.wait_for(lambda got: len(got) >= 1)
    (at_endpoint,) = subscribed.wait_for(lambda got: len(got) >= 1)
    assert at_job.body == at_endpoint.body
    assert at_job.headers["webhook-id"] == at_endpoint.headers["webhook-id"]
    assert at_endpoint.json["event"] == "video.failed"
    assert at_endpoint.json["video_gen_id"] == video["id"]
    check_signed(at_job, secret_of(api))
    check_signed(at_endpoint, to_failed["secret"])
    assert other.received == []
    for made in (to_failed, to_ready):
        api.delete(f"{ROUTE}/{made['id']}")
