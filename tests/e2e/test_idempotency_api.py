"""Idempotency-Key through the real mesh: a client that retries a video submit (even
while the first is still running) gets the first answer and is charged once; another
body under the same key is 409 IDEMPOTENCY_KEY_REUSED."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx
import pytest

from tests.e2e.conftest import Mesh
from tests.e2e.test_videos_api import AVA, balance, ledger_for, wait_avatar_ready

pytestmark = pytest.mark.e2e

OWNER = "own_idem"


@pytest.fixture(scope="module")
def api(mesh: Mesh) -> httpx.Client:
    mesh.fund(OWNER, 20)
    wait_avatar_ready(mesh)
    return mesh.api(OWNER)


def post(api: httpx.Client, key: str, body: dict[str, Any]) -> httpx.Response:
    return api.post("/api/v1/avatar-videos", json=body, headers={"Idempotency-Key": key})


def test_concurrent_retries_get_the_first_answer_and_one_hold(api: httpx.Client) -> None:
    before = balance(api)
    body = {"avatar_id": AVA, "text": "Idempotent hello.", "resolution": 512}
    with ThreadPoolExecutor(4) as pool:
        replies = list(pool.map(lambda _: post(api, "e2e-idem-1", body), range(4)))
    assert [r.status_code for r in replies] == [202] * 4, [r.text for r in replies]
    ids = {r.json()["id"] for r in replies}
    assert len(ids) == 1, ids
    assert sum(r.headers.get("idempotent-replayed") == "true" for r in replies) == 3
    later = post(api, "e2e-idem-1", body)
    assert later.status_code == 202 and later.json() == replies[0].json()
    video_id = ids.pop()
    holds = [e for e in ledger_for(api, video_id) if e["kind"] == "hold"]
    assert len(holds) == 1, ledger_for(api, video_id)
    held = before["available_usd"] - balance(api)["available_usd"]
    assert held == pytest.approx(replies[0].json()["estimated_cost_usd"], abs=1e-6)
    api.post(f"/api/v1/avatar-videos/{video_id}/cancel")


def test_same_key_with_another_body_is_409_and_not_charged(api: httpx.Client) -> None:
    first = post(api, "e2e-idem-2", {"avatar_id": AVA, "text": "One.", "resolution": 512})
    assert first.status_code == 202, first.text
    before = balance(api)
    reused = post(api, "e2e-idem-2", {"avatar_id": AVA, "text": "Two.", "resolution": 512})
    assert reused.status_code == 409
    assert reused.json()["error"]["code"] == "IDEMPOTENCY_KEY_REUSED"
    assert balance(api) == before
    api.post(f"/api/v1/avatar-videos/{first.json()['id']}/cancel")


def test_a_rejected_request_frees_its_key_and_bad_keys_are_400(api: httpx.Client) -> None:
    bad = post(api, "e2e-idem-3", {"avatar_id": AVA, "text": ""})
    assert bad.status_code == 400
    fixed = post(api, "e2e-idem-3", {"avatar_id": AVA, "text": "Fixed.", "resolution": 512})
    assert fixed.status_code == 202, fixed.text
    assert "idempotent-replayed" not in fixed.headers
    api.post(f"/api/v1/avatar-videos/{fixed.json()['id']}/cancel")
    too_long = post(api, "k" * 256, {"avatar_id": AVA, "text": "x"})
    assert too_long.status_code == 400
    assert too_long.json()["error"]["code"] == "VALIDATION_ERROR"
