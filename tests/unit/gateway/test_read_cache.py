"""The gateway's read cache: what it keeps, for whom, and what removes it.

First the cache alone (owners, generations, time to live, the live switch), then
through the app with the real billing service in-process: a settled balance is served
from the cache, a write through the gateway removes it, an answer with an open hold or
an error is never kept, and one owner never gets another's answer. The events from
NATS and two gateway processes are in tests/integration/gateway/test_read_cache.py.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import grpc
import httpx
import pytest

from avatarmesh.v1 import avatar_pb2 as avatar_pb
from avatarmesh.v1 import avatar_pb2_grpc, billing_pb2_grpc, events_pb2, video_pb2, video_pb2_grpc
from avatarmesh.v1 import billing_pb2 as pb
from gateway.app import create_app
from gateway.readcache import EVERYONE, CachedAnswer, ReadCache, _owner_of
from gateway.settings import GatewaySettings
from gateway.state import gateway_state
from tests.integration.billing.support import billing_service, billing_settings
from tests.unit.gateway.support import admin_headers, free_port, issue_key, serving

ANSWER = CachedAnswer(200, ((b"content-type", b"application/json"),), b'{"n": 1}')
BALANCE = "/api/v1/billing/balance"
HIT = "x-avatarmesh-cache"


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def live_cache(ttl_s: float = 5.0) -> tuple[ReadCache, Clock]:
    clock = Clock()
    cache = ReadCache(ttl_s, clock=clock)
    cache.set_live(True)
    return cache, clock


def stored(cache: ReadCache, owner: str = "own_a", path: str = "/p", query: bytes = b"") -> bool:
    ticket = cache.ticket(owner)
    assert ticket is not None
    return cache.put(ticket, path, query, ANSWER)


def test_an_answer_is_kept_per_owner_path_and_query() -> None:
    cache, _ = live_cache()
    assert stored(cache, "own_a", "/p", b"limit=20")
    assert cache.get("own_a", "/p", b"limit=20") == ANSWER
    assert cache.get("own_b", "/p", b"limit=20") is None  # never another owner's
    assert cache.get("own_a", "/p", b"limit=10") is None
    assert cache.get("own_a", "/q", b"limit=20") is None


def test_an_answer_expires_after_its_time_to_live() -> None:
    cache, clock = live_cache(ttl_s=2.0)
    assert stored(cache)
    clock.now += 1.9
    assert cache.get("own_a", "/p", b"") == ANSWER
    clock.now += 0.2
    assert cache.get("own_a", "/p", b"") is None


def test_an_expired_answer_is_re_read_by_one_request_while_the_others_get_it() -> None:
    cache, clock = live_cache(ttl_s=2.0)
    assert stored(cache)
    clock.now += 2.1
    assert cache.get("own_a", "/p", b"") is None  # this one re-reads
    assert cache.get("own_a", "/p", b"") == ANSWER  # the rest: no herd at the service
    clock.now += ReadCache.REFRESH_GRACE_S
    assert cache.get("own_a", "/p", b"") is None  # the re-read never came: another tries
    assert stored(cache)
    clock.now += 1.9
    assert cache.get("own_a", "/p", b"") == ANSWER


def test_an_expired_answer_is_never_served_after_an_invalidation() -> None:
    cache, clock = live_cache(ttl_s=2.0)
    assert stored(cache)
    clock.now += 2.1
    assert cache.get("own_a", "/p", b"") is None
    cache.invalidate_owner("own_a")
    assert cache.get("own_a", "/p", b"") is None
    assert len(cache) == 0


def test_a_discarded_answer_is_gone() -> None:
    cache, clock = live_cache(ttl_s=2.0)
    assert stored(cache)
    clock.now += 2.1
    assert cache.get("own_a", "/p", b"") is None
    cache.discard("own_a", "/p", b"")  # the re-read was not kept
    assert cache.get("own_a", "/p", b"") is None
    assert len(cache) == 0


def test_invalidating_an_owner_drops_only_that_owner() -> None:
    cache, _ = live_cache()
    assert stored(cache, "own_a") and stored(cache, "own_b")
    cache.invalidate_owner("own_a")
    assert cache.get("own_a", "/p", b"") is None
    assert cache.get("own_b", "/p", b"") == ANSWER


@pytest.mark.parametrize("who", [EVERYONE, "system"])
def test_everyone_and_the_system_owner_drop_everything(who: str) -> None:
    """A system avatar is in every owner's list: its event empties the whole cache."""
    cache, _ = live_cache()
    assert stored(cache, "own_a") and stored(cache, "own_b")
    cache.invalidate_owner(who)
    assert cache.get("own_a", "/p", b"") is None and cache.get("own_b", "/p", b"") is None


def test_a_read_that_started_before_an_invalidation_is_not_stored() -> None:
    """The race: read the old state, the event arrives, then the old answer would be
    stored. The ticket taken before the read makes that put a no-op."""
    cache, _ = live_cache()
    for invalidate in (lambda: cache.invalidate_owner("own_a"), cache.invalidate_all):
        ticket = cache.ticket("own_a")
        assert ticket is not None
        invalidate()
        assert not cache.put(ticket, "/p", b"", ANSWER)
        assert cache.get("own_a", "/p", b"") is None
    other = cache.ticket("own_b")
    assert other is not None
    cache.invalidate_owner("own_a")
    assert cache.put(other, "/p", b"", ANSWER)  # another owner's read is unaffected


def test_nothing_is_served_or_stored_while_not_live() -> None:
    """Not subscribed (NATS down): events could be missed, so the cache is off, and
    what it held before the outage is gone when it comes back."""
    cache, _ = live_cache()
    assert stored(cache)
    ticket = cache.ticket("own_a")
    cache.set_live(False)
    assert cache.get("own_a", "/p", b"") is None and cache.ticket("own_a") is None
    assert ticket is not None and not cache.put(ticket, "/p", b"", ANSWER)
    cache.set_live(True)
    assert cache.get("own_a", "/p", b"") is None


def test_a_zero_time_to_live_turns_the_cache_off() -> None:
    cache = ReadCache(0.0)
    cache.set_live(True)
    assert not cache.live and cache.ticket("own_a") is None


def test_the_owner_is_read_from_each_invalidating_event() -> None:
    avatar = events_pb2.AvatarSettled(avatar_id="av_1", owner_id="own_a").SerializeToString()
    deleted = events_pb2.AvatarDeleted(avatar_id="av_1", owner_id="own_b").SerializeToString()
    video = events_pb2.VideoSettled(video_id="vg_1", owner_id="own_c").SerializeToString()
    assert _owner_of("events.avatar.ready", avatar) == "own_a"
    assert _owner_of("events.avatar.deleted", deleted) == "own_b"
    assert _owner_of("events.video.completed", video) == "own_c"
    # What cannot be read drops everything (the safe side).
    assert _owner_of("events.video.completed", b"\xff\xff\xff") == EVERYONE
    assert _owner_of("events.video.completed", b"") == EVERYONE


# -- through the app, with the real billing service ---------------------------------

Api = tuple[httpx.AsyncClient, billing_pb2_grpc.BillingServiceStub, ReadCache]


@pytest.fixture
async def api(make_settings: Callable[..., GatewaySettings], tmp_path: Path) -> AsyncIterator[Api]:
    settings = billing_settings("sqlite+aiosqlite:///{data_dir}/{service}.db", tmp_path / "bill")
    async with billing_service(settings) as (stub, port):
        app = create_app(
            make_settings(
                billing_addr=f"127.0.0.1:{port}",
                read_cache_s=60.0,  # only invalidation can refresh within a test
                nats_url=f"nats://127.0.0.1:{free_port()}",  # nobody there
            )
        )
        async with serving(app) as client:
            cache = gateway_state(app.state).read_cache
            cache.set_live(True)  # as CacheFeed does once subscribed
            yield client, stub, cache


async def direct_top_up(stub: billing_pb2_grpc.BillingServiceStub, owner: str, micros: int) -> None:
    """Money added behind the gateway's back (as the billing CLI does)."""
    await stub.TopUp(
        pb.TopUpRequest(owner_id=owner, amount_micros=micros, idempotency_key=f"{owner}{micros}")
    )


async def balance(client: httpx.AsyncClient, key: str, **headers: str) -> httpx.Response:
    reply = await client.get(BALANCE, headers={"Authorization": f"Bearer {key}", **headers})
    assert reply.status_code == 200, reply.text
    return reply


async def test_a_settled_balance_is_served_from_the_cache_until_a_write(api: Api) -> None:
    client, stub, _ = api
    key = await issue_key(client, "own_alice")
    await direct_top_up(stub, "own_alice", 5_000_000)
    first = await balance(client, key)
    assert first.json()["balance_usd"] == 5.0 and HIT not in first.headers
    await direct_top_up(stub, "own_alice", 1_000_000)
    cached = await balance(client, key)
    assert cached.headers[HIT] == "hit"
    assert cached.json() == first.json()  # served again: the proof the cache is in use
    fresh = await balance(client, key, **{"Cache-Control": "no-cache"})
    assert fresh.json()["balance_usd"] == 6.0 and HIT not in fresh.headers
    top_up = await client.post(
        "/admin/v1/wallets/own_alice/top-ups", json={"amount_usd": 1}, headers=admin_headers()
    )
    assert top_up.status_code == 201, top_up.text
    after = await balance(client, key)
    assert after.json()["balance_usd"] == 7.0 and HIT not in after.headers


async def test_a_write_by_the_owner_drops_the_owners_answers(api: Api) -> None:
    """Any write through /api/v1 (here one the video service refuses) drops the
    caller's cached reads: whatever it changed upstream shows on the next read."""
    client, stub, cache = api
    key = await issue_key(client, "own_alice")
    await direct_top_up(stub, "own_alice", 5_000_000)
    await balance(client, key)
    assert len(cache) == 1
    await client.post(
        "/api/v1/avatar-videos",
        json={"avatar_id": "av_x", "text": "hi"},
        headers={"Authorization": f"Bearer {key}"},
    )
    assert len(cache) == 0


async def test_a_wallet_with_an_open_hold_is_never_cached(api: Api) -> None:
    """A hold may expire in the billing service without any event: read it every time."""
    client, stub, cache = api
    key = await issue_key(client, "own_alice")
    await direct_top_up(stub, "own_alice", 5_000_000)
    await stub.Hold(
        pb.HoldRequest(
            owner_id="own_alice",
            amount_micros=1_000_000,
            idempotency_key="held",
            purpose=pb.CHARGE_PURPOSE_VIDEO,
        )
    )
    for _ in range(2):
        reply = await balance(client, key)
        assert reply.json()["held_usd"] == 1.0 and HIT not in reply.headers
    assert len(cache) == 0


async def test_an_error_answer_is_never_cached(api: Api) -> None:
    client, stub, cache = api
    key = await issue_key(client, "own_alice")
    missing = await client.get(BALANCE, headers={"Authorization": f"Bearer {key}"})
    assert missing.json()["error"]["code"] == "WALLET_NOT_FOUND"
    await direct_top_up(stub, "own_alice", 2_000_000)
    assert (await balance(client, key)).json()["balance_usd"] == 2.0
    assert len(cache) == 1


async def test_each_owner_gets_only_its_own_cached_answer(api: Api) -> None:
    client, stub, _ = api
    keys = {owner: await issue_key(client, owner) for owner in ("own_alice", "own_bob")}
    await direct_top_up(stub, "own_alice", 3_000_000)
    await direct_top_up(stub, "own_bob", 4_000_000)
    for _ in range(3):  # the first fills, the next are hits
        assert (await balance(client, keys["own_alice"])).json()["balance_usd"] == 3.0
        assert (await balance(client, keys["own_bob"])).json()["balance_usd"] == 4.0
    assert (await balance(client, keys["own_bob"])).headers[HIT] == "hit"


async def test_a_revoked_key_gets_no_cached_answer(api: Api) -> None:
    """The key is checked before the cache: revoking it stops its cached reads too."""
    client, stub, _ = api
    created = await client.post(
        "/admin/v1/api-keys", json={"owner_id": "own_alice"}, headers=admin_headers()
    )
    key, key_id = created.json()["key"], created.json()["id"]
    await direct_top_up(stub, "own_alice", 1_000_000)
    await balance(client, key)
    assert (await balance(client, key)).headers[HIT] == "hit"
    revoked = await client.delete(f"/admin/v1/api-keys/{key_id}", headers=admin_headers())
    assert revoked.status_code == 204, revoked.text
    refused = await client.get(BALANCE, headers={"Authorization": f"Bearer {key}"})
    assert refused.status_code == 401


# -- avatars and videos: only settled ones are kept ----------------------------------


# Well-formed ids (gateway.schema: another shape is 404 before any service call).
AVATAR_ID = "av_" + "a" * 24
VIDEO_ID = "vg_" + "a" * 24


class Upstream(avatar_pb2_grpc.AvatarServiceServicer, video_pb2_grpc.VideoServiceServicer):
    """Avatar and video services whose one avatar and one video are in ``status``."""

    def __init__(self) -> None:
        self.avatar_status = avatar_pb.AVATAR_STATUS_PROCESSING
        self.video_status = video_pb2.VIDEO_STATUS_PROCESSING
        self.calls = 0

    def _avatar(self, owner_id: str) -> avatar_pb.Avatar:
        self.calls += 1
        return avatar_pb.Avatar(
            id=AVATAR_ID, owner_id=owner_id, name="Aria", language="en", status=self.avatar_status
        )

    async def GetAvatar(self, request: avatar_pb.GetAvatarRequest, context: Any) -> Any:
        return self._avatar(request.owner_id)

    async def ListAvatars(self, request: avatar_pb.ListAvatarsRequest, context: Any) -> Any:
        return avatar_pb.ListAvatarsResponse(avatars=[self._avatar(request.owner_id)])

    async def GetVideo(self, request: video_pb2.GetVideoRequest, context: Any) -> Any:
        self.calls += 1
        return video_pb2.VideoJob(
            id=request.video_id, owner_id=request.owner_id, status=self.video_status
        )


@pytest.mark.parametrize(
    ("path", "settle"),
    [
        (f"/api/v1/avatars/{AVATAR_ID}", "avatar"),
        ("/api/v1/avatars?limit=20", "avatar"),
        (f"/api/v1/avatar-videos/{VIDEO_ID}", "video"),
    ],
)
async def test_only_settled_avatars_and_videos_are_served_from_the_cache(
    make_settings: Callable[..., GatewaySettings], path: str, settle: str
) -> None:
    """In progress (a stage, a progress figure that changes with no event the gateway
    hears): read every time. Settled: served from the cache."""
    upstream = Upstream()
    server = grpc.aio.server()
    avatar_pb2_grpc.add_AvatarServiceServicer_to_server(upstream, server)
    video_pb2_grpc.add_VideoServiceServicer_to_server(upstream, server)
    port = server.add_insecure_port("127.0.0.1:0")
    await server.start()
    address = f"127.0.0.1:{port}"
    settings = make_settings(
        avatar_addr=address,
        video_addr=address,
        read_cache_s=60.0,
        nats_url=f"nats://127.0.0.1:{free_port()}",
    )
    app = create_app(settings)
    try:
        async with serving(app) as client:
            gateway_state(app.state).read_cache.set_live(True)
            auth = {"Authorization": f"Bearer {await issue_key(client, 'own_a')}"}
            for _ in range(2):
                reply = await client.get(path, headers=auth)
                assert reply.status_code == 200 and HIT not in reply.headers, reply.text
            assert upstream.calls == 2
            if settle == "avatar":
                upstream.avatar_status = avatar_pb.AVATAR_STATUS_READY
            else:
                upstream.video_status = video_pb2.VIDEO_STATUS_COMPLETED
            first = await client.get(path, headers=auth)
            again = await client.get(path, headers=auth)
            assert again.headers[HIT] == "hit" and again.json() == first.json()
            assert upstream.calls == 3
    finally:
        await server.stop(None)
