"""Poses through the REST gateway against a running mesh: the ready pose answered at
once (201, $0.013), the base portrait listed first, and every documented pose error.

System avatars are ready for everyone, so most error cases pose them and need no
avatar of their own."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.e2e.conftest import POSE_DAILY_CAP, Mesh, wait_for

pytestmark = pytest.mark.e2e

OWNER = "own_e2e_poses"


def assert_error(reply: httpx.Response, status: int, code: str) -> None:
    assert reply.status_code == status, reply.text
    assert reply.json()["error"]["code"] == code, reply.text


@pytest.fixture(scope="module")
def system_avatar(mesh: Mesh) -> str:
    client = mesh.api(OWNER)
    avatars = client.get("/api/v1/avatars?limit=100").json()["data"]
    avatar_id = str(next(a["id"] for a in avatars if a["is_system"]))
    wait_for(client, f"/api/v1/avatars/{avatar_id}", lambda b: b["status"] == "ready")
    return avatar_id


@pytest.fixture(scope="module")
def own_avatar(mesh: Mesh) -> str:
    client = mesh.api(OWNER)
    mesh.fund(OWNER, 10)
    reply = client.post(
        "/api/v1/avatars",
        json={
            "name": "Poser",
            "description": "Smiling male presenter with short hair",
            "language": "vi",
            "nationality": "Vietnamese",
            "gender": "male",
            "accent": "Southern",
        },
    )
    assert reply.status_code == 202, reply.text
    avatar_id = str(reply.json()["id"])
    early = client.post(f"/api/v1/avatars/{avatar_id}/poses", json={"prompt": "close-up"})
    if early.status_code != 201:  # still pending or processing
        assert_error(early, 409, "AVATAR_NOT_READY")
    body = wait_for(client, f"/api/v1/avatars/{avatar_id}", lambda b: b["status"] == "ready")
    assert body["status"] == "ready"
    return avatar_id


def test_create_pose_is_201_with_the_ready_pose_and_costs_0_013(
    mesh: Mesh, own_avatar: str
) -> None:
    client = mesh.api(OWNER)
    before = client.get("/api/v1/billing/balance").json()["balance_usd"]
    reply = client.post(
        f"/api/v1/avatars/{own_avatar}/poses",
        json={"prompt": "side profile, arms crossed, blue background", "name": "Side Profile"},
    )
    assert reply.status_code == 201, reply.text
    pose = reply.json()
    assert set(pose) == {
        "id",
        "avatar_id",
        "prompt",
        "name",
        "image_key",
        "image_url",
        "status",
        "is_base",
        "cost_usd",
    }
    assert pose["id"].startswith("ap_") and pose["avatar_id"] == own_avatar
    assert (pose["status"], pose["is_base"], pose["cost_usd"]) == ("ready", False, 0.013)
    assert pose["name"] == "Side Profile"
    assert pose["image_key"].endswith(f"{pose['id']}.jpg")
    image = httpx.get(pose["image_url"], timeout=30)
    assert image.status_code == 200 and image.content[:3] == b"\xff\xd8\xff"
    after = client.get("/api/v1/billing/balance").json()
    assert after["balance_usd"] == pytest.approx(before - 0.013)
    assert after["held_usd"] == 0.0


def test_pose_name_defaults_to_pose(mesh: Mesh, own_avatar: str) -> None:
    reply = mesh.api(OWNER).post(f"/api/v1/avatars/{own_avatar}/poses", json={"prompt": "wide"})
    assert reply.status_code == 201, reply.text
    assert reply.json()["name"] == "Pose"


def test_list_poses_shows_the_free_base_portrait_first_then_custom_poses(
    mesh: Mesh, own_avatar: str
) -> None:
    client = mesh.api(OWNER)
    created = client.post(f"/api/v1/avatars/{own_avatar}/poses", json={"prompt": "tilt left"})
    assert created.status_code == 201
    reply = client.get(f"/api/v1/avatars/{own_avatar}/poses")
    assert reply.status_code == 200
    data: list[dict[str, Any]] = reply.json()["data"]
    base, custom = data[0], data[1:]
    assert base["is_base"] is True and base["cost_usd"] == 0.0
    assert base["prompt"] is None and base["image_key"] is None
    assert base["status"] == "ready" and base["image_url"]
    assert created.json()["id"] in [p["id"] for p in custom]
    assert all(not p["is_base"] and p["prompt"] for p in custom)
    assert [p["created_at"] for p in custom] == sorted(p["created_at"] for p in custom)


def test_another_owners_avatar_poses_are_404_not_found(mesh: Mesh, own_avatar: str) -> None:
    other = mesh.api("own_e2e_pose_intruder")
    mesh.fund("own_e2e_pose_intruder", 1)
    assert_error(other.get(f"/api/v1/avatars/{own_avatar}/poses"), 404, "NOT_FOUND")
    assert_error(
        other.post(f"/api/v1/avatars/{own_avatar}/poses", json={"prompt": "close-up"}),
        404,
        "NOT_FOUND",
    )


def test_pose_of_unknown_avatar_is_404_not_found(mesh: Mesh) -> None:
    client = mesh.api(OWNER)
    assert_error(
        client.post("/api/v1/avatars/av_aaaaaaaaaaaaaaaaaaaaaaaa/poses", json={"prompt": "x"}),
        404,
        "NOT_FOUND",
    )
    assert_error(client.get("/api/v1/avatars/nope/poses"), 404, "NOT_FOUND")


def test_pose_on_a_failed_avatar_is_409_avatar_not_ready(mesh: Mesh) -> None:
    import base64

    from tests.e2e.conftest import FIXTURES

    owner = "own_e2e_pose_failed"
    client = mesh.api(owner)
    mesh.fund(owner, 2)
    image = base64.b64encode((FIXTURES / "noface/animal_cat_chelsea.png").read_bytes()).decode()
    reply = client.post(
        "/api/v1/avatars",
        json={
            "name": "Cat",
            "description": "a cat",
            "language": "en",
            "nationality": "Cat",
            "ref_image_data_url": f"data:image/png;base64,{image}",
        },
    )
    assert reply.status_code == 202
    avatar_id = reply.json()["id"]
    pending = client.post(f"/api/v1/avatars/{avatar_id}/poses", json={"prompt": "close-up"})
    assert_error(pending, 409, "AVATAR_NOT_READY")
    body = wait_for(client, reply.json()["poll_url"], lambda b: b["status"] in ("ready", "failed"))
    assert body["status"] == "failed"
    failed = client.post(f"/api/v1/avatars/{avatar_id}/poses", json={"prompt": "close-up"})
    assert_error(failed, 409, "AVATAR_NOT_READY")


def test_pose_without_a_wallet_is_404_wallet_not_found(mesh: Mesh, system_avatar: str) -> None:
    client = mesh.api("own_e2e_no_wallet")
    reply = client.post(f"/api/v1/avatars/{system_avatar}/poses", json={"prompt": "close-up"})
    assert_error(reply, 404, "WALLET_NOT_FOUND")


def test_pose_without_enough_money_is_402_insufficient_balance_for_pose(
    mesh: Mesh, system_avatar: str
) -> None:
    owner = "own_e2e_pose_poor"
    mesh.fund(owner, 0.01)
    reply = mesh.api(owner).post(
        f"/api/v1/avatars/{system_avatar}/poses", json={"prompt": "close-up"}
    )
    assert_error(reply, 402, "INSUFFICIENT_BALANCE_FOR_POSE")


def test_pose_past_the_daily_cap_is_429_daily_cap_reached(mesh: Mesh, system_avatar: str) -> None:
    owner = "own_e2e_pose_capped"
    mesh.fund(owner, 1)
    client = mesh.api(owner)
    for _ in range(POSE_DAILY_CAP):
        ok = client.post(f"/api/v1/avatars/{system_avatar}/poses", json={"prompt": "medium shot"})
        assert ok.status_code == 201, ok.text
    capped = client.post(f"/api/v1/avatars/{system_avatar}/poses", json={"prompt": "medium shot"})
    assert_error(capped, 429, "DAILY_CAP_REACHED")
    # custom poses of a system avatar belong to their creator only
    listed = client.get(f"/api/v1/avatars/{system_avatar}/poses").json()["data"]
    assert len(listed) == 1 + POSE_DAILY_CAP
    others = mesh.api(OWNER).get(f"/api/v1/avatars/{system_avatar}/poses").json()["data"]
    assert [p["is_base"] for p in others] == [True]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({}, "prompt"),
        ({"prompt": ""}, "prompt"),
        ({"prompt": "x" * 601}, "prompt"),
        ({"prompt": "close-up", "name": "n" * 61}, "name"),
    ],
)
def test_invalid_pose_request_is_400_validation_error(
    mesh: Mesh, system_avatar: str, body: dict[str, Any], field: str
) -> None:
    reply = mesh.api(OWNER).post(f"/api/v1/avatars/{system_avatar}/poses", json=body)
    assert_error(reply, 400, "VALIDATION_ERROR")
    assert field in reply.json()["error"]["message"]


def test_pose_invalid_json_is_400_invalid_json(mesh: Mesh, system_avatar: str) -> None:
    reply = mesh.api(OWNER).post(
        f"/api/v1/avatars/{system_avatar}/poses",
        content=b"{",
        headers={"Content-Type": "application/json"},
    )
    assert_error(reply, 400, "INVALID_JSON")
