"""Webhook endpoints: an owner's receivers, each with the events it wants and its own
signing secret (shown once, at creation and at each rotation; the previous one keeps
signing for an overlap window after a rotation).

The URL is checked with the platform's SSRF rules (``avatarmesh.fetch.check_url``) when
the endpoint is made and again at every attempt (DNS may change). Another owner's
endpoint id answers exactly as a missing one.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from avatarmesh import fetch
from avatarmesh.clock import utcnow
from avatarmesh.db import Database
from avatarmesh.errors import DomainError, ErrorCode
from avatarmesh.ids import IdPrefix, new_id
from services.webhook import payload as payloads
from services.webhook import store
from services.webhook.logic import (
    ALL_EVENTS,
    DeliveryStatus,
    Endpoint,
    StoredEndpoint,
    require_owner,
)
from services.webhook.secrets import SecretBox
from services.webhook.signing import new_secret

# What an endpoint may subscribe to ("*": every event, present and future).
EVENT_TYPES = frozenset(
    {
        "avatar.ready",
        "avatar.failed",
        "avatar.rejected",
        "video.completed",
        "video.failed",
        "studio.video.completed",
        "studio.video.failed",
        "file.archived",
    }
)
TEST_EVENT = "webhook.test"
MAX_ENDPOINTS = 20
MAX_URL_LENGTH = 2048
MAX_DESCRIPTION = 500
MAX_OVERLAP = timedelta(days=7)


def not_found(endpoint_id: str) -> DomainError:
    return DomainError(ErrorCode.NOT_FOUND, f"webhook endpoint {endpoint_id} not found")


def check_events(events: list[str]) -> tuple[str, ...]:
    if not events:
        raise DomainError(ErrorCode.VALIDATION_ERROR, "events: give at least one event (or *)")
    unknown = sorted(set(events) - EVENT_TYPES - {ALL_EVENTS})
    if unknown:
        known = ", ".join(sorted(EVENT_TYPES))
        raise DomainError(
            ErrorCode.VALIDATION_ERROR,
            f"events: unknown {', '.join(unknown)}; known: {known} (or *)",
        )
    return tuple(dict.fromkeys(events))


class Endpoints:
    def __init__(
        self,
        db: Database,
        box: SecretBox,
        grace: timedelta,
        *,
        allow_insecure_loopback: bool,
        wake: Callable[[], None] = lambda: None,
    ) -> None:
        self.db = db
        self.box = box
        self.grace = grace
        self.loopback = allow_insecure_loopback
        self.wake = wake

    def _shown(self, stored: StoredEndpoint, *, show_secret: bool = False) -> Endpoint:
        """The endpoint as its owner sees it (the secret opened only when asked)."""
        return Endpoint(
            id=stored.id,
            owner_id=stored.owner_id,
            url=stored.url,
            events=stored.events,
            description=stored.description,
            created_at=stored.created_at,
            secret_created_at=stored.secret_created_at,
            previous_valid_until=stored.previous_valid_until if stored.previous_secret else None,
            secret=self.box.open(stored.secret) if show_secret else "",
        )

    async def _live(self, session: AsyncSession, owner_id: str, endpoint_id: str) -> StoredEndpoint:
        """The owner's live endpoint; NOT_FOUND for a missing, deleted or foreign one."""
        found = await store.live_endpoint(session, owner_id, endpoint_id)
        if found is None:
            raise not_found(endpoint_id)
        return found

    async def create(
        self, owner_id: str, url: str, events: list[str], description: str
    ) -> Endpoint:
        require_owner(owner_id)
        url = url.strip()
        if not url or len(url) > MAX_URL_LENGTH:
            raise DomainError(ErrorCode.VALIDATION_ERROR, f"url: 1 to {MAX_URL_LENGTH} characters")
        if len(description) > MAX_DESCRIPTION:
            raise DomainError(
                ErrorCode.VALIDATION_ERROR, f"description: at most {MAX_DESCRIPTION} characters"
            )
        chosen = check_events(events)
        await fetch.check_url(url, allow_insecure_loopback=self.loopback)
        now = utcnow()
        endpoint_id = new_id(IdPrefix.WEBHOOK_ENDPOINT)
        async with self.db.transaction() as session:
            if len(await store.live_endpoints(session, owner_id)) >= MAX_ENDPOINTS:
                raise DomainError(
                    ErrorCode.CONFLICT,
                    f"at most {MAX_ENDPOINTS} webhook endpoints; delete one first",
                )
            await store.insert_endpoint(
                session,
                StoredEndpoint(
                    id=endpoint_id,
                    owner_id=owner_id,
                    url=url,
                    events=chosen,
                    description=description,
                    secret=self.box.seal(new_secret()),
                    secret_created_at=now,
                    created_at=now,
                ),
            )
            made = await self._live(session, owner_id, endpoint_id)
        return self._shown(made, show_secret=True)

    async def list_for(self, owner_id: str) -> list[Endpoint]:
        require_owner(owner_id)
        async with self.db.transaction() as session:
            return [self._shown(e) for e in await store.live_endpoints(session, owner_id)]

    async def get(self, owner_id: str, endpoint_id: str) -> Endpoint:
        require_owner(owner_id)
        async with self.db.transaction() as session:
            found = await self._live(session, owner_id, endpoint_id)
        return self._shown(found)

    async def delete(self, owner_id: str, endpoint_id: str) -> Endpoint:
        """Stop sending to it; its pending deliveries fail ("endpoint deleted")."""
        require_owner(owner_id)
        now = utcnow()
        async with self.db.transaction() as session:
            found = await self._live(session, owner_id, endpoint_id)
            await store.update_endpoint(session, endpoint_id, deleted_at=now)
            await store.fail_pending_for_endpoint(session, endpoint_id, now, "endpoint deleted")
        return self._shown(found)

    async def rotate(self, owner_id: str, endpoint_id: str, overlap: timedelta | None) -> Endpoint:
        """A new secret; the old one also signs for ``overlap`` (default: the grace)."""
        require_owner(owner_id)
        keep = self.grace if overlap is None else overlap
        if keep < timedelta(0) or keep > MAX_OVERLAP:
            raise DomainError(ErrorCode.VALIDATION_ERROR, "overlap_seconds: 0 to 604800 (7 days)")
        now = utcnow()
        async with self.db.transaction() as session:
            found = await self._live(session, owner_id, endpoint_id)
            kept = keep > timedelta(0)
            await store.update_endpoint(
                session,
                endpoint_id,
                secret=self.box.seal(new_secret()),
                secret_created_at=now,
                previous_secret=found.secret if kept else None,
                previous_valid_until=now + keep if kept else None,
            )
            rotated = await self._live(session, owner_id, endpoint_id)
        return self._shown(rotated, show_secret=True)

    async def signing_keys(self, endpoint_id: str, now: datetime) -> list[str]:
        """The secrets a delivery to this endpoint is signed with now."""
        async with self.db.transaction() as session:
            found = await store.endpoint_by_id(session, endpoint_id)
        if found is None:
            raise DomainError(ErrorCode.NOT_FOUND, f"endpoint {endpoint_id} is gone")
        keys = [self.box.open(found.secret)]
        if (
            found.previous_secret
            and found.previous_valid_until
            and found.previous_valid_until > now
        ):
            keys.append(self.box.open(found.previous_secret))
        return keys

    async def send_test(self, owner_id: str, endpoint_id: str) -> str:
        """Queue a signed ``webhook.test`` event to this endpoint; its event id."""
        endpoint = await self.get(owner_id, endpoint_id)
        event_id = new_id(IdPrefix.EVENT)
        now = utcnow()
        body = payloads.test_payload(event_id, endpoint.id, now)
        async with self.db.transaction() as session:
            await store.insert_delivery(
                session,
                delivery_values(
                    event_id, TEST_EVENT, owner_id, endpoint.id, endpoint.url, body, None, now
                )
                | {"endpoint_id": endpoint.id},
            )
        self.wake()
        return event_id


def delivery_values(
    event_id: str,
    event: str,
    owner_id: str,
    subject_id: str,
    url: str,
    body: dict[str, Any],
    video_key: str | None,
    now: datetime,
) -> dict[str, Any]:
    """A new pending ``deliveries`` row, due now."""
    return {
        "event_id": event_id,
        "event": event,
        "owner_id": owner_id,
        "subject_id": subject_id,
        "url": url,
        "payload": json.dumps(body),
        "video_key": video_key,
        "status": DeliveryStatus.PENDING,
        "attempts": 0,
        "created_at": now,
        "next_attempt_at": now,
    }
