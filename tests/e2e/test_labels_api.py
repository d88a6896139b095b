"""labels and metadata through the real mesh: stored with a video, shown by GET and
the list, filterable by label and key:value (all must match); bad values are 400."""

from __future__ import annotations

import httpx
import pytest

from tests.e2e.conftest import Mesh
from tests.e2e.test_videos_api import AVA, wait_avatar_ready

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def api(mesh: Mesh) -> httpx.Client:
    mesh.fund("own_labels", 10)
    wait_avatar_ready(mesh)
    return mesh.api("own_labels")


def submit(api: httpx.Client, labels: list[str], metadata: dict[str, str]) -> str:
    body = {"avatar_id": AVA, "text": "Labelled.", "resolution": 512}
    reply = api.post("/api/v1/avatar-videos", json={**body, "labels": labels, "metadata": metadata})
    assert reply.status_code == 202, reply.text
    video_id: str = reply.json()["id"]
    api.post(f"/api/v1/avatar-videos/{video_id}/cancel")
    return video_id


def ids(api: httpx.Client, **params: object) -> set[str]:
    reply = api.get("/api/v1/avatar-videos", params=params)  # type: ignore[arg-type]
    assert reply.status_code == 200, reply.text
    return {v["id"] for v in reply.json()["data"]}


def test_videos_carry_labels_and_metadata_and_lists_filter_on_them(api: httpx.Client) -> None:
    q4 = submit(api, ["campaign:q4", "en"], {"team": "growth", "cost_center": "50%"})
    q1 = submit(api, ["campaign:q1", "en"], {"team": "sales"})
    got = api.get(f"/api/v1/avatar-videos/{q4}").json()
    assert got["labels"] == ["campaign:q4", "en"]
    assert got["metadata"] == {"cost_center": "50%", "team": "growth"}
    assert ids(api, label="en") == {q4, q1}
    assert ids(api, label="campaign:q4") == {q4}
    assert ids(api, label=["en", "campaign:q1"]) == {q1}
    assert ids(api, metadata="team:growth") == {q4}
    assert ids(api, metadata="cost_center:5%") == set()
    assert ids(api, label="campaign:q1", metadata="team:growth") == set()
    avatars = api.get("/api/v1/avatars", params={"label": "nothing-has-this"}).json()
    assert avatars["data"] == []


def test_bad_labels_and_metadata_are_400(api: httpx.Client) -> None:
    body = {"avatar_id": AVA, "text": "Labelled.", "resolution": 512}
    for extra in (
        {"labels": ["has space"]},
        {"labels": [f"l{i}" for i in range(21)]},
        {"metadata": {"k": "v" * 501}},
        {"metadata": {"a:b": "x"}},
    ):
        reply = api.post("/api/v1/avatar-videos", json={**body, **extra})
        assert reply.status_code == 400, (extra, reply.text)
        assert reply.json()["error"]["code"] == "VALIDATION_ERROR"
    bad = api.get("/api/v1/avatar-videos", params={"metadata": "novalue"})
    assert bad.status_code == 400 and bad.json()["error"]["code"] == "VALIDATION_ERROR"
